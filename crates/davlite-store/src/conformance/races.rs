//! Races: every check and write of a request happen in one transaction of the backend, so
//! concurrent requests cannot both pass a check that only one may pass.

use crate::conformance::Harness;
use crate::conformance::fixtures::*;
use crate::*;

/// 16 threads create 16 names with one UID in one collection at once, five rounds: exactly one
/// wins each round, and every loser is told the winner's name (or, at worst, that its
/// precondition failed).
pub fn sixteen_threads_racing_for_one_uid(h: &dyn Harness) {
    let s = fixture(h);
    for round in 0..5 {
        let uid = format!("shared-{round}");
        let s2 = s.clone();
        let results = race(16, move |i| {
            let name = format!("r{round}-{i}.ics");
            let put = s2.put(
                CAL,
                &name,
                event(&uid, &format!("{i}")),
                Precondition::IfNoneMatchAny,
            );
            (name, put)
        });
        let winners: Vec<_> = results
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(n, _)| n.clone())
            .collect();
        assert_eq!(winners.len(), 1, "exactly one creator wins: {results:?}");
        let winner = &winners[0];
        for (name, r) in &results {
            match r {
                Ok(out) => assert!(out.created && out.changed, "{name}: {out:?}"),
                Err(StoreError::UidConflict { existing }) => {
                    assert_eq!(existing, winner, "{name} was told the wrong holder")
                }
                Err(StoreError::PreconditionFailed { .. }) => {}
                Err(e) => panic!("{name} lost with {e:?}, winner {winner}"),
            }
        }
        assert_eq!(
            s.find_uid(CAL, &format!("shared-{round}")).unwrap(),
            Some(winner.clone())
        );
        for (name, r) in &results {
            assert_eq!(
                s.meta(CAL, name).unwrap().is_some(),
                r.is_ok(),
                "a loser left nothing behind: {name}"
            );
        }
    }
    assert_eq!(s.list(CAL).unwrap().len(), 5);
    assert_eq!(
        s.collection(CAL).unwrap().unwrap().seq,
        5,
        "one change per win"
    );
    assert_sound(&s);
}

/// 16 threads update one object with `If-Match` on its current ETag, five rounds: exactly one
/// wins each round, and every loser gets `PreconditionFailed` naming the winner's new ETag.
pub fn racing_if_match_updates_exactly_one_wins(h: &dyn Harness) {
    let s = fixture(h);
    let mut etag = s
        .put(CAL, "a.ics", event("u", "v0"), Precondition::None)
        .unwrap()
        .etag;
    for round in 0..5 {
        let s2 = s.clone();
        let results = race(16, move |i| {
            s2.put(
                CAL,
                "a.ics",
                event("u", &format!("r{round}-{i}")),
                Precondition::IfMatch(vec![etag]),
            )
        });
        let wins: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(wins.len(), 1, "{results:?}");
        let new = wins[0].etag;
        assert!(!wins[0].created && wins[0].changed);
        for r in &results {
            if let Err(e) = r {
                assert!(
                    matches!(e, StoreError::PreconditionFailed { current: Some(c) } if *c == new),
                    "a loser got {e:?}, the winner wrote {new}"
                );
            }
        }
        assert_eq!(s.meta(CAL, "a.ics").unwrap().unwrap().etag, new);
        etag = new;
    }
    assert_eq!(s.collection(CAL).unwrap().unwrap().seq, 6);
    assert_sound(&s);
}

/// 16 threads create one name with `If-None-Match: *` (each with its own UID) at once, five
/// rounds; then 16 threads race to delete or update it with `If-Match` on its ETag. Each round
/// has exactly one winner, and every loser is refused with the precondition (the 412), not
/// overwritten, not overwriting, and never `Busy`.
pub fn racing_creates_of_one_name_exactly_one_wins(h: &dyn Harness) {
    let s = fixture(h);
    for round in 0..5u64 {
        let name = format!("n{round}.ics");
        let (s2, n2) = (s.clone(), name.clone());
        let results = race(16, move |i| {
            s2.put(
                CAL,
                &n2,
                event(&format!("n{round}-{i}"), &format!("{i}")),
                Precondition::IfNoneMatchAny,
            )
        });
        let wins: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(wins.len(), 1, "exactly one creator wins: {results:?}");
        assert!(wins[0].created && wins[0].changed);
        let etag = wins[0].etag;
        for r in &results {
            if let Err(e) = r {
                assert!(
                    matches!(e, StoreError::PreconditionFailed { .. }),
                    "a loser got {e:?}"
                );
            }
        }
        assert_eq!(s.meta(CAL, &name).unwrap().unwrap().etag, etag);
        assert_eq!(s.collection(CAL).unwrap().unwrap().seq, round + 1);
    }
    let meta = s.meta(CAL, "n0.ics").unwrap().unwrap();
    let (etag, uid) = (meta.etag, meta.uid.unwrap());
    let s2 = s.clone();
    let results = race(16, move |i| {
        let pre = Precondition::IfMatch(vec![etag]);
        if i % 2 == 0 {
            s2.delete(CAL, "n0.ics", pre).map(|()| None)
        } else {
            s2.put(CAL, "n0.ics", event(&uid, &format!("u{i}")), pre)
                .map(|o| Some(o.etag))
        }
    });
    let wins: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(wins.len(), 1, "one delete or one update wins: {results:?}");
    for r in &results {
        if let Err(e) = r {
            assert!(
                matches!(
                    e,
                    StoreError::PreconditionFailed { .. } | StoreError::NotFound
                ),
                "a loser got {e:?}"
            );
        }
    }
    assert_eq!(
        s.meta(CAL, "n0.ics").unwrap().map(|m| m.etag),
        *wins[0],
        "what is stored is what the winner did"
    );
    assert_eq!(s.collection(CAL).unwrap().unwrap().seq, 6);
    assert_sound(&s);
}

