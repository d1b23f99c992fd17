//! Href decoding under a base and an alias (request paths, body hrefs, absolute URLs, a
//! forwarded prefix): nothing hostile survives, and what decodes encodes back to the same
//! segments. Shares its body with crates/davlite-dav/tests/fuzz_seeded.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| davlite_dav::fuzzing::href(data));
