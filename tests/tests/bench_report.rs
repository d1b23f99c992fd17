//! Benchmark reports (issue 15): `davlite bench --report` against the real server writes one
//! self-contained HTML page with a percentile chart per workload, and `davlite bench-report`
//! turns the same run's JSON lines, as two "servers", into a comparison with ratio bars.

use std::path::Path;

use davlite_tests::{TestServer, davlite};

/// Checks what every report page must be: no asset fetched from elsewhere, no script, `svgs`
/// inline charts, each also saved beside the page under NAME-charts/.
fn check_page(page: &Path, svgs: usize) -> String {
    let html = std::fs::read_to_string(page).expect("report written");
    let lower = html.to_ascii_lowercase();
    for remote in [
        "src=\"http",
        "href=\"http",
        "src='http",
        "href='http",
        "url(http",
        "@import",
    ] {
        assert!(
            !lower.contains(remote),
            "{remote} in the report: not self-contained"
        );
    }
    assert!(!lower.contains("<script"), "the report runs no script");
    assert_eq!(html.matches("<svg").count(), svgs, "inline charts");
    let stem = page.file_stem().unwrap().to_str().unwrap();
    let dir = page.with_file_name(format!("{stem}-charts"));
    let files: Vec<_> = std::fs::read_dir(&dir)
        .expect("charts directory")
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files.len(), svgs, "{files:?}");
    for f in &files {
        assert!(
            html.contains(&format!("href=\"{stem}-charts/{f}\"")),
            "no link to {f}"
        );
        let svg = std::fs::read_to_string(dir.join(f)).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{f}"
        );
    }
    html
}

#[test]
fn bench_report_of_a_real_run_has_a_percentile_chart_per_workload() {
    let server = TestServer::start();
    let out_dir = tempfile::tempdir().unwrap();
    let page = out_dir.path().join("run.html");
    let url = server.url(&format!("/dav/calendars/{}/", server.user()));
    let out = davlite(
        &[
            "bench",
            "--url",
            &url,
            "--user",
            server.user(),
            "--password",
            server.password(),
            "--new-collection",
            "--objects",
            "50",
            "--concurrency",
            "2",
            "--workload",
            "create,get,propfind-depth1",
            "--max-seconds",
            "30",
            "--json",
            "--report",
            page.to_str().unwrap(),
        ],
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "bench failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // --report leaves the JSON output as it was: one line per workload, nothing else.
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with('{') && l.contains("\"latency_percentiles_ms\""))
    );

    let html = check_page(&page, 3);
    for w in ["create", "get", "propfind-depth1"] {
        assert!(
            html.contains(&format!("<h3>{w}</h3>")),
            "no section for {w}"
        );
    }
    // Parameters and the percentile data behind the curves.
    assert!(html.contains(&url), "server URL");
    assert!(html.contains("<th>concurrency</th><td>2</td>"));
    assert!(html.contains("<th>objects</th><td>50</td>"));
    assert_eq!(html.matches("<th>percentile</th>").count(), 3);
    assert_eq!(html.matches("<td class=\"n\">99.9</td>").count(), 3);
    assert!(!html.contains("class=\"n errors\""), "the run had errors");

    // The same JSON as two servers: one comparison with ratio bars (all 1x).
    std::fs::write(out_dir.path().join("davlite.jsonl"), &stdout).unwrap();
    std::fs::write(out_dir.path().join("peer.jsonl"), &stdout).unwrap();
    let both = out_dir.path().join("both.html");
    let out = davlite(
        &[
            "bench-report",
            "--from",
            out_dir.path().join("davlite.jsonl").to_str().unwrap(),
            out_dir.path().join("peer.jsonl").to_str().unwrap(),
            "--out",
            both.to_str().unwrap(),
        ],
        None,
    );
    assert!(
        out.status.success(),
        "bench-report failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = check_page(&both, 4);
    assert!(html.contains("davlite / peer"));
    let bars = std::fs::read_to_string(out_dir.path().join("both-charts").join("ratios-50-c2.svg"))
        .unwrap();
    assert_eq!(
        bars.lines().filter(|l| l.trim() == "1x").count(),
        1 + 3,
        "axis tick and three bars"
    );
}
