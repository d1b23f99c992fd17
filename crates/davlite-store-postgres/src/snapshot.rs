//! [`PgSnapshot`]: one `REPEATABLE READ READ ONLY` transaction on a pooled connection, held for
//! the snapshot's lifetime.

use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;

use davlite_formats::TimeSpan;
use davlite_store::{
    Change, ChangeKind, Changes, Collection, CollectionId, ObjectMeta, ObjectView, Snapshot,
    StoreCounts, StoreError,
};
use parking_lot::Mutex;

use crate::conn::{Conn, Manager, Result};
use crate::rows::*;

/// One consistent read view: every call sees the database as of the moment it was taken.
/// On drop the transaction (which wrote nothing) is rolled back and the connection returned to
/// the pool.
pub struct PgSnapshot {
    conn: Mutex<r2d2::PooledConnection<Manager>>,
    /// Objects fetched together by the latest `prefetch`, each taken out when read.
    prefetched: Mutex<Prefetched>,
}

/// The rows of one `prefetch`: `None` for a name that does not exist.
#[derive(Default)]
struct Prefetched {
    coll: String,
    rows: HashMap<String, Option<Fetched>>,
}

/// One prefetched object: its record, body and instance row (a calendar query asks the
/// instance index before the body, and skips the body of an event outside its range).
struct Fetched {
    rec: ObjRow,
    body: Vec<u8>,
    instances: Option<Vec<u8>>,
}

/// At most this many members per prefetch (a streamed chunk's worth), so what a snapshot holds
/// stays bounded whatever the report.
const PREFETCH_MAX: usize = 256;

impl std::fmt::Debug for PgSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgSnapshot")
    }
}

impl Drop for PgSnapshot {
    fn drop(&mut self) {
        // Ended at once: an idle connection left inside a REPEATABLE READ snapshot keeps every
        // row version since then alive, and the collection's state row (one new version per
        // write) grows a chain each lookup walks (measured: a one-week query at 10,000 events
        // went from 0.1 s to 9 s). Like every other call, this one must not be made on an
        // async worker (see `Backend::network`). Should the rollback fail, the next checkout
        // ends the transaction before anything else.
        let conn = self.conn.get_mut();
        if conn.batch("ROLLBACK").is_err() {
            conn.end_later();
        }
    }
}

const LOOKUP: &str = "SELECT owner, id FROM collections WHERE path = $1";

const OBJ_IN: &str = concat!(
    "SELECT ",
    obj_cols!(),
    " FROM collections c JOIN objects o ON o.owner = c.owner AND o.coll = c.id \
     WHERE c.path = $1 AND o.name = $2"
);

const OBJ_BODY_IN: &str = concat!(
    "SELECT ",
    obj_cols!(),
    ", o.body FROM collections c JOIN objects o ON o.owner = c.owner AND o.coll = c.id \
     WHERE c.path = $1 AND o.name = $2"
);

const OBJS_BODY_IN: &str = concat!(
    "SELECT o.name, ",
    obj_cols!(),
    ", o.body, o.event_instances FROM collections c \
     JOIN objects o ON o.owner = c.owner AND o.coll = c.id \
     WHERE c.path = $1 AND o.name = ANY($2)"
);

const SCAN_PAGE: i64 = 500;

impl PgSnapshot {
    pub(crate) fn begin(store: &crate::PgStore) -> Result<PgSnapshot> {
        // The snapshot of a REPEATABLE READ transaction is taken by its first statement, so one
        // runs now: the view includes every write acknowledged before `read()`, and none after.
        let conn = store.begun("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1")?;
        Ok(PgSnapshot {
            conn: Mutex::new(conn),
            prefetched: Mutex::new(Prefetched::default()),
        })
    }

    pub(crate) fn with_conn<T>(&self, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        let mut guard = self.conn.lock();
        f(&mut guard)
    }

    /// The prefetched row of `coll/name`, taken out: `Some(None)` when it was fetched and does
    /// not exist, `None` when it was not prefetched.
    fn take_prefetched(&self, coll: &str, name: &str) -> Option<Option<(ObjRow, Vec<u8>)>> {
        let mut p = self.prefetched.lock();
        if p.rows.is_empty() || p.coll != coll {
            return None;
        }
        p.rows.remove(name).map(|f| f.map(|f| (f.rec, f.body)))
    }

