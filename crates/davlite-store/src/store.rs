//! [`Store`]: the handle everything above the store holds, over whichever backend was chosen.

use std::path::Path;
use std::sync::Arc;

use davlite_formats::ParsedObject;

use crate::contract::Backend;
use crate::error::StoreError;
use crate::reader::Reader;
use crate::redb_backend::RedbStore;
use crate::retention::Retention;
use crate::stats::CommitStats;
use crate::types::*;

type Result<T> = std::result::Result<T, StoreError>;

/// A davlite store on some [`Backend`]. Cheap to clone; clones share the backend (and, on redb,
/// its committer).
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
    /// Tombstones kept per collection, when bounded ([`Store::keep_deletions`]).
    retention: Option<Arc<Retention>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend.kind())
            .finish()
    }
}

impl Store {
    /// Opens (creating if needed) the embedded redb store in the file at `path`.
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<Store> {
        Ok(Store::new(RedbStore::open(path, options)?))
    }

    /// An embedded store that lives in memory only, for tests and scratch use.
    pub fn in_memory(options: Options) -> Result<Store> {
        Ok(Store::new(RedbStore::in_memory(options)?))
    }

    /// A store on any backend that keeps the contract.
    pub fn new(backend: impl Backend) -> Store {
        Store {
            backend: Arc::new(backend),
            retention: None,
        }
    }

    /// This handle (and its clones made afterwards) keeps at most about `keep` delete
    /// tombstones in each collection's change log: after every `keep / 8` deletions it makes in
    /// a collection, the oldest tombstones beyond `keep` are pruned right away, raising the
    /// collection's floor (tokens older than the floor get `InvalidSyncToken`, and a client
    /// starts over with an initial sync). `0` keeps every tombstone, as a store without this
    /// does. See the `retention` module for the bound this gives.
    pub fn keep_deletions(mut self, keep: u64) -> Store {
        self.retention = (keep > 0).then(|| Arc::new(Retention::new(keep)));
        self
    }

    /// Counts `n` deletions made in `coll` and prunes its tombstones when it is due. The
    /// deletions are committed already: a pruning that fails is tried again at the next one.
    fn deleted(&self, coll: &str, n: u64) {
        let Some(r) = &self.retention else { return };
        if n > 0 && r.note(coll, n) && self.backend.prune_tombstones(coll, r.keep).is_ok() {
            r.pruned(coll);
        }
    }

    /// Whether `self` and `other` are handles on the same backend instance (clones of one
    /// `Store`). For test harnesses that keep backend-specific state per store they made.
    #[doc(hidden)]
    pub fn same_backend(&self, other: &Store) -> bool {
        Arc::ptr_eq(&self.backend, &other.backend)
    }

