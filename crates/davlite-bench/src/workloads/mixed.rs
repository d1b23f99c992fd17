//! `mixed`: what a server people live on sees all day, for as long as `--duration` says. Every
//! operation is drawn from a fixed mix of reads, writes, syncs and conflicts; the run is cut into
//! windows (`--interval`), and each window reports its throughput, p50/p99, errors and the
//! server's resident memory, so a soak shows whether latency or memory drifts.
//!
//! The mix, per 100 operations: 50 GET, 12 update (If-Match), 10 churn (a create with
//! If-None-Match: * or a delete with If-Match, half each), 3 stale update (an outdated
//! If-Match, which must be answered 412), 10 incremental sync, 8 multiget of 10, 5 one-week
//! query, 2 PROPFIND Depth 1. A worker writes only the objects it owns (generator index ≡
//! worker id mod C, also for the ones it creates), so every 2xx or 412 it expects is the only
//! right answer; it reads everyone's, so a read may meet an object its owner just deleted (404
//! is then right).
//!
//! A churn deletes one of the worker's objects when it holds more than its share of the
//! collection the run began with, and creates one otherwise. So the collection keeps its size
//! for however long the run lasts, and a soak measures one server state throughout: with
//! independent 5% creates and 5% deletes the counts would drift apart as a random walk (and
//! they did, by thousands of objects over ten minutes, when creates were handed to other
//! workers), and every listing, sync and cache would grow with the run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::http::Req;
use crate::rng::Rng;
use crate::runner::{Plan, Worker};
use crate::session::Obj;
use crate::workloads::writes::{ICS, create_one};
use crate::{objects, xml};

const XML: &str = "application/xml; charset=utf-8";

/// One window of the run.
#[derive(Debug, Clone, Default)]
pub struct Window {
    /// Latencies (µs) of the operations that ended in this window.
    pub latencies: Vec<u32>,
    pub errors: u64,
    /// Server resident memory (KiB) sampled in this window.
    pub rss_kib: Option<u64>,
}

/// A window's figures, as printed and written to `--timeline`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowRow {
    pub start_s: f64,
    pub ops: u64,
    pub ops_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    pub rss_kib: Option<u64>,
}

#[derive(Default, Clone)]
struct WorkerState {
    token: Option<String>,
    /// Objects this worker has created during the run (to number the next one).
    created: u64,
}

pub struct Mixed {
    pub cal: String,
    pub objects: Arc<Mutex<Vec<Obj>>>,
    pub prefix: Arc<str>,
    pub seed: u64,
    /// First generator index for objects created during the run (a multiple of the
    /// concurrency, so an object a worker creates is one it owns).
    pub base: u64,
    /// Objects each worker holds when the run begins (`initial / C`, the first `initial % C`
    /// workers one more): what its churn keeps it at.
    shares: Vec<usize>,
    pub concurrency: usize,
    pub interval: Duration,
    pub start: Instant,
    states: Mutex<Vec<WorkerState>>,
    pub windows: Mutex<Vec<Window>>,
    query: String,
    ops: AtomicU64,
}

impl Mixed {
    pub fn new(
        cal: String,
        objects: Arc<Mutex<Vec<Obj>>>,
        prefix: Arc<str>,
        seed: u64,
        base: u64,
        concurrency: usize,
        interval: Duration,
    ) -> Mixed {
        let start = objects::date_str(objects::QUERY_WEEK_START_DAY) + "T000000Z";
        let end = objects::date_str(objects::QUERY_WEEK_START_DAY + 7) + "T000000Z";
        let c = concurrency.max(1);
        let n = objects.lock().expect("objects lock").len();
        let shares = (0..c).map(|w| n / c + usize::from(w < n % c)).collect();
        Mixed {
            cal,
            objects,
            prefix,
            seed,
            base: base.div_ceil(concurrency.max(1) as u64) * concurrency.max(1) as u64,
            shares,
            concurrency: concurrency.max(1),
            interval: interval.max(Duration::from_millis(100)),
            start: Instant::now(),
            states: Mutex::new(vec![WorkerState::default(); concurrency.max(1)]),
            windows: Mutex::new(Vec::new()),
            query: xml::calendar_query(&start, &end),
            ops: AtomicU64::new(0),
        }
    }

    fn window_of(&self, at: Instant) -> usize {
        (at.saturating_duration_since(self.start).as_nanos() / self.interval.as_nanos()) as usize
    }

