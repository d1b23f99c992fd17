//! redb-only quota setting: `Options::owner_quota` is the initial default. How quotas are
//! enforced is in the conformance suite.

use davlite_store::*;

use crate::common::*;

#[test]
fn the_owner_quota_option_is_the_initial_default() {
    let quota = fixtures::event_bytes("a", "1234567890").len() as u64;
    let s = Store::in_memory(Options {
        owner_quota: Some(quota),
        ..Options::default()
    })
    .unwrap();
    assert_eq!(s.quota(), Some(quota));
    assert_eq!(s.owner_quota("anyone"), Some(quota));
    s.create_collection("cals", plain("alice")).unwrap();
    s.create_collection(CAL, calendar("alice")).unwrap();
    s.put(CAL, "a", event("a", "1234567890"), Precondition::None)
        .unwrap();
    let e = s
        .put(CAL, "b", event("b", "1"), Precondition::None)
        .unwrap_err();
    assert!(matches!(e, StoreError::QuotaExceeded), "{e:?}");
    assert_eq!(s.usage("alice").unwrap(), (quota, Some(quota)));
    // set_owner_quotas replaces it
    s.set_owner_quotas(QuotaPolicy::default());
    assert_eq!(s.quota(), None);
    s.put(CAL, "b", event("b", "1"), Precondition::None)
        .unwrap();
    assert_sound(&s);
}
