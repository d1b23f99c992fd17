//! Object writes and reads: preconditions, UID index, kinds, limits.

use crate::common;
use common::*;
use davlite_store::*;

#[test]
fn put_then_get_returns_the_exact_bytes_and_a_blake3_etag() {
    let (_d, s) = fixture(Options::default());
    let out = s
        .put(CAL, "a.ics", event("u1", "BEGIN:X\r\n"), Precondition::None)
        .unwrap();
    assert!(out.created && out.changed);
    assert_eq!(out.etag, Etag::of(b"BEGIN:X\r\n"));
    assert_eq!(out.etag.0, blake3::hash(b"BEGIN:X\r\n").as_bytes()[..16]);
    let (meta, bytes) = s.get(CAL, "a.ics").unwrap().unwrap();
    assert_eq!(bytes, b"BEGIN:X\r\n");
    assert_eq!(meta.etag, out.etag);
    assert_eq!(meta.uid.as_deref(), Some("u1"));
    assert_eq!(meta.size, 9);
    assert_eq!(s.meta(CAL, "a.ics").unwrap().unwrap(), meta);
    assert_eq!(s.find_uid(CAL, "u1").unwrap().as_deref(), Some("a.ics"));
    assert!(s.get(CAL, "missing.ics").unwrap().is_none());
    assert!(s.get("nope", "a.ics").unwrap().is_none());
    assert_sound(&s);
}

#[test]
fn etag_hex_round_trips() {
    let e = Etag::of(b"abc");
    let hex = e.to_string();
    assert_eq!(hex.len(), 32);
    assert_eq!(Etag::parse_hex(&hex), Some(e));
    assert_eq!(Etag::parse_hex("zz"), None);
}

#[test]
fn preconditions_follow_rfc_9110() {
    let (_d, s) = fixture(Options::default());
    let v1 = s
        .put(
            CAL,
            "a.ics",
            event("u1", "v1"),
            Precondition::IfNoneMatchAny,
        )
        .unwrap()
        .etag;
    // If-None-Match: * on an existing target
    let e = s
        .put(
            CAL,
            "a.ics",
            event("u1", "v2"),
            Precondition::IfNoneMatchAny,
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::PreconditionFailed { current: Some(c) } if c == v1));
    // If-Match with a stale tag
    let stale = Etag::of(b"other");
    let e = s
        .put(
            CAL,
            "a.ics",
            event("u1", "v2"),
            Precondition::IfMatch(vec![stale]),
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::PreconditionFailed { current: Some(c) } if c == v1));
    // If-Match on a missing target of a PUT
    let e = s
        .put(CAL, "b.ics", event("u2", "x"), Precondition::IfMatchAny)
        .unwrap_err();
    assert!(matches!(
        e,
        StoreError::PreconditionFailed { current: None }
    ));
    // empty If-Match list never matches
    let e = s
        .put(
            CAL,
            "a.ics",
            event("u1", "v2"),
            Precondition::IfMatch(vec![]),
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::PreconditionFailed { .. }));
    // If-None-Match with the current tag
    let e = s
        .put(
            CAL,
            "a.ics",
            event("u1", "v2"),
            Precondition::IfNoneMatch(vec![v1]),
        )
        .unwrap_err();
    assert!(matches!(
        e,
        StoreError::PreconditionFailed { current: Some(_) }
    ));
    assert_eq!(
        s.get(CAL, "a.ics").unwrap().unwrap().1,
        b"v1",
        "failed writes changed nothing"
    );
    // matching If-Match updates
    let v2 = s
        .put(
            CAL,
            "a.ics",
            event("u1", "v2"),
            Precondition::IfMatch(vec![stale, v1]),
        )
        .unwrap();
    assert!(!v2.created && v2.changed);
    // stale If-Match but identical bytes: a lost answer being retried
    let seq = s.collection(CAL).unwrap().unwrap().seq;
    let again = s
        .put(
            CAL,
            "a.ics",
            event("u1", "v2"),
            Precondition::IfMatch(vec![v1]),
        )
        .unwrap();
    assert_eq!(
        (again.etag, again.changed, again.created),
        (v2.etag, false, false)
    );
    assert_eq!(
        s.collection(CAL).unwrap().unwrap().seq,
        seq,
        "no new sync change"
    );
    assert_sound(&s);
}

