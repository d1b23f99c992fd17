//! Several writes in one database transaction (`Store::apply`): each op is the single-write
//! method of the same name on the shared [`WriteTx`]; the first failure rolls everything back.

use davlite_store::{OpOutcome, Precondition, StoreError, WriteOp};

use crate::conn::Result;
use crate::write::{Hashed, WriteTx};

/// A [`WriteOp`] with its object hashed once, before the transaction and its retries.
pub(crate) enum Prepared {
    Put(String, String, Hashed, Precondition),
    Other(WriteOp),
}

impl Prepared {
    pub fn new(op: WriteOp) -> Prepared {
        match op {
            WriteOp::Put {
                coll,
                name,
                object,
                pre,
            } => Prepared::Put(coll, name, Hashed::new(object), pre),
            other => Prepared::Other(other),
        }
    }
}

impl WriteTx<'_> {
    /// Runs the ops in order; on failure, the index of the op that failed goes to `failed`.
    pub fn apply(
        &mut self,
        ops: &[Prepared],
        failed: &mut Option<usize>,
    ) -> Result<Vec<OpOutcome>> {
        let mut out = Vec::with_capacity(ops.len());
        for (i, op) in ops.iter().enumerate() {
            match self.apply_op(op) {
                Ok(o) => out.push(o),
                Err(e) => {
                    // Retried as a whole (a serialization failure is not this op's fault).
                    *failed =
                        (!matches!(e, StoreError::Busy | StoreError::Storage(_))).then_some(i);
                    return Err(e);
                }
            }
        }
        Ok(out)
    }

    fn apply_op(&mut self, op: &Prepared) -> Result<OpOutcome> {
        Ok(match op {
            Prepared::Put(coll, name, object, pre) => {
                OpOutcome::Put(self.put(coll, name, object, pre)?)
            }
            Prepared::Other(WriteOp::Delete { coll, name, pre }) => {
                self.delete(coll, name, pre)?;
                OpOutcome::Deleted
            }
            Prepared::Other(WriteOp::ObjectProps {
                coll,
                name,
                changes,
                pre,
            }) => {
                self.update_object_props(coll, name, changes, pre)?;
                OpOutcome::Props
            }
            Prepared::Other(WriteOp::CollectionProps { path, props }) => {
                OpOutcome::Collection(self.update_collection(path, props, None)?)
            }
            Prepared::Other(WriteOp::Document {
                name,
                bytes,
                expected,
            }) => OpOutcome::Document(self.put_document(name, bytes, *expected)?),
            Prepared::Other(WriteOp::Put { .. }) => unreachable!("puts are prepared"),
        })
    }
}
