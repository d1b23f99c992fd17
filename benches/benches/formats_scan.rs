//! Scan + validate + extract throughput of `davlite-formats` (the PUT hot path).
//!
//! ```text
//! cargo bench -p davlite-benches --bench formats_scan
//! ```
//!
//! - `corpus/*`: every file of the shared corpus (`../shared/corpus` or `DAVLITE_CORPUS`) that
//!   PUT accepts, through `ParsedObject::calendar` / `vcard`; throughput in bytes.
//! - `corpus_single_instance`: the accepted files that need no recurrence expansion.
//! - `corpus_scan_only`: the content-line scanner alone over all corpus files.
//! - `event_2kb`: one typical client event (VTIMEZONE, attendees, folded description, alarm).
//! - `folded_1mb`: one 1 MB property folded every 75 octets (must stay linear).

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use davlite_benches::{event_2kb, parse};
use davlite_formats::ParsedObject;
use davlite_formats::scan::Scanner;
use std::hint::black_box;

fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut files = davlite_testkit::read_corpus("ics");
    files.extend(davlite_testkit::read_corpus("vcf"));
    files.sort();
    files
}

fn folded_1mb() -> Vec<u8> {
    let mut s = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:big\r\nDTSTART:20240101T000000Z\r\nDESCRIPTION:",
    );
    let mut col = 12;
    for i in 0..1_000_000 {
        if col == 75 {
            s.push_str("\r\n ");
            col = 1;
        }
        s.push(char::from(b'a' + (i % 26) as u8));
        col += 1;
    }
    s.push_str("\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    s.into_bytes()
}

fn benches(c: &mut Criterion) {
    let files = corpus();
    let accepted: Vec<(String, Vec<u8>)> = files
        .iter()
        .filter(|(n, b)| parse(n, b.clone()))
        .cloned()
        .collect();
    // Objects that need no recurrence expansion: what the scanner, validator and span
    // extraction of this crate cost without the recurrence engine.
    let single: Vec<(String, Vec<u8>)> = accepted
        .iter()
        .filter(|(n, b)| {
            n.ends_with(".vcf")
                || ParsedObject::calendar(b.clone()).is_ok_and(|o| o.info().instances == Some(1))
        })
        .cloned()
        .collect();
    let mut g = c.benchmark_group("formats");
    for (label, set) in [
        ("corpus_accepted", &accepted),
        ("corpus_single_instance", &single),
        ("corpus_all", &files),
    ] {
        let total: usize = set.iter().map(|(_, b)| b.len()).sum();
        g.throughput(Throughput::Bytes(total as u64));
        g.bench_function(label, |b| {
            b.iter_batched(
                || set.clone(),
                |set| {
                    for (name, bytes) in set {
                        black_box(parse(&name, bytes));
                    }
                },
                BatchSize::LargeInput,
            )
        });
    }
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    g.throughput(Throughput::Bytes(total as u64));
    g.bench_function("corpus_scan_only", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for (_, bytes) in &files {
                n += Scanner::new(bytes).map_while(Result::ok).count();
            }
            black_box(n)
        })
    });
    let event = event_2kb();
    assert!(ParsedObject::calendar(event.clone()).is_ok());
    g.throughput(Throughput::Bytes(event.len() as u64));
    g.bench_function("event_2kb", |b| {
        b.iter_batched(
            || event.clone(),
            |e| black_box(ParsedObject::calendar(e).unwrap()),
            BatchSize::SmallInput,
        )
    });
    let big = folded_1mb();
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.bench_function("folded_1mb", |b| {
        b.iter_batched(
            || big.clone(),
            |e| black_box(ParsedObject::calendar(e).unwrap()),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(formats_scan, benches);
criterion_main!(formats_scan);