    /// The prefetched instance row of `coll/name` (left in place for the body's read):
    /// `Some(None)` when the object does not exist or has none, `None` when not prefetched.
    fn prefetched_instances(&self, coll: &str, name: &str) -> Option<Option<Vec<u8>>> {
        let p = self.prefetched.lock();
        if p.rows.is_empty() || p.coll != coll {
            return None;
        }
        p.rows
            .get(name)
            .map(|f| f.as_ref().and_then(|f| f.instances.clone()))
    }

    /// Meta and body of one object, from the latest prefetch or with one round trip.
    fn object(&self, coll: &str, name: &str) -> Result<Option<(ObjRow, Vec<u8>)>> {
        if let Some(hit) = self.take_prefetched(coll, name) {
            return Ok(hit);
        }
        self.with_conn(|conn| {
            let Some(row) = conn.query_opt(OBJ_BODY_IN, &[&coll, &name])? else {
                return Ok(None);
            };
            let rec = obj_row(&row, 0)?;
            Ok(Some((rec, row.get(OBJ_COLS))))
        })
    }

    fn lookup(conn: &mut Conn, path: &str) -> Result<Option<(String, i64)>> {
        Ok(conn
            .query_opt(LOOKUP, &[&path])?
            .map(|r| (r.get(0), r.get(1))))
    }

    fn require(conn: &mut Conn, path: &str) -> Result<(String, i64)> {
        Self::lookup(conn, path)?.ok_or(StoreError::NotFound)
    }
}

impl Snapshot for PgSnapshot {
    fn collection(&self, path: &str) -> Result<Option<Collection>> {
        self.with_conn(|conn| {
            conn.query_opt(full_coll_query!("WHERE c.path = $1"), &[&path])?
                .map(|r| full_collection(&r))
                .transpose()
        })
    }

    fn collection_by_id(&self, id: CollectionId) -> Result<Option<Collection>> {
        let Ok(id) = i64::try_from(id.0) else {
            return Ok(None);
        };
        self.with_conn(|conn| {
            conn.query_opt(full_coll_query!("WHERE c.id = $1"), &[&id])?
                .map(|r| full_collection(&r))
                .transpose()
        })
    }

    fn children(&self, path: &str) -> Result<Vec<Collection>> {
        self.with_conn(|conn| {
            let id = if path.is_empty() {
                0
            } else {
                Self::require(conn, path)?.1
            };
            conn.query(
                full_coll_query!("WHERE c.parent_id = $1 ORDER BY c.path"),
                &[&id],
            )?
            .iter()
            .map(full_collection)
            .collect()
        })
    }

    fn get(&self, coll: &str, name: &str) -> Result<Option<(ObjectMeta, Vec<u8>)>> {
        let Some((rec, body)) = self.object(coll, name)? else {
            return Ok(None);
        };
        check_body(name, &body, rec.size, rec.crc)?;
        Ok(Some((meta_of(rec), body)))
    }

    fn meta(&self, coll: &str, name: &str) -> Result<Option<ObjectMeta>> {
        self.with_conn(|conn| {
            conn.query_opt(OBJ_IN, &[&coll, &name])?
                .map(|r| obj_row(&r, 0).map(meta_of))
                .transpose()
        })
    }

    fn list(&self, coll: &str) -> Result<Vec<(String, ObjectMeta)>> {
        self.with_conn(|conn| {
            let (owner, id) = Self::require(conn, coll)?;
            let rows = conn.query(
                concat!(
                    "SELECT o.name, ",
                    obj_cols!(),
                    " FROM objects o WHERE o.owner = $1 AND o.coll = $2 ORDER BY o.name"
                ),
                &[&owner, &id],
            )?;
            rows.iter()
                .map(|r| Ok((r.get(0), meta_of(obj_row(r, 1)?))))
                .collect()
        })
    }

    fn find_uid(&self, coll: &str, uid: &str) -> Result<Option<String>> {
        self.with_conn(|conn| {
            Ok(conn
                .query_opt(
                    "SELECT o.name FROM collections c \
                     JOIN objects o ON o.owner = c.owner AND o.coll = c.id \
                     WHERE c.path = $1 AND o.uid = $2",
                    &[&coll, &uid],
                )?
                .map(|r| r.get(0)))
        })
    }

