//! Batches (`Store::apply`): several writes in one transaction, all or nothing, each op seeing
//! the ones before it. Scheduling (an invitation delivered into other users' calendars) and the
//! sync engine (an item with the state describing it) rely on exactly this.

use crate::conformance::Harness;
use crate::conformance::fixtures::*;
use crate::*;

const HOME: &str = "cals/home";

fn two_calendars(h: &dyn Harness) -> Store {
    let s = fixture(h);
    s.create_collection(HOME, calendar("alice")).unwrap();
    s
}

fn put(coll: &str, name: &str, object: ParsedObject, pre: Precondition) -> WriteOp {
    WriteOp::Put {
        coll: coll.into(),
        name: name.into(),
        object,
        pre,
    }
}

/// A batch over two collections, a document and properties lands whole, with outcomes in op
/// order, one change per written object in each collection's log, and later ops seeing earlier
/// ones (props on an object the same batch created).
pub fn a_batch_lands_whole_and_each_op_sees_the_ones_before(h: &dyn Harness) {
    let s = two_calendars(h);
    let a = event("ua", "A");
    let etag_a = Etag::of(a.bytes());
    let out = s
        .apply(vec![
            put(CAL, "a.ics", a, Precondition::IfNoneMatchAny),
            put(
                HOME,
                "b.ics",
                event("ub", "B"),
                Precondition::IfNoneMatchAny,
            ),
            WriteOp::ObjectProps {
                coll: CAL.into(),
                name: "a.ics".into(),
                changes: vec![("{urn:x}state".into(), Some(b"s1".to_vec()))],
                pre: Precondition::IfMatch(vec![etag_a]),
            },
            WriteOp::CollectionProps {
                path: HOME.into(),
                props: vec![("{urn:x}token".into(), Some(b"t1".to_vec()))],
                expect: vec![],
            },
            WriteOp::Document {
                name: "batch-doc".into(),
                bytes: b"d1".to_vec(),
                expected: None,
            },
        ])
        .unwrap();
    assert_eq!(out.len(), 5);
    match &out[0] {
        OpOutcome::Put(p) => assert!(p.created && p.changed && p.etag == etag_a, "{p:?}"),
        o => panic!("op 1 answered {o:?}"),
    }
    assert!(matches!(&out[1], OpOutcome::Put(p) if p.created));
    // Each put names its entry in its own collection's change log.
    assert!(
        matches!(&out[0], OpOutcome::Put(p) if p.seq == Some(1)),
        "{out:?}"
    );
    assert!(
        matches!(&out[1], OpOutcome::Put(p) if p.seq == Some(1)),
        "{out:?}"
    );
    assert_eq!(out[2], OpOutcome::Props);
    match &out[3] {
        OpOutcome::Collection(c) => {
            assert_eq!(
                c.props.get("{urn:x}token").map(Vec::as_slice),
                Some(&b"t1"[..])
            )
        }
        o => panic!("op 4 answered {o:?}"),
    }
    assert_eq!(out[4], OpOutcome::Document(1));
    assert_eq!(s.get(CAL, "a.ics").unwrap().unwrap().0.etag, etag_a);
    assert!(s.get(HOME, "b.ics").unwrap().is_some());
    let r = s.read().unwrap();
    assert_eq!(
        r.object_props(CAL, "a.ics").unwrap().get("{urn:x}state"),
        Some(&b"s1".to_vec())
    );
    assert_eq!(s.document("batch-doc").unwrap(), Some((1, b"d1".to_vec())));
    assert_eq!(s.collection(CAL).unwrap().unwrap().seq, 1);
    assert_eq!(s.collection(HOME).unwrap().unwrap().seq, 1);
    // A delete and a re-create of the same UID under another name, in one batch.
    let out = s
        .apply(vec![
            WriteOp::Delete {
                coll: CAL.into(),
                name: "a.ics".into(),
                pre: Precondition::IfMatch(vec![etag_a]),
            },
            put(
                CAL,
                "a2.ics",
                event("ua", "A2"),
                Precondition::IfNoneMatchAny,
            ),
        ])
        .unwrap();
    assert_eq!(out[0], OpOutcome::Deleted);
    // The delete logged seq 2, the re-create 3.
    assert!(
        matches!(&out[1], OpOutcome::Put(p) if p.seq == Some(3)),
        "{out:?}"
    );
    assert_eq!(s.find_uid(CAL, "ua").unwrap().as_deref(), Some("a2.ics"));
    assert_sound(&s);
}

