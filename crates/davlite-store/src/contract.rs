//! The storage contract: what a backend must do for the DAV layer and the server to run on it.
//!
//! [`Backend`] is the write side and the source of snapshots; [`Snapshot`] is one consistent
//! read view. [`crate::Store`] and [`crate::Reader`] are the handles everything above the store
//! holds: thin wrappers around `Arc<dyn Backend>` / `Arc<dyn Snapshot>`, so the backend is
//! chosen at run time (redb in a file, PostgreSQL for several machines) and nothing above this
//! crate names either. Dispatch is dynamic because a request makes a handful of store calls and
//! each does a B-tree descent or a round trip; one indirect call is lost in that (see
//! BENCHMARKS.md, `dav_10k_cpu`).
//!
//! The promises every backend keeps, and which `davlite_store::conformance` checks:
//! - Every write runs its checks (preconditions, UID uniqueness, kind, limits, quota) and its
//!   changes in one transaction of the backend: two racing writers of one UID get exactly one
//!   winner, and the loser is told who holds the UID.
//! - `Ok` from a write means durable and visible to every snapshot taken afterwards, on any
//!   process sharing the backend.
//! - Each collection has its own sync sequence, bumped in the transaction of each change; the
//!   change log keeps one entry per member name and a floor below which tokens are refused.
//! - Bodies are returned byte-exact or not at all (`Corrupt`): each carries a crc32 checked on
//!   read.
//! - A failed write changed nothing. That holds for a batch too (`apply`): several writes in
//!   several collections commit together or not at all, so a feature whose one request writes
//!   many objects (scheduling, the sync engine's item and its state) needs no second mechanism.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use davlite_formats::{ParsedObject, TimeSpan};

use crate::error::StoreError;
use crate::reader::Reader;
use crate::stats::{CommitStats, StoreCounts};
use crate::types::*;

type Result<T> = std::result::Result<T, StoreError>;

/// The write side of a storage backend, and the source of its snapshots. Paths are `/`-joined
/// segments without leading or trailing slash; names are single segments (see the crate docs).
pub trait Backend: Send + Sync + 'static {
    /// A short name for logs and status pages: `"redb"`, `"postgres"`.
    fn kind(&self) -> &'static str;

    /// Whether calls (reads included, and walks over a snapshot) may wait on the network, as
    /// with a database server: a caller on an async runtime must then make every call from a
    /// blocking thread. An embedded backend answers from memory and local files.
    fn network(&self) -> bool {
        false
    }

    /// A consistent snapshot including every write acknowledged before this call.
    fn read(&self) -> Result<Reader>;

    /// Creates a collection; its parent (all but the last segment) must be a plain collection
    /// (or the root, for a single segment).
    fn create_collection(&self, path: &str, new: NewCollection) -> Result<Collection>;
    /// Deletes a collection with all its descendants and members.
    fn delete_collection(&self, path: &str) -> Result<()>;
    /// Sets (`Some`) or removes (`None`) properties and optionally replaces the limits, all or
    /// nothing.
    fn update_collection(
        &self,
        path: &str,
        props: Vec<(String, Option<Vec<u8>>)>,
        limits: Option<Limits>,
    ) -> Result<Collection>;
    /// Moves a collection with its subtree, keeping its id (its sync tokens stay valid).
    /// Returns whether the destination was created rather than overwritten.
    fn move_collection(&self, from: &str, to: &str, overwrite: bool) -> Result<bool>;
    /// Deep-copies a collection; copies get new ids and fresh change logs.
    fn copy_collection(&self, from: &str, to: &str, overwrite: bool) -> Result<bool>;

    /// Stores an object if every check holds: `pre` against the current ETag, the collection's
    /// kind, limits and components, UID uniqueness in the collection (an update may not change
    /// the UID), the owner's quota. A byte-identical retry writes nothing (`changed: false`).
    fn put(
        &self,
        coll: &str,
        name: &str,
        object: ParsedObject,
        pre: Precondition,
    ) -> Result<PutOutcome>;
    /// Deletes an object; `NotFound` when it does not exist, whatever the precondition.
    fn delete(&self, coll: &str, name: &str, pre: Precondition) -> Result<()>;
    /// Copies (`remove == false`) or moves an object; `pre` applies to the source, `overwrite`
    /// to the destination, and the destination collection's checks (UID, kind, limits, quota)
    /// apply as for a put.
    fn transfer(
        &self,
        from: (&str, &str),
        to: (&str, &str),
        overwrite: bool,
        pre: Precondition,
        remove: bool,
    ) -> Result<PutOutcome>;
    /// Runs `ops` in order in one transaction: each sees the earlier ones' effects and runs the
    /// checks of its single-write method; the first failure (reported with its index) or a
    /// backend failure writes nothing at all. Never called with an empty list.
    fn apply(&self, ops: Vec<WriteOp>) -> std::result::Result<Vec<OpOutcome>, ApplyError>;
    /// Sets or removes dead properties of an existing object if `pre` holds for its ETag. The
    /// ETag and the sync sequence do not change.
    fn update_object_props(
        &self,
        coll: &str,
        name: &str,
        changes: Vec<(String, Option<Vec<u8>>)>,
        pre: Precondition,
    ) -> Result<()>;

    /// Forgets deletions logged at or before `upto` and raises the collection's floor to it;
    /// returns how many tombstones were dropped.
    fn prune_changes(&self, path: &str, upto: u64) -> Result<u64>;
    /// Keeps at most `keep` delete tombstones in the collection's log, pruning the oldest.
    fn prune_tombstones(&self, path: &str, keep: u64) -> Result<u64>;

    /// The quota policy writes are checked against.
    fn quota_policy(&self) -> QuotaPolicy;
    /// Replaces the quota policy; writes that begin afterwards are checked against it.
    fn set_owner_quotas(&self, policy: QuotaPolicy);

    /// Checks every record and index; see [`VerifyReport`]. Calls `progress` now and then with
    /// the number of objects checked so far (a verify of a large store takes minutes).
    fn verify(&self, progress: &mut dyn FnMut(u64)) -> Result<VerifyReport>;
    /// Write-path statistics since this handle was opened.
    fn commit_stats(&self) -> CommitStats;

    /// A small named document shared by everything that uses this backend (the server keeps
    /// its user registry in one when several processes share the backend), with its version.
    fn document(&self, name: &str) -> Result<Option<(u64, Vec<u8>)>>;
    /// Replaces a document if its version is still `expected` (`None`: it must not exist);
    /// returns the new version. `PreconditionFailed` when another writer came first.
    fn put_document(&self, name: &str, bytes: Vec<u8>, expected: Option<u64>) -> Result<u64>;
}