    fn changes_since(
        &self,
        coll: &str,
        since: Option<u64>,
        limit: Option<usize>,
    ) -> Result<Changes> {
        self.with_conn(|conn| {
            let st = conn
                .query_opt(
                    "SELECT c.owner, c.id, s.seq, s.floor FROM collections c \
                     JOIN collection_state s ON s.owner = c.owner AND s.id = c.id \
                     WHERE c.path = $1",
                    &[&coll],
                )?
                .ok_or(StoreError::NotFound)?;
            let (owner, id): (String, i64) = (st.get(0), st.get(1));
            let (seq, floor) = (from_db(st.get(2)), from_db(st.get(3)));
            let from = match since {
                None => 0,
                Some(s) if s > seq || s < floor => return Err(StoreError::InvalidSyncToken),
                Some(s) => s,
            };
            let limit = limit.unwrap_or(usize::MAX);
            // One more than asked for tells whether the answer is truncated.
            let fetch = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
            let rows = conn.query(
                "SELECT name, deleted, is_collection, seq FROM changes \
                 WHERE owner = $1 AND coll = $2 AND seq > $3 AND (NOT deleted OR $4) \
                 ORDER BY seq LIMIT $5",
                &[&owner, &id, &to_db(from), &since.is_some(), &fetch],
            )?;
            let truncated = rows.len() > limit;
            let changes: Vec<Change> = rows
                .iter()
                .take(limit)
                .map(|r| Change {
                    name: r.get(0),
                    kind: if r.get(1) {
                        ChangeKind::Delete
                    } else {
                        ChangeKind::Upsert
                    },
                    is_collection: r.get(2),
                    seq: from_db(r.get(3)),
                })
                .collect();
            let seq = match (truncated, changes.last()) {
                (true, Some(last)) => last.seq,
                (true, None) => from,
                (false, _) => seq,
            };
            Ok(Changes {
                changes,
                seq,
                truncated,
            })
        })
    }

    fn overlapping(&self, coll: &str, start: i64, end: i64) -> Result<Vec<String>> {
        self.with_conn(|conn| {
            let (owner, id) = Self::require(conn, coll)?;
            if start >= end {
                return Ok(Vec::new());
            }
            Ok(conn
                .query(
                    "SELECT name FROM objects WHERE owner = $1 AND coll = $2 \
                     AND span_start < $4 AND span_end > $3",
                    &[&owner, &id, &start, &end],
                )?
                .iter()
                .map(|r| r.get(0))
                .collect())
        })
    }

    fn counts(&self) -> Result<StoreCounts> {
        self.with_conn(|conn| {
            let r = conn.query_one(
                "SELECT (SELECT count(*) FROM collections), (SELECT count(*) FROM objects)",
                &[],
            )?;
            Ok(StoreCounts {
                collections: from_db(r.get(0)),
                objects: from_db(r.get(1)),
            })
        })
    }

    fn used(&self, owner: &str) -> Result<u64> {
        self.with_conn(|conn| {
            Ok(conn
                .query_opt("SELECT bytes FROM usage WHERE owner = $1", &[&owner])?
                .map_or(0, |r| from_db(r.get(0))))
        })
    }

