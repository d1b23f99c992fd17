//! Collection operations: the tree rules, properties and limits, delete, move and copy.

use crate::conformance::Harness;
use crate::conformance::fixtures::*;
use crate::*;

pub fn collection_tree_rules(h: &dyn Harness) {
    let s = fixture(h);
    let e = s.create_collection("nope/x", calendar("a")).unwrap_err();
    assert!(matches!(e, StoreError::ParentNotFound), "{e:?}");
    let e = s.create_collection(CAL, calendar("a")).unwrap_err();
    assert!(matches!(e, StoreError::AlreadyExists), "{e:?}");
    let e = s
        .create_collection("cals/work/inner", plain("a"))
        .unwrap_err();
    assert!(matches!(e, StoreError::WrongKind { .. }), "{e:?}");
    s.put(
        "cals",
        "file",
        ParsedObject::opaque(b"x".to_vec(), "text/plain"),
        Precondition::None,
    )
    .unwrap();
    let e = s.create_collection("cals/file", plain("a")).unwrap_err();
    assert!(matches!(e, StoreError::AlreadyExists), "{e:?}");
    for bad in ["/bad", "bad/", "a//b", "", "a\0b"] {
        let e = s.create_collection(bad, plain("a")).unwrap_err();
        assert!(matches!(e, StoreError::InvalidPath), "{bad:?}: {e:?}");
    }
    let created = s.create_collection("cals/b", plain("a")).unwrap();
    assert_eq!(created.path, "cals/b");
    assert_eq!(created.owner, "a");
    assert_eq!((created.seq, created.floor), (0, 0));
    assert_eq!(s.collection("cals/b").unwrap().unwrap(), created);
    let kids: Vec<_> = s
        .children("cals")
        .unwrap()
        .into_iter()
        .map(|c| c.path)
        .collect();
    assert_eq!(kids, vec!["cals/b", "cals/work"], "in name order");
    let top: Vec<_> = s
        .children("")
        .unwrap()
        .into_iter()
        .map(|c| c.path)
        .collect();
    assert_eq!(top, vec!["cals"]);
    let work = s.collection(CAL).unwrap().unwrap();
    assert_eq!(work.kind, CollectionKind::Calendar);
    assert_ne!(work.id, created.id);
    assert_eq!(
        s.read().unwrap().collection_by_id(work.id).unwrap(),
        Some(work)
    );
    // a child collection is a member of its parent's change log
    let log = s.changes_since("cals", Some(0), None).unwrap();
    assert_eq!(
        log.changes
            .iter()
            .map(|c| (c.name.as_str(), c.is_collection))
            .collect::<Vec<_>>(),
        vec![("work", true), ("file", false), ("b", true)]
    );
    assert_sound(&s);
}

pub fn collection_props_and_limits_update(h: &dyn Harness) {
    let s = fixture(h);
    let mut new = calendar("a");
    new.props = vec![("{DAV:}displayname".into(), b"Work".to_vec())];
    let c = s.create_collection("cals/p", new).unwrap();
    assert_eq!(c.props["{DAV:}displayname"], b"Work");
    let limits = Limits {
        max_resource_size: Some(100),
        ..Limits::default()
    };
    let c = s
        .update_collection(
            "cals/p",
            vec![
                ("{DAV:}displayname".into(), None),
                ("{x}color".into(), Some(b"#f00".to_vec())),
            ],
            Some(limits),
        )
        .unwrap();
    assert!(!c.props.contains_key("{DAV:}displayname"));
    assert_eq!(c.props["{x}color"], b"#f00");
    assert_eq!(c.limits.max_resource_size, Some(100));
    assert_eq!(s.collection("cals/p").unwrap().unwrap(), c);
    // limits stay when not given
    let c = s.update_collection("cals/p", vec![], None).unwrap();
    assert_eq!(c.limits.max_resource_size, Some(100));
    assert!(matches!(
        s.update_collection("cals/none", vec![], None),
        Err(StoreError::NotFound)
    ));
    assert_sound(&s);
}

