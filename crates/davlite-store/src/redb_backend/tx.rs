//! The write transaction as the store's operations see it: every table open once per batch, and
//! write-back caches for the rows that nearly every request rewrites (collection state, owner
//! usage), flushed once before commit.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use davlite_formats::{ObjectInfo, TimeSpan};
use redb::{ReadableTable, Table, WriteTransaction};

use crate::error::{Result, StoreError};
use crate::redb_backend::codec::{BodyRow, ChangeRec, CollRec, CollState, ObjRec};
use crate::redb_backend::instances;
use crate::redb_backend::spans;
use crate::redb_backend::tables::*;
use crate::types::{ChangeKind, Etag, Precondition, QuotaPolicy};

pub(crate) struct Tx<'t> {
    pub paths: Table<'t, &'static str, u64>,
    pub colls: Table<'t, u64, &'static [u8]>,
    pub state: Table<'t, u64, &'static [u8]>,
    pub children: Table<'t, (u64, &'static str), u64>,
    pub props: Table<'t, (u64, &'static str), &'static [u8]>,
    pub objects: Table<'t, (u64, &'static str), &'static [u8]>,
    pub bodies: Table<'t, (u64, &'static str), &'static [u8]>,
    pub tomb_props: Table<'t, (u64, &'static str, &'static str), &'static [u8]>,
    pub uids: Table<'t, (u64, &'static str), &'static str>,
    pub spans: Table<'t, (u64, u8, i64, &'static str), i64>,
    pub instances: Table<'t, (u64, &'static str), &'static [u8]>,
    pub changes: Table<'t, (u64, u64), &'static [u8]>,
    pub change_names: Table<'t, (u64, &'static str), u64>,
    pub usage: Table<'t, &'static str, u64>,
    pub meta: Table<'t, &'static str, u64>,
    pub docs: Table<'t, &'static str, &'static [u8]>,
    pub now: i64,
    pub quota: Arc<QuotaPolicy>,
    /// The file system was below the store's free-space reserve as the batch began. (Free
    /// pages inside the store file are no help: redb preallocates the file sparsely, so its
    /// free pages may have no disk blocks behind them.)
    pub low_space: bool,
    /// `None` marks a collection deleted in this batch.
    states: FewKeys<u64, Option<CollState>>,
    usages: FewKeys<String, u64>,
    /// Collections resolved in this batch; cleared by every collection operation. Shared, not
    /// copied, with each write that asks: a batch of thousands asks as often.
    resolved: FewKeys<String, (u64, Arc<CollRec>)>,
    /// Collections known, in this batch, to hold no CHANGE_NAMES row: no tombstone for a new
    /// name to take over, so its first write skips the removal that would find nothing. A
    /// collection that has never lost a member has none, and a first sync or an import
    /// writes thousands of new names into one (the lookup was 2% of such a batch).
    /// Whatever inserts a row for a collection takes it out of here.
    nameless: FewKeys<u64, bool>,
}

/// A map of the few keys one batch touches (its collections and their owners), looked up
/// several times for every object the batch writes. SipHash, the default, guards a map against
/// keys chosen to collide, which a handful of keys per batch has no need of; here it cost a
/// few percent of the writer's time at 10,000 objects a batch.
type FewKeys<K, V> = HashMap<K, V, BuildHasherDefault<ahash::AHasher>>;

impl<'t> Tx<'t> {
    pub fn open(txn: &'t WriteTransaction, now: i64, quota: Arc<QuotaPolicy>) -> Result<Self> {
        Ok(Tx {
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
            meta: txn.open_table(META)?,
            docs: txn.open_table(DOCS)?,
            now,
            quota,
            low_space: false,
            states: FewKeys::default(),
            usages: FewKeys::default(),
            resolved: FewKeys::default(),
            nameless: FewKeys::default(),
        })
    }

    /// Writes the cached rows back; called once, before commit.
    pub fn flush(&mut self) -> Result<()> {
        for (id, st) in std::mem::take(&mut self.states) {
            match st {
                Some(st) => self.state.insert(id, st.encode().as_slice())?,
                None => self.state.remove(id)?,
            };
        }
        for (owner, used) in std::mem::take(&mut self.usages) {
            if used == 0 {
                self.usage.remove(owner.as_str())?;
            } else {
                self.usage.insert(owner.as_str(), used)?;
            }
        }
        Ok(())
    }

    pub fn coll(&self, path: &str) -> Result<Option<(u64, CollRec)>> {
        resolve(&self.paths, &self.colls, path)
    }

