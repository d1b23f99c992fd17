//! The embedded backend: one redb file, group commit, zero-copy snapshot reads. Every module
//! here knows redb; nothing outside this directory does.

mod apply;
#[cfg(test)]
mod batch_tests;
mod codec;
mod collections;
mod commit;
mod instances;
mod object_props;
mod objects;
mod prune;
mod reader;
mod scan;
mod spans;
mod store;
mod tables;
mod tx;
mod verify;

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use davlite_formats::{ParsedObject, TimeSpan};
use redb::ReadableDatabase;

use crate::contract::{Backend, Snapshot};
use crate::error::{Result, StorageError, StoreError};
use crate::reader::Reader;
use crate::stats::{CommitStats, StoreCounts};
use crate::types::*;

pub use reader::RedbReader;
pub use store::RedbStore;

impl Backend for RedbStore {
    fn kind(&self) -> &'static str {
        "redb"
    }
    fn read(&self) -> Result<Reader> {
        RedbStore::read(self)
    }
    fn create_collection(&self, path: &str, new: NewCollection) -> Result<Collection> {
        RedbStore::create_collection(self, path, new)
    }
    fn delete_collection(&self, path: &str) -> Result<()> {
        RedbStore::delete_collection(self, path)
    }
    fn update_collection(
        &self,
        path: &str,
        props: Vec<(String, Option<Vec<u8>>)>,
        limits: Option<Limits>,
    ) -> Result<Collection> {
        RedbStore::update_collection(self, path, props, limits)
    }
    fn move_collection(&self, from: &str, to: &str, overwrite: bool) -> Result<bool> {
        RedbStore::move_collection(self, from, to, overwrite)
    }
    fn copy_collection(&self, from: &str, to: &str, overwrite: bool) -> Result<bool> {
        RedbStore::copy_collection(self, from, to, overwrite)
    }
    fn put(
        &self,
        coll: &str,
        name: &str,
        object: ParsedObject,
        pre: Precondition,
    ) -> Result<PutOutcome> {
        RedbStore::put(self, coll, name, object, pre)
    }
    fn delete(&self, coll: &str, name: &str, pre: Precondition) -> Result<()> {
        RedbStore::delete(self, coll, name, pre)
    }
    fn transfer(
        &self,
        from: (&str, &str),
        to: (&str, &str),
        overwrite: bool,
        pre: Precondition,
        remove: bool,
    ) -> Result<PutOutcome> {
        RedbStore::transfer(self, from, to, overwrite, pre, remove)
    }
    fn apply(&self, ops: Vec<WriteOp>) -> std::result::Result<Vec<OpOutcome>, ApplyError> {
        RedbStore::apply(self, ops)
    }
    fn update_object_props(
        &self,
        coll: &str,
        name: &str,
        changes: Vec<(String, Option<Vec<u8>>)>,
        pre: Precondition,
    ) -> Result<()> {
        RedbStore::update_object_props(self, coll, name, changes, pre)
    }
    fn prune_changes(&self, path: &str, upto: u64) -> Result<u64> {
        RedbStore::prune_changes(self, path, upto)
    }
    fn prune_tombstones(&self, path: &str, keep: u64) -> Result<u64> {
        RedbStore::prune_tombstones(self, path, keep)
    }
    fn quota_policy(&self) -> QuotaPolicy {
        RedbStore::quota_policy(self)
    }
    fn set_owner_quotas(&self, policy: QuotaPolicy) {
        RedbStore::set_owner_quotas(self, policy)
    }
    fn verify(&self, progress: &mut dyn FnMut(u64)) -> Result<VerifyReport> {
        RedbStore::verify_with_progress(self, progress)
    }
    fn commit_stats(&self) -> CommitStats {
        RedbStore::commit_stats(self)
    }
    fn document(&self, name: &str) -> Result<Option<(u64, Vec<u8>)>> {
        let txn = self.engine.db()?.begin_read()?;
        let table = txn.open_table(tables::DOCS)?;
        let Some(row) = redb::ReadableTable::get(&table, name)? else {
            return Ok(None);
        };
        Ok(Some(apply::decode_doc(row.value())?))
    }
    fn put_document(&self, name: &str, bytes: Vec<u8>, expected: Option<u64>) -> Result<u64> {
        let name = name.to_owned();
        self.write(move |tx| tx.put_document(&name, &bytes, expected))
    }
}

