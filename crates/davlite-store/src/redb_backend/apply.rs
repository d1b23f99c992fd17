//! Several writes in one transaction (`Store::apply`): [`Tx`] as a [`BatchWriter`] (the ops
//! are run by `crate::batch::run_ops`; the committer aborts the transaction when one fails),
//! and the shared documents.

use redb::ReadableTable;

use crate::batch::{BatchWriter, HashedObject};
use crate::error::{Result, StoreError};
use crate::redb_backend::tx::Tx;
use crate::types::{Collection, NewCollection, Precondition, PutOutcome};

impl BatchWriter for Tx<'_> {
    fn create_collection(&mut self, path: &str, new: &NewCollection) -> Result<Collection> {
        Tx::create_collection(self, path, new)
    }
    fn put(
        &mut self,
        coll: &str,
        name: &str,
        object: &HashedObject,
        pre: &Precondition,
    ) -> Result<PutOutcome> {
        Tx::put(self, coll, name, object, pre, None).map_err(|(_, e)| e)
    }
    fn put_with_props(
        &mut self,
        coll: &str,
        name: &str,
        object: &HashedObject,
        pre: &Precondition,
        changes: &[(String, Option<Vec<u8>>)],
        props_pre: &Precondition,
    ) -> std::result::Result<PutOutcome, (usize, StoreError)> {
        Tx::put(self, coll, name, object, pre, Some((changes, props_pre)))
    }
    fn delete(&mut self, coll: &str, name: &str, pre: &Precondition) -> Result<()> {
        Tx::delete(self, coll, name, pre)
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
        // redb has one writer at a time: what this transaction reads, nobody changes under it.
        if !expect.is_empty() {
            let (id, _) = self.coll(path)?.ok_or(StoreError::NotFound)?;
            crate::batch::expected_props(&self.collection_at(id)?.props, expect)?;
        }
        self.update_collection(path, props, None)
    }
    fn document(&mut self, name: &str, bytes: &[u8], expected: Option<u64>) -> Result<u64> {
        self.put_document(name, bytes, expected)
    }
}

impl Tx<'_> {
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
