//! Object writes and reads: bytes and ETags, preconditions, the UID index, kinds and limits,
//! listings, the time-span index, copy and move.

use crate::conformance::Harness;
use crate::conformance::fixtures::*;
use crate::*;

pub fn put_then_get_returns_the_exact_bytes_and_a_blake3_etag(h: &dyn Harness) {
    let s = fixture(h);
    let body = event_bytes("u1", "x");
    let out = s
        .put(CAL, "a.ics", event("u1", "x"), Precondition::None)
        .unwrap();
    assert!(out.created && out.changed);
    assert_eq!(out.etag, Etag::of(&body));
    assert_eq!(out.etag.0, blake3::hash(&body).as_bytes()[..16]);
    let (meta, bytes) = s.get(CAL, "a.ics").unwrap().unwrap();
    assert_eq!(bytes, body);
    assert_eq!(meta.etag, out.etag);
    assert_eq!(meta.uid.as_deref(), Some("u1"));
    assert_eq!(meta.kind, ObjectKind::Event);
    assert_eq!(meta.size, body.len() as u64);
    assert_eq!(
        meta.content_type,
        "text/calendar; charset=utf-8; component=vevent"
    );
    assert_eq!(meta.seq, 1);
    assert_eq!(out.seq, Some(1), "the put names its change-log entry");
    assert_eq!(s.meta(CAL, "a.ics").unwrap().unwrap(), meta);
    assert_eq!(s.find_uid(CAL, "u1").unwrap().as_deref(), Some("a.ics"));
    assert!(s.get(CAL, "missing.ics").unwrap().is_none());
    assert!(s.meta(CAL, "missing.ics").unwrap().is_none());
    assert!(s.get("nope", "a.ics").unwrap().is_none());
    // every byte value and an empty body come back exact
    let binary: Vec<u8> = (0..=255).rev().collect();
    s.put(
        "cals",
        "bin",
        ParsedObject::opaque(binary.clone(), "application/octet-stream"),
        Precondition::None,
    )
    .unwrap();
    assert_eq!(s.get("cals", "bin").unwrap().unwrap().1, binary);
    s.put(
        "cals",
        "empty",
        ParsedObject::opaque(Vec::new(), "text/plain"),
        Precondition::None,
    )
    .unwrap();
    let (meta, bytes) = s.get("cals", "empty").unwrap().unwrap();
    assert!(bytes.is_empty());
    assert_eq!((meta.size, meta.etag, meta.uid), (0, Etag::of(b""), None));
    assert_sound(&s);
}

pub fn preconditions_follow_rfc_9110(h: &dyn Harness) {
    let s = fixture(h);
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
    let e = s
        .put(
            CAL,
            "b.ics",
            event("u2", "x"),
            Precondition::IfMatch(vec![v1]),
        )
        .unwrap_err();
    assert!(matches!(
        e,
        StoreError::PreconditionFailed { current: None }
    ));
    assert!(s.get(CAL, "b.ics").unwrap().is_none());
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
        event_bytes("u1", "v1"),
        "failed writes changed nothing"
    );
    assert_eq!(s.collection(CAL).unwrap().unwrap().seq, 1);
    // If-None-Match with other tags, If-Match: * on an existing target
    s.put(
        CAL,
        "a.ics",
        event("u1", "v1b"),
        Precondition::IfNoneMatch(vec![stale]),
    )
    .unwrap();
    let v1 = s
        .put(CAL, "a.ics", event("u1", "v1"), Precondition::IfMatchAny)
        .unwrap()
        .etag;
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
    assert_eq!(v2.seq, Some(s.meta(CAL, "a.ics").unwrap().unwrap().seq));
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
        (again.etag, again.changed, again.created, again.seq),
        (v2.etag, false, false, None)
    );
    // an unconditional identical put writes nothing either
    let same = s
        .put(CAL, "a.ics", event("u1", "v2"), Precondition::None)
        .unwrap();
    assert_eq!((same.changed, same.created, same.seq), (false, false, None));
    assert_eq!(
        s.collection(CAL).unwrap().unwrap().seq,
        seq,
        "no new sync change"
    );
    assert_sound(&s);
}

