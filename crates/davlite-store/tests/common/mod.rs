//! Fixture builders shared by the integration tests.
#![allow(dead_code)]

use davlite_store::*;

pub fn event(uid: &str, body: &str) -> ParsedObject {
    ParsedObject {
        bytes: body.as_bytes().to_vec(),
        content_type: "text/calendar; charset=utf-8".into(),
        info: ObjectInfo {
            uid: Some(uid.into()),
            kind: ObjectKind::Event,
            ..Default::default()
        },
    }
}

pub fn event_at(uid: &str, body: &str, start: i64, end: i64) -> ParsedObject {
    let mut e = event(uid, body);
    e.info.span = Some(TimeSpan { start, end });
    e
}

pub fn card(uid: &str, body: &str) -> ParsedObject {
    ParsedObject {
        bytes: body.as_bytes().to_vec(),
        content_type: "text/vcard".into(),
        info: ObjectInfo {
            uid: Some(uid.into()),
            kind: ObjectKind::Card,
            ..Default::default()
        },
    }
}

pub fn calendar(owner: &str) -> NewCollection {
    NewCollection {
        kind: CollectionKind::Calendar,
        owner: owner.into(),
        ..Default::default()
    }
}

pub fn plain(owner: &str) -> NewCollection {
    NewCollection {
        kind: CollectionKind::Plain,
        owner: owner.into(),
        ..Default::default()
    }
}

/// A store in a fresh temp dir with `cals` (plain) and `cals/work` (calendar, owner alice).
pub fn fixture(options: Options) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("db.redb"), options).unwrap();
    store.create_collection("cals", plain("alice")).unwrap();
    store
        .create_collection("cals/work", calendar("alice"))
        .unwrap();
    (dir, store)
}

pub const CAL: &str = "cals/work";

/// Fails the test with the list of problems when `verify` finds any.
pub fn assert_sound(s: &Store) {
    let report = s.verify().unwrap();
    assert!(
        report.is_ok(),
        "verify found problems: {:#?}",
        report.problems
    );
}
