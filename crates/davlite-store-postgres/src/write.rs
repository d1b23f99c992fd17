//! The write operations, each inside the one transaction [`crate::PgStore`] runs it in. They
//! follow the embedded backend step for step (`davlite-store/src/redb_backend/`): the same
//! checks in the same order, so both answer every request alike; each check runs before the
//! first write, and a failed request is rolled back anyway.

use std::collections::HashMap;
use std::sync::Arc;

use davlite_formats::{ObjectInfo, ObjectKind};
use davlite_store::{
    Collection, CollectionKind, Etag, LimitKind, Limits, NewCollection, Precondition, PutOutcome,
    QuotaPolicy, StoreError,
};

use crate::conn::{Conn, Result, corrupt};
use crate::rows::*;

pub(crate) use davlite_store::batch::HashedObject as Hashed;

pub(crate) struct WriteTx<'c> {
    conn: &'c mut Conn,
    now: i64,
    quota: Arc<QuotaPolicy>,
    /// A collection resolved (and share-locked) once for all the writes of a group
    /// ([`WriteTx::pin`]): its path and row, `None` when there is none.
    pinned: Option<(String, Option<CollRow>)>,
}

/// A collection whose state row this transaction has locked, with its state as locked.
struct Locked {
    c: CollRow,
    seq: u64,
    floor: u64,
}

/// Locks the collection's state row (writers of one collection queue here) and its directory
/// row against moves and deletes (`KEY SHARE`: other writers of the collection do not block
/// each other on it). In READ COMMITTED, a row changed by a transaction we waited for is read
/// again in its new version and the `path` condition checked again, so a collection moved or
/// deleted meanwhile is not found.
const LOCK: &str = concat!(
    "SELECT ",
    coll_cols!(),
    ", s.seq, s.floor FROM collections c \
     JOIN collection_state s ON s.owner = c.owner AND s.id = c.id \
     WHERE c.path = $1 FOR KEY SHARE OF c FOR NO KEY UPDATE OF s"
);

/// Resolves the collection of an object write without queuing on its state row yet: only its
/// directory row is share-locked against moves and deletes. The write statement itself
/// ([`PUT_CREATE`], [`PUT_REPLACE`], [`DELETE_WRITE`]), the transaction's last before COMMIT,
/// locks the state row when it bumps the sequence, so writers of one collection queue for that
/// statement and the commit only, not for every round trip before them.
const RESOLVE: &str = concat!(
    "SELECT ",
    coll_cols!(),
    " FROM collections c WHERE c.path = $1 FOR KEY SHARE OF c"
);

/// The state row of a resolved collection, locked: taken before the owner's usage row by a
/// write that checks a quota, so every writer takes the two in one order.
const LOCK_STATE: &str =
    "SELECT 1 FROM collection_state WHERE owner = $1 AND id = $2 FOR NO KEY UPDATE";

/// Like [`LOCK`], for operations that change or delete the collection itself.
const LOCK_FOR_CHANGE: &str = concat!(
    "SELECT ",
    coll_cols!(),
    ", s.seq, s.floor FROM collections c \
     JOIN collection_state s ON s.owner = c.owner AND s.id = c.id \
     WHERE c.path = $1 FOR UPDATE OF c, s"
);

/// A collection and its descendants (paths below `$1/`), parents before children, locked.
const LOCK_SUBTREE: &str = concat!(
    "SELECT ",
    coll_cols!(),
    ", s.seq, s.floor FROM collections c \
     JOIN collection_state s ON s.owner = c.owner AND s.id = c.id \
     WHERE c.path = $1 OR (c.path >= $2 AND c.path < $3) ORDER BY c.path FOR UPDATE OF c, s"
);

const LOG: &str = "WITH s AS (UPDATE collection_state SET seq = seq + 1, modified = $3 \
                     WHERE owner = $1 AND id = $2 RETURNING seq) \
     INSERT INTO changes (owner, coll, name, seq, deleted, is_collection) \
     SELECT $1, $2, $4, s.seq, $5, $6 FROM s \
     ON CONFLICT (owner, coll, name) DO UPDATE \
     SET seq = EXCLUDED.seq, deleted = EXCLUDED.deleted, is_collection = EXCLUDED.is_collection \
     RETURNING seq";

const OBJ_FOR_UPDATE: &str = concat!(
    "SELECT ",
    obj_cols!(),
    " FROM objects o WHERE o.owner = $1 AND o.coll = $2 AND o.name = $3 FOR UPDATE"
);

/// The object at a name (`$3`) and the holder of a UID (`$4`), locked.
const OBJ_OR_UID: &str = concat!(
    "SELECT o.name, ",
    obj_cols!(),
    " FROM objects o WHERE o.owner = $1 AND o.coll = $2 AND (o.name = $3 OR o.uid = $4) \
     FOR UPDATE"
);

const OBJ_FULL: &str = concat!(
    "SELECT ",
    obj_cols!(),
    ", o.event_instances, o.body FROM objects o \
     WHERE o.owner = $1 AND o.coll = $2 AND o.name = $3"
);

const UPSERT_OBJ: &str = "INSERT INTO objects (owner, coll, name, etag, crc, size, seq, \
     modified, content_type, uid, kind, span_start, span_end, instance_count, max_attendees, \
     earliest, latest, event_instances, body) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
     ON CONFLICT (owner, coll, name) DO UPDATE SET etag = EXCLUDED.etag, crc = EXCLUDED.crc, \
     size = EXCLUDED.size, seq = EXCLUDED.seq, modified = EXCLUDED.modified, \
     content_type = EXCLUDED.content_type, uid = EXCLUDED.uid, kind = EXCLUDED.kind, \
     span_start = EXCLUDED.span_start, span_end = EXCLUDED.span_end, \
     instance_count = EXCLUDED.instance_count, max_attendees = EXCLUDED.max_attendees, \
     earliest = EXCLUDED.earliest, latest = EXCLUDED.latest, \
     event_instances = EXCLUDED.event_instances, body = EXCLUDED.body";

const DELETE_OBJ: &str = "WITH p AS (DELETE FROM object_props \
                            WHERE owner = $1 AND coll = $2 AND name = $3) \
     DELETE FROM objects WHERE owner = $1 AND coll = $2 AND name = $3";

