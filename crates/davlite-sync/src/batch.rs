//! The engine's writes go through [`Store::apply`]: an item, its sync state and anything else
//! the change implies land in one transaction of the store, or none of them does.

pub use davlite_store::{ApplyError, WriteOp};
use davlite_store::{OpOutcome, Store};

pub fn apply(store: &Store, ops: Vec<WriteOp>) -> Result<Vec<OpOutcome>, ApplyError> {
    store.apply(ops)
}
