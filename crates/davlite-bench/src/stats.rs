//! What a workload measured. Only requests whose status (and, where checkable, content) was
//! right count as successes; the rate is successes per second, so errors can never pass for
//! speed.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

/// Per-worker tally, merged at the end of a workload.
#[derive(Debug, Default, Clone)]
pub struct Recorder {
    /// Latency of every timed request, in nanoseconds.
    pub samples: Vec<u64>,
    pub ok: u64,
    pub errors: BTreeMap<String, u64>,
    /// The first few error descriptions with a body excerpt, for diagnosis.
    pub error_examples: Vec<String>,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

impl Recorder {
    pub fn error(&mut self, kind: impl Into<String>, detail: impl FnOnce() -> String) {
        let kind = kind.into();
        if self.error_examples.len() < 5 {
            self.error_examples.push(format!("{kind}: {}", detail()));
        }
        *self.errors.entry(kind).or_default() += 1;
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    pub fn merge(&mut self, other: Recorder) {
        self.samples.extend(other.samples);
        self.ok += other.ok;
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
        for e in other.error_examples {
            if self.error_examples.len() < 5 {
                self.error_examples.push(e);
            }
        }
        self.bytes_sent += other.bytes_sent;
        self.bytes_received += other.bytes_received;
    }
}

/// Latency percentiles (nearest rank) over the timed requests.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Latency {
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub mean: Duration,
}

impl Latency {
    pub fn from_samples(samples: &mut [u64]) -> Latency {
        if samples.is_empty() {
            return Latency::default();
        }
        samples.sort_unstable();
        let rank = |p: f64| {
            let i = ((p / 100.0) * samples.len() as f64).ceil() as usize;
            Duration::from_nanos(samples[i.clamp(1, samples.len()) - 1])
        };
        let mean = samples.iter().map(|&s| u128::from(s)).sum::<u128>() / samples.len() as u128;
        Latency {
            p50: rank(50.0),
            p90: rank(90.0),
            p99: rank(99.0),
            max: rank(100.0),
            mean: Duration::from_nanos(mean as u64),
        }
    }
}

/// The percentiles a report's latency curve is drawn through: evenly spaced on the "nines"
/// scale (0, 90, 99, 99.9 are equally far apart), so the tail gets as many points as the body.
/// A fixed, short list keeps a report's size independent of how many requests were timed.
pub const CURVE_PERCENTILES: [f64; 25] = [
    0.0, 25.0, 50.0, 60.0, 70.0, 75.0, 80.0, 85.0, 90.0, 92.0, 94.0, 95.0, 96.0, 97.0, 98.0, 98.5,
    99.0, 99.2, 99.4, 99.5, 99.6, 99.7, 99.8, 99.85, 99.9,
];

/// Nearest-rank latency at each of [`CURVE_PERCENTILES`] over `sorted` samples (nanoseconds,
/// ascending); empty when nothing was timed.
pub fn latency_curve(sorted: &[u64]) -> Vec<(f64, Duration)> {
    if sorted.is_empty() {
        return Vec::new();
    }
    CURVE_PERCENTILES
        .iter()
        .map(|&p| {
            // The epsilon keeps 99.9 % of 1000 at rank 999: 0.999 * 1000 is a hair over 999.
            let i = ((p / 100.0) * sorted.len() as f64 - 1e-9).ceil() as usize;
            (
                p,
                Duration::from_nanos(sorted[i.clamp(1, sorted.len()) - 1]),
            )
        })
        .collect()
}

/// The outcome of the conflict workload: per round, how many writers were told they won.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConflictOutcome {
    pub rounds_same_href: u64,
    pub rounds_different_href: u64,
    pub exactly_one_winner: u64,
    pub no_winner: u64,
    pub several_winners: u64,
    /// Status code -> how many losing writers got it.
    pub loser_statuses: BTreeMap<u16, u64>,
}