    /// Like [`Tx::coll`], remembering the answer for the rest of the batch: object writes in
    /// one batch mostly target the same few collections.
    pub fn coll_cached(&mut self, path: &str) -> Result<Option<(u64, Arc<CollRec>)>> {
        if let Some((id, rec)) = self.resolved.get(path) {
            return Ok(Some((*id, Arc::clone(rec))));
        }
        let Some((id, rec)) = self.coll(path)? else {
            return Ok(None);
        };
        let rec = Arc::new(rec);
        self.resolved
            .insert(path.to_owned(), (id, Arc::clone(&rec)));
        Ok(Some((id, rec)))
    }

    /// Forgets resolved collections; every operation that changes collections calls it first.
    pub fn collections_changing(&mut self) {
        self.resolved.clear();
    }

    /// Writes an object's record into its row of the object table, over one that held dead
    /// properties or not (`had_props`), and returns the encoding.
    pub fn write_record(
        &mut self,
        id: u64,
        name: &str,
        rec: &ObjRec,
        had_props: bool,
    ) -> Result<Vec<u8>> {
        self.count_props(id, had_props, !rec.props.is_empty())?;
        let encoded = rec.encode();
        self.objects.insert((id, name), encoded.as_slice())?;
        Ok(encoded)
    }

    pub fn obj(&self, id: u64, name: &str) -> Result<Option<ObjRec>> {
        obj_rec(&self.objects, id, name)
    }

    pub fn get_state(&mut self, id: u64) -> Result<CollState> {
        if let Some(st) = self.states.get(&id) {
            return st.ok_or_else(|| StoreError::Corrupt {
                detail: format!("collection {id} used after deletion"),
            });
        }
        let st = coll_state(&self.state, id)?;
        self.states.insert(id, Some(st));
        Ok(st)
    }

    pub fn put_state(&mut self, id: u64, st: Option<CollState>) {
        self.states.insert(id, st);
    }

    pub fn used(&mut self, owner: &str) -> Result<u64> {
        if let Some(u) = self.usages.get(owner) {
            return Ok(*u);
        }
        let u = self.usage.get(owner)?.map(|g| g.value()).unwrap_or(0);
        self.usages.insert(owner.to_owned(), u);
        Ok(u)
    }

    pub fn add_usage(&mut self, owner: &str, add: u64, sub: u64) -> Result<()> {
        self.used(owner)?;
        let used = self.usages.get_mut(owner).expect("cached by used()");
        *used = used.saturating_add(add).saturating_sub(sub);
        Ok(())
    }

    /// QuotaExceeded when adding `add` bytes (after freeing `sub`) would pass the owner's quota.
    /// A write that does not grow usage is always allowed, so an owner over quota can still
    /// shrink. Usage is read in this transaction, so the check and the write are one step.
    /// Below the free-space reserve, the same writes get `DiskFull`.
    pub fn check_quota(&mut self, owner: &str, add: u64, sub: u64) -> Result<()> {
        if add <= sub {
            return Ok(());
        }
        if self.low_space {
            return Err(StoreError::DiskFull);
        }
        let Some(quota) = self.quota.limit(owner) else {
            return Ok(());
        };
        let used = self.used(owner)?;
        if used.saturating_add(add - sub) > quota {
            return Err(StoreError::QuotaExceeded);
        }
        Ok(())
    }

    /// Records the latest operation on object `name` in collection `id` and returns its new
    /// sequence number. `live` is the seq of the object stored under the name until now, if
    /// one is: its change-log entry is found from its record, so a live object needs no
    /// CHANGE_NAMES row and writing one costs no insert there (format 3). Only a name without
    /// an object (its deletion's tombstone) keeps a row, for a later write to find.
    pub fn log_object(
        &mut self,
        id: u64,
        name: &str,
        kind: ChangeKind,
        live: Option<u64>,
    ) -> Result<u64> {
        let seq = self.next_seq(id)?;
        let earlier = match live {
            Some(seq) => Some(seq),
            // A collection without tombstones has none under this name.
            None if self.holds_no_names(id)? => None,
            // The name may hold a tombstone: it leaves with the name's new life (a removal
            // that finds nothing changes no page).
            None => {
                let tombstone = self.change_names.remove((id, name))?.map(|g| g.value());
                if tombstone.is_some() {
                    // What the deleted predecessor held is forgotten. A name never logged
                    // had no predecessor (tombstone properties leave the log together with
                    // their entry, see `prune_changes`), so a first write skips the lookup.
                    self.drop_tombstone_props(id, name)?;
                }
                tombstone
            }
        };
        if let Some(earlier) = earlier {
            self.changes.remove((id, earlier))?;
        }
        if kind == ChangeKind::Delete {
            self.nameless.insert(id, false);
            self.change_names.insert((id, name), seq)?;
        }
        self.append(id, seq, name, kind, false)?;
        Ok(seq)
    }

