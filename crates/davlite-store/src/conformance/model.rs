//! The model-based check: seeded random operation sequences (the generator the fuzz target
//! uses, `crate::testing`) run against the backend and a `BTreeMap` model, comparing every
//! answer and the whole visible state after every step.

use crate::conformance::Harness;
use crate::testing;

/// Seeds and length of the conformance run: short enough for a remote backend (each step
/// reads the state back), long enough to reach every kind of answer.
pub const SEEDS: std::ops::Range<u64> = 1000..1004;
pub const OPS: usize = 400;

/// Runs `seeds` sequences of `ops` operations on fresh stores; returns what answers were seen.
pub fn run_seeds(h: &dyn Harness, seeds: std::ops::Range<u64>, ops: usize) -> testing::Coverage {
    let mut seen = testing::Coverage::new();
    for seed in seeds {
        // about three bytes per operation; take exactly `ops` of them
        let mut program = testing::ops_from_bytes(&testing::seeded_bytes(seed, ops * 8));
        assert!(
            program.len() >= ops,
            "seed {seed} produced only {} ops",
            program.len()
        );
        program.truncate(ops);
        for (k, v) in testing::run_on(&h.fresh(), &program) {
            *seen.entry(k).or_default() += v;
        }
    }
    seen
}

pub fn model(h: &dyn Harness) {
    let seen = run_seeds(h, SEEDS, OPS);
    // The comparison proves little unless both success and failure paths were taken.
    for answer in [
        "put ok",
        "put 412",
        "put uid",
        "delete ok",
        "transfer ok",
        "sync changes",
    ] {
        assert!(
            seen.get(answer).copied().unwrap_or(0) > 0,
            "never saw {answer:?}: {seen:?}"
        );
    }
}
