//! Benchmark reports with pictures: one self-contained HTML file (charts inline as SVG, styles
//! inline, nothing fetched from anywhere) plus each chart as its own `.svg` beside it, so a
//! markdown page can link them.
//!
//! The input is always the JSON a workload report prints (`davlite bench --json`), whether it
//! comes straight from a run (`--report`) or from files written earlier, possibly by several
//! servers (`davlite bench-report`, `scripts/compare-peers --report`): one code path, so the
//! picture of a single run and of a comparison cannot drift apart.

mod charts;
mod cli;
mod html;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use cli::{read_entries, report_cli_main, run_input};

/// Workloads whose headline is the latency of one request (lower is better); the others are
/// measured by throughput. The same split as scripts/peers/report.py, so the ratio bars agree
/// with the tables of BENCHMARKS.md.
const LATENCY_WORKLOADS: [&str; 5] = [
    "propfind-depth1",
    "multiget-100",
    "query-week",
    "sync-initial",
    "sync-incremental-10",
];

/// One workload of one run, as read back from its JSON line.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub server: String,
    pub version: Option<String>,
    pub workload: String,
    /// The matrix size the run belongs to: compare-peers' `size`, else the report's `objects`.
    pub size: u64,
    pub concurrency: u64,
    pub requests: u64,
    pub ok: u64,
    pub errors: u64,
    pub error_kinds: BTreeMap<String, u64>,
    pub ops_per_sec: f64,
    /// p50, p90, p99, max and mean in milliseconds.
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
    /// (percentile, ms) points; from `latency_percentiles_ms`, or the p50/p90/p99 of reports
    /// written before the curve was recorded.
    pub curve: Vec<(f64, f64)>,
}

impl Entry {
    /// Reads one JSON workload report; `server` names it when the line does not (plain
    /// `davlite bench --json` output). None for lines that are not workload reports.
    pub fn from_json(v: &Value, server: &str) -> Option<Entry> {
        let num = |v: &Value| v.as_f64().unwrap_or(0.0);
        let int = |k: &str| v.get(k).and_then(Value::as_u64);
        let workload = v.get("workload")?.as_str()?.to_string();
        let lat = v.get("latency_ms")?;
        let ms = |k: &str| lat.get(k).map_or(0.0, num);
        let mut curve: Vec<(f64, f64)> = v
            .get("latency_percentiles_ms")
            .and_then(Value::as_array)
            .map(|pts| {
                pts.iter()
                    .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
                    .collect()
            })
            .unwrap_or_default();
        let requests = int("requests").unwrap_or(0);
        if curve.is_empty() && requests > 0 {
            curve = vec![(50.0, ms("p50")), (90.0, ms("p90")), (99.0, ms("p99"))];
        }
        Some(Entry {
            server: v
                .get("server")
                .and_then(Value::as_str)
                .unwrap_or(server)
                .to_string(),
            version: v.get("version").and_then(Value::as_str).map(str::to_string),
            workload,
            size: int("size").or_else(|| int("objects")).unwrap_or(0),
            concurrency: int("concurrency").unwrap_or(1),
            requests,
            ok: int("ok").unwrap_or(0),
            errors: int("errors").unwrap_or(0),
            error_kinds: v
                .get("error_kinds")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0)))
                        .collect()
                })
                .unwrap_or_default(),
            ops_per_sec: v.get("ops_per_sec").map_or(0.0, num),
            p50: ms("p50"),
            p90: ms("p90"),
            p99: ms("p99"),
            max: ms("max"),
            mean: ms("mean"),
            curve,
        })
    }

    fn is_latency_workload(&self) -> bool {
        LATENCY_WORKLOADS.contains(&self.workload.as_str())
    }
}

/// What a report shows: a title, the run's parameters as label/value rows, and the entries.
#[derive(Debug, Clone, Default)]
pub struct ReportInput {
    pub title: String,
    pub params: Vec<(String, String)>,
    pub entries: Vec<Entry>,
}

/// A rendered report: the page and every chart in it as (file name, SVG).
#[derive(Debug, Clone)]
pub struct Rendered {
    pub html: String,
    pub charts: Vec<(String, String)>,
}

/// The directory the standalone charts of `html_path` go to: `NAME-charts` beside `NAME.html`.
pub fn charts_dir(html_path: &Path) -> PathBuf {
    let stem = html_path
        .file_stem()
        .map_or_else(|| "report".into(), |s| s.to_string_lossy().into_owned());
    html_path.with_file_name(format!("{stem}-charts"))
}

/// Renders `input` without touching the file system; `charts_href` is how the page links the
/// standalone SVG files (relative to the page).
pub fn render(input: &ReportInput, charts_href: &str) -> Result<Rendered, String> {
    html::page(input, charts_href)
}

/// Writes the page to `path` and every chart to [`charts_dir`]`(path)`; returns the files
/// written.
pub fn write(input: &ReportInput, path: &Path) -> Result<Vec<PathBuf>, String> {
    let dir = charts_dir(path);
    let href = dir
        .file_name()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let rendered = render(input, &href)?;
    let fail = |p: &Path, e: std::io::Error| format!("writing {}: {e}", p.display());
    std::fs::create_dir_all(&dir).map_err(|e| fail(&dir, e))?;
    let mut written = Vec::new();
    for (name, svg) in &rendered.charts {
        let p = dir.join(name);
        std::fs::write(&p, svg).map_err(|e| fail(&p, e))?;
        written.push(p);
    }
    std::fs::write(path, &rendered.html).map_err(|e| fail(path, e))?;
    written.insert(0, path.to_path_buf());
    Ok(written)
}

