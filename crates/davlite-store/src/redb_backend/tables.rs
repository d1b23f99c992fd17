//! Table definitions and the read helpers both transaction kinds share. Keys are redb tuples, so
//! redb orders them field by field and no hand-made key encoding is needed; see docs/design.md.

use redb::{ReadableTable, TableDefinition};

use crate::error::{Result, StoreError};
use crate::redb_backend::codec::{BodyRow, CollRec, CollState, ObjRec};

/// Collection path -> id.
pub(crate) const PATHS: TableDefinition<&str, u64> = TableDefinition::new("paths");
/// Collection id -> [`CollRec`].
pub(crate) const COLLS: TableDefinition<u64, &[u8]> = TableDefinition::new("collections");
/// Collection id -> [`CollState`].
pub(crate) const STATE: TableDefinition<u64, &[u8]> = TableDefinition::new("coll_state");
/// (parent id, child name) -> child id; parent 0 is the root.
pub(crate) const CHILDREN: TableDefinition<(u64, &str), u64> = TableDefinition::new("children");
/// (collection id, Clark name) -> property value.
pub(crate) const PROPS: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("props");
/// (collection id, object name, Clark name) -> dead property value of an object, up to format 3;
/// format 4 keeps them in the object's record ([`ObjRec::props`]), and opening a store of an
/// earlier format moves them there and deletes this table (`store::init`).
pub(crate) const OBJ_PROPS: TableDefinition<(u64, &str, &str), &[u8]> =
    TableDefinition::new("object_props");
/// (collection id, object name, Clark name) -> a dead property the object held when it was
/// deleted, kept as long as the change log records that delete (see
/// `Snapshot::deleted_object_props`).
pub(crate) const TOMB_PROPS: TableDefinition<(u64, &str, &str), &[u8]> =
    TableDefinition::new("tombstone_props");
/// (collection id, name) -> [`ObjRec`].
pub(crate) const OBJECTS: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("objects");
/// (collection id, name) -> [`crate::redb_backend::codec::BodyRow`]: the object's record again,
/// then its body; apart from OBJECTS so listings never touch bodies.
pub(crate) const BODIES: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("bodies");
/// (collection id, uid) -> name.
pub(crate) const UIDS: TableDefinition<(u64, &str), &str> = TableDefinition::new("uids");
/// (collection id, length class, start, name) -> end.
pub(crate) const SPANS: TableDefinition<(u64, u8, i64, &str), i64> = TableDefinition::new("spans");
/// (collection id, object name) -> the event's instance spans, packed (see `instances.rs`);
/// only for objects whose parser listed them.
pub(crate) const INSTANCES: TableDefinition<(u64, &str), &[u8]> =
    TableDefinition::new("event_instances");
/// (collection id, seq) -> [`crate::redb_backend::codec::ChangeRec`].
pub(crate) const CHANGES: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("changes");
/// (collection id, member name) -> seq of its entry in CHANGES (compaction: one per name), for
/// names that hold no object: deleted ones (tombstones) and child collections. A live object's
/// entry is at its record's seq.
pub(crate) const CHANGE_NAMES: TableDefinition<(u64, &str), u64> =
    TableDefinition::new("change_names");
/// Owner -> bytes of bodies stored in the owner's collections.
pub(crate) const USAGE: TableDefinition<&str, u64> = TableDefinition::new("usage");
/// RedbStore-wide counters: `next_collection_id`, `format`.
pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// Document name -> version (8 bytes, little-endian) followed by the document's bytes.
pub(crate) const DOCS: TableDefinition<&str, &[u8]> = TableDefinition::new("documents");

/// 4: an object's dead properties end its record in the object table instead of taking a row
/// each in OBJ_PROPS, and a collection's state says whether any member has had one. Opening a
/// store of format 3 or earlier moves them (`store::init`).
/// 3: an event whose one instance is its span keeps it in its record instead of an INSTANCES
/// row (`ObjRec::single_instance`), and CHANGE_NAMES holds no row for a live object (its
/// record's seq is its entry, `Tx::log_object`). Opening a store of format 2 drops those rows
/// (its instance rows stay valid), and a build that reads 2 refuses the new records cleanly
/// instead of calling them corrupt.
/// 2: body rows begin with the object's record (see `BodyRow`); 1 held the body alone, and a
/// store of format 1 is rewritten when it is opened (`store::init`).
pub(crate) const FORMAT_VERSION: u64 = 4;

