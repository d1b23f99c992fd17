//! Integrity: a body damaged behind the backend's back is refused with `Corrupt`, never
//! served, and `verify` reports it; a clean store verifies clean.

use std::ops::ControlFlow;

use crate::conformance::Harness;
use crate::conformance::fixtures::*;
use crate::*;

pub fn a_corrupted_body_reads_as_corrupt(h: &dyn Harness) {
    let s = fixture(h);
    let marker = "UNIQUE-MARKER-0123456789-abcdefghijklmnopqrstuvwxyz";
    s.put(CAL, "victim.ics", event("v", marker), Precondition::None)
        .unwrap();
    s.put(CAL, "bystander.ics", event("b", "fine"), Precondition::None)
        .unwrap();
    assert_sound(&s);
    h.corrupt_body(&s, CAL, "victim.ics");

    let e = s.get(CAL, "victim.ics").unwrap_err();
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e:?}");
    assert!(e.to_string().contains("corrupt"));
    // Listings borrow bodies in place: the same check applies.
    let e = s
        .read()
        .unwrap()
        .with_object(CAL, "victim.ics", |_, body| body.to_vec())
        .unwrap_err();
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e:?}");
    // the metadata and the other objects are still readable
    let meta = s.meta(CAL, "victim.ics").unwrap().unwrap();
    assert_eq!(meta.etag, Etag::of(&event_bytes("v", marker)));
    assert_eq!(
        s.get(CAL, "bystander.ics").unwrap().unwrap().1,
        event_bytes("b", "fine")
    );
    let mut scanned = 0;
    s.read()
        .unwrap()
        .scan_objects(CAL, None, |_, _| {
            scanned += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(scanned, 2, "a scan reads records, not bodies");
    let report = s.verify().unwrap();
    assert!(!report.is_ok());
    assert!(
        report.problems.iter().any(|p| p.contains("victim.ics")),
        "verify names the damaged object: {report:?}"
    );
    assert!(
        !report.problems.iter().any(|p| p.contains("bystander.ics")),
        "{report:?}"
    );
    // a copy of a corrupt object fails before writing anything
    s.create_collection("cals/other", calendar("alice"))
        .unwrap();
    let to = ("cals/other", "copy.ics");
    let e = s
        .copy((CAL, "victim.ics"), to, false, Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e:?}");
    assert!(s.meta(to.0, to.1).unwrap().is_none());
    assert!(s.list("cals/other").unwrap().is_empty());
}

/// Every kind of write, then `verify`: no problems, and its counts match what was written.
pub fn verify_is_clean_after_a_mixed_workload(h: &dyn Harness) {
    let s = fixture(h);
    s.create_collection("cals/home", calendar("alice")).unwrap();
    s.create_collection("cals/book", address_book("alice"))
        .unwrap();
    s.create_collection("bob", plain("bob")).unwrap();
    s.create_collection("bob/cal", calendar("bob")).unwrap();
    for i in 0..30 {
        let name = format!("e{i}.ics");
        let obj = event_at(
            &format!("u{i}"),
            &format!("body {i}"),
            i * DAY,
            i * DAY + 3600,
        );
        s.put(CAL, &name, obj, Precondition::None).unwrap();
    }
    for i in 0..10 {
        let name = format!("c{i}.vcf");
        s.put("cals/book", &name, card(&name, "card"), Precondition::None)
            .unwrap();
    }
    s.put(CAL, "w.ics", weekly("w", 5, ""), Precondition::None)
        .unwrap();
    for i in (0..30).step_by(3) {
        s.delete(CAL, &format!("e{i}.ics"), Precondition::None)
            .unwrap();
    }
    for i in (1..30).step_by(5) {
        let name = format!("e{i}.ics");
        s.put(
            CAL,
            &name,
            event(&format!("u{i}"), "updated"),
            Precondition::None,
        )
        .unwrap();
    }
    s.copy(
        (CAL, "e1.ics"),
        ("cals/home", "e1.ics"),
        false,
        Precondition::None,
    )
    .unwrap();
    s.move_object(
        (CAL, "e2.ics"),
        ("bob/cal", "e2.ics"),
        false,
        Precondition::None,
    )
    .unwrap();
    s.move_object((CAL, "w.ics"), (CAL, "w2.ics"), false, Precondition::None)
        .unwrap();
    s.update_object_props(
        CAL,
        "e4.ics",
        vec![("{urn:x}p".into(), Some(b"1".to_vec()))],
        Precondition::None,
    )
    .unwrap();
    s.update_collection(
        "cals/home",
        vec![("{DAV:}displayname".into(), Some(b"Home".to_vec()))],
        None,
    )
    .unwrap();
    s.copy_collection(CAL, "bob/copy", false).unwrap();
    s.move_collection("cals/home", "bob/home", false).unwrap();
    s.prune_changes(CAL, 5).unwrap();
    s.prune_tombstones(CAL, 2).unwrap();
    s.delete_collection("cals/book").unwrap();

    let report = s.verify().unwrap();
    assert!(report.is_ok(), "{:#?}", report.problems);
    let counts = s.read().unwrap().counts().unwrap();
    assert_eq!(report.collections, counts.collections);
    assert_eq!(report.objects, counts.objects);
    let mut objects = 0;
    let mut bytes = 0;
    for coll in ["cals", CAL, "bob", "bob/cal", "bob/copy", "bob/home"] {
        for (_, meta) in s.list(coll).unwrap() {
            objects += 1;
            bytes += meta.size;
        }
    }
    assert_eq!(counts.objects, objects);
    assert_eq!(report.body_bytes, bytes);
    assert_eq!(counts.collections, 6);
    assert_eq!(
        s.usage("alice").unwrap().0 + s.usage("bob").unwrap().0,
        bytes
    );
}
