//! Write-path statistics in the store's [`davlite_store::CommitStats`] form: on PostgreSQL a
//! "batch" is one write transaction (one request, or a group of object writes to one collection
//! that shared it), its size the writes it held, its time the whole transaction, the commit
//! time the `COMMIT` round trip (which includes the WAL flush).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use davlite_store::{CommitStats, Histogram};

/// The same bucket bounds as the embedded backend's, so dashboards compare.
const SIZE_BOUNDS: &[u64] = &[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
const MICROS_BOUNDS: &[u64] = &[
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000,
];

struct AtomicHistogram {
    bounds: &'static [u64],
    buckets: Vec<AtomicU64>,
    sum: AtomicU64,
    count: AtomicU64,
}

impl AtomicHistogram {
    fn new(bounds: &'static [u64]) -> Self {
        AtomicHistogram {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    fn observe(&self, v: u64) {
        let i = self.bounds.partition_point(|&b| b < v);
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(v, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn read(&self) -> Histogram {
        Histogram {
            bounds: self.bounds.to_vec(),
            buckets: self
                .buckets
                .iter()
                .map(|b| b.load(Ordering::Relaxed))
                .collect(),
            sum: self.sum.load(Ordering::Relaxed),
            count: self.count.load(Ordering::Relaxed),
        }
    }
}

pub(crate) struct Recorder {
    batches: AtomicU64,
    failed: AtomicU64,
    batch_size: AtomicHistogram,
    batch_micros: AtomicHistogram,
    commit_micros: AtomicHistogram,
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl Recorder {
    pub fn new() -> Self {
        Recorder {
            batches: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            batch_size: AtomicHistogram::new(SIZE_BOUNDS),
            batch_micros: AtomicHistogram::new(MICROS_BOUNDS),
            commit_micros: AtomicHistogram::new(MICROS_BOUNDS),
        }
    }

    /// A committed transaction of `size` writes.
    pub fn committed(&self, size: u64, whole: Duration, commit: Duration) {
        self.batch_size.observe(size);
        self.batch_micros.observe(micros(whole));
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
