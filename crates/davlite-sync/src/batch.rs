//! The engine's writes go through [`Store::apply`]: an item, its sync state and anything else
//! the change implies land in one transaction of the store, or none of them does.

pub use davlite_store::{ApplyError, WriteOp};
use davlite_store::{OpOutcome, Store};

use crate::state::ItemState;

/// Applies `ops` in one store transaction. Returns the change-log sequences of its synced
/// puts: those followed in the batch by the write of the same item's sync state, so the
/// stored object is the state's baseline. The end-of-run check of whether the change log
/// holds only the engine's own writes (`CollectionSync::advance_local_seq`) knows them by
/// these sequences instead of reading every object and its state back.
pub fn apply(store: &Store, ops: Vec<WriteOp>) -> Result<Vec<u64>, ApplyError> {
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
    let out = store.apply(ops)?;
    Ok(synced
        .into_iter()
        .filter_map(|i| match out.get(i) {
            Some(OpOutcome::Put(p)) => p.seq,
            _ => None,
        })
        .collect())
}