/// One workload's result.
#[derive(Debug, Clone)]
pub struct WorkloadReport {
    pub workload: String,
    pub objects: u64,
    pub concurrency: usize,
    /// Timed requests.
    pub requests: u64,
    pub ok: u64,
    pub errors: BTreeMap<String, u64>,
    pub error_examples: Vec<String>,
    pub elapsed: Duration,
    pub latency: Latency,
    /// (percentile, latency) at each of `CURVE_PERCENTILES`: the percentile plot of a report.
    pub latency_curve: Vec<(f64, Duration)>,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub conflict: Option<ConflictOutcome>,
    /// Resident memory (KiB) and on-disk bytes of the server, when asked to look.
    pub footprint: Option<(u64, u64)>,
    /// CPU time the driver itself used during the workload.
    pub client_cpu: Option<Duration>,
    pub notes: Vec<String>,
}

impl WorkloadReport {
    pub fn from_recorder(
        workload: &str,
        objects: u64,
        concurrency: usize,
        mut rec: Recorder,
        elapsed: Duration,
    ) -> Self {
        // from_samples sorts the samples, which the curve needs.
        let latency = Latency::from_samples(&mut rec.samples);
        let latency_curve = latency_curve(&rec.samples);
        WorkloadReport {
            workload: workload.to_string(),
            objects,
            concurrency,
            requests: rec.samples.len() as u64,
            ok: rec.ok,
            errors: rec.errors,
            error_examples: rec.error_examples,
            elapsed,
            latency,
            latency_curve,
            bytes_sent: rec.bytes_sent,
            bytes_received: rec.bytes_received,
            conflict: None,
            footprint: None,
            client_cpu: None,
            notes: Vec::new(),
        }
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Successful operations per second of wall time.
    pub fn ops_per_sec(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 { self.ok as f64 / s } else { 0.0 }
    }

    pub fn to_json(&self) -> Value {
        let ms = |d: Duration| (d.as_secs_f64() * 1e6).round() / 1e3;
        let mut v = json!({
            "workload": self.workload,
            "objects": self.objects,
            "concurrency": self.concurrency,
            "requests": self.requests,
            "ok": self.ok,
            "errors": self.error_count(),
            "error_kinds": self.errors,
            "ops_per_sec": (self.ops_per_sec() * 10.0).round() / 10.0,
            "elapsed_s": (self.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
            "latency_ms": {"p50": ms(self.latency.p50), "p90": ms(self.latency.p90), "p99": ms(self.latency.p99), "max": ms(self.latency.max), "mean": ms(self.latency.mean)},
            "bytes_sent": self.bytes_sent,
            "bytes_received": self.bytes_received,
        });
        if !self.latency_curve.is_empty() {
            // Added after the fields above, which scripts already read: [percentile, ms] pairs
            // from which `davlite bench-report` draws several runs' curves together.
            v["latency_percentiles_ms"] = json!(
                self.latency_curve
                    .iter()
                    .map(|&(p, d)| json!([p, ms(d)]))
                    .collect::<Vec<_>>()
            );
        }
        if !self.error_examples.is_empty() {
            v["error_examples"] = json!(self.error_examples);
        }
        if let Some(c) = &self.conflict {
            v["conflict"] = json!({
                "rounds_same_href": c.rounds_same_href,
                "rounds_different_href": c.rounds_different_href,
                "exactly_one_winner": c.exactly_one_winner,
                "no_winner": c.no_winner,
                "several_winners": c.several_winners,
                "loser_statuses": c.loser_statuses.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>(),
            });
        }
        if let Some((rss, disk)) = self.footprint {
            v["footprint"] = json!({"rss_kib": rss, "disk_bytes": disk});
        }
        if let Some(cpu) = self.client_cpu {
            v["client_cpu_s"] = json!(cpu.as_secs_f64());
            if self.requests > 0 {
                v["client_cpu_us_per_request"] =
                    json!((cpu.as_secs_f64() * 1e7 / self.requests as f64).round() / 10.0);
            }
        }
        if !self.notes.is_empty() {
            v["notes"] = json!(self.notes);
        }
        v
    }

    /// One human line (plus error lines) for the terminal.
    pub fn to_text(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let mut s = format!(
            "{:<20} n={:<6} c={:<3} {:>10.1} ops/s  p50 {:>8.3} ms  p90 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms  errors {:<5} sent {} B  recv {} B",
            self.workload,
            self.objects,
            self.concurrency,
            self.ops_per_sec(),
            ms(self.latency.p50),
            ms(self.latency.p90),
            ms(self.latency.p99),
            ms(self.latency.max),
            self.error_count(),
            self.bytes_sent,
            self.bytes_received
        );
        for (k, v) in &self.errors {
            s.push_str(&format!("\n    error {k}: {v}"));
        }
        for e in &self.error_examples {
            s.push_str(&format!("\n    e.g. {e}"));
        }
        if let Some(c) = &self.conflict {
            s.push_str(&format!(
                "\n    conflict: {} rounds same href, {} different hrefs; exactly one winner {}, none {}, several {}; loser statuses {:?}",
                c.rounds_same_href, c.rounds_different_href, c.exactly_one_winner, c.no_winner, c.several_winners, c.loser_statuses
            ));
        }
        if let Some((rss, disk)) = self.footprint {
            s.push_str(&format!(
                "\n    server footprint: RSS {rss} KiB, disk {disk} bytes"
            ));
        }
        if let Some(cpu) = self.client_cpu.filter(|_| self.requests > 0) {
            s.push_str(&format!(
                "\n    driver CPU {:.2} s ({:.1} us per request)",
                cpu.as_secs_f64(),
                cpu.as_secs_f64() * 1e6 / self.requests as f64
            ));
        }
        for n in &self.notes {
            s.push_str(&format!("\n    note: {n}"));
        }
        s
    }
}

/// All workloads of one run, in the order they ran.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub workloads: Vec<WorkloadReport>,
}

impl Report {
    pub fn total_errors(&self) -> u64 {
        self.workloads.iter().map(WorkloadReport::error_count).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_nearest_rank() {
        let mut s: Vec<u64> = (1..=100).rev().map(|i| i * 1000).collect();
        let l = Latency::from_samples(&mut s);
        assert_eq!(l.p50, Duration::from_micros(50));
        assert_eq!(l.p90, Duration::from_micros(90));
        assert_eq!(l.p99, Duration::from_micros(99));
        assert_eq!(l.max, Duration::from_micros(100));
        assert_eq!(l.mean, Duration::from_nanos(50_500));
        assert_eq!(Latency::from_samples(&mut []), Latency::default());
    }

    #[test]
    fn curve_follows_the_sorted_samples_and_reaches_the_tail() {
        let mut s: Vec<u64> = (1..=1000).rev().map(|i| i * 1000).collect();
        let l = Latency::from_samples(&mut s);
        let c = latency_curve(&s);
        assert_eq!(c.len(), CURVE_PERCENTILES.len());
        assert_eq!(c[0], (0.0, Duration::from_micros(1)));
        let at = |p: f64| c.iter().find(|x| x.0 == p).unwrap().1;
        assert_eq!(at(50.0), l.p50);
        assert_eq!(at(99.0), l.p99);
        assert_eq!(at(99.9), Duration::from_micros(999));
        assert!(c.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1));
        assert!(latency_curve(&[]).is_empty());
        let w = WorkloadReport::from_recorder(
            "get",
            3,
            1,
            Recorder {
                samples: vec![3_000_000, 1_000_000, 2_000_000],
                ok: 3,
                ..Default::default()
            },
            Duration::from_secs(1),
        );
        let j = w.to_json();
        let pts = j["latency_percentiles_ms"].as_array().unwrap();
        assert_eq!(pts[0], json!([0.0, 1.0]));
        assert_eq!(pts.last().unwrap(), &json!([99.9, 3.0]));
    }

    #[test]
    fn errors_are_not_speed() {
        let mut r = Recorder {
            samples: vec![1; 10],
            ok: 2,
            ..Default::default()
        };
        for _ in 0..8 {
            r.error("PUT 500", || "boom".into());
        }
        let w = WorkloadReport::from_recorder("create", 10, 1, r, Duration::from_secs(1));
        assert_eq!(w.ops_per_sec(), 2.0);
        assert_eq!(w.error_count(), 8);
        let j = w.to_json();
        assert_eq!(j["errors"], 8);
        assert_eq!(j["error_kinds"]["PUT 500"], 8);
        assert_eq!(j["requests"], 10);
        assert_eq!(w.error_examples.len(), 5);
    }
}