/// 8 writers, each reading right after its own writes: an acknowledged write is visible to the
/// next read, and one snapshot never mixes states.
pub fn concurrent_writers_and_readers_see_consistent_snapshots(h: &dyn Harness) {
    let s = fixture(h);
    let s2 = s.clone();
    let results = race(8, move |i| {
        for j in 0..25 {
            let name = format!("{i}-{j}");
            s2.put(
                CAL,
                &name,
                event(&name, &name),
                Precondition::IfNoneMatchAny,
            )
            .unwrap();
            assert_eq!(
                s2.get(CAL, &name).unwrap().unwrap().1,
                event_bytes(&name, &name)
            );
            let r = s2.read().unwrap();
            let listed = r.list(CAL).unwrap().len() as u64;
            let seq = r.collection(CAL).unwrap().unwrap().seq;
            assert_eq!(listed, seq, "one snapshot: as many objects as upserts");
        }
    });
    assert_eq!(results.len(), 8);
    assert_eq!(s.list(CAL).unwrap().len(), 200);
    assert_sound(&s);
}

/// Reads never go back in time: a read that starts after another read returned sees at least
/// what that one saw, even while commits are landing. 4 writers bump the collection's sequence
/// while 4 readers each check the sequence they read against the highest any finished read
/// has seen. (A snapshot cache labelled with a commit counter bumped only after the commit
/// once handed out a snapshot older than one already answered: a sync client then got its own
/// token refused as "ahead" of the collection.)
pub fn reads_never_go_back_in_time(h: &dyn Harness) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    let s = fixture(h);
    let s2 = s.clone();
    let seen = Arc::new(AtomicU64::new(0));
    let writers_done = Arc::new(AtomicUsize::new(0));
    const WRITERS: usize = 4;
    let reads = race(8, move |i| {
        if i < WRITERS {
            for j in 0..100 {
                let name = format!("{i}-{j}");
                let body = event(&name, &name);
                s2.put(CAL, &name, body, Precondition::IfNoneMatchAny)
                    .unwrap();
            }
            writers_done.fetch_add(1, Ordering::AcqRel);
            return 0;
        }
        let mut reads = 0u64;
        while writers_done.load(Ordering::Acquire) < WRITERS {
            let before = seen.load(Ordering::Acquire);
            let seq = s2.read().unwrap().collection(CAL).unwrap().unwrap().seq;
            assert!(
                seq >= before,
                "a read saw sequence {seq} after another read had returned {before}"
            );
            seen.fetch_max(seq, Ordering::AcqRel);
            reads += 1;
        }
        reads
    });
    assert!(reads.iter().sum::<u64>() > 0, "the readers read");
    assert_eq!(s.collection(CAL).unwrap().unwrap().seq, 400);
}

/// Many writers racing for the last bytes of one quota: the check and the write are one
/// transaction, so exactly as many writes as fit succeed and usage never passes the limit.
pub fn racing_writers_never_pass_the_quota(h: &dyn Harness) {
    let s = fixture(h);
    // Room for exactly ten of the 80 bodies (all the same size: names `t0-0` to `t7-9`).
    let size = event_bytes("t0-0", &"x".repeat(100)).len() as u64;
    s.set_owner_quotas(policy(None, &[("alice", Some(10 * size))]));
    let s2 = s.clone();
    let oks = race(8, move |t| {
        let mut ok = 0;
        for i in 0..10 {
            let name = format!("t{t}-{i}");
            match s2.put(
                CAL,
                &name,
                event(&name, &"x".repeat(100)),
                Precondition::None,
            ) {
                Ok(_) => ok += 1,
                Err(StoreError::QuotaExceeded) => {}
                Err(e) => panic!("{e:?}"),
            }
        }
        ok
    });
    assert_eq!(oks.iter().sum::<u32>(), 10);
    assert_eq!(s.usage("alice").unwrap(), (10 * size, Some(10 * size)));
    assert_eq!(s.list(CAL).unwrap().len(), 10);
    assert_sound(&s);
}

/// 8 threads compare-and-swap one shared document from the same version: exactly one wins.
pub fn racing_document_writers_exactly_one_wins(h: &dyn Harness) {
    let s = h.fresh();
    let v1 = s.put_document("race", b"v1".to_vec(), None).unwrap();
    let s2 = s.clone();
    let results = race(8, move |i| {
        s2.put_document("race", format!("from {i}").into_bytes(), Some(v1))
    });
    let wins: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(wins.len(), 1, "{results:?}");
    for r in &results {
        if let Err(e) = r {
            assert!(matches!(e, StoreError::PreconditionFailed { .. }), "{e:?}");
        }
    }
    let winner = results.iter().position(|r| r.is_ok()).unwrap();
    let (version, bytes) = s.document("race").unwrap().unwrap();
    assert_eq!(version, *wins[0]);
    assert!(version > v1);
    assert_eq!(bytes, format!("from {winner}").into_bytes());
}
