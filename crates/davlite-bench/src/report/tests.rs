//! Report rendering: pages and charts are well-formed XML, one chart per workload plus the
//! ratio bars, names from files or servers are escaped, old JSON lines still render.

use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::json;

use super::*;

/// Parses `text` as XML, checking that every element is closed; returns the element names.
fn parse_xml(text: &str) -> Vec<String> {
    let mut r = Reader::from_str(text);
    r.config_mut().check_end_names = true;
    let (mut depth, mut names) = (0i64, Vec::new());
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                names.push(String::from_utf8_lossy(e.name().as_ref()).into_owned());
            }
            Ok(Event::Empty(e)) => {
                names.push(String::from_utf8_lossy(e.name().as_ref()).into_owned())
            }
            Ok(Event::End(_)) => {
                depth -= 1;
                assert!(depth >= 0, "more end tags than start tags");
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed at {}: {e}", r.buffer_position()),
        }
    }
    assert_eq!(depth, 0, "unclosed elements");
    names
}

fn line(server: &str, workload: &str, p50: f64, ops: f64) -> serde_json::Value {
    let curve: Vec<serde_json::Value> = crate::stats::CURVE_PERCENTILES
        .iter()
        .map(|&p| json!([p, p50 * (1.0 + p / 20.0)]))
        .collect();
    json!({
        "server": server, "size": 100, "version": "1.0", "workload": workload,
        "objects": 100, "concurrency": 2, "requests": 100, "ok": 99, "errors": 1,
        "error_kinds": {"PUT <500>": 1}, "ops_per_sec": ops, "elapsed_s": 1.0,
        "latency_ms": {"p50": p50, "p90": p50 * 2.0, "p99": p50 * 5.0, "max": p50 * 9.0, "mean": p50},
        "bytes_sent": 0, "bytes_received": 0, "latency_percentiles_ms": curve,
    })
}

const HOSTILE: &str = "<script>alert('x')</script>&";

fn two_servers() -> ReportInput {
    let mut entries = Vec::new();
    for (server, p50, ops) in [("davlite", 1.0, 900.0), (HOSTILE, 4.0, 300.0)] {
        for w in ["create", "propfind-depth1", "get"] {
            entries.push(Entry::from_json(&line(server, w, p50, ops), "file").unwrap());
        }
    }
    ReportInput {
        title: format!("report of {HOSTILE}"),
        params: vec![("server URL".into(), format!("http://{HOSTILE}/"))],
        entries,
    }
}

#[test]
fn page_and_charts_are_well_formed_with_a_chart_per_workload_and_ratio_bars() {
    let r = render(&two_servers(), "out-charts").unwrap();
    let names = parse_xml(&r.html);
    // Three workloads, one ratio chart: four charts inline and four files.
    assert_eq!(
        r.charts.len(),
        4,
        "{:?}",
        r.charts.iter().map(|c| &c.0).collect::<Vec<_>>()
    );
    assert_eq!(names.iter().filter(|n| *n == "svg").count(), 4);
    assert_eq!(r.html.matches("<h3>").count(), 3);
    for (name, svg) in &r.charts {
        assert!(name.ends_with(".svg") && !name.contains('/'), "{name}");
        assert!(svg.starts_with("<svg"), "{name}");
        let elements = parse_xml(svg);
        assert!(
            elements.iter().any(|e| e == "polyline" || e == "rect"),
            "{name}"
        );
        assert!(
            r.html.contains(&format!("href=\"out-charts/{name}\"")),
            "{name}"
        );
    }
    let latency: Vec<&String> = r
        .charts
        .iter()
        .map(|c| &c.0)
        .filter(|n| n.starts_with("latency-"))
        .collect();
    assert_eq!(
        latency,
        [
            "latency-100-c2-create.svg",
            "latency-100-c2-propfind-depth1.svg",
            "latency-100-c2-get.svg"
        ]
    );
    // Both servers' curves are in each percentile chart.
    let create = &r
        .charts
        .iter()
        .find(|c| c.0 == "latency-100-c2-create.svg")
        .unwrap()
        .1;
    // Each curve marks its 25 percentile points; the legend names both servers.
    assert_eq!(create.matches("<circle").count(), 2 * 25);
    assert!(create.contains("davlite") && create.contains("&lt;script&gt;"));
    // No raw markup from a name anywhere; escaped forms present.
    for (what, text) in
        std::iter::once(("page", &r.html)).chain(r.charts.iter().map(|c| (c.0.as_str(), &c.1)))
    {
        assert!(!text.contains("<script"), "{what} has a raw <script>");
    }
    assert!(
        r.html
            .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;")
    );
    assert!(r.html.contains("PUT &lt;500&gt;: 1"));
    let bars = &r
        .charts
        .iter()
        .find(|c| c.0.starts_with("ratios-"))
        .unwrap()
        .1;
    // propfind is a latency workload: 4 ms / 1 ms; create and get are throughput: 900 / 300.
    let labels: Vec<&str> = bars.lines().map(str::trim).collect();
    assert!(labels.contains(&"4x"), "propfind ratio");
    assert_eq!(
        labels.iter().filter(|l| **l == "3x").count(),
        2,
        "create and get ratios"
    );
    // The numbers behind the curves are in the page.
    assert!(r.html.contains("<th>percentile</th>"));
    assert!(r.html.contains("<td class=\"n\">99.9</td>"));
}

