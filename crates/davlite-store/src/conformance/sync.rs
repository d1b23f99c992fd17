//! The per-collection change log behind sync tokens: one entry per member name, a floor below
//! which tokens are refused, and ids (and so tokens) that survive a move.

use crate::conformance::Harness;
use crate::conformance::fixtures::*;
use crate::*;

pub fn change_log_is_compacted_and_tokens_are_checked(h: &dyn Harness) {
    let s = fixture(h);
    let t0 = s.collection(CAL).unwrap().unwrap().seq;
    assert_eq!(t0, 0);
    s.put(CAL, "a", event("a", "1"), Precondition::None)
        .unwrap();
    s.put(CAL, "b", event("b", "1"), Precondition::None)
        .unwrap();
    let t1 = s.changes_since(CAL, Some(t0), None).unwrap().seq;
    assert_eq!(t1, 2);
    s.put(CAL, "a", event("a", "2"), Precondition::None)
        .unwrap();
    s.put(CAL, "a", event("a", "3"), Precondition::None)
        .unwrap();
    s.delete(CAL, "b", Precondition::None).unwrap();
    let ch = s.changes_since(CAL, Some(t1), None).unwrap();
    assert_eq!(
        names(&ch),
        vec![("a", ChangeKind::Upsert), ("b", ChangeKind::Delete)]
    );
    assert_eq!(ch.seq, 5);
    assert!(!ch.truncated);
    assert!(ch.changes.iter().all(|c| !c.is_collection));
    assert_eq!(
        ch.changes.iter().map(|c| c.seq).collect::<Vec<_>>(),
        vec![4, 5]
    );
    // syncing again with the new token: empty delta, same token
    let again = s.changes_since(CAL, Some(ch.seq), None).unwrap();
    assert!(again.changes.is_empty());
    assert_eq!(again.seq, ch.seq);
    // initial sync lists live members only
    let init = s.changes_since(CAL, None, None).unwrap();
    assert_eq!(names(&init), vec![("a", ChangeKind::Upsert)]);
    assert_eq!(init.seq, 5);
    assert!(matches!(
        s.changes_since("none", Some(0), None),
        Err(StoreError::NotFound)
    ));
    assert_sound(&s);
}

/// A token ahead of the collection's sequence, or below its floor (raised by `prune_changes`
/// or `prune_tombstones`), is `InvalidSyncToken`; the floor itself and anything between it and
/// the sequence are valid.
pub fn tokens_ahead_or_below_the_floor_are_invalid(h: &dyn Harness) {
    let s = fixture(h);
    let invalid = |s: &Store, t: u64| {
        matches!(
            s.changes_since(CAL, Some(t), None),
            Err(StoreError::InvalidSyncToken)
        )
    };
    assert!(invalid(&s, 1), "ahead of an empty collection");
    assert!(!invalid(&s, 0));
    for n in ["a", "b", "c", "d"] {
        s.put(CAL, n, event(n, n), Precondition::None).unwrap();
    }
    assert!(invalid(&s, 5) && invalid(&s, u64::MAX));
    assert!(!invalid(&s, 4));
    s.delete(CAL, "a", Precondition::None).unwrap(); // 5
    s.delete(CAL, "b", Precondition::None).unwrap(); // 6
    s.put(CAL, "e", event("e", "e"), Precondition::None)
        .unwrap(); // 7
    // prune_changes: the floor rises to `upto`
    assert_eq!(s.prune_changes(CAL, 5).unwrap(), 1);
    let c = s.collection(CAL).unwrap().unwrap();
    assert_eq!((c.floor, c.seq), (5, 7));
    assert!(invalid(&s, 0) && invalid(&s, 4));
    assert!(invalid(&s, 8), "still refused ahead");
    let at_floor = s.changes_since(CAL, Some(5), None).unwrap();
    assert_eq!(
        names(&at_floor),
        vec![("b", ChangeKind::Delete), ("e", ChangeKind::Upsert)]
    );
    // prune_tombstones: the floor rises past the dropped tombstone (b at 6)
    assert_eq!(s.prune_tombstones(CAL, 0).unwrap(), 1);
    let c = s.collection(CAL).unwrap().unwrap();
    assert!(c.floor >= 6 && c.floor <= 7, "floor {}", c.floor);
    assert!(invalid(&s, 5));
    assert!(!invalid(&s, 7));
    let delta = s.changes_since(CAL, Some(c.floor), None).unwrap();
    assert!(delta.changes.iter().all(|ch| ch.seq > c.floor), "{delta:?}");
    // the initial sync is never refused
    assert_eq!(s.changes_since(CAL, None, None).unwrap().changes.len(), 3);
    assert!(matches!(
        s.prune_changes("none", 1),
        Err(StoreError::NotFound)
    ));
    assert_sound(&s);
}