/// A path the store can hold: `/`-separated non-empty segments, no NUL, no dot segments.
pub(crate) fn check_path(path: &str) -> Result<()> {
    if path.is_empty() || path.split('/').any(|s| !valid_segment(s)) {
        return Err(StoreError::InvalidPath);
    }
    Ok(())
}

pub(crate) fn check_name(name: &str) -> Result<()> {
    if valid_segment(name) {
        Ok(())
    } else {
        Err(StoreError::InvalidPath)
    }
}

fn valid_segment(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\0'])
}

/// Splits `a/b/c` into (`Some("a/b")`, `"c"`).
pub(crate) fn split_parent(path: &str) -> (Option<&str>, &str) {
    match path.rsplit_once('/') {
        Some((parent, name)) => (Some(parent), name),
        None => (None, path),
    }
}

pub(crate) fn resolve(
    paths: &impl ReadableTable<&'static str, u64>,
    colls: &impl ReadableTable<u64, &'static [u8]>,
    path: &str,
) -> Result<Option<(u64, CollRec)>> {
    let Some(id) = paths.get(path)?.map(|g| g.value()) else {
        return Ok(None);
    };
    Ok(Some((id, coll_rec(colls, id)?)))
}

pub(crate) fn coll_rec(colls: &impl ReadableTable<u64, &'static [u8]>, id: u64) -> Result<CollRec> {
    match colls.get(id)? {
        Some(g) => CollRec::decode(g.value()),
        None => Err(StoreError::Corrupt {
            detail: format!("collection {id} has no record"),
        }),
    }
}

pub(crate) fn coll_state(
    state: &impl ReadableTable<u64, &'static [u8]>,
    id: u64,
) -> Result<CollState> {
    match state.get(id)? {
        Some(g) => CollState::decode(g.value()),
        None => Err(StoreError::Corrupt {
            detail: format!("collection {id} has no state"),
        }),
    }
}

pub(crate) fn obj_rec(
    objects: &impl ReadableTable<(u64, &'static str), &'static [u8]>,
    id: u64,
    name: &str,
) -> Result<Option<ObjRec>> {
    match objects.get((id, name))? {
        Some(g) => Ok(Some(ObjRec::decode(g.value())?)),
        None => Ok(None),
    }
}

/// The body, refused unless its crc32 matches the one recorded in the object record.
pub(crate) fn body(
    bodies: &impl ReadableTable<(u64, &'static str), &'static [u8]>,
    id: u64,
    name: &str,
    rec: &ObjRec,
) -> Result<Vec<u8>> {
    let Some(g) = bodies.get((id, name))? else {
        return Err(StoreError::Corrupt {
            detail: format!("object {name:?} has no body"),
        });
    };
    let row = BodyRow::split(g.value())?;
    check_body(name, row.body, rec.size, rec.crc)?;
    Ok(row.body.to_vec())
}

/// `Corrupt` unless `bytes` have the length and crc32 recorded for them.
pub(crate) fn check_body(name: &str, bytes: &[u8], size: u64, crc: u32) -> Result<()> {
    if bytes.len() as u64 != size || crc32fast::hash(bytes) != crc {
        return Err(StoreError::Corrupt {
            detail: format!("body of {name:?} fails its checksum"),
        });
    }
    Ok(())
}

/// Names of the direct children of a collection (`0` = root), in name order.
pub(crate) fn children_of(
    children: &impl ReadableTable<(u64, &'static str), u64>,
    id: u64,
) -> Result<Vec<(String, u64)>> {
    let mut out = Vec::new();
    for row in children.range((id, "")..(id + 1, ""))? {
        let (k, v) = row?;
        out.push((k.value().1.to_owned(), v.value()));
    }
    Ok(out)
}