#[test]
fn one_server_has_no_ratio_chart_and_old_lines_still_render() {
    let mut old = line("x", "get", 2.0, 100.0);
    old.as_object_mut()
        .unwrap()
        .remove("latency_percentiles_ms");
    old.as_object_mut().unwrap().remove("server");
    let e = Entry::from_json(&old, "radicale").unwrap();
    assert_eq!(e.server, "radicale");
    assert_eq!(e.curve, vec![(50.0, 2.0), (90.0, 4.0), (99.0, 10.0)]);
    assert!(Entry::from_json(&json!({"not": "a report"}), "x").is_none());
    let input = ReportInput {
        title: "one".into(),
        params: Vec::new(),
        entries: vec![e],
    };
    let r = render(&input, "c").unwrap();
    parse_xml(&r.html);
    assert_eq!(r.charts.len(), 1);
    assert!(r.charts[0].0.starts_with("latency-"));
}

#[test]
fn write_puts_the_charts_beside_the_page() {
    let dir = std::env::temp_dir().join(format!("davlite-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("peers.html");
    let files = write(&two_servers(), &page).unwrap();
    assert_eq!(files.len(), 5);
    assert_eq!(charts_dir(&page), dir.join("peers-charts"));
    for f in &files {
        assert!(f.exists(), "{}", f.display());
    }
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("href=\"peers-charts/ratios-100-c2.svg\""));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn reads_bench_output_and_compare_peers_lines() {
    let dir = std::env::temp_dir().join(format!("davlite-report-in-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plain = dir.join("xandikos.jsonl");
    let mut bench_line = line("", "get", 1.0, 10.0);
    bench_line.as_object_mut().unwrap().remove("server");
    std::fs::write(&plain, format!("noise\n{bench_line}\n")).unwrap();
    let peers = dir.join("raw.jsonl");
    std::fs::write(&peers, format!("{}\n", line("Radicale", "get", 1.0, 10.0))).unwrap();
    let entries = read_entries(&[plain, peers]).unwrap();
    let names: Vec<&str> = entries.iter().map(|e| e.server.as_str()).collect();
    assert_eq!(names, ["xandikos", "Radicale"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ratios_follow_the_peer_table_definition() {
    let servers = [
        "davlite".to_string(),
        "Radicale".into(),
        "bare hyper".into(),
        "davlite on PostgreSQL".into(),
    ];
    assert_eq!(
        ratio_pairs(&servers),
        [
            ("davlite".to_string(), "Radicale".to_string()),
            ("davlite on PostgreSQL".into(), "Radicale".into())
        ]
    );
    let cells = cells(&two_servers().entries);
    assert_eq!(cells.len(), 1);
    let w = &cells[0].workloads;
    let propfind = &w.iter().find(|x| x.0 == "propfind-depth1").unwrap().1;
    assert_eq!(ratio(&propfind[0], &propfind[1]), Some(4.0));
    let get = &w.iter().find(|x| x.0 == "get").unwrap().1;
    assert_eq!(ratio(&get[0], &get[1]), Some(3.0));
}

#[test]
fn dates_are_civil() {
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    assert_eq!(civil_from_days(20_000), (2024, 10, 4));
    assert!(utc_now().ends_with(" UTC"));
}
