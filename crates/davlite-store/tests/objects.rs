//! redb-only object tests: the file across reopens, relaxed durability; and the plain types.
//! Everything a backend must do with objects is in the conformance suite.

use crate::common;
use common::*;
use davlite_store::*;

#[test]
fn etag_hex_round_trips() {
    let e = Etag::of(b"abc");
    let hex = e.to_string();
    assert_eq!(hex.len(), 32);
    assert_eq!(Etag::parse_hex(&hex), Some(e));
    assert_eq!(Etag::parse_hex("zz"), None);
}

#[test]
fn data_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    {
        let s = Store::open(&path, Options::default()).unwrap();
        s.create_collection("cals", plain("a")).unwrap();
        s.create_collection(CAL, calendar("a")).unwrap();
        s.put(CAL, "x.ics", event("x", "payload"), Precondition::None)
            .unwrap();
    }
    let s = Store::open(&path, Options::default()).unwrap();
    assert_eq!(
        s.get(CAL, "x.ics").unwrap().unwrap().1,
        event_bytes("x", "payload")
    );
    s.create_collection("cals/other", calendar("a")).unwrap();
    assert_ne!(
        s.collection("cals/other").unwrap().unwrap().id,
        s.collection(CAL).unwrap().unwrap().id,
        "ids are not reused after reopen"
    );
    assert_sound(&s);
}

#[test]
fn relaxed_durability_writes_survive_a_clean_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let relaxed = Options {
        durability: Durability::Relaxed,
        ..Options::default()
    };
    {
        let s = Store::open(&path, relaxed.clone()).unwrap();
        s.create_collection("cals", plain("a")).unwrap();
        s.create_collection(CAL, calendar("a")).unwrap();
        for i in 0..50 {
            let name = format!("{i}.ics");
            s.put(CAL, &name, event(&name, &name), Precondition::None)
                .unwrap();
        }
        assert_eq!(s.list(CAL).unwrap().len(), 50, "visible at once");
    }
    let s = Store::open(&path, Options::default()).unwrap();
    assert_eq!(s.list(CAL).unwrap().len(), 50);
    assert_sound(&s);
}

#[test]
fn handles_cross_threads() {
    fn send_sync<T: Send + Sync + Clone + 'static>() {}
    send_sync::<Store>();
    send_sync::<Reader>();
    send_sync::<StoreError>();
}
