//! TEMPORARY: a stand-in for `davlite_store::Store::apply` (multi-object writes in one
//! transaction) until it lands on main. It has the same signature but applies the ops one by
//! one, so it is NOT atomic; the engine is written against the real contract.

use davlite_formats::ParsedObject;
use davlite_store::{Collection, Precondition, PutOutcome, Store, StoreError};

#[derive(Debug, Clone)]
pub enum WriteOp {
    Put {
        coll: String,
        name: String,
        object: ParsedObject,
        pre: Precondition,
    },
    Delete {
        coll: String,
        name: String,
        pre: Precondition,
    },
    ObjectProps {
        coll: String,
        name: String,
        changes: Vec<(String, Option<Vec<u8>>)>,
        pre: Precondition,
    },
    CollectionProps {
        path: String,
        props: Vec<(String, Option<Vec<u8>>)>,
    },
}

#[derive(Debug, Clone)]
pub enum OpOutcome {
    Put(PutOutcome),
    Deleted,
    Props,
    Collection(Collection),
}

#[derive(Debug, Clone)]
pub struct ApplyError {
    pub op: Option<usize>,
    pub error: StoreError,
}

pub fn apply(store: &Store, ops: Vec<WriteOp>) -> Result<Vec<OpOutcome>, ApplyError> {
    let mut out = Vec::new();
    for (i, op) in ops.into_iter().enumerate() {
        let r = match op {
            WriteOp::Put {
                coll,
                name,
                object,
                pre,
            } => store.put(&coll, &name, object, pre).map(OpOutcome::Put),
            WriteOp::Delete { coll, name, pre } => {
                store.delete(&coll, &name, pre).map(|_| OpOutcome::Deleted)
            }
            WriteOp::ObjectProps {
                coll,
                name,
                changes,
                pre,
            } => store
                .update_object_props(&coll, &name, changes, pre)
                .map(|_| OpOutcome::Props),
            WriteOp::CollectionProps { path, props } => store
                .update_collection(&path, props, None)
                .map(OpOutcome::Collection),
        };
        out.push(r.map_err(|error| ApplyError { op: Some(i), error })?);
    }
    Ok(out)
}
