//! Shared versioned documents (`Store::document`, `Store::put_document`).

use crate::conformance::Harness;
use crate::*;

/// Version 1 on create; each replace bumps the version by compare-and-swap; a stale or
/// missing expectation is `PreconditionFailed` and changes nothing; names are independent.
pub fn documents_are_versioned_by_compare_and_swap(h: &dyn Harness) {
    let s = h.fresh();
    assert_eq!(s.document("users").unwrap(), None);
    // expecting a version of a document that does not exist
    assert!(matches!(
        s.put_document("users", b"x".to_vec(), Some(1)),
        Err(StoreError::PreconditionFailed { .. })
    ));
    assert_eq!(s.document("users").unwrap(), None);
    assert_eq!(s.put_document("users", b"v1".to_vec(), None).unwrap(), 1);
    assert_eq!(s.document("users").unwrap(), Some((1, b"v1".to_vec())));
    // creating it again
    assert!(matches!(
        s.put_document("users", b"again".to_vec(), None),
        Err(StoreError::PreconditionFailed { .. })
    ));
    assert_eq!(s.put_document("users", b"v2".to_vec(), Some(1)).unwrap(), 2);
    // a stale version, and one from the future
    for stale in [1, 3] {
        assert!(matches!(
            s.put_document("users", b"lost".to_vec(), Some(stale)),
            Err(StoreError::PreconditionFailed { .. })
        ));
    }
    assert_eq!(s.document("users").unwrap(), Some((2, b"v2".to_vec())));
    // empty and binary contents are kept byte-exact
    assert_eq!(s.put_document("users", Vec::new(), Some(2)).unwrap(), 3);
    assert_eq!(s.document("users").unwrap(), Some((3, Vec::new())));
    let binary: Vec<u8> = (0..=255).collect();
    assert_eq!(s.put_document("blob", binary.clone(), None).unwrap(), 1);
    assert_eq!(s.document("blob").unwrap(), Some((1, binary)));
    assert_eq!(s.document("users").unwrap().unwrap().0, 3);
    // documents are not collections or objects
    assert_eq!(
        s.read().unwrap().counts().unwrap(),
        StoreCounts {
            collections: 0,
            objects: 0
        }
    );
    let other = h.fresh();
    assert_eq!(
        other.document("users").unwrap(),
        None,
        "stores are isolated"
    );
}
