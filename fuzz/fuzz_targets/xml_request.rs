//! Every davlite-proto request-body parser on arbitrary bytes; dead property values that parse
//! must write back and read back equal. Shares its body with the seeded `cargo test` version
//! (crates/davlite-proto/tests/fuzz_seeded.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| davlite_proto::fuzzing::xml_request(data));
