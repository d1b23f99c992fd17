//! Dead properties of objects: kept across a PUT, carried by COPY and MOVE, gone with DELETE.

use crate::conformance::Harness;
use crate::conformance::fixtures::*;
use crate::*;

fn props(s: &Store, coll: &str, name: &str) -> Vec<(String, Vec<u8>)> {
    s.read()
        .unwrap()
        .object_props(coll, name)
        .unwrap()
        .into_iter()
        .collect()
}

pub fn object_properties_live_and_die_with_the_object(h: &dyn Harness) {
    let s = fixture(h);
    s.put(CAL, "a.ics", event("u1", "v1"), Precondition::None)
        .unwrap();
    assert!(!s.read().unwrap().has_object_props(CAL).unwrap());
    let seq = s.collection(CAL).unwrap().unwrap().seq;
    let etag = s.meta(CAL, "a.ics").unwrap().unwrap().etag;
    s.update_object_props(
        CAL,
        "a.ics",
        vec![
            ("{urn:x}p".into(), Some(b"<p/>".to_vec())),
            ("{urn:x}q".into(), Some(b"<q/>".to_vec())),
        ],
        Precondition::IfMatch(vec![etag]),
    )
    .unwrap();
    assert!(s.read().unwrap().has_object_props(CAL).unwrap());
    // The precondition is checked in the write: a stale ETag changes nothing.
    let stale = Etag([7; 16]);
    assert!(matches!(
        s.update_object_props(
            CAL,
            "a.ics",
            vec![("{urn:x}q".into(), None)],
            Precondition::IfMatch(vec![stale])
        ),
        Err(StoreError::PreconditionFailed { current: Some(t) }) if t == etag
    ));
    assert_eq!(props(&s, CAL, "a.ics").len(), 2);
    s.update_object_props(
        CAL,
        "a.ics",
        vec![("{urn:x}q".into(), None)],
        Precondition::None,
    )
    .unwrap();
    assert_eq!(
        props(&s, CAL, "a.ics"),
        vec![("{urn:x}p".to_string(), b"<p/>".to_vec())]
    );
    // Not content: neither the ETag nor the sync sequence moved.
    assert_eq!(s.meta(CAL, "a.ics").unwrap().unwrap().etag, etag);
    assert_eq!(s.collection(CAL).unwrap().unwrap().seq, seq);
    // A PUT of new content keeps them.
    s.put(CAL, "a.ics", event("u1", "v2"), Precondition::None)
        .unwrap();
    assert_eq!(props(&s, CAL, "a.ics").len(), 1);
    // COPY carries them, MOVE moves them.
    s.create_collection("cals/other", calendar("alice"))
        .unwrap();
    s.copy(
        (CAL, "a.ics"),
        ("cals/other", "c.ics"),
        true,
        Precondition::None,
    )
    .unwrap();
    assert_eq!(props(&s, "cals/other", "c.ics").len(), 1);
    s.move_object((CAL, "a.ics"), (CAL, "b.ics"), true, Precondition::None)
        .unwrap();
    assert!(props(&s, CAL, "a.ics").is_empty());
    assert_eq!(props(&s, CAL, "b.ics").len(), 1);
    // DELETE removes them: a new object under the old name starts bare.
    s.delete(CAL, "b.ics", Precondition::None).unwrap();
    s.put(CAL, "b.ics", event("u9", "v3"), Precondition::None)
        .unwrap();
    assert!(props(&s, CAL, "b.ics").is_empty());
    assert!(!s.read().unwrap().has_object_props(CAL).unwrap());
    // Deleting the collection removes its members' properties.
    s.delete_collection("cals/other").unwrap();
    assert!(props(&s, "cals/other", "c.ics").is_empty());
    s.create_collection("cals/other", calendar("alice"))
        .unwrap();
    s.put("cals/other", "c.ics", event("u1", "v2"), Precondition::None)
        .unwrap();
    assert!(
        props(&s, "cals/other", "c.ics").is_empty(),
        "not resurrected"
    );
    assert!(matches!(
        s.update_object_props(CAL, "none.ics", vec![], Precondition::None),
        Err(StoreError::NotFound)
    ));
    assert_sound(&s);
}