    /// Which backend this store runs on (`"redb"`, `"postgres"`).
    pub fn backend_kind(&self) -> &'static str {
        self.backend.kind()
    }

    /// Whether calls may wait on the network (see [`Backend::network`]).
    pub fn network(&self) -> bool {
        self.backend.network()
    }

    /// A consistent snapshot including every write acknowledged before this call.
    pub fn read(&self) -> Result<Reader> {
        self.backend.read()
    }

    /// Batch sizes and commit (fsync) times of the write path since the store was opened.
    pub fn commit_stats(&self) -> CommitStats {
        self.backend.commit_stats()
    }

    // ----- collections -----

    /// Creates a collection; its parent (all but the last segment) must be a plain collection.
    pub fn create_collection(&self, path: &str, new: NewCollection) -> Result<Collection> {
        self.backend.create_collection(path, new)
    }

    /// Deletes a collection with all its descendants and members, in one transaction.
    pub fn delete_collection(&self, path: &str) -> Result<()> {
        self.backend.delete_collection(path)
    }

    /// Sets (`Some`) or removes (`None`) properties and optionally replaces the limits, all or
    /// nothing.
    pub fn update_collection(
        &self,
        path: &str,
        props: Vec<(String, Option<Vec<u8>>)>,
        limits: Option<Limits>,
    ) -> Result<Collection> {
        self.backend.update_collection(path, props, limits)
    }

    /// Moves a collection with its subtree; returns whether the destination was created (not
    /// overwritten). The collection keeps its id, so its sync tokens stay valid.
    pub fn move_collection(&self, from: &str, to: &str, overwrite: bool) -> Result<bool> {
        self.backend.move_collection(from, to, overwrite)
    }

    /// Deep-copies a collection; the copies get new ids and fresh change logs.
    pub fn copy_collection(&self, from: &str, to: &str, overwrite: bool) -> Result<bool> {
        self.backend.copy_collection(from, to, overwrite)
    }

    /// Sets (`Some`) or removes (`None`) dead properties of an existing object, all or nothing,
    /// if `pre` holds for its current ETag (checked in the same transaction).
    /// Neither the ETag nor the sync sequence changes: properties are not content.
    pub fn update_object_props(
        &self,
        coll: &str,
        name: &str,
        changes: Vec<(String, Option<Vec<u8>>)>,
        pre: Precondition,
    ) -> Result<()> {
        self.backend.update_object_props(coll, name, changes, pre)
    }

    /// Forgets deletions logged at or before sequence `upto` and raises the collection's floor
    /// to it (sync tokens below it become invalid); returns how many tombstones were dropped.
    pub fn prune_changes(&self, path: &str, upto: u64) -> Result<u64> {
        self.backend.prune_changes(path, upto)
    }

    /// Keeps at most `keep` delete tombstones in the change log of collection `path`, dropping
    /// the oldest and raising its floor past them, in one transaction. Sync tokens older than
    /// the new floor become invalid. Returns how many tombstones were dropped.
    pub fn prune_tombstones(&self, path: &str, keep: u64) -> Result<u64> {
        self.backend.prune_tombstones(path, keep)
    }

    // ----- objects -----

    /// Stores an object under `coll/name` if every check holds (see the crate docs).
    pub fn put(
        &self,
        coll: &str,
        name: &str,
        object: ParsedObject,
        pre: Precondition,
    ) -> Result<PutOutcome> {
        self.backend.put(coll, name, object, pre)
    }

    /// Deletes an object; `NotFound` when it does not exist, whatever the precondition.
    pub fn delete(&self, coll: &str, name: &str, pre: Precondition) -> Result<()> {
        self.backend.delete(coll, name, pre)?;
        self.deleted(coll, 1);
        Ok(())
    }

    /// Copies an object; `pre` applies to the source, `overwrite` to the destination.
    pub fn copy(
        &self,
        from: (&str, &str),
        to: (&str, &str),
        overwrite: bool,
        pre: Precondition,
    ) -> Result<PutOutcome> {
        self.backend.transfer(from, to, overwrite, pre, false)
    }

    /// Moves (renames) an object, within or across collections.
    pub fn move_object(
        &self,
        from: (&str, &str),
        to: (&str, &str),
        overwrite: bool,
        pre: Precondition,
    ) -> Result<PutOutcome> {
        let out = self.backend.transfer(from, to, overwrite, pre, true)?;
        if from.0 != to.0 || from.1 != to.1 {
            self.deleted(from.0, 1);
        }
        Ok(out)
    }

    /// Applies several writes in one transaction of the backend, in order, each seeing the
    /// effects of those before it and running the checks of its single-write method. The first
    /// op that fails its checks (or a backend failure) writes nothing at all, so a write and
    /// everything it causes elsewhere (an invitation delivered to other users' calendars, the
    /// sync state describing an item) are there together after a crash or not at all.
    pub fn apply(&self, ops: Vec<WriteOp>) -> std::result::Result<Vec<OpOutcome>, ApplyError> {
        if ops.is_empty() {
            return Ok(Vec::new());
        }
        let mut deletions: Vec<(String, u64)> = Vec::new();
        if self.retention.is_some() {
            for op in &ops {
                if let WriteOp::Delete { coll, .. } = op {
                    match deletions.iter_mut().find(|(c, _)| c == coll) {
                        Some((_, n)) => *n += 1,
                        None => deletions.push((coll.clone(), 1)),
                    }
                }
            }
        }
        let out = self.backend.apply(ops)?;
        for (coll, n) in deletions {
            self.deleted(&coll, n);
        }
        Ok(out)
    }

    // ----- quota -----

    /// Bytes used by `owner`'s objects and the quota that applies to them.
    pub fn usage(&self, owner: &str) -> Result<(u64, Option<u64>)> {
        Ok((self.read()?.used(owner)?, self.owner_quota(owner)))
    }

    /// The default quota (`Options::owner_quota`, or the last [`Store::set_owner_quotas`]).
    pub fn quota(&self) -> Option<u64> {
        self.backend.quota_policy().default
    }

    /// The quota that applies to `owner` now; `None` for no quota.
    pub fn owner_quota(&self, owner: &str) -> Option<u64> {
        self.backend.quota_policy().limit(owner)
    }

    /// The quota policy in force.
    pub fn quota_policy(&self) -> QuotaPolicy {
        self.backend.quota_policy()
    }

    /// Replaces the quota policy (the default and every per-owner limit). Writes that begin
    /// afterwards are checked against it, inside their own write transaction; a lowered quota
    /// never deletes anything, it only refuses writes that would grow usage.
    pub fn set_owner_quotas(&self, policy: QuotaPolicy) {
        self.backend.set_owner_quotas(policy)
    }

    /// Checks every record and index of the latest state; see [`VerifyReport`].
    pub fn verify(&self) -> Result<VerifyReport> {
        self.backend.verify(&mut |_| {})
    }

    /// As [`Store::verify`], calling `progress` now and then with the number of objects
    /// checked so far, for a progress bar (the total is in [`Reader::counts`]).
    pub fn verify_with_progress(&self, progress: &mut dyn FnMut(u64)) -> Result<VerifyReport> {
        self.backend.verify(progress)
    }

    // ----- shared documents -----

    /// A small named document shared by every process on the backend, with its version.
    pub fn document(&self, name: &str) -> Result<Option<(u64, Vec<u8>)>> {
        self.backend.document(name)
    }

    /// Replaces a document if its version is still `expected` (`None`: it must not exist yet).
    pub fn put_document(&self, name: &str, bytes: Vec<u8>, expected: Option<u64>) -> Result<u64> {
        self.backend.put_document(name, bytes, expected)
    }

    // ----- convenience reads, each on the latest snapshot -----

    pub fn collection(&self, path: &str) -> Result<Option<Collection>> {
        self.read()?.collection(path)
    }

    pub fn children(&self, path: &str) -> Result<Vec<Collection>> {
        self.read()?.children(path)
    }

    pub fn get(&self, coll: &str, name: &str) -> Result<Option<(ObjectMeta, Vec<u8>)>> {
        self.read()?.get(coll, name)
    }

    pub fn meta(&self, coll: &str, name: &str) -> Result<Option<ObjectMeta>> {
        self.read()?.meta(coll, name)
    }

    pub fn list(&self, coll: &str) -> Result<Vec<(String, ObjectMeta)>> {
        self.read()?.list(coll)
    }

    pub fn find_uid(&self, coll: &str, uid: &str) -> Result<Option<String>> {
        self.read()?.find_uid(coll, uid)
    }

    pub fn changes_since(
        &self,
        coll: &str,
        since: Option<u64>,
        limit: Option<usize>,
    ) -> Result<Changes> {
        self.read()?.changes_since(coll, since, limit)
    }

    pub fn overlapping(&self, coll: &str, start: i64, end: i64) -> Result<Vec<String>> {
        self.read()?.overlapping(coll, start, end)
    }
}