    fn record(&self, latency: Duration, error: bool) {
        let i = self.window_of(Instant::now());
        let mut ws = self.windows.lock().expect("windows lock");
        if ws.len() <= i {
            ws.resize(i + 1, Window::default());
        }
        ws[i]
            .latencies
            .push(latency.as_micros().min(u128::from(u32::MAX)) as u32);
        ws[i].errors += u64::from(error);
    }

    /// Generator indexes this run may have used for creates: the next free one is `base` plus
    /// this.
    pub fn used_indexes(&self) -> u64 {
        let most = self
            .states
            .lock()
            .expect("state lock")
            .iter()
            .map(|s| s.created)
            .max()
            .unwrap_or(0);
        (most + 1) * self.concurrency as u64
    }

    /// Stores a server memory sample in the current window.
    pub fn sample_rss(&self, kib: u64) {
        let i = self.window_of(Instant::now());
        let mut ws = self.windows.lock().expect("windows lock");
        if ws.len() <= i {
            ws.resize(i + 1, Window::default());
        }
        ws[i].rss_kib = Some(kib);
    }

    /// The figures of every complete window (a last partial window is left out).
    pub fn rows(&self, elapsed: Duration) -> Vec<WindowRow> {
        let ws = self.windows.lock().expect("windows lock");
        let complete = (elapsed.as_nanos() / self.interval.as_nanos()) as usize;
        let secs = self.interval.as_secs_f64();
        ws.iter()
            .take(complete)
            .enumerate()
            .map(|(i, w)| {
                let mut l = w.latencies.clone();
                l.sort_unstable();
                let rank = |p: f64| {
                    if l.is_empty() {
                        return 0.0;
                    }
                    let k = ((p / 100.0) * l.len() as f64).ceil() as usize;
                    f64::from(l[k.clamp(1, l.len()) - 1]) / 1000.0
                };
                WindowRow {
                    start_s: i as f64 * secs,
                    ops: l.len() as u64,
                    ops_per_sec: l.len() as f64 / secs,
                    p50_ms: rank(50.0),
                    p99_ms: rank(99.0),
                    errors: w.errors,
                    rss_kib: w.rss_kib,
                }
            })
            .collect()
    }

    /// A random object; `owner` restricts it to one worker's.
    fn pick(&self, rng: &mut Rng, owner: Option<usize>) -> Option<Obj> {
        let objects = self.objects.lock().expect("objects lock");
        let c = self.concurrency as u64;
        match owner {
            None if objects.is_empty() => None,
            None => Some(rng.pick(&objects).clone()),
            Some(w) => {
                let mine: Vec<&Obj> = objects.iter().filter(|o| o.index % c == w as u64).collect();
                (!mine.is_empty()).then(|| (*rng.pick(&mine)).clone())
            }
        }
    }

    fn replace(&self, path: &str, with: Option<Obj>) {
        let mut objects = self.objects.lock().expect("objects lock");
        if let Some(at) = objects.iter().position(|o| o.path == path) {
            match with {
                Some(o) => objects[at] = o,
                None => {
                    objects.swap_remove(at);
                }
            }
        }
    }

    async fn create(&self, w: &mut Worker) {
        let k = {
            let mut st = self.states.lock().expect("state lock");
            st[w.id].created += 1;
            st[w.id].created - 1
        };
        let index = self.base + k * self.concurrency as u64 + w.id as u64;
        create_one(w, &self.objects, &self.cal, &self.prefix, self.seed, index).await;
    }

    async fn update(&self, w: &mut Worker, rng: &mut Rng, stale: bool) {
        let Some(mut o) = self.pick(rng, Some(w.id)) else {
            return self.create(w).await;
        };
        o.revision += 1;
        let body = o.generate(self.seed).body;
        let etag = if stale {
            "\"0000000000000000000000000000stale\"".to_string()
        } else {
            o.etag.clone().unwrap_or_else(|| "*".into())
        };
        let req = Req::new("PUT", &o.path)
            .header("if-match", etag)
            .body(ICS, body);
        if stale {
            w.timed_ok(&req, &[412]).await;
        } else if let Some(r) = w.timed_ok(&req, &[200, 204]).await {
            o.etag = r.etag;
            let path = o.path.clone();
            self.replace(&path, Some(o));
        }
    }