/// The writes of a put in one round trip: bump the collection's sequence, log the change,
/// store the object (`$on_conflict`: how an existing row at the name is treated), adjust the
/// owner's usage by `$19` (skipped when 0). Returns the new seq.
macro_rules! put_write {
    ($on_conflict:literal) => {
        concat!(
            "WITH s AS (UPDATE collection_state SET seq = seq + 1, modified = $3::bigint \
               WHERE owner = $1::text AND id = $2::bigint RETURNING seq), \
             l AS (INSERT INTO changes (owner, coll, name, seq, deleted, is_collection) \
               SELECT $1, $2, $4::text, s.seq, false, false FROM s \
               ON CONFLICT (owner, coll, name) DO UPDATE \
               SET seq = EXCLUDED.seq, deleted = EXCLUDED.deleted, \
               is_collection = EXCLUDED.is_collection), \
             o AS (INSERT INTO objects (owner, coll, name, etag, crc, size, seq, modified, \
                 content_type, uid, kind, span_start, span_end, instance_count, max_attendees, \
                 earliest, latest, event_instances, body) \
               SELECT $1, $2, $4, $5::bytea, $6::bigint, $7::bigint, s.seq, $3, $8::text, \
                 $9::text, $10::smallint, $11::bigint, $12::bigint, $13::bigint, $14::bigint, \
                 $15::bigint, $16::bigint, $17::bytea, $18::bytea FROM s ",
            $on_conflict,
            "), \
             t AS (DELETE FROM tombstone_props WHERE owner = $1 AND coll = $2 AND name = $4), \
             u AS (INSERT INTO usage (owner, bytes) SELECT $1, greatest($19::bigint, 0) \
               WHERE $19::bigint <> 0 \
               ON CONFLICT (owner) DO UPDATE SET bytes = greatest(usage.bytes + $19::bigint, 0)) \
             SELECT seq FROM s"
        )
    };
}

/// A put that replaces the object it read (and locked) at the name.
const PUT_REPLACE: &str = put_write!(
    "ON CONFLICT (owner, coll, name) DO UPDATE SET etag = EXCLUDED.etag, crc = EXCLUDED.crc, \
     size = EXCLUDED.size, seq = EXCLUDED.seq, modified = EXCLUDED.modified, \
     content_type = EXCLUDED.content_type, uid = EXCLUDED.uid, kind = EXCLUDED.kind, \
     span_start = EXCLUDED.span_start, span_end = EXCLUDED.span_end, \
     instance_count = EXCLUDED.instance_count, max_attendees = EXCLUDED.max_attendees, \
     earliest = EXCLUDED.earliest, latest = EXCLUDED.latest, \
     event_instances = EXCLUDED.event_instances, body = EXCLUDED.body"
);

/// A put that found no object at the name. Nothing locks a row that does not exist yet, so a
/// racing create of the same name (or UID) may have committed since: then this insert fails
/// with a unique violation, the transaction is run again, and its checks see the winner's row
/// (`If-None-Match: *` answers 412, a second UID `no-uid-conflict`).
const PUT_CREATE: &str = put_write!("");

/// The writes of a delete in one round trip: bump the sequence, log the deletion, remove the
/// object and its properties, give its `$5` bytes back to the owner.
const DELETE_WRITE: &str = "WITH s AS (UPDATE collection_state SET seq = seq + 1, \
       modified = $3::bigint WHERE owner = $1::text AND id = $2::bigint RETURNING seq), \
     l AS (INSERT INTO changes (owner, coll, name, seq, deleted, is_collection) \
       SELECT $1, $2, $4::text, s.seq, true, false FROM s \
       ON CONFLICT (owner, coll, name) DO UPDATE \
       SET seq = EXCLUDED.seq, deleted = EXCLUDED.deleted, is_collection = EXCLUDED.is_collection), \
     p AS (DELETE FROM object_props WHERE owner = $1 AND coll = $2 AND name = $4 \
       RETURNING prop, value), \
     t AS (INSERT INTO tombstone_props (owner, coll, name, prop, value) \
       SELECT $1, $2, $4, prop, value FROM p \
       ON CONFLICT (owner, coll, name, prop) DO UPDATE SET value = EXCLUDED.value), \
     o AS (DELETE FROM objects WHERE owner = $1 AND coll = $2 AND name = $4), \
     u AS (UPDATE usage SET bytes = greatest(bytes - $5::bigint, 0) \
       WHERE owner = $1 AND $5::bigint <> 0) \
     SELECT seq FROM s";

/// Every row of one collection, in one statement; returns the bytes its objects held.
const DROP_COLLECTION: &str = "WITH o AS (DELETE FROM objects WHERE owner = $1 AND coll = $2 \
                                 RETURNING size), \
     p AS (DELETE FROM object_props WHERE owner = $1 AND coll = $2), \
     tp AS (DELETE FROM tombstone_props WHERE owner = $1 AND coll = $2), \
     ch AS (DELETE FROM changes WHERE owner = $1 AND coll = $2), \
     cp AS (DELETE FROM collection_props WHERE owner = $1 AND coll = $2), \
     st AS (DELETE FROM collection_state WHERE owner = $1 AND id = $2), \
     c AS (DELETE FROM collections WHERE owner = $1 AND id = $2) \
     SELECT coalesce(sum(size), 0)::bigint FROM o";

const INSERT_COLLECTION: &str = "WITH c AS (INSERT INTO collections (owner, id, path, parent_id, \
       kind, max_size, components, min_date, max_date, max_instances, max_attendees) \
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)) \
     INSERT INTO collection_state (owner, id, seq, floor, modified) VALUES ($1, $2, 0, 0, $12)";

/// `add - sub` as a signed change of usage, saturated.
fn usage_delta(add: u64, sub: u64) -> i64 {
    let delta = add as i128 - sub as i128;
    i64::try_from(delta).unwrap_or(if delta > 0 { i64::MAX } else { i64::MIN })
}

