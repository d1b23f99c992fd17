//! Row shapes shared by the write path, the snapshots and `verify`: the columns selected, how
//! they decode, and the packed event-instance rows.

use davlite_formats::{ComponentSet, ObjectKind, TimeSpan};
use davlite_store::{CollectionKind, Etag, Limits, ObjectMeta};
use postgres::Row;

use crate::conn::{Result, corrupt};

/// u64 values (sizes, limits, sequence numbers) live in `bigint` columns bit for bit.
pub(crate) fn to_db(v: u64) -> i64 {
    v as i64
}

pub(crate) fn from_db(v: i64) -> u64 {
    v as u64
}

pub(crate) fn kind_code(k: CollectionKind) -> i16 {
    match k {
        CollectionKind::Plain => 0,
        CollectionKind::Calendar => 1,
        CollectionKind::AddressBook => 2,
    }
}

fn kind_of(code: i16) -> Result<CollectionKind> {
    Ok(match code {
        0 => CollectionKind::Plain,
        1 => CollectionKind::Calendar,
        2 => CollectionKind::AddressBook,
        _ => return Err(corrupt(format!("unknown collection kind {code}"))),
    })
}

/// The columns of a collection row (table alias `c`), in the order [`coll_row`] reads them.
macro_rules! coll_cols {
    () => {
        "c.id, c.owner, c.parent_id, c.path, c.kind, c.max_size, c.components, c.min_date, \
         c.max_date, c.max_instances, c.max_attendees"
    };
}
pub(crate) use coll_cols;

/// Number of columns [`coll_cols`] selects.
pub(crate) const COLL_COLS: usize = 11;

/// The static part of a collection.
#[derive(Debug, Clone)]
pub(crate) struct CollRow {
    pub id: i64,
    pub owner: String,
    pub parent: i64,
    pub path: String,
    pub kind: CollectionKind,
    pub limits: Limits,
}

