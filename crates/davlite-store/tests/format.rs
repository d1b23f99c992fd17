//! The file format across versions: a store written by an older build opens, is rewritten to
//! the current format in the opening transaction, and reads as before.

/// The format this build writes.
const CURRENT: u64 = 4;

use crate::common;
use common::*;
use davlite_store::*;
use redb::{ReadableDatabase, ReadableTable, TableDefinition};

const BODIES: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("bodies");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const OBJECTS: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("objects");
const INSTANCES: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("event_instances");
const CHANGE_NAMES: TableDefinition<(u64, &str), u64> = TableDefinition::new("change_names");
const STATE: TableDefinition<u64, &[u8]> = TableDefinition::new("coll_state");
const OBJ_PROPS: TableDefinition<(u64, &str, &str), &[u8]> = TableDefinition::new("object_props");

/// Every row of an object-keyed table, owned.
fn all_rows(
    table: &impl ReadableTable<(u64, &'static str), &'static [u8]>,
) -> Vec<((u64, String), Vec<u8>)> {
    table
        .iter()
        .unwrap()
        .map(|r| {
            let (k, v) = r.unwrap();
            let (id, name) = k.value();
            ((id, name.to_owned()), v.value().to_vec())
        })
        .collect()
}

fn format_of(path: &std::path::Path) -> u64 {
    let db = redb::Database::open(path).unwrap();
    let txn = db.begin_read().unwrap();
    let meta = txn.open_table(META).unwrap();
    meta.get("format").unwrap().unwrap().value()
}

/// Format 1 kept each body alone in its row; format 2 puts the object's record in front of it.
/// A format-1 file is made from a current one by taking the records off again, as a build of
/// format 1 left it.
#[test]
fn a_format_1_store_gets_records_in_its_body_rows_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let names = ["a.ics", "b.ics", "c.ics"];
    let mut before = Vec::new();
    {
        let s = Store::open(&path, Options::default()).unwrap();
        s.create_collection("cals", plain("a")).unwrap();
        s.create_collection(CAL, calendar("a")).unwrap();
        for (i, name) in names.iter().enumerate() {
            s.put(CAL, name, event(&format!("u{i}"), name), Precondition::None)
                .unwrap();
        }
        for name in names {
            before.push(s.get(CAL, name).unwrap().unwrap());
        }
        assert_sound(&s);
    }
    assert_eq!(format_of(&path), CURRENT);
    {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut bodies = txn.open_table(BODIES).unwrap();
            let rows: Vec<((u64, String), Vec<u8>)> = all_rows(&bodies)
                .into_iter()
                .map(|(key, row)| {
                    let rec_len = u32::from_le_bytes(row[..4].try_into().unwrap()) as usize;
                    (key, row[4 + rec_len..].to_vec())
                })
                .collect();
            assert_eq!(rows.len(), names.len());
            for ((id, name), body) in rows {
                bodies.insert((id, name.as_str()), body.as_slice()).unwrap();
            }
            txn.open_table(META).unwrap().insert("format", 1).unwrap();
        }
        txn.commit().unwrap();
    }
    assert_eq!(format_of(&path), 1);

    let s = Store::open(&path, Options::default()).unwrap();
    for (name, (meta, body)) in names.iter().zip(&before) {
        let (m, b) = s.get(CAL, name).unwrap().unwrap();
        assert_eq!((&m.etag, &b), (&meta.etag, body), "{name}");
        let seen = s
            .read()
            .unwrap()
            .with_object(CAL, name, |v, bytes| (v.etag, bytes.to_vec()))
            .unwrap()
            .unwrap();
        assert_eq!((&seen.0, &seen.1), (&meta.etag, body), "{name}");
    }
    assert_sound(&s);
    drop(s);
    assert_eq!(format_of(&path), CURRENT);
}

/// Where an object record's span tag is: after the version, ETag, crc, size, seq, modified,
/// content type, kind and UID (see the store's `codec.rs`).
fn span_tag_at(rec: &[u8]) -> usize {
    let len_at = |at: usize| u32::from_le_bytes(rec[at..at + 4].try_into().unwrap()) as usize;
    let kind_at = 45 + 4 + len_at(45);
    let uid_at = kind_at + 1;
    match rec[uid_at] {
        0 => uid_at + 1,
        _ => uid_at + 1 + 4 + len_at(uid_at + 1),
    }
}

fn instance_rows(path: &std::path::Path) -> u64 {
    use redb::ReadableTableMetadata;
    let db = redb::Database::open(path).unwrap();
    let txn = db.begin_read().unwrap();
    txn.open_table(INSTANCES).unwrap().len().unwrap()
}

