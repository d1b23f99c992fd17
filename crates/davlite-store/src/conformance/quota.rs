//! Per-owner quotas: checked inside the write transaction against the policy in force; usage is
//! exactly the bytes of the owner's bodies.

use crate::conformance::Harness;
use crate::conformance::fixtures::*;
use crate::*;

pub fn each_owner_has_their_own_limit_and_the_default_applies_to_the_rest(h: &dyn Harness) {
    let s = fixture(h);
    s.create_collection("cals/bob", calendar("bob")).unwrap();
    s.create_collection("cals/carol", calendar("carol"))
        .unwrap();
    assert_eq!(s.usage("alice").unwrap(), (0, None));
    s.set_owner_quotas(policy(Some(100), &[("alice", Some(10)), ("bob", None)]));
    assert_eq!(
        s.quota_policy(),
        policy(Some(100), &[("alice", Some(10)), ("bob", None)])
    );
    assert_eq!(s.quota(), Some(100));
    assert_eq!(s.owner_quota("alice"), Some(10));
    assert_eq!(s.owner_quota("bob"), None);
    assert_eq!(s.owner_quota("carol"), Some(100));

    s.put(CAL, "a", event("a", "12345678"), Precondition::None)
        .unwrap();
    let e = s
        .put(CAL, "b", event("b", "123"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::QuotaExceeded), "{e:?}");
    assert!(s.get(CAL, "b").unwrap().is_none());
    assert_eq!(s.usage("alice").unwrap(), (8, Some(10)));
    // exactly up to the limit is allowed
    s.put(CAL, "b", event("b", "12"), Precondition::None)
        .unwrap();
    assert_eq!(s.usage("alice").unwrap(), (10, Some(10)));
    s.delete(CAL, "b", Precondition::None).unwrap();
    assert_eq!(s.usage("alice").unwrap(), (8, Some(10)));

    // bob: unlimited although there is a default; carol: the default
    s.put(
        "cals/bob",
        "x",
        event("x", &"x".repeat(500)),
        Precondition::None,
    )
    .unwrap();
    assert_eq!(s.usage("bob").unwrap(), (500, None));
    let e = s
        .put(
            "cals/carol",
            "x",
            event("x", &"x".repeat(101)),
            Precondition::None,
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::QuotaExceeded));
    assert_eq!(s.usage("carol").unwrap(), (0, Some(100)));

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
    s.set_owner_quotas(policy(Some(100), &[("alice", Some(1000)), ("bob", None)]));
    s.put(CAL, "b", event("b", "123"), Precondition::None)
        .unwrap();
    s.copy(("cals/bob", "x"), (CAL, "x"), false, Precondition::None)
        .unwrap();
    assert_eq!(s.usage("alice").unwrap(), (511, Some(1000)));
    // a move carries the bytes from one owner to the other
    s.delete(CAL, "x", Precondition::None).unwrap();
    s.move_object(("cals/bob", "x"), (CAL, "x"), false, Precondition::None)
        .unwrap();
    assert_eq!(s.usage("bob").unwrap().0, 0);
    assert_eq!(s.usage("alice").unwrap().0, 511);
    // lowering it deletes nothing; an update that shrinks is allowed, one that grows is not
    s.set_owner_quotas(policy(None, &[("alice", Some(10))]));
    assert_eq!(s.usage("alice").unwrap(), (511, Some(10)));
    s.put(CAL, "x", event("x", "1"), Precondition::None)
        .unwrap();
    assert_eq!(s.usage("alice").unwrap().0, 12);
    let e = s
        .put(CAL, "b", event("b", "1234"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::QuotaExceeded), "{e:?}");
    s.put(CAL, "b", event("b", "12"), Precondition::None)
        .unwrap();
    assert_eq!(s.usage("alice").unwrap().0, 11);
    assert_eq!(s.get(CAL, "b").unwrap().unwrap().1, b"12");
    assert_eq!(s.owner_quota("carol"), None);
    assert_sound(&s);
}

pub fn collection_copy_counts_against_the_destination_owner(h: &dyn Harness) {
    let s = fixture(h);
    s.create_collection("bobs", plain("bob")).unwrap();
    s.put(CAL, "a", event("a", &"x".repeat(50)), Precondition::None)
        .unwrap();
    s.set_owner_quotas(policy(None, &[("bob", Some(40))]));
    let e = s.copy_collection(CAL, "bobs/work", false).unwrap_err();
    assert!(matches!(e, StoreError::QuotaExceeded), "{e:?}");
    assert!(s.collection("bobs/work").unwrap().is_none());
    assert_eq!(s.usage("bob").unwrap().0, 0);
    s.set_owner_quotas(policy(None, &[("bob", Some(50))]));
    s.copy_collection(CAL, "bobs/work", false).unwrap();
    assert_eq!(s.usage("bob").unwrap(), (50, Some(50)));
    assert_eq!(s.usage("alice").unwrap().0, 50);
    // deleting the copy gives bob's bytes back
    s.delete_collection("bobs/work").unwrap();
    assert_eq!(s.usage("bob").unwrap().0, 0);
    assert_sound(&s);
}