/// Collections made by a batch (a parent, then a calendar in it) are there for the ops after
/// them (a put into the new calendar, its properties) and land with them; a later op that
/// fails takes them back, and an existing path fails the batch as `AlreadyExists`.
pub fn collections_created_by_a_batch_land_with_it(h: &dyn Harness) {
    let s = fixture(h);
    let create = |path: &str, new: NewCollection| WriteOp::CreateCollection {
        path: path.into(),
        new,
    };
    let out = s
        .apply(vec![
            create("cals/team", plain("alice")),
            create("cals/team/cal", calendar("alice")),
            put(
                "cals/team/cal",
                "a.ics",
                event("ua", "A"),
                Precondition::IfNoneMatchAny,
            ),
            WriteOp::CollectionProps {
                path: "cals/team/cal".into(),
                props: vec![("{urn:x}token".into(), Some(b"t1".to_vec()))],
                expect: vec![],
            },
        ])
        .unwrap();
    match &out[1] {
        OpOutcome::Collection(c) => {
            assert_eq!(c.path, "cals/team/cal");
            assert_eq!(c.kind, CollectionKind::Calendar);
        }
        o => panic!("op 2 answered {o:?}"),
    }
    assert!(matches!(&out[2], OpOutcome::Put(p) if p.created && p.seq == Some(1)));
    let cal = s.collection("cals/team/cal").unwrap().unwrap();
    assert_eq!(cal.seq, 1);
    assert_eq!(
        cal.props.get("{urn:x}token").map(Vec::as_slice),
        Some(&b"t1"[..])
    );
    assert!(s.get("cals/team/cal", "a.ics").unwrap().is_some());
    let children: Vec<String> = s
        .read()
        .unwrap()
        .children("cals")
        .unwrap()
        .into_iter()
        .map(|c| c.path)
        .collect();
    assert!(children.contains(&"cals/team".to_string()), "{children:?}");

    // A failing op after the creations: neither collection stays.
    let err = s
        .apply(vec![
            create("cals/other", plain("alice")),
            create("cals/other/cal", calendar("alice")),
            put(
                "cals/team/cal",
                "b.ics",
                event("ua", "B"),
                Precondition::None,
            ),
        ])
        .unwrap_err();
    assert_eq!(err.op, Some(2));
    assert!(
        matches!(err.error, StoreError::UidConflict { .. }),
        "{err:?}"
    );
    assert!(s.collection("cals/other").unwrap().is_none());
    assert!(s.collection("cals/other/cal").unwrap().is_none());

    // An existing path is refused as a single create would be, and the batch writes nothing.
    let err = s
        .apply(vec![
            create("cals/third", plain("alice")),
            create("cals/team", plain("alice")),
        ])
        .unwrap_err();
    assert_eq!(err.op, Some(1));
    assert!(matches!(err.error, StoreError::AlreadyExists), "{err:?}");
    assert!(s.collection("cals/third").unwrap().is_none());
    assert_sound(&s);
}

