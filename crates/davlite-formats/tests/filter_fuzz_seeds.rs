//! The `filter_eval` fuzz body run by ordinary `cargo test`: over every file of the shared corpus
//! with pseudo-random filters, and over the hostile inputs the issue names (a 1 MB folded line,
//! 100,000 nested BEGINs, COUNT=10^9). Minimised fuzz crashes are added here as named tests.

use davlite_testkit::Rng;

use davlite_formats::fuzz_filter_eval;
use std::time::{Duration, Instant};

/// Generous bounds that still catch a runaway loop; unoptimised builds run calcard ~30x slower.
fn budget(release_secs: u64) -> Duration {
    Duration::from_secs(if cfg!(debug_assertions) {
        release_secs * 10
    } else {
        release_secs
    })
}

fn input(spec: &[u8], object: &[u8]) -> Vec<u8> {
    let mut v = vec![spec.len() as u8];
    v.extend_from_slice(spec);
    v.extend_from_slice(object);
    v
}

#[test]
fn corpus_with_random_filters() {
    let mut entries = davlite_testkit::corpus_files("ics");
    entries.extend(davlite_testkit::corpus_files("vcf"));
    assert!(entries.len() > 100, "only {} corpus files", entries.len());
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    for path in entries {
        let object = std::fs::read(&path).unwrap();
        for _ in 0..4 {
            let spec = rng.bytes(40);
            let started = Instant::now();
            fuzz_filter_eval(&input(&spec, &object));
            assert!(
                started.elapsed() < budget(1),
                "{} took {:?}",
                path.display(),
                started.elapsed()
            );
        }
    }
}

fn quick(object: &[u8]) {
    let started = Instant::now();
    for spec in [[0x2Au8; 24], [0xFF; 24], [0x00; 24], [0x13; 24]] {
        fuzz_filter_eval(&input(&spec, object));
    }
    assert!(
        started.elapsed() < budget(2),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn one_megabyte_folded_line() {
    let mut body =
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T000000Z\r\nSUMMARY:"
            .to_vec();
    for _ in 0..(1 << 20) / 76 {
        body.extend_from_slice(&[b'x'; 74]);
        body.extend_from_slice(b"\r\n ");
    }
    body.extend_from_slice(b"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    quick(&body);
}

#[test]
fn hundred_thousand_nested_begins() {
    let mut body = Vec::new();
    for _ in 0..100_000 {
        body.extend_from_slice(b"BEGIN:VCALENDAR\r\n");
    }
    quick(&body);
}

#[test]
fn count_of_a_billion() {
    quick(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T000000Z\r\nRRULE:FREQ=SECONDLY;COUNT=1000000000\r\nBEGIN:VALARM\r\nTRIGGER:-PT1M\r\nREPEAT:1000000000\r\nDURATION:PT1S\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
}

#[test]
fn minutely_rule_from_long_ago() {
    quick(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:19000101T000000Z\r\nRRULE:FREQ=MINUTELY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
}

#[test]
fn truncated_and_garbage_objects() {
    quick(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;TZID=\"unterminated:2024");
    quick(b"\xEF\xBB\xBFBEGIN:VCARD\r\nitem1.:x\r\n;;;\r\n:\r\nEND:VCARD\r\n");
    quick(b"");
    quick(b"BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:X\r\nBEGIN:STANDARD\r\nDTSTART:99991231T235959\r\nRRULE:FREQ=SECONDLY\r\nTZOFFSETFROM:+9999\r\nTZOFFSETTO:-9999\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nDTSTART;TZID=X:20240101T000000\r\nRRULE:FREQ=YEARLY;INTERVAL=0\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
}

/// Found by the hour-long `filter_eval` campaign of session 10: an event of about a thousand
/// RDATE lines (38 KB) whose fuzzed range held thousands of instances; `expand` copied the
/// component into each and built 350 MB for one object (0.96 s). Expansion is now capped at
/// `EXPANDED_BYTES_CAP` per object and refused beyond it (66 ms, 23 MB).
#[test]
fn seed_expand_amplification_of_a_large_component() {
    let data = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fuzz_seeds/filter_eval_expand_amplification.bin"),
    )
    .unwrap();
    let started = Instant::now();
    fuzz_filter_eval(&data);
    assert!(
        started.elapsed() < budget(1),
        "took {:?}",
        started.elapsed()
    );
}