    /// A create or a delete of one of the worker's own objects, whichever brings its count
    /// back to its share (see the module documentation).
    async fn churn(&self, w: &mut Worker, rng: &mut Rng) {
        let c = self.concurrency as u64;
        let owned = {
            let objects = self.objects.lock().expect("objects lock");
            objects
                .iter()
                .filter(|o| o.index % c == w.id as u64)
                .count()
        };
        if owned > self.shares[w.id] {
            self.delete(w, rng).await
        } else {
            self.create(w).await
        }
    }

    async fn delete(&self, w: &mut Worker, rng: &mut Rng) {
        let Some(o) = self.pick(rng, Some(w.id)) else {
            return self.create(w).await;
        };
        let req = Req::new("DELETE", &o.path)
            .header("if-match", o.etag.clone().unwrap_or_else(|| "*".into()));
        if w.timed_ok(&req, &[200, 204]).await.is_some() {
            self.replace(&o.path, None);
        }
    }

    async fn sync(&self, w: &mut Worker) {
        let token = self.states.lock().expect("state lock")[w.id]
            .token
            .clone()
            .unwrap_or_default();
        let req = Req::new("REPORT", &self.cal)
            .header("depth", "1")
            .body(XML, xml::sync_collection(&token));
        if let Some(r) = w.timed(&req, &[207, 403]).await {
            let body = String::from_utf8_lossy(&r.body);
            if r.status == 403 {
                return self.refused_token(w, &token, &body).await;
            }
            match xml::elements(&body, "sync-token").last() {
                Some(t) if !t.trim().is_empty() => {
                    self.states.lock().expect("state lock")[w.id].token =
                        Some(xml::unescape(t.trim()));
                    w.rec.ok += 1;
                }
                _ => w
                    .rec
                    .error("wrong result (sync without sync-token)", String::new),
            }
        }
    }

    /// A token this worker had from its own last sync was refused. That is never right in
    /// this workload (the server keeps thousands of deletions, and every worker syncs many
    /// times a second), so it is an error; its record names the token sent and the sequence the
    /// collection is at now, the two numbers that say which of "ahead of the collection" and
    /// "below its floor" the server saw. The worker then starts over with an initial sync, as a
    /// client would.
    async fn refused_token(&self, w: &mut Worker, sent: &str, body: &str) {
        let now = Req::new("PROPFIND", &self.cal)
            .header("depth", "0")
            .body(XML, xml::PROPFIND_SYNC_TOKEN);
        let current = match w.untimed(&now, &[207]).await {
            Some(r) => xml::elements(&String::from_utf8_lossy(&r.body), "sync-token")
                .last()
                .map(|t| xml::unescape(t.trim()))
                .unwrap_or_default(),
            None => String::new(),
        };
        let excerpt = crate::runner::excerpt(body.as_bytes());
        w.rec.error("REPORT 403 (sync token refused)", || {
            format!("sent {sent:?}, collection now at {current:?}: {excerpt}")
        });
        self.states.lock().expect("state lock")[w.id].token = None;
    }

    async fn multiget(&self, w: &mut Worker, rng: &mut Rng) {
        let paths: Vec<String> = (0..10)
            .filter_map(|_| self.pick(rng, None).map(|o| o.path))
            .collect();
        let req = Req::new("REPORT", &self.cal)
            .header("depth", "1")
            .body(XML, xml::multiget(paths.iter().map(String::as_str)));
        w.timed_ok(&req, &[207]).await;
    }
}

impl Plan for Mixed {
    async fn op(&self, w: &mut Worker, i: u64) {
        // "mixed" in ASCII: this workload's own stream of choices.
        let mut rng = Rng::new(self.seed ^ 0x006d_6978_6564, i);
        let errors_before = w.rec.error_count();
        let t0 = Instant::now();
        match rng.range(0, 100) {
            0..50 => match self.pick(&mut rng, None) {
                Some(o) => {
                    w.timed_ok(&Req::new("GET", &o.path), &[200, 404]).await;
                }
                None => self.create(w).await,
            },
            50..62 => self.update(w, &mut rng, false).await,
            62..72 => self.churn(w, &mut rng).await,
            72..75 => self.update(w, &mut rng, true).await,
            75..85 => self.sync(w).await,
            85..93 => self.multiget(w, &mut rng).await,
            93..98 => {
                let req = Req::new("REPORT", &self.cal)
                    .header("depth", "1")
                    .body(XML, self.query.clone());
                w.timed_ok(&req, &[207]).await;
            }
            _ => {
                let req = Req::new("PROPFIND", &self.cal)
                    .header("depth", "1")
                    .body(XML, xml::PROPFIND_ETAG);
                w.timed_ok(&req, &[207]).await;
            }
        }
        self.ops.fetch_add(1, Ordering::Relaxed);
        self.record(t0.elapsed(), w.rec.error_count() > errors_before);
    }
}

