//! The file format across versions: a store written by an older build opens, is rewritten to
//! the current format in the opening transaction, and reads as before.

use crate::common;
use common::*;
use davlite_store::*;
use redb::{ReadableDatabase, ReadableTable, TableDefinition};

const BODIES: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("bodies");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

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
    assert_eq!(format_of(&path), 2);
    {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut bodies = txn.open_table(BODIES).unwrap();
            let rows: Vec<((u64, String), Vec<u8>)> = bodies
                .iter()
                .unwrap()
                .map(|r| {
                    let (k, v) = r.unwrap();
                    let (id, name) = k.value();
                    let row = v.value();
                    let rec_len = u32::from_le_bytes(row[..4].try_into().unwrap()) as usize;
                    ((id, name.to_owned()), row[4 + rec_len..].to_vec())
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
    assert_eq!(format_of(&path), 2);
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
