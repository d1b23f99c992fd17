//! `davlite import` then `davlite export` over the shared corpus (../shared/corpus): every object
//! the formats crate accepts must come back byte-exact.
//!
//! The expected objects are computed here from the documented import rules: an iCalendar stream
//! is cut into its VCALENDAR objects (the whole file when it holds fewer than two), each split
//! per UID by `davlite_formats::split_calendar`; a .vcf is split by `split_vcards`; a piece
//! counts when `ParsedObject::{calendar_with, vcard_with}` with `ParseOptions::import` accepts
//! it (Windows-1252 when the file is not UTF-8). Objects are named after their UID, so two
//! corpus files with the same UID would overwrite each other in one collection: files are
//! spread over as many collections as needed to keep every UID in a collection unique.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use davlite_formats::{Charset, ParseOptions, ParsedObject, split_calendar, split_vcards};
use davlite_tests::davlite;

const USER: &str = "importer";

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
enum Kind {
    Calendar,
    Cards,
}

/// Identity of an object inside a collection: its UID, or its bytes when it has none.
type Key = Vec<u8>;

/// Per key, the byte strings of which exactly one must be exported.
type Candidates = HashMap<Key, Vec<Vec<u8>>>;

/// One corpus file and the objects an import of it must store: per key, the candidates (more
/// than one only when the file itself repeats a UID; then any one of them may win).
struct Expected {
    path: PathBuf,
    objects: Candidates,
    rejected: usize,
}

fn expected(path: &Path, kind: Kind) -> Expected {
    let bytes = std::fs::read(path).unwrap();
    let charset = if std::str::from_utf8(&bytes).is_ok() {
        Charset::Utf8
    } else {
        Charset::Windows1252
    };
    let opts = ParseOptions::import(charset);
    let pieces = match kind {
        Kind::Calendar => davlite_formats::vcalendar_blocks(&bytes)
            .into_iter()
            .map(split_calendar)
            .collect::<Result<Vec<_>, _>>()
            .map(|v| v.concat()),
        Kind::Cards => split_vcards(&bytes),
    }
    .unwrap_or_default();
    let mut objects = Candidates::new();
    let mut rejected = 0;
    for piece in pieces {
        let Ok(piece) = piece else {
            rejected += 1;
            continue;
        };
        let parsed = match kind {
            Kind::Calendar => ParsedObject::calendar_with(piece.clone(), &opts),
            Kind::Cards => ParsedObject::vcard_with(piece.clone(), &opts),
        };
        match parsed {
            Ok(obj) => {
                assert_eq!(obj.bytes(), piece, "the formats crate changed the bytes");
                let key = obj
                    .info()
                    .uid
                    .clone()
                    .map_or_else(|| piece.clone(), String::into_bytes);
                objects.entry(key).or_default().push(piece);
            }
            Err(_) => rejected += 1,
        }
    }
    Expected {
        path: path.to_path_buf(),
        objects,
        rejected,
    }
}

/// Checks that `export` is exactly one candidate per key, concatenated in any order (export
/// adds CRLF after an object without a final line end). Returns the problems found.
fn match_export(export: &[u8], want: &Candidates) -> Vec<String> {
    let mut left: HashMap<&Key, &Vec<Vec<u8>>> = want.iter().collect();
    let mut pos = 0;
    let mut problems = Vec::new();
    while pos < export.len() {
        let rest = &export[pos..];
        // The longest candidate that the export continues with.
        let found = left
            .iter()
            .flat_map(|(k, cands)| cands.iter().map(move |c| (*k, c)))
            .filter_map(|(k, c)| {
                let added: &[u8] = if c.ends_with(b"\n") || c.ends_with(b"\r") {
                    b""
                } else {
                    b"\r\n"
                };
                (rest.starts_with(c) && rest[c.len()..].starts_with(added))
                    .then_some((k, c.len() + added.len()))
            })
            .max_by_key(|&(_, n)| n);
        match found {
            Some((k, n)) => {
                let k = k.clone();
                left.remove(&k);
                pos += n;
            }
            None => {
                let shown = String::from_utf8_lossy(&rest[..rest.len().min(300)]);
                problems.push(format!(
                    "exported bytes at offset {pos} match no expected object: {shown:?}"
                ));
                break;
            }
        }
    }
    for (k, cands) in left {
        problems.push(format!(
            "object with key {:?} not exported ({} bytes)",
            String::from_utf8_lossy(&k[..k.len().min(120)]),
            cands[0].len()
        ));
    }
    problems
}