/// The first failing op is named by its index and nothing of the batch is written: not the
/// objects, props, documents or change-log entries of the ops before it. Each kind of failure.
pub fn a_failing_op_writes_nothing_and_is_named(h: &dyn Harness) {
    let s = two_calendars(h);
    let held = s
        .put(HOME, "held.ics", event("taken", "H"), Precondition::None)
        .unwrap();
    let seq = |s: &Store, c: &str| s.collection(c).unwrap().unwrap().seq;
    let before = (seq(&s, CAL), seq(&s, HOME));
    type Expected = fn(&StoreError) -> bool;
    let failing: Vec<(WriteOp, Expected)> = vec![
        (
            put(HOME, "other.ics", event("taken", "X"), Precondition::None),
            |e| matches!(e, StoreError::UidConflict { existing } if existing == "held.ics"),
        ),
        (
            put(
                HOME,
                "held.ics",
                event("taken", "Y"),
                Precondition::IfNoneMatchAny,
            ),
            |e| matches!(e, StoreError::PreconditionFailed { current: Some(_) }),
        ),
        (
            WriteOp::Delete {
                coll: HOME.into(),
                name: "missing.ics".into(),
                pre: Precondition::None,
            },
            |e| matches!(e, StoreError::NotFound),
        ),
        (
            put(HOME, "card.vcf", card("c1", "C"), Precondition::None),
            |e| matches!(e, StoreError::WrongKind { .. }),
        ),
        (
            WriteOp::Document {
                name: "never".into(),
                bytes: b"x".to_vec(),
                expected: Some(7),
            },
            |e| matches!(e, StoreError::PreconditionFailed { .. }),
        ),
        (
            WriteOp::CollectionProps {
                path: "cals/nowhere".into(),
                props: vec![],
                expect: vec![],
            },
            |e| matches!(e, StoreError::NotFound),
        ),
    ];
    for (n, (bad, expected)) in failing.into_iter().enumerate() {
        let err = s
            .apply(vec![
                put(
                    CAL,
                    &format!("new{n}.ics"),
                    event(&format!("n{n}"), "N"),
                    Precondition::None,
                ),
                WriteOp::ObjectProps {
                    coll: HOME.into(),
                    name: "held.ics".into(),
                    changes: vec![("{urn:x}p".into(), Some(b"v".to_vec()))],
                    pre: Precondition::IfMatch(vec![held.etag]),
                },
                WriteOp::Document {
                    name: format!("doc{n}"),
                    bytes: b"d".to_vec(),
                    expected: None,
                },
                bad,
            ])
            .unwrap_err();
        assert_eq!(err.op, Some(3), "case {n}: {err:?}");
        assert!(expected(&err.error), "case {n}: {:?}", err.error);
        assert!(
            s.meta(CAL, &format!("new{n}.ics")).unwrap().is_none(),
            "case {n}"
        );
        assert!(
            s.find_uid(CAL, &format!("n{n}")).unwrap().is_none(),
            "case {n}"
        );
        assert!(
            s.read()
                .unwrap()
                .object_props(HOME, "held.ics")
                .unwrap()
                .is_empty(),
            "case {n}"
        );
        assert_eq!(s.document(&format!("doc{n}")).unwrap(), None, "case {n}");
        assert_eq!(
            (seq(&s, CAL), seq(&s, HOME)),
            before,
            "case {n}: a change was logged"
        );
    }
    // The store still takes the same writes once the failing op is gone.
    s.apply(vec![put(
        CAL,
        "new0.ics",
        event("n0", "N"),
        Precondition::None,
    )])
    .unwrap();
    assert_eq!(s.list(CAL).unwrap().len(), 1);
    assert_sound(&s);
}

/// 16 threads each try to create the same UID in two collections in one batch, five rounds:
/// exactly one batch wins each round and no loser left half of its batch behind, while single
/// writes racing beside the batches are unaffected.
pub fn racing_batches_exactly_one_wins_and_none_is_half_applied(h: &dyn Harness) {
    let s = two_calendars(h);
    for round in 0..5 {
        let uid = format!("pair-{round}");
        let s2 = s.clone();
        let u = uid.clone();
        let results = race(16, move |i| {
            let uid = &u;
            if i % 4 == 3 {
                // A plain put of an unrelated object, sharing the write path with the batches.
                let name = format!("solo-{round}-{i}.ics");
                let r = s2.put(
                    HOME,
                    &name,
                    event(&format!("solo-{round}-{i}"), "S"),
                    Precondition::IfNoneMatchAny,
                );
                assert!(r.is_ok(), "{name}: {r:?}");
                return (i, None);
            }
            let ops = vec![
                put(
                    CAL,
                    &format!("{uid}-{i}.ics"),
                    event(uid, "A"),
                    Precondition::IfNoneMatchAny,
                ),
                put(
                    HOME,
                    &format!("{uid}-{i}.ics"),
                    event(uid, "B"),
                    Precondition::IfNoneMatchAny,
                ),
            ];
            (i, Some(s2.apply(ops)))
        });
        let winners: Vec<usize> = results
            .iter()
            .filter(|(_, r)| matches!(r, Some(Ok(_))))
            .map(|(i, _)| *i)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        for (i, r) in &results {
            if let Some(Err(e)) = r {
                assert_eq!(e.op, Some(0), "a loser fails on its first op: {e:?}");
                assert!(
                    matches!(&e.error, StoreError::UidConflict { existing } if *existing == format!("{uid}-{}.ics", winners[0])),
                    "{i}: {e:?}"
                );
            }
        }
        assert_eq!(
            s.find_uid(CAL, &uid).unwrap(),
            s.find_uid(HOME, &uid).unwrap(),
            "both halves of the winner, nothing of the losers"
        );
    }
    assert_eq!(s.list(CAL).unwrap().len(), 5);
    assert_eq!(s.list(HOME).unwrap().len(), 5 + 5 * 4);
    assert_sound(&s);
}