/// Format 2 kept every indexed event's instances in a row of their own, and a CHANGE_NAMES
/// row for every live object; format 3 keeps a single instance equal to the span in the
/// object's record (span tag 2) and finds a live object's change from its record. A format-2
/// file is made from a current one by putting both kinds of rows back, as a build of format 2
/// wrote them; it opens, loses the change-name rows, reads the same, and a rewrite of an
/// event drops its instance row.
#[test]
fn a_format_2_store_reads_its_instance_rows_and_sheds_them_on_rewrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let names = ["a.ics", "b.ics"];
    {
        let s = Store::open(&path, Options::default()).unwrap();
        s.create_collection("cals", plain("a")).unwrap();
        s.create_collection(CAL, calendar("a")).unwrap();
        for (i, name) in names.iter().enumerate() {
            s.put(CAL, name, event(&format!("u{i}"), name), Precondition::None)
                .unwrap();
        }
    }
    assert_eq!(
        instance_rows(&path),
        0,
        "single instances live in the records"
    );
    let mut spans = Vec::new();
    {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut objects = txn.open_table(OBJECTS).unwrap();
            let mut bodies = txn.open_table(BODIES).unwrap();
            let mut instances = txn.open_table(INSTANCES).unwrap();
            let mut change_names = txn.open_table(CHANGE_NAMES).unwrap();
            for ((id, name), mut rec) in all_rows(&objects) {
                let at = span_tag_at(&rec);
                assert_eq!(rec[at], 2, "{name}: a single instance in the record");
                rec[at] = 1;
                let span = rec[at + 1..at + 17].to_vec();
                spans.push(span.clone());
                let mut row = span;
                row.push(0);
                instances
                    .insert((id, name.as_str()), row.as_slice())
                    .unwrap();
                let body = bodies
                    .get((id, name.as_str()))
                    .unwrap()
                    .unwrap()
                    .value()
                    .to_vec();
                let old_len = u32::from_le_bytes(body[..4].try_into().unwrap()) as usize;
                let mut new_body = body[..4].to_vec();
                new_body.extend_from_slice(&rec);
                new_body.extend_from_slice(&body[4 + old_len..]);
                bodies
                    .insert((id, name.as_str()), new_body.as_slice())
                    .unwrap();
                objects.insert((id, name.as_str()), rec.as_slice()).unwrap();
                let seq = u64::from_le_bytes(rec[29..37].try_into().unwrap());
                change_names.insert((id, name.as_str()), seq).unwrap();
            }
            txn.open_table(META).unwrap().insert("format", 2).unwrap();
        }
        txn.commit().unwrap();
    }
    assert_eq!(instance_rows(&path), 2);

    let s = Store::open(&path, Options::default()).unwrap();
    // A change-name row left beside a live object would be reported.
    assert_sound(&s);
    let r = s.read().unwrap();
    for (name, span) in names.iter().zip(&spans) {
        let start = i64::from_le_bytes(span[..8].try_into().unwrap());
        let end = i64::from_le_bytes(span[8..].try_into().unwrap());
        let listed = r.event_instances(CAL, name).unwrap().unwrap();
        assert_eq!(listed.len(), 1, "{name}");
        assert_eq!((listed[0].start, listed[0].end), (start, end), "{name}");
        assert_eq!(
            r.event_instances_overlap(CAL, name, end, end + 60).unwrap(),
            Some(false)
        );
        assert_eq!(
            r.event_instances_overlap(CAL, name, end - 1, end + 60)
                .unwrap(),
            Some(true)
        );
    }
    drop(r);
    s.put(CAL, "a.ics", event("u0", "changed"), Precondition::None)
        .unwrap();
    assert_sound(&s);
    drop(s);
    assert_eq!(instance_rows(&path), 1, "the rewritten event's row is gone");
    assert_eq!(format_of(&path), CURRENT);
}