#[test]
fn delete_checks_existence_before_conditionals() {
    let (_d, s) = fixture(Options::default());
    let e = s
        .delete(CAL, "a.ics", Precondition::IfMatchAny)
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound));
    let v1 = s
        .put(CAL, "a.ics", event("u1", "v1"), Precondition::None)
        .unwrap()
        .etag;
    let e = s
        .delete(CAL, "a.ics", Precondition::IfMatch(vec![Etag::of(b"x")]))
        .unwrap_err();
    assert!(matches!(e, StoreError::PreconditionFailed { current: Some(c) } if c == v1));
    s.delete(CAL, "a.ics", Precondition::IfMatch(vec![v1]))
        .unwrap();
    assert!(s.get(CAL, "a.ics").unwrap().is_none());
    assert!(s.find_uid(CAL, "u1").unwrap().is_none());
    assert_sound(&s);
}

#[test]
fn uid_conflicts_name_the_holder() {
    let (_d, s) = fixture(Options::default());
    s.put(CAL, "a.ics", event("u1", "v1"), Precondition::None)
        .unwrap();
    let e = s
        .put(CAL, "b.ics", event("u1", "other"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::UidConflict { existing } if existing == "a.ics"));
    // an update may not change the UID
    let e = s
        .put(CAL, "a.ics", event("u9", "v2"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::UidConflict { existing } if existing == "a.ics"));
    assert_eq!(s.find_uid(CAL, "u9").unwrap(), None);
    // same UID in another calendar is fine
    s.create_collection("cals/home", calendar("alice")).unwrap();
    s.put("cals/home", "b.ics", event("u1", "v1"), Precondition::None)
        .unwrap();
    assert_sound(&s);
}

#[test]
fn kinds_and_components_are_enforced() {
    let (_d, s) = fixture(Options::default());
    let e = s
        .put(CAL, "c.vcf", card("c1", "card"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::WrongKind { .. }));
    let e = s
        .put("cals", "e.ics", event("e1", "ev"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::WrongKind { .. }));
    s.put(
        "cals",
        "notes.txt",
        ParsedObject::opaque(b"hi".to_vec(), "text/plain"),
        Precondition::None,
    )
    .unwrap();
    let mut only_todo = calendar("alice");
    only_todo.limits.components = ComponentSet::NONE.with(ObjectKind::Todo);
    s.create_collection("cals/todo", only_todo).unwrap();
    let e = s
        .put("cals/todo", "e.ics", event("e1", "ev"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::UnsupportedComponent));
    let book = NewCollection {
        kind: CollectionKind::AddressBook,
        owner: "alice".into(),
        ..Default::default()
    };
    s.create_collection("cals/book", book).unwrap();
    s.put("cals/book", "c.vcf", card("c1", "card"), Precondition::None)
        .unwrap();
    let e = s
        .put("nowhere", "c.vcf", card("c1", "card"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::ParentNotFound));
    let e = s
        .put(CAL, "a/b", event("x", "x"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::InvalidPath));
    assert_sound(&s);
}

#[test]
fn limits_and_quota_refuse_without_writing() {
    let (_d, s) = fixture(Options {
        owner_quota: Some(10),
        ..Options::default()
    });
    let mut lim = calendar("bob");
    lim.limits.max_resource_size = Some(4);
    lim.limits.max_attendees = Some(1);
    lim.limits.min_date = Some(100);
    s.create_collection("cals/lim", lim).unwrap();
    let e = s
        .put("cals/lim", "a", event("a", "12345"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::TooLarge { limit: 4 }));
    let mut many = event("a", "1");
    many.info.max_attendees = 2;
    let e = s
        .put("cals/lim", "a", many, Precondition::None)
        .unwrap_err();
    assert!(matches!(
        e,
        StoreError::LimitViolated(LimitKind::MaxAttendees)
    ));
    let mut early = event("a", "1");
    early.info.earliest = Some(99);
    let e = s
        .put("cals/lim", "a", early, Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::LimitViolated(LimitKind::MinDate)));
    // quota 10 bytes for alice
    s.put(CAL, "a", event("a", "123456"), Precondition::None)
        .unwrap();
    assert_eq!(s.usage("alice").unwrap(), (6, Some(10)));
    let e = s
        .put(CAL, "b", event("b", "12345"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::QuotaExceeded));
    s.put(CAL, "b", event("b", "1234"), Precondition::None)
        .unwrap();
    assert_eq!(s.usage("alice").unwrap().0, 10);
    s.delete(CAL, "a", Precondition::None).unwrap();
    assert_eq!(s.usage("alice").unwrap().0, 4);
    assert!(s.list("cals/lim").unwrap().is_empty());
    assert_sound(&s);
}

