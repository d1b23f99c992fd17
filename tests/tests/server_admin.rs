//! `davlite import`, `export`, `export --dump`, `restore` and `verify` on the shared corpus: what
//! is accepted comes back byte for byte.

use std::path::{Path, PathBuf};

use davlite_tests::davlite;

fn run(args: &[&str]) -> String {
    let out = davlite(args, None);
    assert!(
        out.status.success(),
        "davlite {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn import(data: &str, collection: &str, files: &[PathBuf]) -> String {
    let mut args = vec![
        "import",
        "--user",
        "alice",
        "--collection",
        collection,
        "--data",
        data,
    ];
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    run(&args)
}

fn export(data: &str, collection: &str, out: &Path) -> Vec<u8> {
    run(&[
        "export",
        "--user",
        "alice",
        "--collection",
        collection,
        "-o",
        out.to_str().unwrap(),
        "--data",
        data,
    ]);
    std::fs::read(out).unwrap()
}

fn count(summary: &str, what: &str) -> usize {
    summary
        .split(", ")
        .find_map(|p| {
            p.trim()
                .strip_suffix(what)?
                .trim()
                .rsplit(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("{what} in {summary}"))
}

/// The lines of a .vcf stream, sorted, without line endings: a card stored without a final
/// line ending gets one in a stream export (so it does not run into the next card), and objects
/// are listed in name order, which for cards without UID depends on those bytes.
fn lines(stream: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(stream);
    let mut out: Vec<String> = text
        .lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn import_export_dump_restore_round_trip_is_byte_exact() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    let data = tmp.join("data").display().to_string();
    run(&["user", "add", "alice", "--password", "pw", "--data", &data]);

    // Import the corpus: bad entries are skipped and reported, the rest stored.
    let cal = import(&data, "corpus", &davlite_testkit::corpus_files("ics"));
    assert!(count(&cal, "created") > 1000, "{cal}");
    assert!(
        count(&cal, "skipped") > 0,
        "the corpus has broken files: {cal}"
    );
    let card = import(&data, "people", &davlite_testkit::corpus_files("vcf"));
    assert!(count(&card, "created") > 50, "{card}");

    let cal_export = export(&data, "corpus", &tmp.join("corpus.ics"));
    let card_export = export(&data, "people", &tmp.join("people.vcf"));
    assert_eq!(
        cal_export
            .windows(15)
            .filter(|w| w.eq_ignore_ascii_case(b"BEGIN:VCALENDAR"))
            .count(),
        count(&cal, "created")
    );

    // Re-importing the export stores exactly the same objects.
    let again = import(&data, "again", &[tmp.join("corpus.ics")]);
    assert_eq!(count(&again, "skipped"), 0, "{again}");
    assert_eq!(export(&data, "again", &tmp.join("again.ics")), cal_export);
    let again = import(&data, "people-again", &[tmp.join("people.vcf")]);
    assert_eq!(count(&again, "skipped"), 0, "{again}");
    assert!(
        lines(&export(&data, "people-again", &tmp.join("again.vcf"))) == lines(&card_export),
        "cards changed on re-import"
    );

    // Importing the same files again changes nothing.
    let same = import(&data, "corpus", &[tmp.join("corpus.ics")]);
    assert_eq!(
        (count(&same, "created"), count(&same, "updated")),
        (0, 0),
        "{same}"
    );

    // The whole store through a dump into a new data directory.
    let dump = tmp.join("all.dump");
    let wrote = run(&["export", "--dump", dump.to_str().unwrap(), "--data", &data]);
    let restored_data = tmp.join("restored").display().to_string();
    let restored = run(&["restore", dump.to_str().unwrap(), "--data", &restored_data]);
    assert_eq!(
        wrote.split(": ").nth(1),
        restored.split(": ").nth(1),
        "{wrote} / {restored}"
    );
    assert_eq!(
        export(&restored_data, "corpus", &tmp.join("r.ics")),
        cal_export
    );
    assert_eq!(
        export(&restored_data, "people", &tmp.join("r.vcf")),
        card_export
    );
    assert_eq!(
        run(&["user", "list", "--data", &restored_data]).trim(),
        "alice"
    );
    assert!(run(&["verify", "--data", &restored_data]).contains("ok"));

    // Restore refuses a non-empty target, and a damaged dump.
    assert!(
        !davlite(
            &["restore", dump.to_str().unwrap(), "--data", &restored_data],
            None
        )
        .status
        .success()
    );
    let mut bytes = std::fs::read(&dump).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&dump, &bytes).unwrap();
    let empty = tmp.join("empty").display().to_string();
    let bad = davlite(&["restore", dump.to_str().unwrap(), "--data", &empty], None);
    assert!(!bad.status.success());
    let msg = String::from_utf8_lossy(&bad.stderr);
    assert!(
        ["checksum", "damaged", "truncated"]
            .iter()
            .any(|w| msg.contains(w)),
        "{msg}"
    );
}

/// One UID in many files (the corpus has two KOrganizer files like that): the import is run by
/// several writers, and still the last file given wins, every time.
#[test]
fn import_of_one_uid_in_many_files_keeps_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    let data = tmp.join("data").display().to_string();
    run(&["user", "add", "alice", "--password", "pw", "--data", &data]);
    let mut files = Vec::new();
    for i in 0..40 {
        // Other objects between the versions keep every writer busy.
        let uid = if i % 2 == 0 {
            "same-uid".to_string()
        } else {
            format!("other-{i}")
        };
        let body = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n\
             UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\n\
             SUMMARY:version {i}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        );
        let f = tmp.join(format!("{i:03}.ics"));
        std::fs::write(&f, body).unwrap();
        files.push(f);
    }
    for round in 0..5 {
        let coll = format!("c{round}");
        let summary = import(&data, &coll, &files);
        assert_eq!(count(&summary, "created"), 21, "{summary}");
        let out = String::from_utf8(export(&data, &coll, &tmp.join("out.ics"))).unwrap();
        let same = out
            .split("END:VCALENDAR")
            .find(|o| o.contains("UID:same-uid"))
            .expect("same-uid exported");
        assert!(same.contains("SUMMARY:version 38"), "round {round}: {same}");
    }
}
