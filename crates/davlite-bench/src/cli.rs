//! `davlite bench ...`: argument parsing and output. Human lines on stdout by default, one JSON
//! object per workload with `--json`; the exit status is non-zero when any request failed.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use crate::{BenchError, Config, Workload};

/// Drive a standard CalDAV/CardDAV load against a server and report what it measured.
#[derive(Debug, Parser)]
#[command(name = "davlite bench")]
struct Args {
    /// Calendar collection URL (with --new-collection: the calendar home to create one in).
    #[arg(long)]
    url: String,
    /// Another server on the same store (`host:port`, repeatable): workers are spread over the
    /// URL's server and these, e.g. several `davlite serve` nodes on one PostgreSQL database.
    #[arg(long = "node")]
    nodes: Vec<String>,
    #[arg(long)]
    user: Option<String>,
    #[arg(long)]
    password: Option<String>,
    /// Address book URL for vcard-create (default: a new one in the principal's address book home).
    #[arg(long)]
    card_url: Option<String>,
    /// create, update, conflict, get, propfind-depth1, multiget-100, query-week, sync-initial,
    /// sync-incremental-10, delete, vcard-create, get-url, or all; comma-separated lists work.
    /// `mixed` (not in all) is the soak: every kind of request for --duration.
    #[arg(long, default_value = "all")]
    workload: String,
    #[arg(long, default_value_t = 1000)]
    objects: u64,
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Requests for each collection-wide workload (PROPFIND, REPORT).
    #[arg(long, default_value_t = 20)]
    iterations: u64,
    /// Requests for get, update and get-url (default: --objects).
    #[arg(long)]
    ops: Option<u64>,
    /// Rounds of the conflict workload.
    #[arg(long, default_value_t = 20)]
    rounds: u64,
    /// Repeatable workloads stop after this many seconds.
    #[arg(long, default_value_t = 60.0)]
    max_seconds: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Create a fresh calendar (and address book) for this run, deleted at the end.
    #[arg(long)]
    new_collection: bool,
    /// Keep what the run created.
    #[arg(long)]
    keep: bool,
    /// After create, report this server process's resident memory...
    #[arg(long)]
    footprint_pid: Option<u32>,
    /// ...and this storage directory's size.
    #[arg(long)]
    footprint_dir: Option<PathBuf>,
    /// Seconds the mixed workload runs (default: --max-seconds).
    #[arg(long)]
    duration: Option<f64>,
    /// Seconds per reporting window of the mixed workload.
    #[arg(long, default_value_t = 10.0)]
    interval: f64,
    /// Write the mixed workload's per-window figures here as CSV, and its chart beside it
    /// (same name, .svg).
    #[arg(long)]
    timeline: Option<PathBuf>,
    /// One JSON line per workload.
    #[arg(long)]
    json: bool,
    /// Also write an HTML report here: a latency percentile chart and the figures of every
    /// workload, self-contained; the charts also go to NAME-charts/*.svg beside it.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Worker threads of the client runtime (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

/// Entry point of `davlite bench`; `args` are the words after `bench`.
pub fn cli_main(args: Vec<String>) -> ExitCode {
    let args = match Args::try_parse_from(std::iter::once("davlite bench".to_string()).chain(args))
    {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run_cli(args) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("davlite bench: {e}");
            ExitCode::from(2)
        }
    }
}

fn run_cli(a: Args) -> Result<u64, BenchError> {
    for (name, v) in [
        ("--max-seconds", Some(a.max_seconds)),
        ("--duration", a.duration),
        ("--interval", Some(a.interval)),
    ] {
        if v.is_some_and(|v| v.is_nan() || v <= 0.0 || v > 1e7) {
            return Err(BenchError::Usage(format!("{name} must be positive")));
        }
    }
    let cfg = Config {
        url: a.url,
        nodes: a.nodes,
        user: a.user,
        password: a.password,
        card_url: a.card_url,
        workloads: Workload::parse_list(&a.workload)?,
        objects: a.objects.max(1),
        concurrency: a.concurrency.max(1),
        iterations: a.iterations.max(1),
        ops: a.ops,
        rounds: a.rounds.max(1),
        max_time: Duration::from_secs_f64(a.max_seconds),
        seed: a.seed,
        new_collection: a.new_collection,
        keep: a.keep,
        footprint_pid: a.footprint_pid,
        footprint_dir: a.footprint_dir,
        progress: !a.json,
        duration: a.duration.map(Duration::from_secs_f64),
        interval: Duration::from_secs_f64(a.interval),
        timeline: a.timeline,
    };
    let json = a.json;
    let report_path = a.report;
    let rt = crate::runtime(a.threads)?;
    let report = rt.block_on(crate::workloads::run_all(&cfg, |r| {
        let mut out = std::io::stdout().lock();
        let _ = if json {
            writeln!(out, "{}", r.to_json())
        } else {
            writeln!(out, "{}", r.to_text())
        };
        let _ = out.flush();
    }))?;
    if let Some(path) = &report_path {
        let input = crate::report::run_input(&cfg, &report);
        crate::report::write(&input, path).map_err(BenchError::Report)?;
        eprintln!("davlite bench: report written to {}", path.display());
    }
    Ok(report.total_errors())
}