/// A collection-property write with `expect` runs only while the named properties hold the
/// expected values, checked in its own transaction: a mismatch fails the batch whole, and of
/// 8 threads swapping the same value, exactly one wins.
pub fn collection_props_expect_is_checked_in_the_write(h: &dyn Harness) {
    let s = two_calendars(h);
    let key = "{urn:x}grant";
    let set = |value: &[u8], expect: Option<&[u8]>| WriteOp::CollectionProps {
        path: HOME.into(),
        props: vec![(key.into(), Some(value.to_vec()))],
        expect: vec![(key.into(), expect.map(<[u8]>::to_vec))],
    };
    // Absent is expected: holds on a fresh collection.
    s.apply(vec![set(b"v1", None)]).unwrap();
    // A stale expectation fails the whole batch, the put before it included.
    let err = s
        .apply(vec![
            put(CAL, "x.ics", event("ux", "X"), Precondition::None),
            set(b"v2", Some(b"v0")),
        ])
        .unwrap_err();
    assert_eq!(err.op, Some(1), "{err}");
    assert!(
        matches!(err.error, StoreError::PreconditionFailed { .. }),
        "{err}"
    );
    assert!(s.get(CAL, "x.ics").unwrap().is_none(), "half applied");
    // Expecting absence of a property that is there fails too.
    assert!(s.apply(vec![set(b"v2", None)]).is_err());
    // The current value is expected: the write happens.
    s.apply(vec![set(b"v2", Some(b"v1"))]).unwrap();
    let props = |s: &Store| s.read().unwrap().collection(HOME).unwrap().unwrap().props;
    assert_eq!(props(&s).get(key).map(Vec::as_slice), Some(&b"v2"[..]));
    // Removal under an expectation.
    s.apply(vec![WriteOp::CollectionProps {
        path: HOME.into(),
        props: vec![(key.into(), None)],
        expect: vec![(key.into(), Some(b"v2".to_vec()))],
    }])
    .unwrap();
    assert!(!props(&s).contains_key(key));
    // Racing swaps from the same value: one winner, the rest refused.
    s.apply(vec![set(b"base", None)]).unwrap();
    let s2 = s.clone();
    let results = race(8, move |i| {
        s2.apply(vec![set(format!("from {i}").as_bytes(), Some(b"base"))])
    });
    let winners: Vec<usize> = (0..8).filter(|i| results[*i].is_ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(r.error, StoreError::PreconditionFailed { .. }),
            "{r}"
        );
    }
    assert_eq!(
        props(&s).get(key),
        Some(&format!("from {}", winners[0]).into_bytes())
    );
}