#[test]
fn list_returns_names_and_etags_in_order() {
    let (_d, s) = fixture(Options::default());
    for n in ["c", "a", "b"] {
        s.put(CAL, n, event(n, n), Precondition::None).unwrap();
    }
    let names: Vec<_> = s
        .list(CAL)
        .unwrap()
        .into_iter()
        .map(|(n, m)| (n, m.etag))
        .collect();
    assert_eq!(
        names,
        vec![
            ("a".into(), Etag::of(b"a")),
            ("b".into(), Etag::of(b"b")),
            ("c".into(), Etag::of(b"c"))
        ]
    );
    assert_sound(&s);
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
    assert_eq!(s.get(CAL, "x.ics").unwrap().unwrap().1, b"payload");
    s.create_collection("cals/other", calendar("a")).unwrap();
    assert_ne!(
        s.collection("cals/other").unwrap().unwrap().id,
        s.collection(CAL).unwrap().unwrap().id,
        "ids are not reused after reopen"
    );
    assert_sound(&s);
}

#[test]
fn overlapping_finds_spans_of_every_length() {
    let (_d, s) = fixture(Options::default());
    let day = 86_400;
    s.put(
        CAL,
        "short",
        event_at("1", "1", 10 * day, 10 * day + 3600),
        Precondition::None,
    )
    .unwrap();
    s.put(
        CAL,
        "long",
        event_at("2", "2", 0, 365 * day),
        Precondition::None,
    )
    .unwrap();
    s.put(
        CAL,
        "forever",
        event_at("3", "3", 5 * day, i64::MAX),
        Precondition::None,
    )
    .unwrap();
    s.put(
        CAL,
        "past",
        event_at("4", "4", -10 * day, -9 * day),
        Precondition::None,
    )
    .unwrap();
    s.put(CAL, "nospan", event("5", "5"), Precondition::None)
        .unwrap();
    let q = |a, b| {
        let mut v = s.overlapping(CAL, a, b).unwrap();
        v.sort();
        v
    };
    assert_eq!(q(10 * day, 11 * day), vec!["forever", "long", "short"]);
    assert_eq!(q(2 * day, 3 * day), vec!["long"]);
    assert_eq!(q(-10 * day, -9 * day), vec!["past"]);
    assert_eq!(q(400 * day, 401 * day), vec!["forever"]);
    assert_eq!(
        q(10 * day + 3600, 10 * day + 7200),
        vec!["forever", "long"],
        "end is exclusive"
    );
    // moving a span updates the index
    s.put(
        CAL,
        "short",
        event_at("1", "1b", 400 * day, 400 * day + 1),
        Precondition::None,
    )
    .unwrap();
    assert_eq!(q(400 * day, 401 * day), vec!["forever", "short"]);
    assert_sound(&s);
}

#[test]
fn copy_and_move_objects_check_both_uid_indexes() {
    let (_d, s) = fixture(Options::default());
    s.create_collection("cals/home", calendar("alice")).unwrap();
    let a = s
        .put(CAL, "a.ics", event("u1", "A"), Precondition::None)
        .unwrap()
        .etag;
    s.put("cals/home", "x.ics", event("u1", "X"), Precondition::None)
        .unwrap();
    let e = s
        .copy(
            (CAL, "a.ics"),
            ("cals/home", "b.ics"),
            false,
            Precondition::None,
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::UidConflict { existing } if existing == "x.ics"));
    // overwriting the UID holder itself is fine
    let out = s
        .copy(
            (CAL, "a.ics"),
            ("cals/home", "x.ics"),
            true,
            Precondition::None,
        )
        .unwrap();
    assert_eq!((out.etag, out.created), (a, false));
    // no overwrite: 412 with the destination's etag
    let e = s
        .copy(
            (CAL, "a.ics"),
            ("cals/home", "x.ics"),
            false,
            Precondition::None,
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::PreconditionFailed { current: Some(c) } if c == a));
    // rename within a collection is not a UID conflict with itself
    let out = s
        .move_object(
            (CAL, "a.ics"),
            (CAL, "renamed.ics"),
            false,
            Precondition::IfMatch(vec![a]),
        )
        .unwrap();
    assert!(out.created);
    assert!(s.get(CAL, "a.ics").unwrap().is_none());
    assert_eq!(
        s.find_uid(CAL, "u1").unwrap().as_deref(),
        Some("renamed.ics")
    );
    let e = s
        .move_object(
            (CAL, "gone.ics"),
            (CAL, "z.ics"),
            false,
            Precondition::IfMatchAny,
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound));
    // move into an address book is the wrong kind
    let book = NewCollection {
        kind: CollectionKind::AddressBook,
        owner: "alice".into(),
        ..Default::default()
    };
    s.create_collection("cals/book", book).unwrap();
    let e = s
        .move_object(
            (CAL, "renamed.ics"),
            ("cals/book", "r"),
            false,
            Precondition::None,
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::WrongKind { .. }));
    assert!(s.get(CAL, "renamed.ics").unwrap().is_some());
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