    fn scan_objects(
        &self,
        coll: &str,
        after: Option<&str>,
        visit: &mut dyn FnMut(&str, &ObjectView<'_>) -> ControlFlow<()>,
    ) -> Result<bool> {
        self.with_conn(|conn| {
            let (owner, id) = Self::require(conn, coll)?;
            // Names are never empty, so "after the empty name" is from the first.
            let mut after = after.unwrap_or("").to_owned();
            loop {
                let rows = conn.query(
                    "SELECT name, etag, size, modified, seq, content_type FROM objects \
                     WHERE owner = $1 AND coll = $2 AND name > $3 ORDER BY name LIMIT $4",
                    &[&owner, &id, &after, &SCAN_PAGE],
                )?;
                for r in &rows {
                    let name: &str = r.get(0);
                    let view = ObjectView {
                        etag: etag_of(r.get(1))?,
                        size: from_db(r.get(2)),
                        modified: r.get(3),
                        seq: from_db(r.get(4)),
                        content_type: r.get(5),
                    };
                    if visit(name, &view).is_break() {
                        return Ok(false);
                    }
                }
                match rows.last() {
                    Some(last) if rows.len() as i64 == SCAN_PAGE => after = last.get(0),
                    _ => return Ok(true),
                }
            }
        })
    }

    fn has_object_props(&self, coll: &str) -> Result<bool> {
        self.with_conn(|conn| {
            let (owner, id) = Self::require(conn, coll)?;
            Ok(conn
                .query_opt(
                    "SELECT 1 FROM object_props WHERE owner = $1 AND coll = $2 LIMIT 1",
                    &[&owner, &id],
                )?
                .is_some())
        })
    }

    fn with_object(
        &self,
        coll: &str,
        name: &str,
        f: &mut dyn FnMut(&ObjectView<'_>, &[u8]),
    ) -> Result<bool> {
        let Some((rec, body)) = self.object(coll, name)? else {
            return Ok(false);
        };
        check_body(name, &body, rec.size, rec.crc)?;
        let view = ObjectView {
            etag: rec.etag,
            size: rec.size,
            modified: rec.modified,
            seq: rec.seq,
            content_type: &rec.content_type,
        };
        f(&view, &body);
        Ok(true)
    }

    fn prefetch(&self, coll: &str, names: &[&str]) -> Result<()> {
        let names = &names[..names.len().min(PREFETCH_MAX)];
        let mut fetched = Prefetched {
            coll: coll.to_owned(),
            rows: names.iter().map(|n| (n.to_string(), None)).collect(),
        };
        // The previous window goes first, so a snapshot never holds two.
        *self.prefetched.lock() = Prefetched::default();
        if names.is_empty() {
            return Ok(());
        }
        let rows = self.with_conn(|conn| conn.query(OBJS_BODY_IN, &[&coll, &names]))?;
        for row in &rows {
            let name: String = row.get(0);
            let rec = obj_row(row, 1)?;
            let f = Fetched {
                rec,
                body: row.get(OBJ_COLS + 1),
                instances: row.get(OBJ_COLS + 2),
            };
            fetched.rows.insert(name, Some(f));
        }
        *self.prefetched.lock() = fetched;
        Ok(())
    }

    fn object_props(&self, coll: &str, name: &str) -> Result<BTreeMap<String, Vec<u8>>> {
        self.props_in(
            "SELECT p.prop, p.value FROM collections c \
             JOIN object_props p ON p.owner = c.owner AND p.coll = c.id \
             WHERE c.path = $1 AND p.name = $2",
            coll,
            name,
        )
    }

    fn deleted_object_props(&self, coll: &str, name: &str) -> Result<BTreeMap<String, Vec<u8>>> {
        self.props_in(
            "SELECT p.prop, p.value FROM collections c \
             JOIN tombstone_props p ON p.owner = c.owner AND p.coll = c.id \
             WHERE c.path = $1 AND p.name = $2",
            coll,
            name,
        )
    }

    fn event_instances_overlap_in(
        &self,
        coll: &str,
        name: &str,
        start: i64,
        end: i64,
        floating_utc: bool,
    ) -> Result<Option<bool>> {
        let Some(row) = self.instances_row(coll, name)? else {
            return Ok(None);
        };
        if !floating_utc && floating(&row, name)? {
            return Ok(None);
        }
        for s in pairs(&row, name)? {
            // Sorted by start: nothing further on can begin before `end`.
            if s.start >= end {
                break;
            }
            if start < s.end {
                return Ok(Some(true));
            }
        }
        Ok(Some(false))
    }

    fn event_instances(&self, coll: &str, name: &str) -> Result<Option<Vec<TimeSpan>>> {
        match self.instances_row(coll, name)? {
            Some(row) => Ok(Some(pairs(&row, name)?.collect())),
            None => Ok(None),
        }
    }
}

impl PgSnapshot {
    /// One object's rows of a property table (`sql` selects prop and value by path and name).
    fn props_in(
        &self,
        sql: &'static str,
        coll: &str,
        name: &str,
    ) -> Result<BTreeMap<String, Vec<u8>>> {
        self.with_conn(|conn| {
            let rows = conn.query(sql, &[&coll, &name])?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
    }

    fn instances_row(&self, coll: &str, name: &str) -> Result<Option<Vec<u8>>> {
        if let Some(hit) = self.prefetched_instances(coll, name) {
            return Ok(hit);
        }
        self.with_conn(|conn| {
            Ok(conn
                .query_opt(
                    "SELECT o.event_instances FROM collections c \
                     JOIN objects o ON o.owner = c.owner AND o.coll = c.id \
                     WHERE c.path = $1 AND o.name = $2",
                    &[&coll, &name],
                )?
                .and_then(|r| r.get::<_, Option<Vec<u8>>>(0)))
        })
    }
}
