//! Every file of the shared corpus gets a verdict, compared with the committed table
//! `tests/golden/corpus.tsv`. The test never writes the table: after a deliberate change of
//! behaviour a person regenerates it with
//!
//! ```text
//! UPDATE_GOLDEN=1 cargo test -p davlite-formats --test corpus_golden
//! ```
//!
//! and reviews the diff before committing it. The corpus lives outside the repository
//! (`../shared/corpus`, or `DAVLITE_CORPUS`); when it is missing the test fails rather than
//! passing on nothing.

use std::fmt::Write as _;
use std::path::PathBuf;

use davlite_formats::{Charset, ParseOptions, ParsedObject, split_calendar, split_vcards};

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/corpus.tsv")
}

/// Import counts: pieces after splitting, and how many the import options accept
/// (Windows-1252 when a piece is not UTF-8).
fn import_column(bytes: &[u8], is_card: bool) -> String {
    let pieces = if is_card {
        split_vcards(bytes)
    } else {
        split_calendar(bytes)
    };
    let Ok(pieces) = pieces else {
        return "none".into();
    };
    let ok = pieces
        .iter()
        .filter(|p| {
            let Ok(p) = p else { return false };
            let cs = if std::str::from_utf8(p).is_ok() {
                Charset::Utf8
            } else {
                Charset::Windows1252
            };
            let opts = ParseOptions::import(cs);
            if is_card {
                ParsedObject::vcard_with(p.clone(), &opts).is_ok()
            } else {
                ParsedObject::calendar_with(p.clone(), &opts).is_ok()
            }
        })
        .count();
    format!("{ok}/{}", pieces.len())
}

fn verdict_row(name: &str, bytes: &[u8]) -> String {
    let is_card = name.ends_with(".vcf");
    let result = if is_card {
        ParsedObject::vcard(bytes.to_vec())
    } else {
        ParsedObject::calendar(bytes.to_vec())
    };
    let import = import_column(bytes, is_card);
    match result {
        Ok(obj) => {
            assert_eq!(
                obj.bytes(),
                bytes,
                "{name}: accepted bytes must be kept unchanged"
            );
            let span = match obj.info().span {
                Some(s) => format!("{}..{}", s.start, s.end),
                None => "-".into(),
            };
            let instances = obj
                .info()
                .instances
                .map_or("unbounded".into(), |n| n.to_string());
            format!(
                "{name}\taccept\t-\t{:?}\t{:?}\t{span}\t{instances}\t-\t{import}",
                obj.info().uid.clone().unwrap_or_default(),
                obj.info().kind,
            )
        }
        Err(e) => format!(
            "{name}\trefuse\t{}\t-\t-\t-\t-\t{}\t{import}",
            e.precondition().element(),
            e.to_string().replace(['\t', '\n', '\r'], " "),
        ),
    }
}

fn current_table() -> String {
    let dir = davlite_testkit::corpus_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {} not readable: {e}", dir.display()))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".ics") || n.ends_with(".vcf"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 400,
        "corpus at {} looks incomplete: {} files",
        dir.display(),
        names.len()
    );
    let mut out = String::from(
        "file\tverdict\tprecondition\tuid\tkind\tspan\tinstances\treason\timport_ok/pieces\n",
    );
    for name in names {
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        writeln!(out, "{}", verdict_row(&name, &bytes)).unwrap();
    }
    out
}

#[test]
fn corpus_verdicts_match_the_golden_table() {
    let table = current_table();
    let path = golden_path();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &table).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{} missing ({e}); see this file's doc to generate it",
            path.display()
        )
    });
    let mut diffs = Vec::new();
    let want: Vec<&str> = golden.lines().collect();
    let got: Vec<&str> = table.lines().collect();
    for (i, (w, g)) in want.iter().zip(got.iter()).enumerate() {
        if w != g {
            diffs.push(format!("row {i}:\n  golden: {w}\n  now:    {g}"));
        }
    }
    if want.len() != got.len() {
        diffs.push(format!("golden has {} rows, now {}", want.len(), got.len()));
    }
    assert!(
        diffs.is_empty(),
        "{} rows differ from the golden table:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