pub fn delete_checks_existence_before_conditionals(h: &dyn Harness) {
    let s = fixture(h);
    for pre in [
        Precondition::None,
        Precondition::IfMatchAny,
        Precondition::IfNoneMatchAny,
    ] {
        let e = s.delete(CAL, "a.ics", pre).unwrap_err();
        assert!(matches!(e, StoreError::NotFound), "{e:?}");
    }
    assert!(matches!(
        s.delete("none", "a.ics", Precondition::None),
        Err(StoreError::NotFound)
    ));
    let v1 = s
        .put(CAL, "a.ics", event("u1", "v1"), Precondition::None)
        .unwrap()
        .etag;
    let e = s
        .delete(CAL, "a.ics", Precondition::IfMatch(vec![Etag::of(b"x")]))
        .unwrap_err();
    assert!(matches!(e, StoreError::PreconditionFailed { current: Some(c) } if c == v1));
    let e = s
        .delete(CAL, "a.ics", Precondition::IfNoneMatchAny)
        .unwrap_err();
    assert!(matches!(e, StoreError::PreconditionFailed { current: Some(c) } if c == v1));
    assert!(s.get(CAL, "a.ics").unwrap().is_some());
    s.delete(CAL, "a.ics", Precondition::IfMatch(vec![v1]))
        .unwrap();
    assert!(s.get(CAL, "a.ics").unwrap().is_none());
    assert!(s.find_uid(CAL, "u1").unwrap().is_none());
    assert_eq!(s.usage("alice").unwrap().0, 0);
    assert_sound(&s);
}

/// Every way a put can be refused, and a put that changes nothing, leaves each row as it was:
/// the record and its listing, the body, the UID index, the change log, usage.
pub fn refused_puts_leave_every_row_as_it_was(h: &dyn Harness) {
    let s = fixture(h);
    let v1 = s
        .put(CAL, "a.ics", event("u1", "v1"), Precondition::None)
        .unwrap()
        .etag;
    let before = |s: &Store| {
        (
            s.list(CAL).unwrap(),
            s.get(CAL, "a.ics").unwrap().map(|(m, b)| (m.etag, b)),
            s.find_uid(CAL, "u1").unwrap(),
            s.find_uid(CAL, "u2").unwrap(),
            {
                let log = s.changes_since(CAL, Some(0), None).unwrap();
                (log.seq, log.changes.len())
            },
            s.usage("alice").unwrap().0,
        )
    };
    let was = before(&s);
    let other = Etag::of(b"something else");
    let refusals: Vec<(&str, ParsedObject, Precondition)> = vec![
        // the old record: a wrong If-Match, an If-None-Match on an existing name
        (
            "a.ics",
            event("u1", "v2"),
            Precondition::IfMatch(vec![other]),
        ),
        ("a.ics", event("u1", "v2"), Precondition::IfNoneMatchAny),
        // an update may not change the UID
        ("a.ics", event("u2", "v2"), Precondition::None),
        // a new name: its UID is taken, or If-Match names an object that is not there
        ("b.ics", event("u1", "v1"), Precondition::None),
        ("b.ics", event("u2", "v1"), Precondition::IfMatch(vec![v1])),
    ];
    for (name, object, pre) in refusals {
        s.put(CAL, name, object, pre).unwrap_err();
        assert_eq!(before(&s), was, "after refusing {name}");
    }
    // the same bytes again, as a retried update whose answer was lost: nothing changes
    let again = s
        .put(
            CAL,
            "a.ics",
            event("u1", "v1"),
            Precondition::IfMatch(vec![other]),
        )
        .unwrap();
    assert!(!again.changed && again.seq.is_none());
    assert_eq!(before(&s), was);
    // over quota: refused before and after the object exists
    s.set_owner_quotas(policy(Some(1), &[]));
    s.put(CAL, "b.ics", event("u2", "v1"), Precondition::None)
        .unwrap_err();
    s.put(
        CAL,
        "a.ics",
        event("u1", "v2 is longer"),
        Precondition::None,
    )
    .unwrap_err();
    assert_eq!(before(&s), was);
    assert_sound(&s);
}

