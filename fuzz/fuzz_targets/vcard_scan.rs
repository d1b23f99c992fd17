//! vCard scanner, validation and import splitting on arbitrary bytes (2.1 quoted-printable,
//! groups, nested AGENT cards): no panic, accepted bytes unchanged.
//!
//! Run from fuzz/: `cargo +nightly fuzz run vcard_scan ../../shared/corpus`. Minimised crashes
//! go into crates/davlite-formats/tests/fuzz_seeded.rs as named tests.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| davlite_formats::fuzz_scan::vcard_scan(data));
