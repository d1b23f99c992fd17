//! Several writes in one transaction (`Store::apply`): each op is the single-write method of
//! the same name, run on the shared [`Tx`]; the committer aborts the transaction when one fails.

use redb::ReadableTable;

use crate::error::{Result, StoreError};
use crate::redb_backend::objects::Hashed;
use crate::redb_backend::tx::Tx;
use crate::types::{OpOutcome, WriteOp};

/// A [`WriteOp`] with its object hashed on the caller's thread (as a single put is), so the
/// committer spends its time on the transaction alone.
pub(crate) enum Prepared {
    Put(String, String, Hashed, crate::types::Precondition),
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

impl Tx<'_> {
    pub(crate) fn apply_op(&mut self, op: &Prepared) -> Result<OpOutcome> {
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

    /// Replaces document `name` if its version is still `expected`; returns the new version.
    pub(crate) fn put_document(
        &mut self,
        name: &str,
        bytes: &[u8],
        expected: Option<u64>,
    ) -> Result<u64> {
        let current = match self.docs.get(name)? {
            Some(row) => Some(decode_doc(row.value())?.0),
            None => None,
        };
        if current != expected {
            return Err(StoreError::PreconditionFailed { current: None });
        }
        let version = current.map_or(1, |v| v + 1);
        let mut row = version.to_le_bytes().to_vec();
        row.extend_from_slice(bytes);
        self.docs.insert(name, row.as_slice())?;
        Ok(version)
    }
}

/// A document row: its version (8 bytes, little-endian), then its bytes.
pub(crate) fn decode_doc(row: &[u8]) -> Result<(u64, Vec<u8>)> {
    match row.split_first_chunk::<8>() {
        Some((v, rest)) => Ok((u64::from_le_bytes(*v), rest.to_vec())),
        None => Err(StoreError::Corrupt {
            detail: "a document row shorter than its version".into(),
        }),
    }
}
