//! davlite-bench: a standard CalDAV/CardDAV load against any server.
//!
//! It creates, updates, reads, lists, queries, syncs and deletes realistic calendar objects and
//! contacts generated from a seed, over keep-alive HTTP/1.1 connections (one per concurrent
//! worker), and reports successful operations per second, latency percentiles, errors and
//! bytes. Every status is checked and, where the right answer is known (member counts, a
//! week's events, the changes a sync must report), so is the content: errors are reported,
//! never counted as speed. It is not a conformance suite and speaks plain `http://` only.
//!
//! ```no_run
//! use davlite_bench::{Config, Workload, run};
//! let mut cfg = Config::new("http://127.0.0.1:5232/bench/");
//! cfg.workloads = vec![Workload::Create, Workload::Get];
//! cfg.objects = 1000;
//! cfg.concurrency = 16;
//! cfg.new_collection = true;
//! let report = run(&cfg).expect("server reachable");
//! for w in &report.workloads {
//!     println!("{}", w.to_json());
//! }
//! ```

mod base64;
mod cli;
mod config;
mod error;
mod http;
pub mod objects;
pub mod report;
mod rng;
mod runner;
mod session;
mod stats;
mod workloads;
mod xml;

pub use cli::cli_main;
pub use config::{Config, Workload};
pub use error::BenchError;
pub use report::report_cli_main;
pub use stats::{ConflictOutcome, Latency, Report, WorkloadReport};
pub use workloads::footprint;

/// Runs `cfg` on a fresh multi-thread runtime and returns every workload's report.
pub fn run(cfg: &Config) -> Result<Report, BenchError> {
    runtime(None)?.block_on(workloads::run_all(cfg, |_| {}))
}

/// Runs `cfg` on the caller's runtime; `each` sees every report as soon as it is complete.
pub async fn run_async(
    cfg: &Config,
    each: impl FnMut(&WorkloadReport),
) -> Result<Report, BenchError> {
    workloads::run_all(cfg, each).await
}

fn runtime(threads: Option<usize>) -> Result<tokio::runtime::Runtime, BenchError> {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if let Some(t) = threads {
        b.worker_threads(t.max(1));
    }
    Ok(b.enable_all().build()?)
}
