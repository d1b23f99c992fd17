//! Statistics for a young database.
//!
//! PostgreSQL plans every statement from the statistics autovacuum gathers, and autovacuum
//! visits a database about once a minute (`autovacuum_naptime`). Until it has, the planner knows
//! nothing of how many rows a calendar holds: it estimates one row for any equality on
//! (owner, collection), and may then read an object by name through the time-range index
//! (`objects_span`, same leading columns) with the name as a mere filter, reading every row of
//! the calendar for each lookup. On a fresh database (`scripts/pg-waits`, `EXPLAIN ANALYZE`
//! during the run) that was 0.7-1.0 ms per lookup at 1,355 events, growing with the calendar,
//! with two such lookups per PUT: PostgreSQL spent 4.5 ms of CPU per create.
//!
//! So a node analyzes the object tables itself while the database is young: when it has
//! written [`THRESHOLDS`] objects, in a thread of its own on a pooled connection (a request
//! never waits for it). Once analyzed, estimates scale with the tables' size and the primary
//! key wins; by the last threshold autovacuum has had its chance to take over.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::PgStore;

/// After how many objects written by this node the object tables are analyzed.
pub const THRESHOLDS: &[u64] = &[200, 5_000];

/// Objects written by this node, counted towards [`THRESHOLDS`].
#[derive(Default)]
pub(crate) struct Analyzer {
    written: AtomicU64,
}

impl PgStore {
    /// Counts `n` objects written; crossing a threshold starts an `ANALYZE` in the background.
    pub(crate) fn wrote_objects(&self, n: u64) {
        if n == 0 {
            return;
        }
        let before = self.inner.analyzer.written.fetch_add(n, Ordering::Relaxed);
        if THRESHOLDS.iter().any(|&t| before < t && before + n >= t) {
            let store = self.clone();
            // Best effort: if the thread cannot start or the statement fails, autovacuum still
            // analyzes the tables within its naptime; nothing is wrong meanwhile, only slower.
            let _ = std::thread::Builder::new()
                .name("davlite-pg-analyze".into())
                .spawn(move || {
                    if let Ok(mut conn) = store.conn() {
                        let _ = conn.batch("ANALYZE objects, changes");
                    }
                });
        }
    }
}
