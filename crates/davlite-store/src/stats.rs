//! Counters of the write path, for monitoring: how many requests each group commit carried and
//! how long its transaction and its commit (the fsync) took. Only the committer (or, without
//! group commit, the writing thread) updates them, with relaxed atomics; reading them is a
//! handful of loads and never touches the database.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A histogram read at one moment: `buckets[i]` counts the observations `<= bounds[i]` (and
/// above `bounds[i - 1]`); the last entry of `buckets` counts those above every bound, so
/// `buckets.len() == bounds.len() + 1` and the buckets add up to `count`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Histogram {
    pub bounds: Vec<u64>,
    pub buckets: Vec<u64>,
    /// Sum of all observations, in the histogram's unit.
    pub sum: u64,
    pub count: u64,
}

/// What the write path has done since the store was opened. Times are in microseconds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommitStats {
    /// Transactions committed (one per group-commit batch).
    pub batches: u64,
    /// Batches aborted by a storage error or a panic (every request in them got the error).
    pub failed_batches: u64,
    /// Requests per committed batch.
    pub batch_size: Histogram,
    /// Whole batch: begin the transaction, run every request, commit.
    pub batch_micros: Histogram,
    /// The commit alone: redb's commit, which includes the fsync under `Durability::Immediate`.
    pub commit_micros: Histogram,
}

/// Counts read from one snapshot in constant time (table lengths redb keeps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreCounts {
    pub collections: u64,
    pub objects: u64,
}

const SIZE_BOUNDS: &[u64] = &[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
const MICROS_BOUNDS: &[u64] = &[
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000,
];

/// A histogram several threads record into without locks (relaxed atomics), read as a
/// [`Histogram`] at any moment. The store records its commit path with it; the server its
/// request latencies.
pub struct AtomicHistogram {
    bounds: &'static [u64],
    buckets: Vec<AtomicU64>,
    sum: AtomicU64,
    count: AtomicU64,
}

impl AtomicHistogram {
    /// Buckets with these upper bounds (ascending), plus one above the last.
    pub fn new(bounds: &'static [u64]) -> Self {
        AtomicHistogram {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, v: u64) {
        let i = self.bounds.partition_point(|&b| b < v);
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(v, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn read(&self) -> Histogram {
        // Relaxed loads: a read racing the committer may see an observation in its bucket but
        // not yet in the count (or the other way round); harmless for monitoring.
        let buckets = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        Histogram {
            bounds: self.bounds.to_vec(),
            buckets,
            sum: self.sum.load(Ordering::Relaxed),
            count: self.count.load(Ordering::Relaxed),
        }
    }
}

/// Records [`CommitStats`]: what a backend's write path reports through
/// [`crate::Backend::commit_stats`].
pub struct CommitRecorder {
    batches: AtomicU64,
    failed: AtomicU64,
    batch_size: AtomicHistogram,
    batch_micros: AtomicHistogram,
    commit_micros: AtomicHistogram,
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl Default for CommitRecorder {
    fn default() -> Self {
        Self::new()
    }
}

impl CommitRecorder {
    pub fn new() -> Self {
        CommitRecorder {
            batches: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            batch_size: AtomicHistogram::new(SIZE_BOUNDS),
            batch_micros: AtomicHistogram::new(MICROS_BOUNDS),
            commit_micros: AtomicHistogram::new(MICROS_BOUNDS),
        }
    }

    pub fn committed(&self, requests: usize, batch: Duration, commit: Duration) {
        self.batch_size.observe(requests as u64);
        self.batch_micros.observe(micros(batch));
        self.commit_micros.observe(micros(commit));
        self.batches.fetch_add(1, Ordering::Relaxed);
    }

    pub fn failed(&self) {
        self.failed.fetch_add(1, Ordering::Relaxed);
    }

    pub fn read(&self) -> CommitStats {
        CommitStats {
            batches: self.batches.load(Ordering::Relaxed),
            failed_batches: self.failed.load(Ordering::Relaxed),
            batch_size: self.batch_size.read(),
            batch_micros: self.batch_micros.read(),
            commit_micros: self.commit_micros.read(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_upper_inclusive_and_add_up() {
        let h = AtomicHistogram::new(&[1, 4]);
        for v in [0, 1, 2, 4, 5, 100] {
            h.observe(v);
        }
        let r = h.read();
        assert_eq!(r.buckets, vec![2, 2, 2]);
        assert_eq!((r.count, r.sum), (6, 112));
    }
}
