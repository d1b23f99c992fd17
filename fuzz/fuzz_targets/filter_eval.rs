//! calendar-query / addressbook-query filter evaluation, recurrence expansion, `expand`,
//! `limit-recurrence-set` and free-busy on arbitrary objects with filters built from the input;
//! none may panic or run away (a COUNT=10^9 rule, a REPEAT=10^9 alarm).
//!
//! Run: `cargo +nightly fuzz run filter_eval` (from the repository root; seeds: any .ics/.vcf
//! with one leading byte giving the length of the filter-building prefix). Minimised crashes go
//! into crates/davlite-formats/tests/filter_fuzz_seeds.rs as named tests.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| davlite_formats::fuzz_filter_eval(data));