pub fn truncated_changes_continue_without_loss_or_repeat(h: &dyn Harness) {
    let s = fixture(h);
    for i in 0..10 {
        s.put(
            CAL,
            &format!("o{i}"),
            event(&format!("u{i}"), "x"),
            Precondition::None,
        )
        .unwrap();
    }
    let mut token = Some(0);
    let mut seen = Vec::new();
    loop {
        let ch = s.changes_since(CAL, token, Some(3)).unwrap();
        assert!(ch.changes.len() <= 3);
        seen.extend(ch.changes.iter().map(|c| c.name.clone()));
        token = Some(ch.seq);
        if !ch.truncated {
            break;
        }
    }
    let want: Vec<_> = (0..10).map(|i| format!("o{i}")).collect();
    assert_eq!(seen, want);
    assert_eq!(token, Some(10));
    assert_sound(&s);
}

pub fn pruning_raises_the_floor_and_drops_only_tombstones(h: &dyn Harness) {
    let s = fixture(h);
    for n in ["a", "b", "c"] {
        s.put(CAL, n, event(n, n), Precondition::None).unwrap();
    }
    s.delete(CAL, "b", Precondition::None).unwrap(); // seq 4
    s.put(CAL, "d", event("d", "d"), Precondition::None)
        .unwrap(); // seq 5
    assert_eq!(s.prune_changes(CAL, 4).unwrap(), 1);
    let c = s.collection(CAL).unwrap().unwrap();
    assert_eq!((c.floor, c.seq), (4, 5));
    assert!(matches!(
        s.changes_since(CAL, Some(3), None),
        Err(StoreError::InvalidSyncToken)
    ));
    let ch = s.changes_since(CAL, Some(4), None).unwrap();
    assert_eq!(names(&ch), vec![("d", ChangeKind::Upsert)]);
    let all = s.changes_since(CAL, None, None).unwrap();
    assert_eq!(all.changes.len(), 3, "live members survive pruning");
    assert_sound(&s);
}

/// Retention: at most `keep` tombstones stay; the oldest go, the floor rises past them, a
/// token from before the floor is refused, and a token after it still gets an exact delta.
pub fn tombstones_beyond_the_kept_number_are_pruned_oldest_first(h: &dyn Harness) {
    let s = fixture(h);
    for i in 0..10 {
        let name = format!("e{i}");
        s.put(CAL, &name, event(&name, "1"), Precondition::None)
            .unwrap();
    }
    let before = s.collection(CAL).unwrap().unwrap().seq;
    for i in 0..6 {
        s.delete(CAL, &format!("e{i}"), Precondition::None).unwrap();
    }
    let mid = s.collection(CAL).unwrap().unwrap().seq;
    s.delete(CAL, "e6", Precondition::None).unwrap();
    assert_eq!(s.prune_tombstones(CAL, 100).unwrap(), 0, "under the bound");
    assert_eq!(s.prune_tombstones(CAL, 3).unwrap(), 4);
    assert_eq!(s.prune_tombstones(CAL, 3).unwrap(), 0, "idempotent");
    assert!(matches!(
        s.changes_since(CAL, Some(before), None),
        Err(StoreError::InvalidSyncToken)
    ));
    let delta = s.changes_since(CAL, Some(mid), None).unwrap();
    assert_eq!(names(&delta), vec![("e6", ChangeKind::Delete)]);
    assert_eq!(s.changes_since(CAL, None, None).unwrap().changes.len(), 3);
    assert_sound(&s);
}