    /// Keeps `CollState::with_props` as a member goes from holding dead properties or not
    /// (`had`) to holding them or not (`has`).
    pub fn count_props(&mut self, id: u64, had: bool, has: bool) -> Result<()> {
        if had != has {
            let mut st = self.get_state(id)?;
            st.with_props = if has {
                st.with_props + 1
            } else {
                st.with_props.saturating_sub(1)
            };
            self.put_state(id, Some(st));
        }
        Ok(())
    }

    /// Whether collection `id` holds no CHANGE_NAMES row (see `nameless`): looked up once a
    /// batch, then kept up to date by the batch's own inserts.
    fn holds_no_names(&mut self, id: u64) -> Result<bool> {
        if let Some(&none) = self.nameless.get(&id) {
            return Ok(none);
        }
        let none = self
            .change_names
            .range((id, "")..(id + 1, ""))?
            .next()
            .is_none();
        self.nameless.insert(id, none);
        Ok(none)
    }

    /// Records the latest operation on child collection `name` of collection `id` (dropping
    /// its previous entry, found through CHANGE_NAMES, which holds a row for every child
    /// collection name logged) and returns the new sequence number.
    pub fn log_collection(&mut self, id: u64, name: &str, kind: ChangeKind) -> Result<u64> {
        let seq = self.next_seq(id)?;
        self.nameless.insert(id, false);
        if let Some(earlier) = self.change_names.insert((id, name), seq)? {
            let earlier = earlier.value();
            self.changes.remove((id, earlier))?;
        }
        self.append(id, seq, name, kind, true)?;
        Ok(seq)
    }

    /// The sequence number the next logged change of collection `id` gets (see `next_seq`).
    pub fn peek_seq(&mut self, id: u64) -> Result<u64> {
        Ok(self.get_state(id)?.seq + 1)
    }

    /// The collection's next change sequence number, taken.
    fn next_seq(&mut self, id: u64) -> Result<u64> {
        let mut st = self.get_state(id)?;
        st.seq += 1;
        st.modified = self.now;
        let seq = st.seq;
        self.put_state(id, Some(st));
        Ok(seq)
    }

    fn append(
        &mut self,
        id: u64,
        seq: u64,
        name: &str,
        kind: ChangeKind,
        is_collection: bool,
    ) -> Result<()> {
        let rec = ChangeRec::encode(name, kind, is_collection);
        self.changes.insert((id, seq), rec.as_slice())?;
        Ok(())
    }

    /// Writes an object's record, body and index rows, replacing `old` (the record currently
    /// stored under this name, if any). The instance index row comes from
    /// `rec.info.event_instances`, which a decoded record carries only for a single instance
    /// (see [`ObjRec`]): a copy fills it from the source's row first
    /// ([`Tx::load_event_instances`]).
    pub fn write_object(
        &mut self,
        id: u64,
        name: &str,
        rec: &ObjRec,
        body: &[u8],
        old: Option<&ObjRec>,
    ) -> Result<()> {
        let had_props = old.is_some_and(|o| !o.props.is_empty());
        let encoded = self.write_record(id, name, rec, had_props)?;
        self.write_rows(id, name, rec, &encoded, body, old, false)
    }

    /// [`Tx::write_object`] but for the record's own row, written already as `encoded`: the
    /// body's row (the record without its dead properties, and the body) and the index rows.
    /// `uid_claimed`: the UID's row is written already (see [`Tx::claim_uid`]).
    #[allow(clippy::too_many_arguments)]
    pub fn write_rows(
        &mut self,
        id: u64,
        name: &str,
        rec: &ObjRec,
        encoded: &[u8],
        body: &[u8],
        old: Option<&ObjRec>,
        uid_claimed: bool,
    ) -> Result<()> {
        let old_info = old.map(|o| &o.info);
        self.move_indexes(id, name, old_info, Some(&rec.info), uid_claimed)?;
        let encoded = rec.without_props(encoded);
        let mut row = self
            .bodies
            .insert_reserve((id, name), BodyRow::len(encoded, body))?;
        BodyRow::write(row.as_mut(), encoded, body);
        Ok(())
    }

    /// Gives UID `uid` of collection `id` to object `name`, which held no UID, checking that
    /// no other object holds it: one descent of the index for the check and the write (a
    /// lookup and then an insert cost two). A refusal puts the holder's row back as it was.
    pub fn claim_uid(&mut self, id: u64, uid: &str, name: &str) -> Result<()> {
        let holder = self
            .uids
            .insert((id, uid), name)?
            .map(|h| h.value().to_owned());
        match holder {
            Some(holder) if holder != name => {
                self.uids.insert((id, uid), holder.as_str())?;
                Err(StoreError::UidConflict { existing: holder })
            }
            _ => Ok(()),
        }
    }

