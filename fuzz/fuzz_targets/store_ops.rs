//! Random operation sequences against the store and its BTreeMap model
//! (`davlite_store::testing`, also run seeded by `cargo test -p davlite-store --test integration
//! model`, and on every backend by the conformance suite's `model` check).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    davlite_store::testing::run_bytes(data);
});
