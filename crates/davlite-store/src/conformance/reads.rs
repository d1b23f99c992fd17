//! Snapshot reads beyond get/list: scans with resume, borrowed bodies, event instances,
//! counts.

use std::ops::ControlFlow;

use crate::conformance::Harness;
use crate::conformance::fixtures::*;
use crate::*;

fn calendar_with(h: &dyn Harness, n: usize) -> (Store, Vec<String>) {
    let store = h.fresh();
    store.create_collection("cal", calendar("a")).unwrap();
    let mut names = Vec::new();
    for i in 0..n {
        let name = format!("e{i:02}.ics");
        let obj = event(&format!("uid-{i}"), &format!("body {i}"));
        store.put("cal", &name, obj, Precondition::None).unwrap();
        names.push(name);
    }
    (store, names)
}

pub fn scan_objects_in_name_order_and_resume_after(h: &dyn Harness) {
    let (store, names) = calendar_with(h, 50);
    let reader = store.read().unwrap();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut batch = Vec::new();
        let done = reader
            .scan_objects("cal", after.as_deref(), |name, view| {
                assert_eq!(
                    view.content_type,
                    "text/calendar; charset=utf-8; component=vevent"
                );
                batch.push(name.to_string());
                if batch.len() == 7 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })
            .unwrap();
        after = batch.last().cloned();
        seen.extend(batch);
        if done {
            break;
        }
    }
    assert_eq!(seen, names);
    // `after` need not be a member: the walk starts at the next name
    let mut first = None;
    reader
        .scan_objects("cal", Some("e10"), |name, _| {
            first = Some(name.to_string());
            ControlFlow::Break(())
        })
        .unwrap();
    assert_eq!(first.as_deref(), Some("e10.ics"));
    // after the last name: nothing, and the walk reached the end
    let mut n = 0;
    let done = reader
        .scan_objects("cal", Some("e49.ics"), |_, _| {
            n += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
    assert!(done && n == 0);
    // the views agree with the listing
    let listed = reader.list("cal").unwrap();
    let mut n = 0;
    reader
        .scan_objects("cal", None, |name, view| {
            let (_, meta) = listed.iter().find(|(l, _)| l == name).unwrap();
            assert_eq!(
                (view.etag, view.size, view.seq, view.modified),
                (meta.etag, meta.size, meta.seq, meta.modified)
            );
            n += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(n, 50);
    assert!(matches!(
        reader.scan_objects("none", None, |_, _| ControlFlow::Continue(())),
        Err(StoreError::NotFound)
    ));
    // the reader is a snapshot: later writes do not show in it
    store.delete("cal", "e00.ics", Precondition::None).unwrap();
    let mut n = 0;
    reader
        .scan_objects("cal", None, |_, _| {
            n += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(n, 50);
    assert_eq!(reader.list("cal").unwrap().len(), 50);
    assert_eq!(store.list("cal").unwrap().len(), 49);
}

pub fn with_object_borrows_the_checked_body(h: &dyn Harness) {
    let (store, _) = calendar_with(h, 2);
    let reader = store.read().unwrap();
    let (meta, body) = reader.get("cal", "e01.ics").unwrap().unwrap();
    let got = reader
        .with_object("cal", "e01.ics", |view, bytes| {
            (view.etag, view.size, view.seq, bytes.to_vec())
        })
        .unwrap()
        .unwrap();
    assert_eq!(got, (meta.etag, meta.size, meta.seq, body));
    assert!(
        reader
            .with_object("cal", "x.ics", |_, _| ())
            .unwrap()
            .is_none()
    );
    assert!(
        reader
            .with_object("none", "e01.ics", |_, _| ())
            .unwrap()
            .is_none()
    );
}

pub fn counts_follow_writes(h: &dyn Harness) {
    let s = h.fresh();
    let counts = |s: &Store| s.read().unwrap().counts().unwrap();
    assert_eq!(
        counts(&s),
        StoreCounts {
            collections: 0,
            objects: 0
        }
    );
    s.create_collection("cals", plain("a")).unwrap();
    s.create_collection(CAL, calendar("a")).unwrap();
    s.create_collection("cals/home", calendar("a")).unwrap();
    for i in 0..5 {
        let n = format!("{i}");
        s.put(CAL, &n, event(&n, &n), Precondition::None).unwrap();
    }
    s.put("cals/home", "x", event("x", "x"), Precondition::None)
        .unwrap();
    assert_eq!(
        counts(&s),
        StoreCounts {
            collections: 3,
            objects: 6
        }
    );
    // a refused write and an identical retry count nothing
    let _ = s.put(CAL, "dup", event("0", "dup"), Precondition::None);
    s.put(CAL, "0", event("0", "0"), Precondition::None)
        .unwrap();
    s.delete(CAL, "0", Precondition::None).unwrap();
    s.move_object((CAL, "1"), ("cals/home", "1"), false, Precondition::None)
        .unwrap();
    s.copy((CAL, "2"), ("cals/home", "2"), false, Precondition::None)
        .unwrap();
    assert_eq!(
        counts(&s),
        StoreCounts {
            collections: 3,
            objects: 6
        }
    );
    s.copy_collection("cals", "copy", false).unwrap();
    assert_eq!(
        counts(&s),
        StoreCounts {
            collections: 6,
            objects: 12
        }
    );
    s.delete_collection("cals").unwrap();
    assert_eq!(
        counts(&s),
        StoreCounts {
            collections: 3,
            objects: 6
        }
    );
    assert_sound(&s);
}

fn two_calendars(h: &dyn Harness) -> Store {
    let store = h.fresh();
    for c in ["a", "b"] {
        store.create_collection(c, calendar("o")).unwrap();
    }
    store
}

/// The instance index follows puts, updates, deletes: a weekly series with an EXDATE is
/// answered per week, edges exclusive; an unbounded series is left to the body (`None`).
pub fn event_instances_follow_puts_and_deletes(h: &dyn Harness) {
    let store = two_calendars(h);
    let obj = weekly("u1", 4, "EXDATE:20240311T090000Z\r\n");
    let listed = obj.info().event_instances.clone().unwrap();
    assert_eq!(listed.len(), 3);
    store.put("a", "e.ics", obj, Precondition::None).unwrap();
    assert_eq!(
        store.read().unwrap().event_instances("a", "e.ics").unwrap(),
        Some(listed)
    );
    assert_eq!(in_week(&store, "a", "e.ics", 0), Some(true));
    assert_eq!(in_week(&store, "a", "e.ics", 1), Some(false), "EXDATE");
    assert_eq!(in_week(&store, "a", "e.ics", 3), Some(true));
    assert_eq!(in_week(&store, "a", "e.ics", 4), Some(false), "after COUNT");
    assert_eq!(in_week(&store, "a", "e.ics", -1), Some(false));
    // Edges: the instance is [09:00, 10:00) on Monday.
    let r = store.read().unwrap();
    let nine = MAR4 + 9 * 3600;
    let q = |a, b| r.event_instances_overlap("a", "e.ics", a, b).unwrap();
    assert_eq!(q(nine - 60, nine), Some(false));
    assert_eq!(q(nine + 3600, nine + 7200), Some(false));
    assert_eq!(q(nine + 3599, nine + 7200), Some(true));
    drop(r);

    // A longer series replaces the index; an unbounded one removes it.
    store
        .put("a", "e.ics", weekly("u1", 10, ""), Precondition::None)
        .unwrap();
    assert_eq!(in_week(&store, "a", "e.ics", 1), Some(true));
    assert_eq!(in_week(&store, "a", "e.ics", 9), Some(true));
    let open = weekly_unbounded("u1");
    store.put("a", "e.ics", open, Precondition::None).unwrap();
    assert_eq!(in_week(&store, "a", "e.ics", 1), None);
    assert_eq!(
        store.read().unwrap().event_instances("a", "e.ics").unwrap(),
        None
    );
    store
        .put("a", "e.ics", weekly("u1", 2, ""), Precondition::None)
        .unwrap();
    assert_eq!(in_week(&store, "a", "e.ics", 1), Some(true));
    assert_eq!(in_week(&store, "a", "e.ics", 2), Some(false));
    assert_sound(&store);

    store.delete("a", "e.ics", Precondition::None).unwrap();
    assert_eq!(in_week(&store, "a", "e.ics", 0), None);
    assert_eq!(
        store.read().unwrap().event_instances("a", "e.ics").unwrap(),
        None
    );
    assert_sound(&store);
}

/// Copies and moves take the instances along, of objects and of whole collections.
pub fn event_instances_follow_copies_and_moves(h: &dyn Harness) {
    let store = two_calendars(h);
    store
        .put("a", "e.ics", weekly("u1", 3, ""), Precondition::None)
        .unwrap();
    store
        .put("a", "f.ics", weekly("u2", 1, ""), Precondition::None)
        .unwrap();
    store
        .copy(("a", "e.ics"), ("b", "e.ics"), false, Precondition::None)
        .unwrap();
    assert_eq!(in_week(&store, "b", "e.ics", 2), Some(true));
    assert_eq!(in_week(&store, "a", "e.ics", 2), Some(true));
    // A move over an object with a shorter series: the destination's are the source's.
    store
        .move_object(("a", "e.ics"), ("a", "f.ics"), true, Precondition::None)
        .unwrap();
    assert_eq!(in_week(&store, "a", "e.ics", 0), None);
    assert_eq!(in_week(&store, "a", "f.ics", 2), Some(true));
    store
        .put("b", "e.ics", weekly("u1", 1, ""), Precondition::None)
        .unwrap();
    assert_eq!(in_week(&store, "b", "e.ics", 2), Some(false));
    store
        .move_object(("a", "f.ics"), ("b", "e.ics"), true, Precondition::None)
        .unwrap();
    assert_eq!(in_week(&store, "a", "f.ics", 2), None);
    assert_eq!(in_week(&store, "b", "e.ics", 2), Some(true));
    assert_sound(&store);

    // Whole collections: a copy gets its own, a move keeps them, a delete drops them.
    store.copy_collection("b", "c", false).unwrap();
    assert_eq!(in_week(&store, "c", "e.ics", 2), Some(true));
    store.move_collection("c", "d", false).unwrap();
    assert_eq!(in_week(&store, "d", "e.ics", 2), Some(true));
    assert_eq!(in_week(&store, "c", "e.ics", 2), None);
    store.delete_collection("b").unwrap();
    assert_eq!(in_week(&store, "b", "e.ics", 2), None);
    assert_eq!(in_week(&store, "d", "e.ics", 2), Some(true));
    store.create_collection("b", calendar("o")).unwrap();
    store
        .put("b", "e.ics", event("u1", "plain"), Precondition::None)
        .unwrap();
    assert_eq!(
        in_week(&store, "b", "e.ics", 2),
        Some(false),
        "not resurrected: only the new object's own instance (in 2099) is listed"
    );
    assert_sound(&store);
}

/// All-day on 2024-03-10: as UTC `[00:00Z, 24:00Z)`. A query in another floating zone must
/// not be answered from the index for it (`None`), while a UTC series is decided anyway.
pub fn floating_instances_are_left_to_the_body_in_another_zone(h: &dyn Harness) {
    let store = two_calendars(h);
    let body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n\
                UID:d\r\nDTSTAMP:20240101T000000Z\r\nDTSTART;VALUE=DATE:20240310\r\n\
                END:VEVENT\r\nEND:VCALENDAR\r\n";
    let obj = ParsedObject::calendar(body.as_bytes().to_vec()).unwrap();
    assert!(obj.info().floating);
    store.put("a", "d.ics", obj, Precondition::None).unwrap();
    store
        .put("a", "w.ics", weekly("w", 2, ""), Precondition::None)
        .unwrap();
    let midnight = 1_710_028_800;
    let r = store.read().unwrap();
    let q = |name: &str, utc: bool| {
        r.event_instances_overlap_in("a", name, midnight - 3600, midnight, utc)
            .unwrap()
    };
    assert_eq!(q("d.ics", true), Some(false));
    assert_eq!(q("d.ics", false), None);
    assert_eq!(q("w.ics", false), Some(false));
    assert_eq!(
        r.event_instances_overlap_in("a", "d.ics", midnight, midnight + 1, true)
            .unwrap(),
        Some(true)
    );
    drop(r);
    // A copy keeps the flag.
    store
        .copy(("a", "d.ics"), ("b", "d.ics"), true, Precondition::None)
        .unwrap();
    let r = store.read().unwrap();
    assert_eq!(
        r.event_instances_overlap_in("b", "d.ics", 0, 1, false)
            .unwrap(),
        None
    );
    assert_eq!(
        r.event_instances_overlap_in("b", "d.ics", 0, 1, true)
            .unwrap(),
        Some(false)
    );
    drop(r);
    assert_sound(&store);
}

/// A prefetch hint changes no answer: objects read after it (in or out of order, twice, from
/// another collection, missing ones, names the hint did not list) read exactly as without it.
pub fn prefetched_reads_answer_as_plain_ones(h: &dyn Harness) {
    let s = fixture(h);
    s.create_collection("cals/other", calendar("alice"))
        .unwrap();
    for i in 0..40 {
        let e = if i % 2 == 0 {
            weekly(&format!("u{i}"), 5, &format!("SUMMARY:{i}\r\n"))
        } else {
            event(&format!("u{i}"), &format!("{i}"))
        };
        s.put(CAL, &format!("e{i:02}.ics"), e, Precondition::None)
            .unwrap();
    }
    s.put(
        "cals/other",
        "e01.ics",
        event("x", "other"),
        Precondition::None,
    )
    .unwrap();
    let plain = s.read().unwrap();
    let r = s.read().unwrap();
    let names: Vec<String> = (0..30).map(|i| format!("e{i:02}.ics")).collect();
    let mut hint: Vec<&str> = names.iter().map(String::as_str).collect();
    hint.push("missing.ics");
    r.prefetch(CAL, &hint);
    let body = |r: &Reader, c: &str, n: &str| {
        r.with_object(c, n, |v, b| (v.etag, v.size, b.to_vec()))
            .unwrap()
    };
    for n in [
        "e05.ics",
        "e00.ics",
        "e05.ics",
        "missing.ics",
        "e35.ics",
        "e29.ics",
    ] {
        // The instance index first (as a calendar query asks it), then the body.
        assert_eq!(
            r.event_instances(CAL, n).unwrap(),
            plain.event_instances(CAL, n).unwrap(),
            "{n}"
        );
        assert_eq!(
            r.event_instances_overlap_in(CAL, n, 0, i64::MAX, true)
                .unwrap(),
            plain
                .event_instances_overlap_in(CAL, n, 0, i64::MAX, true)
                .unwrap(),
            "{n}"
        );
        assert_eq!(body(&r, CAL, n), body(&plain, CAL, n), "{n}");
        assert_eq!(r.get(CAL, n).unwrap(), plain.get(CAL, n).unwrap(), "{n}");
    }
    assert_eq!(
        body(&r, "cals/other", "e01.ics"),
        body(&plain, "cals/other", "e01.ics")
    );
    assert_eq!(r.get("cals/other", "e02.ics").unwrap(), None);
    // A second hint replaces the first; an empty one is harmless.
    r.prefetch("cals/other", &["e01.ics"]);
    assert_eq!(body(&r, CAL, "e10.ics"), body(&plain, CAL, "e10.ics"));
    r.prefetch(CAL, &[]);
    assert_eq!(body(&r, CAL, "e11.ics"), body(&plain, CAL, "e11.ics"));
    // The snapshot stays a snapshot: a write after the hint is not seen through it.
    r.prefetch(CAL, &["e12.ics", "new.ics"]);
    s.put(CAL, "new.ics", event("new", "n"), Precondition::None)
        .unwrap();
    s.put(CAL, "e12.ics", event("u12", "changed"), Precondition::None)
        .unwrap();
    assert_eq!(r.get(CAL, "new.ics").unwrap(), None);
    assert_eq!(body(&r, CAL, "e12.ics"), body(&plain, CAL, "e12.ics"));
}