    /// Removes an object, its dead properties (in its record) and its index rows (not its
    /// change-log entry: the caller logs).
    pub fn remove_object(&mut self, id: u64, name: &str, old: &ObjRec) -> Result<()> {
        self.move_indexes(id, name, Some(&old.info), None, false)?;
        self.objects.remove((id, name))?;
        self.bodies.remove((id, name))?;
        self.count_props(id, !old.props.is_empty(), false)
    }

    /// Moves an object's index rows from what `old` indexed to what `new` indexes (`None`: no
    /// object). A row that stays as it was is not written again: every row written copies its
    /// tree's path of pages into the commit (four pages deep at a million objects), and most
    /// updates keep their UID and time span.
    fn move_indexes(
        &mut self,
        id: u64,
        name: &str,
        old: Option<&ObjectInfo>,
        new: Option<&ObjectInfo>,
        uid_claimed: bool,
    ) -> Result<()> {
        let (old_uid, new_uid) = (
            old.and_then(|i| i.uid.as_deref()),
            new.and_then(|i| i.uid.as_deref()),
        );
        if old_uid != new_uid && !uid_claimed {
            if let Some(uid) = old_uid {
                self.uids.remove((id, uid))?;
            }
            if let Some(uid) = new_uid {
                self.uids.insert((id, uid), name)?;
            }
        }
        let (old_span, new_span) = (old.and_then(|i| i.span), new.and_then(|i| i.span));
        if old_span != new_span {
            if let Some(span) = old_span {
                self.spans
                    .remove((id, spans::class(span), span.start, name))?;
            }
            if let Some(span) = new_span {
                self.add_span(id, name, span)?;
            }
        }
        // A single instance lives in the record, not in a row (`ObjRec::single_instance`).
        // Whether `old` has a row is not in its record: compare with what is there. No
        // object, no row (`verify` holds the store to it): a new object skips the lookup.
        let packed = new.filter(|i| !ObjRec::single_instance(i)).and_then(|i| {
            i.event_instances
                .as_ref()
                .map(|list| instances::pack(list, i.floating))
        });
        let stored = match old {
            Some(_) => self.instances.get((id, name))?,
            None => None,
        };
        if stored.as_ref().map(|g| g.value()) != packed.as_deref() {
            drop(stored);
            match &packed {
                Some(row) => self.instances.insert((id, name), row.as_slice())?,
                None => self.instances.remove((id, name))?,
            };
        }
        Ok(())
    }

    /// The indexed instance spans of an object and their floating flag, for a copy to take
    /// along: sets `info.event_instances` and `info.floating`.
    pub fn load_event_instances(
        &self,
        id: u64,
        name: &str,
        info: &mut davlite_formats::ObjectInfo,
    ) -> Result<()> {
        if ObjRec::single_instance(info) {
            return Ok(());
        }
        match self.instances.get((id, name))? {
            Some(row) => {
                info.event_instances = Some(instances::unpack(row.value(), name)?);
                info.floating = instances::floating(row.value(), name)?;
            }
            None => {
                info.event_instances = None;
                info.floating = false;
            }
        }
        Ok(())
    }

    fn add_span(&mut self, id: u64, name: &str, span: TimeSpan) -> Result<()> {
        let class = spans::class(span);
        let mut st = self.get_state(id)?;
        if st.span_classes & spans::class_bit(class) == 0 {
            st.span_classes |= spans::class_bit(class);
            self.put_state(id, Some(st));
        }
        self.spans.insert((id, class, span.start, name), span.end)?;
        Ok(())
    }

    pub fn next_collection_id(&mut self) -> Result<u64> {
        let id = self
            .meta
            .get("next_collection_id")?
            .map(|g| g.value())
            .unwrap_or(1);
        self.meta.insert("next_collection_id", id + 1)?;
        Ok(id)
    }

    /// Every object of a collection, in name order.
    pub fn objects_of(&self, id: u64) -> Result<Vec<(String, ObjRec)>> {
        let mut out = Vec::new();
        for row in self.objects.range((id, "")..(id + 1, ""))? {
            let (k, v) = row?;
            out.push((k.value().1.to_owned(), ObjRec::decode(v.value())?));
        }
        Ok(out)
    }
}

/// Checks a conditional against the current ETag (`None`: the target does not exist).
pub(crate) fn check_precondition(pre: &Precondition, current: Option<Etag>) -> Result<()> {
    let holds = match pre {
        Precondition::None => true,
        Precondition::IfMatchAny => current.is_some(),
        Precondition::IfMatch(tags) => current.is_some_and(|c| tags.contains(&c)),
        Precondition::IfNoneMatchAny => current.is_none(),
        Precondition::IfNoneMatch(tags) => !current.is_some_and(|c| tags.contains(&c)),
    };
    if holds {
        Ok(())
    } else {
        Err(StoreError::PreconditionFailed { current })
    }
}