/// Whether an object of `kind` may live in `coll`.
fn check_kind(coll: &CollRow, kind: ObjectKind) -> Result<()> {
    match (coll.kind, kind) {
        (CollectionKind::Calendar, k) if k.is_calendar() => {
            if coll.limits.components.contains(k) {
                Ok(())
            } else {
                Err(StoreError::UnsupportedComponent)
            }
        }
        (CollectionKind::AddressBook, ObjectKind::Card) => Ok(()),
        (CollectionKind::Plain, ObjectKind::Other) => Ok(()),
        (CollectionKind::Calendar, _) => Err(StoreError::WrongKind {
            reason: "a calendar holds only calendar objects",
        }),
        (CollectionKind::AddressBook, _) => Err(StoreError::WrongKind {
            reason: "an address book holds only vCards",
        }),
        (CollectionKind::Plain, _) => Err(StoreError::WrongKind {
            reason: "calendar objects and vCards belong in calendars and address books",
        }),
    }
}

/// The collection's size and content limits, checked against what the parser extracted.
fn check_limits(
    l: &Limits,
    size: u64,
    earliest: Option<i64>,
    latest: Option<i64>,
    instances: Option<u64>,
    max_attendees: u32,
) -> Result<()> {
    if let Some(limit) = l.max_resource_size {
        if size > limit {
            return Err(StoreError::TooLarge { limit });
        }
    }
    if let (Some(min), Some(earliest)) = (l.min_date, earliest) {
        if earliest < min {
            return Err(StoreError::LimitViolated(LimitKind::MinDate));
        }
    }
    if let (Some(max), Some(latest)) = (l.max_date, latest) {
        if latest > max {
            return Err(StoreError::LimitViolated(LimitKind::MaxDate));
        }
    }
    if let (Some(max), Some(n)) = (l.max_instances, instances) {
        if n > max {
            return Err(StoreError::LimitViolated(LimitKind::MaxInstances));
        }
    }
    if let Some(max) = l.max_attendees {
        if max_attendees > max {
            return Err(StoreError::LimitViolated(LimitKind::MaxAttendees));
        }
    }
    Ok(())
}

