//! A seeded, bounded version of the `ical_scan` / `vcard_scan` fuzz targets that runs in plain
//! `cargo test`: every corpus file, mutated a fixed number of times with edits aimed at the
//! scanner's corners (line endings, folds, quotes, colons, truncation, repetition). Minimised
//! crashes found by cargo-fuzz are added below as named tests.

use davlite_testkit::Rng;

use davlite_formats::fuzz_scan::{ical_scan, vcard_scan};

fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut files = davlite_testkit::read_corpus("ics");
    files.extend(davlite_testkit::read_corpus("vcf"));
    files.sort();
    assert!(files.len() >= 400, "corpus incomplete");
    files
}

const TOKENS: &[&[u8]] = &[
    b"\r\n",
    b"\n",
    b"\r",
    b"\r\n ",
    b"\n\t",
    b"\"",
    b":",
    b";",
    b"=",
    b",",
    b".",
    b"\\",
    b"BEGIN:VEVENT\r\n",
    b"END:VEVENT\r\n",
    b"BEGIN:VCALENDAR\r\n",
    b"END:VCALENDAR\r\n",
    b"BEGIN:VCARD\r\n",
    b"END:VCARD\r\n",
    b"RRULE:FREQ=SECONDLY;COUNT=1000000000\r\n",
    b"RECURRENCE-ID:20240101T000000Z\r\n",
    b"DTSTART;TZID=Nowhere/Zone:20240101T000000\r\n",
    b";ENCODING=QUOTED-PRINTABLE:=\r\n",
    b"\xC3",
    b"\xEF\xBB\xBF",
    b"\0",
    b"METHOD:X\r\n",
];

fn mutate(rng: &mut Rng, src: &[u8]) -> Vec<u8> {
    let mut out = src.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(5) {
            0 => out.truncate(at),
            1 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                out.splice(at..at, t.iter().copied());
            }
            2 if at < out.len() => out[at] ^= 1 << rng.below(8),
            3 if at < out.len() => {
                let end = (at + rng.below(64)).min(out.len());
                out.drain(at..end);
            }
            _ => {
                let end = (at + rng.below(200)).min(out.len());
                let chunk = out[at..end].to_vec();
                out.splice(at..at, chunk);
            }
        }
    }
    out
}

#[test]
fn seeded_mutations_of_the_corpus_never_panic() {
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    let mut runs = 0;
    for (name, bytes) in corpus() {
        let target: fn(&[u8]) = if name.ends_with(".vcf") {
            vcard_scan
        } else {
            ical_scan
        };
        target(&bytes);
        for _ in 0..6 {
            target(&mutate(&mut rng, &bytes));
            runs += 1;
        }
    }
    assert!(runs > 2500);
}

#[test]
fn empty_and_tiny_inputs() {
    for input in [
        &b""[..],
        b"\r",
        b"\n\n",
        b":",
        b";",
        b"\"",
        b" ",
        b"\xEF\xBB\xBF",
        b"A",
        b"BEGIN:",
    ] {
        ical_scan(input);
        vcard_scan(input);
    }
}

#[test]
fn qp_soft_break_at_end_of_body() {
    vcard_scan(b"BEGIN:VCARD\r\nNOTE;QUOTED-PRINTABLE:abc=\r\n");
    vcard_scan(b"N;ENCODING=QUOTED-PRINTABLE:=\r\n=\r\n=");
}

#[test]
fn fold_right_after_bom_and_lone_cr_before_fold() {
    ical_scan(b"\xEF\xBB\xBF BEGIN:VCALENDAR\r\n");
    ical_scan(b"BEGIN:VCALENDAR\r \r\n\tX:1\r");
}