pub fn uid_conflicts_name_the_holder(h: &dyn Harness) {
    let s = fixture(h);
    s.put(CAL, "a.ics", event("u1", "v1"), Precondition::None)
        .unwrap();
    let e = s
        .put(CAL, "b.ics", event("u1", "other"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::UidConflict { existing } if existing == "a.ics"));
    assert!(s.get(CAL, "b.ics").unwrap().is_none());
    // the refusal left the index as it was: the holder still holds the UID
    assert_eq!(s.find_uid(CAL, "u1").unwrap().as_deref(), Some("a.ics"));
    let e = s
        .put(CAL, "c.ics", event("u1", "third"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::UidConflict { existing } if existing == "a.ics"));
    // an update may not change the UID
    let e = s
        .put(CAL, "a.ics", event("u9", "v2"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::UidConflict { existing } if existing == "a.ics"));
    assert_eq!(s.find_uid(CAL, "u9").unwrap(), None);
    assert_eq!(
        s.get(CAL, "a.ics").unwrap().unwrap().1,
        event_bytes("u1", "v1")
    );
    // same UID in another calendar is fine
    s.create_collection("cals/home", calendar("alice")).unwrap();
    s.put("cals/home", "b.ics", event("u1", "v1"), Precondition::None)
        .unwrap();
    // after a delete the UID is free again, under any name
    s.delete(CAL, "a.ics", Precondition::None).unwrap();
    s.put(CAL, "c.ics", event("u1", "v3"), Precondition::None)
        .unwrap();
    assert_eq!(s.find_uid(CAL, "u1").unwrap().as_deref(), Some("c.ics"));
    assert_eq!(s.collection(CAL).unwrap().unwrap().seq, 3);
    assert_sound(&s);
}

pub fn kinds_and_components_are_enforced(h: &dyn Harness) {
    let s = fixture(h);
    let e = s
        .put(CAL, "c.vcf", card("c1", "card"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::WrongKind { .. }), "{e:?}");
    let e = s
        .put("cals", "e.ics", event("e1", "ev"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::WrongKind { .. }), "{e:?}");
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
    assert!(matches!(e, StoreError::UnsupportedComponent), "{e:?}");
    s.create_collection("cals/book", address_book("alice"))
        .unwrap();
    s.put("cals/book", "c.vcf", card("c1", "card"), Precondition::None)
        .unwrap();
    let e = s
        .put("cals/book", "e.ics", event("e1", "ev"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::WrongKind { .. }), "{e:?}");
    let e = s
        .put("nowhere", "c.vcf", card("c1", "card"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::ParentNotFound), "{e:?}");
    for bad in ["a/b", "", "a\0"] {
        let e = s
            .put(CAL, bad, event("x", "x"), Precondition::None)
            .unwrap_err();
        assert!(matches!(e, StoreError::InvalidPath), "{bad:?}: {e:?}");
    }
    // an object may not take the name of a child collection
    s.create_collection("cals/sub", plain("alice")).unwrap();
    let e = s
        .put(
            "cals",
            "sub",
            ParsedObject::opaque(b"x".to_vec(), "text/plain"),
            Precondition::None,
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::AlreadyExists), "{e:?}");
    assert_eq!(s.list("cals/todo").unwrap().len(), 0);
    assert_sound(&s);
}

