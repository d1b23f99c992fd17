//! Retention of the sync change log, applied as deletions happen.
//!
//! The change log is compacted as it is written (one entry per member name), so it grows only
//! with the names of deleted members: tombstones. A collection that sees steady churn (a client
//! creating and deleting a few events a minute, a shared calendar fed by a script) would keep
//! every tombstone it ever had, and the store file, its cache and every sync-token check grow
//! with them. [`crate::Store::keep_deletions`] bounds them per collection, on every backend:
//! the handle counts the deletions it makes in each collection, and once one has seen an
//! eighth of the bound since its last pruning, the oldest tombstones beyond the bound are
//! dropped (the backend's `prune_tombstones`, in a transaction of its own right after the
//! delete's). A collection therefore holds at most `keep + keep / 8` tombstones per handle
//! writing to it, and the pruning's cost (one pass over the collection's log) is spread over
//! `keep / 8` deletions. Tombstones made before the handle existed, or by another process, are
//! pruned by whoever prunes at start (`davlite serve` does).

use std::collections::HashMap;
use std::sync::Mutex;

/// Deletions counted per collection since its last pruning by this handle.
#[derive(Debug)]
pub(crate) struct Retention {
    /// Tombstones kept per collection.
    pub keep: u64,
    /// Deletions in one collection between two prunings.
    every: u64,
    pending: Mutex<HashMap<String, u64>>,
}

impl Retention {
    pub fn new(keep: u64) -> Retention {
        Retention {
            keep,
            every: (keep / 8).max(1),
            pending: Mutex::new(HashMap::new()),
        }
    }

    /// Counts `n` deletions in `coll`; whether the collection is now due for pruning.
    pub fn note(&self, coll: &str, n: u64) -> bool {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let count = match pending.get_mut(coll) {
            Some(c) => c,
            None => pending.entry(coll.to_owned()).or_insert(0),
        };
        *count += n;
        *count >= self.every
    }

    /// `coll` was pruned: its count starts again.
    pub fn pruned(&self, coll: &str) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.remove(coll);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_collection_is_due_after_an_eighth_of_the_bound_and_starts_again_once_pruned() {
        let r = Retention::new(80);
        for _ in 0..9 {
            assert!(!r.note("/a", 1));
        }
        assert!(!r.note("/b", 1), "counts are per collection");
        assert!(r.note("/a", 1), "the tenth deletion in /a makes it due");
        assert!(r.note("/a", 1), "due until pruned");
        r.pruned("/a");
        assert!(!r.note("/a", 1));
        assert!(
            Retention::new(3).note("/c", 1),
            "a bound below 8 prunes at every deletion"
        );
    }
}
