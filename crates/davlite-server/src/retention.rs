//! The sync log's retention policy. The store's change log is compacted as it is written (one
//! entry per member name), so it only grows with the names of deleted members: tombstones.
//! `davlite serve` keeps the newest `sync_keep_deletions` of them per calendar and address book
//! (default 10,000), pruning at start and then every hour. A client whose sync token is older
//! than the oldest kept deletion gets `valid-sync-token` and starts over with an initial sync,
//! which every client we studied does (PRECONDITIONS.md). 0 keeps every tombstone.

use std::time::Duration;

use davlite_store::{CollectionKind, Store, StoreError};

/// How often a running server applies the policy after its start.
pub const EVERY: Duration = Duration::from_secs(3600);

/// Applies the policy to every calendar and address book; returns the tombstones dropped.
pub fn prune_all(store: &Store, keep: u64) -> Result<u64, StoreError> {
    if keep == 0 {
        return Ok(0);
    }
    let reader = store.read()?;
    let (mut stack, mut paths) = (vec![String::new()], Vec::new());
    while let Some(path) = stack.pop() {
        for c in reader.children(&path)? {
            if c.kind != CollectionKind::Plain {
                paths.push(c.path.clone());
            }
            stack.push(c.path);
        }
    }
    drop(reader);
    let mut dropped = 0;
    for path in paths {
        match store.prune_tombstones(&path, keep) {
            Ok(n) => dropped += n,
            // Deleted since the listing: nothing left to prune.
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(dropped)
}

/// Runs [`prune_all`] now and every [`EVERY`] on the blocking pool, logging what it did.
pub fn spawn(store: Store, keep: u64) {
    if keep == 0 {
        return;
    }
    tokio::spawn(async move {
        loop {
            let s = store.clone();
            match tokio::task::spawn_blocking(move || prune_all(&s, keep)).await {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::info!(dropped = n, keep, "sync log: old deletions pruned"),
                Ok(Err(e)) => tracing::warn!("sync log pruning failed: {e}"),
                Err(e) => tracing::warn!("sync log pruning did not finish: {e}"),
            }
            tokio::time::sleep(EVERY).await;
        }
    });
}