impl CollRow {
    /// The last segment of the path.
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

pub(crate) fn coll_row(row: &Row) -> Result<CollRow> {
    let components: i16 = row.get(6);
    let max_attendees: Option<i64> = row.get(10);
    Ok(CollRow {
        id: row.get(0),
        owner: row.get(1),
        parent: row.get(2),
        path: row.get(3),
        kind: kind_of(row.get(4))?,
        limits: Limits {
            max_resource_size: row.get::<_, Option<i64>>(5).map(from_db),
            components: ComponentSet(components as u8),
            min_date: row.get(7),
            max_date: row.get(8),
            max_instances: row.get::<_, Option<i64>>(9).map(from_db),
            max_attendees: max_attendees.map(|v| v as u32),
        },
    })
}

/// The columns of an object row without its body (table alias `o`), in the order [`obj_row`]
/// reads them.
macro_rules! obj_cols {
    () => {
        "o.etag, o.crc, o.size, o.seq, o.modified, o.content_type, o.uid, o.kind, o.span_start, \
         o.span_end, o.instance_count, o.max_attendees, o.earliest, o.latest"
    };
}
pub(crate) use obj_cols;

/// Number of columns [`obj_cols`] selects.
pub(crate) const OBJ_COLS: usize = 14;

/// An object's record as stored, without body and instance row.
#[derive(Debug, Clone)]
pub(crate) struct ObjRow {
    pub etag: Etag,
    pub crc: u32,
    pub size: u64,
    pub seq: u64,
    pub modified: i64,
    pub content_type: String,
    pub uid: Option<String>,
    pub kind: ObjectKind,
    pub span: Option<TimeSpan>,
    pub instances: Option<u64>,
    pub max_attendees: u32,
    pub earliest: Option<i64>,
    pub latest: Option<i64>,
}

pub(crate) fn etag_of(bytes: &[u8]) -> Result<Etag> {
    let arr: [u8; 16] = bytes
        .try_into()
        .map_err(|_| corrupt("an etag that is not 16 bytes"))?;
    Ok(Etag(arr))
}

/// Reads [`obj_cols`] starting at column `at`.
pub(crate) fn obj_row(row: &Row, at: usize) -> Result<ObjRow> {
    let kind: i16 = row.get(at + 7);
    let kind = u8::try_from(kind)
        .ok()
        .and_then(ObjectKind::from_code)
        .ok_or_else(|| corrupt(format!("unknown object kind {kind}")))?;
    let span = match (
        row.get::<_, Option<i64>>(at + 8),
        row.get::<_, Option<i64>>(at + 9),
    ) {
        (Some(start), Some(end)) => Some(TimeSpan { start, end }),
        _ => None,
    };
    let crc: i64 = row.get(at + 1);
    let max_attendees: i64 = row.get(at + 11);
    Ok(ObjRow {
        etag: etag_of(row.get(at))?,
        crc: u32::try_from(crc).map_err(|_| corrupt("a crc32 out of range"))?,
        size: from_db(row.get(at + 2)),
        seq: from_db(row.get(at + 3)),
        modified: row.get(at + 4),
        content_type: row.get(at + 5),
        uid: row.get(at + 6),
        kind,
        span,
        instances: row.get::<_, Option<i64>>(at + 10).map(from_db),
        max_attendees: max_attendees as u32,
        earliest: row.get(at + 12),
        latest: row.get(at + 13),
    })
}

pub(crate) fn meta_of(o: ObjRow) -> ObjectMeta {
    ObjectMeta {
        etag: o.etag,
        uid: o.uid,
        kind: o.kind,
        size: o.size,
        content_type: o.content_type,
        modified: o.modified,
        span: o.span,
        seq: o.seq,
    }
}

/// `Corrupt` unless `bytes` have the length and crc32 recorded for them.
pub(crate) fn check_body(name: &str, bytes: &[u8], size: u64, crc: u32) -> Result<()> {
    if bytes.len() as u64 != size || crc32fast::hash(bytes) != crc {
        return Err(corrupt(format!("body of {name:?} fails its checksum")));
    }
    Ok(())
}

// ----- event instance rows: the same packing as the embedded backend -----
//
// The instances' `(start, end)` pairs as little-endian i64s, 16 bytes each, sorted by start,
// then one flag byte: 1 when they depend on the floating zone (`ObjectInfo::floating`).
// NULL means "not indexed", never "no instances".

const PAIR: usize = 16;

pub(crate) fn pack(spans: &[TimeSpan], floating: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(spans.len() * PAIR + 1);
    for s in spans {
        out.extend_from_slice(&s.start.to_le_bytes());
        out.extend_from_slice(&s.end.to_le_bytes());
    }
    out.push(u8::from(floating));
    out
}

pub(crate) fn floating(row: &[u8], name: &str) -> Result<bool> {
    let bad = || {
        corrupt(format!(
            "event instances of {name:?} are not whole pairs and a flag"
        ))
    };
    match row.len() % PAIR {
        0 => Ok(true),
        1 => match row.last() {
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

pub(crate) fn pairs<'r>(row: &'r [u8], name: &str) -> Result<impl Iterator<Item = TimeSpan> + 'r> {
    floating(row, name)?;
    let row = &row[..row.len() - row.len() % PAIR];
    Ok(row.chunks_exact(PAIR).map(|c| {
        let (s, e) = c.split_at(8);
        TimeSpan {
            start: i64::from_le_bytes(s.try_into().unwrap_or_default()),
            end: i64::from_le_bytes(e.try_into().unwrap_or_default()),
        }
    }))
}

/// A query for whole collections (static part, state, properties); `$tail` is the WHERE (and
/// ORDER BY) clause. Columns: [`coll_cols`], then seq, floor, modified, property names, values.
macro_rules! full_coll_query {
    ($tail:literal) => {
        concat!(
            "SELECT ",
            $crate::rows::coll_cols!(),
            ", s.seq, s.floor, s.modified, \
             ARRAY(SELECT p.prop FROM collection_props p \
                   WHERE p.owner = c.owner AND p.coll = c.id ORDER BY p.prop), \
             ARRAY(SELECT p.value FROM collection_props p \
                   WHERE p.owner = c.owner AND p.coll = c.id ORDER BY p.prop) \
             FROM collections c JOIN collection_state s ON s.owner = c.owner AND s.id = c.id ",
            $tail
        )
    };
}
pub(crate) use full_coll_query;

pub(crate) fn full_collection(row: &Row) -> Result<davlite_store::Collection> {
    let c = coll_row(row)?;
    let names: Vec<String> = row.get(COLL_COLS + 3);
    let values: Vec<Vec<u8>> = row.get(COLL_COLS + 4);
    Ok(davlite_store::Collection {
        id: davlite_store::CollectionId(from_db(c.id)),
        path: c.path,
        kind: c.kind,
        owner: c.owner,
        limits: c.limits,
        props: names.into_iter().zip(values).collect(),
        seq: from_db(row.get(COLL_COLS)),
        floor: from_db(row.get(COLL_COLS + 1)),
        modified: row.get(COLL_COLS + 2),
    })
}
