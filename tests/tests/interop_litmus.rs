//! The litmus WebDAV test suite (Debian package `litmus`) against a plain WebDAV collection in a
//! user's space of the real server. Each suite must pass in full: no failures and no skipped
//! tests (litmus skips the rest of a group when a setup step fails, so a skip hides a failure).
//! Warnings are allowed and printed.

use std::path::Path;
use std::process::Command;

use davlite_tests::{TestServer, davlite};

const USER: &str = "litmus-user";
const PASSWORD: &str = "litmus-password-1";

/// What litmus printed in its `<- summary for ...` line and warning line.
#[derive(Debug, PartialEq)]
struct Summary {
    run: u32,
    passed: u32,
    failed: u32,
    skipped: u32,
    warnings: u32,
}

/// Reads the counts from litmus's output; `None` when the summary line is missing (litmus
/// aborted, e.g. because the URL was refused before any test ran).
fn parse_summary(out: &str) -> Option<Summary> {
    let line = out.lines().find(|l| l.contains("<- summary for"))?;
    // "<- summary for `basic': of 16 tests run: 16 passed, 0 failed. 100.0%"
    let number_before = |word: &str| -> Option<u32> {
        let idx = line.find(word)?;
        line[..idx].split_whitespace().last()?.parse().ok()
    };
    let run = number_before(" tests run")?;
    let passed = number_before(" passed")?;
    let failed = number_before(" failed")?;
    // "-> 16 tests were skipped." and "-> 2 warnings were issued." (singular forms too).
    let count_line = |needle: &str| -> u32 {
        out.lines()
            .find(|l| l.trim_start().starts_with("->") && l.contains(needle))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    };
    Some(Summary {
        run,
        passed,
        failed,
        skipped: count_line(" skipped"),
        warnings: count_line(" issued"),
    })
}

/// Starts the server on a data directory with one user and a plain collection for litmus.
fn server_with_collection() -> (TestServer, String) {
    let dir = tempfile::tempdir().expect("temp data dir");
    let data = dir.path().display().to_string();
    let out = davlite(
        &["user", "add", USER, "--password", PASSWORD, "--data", &data],
        None,
    );
    assert!(
        out.status.success(),
        "user add failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = TestServer::builder().data_dir(dir).start();
    let path = format!("/dav/calendars/{USER}/litmus/");
    let resp = server
        .anonymous("MKCOL", &path)
        .basic_auth(USER, PASSWORD)
        .send();
    assert_eq!(resp.status, 201, "MKCOL {path}: {}", resp.text());
    let url = server.url(&path);
    (server, url)
}

/// Runs one litmus suite and asserts that every test in it passed.
fn run_suite(suite: &str) {
    let (server, url) = server_with_collection();
    // litmus writes debug.log into its working directory.
    let work = tempfile::tempdir().expect("temp dir for litmus");
    let output = match Command::new("litmus")
        .args([url.as_str(), USER, PASSWORD])
        .env("TESTS", suite)
        .current_dir(work.path())
        .output()
    {
        Ok(o) => o,
        Err(e) => panic!(
            "cannot run `litmus` ({e}); install it with scripts/test (Debian package `litmus`)"
        ),
    };
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // Visible with --nocapture, and in the failure message below.
    println!("{out}");
    let debug_log = work.path().join("debug.log");
    let Some(summary) = parse_summary(&out) else {
        panic!(
            "litmus {suite}: no summary line\n{out}\nserver logs:\n{}",
            server.logs()
        );
    };
    println!("litmus {suite}: {summary:?}");
    let failing: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("FAIL") || l.contains("SKIPPED"))
        .collect();
    assert!(
        summary.failed == 0
            && summary.skipped == 0
            && summary.passed == summary.run
            && summary.run > 0,
        "litmus {suite}: {summary:?}\nfailing or skipped:\n{}\n\nfull output:\n{out}\n\
         exchanges of the failed tests (debug.log):\n{}",
        failing.join("\n"),
        failed_exchanges(&debug_log, &out)
    );
    assert!(
        output.status.success(),
        "litmus {suite} exited with {}",
        output.status
    );
}

/// The debug.log sections (request and response) of the tests that failed, shortened.
fn failed_exchanges(debug_log: &Path, out: &str) -> String {
    let log = std::fs::read_to_string(debug_log).unwrap_or_default();
    let mut shown = String::new();
    for line in out.lines().filter(|l| l.contains(" FAIL")) {
        // " 6. propset...............  6. propset............... FAIL (...)"
        let Some((number, name)) = line
            .split_whitespace()
            .next()
            .zip(line.split_whitespace().nth(1))
        else {
            continue;
        };
        let name = name.trim_end_matches('.');
        // "******* Running test 6: propset ********" without spaces, stars and colon.
        let marker = format!("Runningtest{}{name}", number.trim_end_matches('.'));
        let mut section = Vec::new();
        let mut inside = false;
        for l in log.lines() {
            if l.starts_with("*******") {
                inside = l.replace([' ', '*', ':'], "") == marker;
                if inside {
                    section.clear();
                }
            }
            if inside && section.len() < 80 {
                section.push(l);
            }
        }
        shown.push_str(&section.join("\n"));
        shown.push('\n');
    }
    shown
}

#[test]
fn summary_parser_reads_litmus_counts() {
    let out = "-> running `props':\n 6. propset... FAIL (x)\n-> 16 tests were skipped.\n\
               <- summary for `props': of 14 tests run: 11 passed, 3 failed. 78.6%\n\
               -> 1 warning was issued.\n";
    assert_eq!(
        parse_summary(out),
        Some(Summary {
            run: 14,
            passed: 11,
            failed: 3,
            skipped: 16,
            warnings: 1,
        })
    );
    let out = "<- summary for `basic': of 16 tests run: 16 passed, 0 failed. 100.0%\n\
               -> 2 warnings were issued.\n";
    let s = parse_summary(out).unwrap();
    assert_eq!((s.run, s.passed, s.failed, s.warnings), (16, 16, 0, 2));
    assert_eq!(parse_summary("litmus: aborted\n"), None);
}

#[test]
fn litmus_basic() {
    run_suite("basic");
}

#[test]
fn litmus_copymove() {
    run_suite("copymove");
}

#[test]
fn litmus_props() {
    run_suite("props");
}

#[test]
fn litmus_http() {
    run_suite("http");
}