impl Snapshot for RedbReader {
    fn collection(&self, path: &str) -> Result<Option<Collection>> {
        RedbReader::collection(self, path)
    }
    fn collection_by_id(&self, id: CollectionId) -> Result<Option<Collection>> {
        RedbReader::collection_by_id(self, id)
    }
    fn children(&self, path: &str) -> Result<Vec<Collection>> {
        RedbReader::children(self, path)
    }
    fn get(&self, coll: &str, name: &str) -> Result<Option<(ObjectMeta, Vec<u8>)>> {
        RedbReader::get(self, coll, name)
    }
    fn meta(&self, coll: &str, name: &str) -> Result<Option<ObjectMeta>> {
        RedbReader::meta(self, coll, name)
    }
    fn list(&self, coll: &str) -> Result<Vec<(String, ObjectMeta)>> {
        RedbReader::list(self, coll)
    }
    fn find_uid(&self, coll: &str, uid: &str) -> Result<Option<String>> {
        RedbReader::find_uid(self, coll, uid)
    }
    fn changes_since(
        &self,
        coll: &str,
        since: Option<u64>,
        limit: Option<usize>,
    ) -> Result<Changes> {
        RedbReader::changes_since(self, coll, since, limit)
    }
    fn overlapping(&self, coll: &str, start: i64, end: i64) -> Result<Vec<String>> {
        RedbReader::overlapping(self, coll, start, end)
    }
    fn counts(&self) -> Result<StoreCounts> {
        RedbReader::counts(self)
    }
    fn used(&self, owner: &str) -> Result<u64> {
        RedbReader::used(self, owner)
    }
    fn scan_objects(
        &self,
        coll: &str,
        after: Option<&str>,
        visit: &mut dyn FnMut(&str, &ObjectView<'_>) -> ControlFlow<()>,
    ) -> Result<bool> {
        RedbReader::scan_objects(self, coll, after, visit)
    }
    fn has_object_props(&self, coll: &str) -> Result<bool> {
        RedbReader::has_object_props(self, coll)
    }
    fn with_object(
        &self,
        coll: &str,
        name: &str,
        f: &mut dyn FnMut(&ObjectView<'_>, &[u8]),
    ) -> Result<bool> {
        Ok(RedbReader::with_object(self, coll, name, f)?.is_some())
    }
    fn object_props(&self, coll: &str, name: &str) -> Result<BTreeMap<String, Vec<u8>>> {
        RedbReader::object_props(self, coll, name)
    }
    fn deleted_object_props(&self, coll: &str, name: &str) -> Result<BTreeMap<String, Vec<u8>>> {
        RedbReader::deleted_object_props(self, coll, name)
    }
    fn event_instances_overlap_in(
        &self,
        coll: &str,
        name: &str,
        start: i64,
        end: i64,
        floating_utc: bool,
    ) -> Result<Option<bool>> {
        RedbReader::event_instances_overlap_in(self, coll, name, start, end, floating_utc)
    }
    fn event_instances(&self, coll: &str, name: &str) -> Result<Option<Vec<TimeSpan>>> {
        RedbReader::event_instances(self, coll, name)
    }
}

/// redb reports a damaged file as `Corrupted`; that is our `Corrupt`. A full disk (or a
/// file-system quota) is `DiskFull`; everything else is an opaque storage failure.
fn from_redb(e: redb::Error) -> StoreError {
    match e {
        redb::Error::Corrupted(detail) => StoreError::Corrupt { detail },
        redb::Error::Io(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
            ) =>
        {
            StoreError::DiskFull
        }
        other => StoreError::Storage(StorageError::new(other)),
    }
}

macro_rules! from_redb_errors {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                from_redb(e.into())
            }
        }
    )*};
}

from_redb_errors!(
    redb::Error,
    redb::StorageError,
    redb::TableError,
    redb::TransactionError,
    redb::CommitError,
    redb::DatabaseError,
    redb::SetDurabilityError
);
