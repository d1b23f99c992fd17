//! `GET /metrics`: counters in the Prometheus text exposition format (version 0.0.4), written
//! by hand. The set is small and fixed (a few counters, gauges and histograms with labels from
//! closed sets), so the format is forty lines of `write!`; a registry crate would add a
//! dependency and an indirection for no gain.
//!
//! Labels never carry user data: methods come from a closed list (anything else is `other`),
//! statuses are numbers, and nothing names a user, a path or a UID.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use davlite_store::{AtomicHistogram, Histogram, Store};
use http::HeaderMap;
use parking_lot::Mutex;

use crate::backup::BackupRecord;

/// Methods with their own label value; every other method is counted as `other`.
const METHODS: &[&str] = &[
    "GET",
    "HEAD",
    "PUT",
    "DELETE",
    "OPTIONS",
    "PROPFIND",
    "PROPPATCH",
    "REPORT",
    "MKCOL",
    "MKCALENDAR",
    "COPY",
    "MOVE",
    "POST",
    "LOCK",
    "UNLOCK",
    "ACL",
    "other",
];

/// Request latency bounds, in microseconds (rendered in seconds).
const LATENCY_BOUNDS: &[u64] = &[
    500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
    2_500_000, 10_000_000,
];

fn method_index(m: &http::Method) -> usize {
    METHODS
        .iter()
        .position(|k| *k == m.as_str())
        .unwrap_or(METHODS.len() - 1)
}

/// What the server counts while it runs. Updated on every request whether or not `/metrics` is
/// served (a few relaxed atomics and one short lock).
pub struct Metrics {
    requests: Mutex<BTreeMap<(usize, u16), u64>>,
    latency: Vec<AtomicHistogram>,
    connections_open: AtomicI64,
    connections_total: AtomicU64,
    auth_bad_credentials: AtomicU64,
    auth_throttled: AtomicU64,
    backups_ok: AtomicU64,
    backups_failed: AtomicU64,
    last_backup: Mutex<Option<BackupRecord>>,
    start_unix: u64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            requests: Mutex::new(BTreeMap::new()),
            latency: METHODS
                .iter()
                .map(|_| AtomicHistogram::new(LATENCY_BOUNDS))
                .collect(),
            connections_open: AtomicI64::new(0),
            connections_total: AtomicU64::new(0),
            auth_bad_credentials: AtomicU64::new(0),
            auth_throttled: AtomicU64::new(0),
            backups_ok: AtomicU64::new(0),
            backups_failed: AtomicU64::new(0),
            last_backup: Mutex::new(None),
            start_unix: crate::backup::unix_now(),
        }
    }
}

/// Counts an open connection until dropped.
pub struct ConnectionGuard<'a>(&'a Metrics);