pub fn limits_refuse_without_writing(h: &dyn Harness) {
    let s = fixture(h);
    // Real objects: the limits are checked against what their bytes say.
    let fits = weekly("a", 3, "ATTENDEE:mailto:x@example.com\r\n");
    let info = fits.info().clone();
    assert_eq!((info.instances, info.max_attendees), (Some(3), 1));
    let mut lim = calendar("bob");
    lim.limits.max_resource_size = Some(fits.bytes().len() as u64);
    lim.limits.max_attendees = Some(1);
    lim.limits.min_date = info.earliest;
    lim.limits.max_date = info.latest;
    lim.limits.max_instances = Some(3);
    s.create_collection("cals/lim", lim).unwrap();
    let big = weekly("a", 3, "ATTENDEE:mailto:xy@example.com\r\n");
    let e = s.put("cals/lim", "a", big, Precondition::None).unwrap_err();
    assert!(
        matches!(e, StoreError::TooLarge { limit } if limit == fits.bytes().len() as u64),
        "{e:?}"
    );
    // Two attendees, and no longer than `fits`, so only the attendee limit applies.
    let many = weekly("a", 1, "ATTENDEE:x@e\r\nATTENDEE:y@e\r\n");
    let e = s
        .put("cals/lim", "a", many, Precondition::None)
        .unwrap_err();
    assert!(matches!(
        e,
        StoreError::LimitViolated(LimitKind::MaxAttendees)
    ));
    let early = event_at("a", "1", 0, 3600);
    let e = s
        .put("cals/lim", "a", early, Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::LimitViolated(LimitKind::MinDate)));
    let late = event("a", "1");
    let e = s
        .put("cals/lim", "a", late, Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::LimitViolated(LimitKind::MaxDate)));
    let long = weekly("a", 4, "");
    assert!(long.info().latest <= info.latest && long.info().earliest >= info.earliest);
    let e = s
        .put("cals/lim", "a", long, Precondition::None)
        .unwrap_err();
    assert!(matches!(
        e,
        StoreError::LimitViolated(LimitKind::MaxInstances)
    ));
    assert!(s.list("cals/lim").unwrap().is_empty());
    assert_eq!(s.collection("cals/lim").unwrap().unwrap().seq, 0);
    assert_eq!(s.usage("bob").unwrap().0, 0);
    let size = fits.bytes().len() as u64;
    s.put("cals/lim", "a", fits, Precondition::None).unwrap();
    assert_eq!(s.usage("bob").unwrap().0, size);
    assert_sound(&s);
}

pub fn list_returns_names_and_etags_in_order(h: &dyn Harness) {
    let s = fixture(h);
    for n in ["c", "a", "b", "B", "a-1"] {
        s.put(CAL, n, event(n, n), Precondition::None).unwrap();
    }
    let names: Vec<_> = s
        .list(CAL)
        .unwrap()
        .into_iter()
        .map(|(n, m)| (n, m.etag))
        .collect();
    let want: Vec<_> = ["B", "a", "a-1", "b", "c"]
        .iter()
        .map(|n| (n.to_string(), Etag::of(&event_bytes(n, n))))
        .collect();
    assert_eq!(names, want, "byte order of the names");
    // unlike get and meta (None), a listing of a collection that does not exist is NotFound
    assert!(matches!(s.list("cals/none"), Err(StoreError::NotFound)));
    assert_sound(&s);
}

pub fn overlapping_finds_spans_of_every_length(h: &dyn Harness) {
    let s = fixture(h);
    let day = DAY;
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
    s.put(CAL, "nospan", journal("5", "5"), Precondition::None)
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
    assert_eq!(q(i64::MIN, i64::MAX).len(), 4);
    // moving a span updates the index
    s.put(
        CAL,
        "short",
        event_at("1", "1b", 400 * day, 400 * day + 1),
        Precondition::None,
    )
    .unwrap();
    assert_eq!(q(400 * day, 401 * day), vec!["forever", "short"]);
    assert_eq!(q(10 * day, 10 * day + 1), vec!["forever", "long"]);
    // deleting removes it
    s.delete(CAL, "forever", Precondition::None).unwrap();
    assert_eq!(q(400 * day, 401 * day), vec!["short"]);
    assert_eq!(
        s.meta(CAL, "long").unwrap().unwrap().span,
        Some(TimeSpan {
            start: 0,
            end: 365 * day
        })
    );
    assert_sound(&s);
}

