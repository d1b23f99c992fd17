//! The engine's writes go through [`Store::apply`]: an item, its sync state and anything else
//! the change implies land in one transaction of the store, or none of them does.

pub use davlite_store::{ApplyError, WriteOp};
use davlite_store::{OpOutcome, Store};

use crate::state::ItemState;

/// What a batch written by [`apply`] means for the end-of-run check of whether the change log
/// holds only the engine's own writes (`CollectionSync::advance_local_seq`).
#[derive(Debug, Default)]
pub struct Applied {
    /// The change-log sequences of its synced puts: those followed in the batch by the write
    /// of the same item's sync state, so the stored object is the state's baseline. The check
    /// knows them by these sequences instead of reading every object and its state back.
    pub synced: Vec<u64>,
    /// Entries it added to the change log of the collection it was applied for: its synced
    /// puts there and its deletions there. When they are all the log grew by, the check need
    /// not read the log at all.
    pub entries: u64,
}

/// Applies `ops` in one store transaction, for local collection `local` (see [`Applied`]).
pub fn apply(store: &Store, local: &str, ops: Vec<WriteOp>) -> Result<Applied, ApplyError> {
    let synced: Vec<usize> = ops
        .windows(2)
        .enumerate()
        .filter_map(|(i, pair)| match pair {
            [
                WriteOp::Put { coll, name, .. },
                WriteOp::ObjectProps {
                    coll: c,
                    name: n,
                    changes,
                    ..
                },
            ] if coll == c && name == n && ItemState::is_set_by(changes) => Some(i),
            _ => None,
        })
        .collect();
    // Which ops write `local`: only their entries count.
    let here: Vec<bool> = ops
        .iter()
        .map(|op| match op {
            WriteOp::Put { coll, .. } | WriteOp::Delete { coll, .. } => coll == local,
            _ => false,
        })
        .collect();
    let out = store.apply(ops)?;
    let mut entries = out
        .iter()
        .zip(&here)
        .filter(|(outcome, here)| **here && matches!(outcome, OpOutcome::Deleted))
        .count() as u64;
    let synced: Vec<u64> = synced
        .into_iter()
        .filter_map(|i| match out.get(i) {
            // A put that changed nothing wrote no entry.
            Some(OpOutcome::Put(p)) => {
                entries += u64::from(here[i] && p.seq.is_some());
                p.seq
            }
            _ => None,
        })
        .collect();
    Ok(Applied { synced, entries })
}