/// Samples `/proc/<pid>/status` VmRSS into the plan's windows until aborted.
pub fn spawn_rss_sampler(plan: Arc<Mixed>, pid: u32) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = (plan.interval / 4).max(Duration::from_millis(50));
        loop {
            if let Some(kib) = crate::workloads::resident_kib(pid) {
                plan.sample_rss(kib);
            }
            tokio::time::sleep(every).await;
        }
    })
}

/// The timeline as CSV: one line per window.
pub fn timeline_csv(rows: &[WindowRow]) -> String {
    let mut out = String::from("start_s,ops,ops_per_sec,p50_ms,p99_ms,errors,server_rss_kib\n");
    for r in rows {
        out.push_str(&format!(
            "{:.0},{},{:.1},{:.3},{:.3},{},{}\n",
            r.start_s,
            r.ops,
            r.ops_per_sec,
            r.p50_ms,
            r.p99_ms,
            r.errors,
            r.rss_kib.map(|k| k.to_string()).unwrap_or_default()
        ));
    }
    out
}

/// What a soak asks of a run, said in one line per verdict: resident memory within 10% after
/// warm-up (the first quarter of the windows), p99 of every window within 2x the median
/// window's p99, and no errors.
pub fn verdicts(rows: &[WindowRow]) -> Vec<String> {
    let mut out = Vec::new();
    if rows.len() < 4 {
        out.push(format!("only {} complete windows: no verdict", rows.len()));
        return out;
    }
    let warm = &rows[rows.len() / 4..];
    let rss: Vec<u64> = warm.iter().filter_map(|r| r.rss_kib).collect();
    if let (Some(lo), Some(hi)) = (rss.iter().min(), rss.iter().max()) {
        let growth = (*hi as f64 - *lo as f64) / (*lo as f64).max(1.0) * 100.0;
        out.push(format!(
            "server RSS after warm-up: {:.1}..{:.1} MiB ({growth:.1}% spread): {}",
            *lo as f64 / 1024.0,
            *hi as f64 / 1024.0,
            if growth <= 10.0 { "flat" } else { "GROWING" }
        ));
    }
    let mut p99: Vec<f64> = warm.iter().map(|r| r.p99_ms).collect();
    p99.sort_by(f64::total_cmp);
    let median = p99[p99.len() / 2];
    let worst = p99.last().copied().unwrap_or(0.0);
    out.push(format!(
        "p99 per window after warm-up: median {median:.2} ms, worst {worst:.2} ms: {}",
        if worst <= 2.0 * median.max(0.001) {
            "stable"
        } else {
            "UNSTABLE"
        }
    ));
    let errors: u64 = rows.iter().map(|r| r.errors).sum();
    out.push(format!("errors: {errors}"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(i: usize, p99: f64, rss: u64) -> WindowRow {
        WindowRow {
            start_s: i as f64,
            ops: 10,
            ops_per_sec: 1.0,
            p50_ms: 1.0,
            p99_ms: p99,
            errors: 0,
            rss_kib: Some(rss),
        }
    }

    #[test]
    fn verdicts_tell_flat_from_growing_and_stable_from_not() {
        let flat: Vec<WindowRow> = (0..8).map(|i| row(i, 5.0, 10_000 + i as u64)).collect();
        let v = verdicts(&flat).join("\n");
        assert!(v.contains(": flat") && v.contains(": stable"), "{v}");
        let grow: Vec<WindowRow> = (0..8)
            .map(|i| {
                row(
                    i,
                    if i == 7 { 50.0 } else { 5.0 },
                    10_000 + 1_000 * i as u64,
                )
            })
            .collect();
        let v = verdicts(&grow).join("\n");
        assert!(v.contains("GROWING") && v.contains("UNSTABLE"), "{v}");
    }

    #[test]
    fn csv_has_a_line_per_window() {
        let csv = timeline_csv(&[row(0, 1.0, 5), row(1, 2.0, 6)]);
        assert_eq!(csv.lines().count(), 3);
        assert!(csv.lines().nth(2).unwrap().ends_with(",0,6"));
    }
}