/// A put followed by a write of the same object's dead properties (as a sync client stores
/// each item with its state) acts as the two ops it is, however a backend runs the pair: the
/// properties the object had keep across the new content, those the second op sets or removes
/// are set or removed, a put that changes nothing still gets them, and a refusal of either op
/// names that op and writes nothing.
pub fn a_put_and_its_properties_act_as_two_ops(h: &dyn Harness) {
    let s = two_calendars(h);
    let props_op =
        |name: &str, changes: Vec<(&str, Option<&[u8]>)>, pre: Precondition| WriteOp::ObjectProps {
            coll: CAL.into(),
            name: name.into(),
            changes: changes
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.map(<[u8]>::to_vec)))
                .collect(),
            pre,
        };
    let props = |s: &Store, name: &str| {
        s.read()
            .unwrap()
            .object_props(CAL, name)
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>()
    };
    let owned = |list: &[(&str, &[u8])]| {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_vec()))
            .collect::<Vec<_>>()
    };
    s.put(CAL, "a.ics", event("ua", "1"), Precondition::None)
        .unwrap();
    s.update_object_props(
        CAL,
        "a.ics",
        vec![
            ("{urn:x}keep".into(), Some(b"k".to_vec())),
            ("{urn:x}drop".into(), Some(b"d".to_vec())),
        ],
        Precondition::None,
    )
    .unwrap();
    // New content, one property set, one removed, one kept.
    let v2 = event("ua", "2");
    let out = s
        .apply(vec![
            put(CAL, "a.ics", v2.clone(), Precondition::IfMatchAny),
            props_op(
                "a.ics",
                vec![("{urn:x}state", Some(b"s2")), ("{urn:x}drop", None)],
                Precondition::IfMatch(vec![Etag::of(v2.bytes())]),
            ),
        ])
        .unwrap();
    assert!(matches!(&out[0], OpOutcome::Put(p) if p.changed && !p.created));
    assert_eq!(out[1], OpOutcome::Props);
    assert_eq!(
        props(&s, "a.ics"),
        owned(&[("{urn:x}keep", b"k"), ("{urn:x}state", b"s2")])
    );
    // A new object gets what the second op sets, and nothing else.
    s.apply(vec![
        put(CAL, "b.ics", event("ub", "1"), Precondition::IfNoneMatchAny),
        props_op(
            "b.ics",
            vec![("{urn:x}state", Some(b"b1"))],
            Precondition::None,
        ),
    ])
    .unwrap();
    assert_eq!(props(&s, "b.ics"), owned(&[("{urn:x}state", b"b1")]));
    // The same bytes again (a retried update): no change to the object, but the properties.
    let seq = s.collection(CAL).unwrap().unwrap().seq;
    let out = s
        .apply(vec![
            put(CAL, "a.ics", v2.clone(), Precondition::IfMatchAny),
            props_op(
                "a.ics",
                vec![("{urn:x}state", Some(b"s3"))],
                Precondition::None,
            ),
        ])
        .unwrap();
    assert!(matches!(&out[0], OpOutcome::Put(p) if !p.changed));
    assert_eq!(s.collection(CAL).unwrap().unwrap().seq, seq);
    assert_eq!(
        props(&s, "a.ics"),
        owned(&[("{urn:x}keep", b"k"), ("{urn:x}state", b"s3")])
    );
    // Refusals name their op and leave everything as it was.
    let before = (props(&s, "a.ics"), s.get(CAL, "a.ics").unwrap());
    let e = s
        .apply(vec![
            put(CAL, "a.ics", event("ua", "3"), Precondition::IfNoneMatchAny),
            props_op(
                "a.ics",
                vec![("{urn:x}state", Some(b"x"))],
                Precondition::None,
            ),
        ])
        .unwrap_err();
    assert_eq!(e.op, Some(0));
    assert!(matches!(e.error, StoreError::PreconditionFailed { .. }));
    let e = s
        .apply(vec![
            put(CAL, "a.ics", event("ua", "3"), Precondition::IfMatchAny),
            props_op(
                "a.ics",
                vec![("{urn:x}state", Some(b"x"))],
                Precondition::IfMatch(vec![Etag::of(v2.bytes())]),
            ),
        ])
        .unwrap_err();
    assert_eq!(e.op, Some(1));
    assert!(matches!(e.error, StoreError::PreconditionFailed { .. }));
    assert_eq!((props(&s, "a.ics"), s.get(CAL, "a.ics").unwrap()), before);
    assert_eq!(s.collection(CAL).unwrap().unwrap().seq, seq);
    // With its last property gone, no member of the collection has any.
    s.apply(vec![
        put(CAL, "b.ics", event("ub", "2"), Precondition::None),
        props_op("b.ics", vec![("{urn:x}state", None)], Precondition::None),
    ])
    .unwrap();
    s.update_object_props(
        CAL,
        "a.ics",
        vec![("{urn:x}keep".into(), None), ("{urn:x}state".into(), None)],
        Precondition::None,
    )
    .unwrap();
    assert!(!s.read().unwrap().has_object_props(CAL).unwrap());
    assert_sound(&s);
}