/// A handle with a bound on deletions ([`Store::keep_deletions`]) prunes as it deletes, moves
/// away and deletes in batches: the log never holds more than the bound plus an eighth, the
/// newest deletions are the ones kept, and tokens above the raised floor still get exact deltas.
pub fn a_bounded_handle_prunes_tombstones_as_it_deletes(h: &dyn Harness) {
    let s = fixture(h).keep_deletions(16);
    // Every deletion the log still holds: the delta from its floor.
    let tombstones = |s: &Store| {
        let floor = s.collection(CAL).unwrap().unwrap().floor;
        let log = s.changes_since(CAL, Some(floor), None).unwrap().changes;
        log.iter().filter(|c| c.kind == ChangeKind::Delete).count()
    };
    let first = s.collection(CAL).unwrap().unwrap().seq;
    for i in 0..60 {
        let name = format!("e{i}");
        s.put(CAL, &name, event(&name, "1"), Precondition::None)
            .unwrap();
        match i % 3 {
            0 => s.delete(CAL, &name, Precondition::None).unwrap(),
            1 => {
                s.move_object(
                    (CAL, &name),
                    (CAL, &format!("m{i}")),
                    false,
                    Precondition::None,
                )
                .unwrap();
                s.delete(CAL, &format!("m{i}"), Precondition::None).unwrap();
            }
            _ => {
                s.apply(vec![WriteOp::Delete {
                    coll: CAL.into(),
                    name: name.clone(),
                    pre: Precondition::None,
                }])
                .unwrap();
            }
        }
        assert!(
            tombstones(&s) <= 16 + 2,
            "after step {i}: {}",
            tombstones(&s)
        );
    }
    assert!(tombstones(&s) >= 16, "the bound is kept, not emptied");
    assert!(matches!(
        s.changes_since(CAL, Some(first), None),
        Err(StoreError::InvalidSyncToken)
    ));
    let mid = s.collection(CAL).unwrap().unwrap().seq;
    s.delete(CAL, "absent", Precondition::None).unwrap_err();
    s.put(CAL, "last", event("last", "1"), Precondition::None)
        .unwrap();
    s.delete(CAL, "last", Precondition::None).unwrap();
    let delta = s.changes_since(CAL, Some(mid), None).unwrap();
    assert_eq!(names(&delta), vec![("last", ChangeKind::Delete)]);
    // The newest deletion of the loop is among the kept ones.
    let floor = s.collection(CAL).unwrap().unwrap().floor;
    let log = s.changes_since(CAL, Some(floor), None).unwrap();
    assert!(names(&log).contains(&("e59", ChangeKind::Delete)));
    assert_sound(&s);
}

/// Delete, recreate under the same or another name, delete again: after every step the delta
/// from the previous token is exactly that step, and the UID index follows.
pub fn delete_recreate_loops_keep_the_change_log_exact(h: &dyn Harness) {
    let s = fixture(h);
    let mut token = s.collection(CAL).unwrap().unwrap().seq;
    let mut step = |s: &Store, want: Vec<(&str, ChangeKind)>| {
        let ch = s.changes_since(CAL, Some(token), None).unwrap();
        assert_eq!(names(&ch), want, "delta after token {token}");
        assert_eq!(ch.seq, token + 1);
        token = ch.seq;
    };
    for i in 0..20 {
        let name = if i % 2 == 0 { "a.ics" } else { "b.ics" };
        s.put(
            CAL,
            name,
            event("u1", &format!("v{i}")),
            Precondition::IfNoneMatchAny,
        )
        .unwrap();
        step(&s, vec![(name, ChangeKind::Upsert)]);
        assert_eq!(s.find_uid(CAL, "u1").unwrap().as_deref(), Some(name));
        s.delete(CAL, name, Precondition::None).unwrap();
        step(&s, vec![(name, ChangeKind::Delete)]);
        assert!(s.find_uid(CAL, "u1").unwrap().is_none());
        assert!(s.get(CAL, name).unwrap().is_none());
    }
    assert!(s.list(CAL).unwrap().is_empty());
    // The log keeps one entry per name: both tombstones, each at its last change.
    let all = s.changes_since(CAL, Some(0), None).unwrap();
    assert_eq!(
        all.changes
            .iter()
            .map(|c| (c.name.as_str(), c.kind, c.seq))
            .collect::<Vec<_>>(),
        vec![
            ("a.ics", ChangeKind::Delete, 38),
            ("b.ics", ChangeKind::Delete, 40)
        ]
    );
    assert!(s.changes_since(CAL, None, None).unwrap().changes.is_empty());
    assert_sound(&s);
}