fn corpus_files() -> Vec<(PathBuf, Kind)> {
    let dir = davlite_testkit::corpus_dir();
    let mut files: Vec<(PathBuf, Kind)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading the corpus at {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let kind = match p.extension()?.to_str()? {
                "ics" => Kind::Calendar,
                "vcf" => Kind::Cards,
                _ => return None,
            };
            Some((p, kind))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn corpus_import_export_round_trip_is_byte_exact() {
    let files = corpus_files();
    assert!(files.len() > 400, "corpus too small: {}", files.len());
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let out = davlite(
        &[
            "user",
            "add",
            USER,
            "--password",
            "import-pw-1",
            "--data",
            &data,
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Files into collections, per kind, so that no key occurs twice in one collection.
    let mut buckets: Vec<(Kind, Vec<Expected>, Candidates)> = Vec::new();
    let (mut accepted, mut rejected) = (0usize, 0usize);
    for (path, kind) in files {
        let exp = expected(&path, kind);
        rejected += exp.rejected;
        if exp.objects.is_empty() {
            continue;
        }
        accepted += exp.objects.len();
        let slot = buckets.iter().position(|(k, _, keys)| {
            *k == kind && exp.objects.keys().all(|key| !keys.contains_key(key))
        });
        let slot = slot.unwrap_or_else(|| {
            buckets.push((kind, Vec::new(), HashMap::new()));
            buckets.len() - 1
        });
        let (_, members, keys) = &mut buckets[slot];
        keys.extend(exp.objects.iter().map(|(k, v)| (k.clone(), v.clone())));
        members.push(exp);
    }
    println!(
        "corpus: {accepted} objects accepted, {rejected} pieces rejected by the formats crate, \
         {} collections",
        buckets.len()
    );
    assert!(
        accepted > 300,
        "suspiciously few accepted objects: {accepted}"
    );

    let mut problems = Vec::new();
    let mut exports = Vec::new();
    for (i, (kind, members, keys)) in buckets.iter().enumerate() {
        let coll = format!(
            "{}-{i}",
            if *kind == Kind::Calendar {
                "cal"
            } else {
                "book"
            }
        );
        let mut args: Vec<String> = [
            "import",
            "--user",
            USER,
            "--collection",
            &coll,
            "--data",
            &data,
        ]
        .map(String::from)
        .to_vec();
        args.extend(members.iter().map(|e| e.path.display().to_string()));
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = davlite(&argv, None);
        let import_log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "import into {coll} failed: {import_log}"
        );

        let out = davlite(
            &[
                "export",
                "--user",
                USER,
                "--collection",
                &coll,
                "--data",
                &data,
            ],
            None,
        );
        assert!(
            out.status.success(),
            "export of {coll} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let found = match_export(&out.stdout, keys);
        exports.push((coll.clone(), out.stdout));
        if !found.is_empty() {
            let names: Vec<String> = members
                .iter()
                .map(|e| e.path.file_name().unwrap().to_string_lossy().into_owned())
                .collect();
            problems.push(format!(
                "collection {coll} (files {}):\n  {}\n  import said: {}",
                names.join(", "),
                found.join("\n  "),
                import_log.trim()
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} collections did not round-trip:\n{}",
        problems.len(),
        buckets.len(),
        problems.join("\n")
    );

    // The whole store through a dump and a restore into an empty directory exports the same.
    let dump = dir.path().join("store.dump");
    let restored = tempfile::tempdir().unwrap();
    let restored_data = restored.path().display().to_string();
    let dump_arg = dump.display().to_string();
    let steps: [&[&str]; 2] = [
        &["export", "--dump", &dump_arg, "--data", &data],
        &["restore", &dump_arg, "--data", &restored_data],
    ];
    for argv in steps {
        let out = davlite(argv, None);
        assert!(
            out.status.success(),
            "davlite {argv:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for (coll, before) in &exports {
        let out = davlite(
            &[
                "export",
                "--user",
                USER,
                "--collection",
                coll,
                "--data",
                &restored_data,
            ],
            None,
        );
        assert!(
            out.status.success(),
            "export of {coll} after restore failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stdout == *before,
            "{coll} exports differently after dump and restore ({} bytes, before {})",
            out.stdout.len(),
            before.len()
        );
    }
}

#[test]
fn export_matcher_finds_missing_extra_and_reordered_objects() {
    let a = b"BEGIN:VCARD\r\nUID:a\r\nEND:VCARD\r\n".to_vec();
    let b = b"BEGIN:VCARD\r\nUID:b\r\nEND:VCARD".to_vec();
    let want: Candidates = HashMap::from([
        (b"a".to_vec(), vec![a.clone()]),
        (b"b".to_vec(), vec![b.clone()]),
    ]);
    let mut both = b.clone();
    both.extend_from_slice(b"\r\n");
    both.extend_from_slice(&a);
    assert!(match_export(&both, &want).is_empty());
    assert_eq!(match_export(&a, &want).len(), 1, "b missing");
    let mut extra = both.clone();
    extra.extend_from_slice(b"BEGIN:VCARD\r\nEND:VCARD\r\n");
    assert_eq!(
        match_export(&extra, &want).len(),
        1,
        "unexpected trailing card"
    );
    let mut changed = a.clone();
    changed[0] = b'b';
    assert!(!match_export(&changed, &want).is_empty());
    assert_eq!(
        davlite_formats::vcalendar_blocks(
            b"BEGIN:VCALENDAR\nA\nEND:VCALENDAR\r\nbegin:vcalendar\rB\rEND:VCALENDAR"
        ),
        vec![
            &b"BEGIN:VCALENDAR\nA\nEND:VCALENDAR\r\n"[..],
            &b"begin:vcalendar\rB\rEND:VCALENDAR"[..]
        ]
    );
}
