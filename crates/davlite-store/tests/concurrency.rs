//! Races: every check and write of a request happen in one write transaction, so concurrent
//! requests cannot both pass a check that only one may pass.

use crate::common;
use std::sync::{Arc, Barrier};

use common::*;
use davlite_store::*;

fn race<T: Send + 'static>(n: usize, f: impl Fn(usize) -> T + Send + Sync + 'static) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(n));
    let f = Arc::new(f);
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (barrier, f) = (barrier.clone(), f.clone());
            std::thread::spawn(move || {
                barrier.wait();
                f(i)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

fn uid_race(options: Options) {
    let (_d, s) = fixture(options);
    for round in 0..5 {
        let uid = format!("shared-{round}");
        let s2 = s.clone();
        let results = race(16, move |i| {
            let name = format!("r{round}-{i}.ics");
            (
                name.clone(),
                s2.put(
                    CAL,
                    &name,
                    event(&uid, &format!("{i}")),
                    Precondition::IfNoneMatchAny,
                ),
            )
        });
        let winners: Vec<_> = results
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(n, _)| n.clone())
            .collect();
        assert_eq!(winners.len(), 1, "exactly one creator wins: {results:?}");
        for (_, r) in &results {
            if let Err(e) = r {
                assert!(
                    matches!(e, StoreError::UidConflict { existing } if *existing == winners[0]),
                    "loser got {e:?}, winner {}",
                    winners[0]
                );
            }
        }
        assert_eq!(
            s.find_uid(CAL, &format!("shared-{round}"))
                .unwrap()
                .as_ref(),
            Some(&winners[0])
        );
    }
    assert_eq!(s.list(CAL).unwrap().len(), 5);
    assert_sound(&s);
}

#[test]
fn sixteen_threads_racing_for_one_uid_group_commit() {
    uid_race(Options::default());
}

#[test]
fn sixteen_threads_racing_for_one_uid_one_commit_each() {
    uid_race(Options {
        group_commit: false,
        ..Options::default()
    });
}

#[test]
fn racing_if_match_updates_exactly_one_wins() {
    let (_d, s) = fixture(Options::default());
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
        for r in &results {
            if let Err(e) = r {
                assert!(
                    matches!(e, StoreError::PreconditionFailed { current: Some(c) } if *c == new),
                    "{e:?}"
                );
            }
        }
        assert_eq!(s.meta(CAL, "a.ics").unwrap().unwrap().etag, new);
        etag = new;
    }
    assert_sound(&s);
}

#[test]
fn concurrent_writers_and_readers_see_consistent_snapshots() {
    let (_d, s) = fixture(Options::default());
    let s2 = s.clone();
    let results = race(8, move |i| {
        for j in 0..50 {
            let name = format!("{i}-{j}");
            s2.put(
                CAL,
                &name,
                event(&name, &name),
                Precondition::IfNoneMatchAny,
            )
            .unwrap();
            // an acknowledged write is visible to the very next read
            assert_eq!(s2.get(CAL, &name).unwrap().unwrap().1, name.as_bytes());
            let r = s2.read().unwrap();
            let listed = r.list(CAL).unwrap().len() as u64;
            let seq = r.collection(CAL).unwrap().unwrap().seq;
            assert_eq!(listed, seq, "one snapshot: as many objects as upserts");
        }
    });
    assert_eq!(results.len(), 8);
    assert_eq!(s.list(CAL).unwrap().len(), 400);
    assert_sound(&s);
}
