//! Consistent read snapshots. A [`RedbReader`] holds one redb read transaction with every table
//! already open, so each lookup is a B-tree descent and nothing more.

use std::collections::BTreeMap;
use std::sync::Arc;

use redb::{Database, ReadOnlyTable, ReadTransaction, ReadableDatabase, ReadableTableMetadata};

use crate::error::{Result, StoreError};
use crate::redb_backend::codec::{BodyRow, ChangeRec, CollRec, ObjRec};
use crate::redb_backend::collections::collection;
use crate::redb_backend::spans;
use crate::redb_backend::tables::*;
use crate::stats::StoreCounts;
use crate::types::{Change, ChangeKind, Changes, Collection, CollectionId, ObjectMeta};

/// A consistent snapshot of the store: everything read through one `RedbReader` reflects the same
/// committed state, whatever commits meanwhile. Cheap to clone.
#[derive(Clone)]
pub struct RedbReader {
    snap: Arc<Tables>,
}

pub(crate) struct Tables {
    pub paths: ReadOnlyTable<&'static str, u64>,
    pub colls: ReadOnlyTable<u64, &'static [u8]>,
    pub state: ReadOnlyTable<u64, &'static [u8]>,
    pub children: ReadOnlyTable<(u64, &'static str), u64>,
    pub props: ReadOnlyTable<(u64, &'static str), &'static [u8]>,
    pub objects: ReadOnlyTable<(u64, &'static str), &'static [u8]>,
    pub bodies: ReadOnlyTable<(u64, &'static str), &'static [u8]>,
    pub tomb_props: ReadOnlyTable<(u64, &'static str, &'static str), &'static [u8]>,
    pub uids: ReadOnlyTable<(u64, &'static str), &'static str>,
    pub spans: ReadOnlyTable<(u64, u8, i64, &'static str), i64>,
    pub instances: ReadOnlyTable<(u64, &'static str), &'static [u8]>,
    pub changes: ReadOnlyTable<(u64, u64), &'static [u8]>,
    pub change_names: ReadOnlyTable<(u64, &'static str), u64>,
    pub usage: ReadOnlyTable<&'static str, u64>,
    _txn: ReadTransaction,
}

pub(crate) fn meta_of(rec: ObjRec) -> ObjectMeta {
    ObjectMeta {
        etag: rec.etag,
        uid: rec.info.uid,
        kind: rec.info.kind,
        size: rec.size,
        content_type: rec.content_type,
        modified: rec.modified,
        span: rec.info.span,
        seq: rec.seq,
    }
}

impl RedbReader {
    pub(crate) fn begin(db: &Database) -> Result<RedbReader> {
        let txn = db.begin_read()?;
        let snap = Tables {
            paths: txn.open_table(PATHS)?,
            colls: txn.open_table(COLLS)?,
            state: txn.open_table(STATE)?,
            children: txn.open_table(CHILDREN)?,
            props: txn.open_table(PROPS)?,
            objects: txn.open_table(OBJECTS)?,
            bodies: txn.open_table(BODIES)?,
            tomb_props: txn.open_table(TOMB_PROPS)?,
            uids: txn.open_table(UIDS)?,
            spans: txn.open_table(SPANS)?,
            instances: txn.open_table(INSTANCES)?,
            changes: txn.open_table(CHANGES)?,
            change_names: txn.open_table(CHANGE_NAMES)?,
            usage: txn.open_table(USAGE)?,
            _txn: txn,
        };
        Ok(RedbReader {
            snap: Arc::new(snap),
        })
    }

    pub(crate) fn snap(&self) -> &Tables {
        &self.snap
    }

    fn resolve(&self, path: &str) -> Result<Option<(u64, CollRec)>> {
        resolve(&self.snap.paths, &self.snap.colls, path)
    }

    pub(crate) fn id_of(&self, path: &str) -> Result<Option<u64>> {
        Ok(self.snap.paths.get(path)?.map(|g| g.value()))
    }

    fn require(&self, path: &str) -> Result<u64> {
        self.id_of(path)?.ok_or(StoreError::NotFound)
    }

    fn collection_by(&self, id: u64, rec: CollRec) -> Result<Collection> {
        let st = coll_state(&self.snap.state, id)?;
        let mut props = BTreeMap::new();
        for row in self.snap.props.range((id, "")..(id + 1, ""))? {
            let (k, v) = row?;
            props.insert(k.value().1.to_owned(), v.value().to_vec());
        }
        Ok(collection(id, rec, st, props))
    }

    pub fn collection(&self, path: &str) -> Result<Option<Collection>> {
        match self.resolve(path)? {
            Some((id, rec)) => Ok(Some(self.collection_by(id, rec)?)),
            None => Ok(None),
        }
    }

    /// The collection with this id, wherever it has been moved to.
    pub fn collection_by_id(&self, id: CollectionId) -> Result<Option<Collection>> {
        match self.snap.colls.get(id.0)? {
            Some(g) => {
                let rec = CollRec::decode(g.value())?;
                Ok(Some(self.collection_by(id.0, rec)?))
            }
            None => Ok(None),
        }
    }

    /// Direct child collections, in name order; `""` lists the top-level collections.
    pub fn children(&self, path: &str) -> Result<Vec<Collection>> {
        let id = if path.is_empty() {
            0
        } else {
            self.require(path)?
        };
        let mut out = Vec::new();
        for (_, cid) in children_of(&self.snap.children, id)? {
            let rec = coll_rec(&self.snap.colls, cid)?;
            out.push(self.collection_by(cid, rec)?);
        }
        Ok(out)
    }

    /// Meta and bytes; `Corrupt` rather than bytes that fail their checksum.
    pub fn get(&self, coll: &str, name: &str) -> Result<Option<(ObjectMeta, Vec<u8>)>> {
        let Some(id) = self.id_of(coll)? else {
            return Ok(None);
        };
        // One descent: the body row carries the record (see `BodyRow`).
        let Some(row) = self.snap.bodies.get((id, name))? else {
            return Ok(None);
        };
        let row = BodyRow::split(row.value())?;
        let rec = ObjRec::decode(row.rec)?;
        check_body(name, row.body, rec.size, rec.crc)?;
        Ok(Some((meta_of(rec), row.body.to_vec())))
    }

    pub fn meta(&self, coll: &str, name: &str) -> Result<Option<ObjectMeta>> {
        let Some(id) = self.id_of(coll)? else {
            return Ok(None);
        };
        Ok(obj_rec(&self.snap.objects, id, name)?.map(meta_of))
    }

    /// Every object's name and metadata in name order, without reading bodies.
    pub fn list(&self, coll: &str) -> Result<Vec<(String, ObjectMeta)>> {
        let id = self.require(coll)?;
        let mut out = Vec::new();
        for row in self.snap.objects.range((id, "")..(id + 1, ""))? {
            let (k, v) = row?;
            out.push((k.value().1.to_owned(), meta_of(ObjRec::decode(v.value())?)));
        }
        Ok(out)
    }

    /// The name of the object holding `uid` in the collection.
    pub fn find_uid(&self, coll: &str, uid: &str) -> Result<Option<String>> {
        let Some(id) = self.id_of(coll)? else {
            return Ok(None);
        };
        Ok(self.snap.uids.get((id, uid))?.map(|g| g.value().to_owned()))
    }

    /// Changes after `since` (`None`: every live member, as upserts), oldest first, at most
    /// `limit`. Reads only the log entries returned (plus one), never the whole collection.
    pub fn changes_since(
        &self,
        coll: &str,
        since: Option<u64>,
        limit: Option<usize>,
    ) -> Result<Changes> {
        let id = self.require(coll)?;
        let st = coll_state(&self.snap.state, id)?;
        let from = match since {
            None => 0,
            Some(s) if s > st.seq || s < st.floor => return Err(StoreError::InvalidSyncToken),
            Some(s) => s,
        };
        let limit = limit.unwrap_or(usize::MAX);
        let mut changes = Vec::new();
        let mut truncated = false;
        for row in self.snap.changes.range((id, from + 1)..=(id, u64::MAX))? {
            let (k, v) = row?;
            let rec = ChangeRec::decode(v.value())?;
            if since.is_none() && rec.kind == ChangeKind::Delete {
                continue;
            }
            if changes.len() == limit {
                truncated = true;
                break;
            }
            let seq = k.value().1;
            changes.push(Change {
                name: rec.name,
                kind: rec.kind,
                is_collection: rec.is_collection,
                seq,
            });
        }
        let seq = match (truncated, changes.last()) {
            (true, Some(last)) => last.seq,
            (true, None) => from,
            (false, _) => st.seq,
        };
        Ok(Changes {
            changes,
            seq,
            truncated,
        })
    }

    /// Names of objects whose time span overlaps `[start, end)`, in no particular order.
    pub fn overlapping(&self, coll: &str, start: i64, end: i64) -> Result<Vec<String>> {
        let id = self.require(coll)?;
        let st = coll_state(&self.snap.state, id)?;
        let mut out = Vec::new();
        if start >= end {
            return Ok(out);
        }
        for (class, lowest) in spans::scan_plan(st.span_classes, start) {
            let range = (id, class, lowest, "")..(id, class, end, "");
            for row in self.snap.spans.range(range)? {
                let (k, v) = row?;
                let (_, _, s, name) = k.value();
                if s < end && start < v.value() {
                    out.push(name.to_owned());
                }
            }
        }
        Ok(out)
    }

    /// Number of collections and objects in this snapshot, in constant time (redb keeps every
    /// table's length).
    pub fn counts(&self) -> Result<StoreCounts> {
        Ok(StoreCounts {
            collections: self.snap.colls.len()?,
            objects: self.snap.objects.len()?,
        })
    }

    /// Bytes of bodies stored in collections owned by `owner`.
    pub fn used(&self, owner: &str) -> Result<u64> {
        Ok(self.snap.usage.get(owner)?.map(|g| g.value()).unwrap_or(0))
    }
}
