//! Parses an input N times, for counting instructions per parse under valgrind, which unlike
//! wall time on a shared machine does not move between runs:
//!
//! ```text
//! cargo build --release -p davlite-benches --example parse_count
//! valgrind --tool=cachegrind --cache-sim=no target/release/examples/parse_count event 2000
//! valgrind --tool=cachegrind --cache-sim=no target/release/examples/parse_count event 0
//! ```
//!
//! The difference of the two totals over 2,000 is the instructions per parse of `event_2kb`
//! (the input of the `formats_scan` bench). `corpus N` parses every accepted file of the shared
//! corpus (as `corpus_accepted` does) N times instead. N = 0 does all the set-up and no parse.

use davlite_benches::parse;
use std::hint::black_box;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(input), Some(n)) = (args.next(), args.next().and_then(|n| n.parse::<u32>().ok()))
    else {
        eprintln!("usage: parse_count event|corpus N");
        std::process::exit(2);
    };
    let set: Vec<(String, Vec<u8>)> = match input.as_str() {
        "event" => vec![("event_2kb.ics".into(), davlite_benches::event_2kb())],
        "corpus" => {
            let mut files = davlite_testkit::read_corpus("ics");
            files.extend(davlite_testkit::read_corpus("vcf"));
            files.sort();
            // What the bench's corpus_accepted parses: the files PUT accepts. Judged by the
            // same parse, so N = 0 pays for this too and the difference is N passes.
            files.retain(|(name, bytes)| parse(name, bytes.clone()));
            files
        }
        _ => {
            eprintln!("usage: parse_count event|corpus N");
            std::process::exit(2);
        }
    };
    let mut accepted = 0usize;
    for _ in 0..n {
        for (name, bytes) in &set {
            accepted += usize::from(black_box(parse(name, black_box(bytes.clone()))));
        }
    }
    println!("{} files, {accepted} parses accepted", set.len());
}