/// A deleted (or moved-away) object's dead properties stay readable while the change log
/// records its delete: gone once the name holds an object again, the tombstone is pruned or
/// the collection is deleted.
pub fn deleted_objects_keep_their_props_while_the_tombstone_lasts(h: &dyn Harness) {
    let s = fixture(h);
    let gone = |s: &Store, name: &str| -> Vec<(String, Vec<u8>)> {
        s.read()
            .unwrap()
            .deleted_object_props(CAL, name)
            .unwrap()
            .into_iter()
            .collect()
    };
    let state = vec![("{urn:x}state".to_string(), Some(b"etag-1".to_vec()))];
    s.put(CAL, "a.ics", event("u1", "v1"), Precondition::None)
        .unwrap();
    s.update_object_props(CAL, "a.ics", state.clone(), Precondition::None)
        .unwrap();
    assert!(gone(&s, "a.ics").is_empty(), "not deleted yet");
    s.delete(CAL, "a.ics", Precondition::None).unwrap();
    assert_eq!(
        gone(&s, "a.ics"),
        vec![("{urn:x}state".to_string(), b"etag-1".to_vec())]
    );
    assert!(props(&s, CAL, "a.ics").is_empty());
    // The name holds an object again: forgotten, and a delete without properties keeps none.
    s.put(CAL, "a.ics", event("u1", "v2"), Precondition::None)
        .unwrap();
    assert!(gone(&s, "a.ics").is_empty());
    s.delete(CAL, "a.ics", Precondition::None).unwrap();
    assert!(gone(&s, "a.ics").is_empty());

    // Moved away: the old name's tombstone keeps them, the new name carries them on.
    s.put(CAL, "b.ics", event("u2", "v1"), Precondition::None)
        .unwrap();
    s.update_object_props(CAL, "b.ics", state.clone(), Precondition::None)
        .unwrap();
    s.move_object((CAL, "b.ics"), (CAL, "c.ics"), false, Precondition::None)
        .unwrap();
    assert_eq!(gone(&s, "b.ics").len(), 1);
    assert_eq!(props(&s, CAL, "c.ics").len(), 1);
    assert!(gone(&s, "c.ics").is_empty());

    // In a batch: the delete and the recreate in one transaction leave nothing behind.
    s.update_object_props(CAL, "c.ics", state.clone(), Precondition::None)
        .unwrap();
    s.apply(vec![
        WriteOp::Delete {
            coll: CAL.into(),
            name: "c.ics".into(),
            pre: Precondition::None,
        },
        WriteOp::Put {
            coll: CAL.into(),
            name: "c.ics".into(),
            object: event("u2", "v2"),
            pre: Precondition::IfNoneMatchAny,
        },
    ])
    .unwrap();
    assert!(gone(&s, "c.ics").is_empty());

    // Pruning the tombstone forgets them.
    s.update_object_props(CAL, "c.ics", state.clone(), Precondition::None)
        .unwrap();
    s.delete(CAL, "c.ics", Precondition::None).unwrap();
    assert_eq!(gone(&s, "c.ics").len(), 1);
    s.prune_tombstones(CAL, 0).unwrap();
    assert!(gone(&s, "b.ics").is_empty() && gone(&s, "c.ics").is_empty());

    // So does deleting the collection (a new one at the same path starts empty).
    s.put(CAL, "d.ics", event("u4", "v1"), Precondition::None)
        .unwrap();
    s.update_object_props(CAL, "d.ics", state, Precondition::None)
        .unwrap();
    s.delete(CAL, "d.ics", Precondition::None).unwrap();
    assert_eq!(gone(&s, "d.ics").len(), 1);
    let kind = s.collection(CAL).unwrap().unwrap();
    s.delete_collection(CAL).unwrap();
    s.create_collection(
        CAL,
        NewCollection {
            owner: kind.owner,
            kind: kind.kind,
            ..NewCollection::default()
        },
    )
    .unwrap();
    assert!(gone(&s, "d.ics").is_empty());
}