fn check_info_limits(l: &Limits, size: u64, info: &ObjectInfo) -> Result<()> {
    check_limits(
        l,
        size,
        info.earliest,
        info.latest,
        info.instances,
        info.max_attendees,
    )
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

/// A path the store can hold: `/`-separated non-empty segments, no NUL, no dot segments.
pub(crate) fn check_path(path: &str) -> Result<()> {
    if path.is_empty() || path.split('/').any(|s| !valid_segment(s)) {
        return Err(StoreError::InvalidPath);
    }
    Ok(())
}

fn check_name(name: &str) -> Result<()> {
    if valid_segment(name) {
        Ok(())
    } else {
        Err(StoreError::InvalidPath)
    }
}

fn valid_segment(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\0'])
}

fn split_parent(path: &str) -> (Option<&str>, &str) {
    match path.rsplit_once('/') {
        Some((parent, name)) => (Some(parent), name),
        None => (None, path),
    }
}

/// The bounds of the paths strictly below `path` in byte order: `path/` up to `path0`.
pub(crate) fn below(path: &str) -> (String, String) {
    (format!("{path}/"), format!("{path}0"))
}

fn member_path(coll: &str, name: &str) -> String {
    format!("{coll}/{name}")
}

/// Where a new (moved, copied) collection would go.
struct Slot {
    /// The parent's id (0 for the root) and owner.
    parent: i64,
    parent_owner: Option<String>,
    existing: Option<Occupant>,
}

enum Occupant {
    Collection,
    Object(Etag),
}

/// An object read whole for a copy or move.
struct FullObj {
    rec: ObjRow,
    instances: Option<Vec<u8>>,
    body: Vec<u8>,
}

impl<'c> WriteTx<'c> {
    /// Runs statements without parameters in this transaction (savepoints).
    pub fn statements(&mut self, sql: &str) -> Result<()> {
        self.conn.batch(sql)
    }

    pub fn new(conn: &'c mut Conn, now: i64, quota: Arc<QuotaPolicy>) -> Self {
        WriteTx {
            conn,
            now,
            quota,
            pinned: None,
        }
    }

    /// Resolves the collection at `path` for every object write of this transaction that
    /// follows: a group of writes to one collection reads its row once instead of once per
    /// write. Its `KEY SHARE` lock is taken here, outside any savepoint, so it holds to the end
    /// of the transaction whatever a savepoint undoes. No write a group holds (a
    /// [`davlite_store::WriteOp`]) changes a collection's row, so the pinned row stays true.
    pub fn pin(&mut self, path: &str) -> Result<()> {
        self.pinned = None;
        let c = self.resolve(path)?;
        self.pinned = Some((path.to_owned(), c));
        Ok(())
    }

    fn locked(&mut self, sql: &'static str, path: &str) -> Result<Option<Locked>> {
        match self.conn.query_opt(sql, &[&path])? {
            Some(row) => Ok(Some(Locked {
                c: coll_row(&row)?,
                seq: from_db(row.get(COLL_COLS)),
                floor: from_db(row.get(COLL_COLS + 1)),
            })),
            None => Ok(None),
        }
    }

    fn lock(&mut self, path: &str) -> Result<Option<Locked>> {
        self.locked(LOCK, path)
    }

    fn resolve(&mut self, path: &str) -> Result<Option<CollRow>> {
        if let Some((pinned, c)) = &self.pinned
            && pinned == path
        {
            return Ok(c.clone());
        }
        match self.conn.query_opt(RESOLVE, &[&path])? {
            Some(row) => Ok(Some(coll_row(&row)?)),
            None => Ok(None),
        }
    }

    fn lock_state(&mut self, c: &CollRow) -> Result<()> {
        self.conn.query_opt(LOCK_STATE, &[&c.owner, &c.id])?;
        Ok(())
    }

    fn lock_subtree(&mut self, path: &str) -> Result<Vec<CollRow>> {
        let (lo, hi) = below(path);
        let rows = self.conn.query(LOCK_SUBTREE, &[&path, &lo, &hi])?;
        rows.iter().map(coll_row).collect()
    }

    fn owner_of(&mut self, id: i64) -> Result<String> {
        let row = self
            .conn
            .query_opt("SELECT owner FROM collections WHERE id = $1", &[&id])?;
        row.map(|r| r.get(0))
            .ok_or_else(|| corrupt(format!("collection {id} has no record")))
    }

    fn collection_exists(&mut self, path: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_opt("SELECT 1 FROM collections WHERE path = $1", &[&path])?
            .is_some())
    }

    /// Records the latest operation on `name` in collection (`owner`, `id`), replacing its
    /// previous entry, and returns the collection's new sequence number.
    fn log(
        &mut self,
        owner: &str,
        id: i64,
        name: &str,
        deleted: bool,
        is_coll: bool,
    ) -> Result<u64> {
        if !deleted && !is_coll {
            // The name holds an object again: what its deleted predecessor held is forgotten.
            self.conn.execute(
                "DELETE FROM tombstone_props WHERE owner = $1 AND coll = $2 AND name = $3",
                &[&owner, &id, &name],
            )?;
        }
        let row = self
            .conn
            .query_opt(LOG, &[&owner, &id, &self.now, &name, &deleted, &is_coll])?;
        match row {
            Some(r) => Ok(from_db(r.get(0))),
            None => Err(corrupt(format!("collection {id} has no state"))),
        }
    }

    fn log_parent(&mut self, parent: i64, name: &str, deleted: bool) -> Result<()> {
        if parent != 0 {
            let owner = self.owner_of(parent)?;
            self.log(&owner, parent, name, deleted, true)?;
        }
        Ok(())
    }

    fn obj(&mut self, c: &CollRow, name: &str) -> Result<Option<ObjRow>> {
        match self
            .conn
            .query_opt(OBJ_FOR_UPDATE, &[&c.owner, &c.id, &name])?
        {
            Some(row) => Ok(Some(obj_row(&row, 0)?)),
            None => Ok(None),
        }
    }

    fn full_obj(&mut self, c: &CollRow, name: &str) -> Result<Option<FullObj>> {
        match self.conn.query_opt(OBJ_FULL, &[&c.owner, &c.id, &name])? {
            Some(row) => {
                let rec = obj_row(&row, 0)?;
                let body: Vec<u8> = row.get(OBJ_COLS + 1);
                check_body(name, &body, rec.size, rec.crc)?;
                Ok(Some(FullObj {
                    rec,
                    instances: row.get(OBJ_COLS),
                    body,
                }))
            }
            None => Ok(None),
        }
    }

    /// The UID must be free in the collection or held by one of `allowed`.
    fn check_uid(&mut self, c: &CollRow, uid: Option<&str>, allowed: &[&str]) -> Result<()> {
        let Some(uid) = uid else { return Ok(()) };
        let row = self.conn.query_opt(
            "SELECT name FROM objects WHERE owner = $1 AND coll = $2 AND uid = $3",
            &[&c.owner, &c.id, &uid],
        )?;
        if let Some(row) = row {
            let holder: String = row.get(0);
            if !allowed.contains(&holder.as_str()) {
                return Err(StoreError::UidConflict { existing: holder });
            }
        }
        Ok(())
    }

    /// QuotaExceeded when adding `add` bytes (after freeing `sub`) would pass the owner's
    /// quota. The owner's usage row is locked first, so racing writers of one owner are
    /// checked one after the other.
    fn check_quota(&mut self, owner: &str, add: u64, sub: u64) -> Result<()> {
        let Some(quota) = self.quota.limit(owner) else {
            return Ok(());
        };
        if add <= sub {
            return Ok(());
        }
        let row = self.conn.query_one(
            "INSERT INTO usage (owner, bytes) VALUES ($1, 0) \
             ON CONFLICT (owner) DO UPDATE SET bytes = usage.bytes RETURNING bytes",
            &[&owner],
        )?;
        let used = from_db(row.get(0));
        if used.saturating_add(add - sub) > quota {
            return Err(StoreError::QuotaExceeded);
        }
        Ok(())
    }

    fn add_usage(&mut self, owner: &str, add: u64, sub: u64) -> Result<()> {
        let delta = usage_delta(add, sub);
        if delta == 0 {
            return Ok(());
        }
        self.conn.execute(
            "INSERT INTO usage (owner, bytes) VALUES ($1, greatest($2::bigint, 0)) \
             ON CONFLICT (owner) DO UPDATE SET bytes = greatest(usage.bytes + $2, 0)",
            &[&owner, &delta],
        )?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn write_object(
        &mut self,
        c: &CollRow,
        name: &str,
        rec: &ObjRow,
        instances: Option<&[u8]>,
        body: &[u8],
    ) -> Result<()> {
        let crc = i64::from(rec.crc);
        let size = to_db(rec.size);
        let seq = to_db(rec.seq);
        let kind = i16::from(rec.kind.code());
        let (span_start, span_end) = match rec.span {
            Some(s) => (Some(s.start), Some(s.end)),
            None => (None, None),
        };
        let count = rec.instances.map(to_db);
        let attendees = i64::from(rec.max_attendees);
        self.conn.execute(
            UPSERT_OBJ,
            &[
                &c.owner,
                &c.id,
                &name,
                &&rec.etag.0[..],
                &crc,
                &size,
                &seq,
                &rec.modified,
                &rec.content_type,
                &rec.uid,
                &kind,
                &span_start,
                &span_end,
                &count,
                &attendees,
                &rec.earliest,
                &rec.latest,
                &instances,
                &body,
            ],
        )?;
        Ok(())
    }

    fn remove_object(&mut self, c: &CollRow, name: &str) -> Result<()> {
        self.conn.execute(DELETE_OBJ, &[&c.owner, &c.id, &name])?;
        Ok(())
    }

    // ----- objects -----

    pub fn put(
        &mut self,
        coll: &str,
        name: &str,
        object: &Hashed,
        pre: &Precondition,
    ) -> Result<PutOutcome> {
        let Hashed { object, etag, crc } = object;
        let (etag, crc) = (*etag, *crc);
        check_name(name)?;
        let c = self.resolve(coll)?.ok_or(StoreError::ParentNotFound)?;
        check_kind(&c, object.info().kind)?;
        if c.kind == CollectionKind::Plain && self.collection_exists(&member_path(coll, name))? {
            return Err(StoreError::AlreadyExists);
        }
        if self.quota.limit(&c.owner).is_some() {
            self.lock_state(&c)?;
        }
        // The object at `name` (locked, so a racing update or delete of it waits for us or we
        // for it, and we read its latest version) and the holder of the new UID, in one
        // statement. A row a racing writer has not committed yet is not seen here; its unique
        // keys stop our write instead (see `PUT_CREATE`).
        let new_uid = object.info().uid.as_deref();
        let mut old = None;
        let mut holder = None;
        for row in self
            .conn
            .query(OBJ_OR_UID, &[&c.owner, &c.id, &name, &new_uid])?
        {
            let at: String = row.get(0);
            let rec = obj_row(&row, 1)?;
            if rec.uid.is_some() && rec.uid.as_deref() == new_uid {
                holder = Some(at.clone());
            }
            if at == name {
                old = Some(rec);
            }
        }
        let current = old.as_ref().map(|o| o.etag);
        let unchanged = old
            .as_ref()
            .is_some_and(|o| o.etag == etag && o.content_type == object.content_type());
        if let Err(e) = check_precondition(pre, current) {
            // A retried update whose answer was lost: the bytes are already there.
            if unchanged && matches!(pre, Precondition::IfMatch(_)) {
                return Ok(PutOutcome {
                    etag,
                    created: false,
                    changed: false,
                    seq: None,
                });
            }
            return Err(e);
        }
        if unchanged {
            return Ok(PutOutcome {
                etag,
                created: false,
                changed: false,
                seq: None,
            });
        }
        if let Some(old) = &old {
            if old.uid.is_some() && old.uid.as_deref() != new_uid {
                return Err(StoreError::UidConflict {
                    existing: name.to_owned(),
                });
            }
        }
        if let Some(holder) = holder.filter(|h| h != name) {
            return Err(StoreError::UidConflict { existing: holder });
        }
        let size = object.bytes().len() as u64;
        check_info_limits(&c.limits, size, object.info())?;
        let old_size = old.as_ref().map_or(0, |o| o.size);
        self.check_quota(&c.owner, size, old_size)?;

        let info = object.info();
        let packed = info
            .event_instances
            .as_ref()
            .map(|list| pack(list, info.floating));
        let (span_start, span_end) = match info.span {
            Some(s) => (Some(s.start), Some(s.end)),
            None => (None, None),
        };
        let delta = usage_delta(size, old_size);
        let row = self.conn.query_opt(
            if old.is_some() {
                PUT_REPLACE
            } else {
                PUT_CREATE
            },
            &[
                &c.owner,
                &c.id,
                &self.now,
                &name,
                &&etag.0[..],
                &i64::from(crc),
                &to_db(size),
                &object.content_type(),
                &info.uid,
                &i16::from(info.kind.code()),
                &span_start,
                &span_end,
                &info.instances.map(to_db),
                &i64::from(info.max_attendees),
                &info.earliest,
                &info.latest,
                &packed,
                &object.bytes(),
                &delta,
            ],
        )?;
        let Some(row) = row else {
            return Err(corrupt(format!("collection {} has no state", c.id)));
        };
        let seq: u64 = from_db(row.get(0));
        Ok(PutOutcome {
            etag,
            created: old.is_none(),
            changed: true,
            seq: Some(seq),
        })
    }

    pub fn delete(&mut self, coll: &str, name: &str, pre: &Precondition) -> Result<()> {
        let c = self.resolve(coll)?.ok_or(StoreError::NotFound)?;
        // Conditionals are ignored when the request would fail without them (RFC 9110 §13.2.1).
        let old = self.obj(&c, name)?.ok_or(StoreError::NotFound)?;
        check_precondition(pre, Some(old.etag))?;
        let row = self.conn.query_opt(
            DELETE_WRITE,
            &[&c.owner, &c.id, &self.now, &name, &to_db(old.size)],
        )?;
        if row.is_none() {
            return Err(corrupt(format!("collection {} has no state", c.id)));
        }
        Ok(())
    }

    /// Copy (or move, when `remove_source`) one object; `pre` applies to the source.
    pub fn transfer(
        &mut self,
        from: (&str, &str),
        to: (&str, &str),
        overwrite: bool,
        pre: &Precondition,
        remove_source: bool,
    ) -> Result<PutOutcome> {
        check_name(to.1)?;
        // Both collections' state rows, in path order, so two transfers in opposite
        // directions queue instead of deadlocking.
        let (src_c, dst_c) = if from.0 == to.0 {
            let c = self.lock(from.0)?.map(|l| l.c);
            (c.clone(), c)
        } else if from.0 < to.0 {
            let s = self.lock(from.0)?.map(|l| l.c);
            (s, self.lock(to.0)?.map(|l| l.c))
        } else {
            let d = self.lock(to.0)?.map(|l| l.c);
            (self.lock(from.0)?.map(|l| l.c), d)
        };
        let src_c = src_c.ok_or(StoreError::NotFound)?;
        let src = self.obj(&src_c, from.1)?.ok_or(StoreError::NotFound)?;
        check_precondition(pre, Some(src.etag))?;
        let dst_c = dst_c.ok_or(StoreError::ParentNotFound)?;
        if src_c.id == dst_c.id && from.1 == to.1 {
            return Err(StoreError::WrongKind {
                reason: "source and destination are the same",
            });
        }
        check_kind(&dst_c, src.kind)?;
        if self.collection_exists(&member_path(to.0, to.1))? {
            return Err(StoreError::AlreadyExists);
        }
        let existing = self.obj(&dst_c, to.1)?;
        if let (Some(e), false) = (&existing, overwrite) {
            return Err(StoreError::PreconditionFailed {
                current: Some(e.etag),
            });
        }
        // A rename inside one collection keeps its UID: not a conflict with itself.
        let allowed: &[&str] = if remove_source && src_c.id == dst_c.id {
            &[to.1, from.1]
        } else {
            &[to.1]
        };
        self.check_uid(&dst_c, src.uid.as_deref(), allowed)?;
        check_limits(
            &dst_c.limits,
            src.size,
            src.earliest,
            src.latest,
            src.instances,
            src.max_attendees,
        )?;
        let freed = existing.as_ref().map_or(0, |o| o.size)
            + if remove_source && src_c.owner == dst_c.owner {
                src.size
            } else {
                0
            };
        self.check_quota(&dst_c.owner, src.size, freed)?;

        let full = self
            .full_obj(&src_c, from.1)?
            .ok_or_else(|| corrupt("an object vanished under its lock"))?;
        // COPY and MOVE take the source's dead properties along (RFC 4918 §9.8.2, §9.9.1).
        self.conn.execute(
            "DELETE FROM object_props WHERE owner = $1 AND coll = $2 AND name = $3",
            &[&dst_c.owner, &dst_c.id, &to.1],
        )?;
        self.conn.execute(
            "INSERT INTO object_props (owner, coll, name, prop, value) \
             SELECT $1, $2, $3, prop, value FROM object_props \
             WHERE owner = $4 AND coll = $5 AND name = $6",
            &[
                &dst_c.owner,
                &dst_c.id,
                &to.1,
                &src_c.owner,
                &src_c.id,
                &from.1,
            ],
        )?;
        if remove_source {
            self.log(&src_c.owner, src_c.id, from.1, true, false)?;
            self.conn.execute(
                "INSERT INTO tombstone_props (owner, coll, name, prop, value) \
                 SELECT owner, coll, name, prop, value FROM object_props \
                 WHERE owner = $1 AND coll = $2 AND name = $3 \
                 ON CONFLICT (owner, coll, name, prop) DO UPDATE SET value = EXCLUDED.value",
                &[&src_c.owner, &src_c.id, &from.1],
            )?;
            self.remove_object(&src_c, from.1)?;
            self.add_usage(&src_c.owner, 0, src.size)?;
        }
        let seq = self.log(&dst_c.owner, dst_c.id, to.1, false, false)?;
        let rec = ObjRow {
            seq,
            modified: self.now,
            ..full.rec
        };
        self.write_object(&dst_c, to.1, &rec, full.instances.as_deref(), &full.body)?;
        self.add_usage(
            &dst_c.owner,
            src.size,
            existing.as_ref().map_or(0, |o| o.size),
        )?;
        Ok(PutOutcome {
            etag: src.etag,
            created: existing.is_none(),
            changed: true,
            seq: Some(seq),
        })
    }

    pub fn update_object_props(
        &mut self,
        coll: &str,
        name: &str,
        changes: &[(String, Option<Vec<u8>>)],
        pre: &Precondition,
    ) -> Result<()> {
        let c = self.lock(coll)?.ok_or(StoreError::NotFound)?.c;
        let old = self.obj(&c, name)?.ok_or(StoreError::NotFound)?;
        check_precondition(pre, Some(old.etag))?;
        for (k, v) in changes {
            match v {
                Some(v) => self.conn.execute(
                    "INSERT INTO object_props (owner, coll, name, prop, value) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (owner, coll, name, prop) DO UPDATE SET value = EXCLUDED.value",
                    &[&c.owner, &c.id, &name, k, v],
                )?,
                None => self.conn.execute(
                    "DELETE FROM object_props \
                     WHERE owner = $1 AND coll = $2 AND name = $3 AND prop = $4",
                    &[&c.owner, &c.id, &name, k],
                )?,
            };
        }
        Ok(())
    }

    // ----- collections -----

    fn slot(&mut self, path: &str) -> Result<Slot> {
        check_path(path)?;
        let (parent_path, name) = split_parent(path);
        let (parent, parent_c) = match parent_path {
            None => (0, None),
            Some(p) => {
                let l = self.lock(p)?.ok_or(StoreError::ParentNotFound)?;
                if l.c.kind != CollectionKind::Plain {
                    return Err(StoreError::WrongKind {
                        reason: "collections cannot be nested inside calendars or address books",
                    });
                }
                (l.c.id, Some(l.c))
            }
        };
        let existing = if self.collection_exists(path)? {
            Some(Occupant::Collection)
        } else if let Some(pc) = &parent_c {
            self.obj(pc, name)?.map(|o| Occupant::Object(o.etag))
        } else {
            None
        };
        Ok(Slot {
            parent,
            parent_owner: parent_c.map(|c| c.owner),
            existing,
        })
    }

    fn collection_at(&mut self, id: i64) -> Result<Collection> {
        let row = self
            .conn
            .query_opt(full_coll_query!("WHERE c.id = $1"), &[&id])?
            .ok_or_else(|| corrupt(format!("collection {id} has no record")))?;
        full_collection(&row)
    }

    fn next_id(&mut self) -> Result<i64> {
        Ok(self
            .conn
            .query_one("SELECT nextval('collection_ids')", &[])?
            .get(0))
    }

    fn insert_collection(
        &mut self,
        owner: &str,
        id: i64,
        path: &str,
        parent: i64,
        kind: CollectionKind,
        l: &Limits,
    ) -> Result<()> {
        self.conn.execute(
            INSERT_COLLECTION,
            &[
                &owner,
                &id,
                &path,
                &parent,
                &kind_code(kind),
                &l.max_resource_size.map(to_db),
                &i16::from(l.components.0),
                &l.min_date,
                &l.max_date,
                &l.max_instances.map(to_db),
                &l.max_attendees.map(i64::from),
                &self.now,
            ],
        )?;
        Ok(())
    }

    pub fn create_collection(&mut self, path: &str, new: &NewCollection) -> Result<Collection> {
        let slot = self.slot(path)?;
        if slot.existing.is_some() {
            return Err(StoreError::AlreadyExists);
        }
        let id = self.next_id()?;
        self.insert_collection(&new.owner, id, path, slot.parent, new.kind, &new.limits)?;
        for (k, v) in &new.props {
            self.conn.execute(
                "INSERT INTO collection_props (owner, coll, prop, value) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (owner, coll, prop) DO UPDATE SET value = EXCLUDED.value",
                &[&new.owner, &id, k, v],
            )?;
        }
        self.log_parent(slot.parent, split_parent(path).1, false)?;
        self.collection_at(id)
    }

    /// Removes a collection and everything below it (already locked by [`Self::lock_subtree`]).
    fn drop_subtree(&mut self, tree: &[CollRow]) -> Result<()> {
        for c in tree {
            let freed: i64 = self
                .conn
                .query_one(DROP_COLLECTION, &[&c.owner, &c.id])?
                .get(0);
            self.add_usage(&c.owner, 0, from_db(freed))?;
        }
        Ok(())
    }

    pub fn delete_collection(&mut self, path: &str) -> Result<()> {
        check_path(path)?;
        let tree = self.lock_subtree(path)?;
        let Some(top) = tree.first().filter(|c| c.path == path).cloned() else {
            return Err(StoreError::NotFound);
        };
        self.drop_subtree(&tree)?;
        self.log_parent(top.parent, top.name(), true)?;
        Ok(())
    }

    /// The check of `WriteOp::CollectionProps`'s `expect`, under the row lock every writer of
    /// the collection's properties takes first, so the values read stay current until commit.
    pub fn expect_props(&mut self, path: &str, expect: &[(String, Option<Vec<u8>>)]) -> Result<()> {
        check_path(path)?;
        let c = self
            .locked(LOCK_FOR_CHANGE, path)?
            .ok_or(StoreError::NotFound)?
            .c;
        let keys: Vec<&str> = expect.iter().map(|(k, _)| k.as_str()).collect();
        let rows = self.conn.query(
            "SELECT prop, value FROM collection_props \
             WHERE owner = $1 AND coll = $2 AND prop = ANY($3)",
            &[&c.owner, &c.id, &keys],
        )?;
        let current = rows
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, Vec<u8>>(1)))
            .collect();
        davlite_store::batch::expected_props(&current, expect)
    }

    pub fn update_collection(
        &mut self,
        path: &str,
        props: &[(String, Option<Vec<u8>>)],
        limits: Option<Limits>,
    ) -> Result<Collection> {
        check_path(path)?;
        let c = self
            .locked(LOCK_FOR_CHANGE, path)?
            .ok_or(StoreError::NotFound)?
            .c;
        for (k, v) in props {
            match v {
                Some(v) => self.conn.execute(
                    "INSERT INTO collection_props (owner, coll, prop, value) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (owner, coll, prop) DO UPDATE SET value = EXCLUDED.value",
                    &[&c.owner, &c.id, k, v],
                )?,
                None => self.conn.execute(
                    "DELETE FROM collection_props WHERE owner = $1 AND coll = $2 AND prop = $3",
                    &[&c.owner, &c.id, k],
                )?,
            };
        }
        if let Some(l) = limits {
            self.conn.execute(
                "UPDATE collections SET max_size = $3, components = $4, min_date = $5, \
                 max_date = $6, max_instances = $7, max_attendees = $8 \
                 WHERE owner = $1 AND id = $2",
                &[
                    &c.owner,
                    &c.id,
                    &l.max_resource_size.map(to_db),
                    &i16::from(l.components.0),
                    &l.min_date,
                    &l.max_date,
                    &l.max_instances.map(to_db),
                    &l.max_attendees.map(i64::from),
                ],
            )?;
        }
        self.conn.execute(
            "UPDATE collection_state SET modified = $3 WHERE owner = $1 AND id = $2",
            &[&c.owner, &c.id, &self.now],
        )?;
        self.log_parent(c.parent, c.name(), false)?;
        self.collection_at(c.id)
    }

    fn prune_locked(&mut self, l: &Locked, upto: u64) -> Result<u64> {
        let upto = upto.min(l.seq);
        if upto <= l.floor {
            return Ok(0);
        }
        let dropped: i64 = self
            .conn
            .query_one(
                "WITH d AS (DELETE FROM changes WHERE owner = $1 AND coll = $2 AND deleted \
                   AND seq > $3 AND seq <= $4 RETURNING name), \
                 t AS (DELETE FROM tombstone_props WHERE owner = $1 AND coll = $2 \
                   AND name IN (SELECT name FROM d)) \
                 SELECT count(*) FROM d",
                &[&l.c.owner, &l.c.id, &to_db(l.floor), &to_db(upto)],
            )?
            .get(0);
        self.conn.execute(
            "UPDATE collection_state SET floor = $3 WHERE owner = $1 AND id = $2",
            &[&l.c.owner, &l.c.id, &to_db(upto)],
        )?;
        Ok(from_db(dropped))
    }

    /// Drops delete tombstones logged at or before `upto` and raises the floor to it.
    pub fn prune_changes(&mut self, path: &str, upto: u64) -> Result<u64> {
        check_path(path)?;
        let l = self.lock(path)?.ok_or(StoreError::NotFound)?;
        self.prune_locked(&l, upto)
    }

    /// Drops the oldest delete tombstones of `path` beyond the newest `keep`.
    pub fn prune_tombstones(&mut self, path: &str, keep: u64) -> Result<u64> {
        let l = self.lock(path)?.ok_or(StoreError::NotFound)?;
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        let row = self.conn.query_opt(
            "SELECT seq FROM changes WHERE owner = $1 AND coll = $2 AND deleted AND seq > $3 \
             ORDER BY seq DESC OFFSET $4 LIMIT 1",
            &[&l.c.owner, &l.c.id, &to_db(l.floor), &keep],
        )?;
        match row {
            None => Ok(0),
            Some(r) => self.prune_locked(&l, from_db(r.get(0))),
        }
    }

    /// Checks shared by move and copy; returns the source subtree (locked, source first) and
    /// the destination slot.
    fn relocation(
        &mut self,
        from: &str,
        to: &str,
        overwrite: bool,
    ) -> Result<(Vec<CollRow>, Slot)> {
        check_path(from)?;
        let tree = self.lock_subtree(from)?;
        if tree.first().is_none_or(|c| c.path != from) {
            return Err(StoreError::NotFound);
        }
        if from == to {
            return Err(StoreError::WrongKind {
                reason: "source and destination are the same",
            });
        }
        if to.starts_with(from) && to.as_bytes().get(from.len()) == Some(&b'/') {
            return Err(StoreError::WrongKind {
                reason: "a collection cannot go inside itself",
            });
        }
        if from.starts_with(to) && from.as_bytes().get(to.len()) == Some(&b'/') {
            return Err(StoreError::WrongKind {
                reason: "a collection cannot replace one of its ancestors",
            });
        }
        let slot = self.slot(to)?;
        match (&slot.existing, overwrite) {
            (Some(Occupant::Object(etag)), false) => {
                return Err(StoreError::PreconditionFailed {
                    current: Some(*etag),
                });
            }
            (Some(Occupant::Collection), false) => {
                return Err(StoreError::PreconditionFailed { current: None });
            }
            _ => {}
        }
        Ok((tree, slot))
    }

    /// Removes what occupies `path` (after the checks of an overwriting move or copy).
    fn clear(&mut self, path: &str, slot: &Slot) -> Result<()> {
        match slot.existing {
            None => {}
            Some(Occupant::Collection) => {
                let tree = self.lock_subtree(path)?;
                self.drop_subtree(&tree)?;
            }
            Some(Occupant::Object(_)) => {
                let name = split_parent(path).1;
                let owner = slot.parent_owner.clone().unwrap_or_default();
                let parent = CollRow {
                    id: slot.parent,
                    owner,
                    parent: 0,
                    path: String::new(),
                    kind: CollectionKind::Plain,
                    limits: Limits::default(),
                };
                let old = self.obj(&parent, name)?.ok_or(StoreError::NotFound)?;
                self.remove_object(&parent, name)?;
                self.add_usage(&parent.owner, 0, old.size)?;
            }
        }
        Ok(())
    }

    pub fn move_collection(&mut self, from: &str, to: &str, overwrite: bool) -> Result<bool> {
        let (tree, slot) = self.relocation(from, to, overwrite)?;
        let top = tree[0].clone();
        let created = slot.existing.is_none();
        self.clear(to, &slot)?;
        let (lo, hi) = below(from);
        let keep_from = from.chars().count() as i32 + 1;
        self.conn.execute(
            "UPDATE collections SET path = $2 || substr(path, $3) \
             WHERE path = $1 OR (path >= $4 AND path < $5)",
            &[&from, &to, &keep_from, &lo, &hi],
        )?;
        self.conn.execute(
            "UPDATE collections SET parent_id = $3 WHERE owner = $1 AND id = $2",
            &[&top.owner, &top.id, &slot.parent],
        )?;
        self.log_parent(top.parent, top.name(), true)?;
        self.log_parent(slot.parent, split_parent(to).1, false)?;
        Ok(created)
    }

    pub fn copy_collection(&mut self, from: &str, to: &str, overwrite: bool) -> Result<bool> {
        let (tree, slot) = self.relocation(from, to, overwrite)?;
        let created = slot.existing.is_none();
        // The copy belongs to the destination's owner when it has a parent.
        let owner = slot
            .parent_owner
            .clone()
            .unwrap_or_else(|| tree[0].owner.clone());
        // Read every body now, so a corrupt one fails the copy before anything is written.
        let mut total = 0u64;
        for c in &tree {
            let rows = self.conn.query(
                "SELECT name, crc, size, body FROM objects WHERE owner = $1 AND coll = $2",
                &[&c.owner, &c.id],
            )?;
            for r in &rows {
                let name: String = r.get(0);
                let crc: i64 = r.get(1);
                let size = from_db(r.get(2));
                let body: &[u8] = r.get(3);
                let crc = u32::try_from(crc).map_err(|_| corrupt("a crc32 out of range"))?;
                check_body(&name, body, size, crc)?;
                total += size;
            }
        }
        self.check_quota(&owner, total, 0)?;
        self.clear(to, &slot)?;
        let mut new_ids: HashMap<i64, i64> = HashMap::new();
        let root = tree[0].id;
        for c in &tree {
            let nid = self.next_id()?;
            let parent = if c.id == root {
                slot.parent
            } else {
                *new_ids
                    .get(&c.parent)
                    .ok_or_else(|| corrupt(format!("collection {} lost its parent", c.id)))?
            };
            new_ids.insert(c.id, nid);
            let path = format!("{to}{}", &c.path[from.len()..]);
            self.insert_collection(&owner, nid, &path, parent, c.kind, &c.limits)?;
            self.conn.execute(
                "INSERT INTO collection_props (owner, coll, prop, value) \
                 SELECT $1, $2, prop, value FROM collection_props WHERE owner = $3 AND coll = $4",
                &[&owner, &nid, &c.owner, &c.id],
            )?;
            // The members, logged in name order as the embedded backend does: seq 1..n.
            let copied = self.conn.query_one(
                "WITH i AS (INSERT INTO objects (owner, coll, name, etag, crc, size, seq, \
                   modified, content_type, uid, kind, span_start, span_end, instance_count, \
                   max_attendees, earliest, latest, event_instances, body) \
                 SELECT $1, $2, name, etag, crc, size, row_number() OVER (ORDER BY name), $3, \
                   content_type, uid, kind, span_start, span_end, instance_count, max_attendees, \
                   earliest, latest, event_instances, body \
                 FROM objects WHERE owner = $4 AND coll = $5 RETURNING name, seq, size), \
                 l AS (INSERT INTO changes (owner, coll, name, seq, deleted, is_collection) \
                   SELECT $1, $2, name, seq, false, false FROM i) \
                 SELECT count(*), coalesce(sum(size), 0)::bigint FROM i",
                &[&owner, &nid, &self.now, &c.owner, &c.id],
            )?;
            let (n, bytes): (i64, i64) = (copied.get(0), copied.get(1));
            self.conn.execute(
                "INSERT INTO object_props (owner, coll, name, prop, value) \
                 SELECT $1, $2, name, prop, value FROM object_props \
                 WHERE owner = $3 AND coll = $4",
                &[&owner, &nid, &c.owner, &c.id],
            )?;
            self.conn.execute(
                "UPDATE collection_state SET seq = $3 WHERE owner = $1 AND id = $2",
                &[&owner, &nid, &n],
            )?;
            self.add_usage(&owner, from_db(bytes), 0)?;
            if c.id != root {
                self.log(&owner, parent, c.name(), false, true)?;
            }
        }
        self.log_parent(slot.parent, split_parent(to).1, false)?;
        Ok(created)
    }

    // ----- shared documents -----

    pub fn put_document(&mut self, name: &str, bytes: &[u8], expected: Option<u64>) -> Result<u64> {
        let current = self
            .conn
            .query_opt(
                "SELECT version FROM documents WHERE owner = '' AND name = $1 FOR UPDATE",
                &[&name],
            )?
            .map(|r| from_db(r.get(0)));
        if current != expected {
            return Err(StoreError::PreconditionFailed { current: None });
        }
        let version = current.map_or(1, |v| v + 1);
        if current.is_none() {
            self.conn.execute(
                "INSERT INTO documents (owner, name, version, bytes) VALUES ('', $1, $2, $3)",
                &[&name, &to_db(version), &bytes],
            )?;
        } else {
            self.conn.execute(
                "UPDATE documents SET version = $2, bytes = $3 WHERE owner = '' AND name = $1",
                &[&name, &to_db(version), &bytes],
            )?;
        }
        Ok(version)
    }
}