pub fn delete_collection_removes_members_and_frees_uids(h: &dyn Harness) {
    let s = fixture(h);
    s.create_collection("cals/sub", plain("alice")).unwrap();
    s.create_collection("cals/sub/cal", calendar("alice"))
        .unwrap();
    s.put("cals/sub/cal", "a", event("u", "abc"), Precondition::None)
        .unwrap();
    s.put(CAL, "a", event("u", "abcd"), Precondition::None)
        .unwrap();
    let both = event_bytes("u", "abc").len() + event_bytes("u", "abcd").len();
    assert_eq!(s.usage("alice").unwrap().0, both as u64);
    let before = s.collection("cals").unwrap().unwrap().seq;
    s.delete_collection("cals/sub").unwrap();
    assert!(s.collection("cals/sub/cal").unwrap().is_none());
    assert!(s.collection("cals/sub").unwrap().is_none());
    assert!(s.get("cals/sub/cal", "a").unwrap().is_none());
    assert_eq!(
        s.usage("alice").unwrap().0,
        event_bytes("u", "abcd").len() as u64
    );
    let ch = s.changes_since("cals", Some(before), None).unwrap();
    assert_eq!(ch.changes.len(), 1);
    assert_eq!(
        (
            ch.changes[0].name.as_str(),
            ch.changes[0].kind,
            ch.changes[0].is_collection
        ),
        ("sub", ChangeKind::Delete, true)
    );
    // recreate with the same path: a fresh, empty collection
    s.create_collection("cals/sub", plain("alice")).unwrap();
    let again = s
        .create_collection("cals/sub/cal", calendar("alice"))
        .unwrap();
    assert_eq!(again.seq, 0);
    assert!(s.list("cals/sub/cal").unwrap().is_empty());
    assert!(s.find_uid("cals/sub/cal", "u").unwrap().is_none());
    s.put("cals/sub/cal", "b", event("u", "x"), Precondition::None)
        .unwrap();
    assert!(matches!(
        s.delete_collection("cals/none"),
        Err(StoreError::NotFound)
    ));
    assert_sound(&s);
}

/// Moves refuse cycles (into itself, onto an ancestor) and respect `overwrite`; an
/// overwritten destination is replaced by the moved collection, members and all.
pub fn move_collection_refuses_cycles_and_respects_overwrite(h: &dyn Harness) {
    let s = fixture(h);
    s.put(CAL, "a", event("a", "1"), Precondition::None)
        .unwrap();
    s.create_collection("other", plain("alice")).unwrap();
    assert!(s.move_collection(CAL, "other/moved", false).unwrap());
    assert!(s.collection(CAL).unwrap().is_none());
    assert_eq!(
        s.get("other/moved", "a").unwrap().unwrap().1,
        event_bytes("a", "1")
    );
    let e = s
        .move_collection("other", "other/moved/x", false)
        .unwrap_err();
    assert!(matches!(e, StoreError::WrongKind { .. }), "{e:?}");
    // nor onto one of its ancestors, even with overwrite
    let e = s.move_collection("other/moved", "other", true).unwrap_err();
    assert!(matches!(e, StoreError::WrongKind { .. }), "{e:?}");
    let e = s.copy_collection("other/moved", "other", true).unwrap_err();
    assert!(matches!(e, StoreError::WrongKind { .. }), "{e:?}");
    assert!(s.get("other/moved", "a").unwrap().is_some());
    assert!(matches!(
        s.move_collection("none", "x", false),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.move_collection("other/moved", "nowhere/x", false),
        Err(StoreError::ParentNotFound)
    ));
    // overwrite = false onto an existing collection
    s.create_collection(CAL, calendar("alice")).unwrap();
    s.put(CAL, "old", event("old", "old"), Precondition::None)
        .unwrap();
    let e = s.move_collection("other/moved", CAL, false).unwrap_err();
    assert!(matches!(e, StoreError::PreconditionFailed { .. }), "{e:?}");
    assert!(!s.move_collection("other/moved", CAL, true).unwrap());
    assert_eq!(s.get(CAL, "a").unwrap().unwrap().1, event_bytes("a", "1"));
    assert!(s.get(CAL, "old").unwrap().is_none(), "the old one is gone");
    assert!(s.find_uid(CAL, "old").unwrap().is_none());
    assert!(s.collection("other/moved").unwrap().is_none());
    assert_eq!(
        s.usage("alice").unwrap().0,
        event_bytes("a", "1").len() as u64
    );
    assert_sound(&s);
}

pub fn copy_collection_is_deep_and_independent(h: &dyn Harness) {
    let s = fixture(h);
    let a = event_at("a", "1", 0, 10);
    let a_bytes = a.bytes().to_vec();
    s.put(CAL, "a", a, Precondition::None).unwrap();
    assert!(s.copy_collection("cals", "backup", false).unwrap());
    let copy = s.collection("backup/work").unwrap().unwrap();
    assert_ne!(copy.id, s.collection(CAL).unwrap().unwrap().id);
    assert_eq!(copy.kind, CollectionKind::Calendar);
    assert_eq!(s.get("backup/work", "a").unwrap().unwrap().1, a_bytes);
    assert_eq!(
        s.find_uid("backup/work", "a").unwrap().as_deref(),
        Some("a")
    );
    assert_eq!(s.overlapping("backup/work", 0, 5).unwrap(), vec!["a"]);
    s.delete(CAL, "a", Precondition::None).unwrap();
    assert!(s.get("backup/work", "a").unwrap().is_some());
    assert_eq!(s.usage("alice").unwrap().0, a_bytes.len() as u64);
    let e = s.copy_collection("cals", "backup", false).unwrap_err();
    assert!(matches!(e, StoreError::PreconditionFailed { .. }), "{e:?}");
    assert!(!s.copy_collection("cals", "backup", true).unwrap());
    assert!(s.get("backup/work", "a").unwrap().is_none(), "replaced");
    assert_sound(&s);
}
