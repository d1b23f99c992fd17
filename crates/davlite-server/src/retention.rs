//! The sync log's retention policy. The store's change log is compacted as it is written (one
//! entry per member name), so it only grows with the names of deleted members: tombstones.
//! `davlite serve` keeps the newest `sync_keep_deletions` of them per calendar and address book
//! (default 10,000): the server's store handle prunes a collection as its deletions pass an
//! eighth of that bound (`davlite_store::Store::keep_deletions`), and the tombstones left by
//! earlier runs, other processes or a lowered bound are pruned once at start. A client whose
//! sync token is older than the oldest kept deletion gets `valid-sync-token` and starts over
//! with an initial sync, which every client we studied does (PRECONDITIONS.md). 0 keeps every
//! tombstone.

use davlite_store::{CollectionKind, Store, StoreError};

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

/// Runs [`prune_all`] once on the blocking pool, logging what it did; the server goes on
/// serving meanwhile.
pub fn prune_at_start(store: Store, keep: u64) {
    if keep == 0 {
        return;
    }
    tokio::spawn(async move {
        match tokio::task::spawn_blocking(move || prune_all(&store, keep)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(dropped = n, keep, "sync log: old deletions pruned"),
            Ok(Err(e)) => tracing::warn!("sync log pruning failed: {e}"),
            Err(e) => tracing::warn!("sync log pruning did not finish: {e}"),
        }
    });
}
