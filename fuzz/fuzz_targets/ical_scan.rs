//! iCalendar scanner, validation, extraction and import splitting on arbitrary bytes: no panic,
//! no runaway (1 MB folded lines, 100,000 nested BEGINs, COUNT=10^9), accepted bytes unchanged.
//!
//! Run from fuzz/: `cargo +nightly fuzz run ical_scan ../../shared/corpus -- -max_len=1048576`
//! (the corpus .ics files make good seeds). Minimised crashes go into
//! crates/davlite-formats/tests/fuzz_seeded.rs as named tests.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| davlite_formats::fuzz_scan::ical_scan(data));
