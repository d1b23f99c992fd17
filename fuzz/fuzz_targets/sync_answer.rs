//! What a hostile or broken server can answer the sync client: every answer is read as a
//! multistatus and as an error body, then walked as a first sync's listing whose bodies are
//! handed over parsed. Shares its body with crates/davlite-sync/tests/fuzz_seeded.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    davlite_sync::fuzzing::server_answer(data);
});
