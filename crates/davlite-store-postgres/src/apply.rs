//! Several writes in one database transaction (`Store::apply`): [`WriteTx`] as a
//! [`BatchWriter`]; the ops are run by `davlite_store::batch::run_ops`, and the first failure
//! rolls everything back.

use davlite_store::batch::{BatchWriter, HashedObject, PreparedOp, run_ops};
use davlite_store::{Collection, NewCollection, OpOutcome, Precondition, PutOutcome, StoreError};

use crate::conn::Result;
use crate::write::WriteTx;

impl BatchWriter for WriteTx<'_> {
    fn create_collection(&mut self, path: &str, new: &NewCollection) -> Result<Collection> {
        WriteTx::create_collection(self, path, new)
    }
    fn put(
        &mut self,
        coll: &str,
        name: &str,
        object: &HashedObject,
        pre: &Precondition,
    ) -> Result<PutOutcome> {
        WriteTx::put(self, coll, name, object, pre)
    }
    fn delete(&mut self, coll: &str, name: &str, pre: &Precondition) -> Result<()> {
        WriteTx::delete(self, coll, name, pre)
    }
    fn object_props(
        &mut self,
        coll: &str,
        name: &str,
        changes: &[(String, Option<Vec<u8>>)],
        pre: &Precondition,
    ) -> Result<()> {
        self.update_object_props(coll, name, changes, pre)
    }
    fn collection_props(
        &mut self,
        path: &str,
        props: &[(String, Option<Vec<u8>>)],
        expect: &[(String, Option<Vec<u8>>)],
    ) -> Result<Collection> {
        if !expect.is_empty() {
            self.expect_props(path, expect)?;
        }
        self.update_collection(path, props, None)
    }
    fn document(&mut self, name: &str, bytes: &[u8], expected: Option<u64>) -> Result<u64> {
        self.put_document(name, bytes, expected)
    }
}

impl WriteTx<'_> {
    /// Runs the ops in order; on failure, the index of the op that failed goes to `failed`.
    pub fn apply(
        &mut self,
        ops: &[PreparedOp],
        failed: &mut Option<usize>,
    ) -> Result<Vec<OpOutcome>> {
        run_ops(self, ops).map_err(|(i, e)| {
            // Retried as a whole (a serialization failure is not this op's fault).
            *failed = (!matches!(e, StoreError::Busy | StoreError::Storage(_))).then_some(i);
            e
        })
    }
}
