//! [`Reader`]: the handle on one consistent snapshot of whatever backend the store runs on.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use davlite_formats::TimeSpan;

use crate::contract::Snapshot;
use crate::error::StoreError;
use crate::stats::StoreCounts;
use crate::types::*;

type Result<T> = std::result::Result<T, StoreError>;

/// A consistent snapshot of the store: everything read through one `Reader` reflects the same
/// committed state, whatever commits meanwhile. Cheap to clone.
#[derive(Clone)]
pub struct Reader {
    snap: Arc<dyn Snapshot>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reader")
    }
}

impl Reader {
    /// Wraps a backend's snapshot.
    pub fn new(snap: Arc<dyn Snapshot>) -> Reader {
        Reader { snap }
    }

    pub fn collection(&self, path: &str) -> Result<Option<Collection>> {
        self.snap.collection(path)
    }

    /// The collection with this id, wherever it has been moved to.
    pub fn collection_by_id(&self, id: CollectionId) -> Result<Option<Collection>> {
        self.snap.collection_by_id(id)
    }

    /// Direct child collections, in name order; `""` lists the top-level collections.
    pub fn children(&self, path: &str) -> Result<Vec<Collection>> {
        self.snap.children(path)
    }

    /// Meta and bytes; `Corrupt` rather than bytes that fail their checksum.
    pub fn get(&self, coll: &str, name: &str) -> Result<Option<(ObjectMeta, Vec<u8>)>> {
        self.snap.get(coll, name)
    }

    pub fn meta(&self, coll: &str, name: &str) -> Result<Option<ObjectMeta>> {
        self.snap.meta(coll, name)
    }

    /// Every object's name and metadata in name order, without reading bodies.
    pub fn list(&self, coll: &str) -> Result<Vec<(String, ObjectMeta)>> {
        self.snap.list(coll)
    }

    /// The name of the object holding `uid` in the collection.
    pub fn find_uid(&self, coll: &str, uid: &str) -> Result<Option<String>> {
        self.snap.find_uid(coll, uid)
    }

    /// Changes after `since` (`None`: every live member, as upserts), oldest first, at most
    /// `limit`.
    pub fn changes_since(
        &self,
        coll: &str,
        since: Option<u64>,
        limit: Option<usize>,
    ) -> Result<Changes> {
        self.snap.changes_since(coll, since, limit)
    }

    /// Names of objects whose time span overlaps `[start, end)`, in no particular order.
    pub fn overlapping(&self, coll: &str, start: i64, end: i64) -> Result<Vec<String>> {
        self.snap.overlapping(coll, start, end)
    }

    /// Number of collections and objects in this snapshot.
    pub fn counts(&self) -> Result<StoreCounts> {
        self.snap.counts()
    }

    /// Bytes of bodies stored in collections owned by `owner`.
    pub fn used(&self, owner: &str) -> Result<u64> {
        self.snap.used(owner)
    }

    /// Visits the objects of `coll` in name order, starting after `after` (`None`: from the
    /// first), until `visit` breaks. Returns whether the walk reached the end.
    pub fn scan_objects(
        &self,
        coll: &str,
        after: Option<&str>,
        mut visit: impl FnMut(&str, &ObjectView<'_>) -> ControlFlow<()>,
    ) -> Result<bool> {
        self.snap.scan_objects(coll, after, &mut visit)
    }

    /// Whether any object of `coll` has a dead property: when none has, a listing can answer
    /// "not found" for every property name it does not compute without a lookup per member.
    pub fn has_object_props(&self, coll: &str) -> Result<bool> {
        self.snap.has_object_props(coll)
    }

    /// Runs `f` on an object's record and body, both borrowed; the body is checked against its
    /// crc32 first (`Corrupt` rather than wrong bytes). `None` when there is no such object.
    pub fn with_object<R>(
        &self,
        coll: &str,
        name: &str,
        f: impl FnOnce(&ObjectView<'_>, &[u8]) -> R,
    ) -> Result<Option<R>> {
        let mut f = Some(f);
        let mut out = None;
        self.snap.with_object(coll, name, &mut |view, body| {
            if let Some(f) = f.take() {
                out = Some(f(view, body));
            }
        })?;
        Ok(out)
    }

    /// Tells the backend which members are about to be read (see [`crate::Snapshot::prefetch`]);
    /// a streamed report calls it once per window of members. Failing is harmless: the reads
    /// then go one by one.
    pub fn prefetch(&self, coll: &str, names: &[&str]) {
        let _ = self.snap.prefetch(coll, names);
    }

    /// The dead properties of an object (Clark name -> stored value); empty when it has none
    /// or does not exist.
    pub fn object_props(&self, coll: &str, name: &str) -> Result<BTreeMap<String, Vec<u8>>> {
        self.snap.object_props(coll, name)
    }

    /// The dead properties a deleted object held, while its tombstone lasts (see
    /// [`crate::contract::Snapshot::deleted_object_props`]).
    pub fn deleted_object_props(
        &self,
        coll: &str,
        name: &str,
    ) -> Result<BTreeMap<String, Vec<u8>>> {
        self.snap.deleted_object_props(coll, name)
    }

    /// Whether an instance of event object `name` overlaps `[start, end)` (exactly whether it
    /// matches `VCALENDAR > VEVENT > time-range(start, end)`), or `None` when the object's
    /// instances are not indexed and only its body can tell.
    pub fn event_instances_overlap(
        &self,
        coll: &str,
        name: &str,
        start: i64,
        end: i64,
    ) -> Result<Option<bool>> {
        self.snap
            .event_instances_overlap_in(coll, name, start, end, true)
    }

    /// [`Reader::event_instances_overlap`] for a query whose floating zone (RFC 4791 §9.9) is
    /// UTC (`floating_utc`) or another: then an object whose instances depend on that zone is
    /// `None`, left to its body.
    pub fn event_instances_overlap_in(
        &self,
        coll: &str,
        name: &str,
        start: i64,
        end: i64,
        floating_utc: bool,
    ) -> Result<Option<bool>> {
        self.snap
            .event_instances_overlap_in(coll, name, start, end, floating_utc)
    }

    /// The indexed instance spans of an object, `None` when it has none indexed.
    pub fn event_instances(&self, coll: &str, name: &str) -> Result<Option<Vec<TimeSpan>>> {
        self.snap.event_instances(coll, name)
    }
}