/// Format 3 kept each dead property of an object in a row of OBJ_PROPS; format 4 ends the
/// object's record with them and counts, in the collection's state, the members that hold
/// some. A format-3 file is made from a current one by taking the properties off the records
/// (a body row holds the record without them) into rows, and the count off the states. It
/// opens with every property where it was, the table gone, and the counts right.
#[test]
fn a_format_3_store_moves_object_properties_into_records_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let other = "cals/other";
    let color = "{urn:x}color".to_owned();
    let note = "{urn:x}note".to_owned();
    {
        let s = Store::open(&path, Options::default()).unwrap();
        s.create_collection("cals", plain("a")).unwrap();
        s.create_collection(CAL, calendar("a")).unwrap();
        s.create_collection(other, calendar("a")).unwrap();
        for (coll, name) in [(CAL, "a.ics"), (CAL, "b.ics"), (other, "c.ics")] {
            s.put(coll, name, event(name, name), Precondition::None)
                .unwrap();
        }
        s.update_object_props(
            CAL,
            "a.ics",
            vec![
                (color.clone(), Some(b"red".to_vec())),
                (note.clone(), Some(b"".to_vec())),
            ],
            Precondition::None,
        )
        .unwrap();
        assert!(s.read().unwrap().has_object_props(CAL).unwrap());
        assert!(!s.read().unwrap().has_object_props(other).unwrap());
        assert_sound(&s);
    }
    {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut objects = txn.open_table(OBJECTS).unwrap();
            let bodies = txn.open_table(BODIES).unwrap();
            let mut props = txn.open_table(OBJ_PROPS).unwrap();
            let mut stripped = 0;
            for ((id, name), rec) in all_rows(&objects) {
                let body = bodies.get((id, name.as_str())).unwrap().unwrap();
                let body = body.value();
                let rec_len = u32::from_le_bytes(body[..4].try_into().unwrap()) as usize;
                let bare = &body[4..4 + rec_len];
                if bare == rec.as_slice() {
                    continue;
                }
                assert_eq!(name, "a.ics");
                stripped += 1;
                objects.insert((id, name.as_str()), bare).unwrap();
                props
                    .insert((id, "a.ics", color.as_str()), b"red".as_slice())
                    .unwrap();
                props
                    .insert((id, "a.ics", note.as_str()), b"".as_slice())
                    .unwrap();
            }
            assert_eq!(stripped, 1, "only a.ics has properties");
            let mut state = txn.open_table(STATE).unwrap();
            let rows: Vec<(u64, Vec<u8>)> = state
                .iter()
                .unwrap()
                .map(|r| {
                    let (k, v) = r.unwrap();
                    (k.value(), v.value().to_vec())
                })
                .collect();
            for (id, row) in rows {
                state.insert(id, &row[..row.len() - 8]).unwrap();
            }
            txn.open_table(META).unwrap().insert("format", 3).unwrap();
        }
        txn.commit().unwrap();
    }
    assert_eq!(format_of(&path), 3);

    let s = Store::open(&path, Options::default()).unwrap();
    assert_sound(&s);
    let r = s.read().unwrap();
    let got = r.object_props(CAL, "a.ics").unwrap();
    assert_eq!(got.get(&color).map(Vec::as_slice), Some(b"red".as_slice()));
    assert_eq!(got.get(&note).map(Vec::as_slice), Some(b"".as_slice()));
    assert_eq!(got.len(), 2);
    assert!(r.object_props(CAL, "b.ics").unwrap().is_empty());
    assert!(r.has_object_props(CAL).unwrap());
    assert!(!r.has_object_props(other).unwrap());
    drop(r);
    // The count stays right as the properties go: with the last one, none is left.
    s.update_object_props(
        CAL,
        "a.ics",
        vec![(color.clone(), None), (note.clone(), None)],
        Precondition::None,
    )
    .unwrap();
    assert!(!s.read().unwrap().has_object_props(CAL).unwrap());
    assert_sound(&s);
    drop(s);
    assert_eq!(format_of(&path), CURRENT);
    let db = redb::Database::open(&path).unwrap();
    let txn = db.begin_read().unwrap();
    assert!(txn.open_table(OBJ_PROPS).is_err(), "the table is deleted");
}

/// A body row whose record differs from the object's own is named by `verify`.
#[test]
fn verify_names_a_body_row_whose_record_differs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    {
        let s = Store::open(&path, Options::default()).unwrap();
        s.create_collection("cals", plain("a")).unwrap();
        s.create_collection(CAL, calendar("a")).unwrap();
        s.put(CAL, "a.ics", event("ua", "a"), Precondition::None)
            .unwrap();
        s.put(CAL, "b.ics", event("ub", "b"), Precondition::None)
            .unwrap();
    }
    {
        // Give a.ics the body row of b.ics (record and body: each consistent on its own).
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut bodies = txn.open_table(BODIES).unwrap();
            let id = bodies.iter().unwrap().next().unwrap().unwrap().0.value().0;
            let b = bodies.get((id, "b.ics")).unwrap().unwrap().value().to_vec();
            bodies.insert((id, "a.ics"), b.as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }
    let s = Store::open(&path, Options::default()).unwrap();
    let report = s.verify().unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("a.ics") && p.contains("another record")),
        "{report:?}"
    );
}
