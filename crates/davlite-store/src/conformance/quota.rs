//! Per-owner quotas: checked inside the write transaction against the policy in force; usage is
//! exactly the bytes of the owner's bodies.

use crate::conformance::Harness;
use crate::conformance::fixtures::*;
use crate::*;

pub fn each_owner_has_their_own_limit_and_the_default_applies_to_the_rest(h: &dyn Harness) {
    let s = fixture(h);
    // Each body is `o` bytes of event plus its SUMMARY text (all UIDs are one letter long).
    let o = event_bytes("a", "").len() as u64;
    let (alice, default) = (2 * o + 10, o + 100);
    s.create_collection("cals/bob", calendar("bob")).unwrap();
    s.create_collection("cals/carol", calendar("carol"))
        .unwrap();
    assert_eq!(s.usage("alice").unwrap(), (0, None));
    s.set_owner_quotas(policy(
        Some(default),
        &[("alice", Some(alice)), ("bob", None)],
    ));
    assert_eq!(
        s.quota_policy(),
        policy(Some(default), &[("alice", Some(alice)), ("bob", None)])
    );
    assert_eq!(s.quota(), Some(default));
    assert_eq!(s.owner_quota("alice"), Some(alice));
    assert_eq!(s.owner_quota("bob"), None);
    assert_eq!(s.owner_quota("carol"), Some(default));

    s.put(CAL, "a", event("a", "12345678"), Precondition::None)
        .unwrap();
    let e = s
        .put(CAL, "b", event("b", "123"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::QuotaExceeded), "{e:?}");
    assert!(s.get(CAL, "b").unwrap().is_none());
    assert_eq!(s.usage("alice").unwrap(), (o + 8, Some(alice)));
    // exactly up to the limit is allowed
    s.put(CAL, "b", event("b", "12"), Precondition::None)
        .unwrap();
    assert_eq!(s.usage("alice").unwrap(), (alice, Some(alice)));
    s.delete(CAL, "b", Precondition::None).unwrap();
    assert_eq!(s.usage("alice").unwrap(), (o + 8, Some(alice)));

    // bob: unlimited although there is a default; carol: the default
    s.put(
        "cals/bob",
        "x",
        event("x", &"x".repeat(500)),
        Precondition::None,
    )
    .unwrap();
    assert_eq!(s.usage("bob").unwrap(), (o + 500, None));
    let e = s
        .put(
            "cals/carol",
            "x",
            event("x", &"x".repeat(101)),
            Precondition::None,
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::QuotaExceeded));
    assert_eq!(s.usage("carol").unwrap(), (0, Some(default)));

    // COPY into alice's collection counts against alice, MOVE too
    let e = s
        .copy(("cals/bob", "x"), (CAL, "x"), false, Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::QuotaExceeded));
    let e = s
        .move_object(("cals/bob", "x"), (CAL, "x"), false, Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::QuotaExceeded));
    assert!(s.get("cals/bob", "x").unwrap().is_some());
    assert!(s.get(CAL, "x").unwrap().is_none());

    // raising alice's limit lets the write through at once
    let raised = 3 * o + 1000;
    s.set_owner_quotas(policy(
        Some(default),
        &[("alice", Some(raised)), ("bob", None)],
    ));
    s.put(CAL, "b", event("b", "123"), Precondition::None)
        .unwrap();
    s.copy(("cals/bob", "x"), (CAL, "x"), false, Precondition::None)
        .unwrap();
    assert_eq!(s.usage("alice").unwrap(), (3 * o + 511, Some(raised)));
    // a move carries the bytes from one owner to the other
    s.delete(CAL, "x", Precondition::None).unwrap();
    s.move_object(("cals/bob", "x"), (CAL, "x"), false, Precondition::None)
        .unwrap();
    assert_eq!(s.usage("bob").unwrap().0, 0);
    assert_eq!(s.usage("alice").unwrap().0, 3 * o + 511);
    // lowering it deletes nothing; an update that shrinks is allowed, one that grows is not
    s.set_owner_quotas(policy(None, &[("alice", Some(alice))]));
    assert_eq!(s.usage("alice").unwrap(), (3 * o + 511, Some(alice)));
    s.put(CAL, "x", event("x", "1"), Precondition::None)
        .unwrap();
    assert_eq!(s.usage("alice").unwrap().0, 3 * o + 12);
    let e = s
        .put(CAL, "b", event("b", "1234"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::QuotaExceeded), "{e:?}");
    s.put(CAL, "b", event("b", "12"), Precondition::None)
        .unwrap();
    assert_eq!(s.usage("alice").unwrap().0, 3 * o + 11);
    assert_eq!(s.get(CAL, "b").unwrap().unwrap().1, event_bytes("b", "12"));
    assert_eq!(s.owner_quota("carol"), None);
    assert_sound(&s);
}

pub fn collection_copy_counts_against_the_destination_owner(h: &dyn Harness) {
    let s = fixture(h);
    s.create_collection("bobs", plain("bob")).unwrap();
    let size = event_bytes("a", &"x".repeat(50)).len() as u64;
    s.put(CAL, "a", event("a", &"x".repeat(50)), Precondition::None)
        .unwrap();
    s.set_owner_quotas(policy(None, &[("bob", Some(size - 10))]));
    let e = s.copy_collection(CAL, "bobs/work", false).unwrap_err();
    assert!(matches!(e, StoreError::QuotaExceeded), "{e:?}");
    assert!(s.collection("bobs/work").unwrap().is_none());
    assert_eq!(s.usage("bob").unwrap().0, 0);
    s.set_owner_quotas(policy(None, &[("bob", Some(size))]));
    s.copy_collection(CAL, "bobs/work", false).unwrap();
    assert_eq!(s.usage("bob").unwrap(), (size, Some(size)));
    assert_eq!(s.usage("alice").unwrap().0, size);
    // deleting the copy gives bob's bytes back
    s.delete_collection("bobs/work").unwrap();
    assert_eq!(s.usage("bob").unwrap().0, 0);
    assert_sound(&s);
}
