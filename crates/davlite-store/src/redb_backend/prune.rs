//! Retention of the sync change log. The log is compacted as it is written (one entry per
//! member name), so it only grows with names that were deleted: their tombstones. A server
//! that lives for years keeps a bounded number of them per collection; pruning the oldest raises
//! the collection's floor, and a client whose token is older than the floor is told so
//! (`valid-sync-token`) and starts over with an initial sync, which is exactly as correct and
//! costs one listing.

use redb::ReadableTable;

use crate::error::{Result, StoreError};
use crate::redb_backend::codec::ChangeRec;
use crate::redb_backend::store::RedbStore;
use crate::redb_backend::tx::Tx;
use crate::types::ChangeKind;

impl Tx<'_> {
    /// Drops the oldest delete tombstones of `path` beyond the newest `keep`; returns how many.
    pub(crate) fn prune_tombstones(&mut self, path: &str, keep: u64) -> Result<u64> {
        let (id, _) = self.coll(path)?.ok_or(StoreError::NotFound)?;
        let st = self.get_state(id)?;
        let mut tombstones = Vec::new();
        for row in self.changes.range((id, st.floor + 1)..=(id, st.seq))? {
            let (k, v) = row?;
            if ChangeRec::decode(v.value())?.kind == ChangeKind::Delete {
                tombstones.push(k.value().1);
            }
        }
        let excess = tombstones.len().saturating_sub(keep as usize);
        if excess == 0 {
            return Ok(0);
        }
        self.prune_changes(path, tombstones[excess - 1])
    }
}

impl RedbStore {
    /// Keeps at most `keep` delete tombstones in the change log of collection `path`, dropping
    /// the oldest and raising its floor past them, in one transaction. Sync tokens older than
    /// the new floor become invalid. Returns how many tombstones were dropped.
    pub fn prune_tombstones(&self, path: &str, keep: u64) -> Result<u64> {
        let path = path.to_owned();
        self.write(move |tx| tx.prune_tombstones(&path, keep))
    }
}