/// Copy and move check the destination's UID index (naming the holder), the source's
/// precondition, `overwrite`, the destination's kind, and write nothing when refused.
pub fn copy_and_move_objects_check_uid_and_preconditions(h: &dyn Harness) {
    let s = fixture(h);
    s.create_collection("cals/home", calendar("alice")).unwrap();
    let a = s
        .put(CAL, "a.ics", event("u1", "A"), Precondition::None)
        .unwrap()
        .etag;
    let x = s
        .put("cals/home", "x.ics", event("u1", "X"), Precondition::None)
        .unwrap()
        .etag;
    let e = s
        .copy(
            (CAL, "a.ics"),
            ("cals/home", "b.ics"),
            false,
            Precondition::None,
        )
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::UidConflict { existing } if existing == "x.ics"),
        "{e:?}"
    );
    let e = s
        .move_object(
            (CAL, "a.ics"),
            ("cals/home", "b.ics"),
            false,
            Precondition::None,
        )
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::UidConflict { existing } if existing == "x.ics"),
        "{e:?}"
    );
    assert!(s.get("cals/home", "b.ics").unwrap().is_none());
    assert!(
        s.get(CAL, "a.ics").unwrap().is_some(),
        "a refused move keeps the source"
    );
    // the source's precondition: a stale If-Match, If-None-Match: *
    let stale = Etag::of(b"stale");
    for pre in [
        Precondition::IfMatch(vec![stale]),
        Precondition::IfNoneMatchAny,
    ] {
        for remove in [false, true] {
            let to = ("cals/home", "new.ics");
            let r = if remove {
                s.move_object((CAL, "a.ics"), to, true, pre.clone())
            } else {
                s.copy((CAL, "a.ics"), to, true, pre.clone())
            };
            let e = r.unwrap_err();
            assert!(
                matches!(e, StoreError::PreconditionFailed { current: Some(c) } if c == a),
                "{pre:?} remove={remove}: {e:?}"
            );
        }
    }
    assert!(matches!(
        s.copy((CAL, "none.ics"), (CAL, "z.ics"), false, Precondition::None),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.copy(
            (CAL, "a.ics"),
            ("nowhere", "z.ics"),
            false,
            Precondition::None
        ),
        Err(StoreError::ParentNotFound)
    ));
    // overwriting the UID holder itself is fine
    let home_seq = s.collection("cals/home").unwrap().unwrap().seq;
    let out = s
        .copy(
            (CAL, "a.ics"),
            ("cals/home", "x.ics"),
            true,
            Precondition::IfMatch(vec![a]),
        )
        .unwrap();
    assert_eq!((out.etag, out.created), (a, false));
    assert_ne!(out.etag, x);
    assert_eq!(
        s.get("cals/home", "x.ics").unwrap().unwrap().1,
        event_bytes("u1", "A")
    );
    assert_eq!(
        names(&s.changes_since("cals/home", Some(home_seq), None).unwrap()),
        vec![("x.ics", ChangeKind::Upsert)]
    );
    assert_eq!(
        s.get(CAL, "a.ics").unwrap().unwrap().1,
        event_bytes("u1", "A"),
        "a copy keeps the source"
    );
    // no overwrite: 412 with the destination's etag
    s.put("cals/home", "y.ics", event("u2", "Y"), Precondition::None)
        .unwrap();
    let y = Etag::of(&event_bytes("u2", "Y"));
    let e = s
        .copy(
            (CAL, "a.ics"),
            ("cals/home", "y.ics"),
            false,
            Precondition::None,
        )
        .unwrap_err();
    assert!(
        matches!(e, StoreError::PreconditionFailed { current: Some(c) } if c == y),
        "{e:?}"
    );
    // rename within a collection is not a UID conflict with itself
    let seq = s.collection(CAL).unwrap().unwrap().seq;
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
    assert_eq!(
        names(&s.changes_since(CAL, Some(seq), None).unwrap()),
        vec![
            ("a.ics", ChangeKind::Delete),
            ("renamed.ics", ChangeKind::Upsert)
        ]
    );
    // a move across collections: gone at the source, logged in both
    s.delete("cals/home", "x.ics", Precondition::None).unwrap();
    let (src_seq, dst_seq) = (
        s.collection(CAL).unwrap().unwrap().seq,
        s.collection("cals/home").unwrap().unwrap().seq,
    );
    let out = s
        .move_object(
            (CAL, "renamed.ics"),
            ("cals/home", "moved.ics"),
            false,
            Precondition::IfMatchAny,
        )
        .unwrap();
    assert_eq!((out.etag, out.created), (a, true));
    assert!(s.find_uid(CAL, "u1").unwrap().is_none());
    assert_eq!(
        s.find_uid("cals/home", "u1").unwrap().as_deref(),
        Some("moved.ics")
    );
    assert_eq!(
        names(&s.changes_since(CAL, Some(src_seq), None).unwrap()),
        vec![("renamed.ics", ChangeKind::Delete)]
    );
    assert_eq!(
        names(&s.changes_since("cals/home", Some(dst_seq), None).unwrap()),
        vec![("moved.ics", ChangeKind::Upsert)]
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
    // onto itself
    let e = s
        .move_object(
            ("cals/home", "moved.ics"),
            ("cals/home", "moved.ics"),
            true,
            Precondition::None,
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::WrongKind { .. }), "{e:?}");
    // move into an address book is the wrong kind
    s.create_collection("cals/book", address_book("alice"))
        .unwrap();
    let e = s
        .move_object(
            ("cals/home", "moved.ics"),
            ("cals/book", "r"),
            false,
            Precondition::None,
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::WrongKind { .. }));
    assert!(s.get("cals/home", "moved.ics").unwrap().is_some());
    assert!(s.list("cals/book").unwrap().is_empty());
    assert_sound(&s);
}