/// One consistent read view of a backend. Every call sees the same committed state.
pub trait Snapshot: Send + Sync + 'static {
    fn collection(&self, path: &str) -> Result<Option<Collection>>;
    /// The collection with this id, wherever it has been moved to.
    fn collection_by_id(&self, id: CollectionId) -> Result<Option<Collection>>;
    /// Direct child collections in name order; `""` lists the top-level collections.
    fn children(&self, path: &str) -> Result<Vec<Collection>>;
    /// Meta and bytes; `Corrupt` rather than bytes that fail their checksum.
    fn get(&self, coll: &str, name: &str) -> Result<Option<(ObjectMeta, Vec<u8>)>>;
    fn meta(&self, coll: &str, name: &str) -> Result<Option<ObjectMeta>>;
    /// Every object's name and metadata in name order, without bodies.
    fn list(&self, coll: &str) -> Result<Vec<(String, ObjectMeta)>>;
    /// The name of the object holding `uid` in the collection.
    fn find_uid(&self, coll: &str, uid: &str) -> Result<Option<String>>;
    /// Changes after `since` (`None`: every live member, as upserts), oldest first, at most
    /// `limit`; `InvalidSyncToken` when `since` is ahead of the collection or below its floor.
    fn changes_since(
        &self,
        coll: &str,
        since: Option<u64>,
        limit: Option<usize>,
    ) -> Result<Changes>;
    /// Names of objects whose time span overlaps `[start, end)`, in no particular order.
    fn overlapping(&self, coll: &str, start: i64, end: i64) -> Result<Vec<String>>;
    /// Number of collections and objects.
    fn counts(&self) -> Result<StoreCounts>;
    /// Bytes of bodies stored in collections owned by `owner`.
    fn used(&self, owner: &str) -> Result<u64>;
    /// Visits the objects of `coll` in name order after `after` until `visit` breaks; returns
    /// whether the walk reached the end. Records are borrowed, never copied per member.
    fn scan_objects(
        &self,
        coll: &str,
        after: Option<&str>,
        visit: &mut dyn FnMut(&str, &ObjectView<'_>) -> ControlFlow<()>,
    ) -> Result<bool>;
    /// Whether any object of `coll` has a dead property.
    fn has_object_props(&self, coll: &str) -> Result<bool>;
    /// Calls `f` once with an object's record and crc-checked body, both borrowed; `false`
    /// when there is no such object.
    fn with_object(
        &self,
        coll: &str,
        name: &str,
        f: &mut dyn FnMut(&ObjectView<'_>, &[u8]),
    ) -> Result<bool>;
    /// A hint that `with_object` or `get` will soon be asked for these members of `coll`, in
    /// about this order: a backend whose every read is a round trip fetches them together and
    /// holds them until asked (only the latest hint), one that reads from local pages ignores
    /// it. Answers are the same either way.
    fn prefetch(&self, _coll: &str, _names: &[&str]) -> Result<()> {
        Ok(())
    }
    /// An object's dead properties; empty when it has none or does not exist.
    fn object_props(&self, coll: &str, name: &str) -> Result<BTreeMap<String, Vec<u8>>>;
    /// The dead properties object `name` held when it was deleted (or moved away), for as
    /// long as the change log records that delete: until the name holds an object again, the
    /// tombstone is pruned or the collection is deleted. Empty otherwise. What an application
    /// kept about an object (a sync engine's remote ETag) is then still there when it learns
    /// of the delete.
    fn deleted_object_props(&self, coll: &str, name: &str) -> Result<BTreeMap<String, Vec<u8>>>;
    /// Whether an indexed instance of event `name` overlaps `[start, end)`; `None` when its
    /// instances are not indexed, or depend on a floating zone that is not UTC
    /// (`floating_utc == false`), and only the body can tell.
    fn event_instances_overlap_in(
        &self,
        coll: &str,
        name: &str,
        start: i64,
        end: i64,
        floating_utc: bool,
    ) -> Result<Option<bool>>;
    /// The indexed instance spans of an object, `None` when it has none indexed.
    fn event_instances(&self, coll: &str, name: &str) -> Result<Option<Vec<TimeSpan>>>;
}
