//! Workers and the loop that shares a workload's operations among them: each worker owns one
//! connection and takes the next operation number from a shared counter, so a slow request
//! never idles the others and C workers keep exactly C requests in flight.

use std::future::Future;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::http::{Conn, Req, Resp, Target};
use crate::stats::Recorder;

/// One concurrent client.
pub struct Worker {
    pub id: usize,
    pub conn: Conn,
    pub rec: Recorder,
}

/// The first 300 bytes of a body on one line, for an error record.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(&body[..body.len().min(300)]);
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Worker {
    pub fn new(id: usize, target: Arc<Target>) -> Worker {
        Worker {
            id,
            conn: Conn::new(target),
            rec: Recorder::default(),
        }
    }

    async fn exchange(
        &mut self,
        req: &Req,
        expect: &[u16],
        timed: bool,
        prefix: &str,
    ) -> Option<Resp> {
        let start = Instant::now();
        let result = self.conn.send(req).await;
        if timed {
            self.rec.samples.push(start.elapsed().as_nanos() as u64);
        }
        self.rec.bytes_sent += req.body.len() as u64;
        match result {
            Ok(resp) => {
                self.rec.bytes_received += resp.body.len() as u64;
                if expect.contains(&resp.status) {
                    Some(resp)
                } else {
                    let detail =
                        || format!("{} {} -> {}", req.method, req.path, excerpt(&resp.body));
                    self.rec
                        .error(format!("{prefix}{} {}", req.method, resp.status), detail);
                    None
                }
            }
            Err(e) => {
                self.rec
                    .error(format!("{prefix}{} transport", req.method), || e);
                None
            }
        }
    }

    /// A measured request: its latency is recorded and an unexpected status is an error. The
    /// caller decides whether the answer is a success (see [`Worker::timed_ok`]).
    pub async fn timed(&mut self, req: &Req, expect: &[u16]) -> Option<Resp> {
        self.exchange(req, expect, true, "").await
    }

    /// A measured request that is a success whenever its status is expected.
    pub async fn timed_ok(&mut self, req: &Req, expect: &[u16]) -> Option<Resp> {
        let r = self.timed(req, expect).await;
        if r.is_some() {
            self.rec.ok += 1;
        }
        r
    }

    /// Preparation inside a workload (e.g. the 10 changes before an incremental sync): not
    /// timed, but a failure still counts as an error of the workload.
    pub async fn untimed(&mut self, req: &Req, expect: &[u16]) -> Option<Resp> {
        self.exchange(req, expect, false, "prep ").await
    }
}

/// A workload's operation `i`, run by worker `w`.
pub trait Plan: Send + Sync + 'static {
    fn op(&self, w: &mut Worker, i: u64) -> impl Future<Output = ()> + Send;
}

/// How many operations, on how many workers, for how long at most.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub label: String,
    pub concurrency: usize,
    pub total: u64,
    /// Stop taking new operations after this long (repeatable workloads only).
    pub budget: Option<Duration>,
    pub progress: bool,
}

/// Runs `plan` and returns the merged tally, the wall time and how many operations ran.
pub async fn run_parallel<P: Plan>(
    plan: Arc<P>,
    target: Arc<Target>,
    s: &Schedule,
) -> (Recorder, Duration, u64) {
    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for id in 0..s.concurrency.max(1) {
        let mut w = Worker::new(id, Arc::new(target.for_worker(id)));
        if let Err(e) = w.conn.connect().await {
            w.rec.error("connect", || e);
        }
        workers.push(w);
    }
    let progress = (s.progress && std::io::stderr().is_terminal())
        .then(|| spawn_progress(s.label.clone(), s.total, done.clone()));
    let start = Instant::now();
    let mut handles = Vec::new();
    for mut w in workers {
        let (plan, next, done, total, budget, c) = (
            plan.clone(),
            next.clone(),
            done.clone(),
            s.total,
            s.budget,
            s.concurrency as u64,
        );
        handles.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total || (i >= c && budget.is_some_and(|b| start.elapsed() > b)) {
                    break;
                }
                plan.op(&mut w, i).await;
                done.fetch_add(1, Ordering::Relaxed);
            }
            w.rec
        }));
    }
    let mut rec = Recorder::default();
    for h in handles {
        match h.await {
            Ok(r) => rec.merge(r),
            Err(e) => rec.error("worker panicked", || e.to_string()),
        }
    }
    let elapsed = start.elapsed();
    if let Some(p) = progress {
        p.abort();
        eprint!("\r\x1b[2K");
    }
    (rec, elapsed, done.load(Ordering::Relaxed))
}

/// Redraws one status line on stderr while a workload runs on a terminal.
pub fn spawn_progress(
    label: String,
    total: u64,
    done: Arc<AtomicU64>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let start = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let d = done.load(Ordering::Relaxed);
            let rate = d as f64 / start.elapsed().as_secs_f64().max(1e-9);
            let width = 30usize;
            let filled = (d.min(total) as usize * width)
                .checked_div(total as usize)
                .unwrap_or(0);
            eprint!(
                "\r\x1b[2K{label:<20} [{}{}] {d}/{total} {rate:.0}/s",
                "#".repeat(filled),
                "-".repeat(width - filled)
            );
        }
    })
}