/// An update that moves an event in time moves its span row (the old time no longer finds it);
/// one that keeps its time and UID leaves both rows finding it.
pub fn updates_move_span_rows_only_when_they_change(h: &dyn Harness) {
    let s = fixture(h);
    let (a, b) = (10 * DAY, 20 * DAY);
    let finds = |start: i64| s.overlapping(CAL, start, start + 3600).unwrap();
    let put = |text: &str, start: i64| {
        s.put(
            CAL,
            "e.ics",
            event_at("u1", text, start, start + 3600),
            Precondition::None,
        )
        .unwrap()
    };
    put("1", a);
    put("2", a);
    assert_eq!(s.find_uid(CAL, "u1").unwrap().as_deref(), Some("e.ics"));
    assert_eq!(finds(a), vec!["e.ics".to_owned()]);
    put("3", b);
    assert_eq!(s.find_uid(CAL, "u1").unwrap().as_deref(), Some("e.ics"));
    assert!(finds(a).is_empty(), "{:?}", finds(a));
    assert_eq!(finds(b), vec!["e.ics".to_owned()]);
    assert_sound(&s);
    s.delete(CAL, "e.ics", Precondition::None).unwrap();
    assert!(finds(b).is_empty());
    s.put(
        CAL,
        "f.ics",
        event_at("u1", "4", a, a + 3600),
        Precondition::IfNoneMatchAny,
    )
    .expect("u1 is free again");
    assert_sound(&s);
}
