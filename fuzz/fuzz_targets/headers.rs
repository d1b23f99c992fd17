//! Depth, If-Match / If-None-Match, If, Destination, Overwrite and Prefer parsers on arbitrary
//! input; none may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| davlite_proto::fuzzing::headers(data));