impl Drop for ConnectionGuard<'_> {
    fn drop(&mut self) {
        self.0.connections_open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// Starts with the last backup recorded in the data directory, if any.
    pub fn new(last_backup: Option<BackupRecord>) -> Self {
        let m = Metrics::default();
        *m.last_backup.lock() = last_backup;
        m
    }

    pub fn request(&self, method: &http::Method, status: u16, elapsed: Duration) {
        let i = method_index(method);
        *self.requests.lock().entry((i, status)).or_insert(0) += 1;
        self.latency[i].observe(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX));
    }

    pub fn connection(&self) -> ConnectionGuard<'_> {
        self.connections_total.fetch_add(1, Ordering::Relaxed);
        self.connections_open.fetch_add(1, Ordering::Relaxed);
        ConnectionGuard(self)
    }

    pub fn auth_failed(&self) {
        self.auth_bad_credentials.fetch_add(1, Ordering::Relaxed);
    }

    pub fn auth_throttled(&self) {
        self.auth_throttled.fetch_add(1, Ordering::Relaxed);
    }

    pub fn backup_done(&self, result: Result<&BackupRecord, ()>) {
        match result {
            Ok(rec) => {
                self.backups_ok.fetch_add(1, Ordering::Relaxed);
                *self.last_backup.lock() = Some(rec.clone());
            }
            Err(()) => {
                self.backups_failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// When this server started (Unix seconds), for the web page's uptime.
    pub fn started_unix(&self) -> u64 {
        self.start_unix
    }

    /// Requests answered since the start, all methods and statuses (for a status page).
    pub fn requests_total(&self) -> u64 {
        self.requests.lock().values().sum()
    }

    /// Failed and throttled logins since the start.
    pub fn auth_failures_total(&self) -> u64 {
        self.auth_bad_credentials.load(Ordering::Relaxed)
            + self.auth_throttled.load(Ordering::Relaxed)
    }

    /// Client connections open now.
    pub fn connections_open(&self) -> i64 {
        self.connections_open.load(Ordering::Relaxed)
    }

    /// The last successful backup this server knows of (for a status page).
    pub fn last_backup(&self) -> Option<BackupRecord> {
        self.last_backup.lock().clone()
    }

    /// The whole exposition. Reads the store's counters and one snapshot's table lengths, and
    /// the size of the store file.
    pub fn render(&self, store: &Store, store_file: Option<&Path>) -> String {
        let mut out = String::with_capacity(8 * 1024);
        let o = &mut out;

        head(
            o,
            "davlite_http_requests_total",
            "counter",
            "HTTP requests answered, by method and status.",
        );
        for ((m, status), n) in self.requests.lock().iter() {
            let _ = writeln!(
                o,
                "davlite_http_requests_total{{method=\"{}\",status=\"{status}\"}} {n}",
                METHODS[*m]
            );
        }
        head(
            o,
            "davlite_http_request_duration_seconds",
            "histogram",
            "Time from the request head to the response head, by method.",
        );
        for (i, h) in self.latency.iter().enumerate() {
            let h = h.read();
            if h.count > 0 {
                let labels = format!("method=\"{}\"", METHODS[i]);
                histogram(
                    o,
                    "davlite_http_request_duration_seconds",
                    &labels,
                    &h,
                    1e-6,
                );
            }
        }
        gauge(
            o,
            "davlite_http_connections_open",
            "Client connections open now.",
            self.connections_open.load(Ordering::Relaxed),
        );
        counter(
            o,
            "davlite_http_connections_total",
            "Client connections accepted.",
            self.connections_total.load(Ordering::Relaxed),
        );
        head(
            o,
            "davlite_auth_failures_total",
            "counter",
            "Logins refused: wrong user name or password, or refused unchecked while throttled (429).",
        );
        let _ = writeln!(
            o,
            "davlite_auth_failures_total{{reason=\"bad_credentials\"}} {}",
            self.auth_bad_credentials.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            o,
            "davlite_auth_failures_total{{reason=\"throttled\"}} {}",
            self.auth_throttled.load(Ordering::Relaxed)
        );

        let stats = store.commit_stats();
        counter(
            o,
            "davlite_store_commits_total",
            "Write transactions committed (one per group-commit batch).",
            stats.batches,
        );
        counter(
            o,
            "davlite_store_commit_failures_total",
            "Batches aborted by a storage error; every request in them failed.",
            stats.failed_batches,
        );
        head(
            o,
            "davlite_store_commit_batch_requests",
            "histogram",
            "Write requests carried by one group-commit transaction.",
        );
        histogram(
            o,
            "davlite_store_commit_batch_requests",
            "",
            &stats.batch_size,
            1.0,
        );
        head(
            o,
            "davlite_store_commit_duration_seconds",
            "histogram",
            "Time of the commit itself, including its fsync.",
        );
        histogram(
            o,
            "davlite_store_commit_duration_seconds",
            "",
            &stats.commit_micros,
            1e-6,
        );
        head(
            o,
            "davlite_store_batch_duration_seconds",
            "histogram",
            "Time of a whole batch: begin, run every request, commit.",
        );
        histogram(
            o,
            "davlite_store_batch_duration_seconds",
            "",
            &stats.batch_micros,
            1e-6,
        );
        if let Ok(counts) = store.read().and_then(|r| r.counts()) {
            gauge(
                o,
                "davlite_store_collections",
                "Collections in the store (homes, calendars, address books).",
                counts.collections,
            );
            gauge(
                o,
                "davlite_store_objects",
                "Objects (events, tasks, cards, ...) in the store.",
                counts.objects,
            );
        }
        if let Some(Ok(meta)) = store_file.map(std::fs::metadata) {
            gauge(
                o,
                "davlite_store_file_bytes",
                "Size of the store file on disk.",
                meta.len(),
            );
        }

        head(
            o,
            "davlite_backups_total",
            "counter",
            "Backups written through this server, by result.",
        );
        let _ = writeln!(
            o,
            "davlite_backups_total{{result=\"ok\"}} {}",
            self.backups_ok.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            o,
            "davlite_backups_total{{result=\"error\"}} {}",
            self.backups_failed.load(Ordering::Relaxed)
        );
        if let Some(b) = self.last_backup() {
            gauge(
                o,
                "davlite_backup_last_success_timestamp_seconds",
                "When the last successful backup of this data directory finished (Unix time).",
                b.finished_unix,
            );
            head(
                o,
                "davlite_backup_last_duration_seconds",
                "gauge",
                "How long the last successful backup took.",
            );
            let _ = writeln!(
                o,
                "davlite_backup_last_duration_seconds {}",
                b.duration_ms as f64 / 1000.0
            );
            gauge(
                o,
                "davlite_backup_last_size_bytes",
                "Size of the last successful backup file.",
                b.bytes,
            );
        }
        gauge(
            o,
            "davlite_start_time_seconds",
            "When this server started (Unix time).",
            self.start_unix,
        );
        head(o, "davlite_build_info", "gauge", "The running version.");
        let _ = writeln!(
            o,
            "davlite_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        out
    }
}

fn head(o: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(o, "# HELP {name} {help}");
    let _ = writeln!(o, "# TYPE {name} {kind}");
}

fn counter(o: &mut String, name: &str, help: &str, v: u64) {
    head(o, name, "counter", help);
    let _ = writeln!(o, "{name} {v}");
}

fn gauge(o: &mut String, name: &str, help: &str, v: impl std::fmt::Display) {
    head(o, name, "gauge", help);
    let _ = writeln!(o, "{name} {v}");
}

/// `_bucket` lines (cumulative, `le` in the exposed unit: the stored unit times `scale`), then
/// `_sum` and `_count`.
fn histogram(o: &mut String, name: &str, labels: &str, h: &Histogram, scale: f64) {
    let sep = if labels.is_empty() { "" } else { "," };
    let mut cumulative = 0;
    for (i, n) in h.buckets.iter().enumerate() {
        cumulative += n;
        let le = match h.bounds.get(i) {
            Some(b) => format!("{}", *b as f64 * scale),
            None => "+Inf".to_string(),
        };
        let _ = writeln!(o, "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}");
    }
    let braces = if labels.is_empty() {
        String::new()
    } else {
        format!("{{{labels}}}")
    };
    let _ = writeln!(o, "{name}_sum{braces} {}", h.sum as f64 * scale);
    let _ = writeln!(o, "{name}_count{braces} {}", h.count);
}

/// Who may read `/metrics` when it is enabled: clients on this machine (loopback) talking to
/// the server directly. A request carrying a proxy's forwarding header came through a reverse
/// proxy, whose own connection is loopback too, so it is refused: putting davlite behind a
/// proxy does not publish its metrics.
pub fn may_read(peer: IpAddr, headers: &HeaderMap) -> bool {
    let proxied = ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|h| headers.contains_key(*h));
    let loopback = match peer {
        IpAddr::V4(a) => a.is_loopback(),
        IpAddr::V6(a) => a.is_loopback() || a.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    };
    loopback && !proxied
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_direct_loopback_clients_read_metrics() {
        let mut h = HeaderMap::new();
        assert!(may_read("127.0.0.1".parse().unwrap(), &h));
        assert!(may_read("::1".parse().unwrap(), &h));
        assert!(may_read("::ffff:127.0.0.1".parse().unwrap(), &h));
        assert!(!may_read("192.168.1.10".parse().unwrap(), &h));
        assert!(!may_read("10.0.0.1".parse().unwrap(), &h));
        h.insert("x-forwarded-for", "203.0.113.9".parse().unwrap());
        assert!(!may_read("127.0.0.1".parse().unwrap(), &h));
    }

    #[test]
    fn exposition_is_well_formed_and_counts() {
        let m = Metrics::default();
        m.request(&http::Method::PUT, 201, Duration::from_millis(3));
        m.request(&http::Method::PUT, 201, Duration::from_millis(30));
        m.request(
            &http::Method::from_bytes(b"BREW").unwrap(),
            405,
            Duration::from_millis(1),
        );
        m.auth_failed();
        let _c = m.connection();
        let store = Store::in_memory(davlite_store::Options::default()).unwrap();
        let text = m.render(&store, Some(Path::new("/nonexistent")));
        assert!(text.contains("davlite_http_requests_total{method=\"PUT\",status=\"201\"} 2\n"));
        assert!(text.contains("davlite_http_requests_total{method=\"other\",status=\"405\"} 1\n"));
        assert!(text.contains(
            "davlite_http_request_duration_seconds_bucket{method=\"PUT\",le=\"0.005\"} 1\n"
        ));
        assert!(text.contains(
            "davlite_http_request_duration_seconds_bucket{method=\"PUT\",le=\"+Inf\"} 2\n"
        ));
        assert!(text.contains("davlite_http_request_duration_seconds_count{method=\"PUT\"} 2\n"));
        assert!(text.contains("davlite_auth_failures_total{reason=\"bad_credentials\"} 1\n"));
        assert!(text.contains("davlite_http_connections_open 1\n"));
        assert!(text.contains("davlite_store_objects 0\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = line.rsplit_once(' ').expect("name value");
            value.parse::<f64>().expect("numeric value");
        }
    }
}
