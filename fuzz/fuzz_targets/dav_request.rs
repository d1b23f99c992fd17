//! A whole request through the DAV handler over an in-memory store: every input must be answered
//! with a status (never a panic, never a 500). Shares its body with the seeded `cargo test`
//! version (crates/davlite-dav/tests/fuzz_seeded.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| davlite_dav::fuzzing::dav_request(data));
