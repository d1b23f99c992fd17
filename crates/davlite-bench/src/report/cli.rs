//! Where reports come from: a run that just finished (`davlite bench --report FILE`) or JSON
//! lines written earlier, by one or several servers (`davlite bench-report --from ... --out`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use serde_json::Value;

use super::{Entry, ReportInput, utc_now, write};
use crate::{Config, Report};

/// `url` without any `user:password@` someone put in it: a report is made to be shared.
fn without_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = host.rsplit('@').next().unwrap_or(host);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_string(),
    }
}

/// The server a run measured, for the legend: the URL's host and port.
fn authority(url: &str) -> String {
    let url = without_userinfo(url);
    let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_string()
}

/// The report of one `davlite bench` run: its parameters and every workload it ran.
pub fn run_input(cfg: &Config, report: &Report) -> ReportInput {
    let server = authority(&cfg.url);
    let url = without_userinfo(&cfg.url);
    let mut params = vec![
        ("server URL".to_string(), url),
        ("objects".into(), cfg.objects.to_string()),
        ("concurrency".into(), cfg.concurrency.to_string()),
        (
            "workloads".into(),
            cfg.workloads
                .iter()
                .map(|w| w.name())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "iterations (collection-wide workloads)".into(),
            cfg.iterations.to_string(),
        ),
        ("seed".into(), cfg.seed.to_string()),
        (
            "davlite bench version".into(),
            env!("CARGO_PKG_VERSION").to_string(),
        ),
        ("date".into(), utc_now()),
        ("errors".into(), report.total_errors().to_string()),
    ];
    if !cfg.nodes.is_empty() {
        params.insert(1, ("more nodes".into(), cfg.nodes.join(", ")));
    }
    let entries = report
        .workloads
        .iter()
        .filter_map(|w| {
            let mut e = Entry::from_json(&w.to_json(), &server)?;
            // One run is one matrix cell, whatever each workload counted as its objects.
            e.size = cfg.objects;
            Some(e)
        })
        .collect();
    ReportInput {
        title: format!("davlite bench: {server}"),
        params,
        entries,
    }
}

/// Reads workload reports from JSON-lines files; lines without a `server` are named after
/// their file.
pub fn read_entries(paths: &[PathBuf]) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    for p in paths {
        let text =
            std::fs::read_to_string(p).map_err(|e| format!("reading {}: {e}", p.display()))?;
        let name = p
            .file_stem()
            .map_or_else(|| p.display().to_string(), |s| s.to_string_lossy().into());
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if !line.starts_with('{') {
                continue;
            }
            let v: Value = serde_json::from_str(line)
                .map_err(|e| format!("{} line {}: {e}", p.display(), i + 1))?;
            out.extend(Entry::from_json(&v, &name));
        }
    }
    Ok(out)
}

/// Build one HTML report (and its SVG charts) from earlier `davlite bench --json` output.
#[derive(Debug, Parser)]
#[command(name = "davlite bench-report")]
struct Args {
    /// JSON-lines files: `davlite bench --json` output (named after the file) or
    /// scripts/compare-peers' raw results (each line names its server).
    #[arg(long, num_args = 1.., required = true)]
    from: Vec<PathBuf>,
    /// The HTML file to write; its charts go to NAME-charts/ beside it.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value = "davlite bench report")]
    title: String,
    /// A line of context shown with the parameters (repeatable).
    #[arg(long)]
    note: Vec<String>,
}

/// The input of `davlite bench-report`: entries from files plus where they came from.
fn files_input(a: &Args) -> Result<ReportInput, String> {
    let entries = read_entries(&a.from)?;
    if entries.is_empty() {
        return Err("no workload report in the given files".into());
    }
    let mut versions: Vec<String> = Vec::new();
    for e in &entries {
        let v = format!(
            "{} {}",
            e.server,
            e.version.as_deref().unwrap_or("(version not recorded)")
        );
        if !versions.contains(&v) {
            versions.push(v);
        }
    }
    let mut params = vec![
        ("servers".to_string(), versions.join("; ")),
        (
            "sources".into(),
            a.from
                .iter()
                .map(|p| display_name(p))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("date of this report".into(), utc_now()),
        (
            "davlite bench version".into(),
            env!("CARGO_PKG_VERSION").to_string(),
        ),
    ];
    params.extend(a.note.iter().map(|n| ("note".to_string(), n.clone())));
    Ok(ReportInput {
        title: a.title.clone(),
        params,
        entries,
    })
}

fn display_name(p: &Path) -> String {
    p.file_name()
        .map_or_else(|| p.display().to_string(), |s| s.to_string_lossy().into())
}

/// Entry point of `davlite bench-report`; `args` are the words after `bench-report`.
pub fn report_cli_main(args: Vec<String>) -> ExitCode {
    let args =
        match Args::try_parse_from(std::iter::once("davlite bench-report".to_string()).chain(args))
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
    match files_input(&args).and_then(|input| write(&input, &args.out)) {
        Ok(files) => {
            eprintln!(
                "davlite bench-report: wrote {} and {} chart(s) in {}",
                args.out.display(),
                files.len() - 1,
                super::charts_dir(&args.out).display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("davlite bench-report: {e}");
            ExitCode::from(2)
        }
    }
}
