//! The long seeded model run on in-memory redb (`testing::run`), with the check that the
//! generator reaches every kind of answer, and the fuzz target's entry point (`run_bytes`) on
//! degenerate inputs. Every backend runs a shorter model check with other seeds in the
//! conformance suite (`conformance::model`).

use davlite_store::testing;

#[test]
fn random_operation_sequences_match_the_model() {
    let mut seen = testing::Coverage::new();
    for seed in 0..24u64 {
        let ops = testing::ops_from_bytes(&testing::seeded_bytes(seed, 1200));
        assert!(
            ops.len() > 150,
            "seed {seed} produced only {} ops",
            ops.len()
        );
        for (k, v) in testing::run(&ops) {
            *seen.entry(k).or_default() += v;
        }
    }
    // The generator must reach success and failure paths, or the comparison proves little.
    for answer in [
        "put ok",
        "put 412",
        "put uid",
        "put 409",
        "delete ok",
        "delete 412",
        "delete 404",
        "transfer ok",
        "transfer 412",
        "transfer uid",
        "transfer 404",
        "transfer kind",
        "create ok",
        "create exists",
        "delete_collection ok",
        "sync changes",
        "sync empty",
    ] {
        assert!(
            seen.get(answer).copied().unwrap_or(0) > 0,
            "never saw {answer:?}: {seen:?}"
        );
    }
}

#[test]
fn empty_and_tiny_inputs_are_valid_programs() {
    testing::run_bytes(&[]);
    testing::run_bytes(&[0]);
    testing::run_bytes(&[2, 0, 0, 0, 0, 0]);
}
