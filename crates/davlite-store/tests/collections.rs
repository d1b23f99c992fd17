//! Collection operations and the change log.

use crate::common;
use common::*;
use davlite_store::*;

#[test]
fn collection_tree_rules() {
    let (_d, s) = fixture(Options::default());
    let e = s.create_collection("nope/x", calendar("a")).unwrap_err();
    assert!(matches!(e, StoreError::ParentNotFound));
    let e = s.create_collection(CAL, calendar("a")).unwrap_err();
    assert!(matches!(e, StoreError::AlreadyExists));
    let e = s
        .create_collection("cals/work/inner", plain("a"))
        .unwrap_err();
    assert!(matches!(e, StoreError::WrongKind { .. }));
    s.put(
        "cals",
        "file",
        ParsedObject::opaque(b"x".to_vec(), "text/plain"),
        Precondition::None,
    )
    .unwrap();
    let e = s.create_collection("cals/file", plain("a")).unwrap_err();
    assert!(matches!(e, StoreError::AlreadyExists));
    let e = s.create_collection("/bad", plain("a")).unwrap_err();
    assert!(matches!(e, StoreError::InvalidPath));
    let kids: Vec<_> = s
        .children("cals")
        .unwrap()
        .into_iter()
        .map(|c| c.path)
        .collect();
    assert_eq!(kids, vec!["cals/work"]);
    let top: Vec<_> = s
        .children("")
        .unwrap()
        .into_iter()
        .map(|c| c.path)
        .collect();
    assert_eq!(top, vec!["cals"]);
    assert_sound(&s);
}

#[test]
fn props_and_limits_update_all_or_nothing() {
    let (_d, s) = fixture(Options::default());
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
    assert!(matches!(
        s.update_collection("cals/none", vec![], None),
        Err(StoreError::NotFound)
    ));
    assert_sound(&s);
}

#[test]
fn delete_collection_removes_members_and_frees_uids() {
    let (_d, s) = fixture(Options::default());
    s.create_collection("cals/sub", plain("alice")).unwrap();
    s.create_collection("cals/sub/cal", calendar("alice"))
        .unwrap();
    s.put("cals/sub/cal", "a", event("u", "abc"), Precondition::None)
        .unwrap();
    s.put(CAL, "a", event("u", "abcd"), Precondition::None)
        .unwrap();
    assert_eq!(s.usage("alice").unwrap().0, 7);
    let before = s.collection("cals").unwrap().unwrap().seq;
    s.delete_collection("cals/sub").unwrap();
    assert!(s.collection("cals/sub/cal").unwrap().is_none());
    assert!(s.collection("cals/sub").unwrap().is_none());
    assert_eq!(s.usage("alice").unwrap().0, 4);
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
    s.create_collection("cals/sub/cal", calendar("alice"))
        .unwrap();
    assert!(s.list("cals/sub/cal").unwrap().is_empty());
    s.put("cals/sub/cal", "b", event("u", "x"), Precondition::None)
        .unwrap();
    assert!(matches!(
        s.delete_collection("cals/none"),
        Err(StoreError::NotFound)
    ));
    assert_sound(&s);
}

#[test]
fn move_collection_keeps_identity_and_log() {
    let (_d, s) = fixture(Options::default());
    s.put(CAL, "a", event("a", "1"), Precondition::None)
        .unwrap();
    let before = s.collection(CAL).unwrap().unwrap();
    s.create_collection("other", plain("alice")).unwrap();
    assert!(s.move_collection(CAL, "other/moved", false).unwrap());
    assert!(s.collection(CAL).unwrap().is_none());
    let after = s.collection("other/moved").unwrap().unwrap();
    assert_eq!((after.id, after.seq), (before.id, before.seq));
    assert_eq!(s.get("other/moved", "a").unwrap().unwrap().1, b"1");
    let e = s
        .move_collection("other", "other/moved/x", false)
        .unwrap_err();
    assert!(matches!(e, StoreError::WrongKind { .. }));
    // nor onto one of its ancestors, even with overwrite
    let e = s.move_collection("other/moved", "other", true).unwrap_err();
    assert!(matches!(e, StoreError::WrongKind { .. }));
    let e = s.copy_collection("other/moved", "other", true).unwrap_err();
    assert!(matches!(e, StoreError::WrongKind { .. }));
    assert!(s.get("other/moved", "a").unwrap().is_some());
    // overwrite = false onto an existing collection
    s.create_collection("cals/work", calendar("alice")).unwrap();
    let e = s
        .move_collection("other/moved", "cals/work", false)
        .unwrap_err();
    assert!(matches!(e, StoreError::PreconditionFailed { .. }));
    assert!(!s.move_collection("other/moved", "cals/work", true).unwrap());
    assert_eq!(s.get(CAL, "a").unwrap().unwrap().1, b"1");
    assert_sound(&s);
}

#[test]
fn copy_collection_is_deep_and_independent() {
    let (_d, s) = fixture(Options::default());
    s.put(CAL, "a", event_at("a", "1", 0, 10), Precondition::None)
        .unwrap();
    assert!(s.copy_collection("cals", "backup", false).unwrap());
    let copy = s.collection("backup/work").unwrap().unwrap();
    assert_ne!(copy.id, s.collection(CAL).unwrap().unwrap().id);
    assert_eq!(s.get("backup/work", "a").unwrap().unwrap().1, b"1");
    assert_eq!(
        s.find_uid("backup/work", "a").unwrap().as_deref(),
        Some("a")
    );
    assert_eq!(s.overlapping("backup/work", 0, 5).unwrap(), vec!["a"]);
    s.delete(CAL, "a", Precondition::None).unwrap();
    assert!(s.get("backup/work", "a").unwrap().is_some());
    assert_eq!(s.usage("alice").unwrap().0, 1);
    assert_sound(&s);
}