/// One batch that deletes names and writes them again, into a collection that had never lost
/// a member, logs each name once, at its last change: a backend that remembers "this
/// collection has no tombstones" for the batch must forget it at the batch's first delete.
pub fn a_batch_that_recreates_what_it_deleted_logs_each_name_once(h: &dyn Harness) {
    let s = fixture(h);
    s.put(CAL, "a.ics", event("a", "1"), Precondition::None)
        .unwrap();
    let token = s.collection(CAL).unwrap().unwrap().seq;
    let put = |name: &str, uid: &str, text: &str| WriteOp::Put {
        coll: CAL.into(),
        name: name.into(),
        object: event(uid, text),
        pre: Precondition::IfNoneMatchAny,
    };
    let delete = |name: &str| WriteOp::Delete {
        coll: CAL.into(),
        name: name.into(),
        pre: Precondition::None,
    };
    s.apply(vec![
        put("b.ics", "b", "1"),
        delete("a.ics"),
        put("a.ics", "a", "2"),
        delete("b.ics"),
        put("c.ics", "c", "1"),
        put("b.ics", "b", "2"),
        delete("c.ics"),
    ])
    .unwrap();
    let ch = s.changes_since(CAL, Some(token), None).unwrap();
    let mut got: Vec<_> = ch
        .changes
        .iter()
        .map(|c| (c.name.as_str(), c.kind, c.seq))
        .collect();
    got.sort_by_key(|&(name, _, seq)| (name, seq));
    assert_eq!(
        got,
        vec![
            ("a.ics", ChangeKind::Upsert, token + 3),
            ("b.ics", ChangeKind::Upsert, token + 6),
            ("c.ics", ChangeKind::Delete, token + 7),
        ]
    );
    assert_eq!(
        s.get(CAL, "a.ics").unwrap().map(|(_, body)| body),
        Some(event("a", "2").bytes().to_vec())
    );
    assert_eq!(s.find_uid(CAL, "b").unwrap().as_deref(), Some("b.ics"));
    assert!(s.get(CAL, "c.ics").unwrap().is_none());
    assert_sound(&s);
}

/// A moved collection keeps its id, sequence and log: a token handed out before the move is
/// valid at the new path, and the collection is found by id there.
pub fn a_moved_collection_keeps_its_id_and_tokens(h: &dyn Harness) {
    let s = fixture(h);
    s.put(CAL, "a", event("a", "1"), Precondition::None)
        .unwrap();
    s.put(CAL, "b", event("b", "1"), Precondition::None)
        .unwrap();
    let before = s.collection(CAL).unwrap().unwrap();
    let token = before.seq;
    s.create_collection("other", plain("alice")).unwrap();
    let parent_token = s.collection("other").unwrap().unwrap().seq;
    assert!(s.move_collection(CAL, "other/moved", false).unwrap());
    let after = s.collection("other/moved").unwrap().unwrap();
    assert_eq!((after.id, after.seq), (before.id, before.seq));
    assert_eq!(
        s.read().unwrap().collection_by_id(before.id).unwrap(),
        Some(after.clone())
    );
    // the old token is still good, at the new path
    s.delete("other/moved", "b", Precondition::None).unwrap();
    s.put("other/moved", "c", event("c", "1"), Precondition::None)
        .unwrap();
    let ch = s.changes_since("other/moved", Some(token), None).unwrap();
    assert_eq!(
        names(&ch),
        vec![("b", ChangeKind::Delete), ("c", ChangeKind::Upsert)]
    );
    // the old path is gone, and both parents logged the move of their member
    assert!(matches!(
        s.changes_since(CAL, Some(token), None),
        Err(StoreError::NotFound)
    ));
    let up = s.changes_since("other", Some(parent_token), None).unwrap();
    assert_eq!(up.changes.len(), 1);
    assert_eq!(
        (
            up.changes[0].name.as_str(),
            up.changes[0].kind,
            up.changes[0].is_collection
        ),
        ("moved", ChangeKind::Upsert, true)
    );
    let cals = s.changes_since("cals", Some(0), None).unwrap();
    assert!(
        cals.changes
            .iter()
            .any(|c| c.name == "work" && c.kind == ChangeKind::Delete && c.is_collection),
        "{cals:?}"
    );
    // a copy gets a new id and a fresh log: an old token is not valid there
    assert!(
        s.copy_collection("other/moved", "cals/copy", false)
            .unwrap()
    );
    let copy = s.collection("cals/copy").unwrap().unwrap();
    assert_ne!(copy.id, before.id);
    assert_eq!(
        names(&s.changes_since("cals/copy", None, None).unwrap()),
        vec![("a", ChangeKind::Upsert), ("c", ChangeKind::Upsert)]
    );
    assert_sound(&s);
}