/// The current UTC time as `YYYY-MM-DD HH:MM UTC`, for the report's date line (the crate has
/// no calendar library and needs none for this).
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let t = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        t / 3600,
        t % 3600 / 60
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01, counted in 400-year eras.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// One matrix cell (objects, concurrency) of the report, workloads in run order.
struct Cell {
    size: u64,
    concurrency: u64,
    workloads: Vec<(String, Vec<ServerFigures>)>,
}

/// A server's figures for one workload of one cell, as medians over its repeats.
struct ServerFigures {
    server: String,
    runs: usize,
    requests: u64,
    ok: u64,
    errors: u64,
    error_kinds: BTreeMap<String, u64>,
    ops_per_sec: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    curve: Vec<(f64, f64)>,
    /// The headline number: p50 for latency workloads, ops/s for the others.
    metric: f64,
    latency_headline: bool,
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn figures(server: &str, runs: &[&Entry]) -> ServerFigures {
    let med = |f: &dyn Fn(&Entry) -> f64| median(runs.iter().map(|e| f(e)).collect());
    let mut error_kinds = BTreeMap::new();
    for e in runs {
        for (k, n) in &e.error_kinds {
            *error_kinds.entry(k.clone()).or_default() += n;
        }
    }
    // The curve of the repeats, point by point: the median at each percentile they share.
    let curve = runs[0]
        .curve
        .iter()
        .map(|&(p, _)| {
            let at = runs
                .iter()
                .filter_map(|e| e.curve.iter().find(|q| q.0 == p).map(|q| q.1))
                .collect();
            (p, median(at))
        })
        .collect();
    let latency_headline = runs[0].is_latency_workload();
    ServerFigures {
        server: server.to_string(),
        runs: runs.len(),
        requests: runs.iter().map(|e| e.requests).sum(),
        ok: runs.iter().map(|e| e.ok).sum(),
        errors: runs.iter().map(|e| e.errors).sum(),
        error_kinds,
        ops_per_sec: med(&|e| e.ops_per_sec),
        p50: med(&|e| e.p50),
        p90: med(&|e| e.p90),
        p99: med(&|e| e.p99),
        max: med(&|e| e.max),
        curve,
        metric: if latency_headline {
            med(&|e| e.p50)
        } else {
            med(&|e| e.ops_per_sec)
        },
        latency_headline,
    }
}

/// Servers in order of first appearance.
fn servers(entries: &[Entry]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in entries {
        if !out.contains(&e.server) {
            out.push(e.server.clone());
        }
    }
    out
}

/// Groups entries into cells (largest size and concurrency first, as compare-peers runs them),
/// workloads in the order they first appear, servers in order of first appearance.
fn cells(entries: &[Entry]) -> Vec<Cell> {
    let servers = servers(entries);
    let mut keys: Vec<(u64, u64)> = entries.iter().map(|e| (e.size, e.concurrency)).collect();
    keys.sort_unstable_by(|a, b| b.cmp(a));
    keys.dedup();
    keys.into_iter()
        .map(|(size, concurrency)| {
            let here: Vec<&Entry> = entries
                .iter()
                .filter(|e| (e.size, e.concurrency) == (size, concurrency))
                .collect();
            let mut names: Vec<&str> = Vec::new();
            for e in &here {
                if !names.contains(&e.workload.as_str()) {
                    names.push(&e.workload);
                }
            }
            let workloads = names
                .into_iter()
                .map(|w| {
                    let rows = servers
                        .iter()
                        .filter_map(|s| {
                            let runs: Vec<&Entry> = here
                                .iter()
                                .copied()
                                .filter(|e| e.workload == w && &e.server == s)
                                .collect();
                            (!runs.is_empty()).then(|| figures(s, &runs))
                        })
                        .collect();
                    (w.to_string(), rows)
                })
                .collect();
            Cell {
                size,
                concurrency,
                workloads,
            }
        })
        .collect()
}

/// How many times better davlite is than a peer on one workload (higher is better for davlite):
/// peer p50 / davlite p50 for latency workloads, davlite ops/s / peer ops/s for the others.
fn ratio(ours: &ServerFigures, theirs: &ServerFigures) -> Option<f64> {
    if ours.metric <= 0.0 || theirs.metric <= 0.0 {
        return None;
    }
    Some(if ours.latency_headline {
        theirs.metric / ours.metric
    } else {
        ours.metric / theirs.metric
    })
}

/// The (davlite variant, peer) pairs the ratio bars compare: every server named davlite...
/// against every other one except the bare hyper ceiling, as in BENCHMARKS.md.
fn ratio_pairs(servers: &[String]) -> Vec<(String, String)> {
    let ours = servers.iter().filter(|s| s.starts_with("davlite"));
    let peers: Vec<&String> = servers
        .iter()
        .filter(|s| !s.starts_with("davlite") && s.as_str() != "bare hyper")
        .collect();
    ours.flat_map(|o| peers.iter().map(move |p| (o.clone(), (*p).clone())))
        .collect()
}

#[cfg(test)]
mod tests;
