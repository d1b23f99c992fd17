//! Plain data types crossing the store's API.

use std::collections::BTreeMap;
use std::fmt;

use davlite_formats::{ComponentSet, ObjectKind, ParsedObject, TimeSpan};

use crate::error::StoreError;

/// How a successful write reaches the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `Ok` means the write is on disk (fsynced). The default.
    #[default]
    Immediate,
    /// `Ok` means the write is visible to readers; a crash may lose the most recent writes
    /// (never tear them). For embedders that can re-create data, e.g. caches and imports.
    Relaxed,
}

/// How a store is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub durability: Durability,
    /// Apply concurrent writes in one transaction with one fsync (a committer thread). Without
    /// it, every write commits on its own in the calling thread.
    pub group_commit: bool,
    /// Bytes of object bodies each owner may store unless [`crate::Store::set_owner_quotas`]
    /// names the owner; `None` for no quota.
    pub owner_quota: Option<u64>,
    /// Free bytes a file-backed store keeps on its file system: below it, writes that add data
    /// are refused with `DiskFull` before they begin, while deletions (which need a little
    /// space themselves, the pages of a copy-on-write commit) still go through. An I/O error
    /// from a full disk mid-commit is `DiskFull` as well; the reserve makes it rare.
    pub min_free_bytes: u64,
    /// Bytes of the file's pages the embedded store keeps in memory (redb's cache). Bounded so
    /// that resident memory does not grow with the store: a million-object store runs in the
    /// same memory as a thousand-object one, with the operating system's page cache behind it.
    pub cache_bytes: usize,
}

/// The default [`Options::cache_bytes`].
pub const DEFAULT_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// The default [`Options::min_free_bytes`]: room for many deletions and a few large commits.
pub const DEFAULT_MIN_FREE_BYTES: u64 = 16 * 1024 * 1024;

impl Default for Options {
    fn default() -> Self {
        Options {
            durability: Durability::Immediate,
            group_commit: true,
            owner_quota: None,
            min_free_bytes: DEFAULT_MIN_FREE_BYTES,
            cache_bytes: DEFAULT_CACHE_BYTES,
        }
    }
}

/// A collection's stable identity: it survives renames (moves) of the collection, so sync tokens
/// naming it stay valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CollectionId(pub u64);

impl fmt::Display for CollectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A strong entity tag: the first 128 bits of the blake3 hash of the stored bytes, so it is
/// stable across restarts, exports and replicas.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Etag(pub [u8; 16]);

impl Etag {
    pub fn of(bytes: &[u8]) -> Etag {
        let hash = blake3::hash(bytes);
        let mut out = [0u8; 16];
        out.copy_from_slice(&hash.as_bytes()[..16]);
        Etag(out)
    }

    /// Parses the 32 lowercase (or uppercase) hex digits that `Display` writes.
    pub fn parse_hex(s: &str) -> Option<Etag> {
        let s = s.as_bytes();
        if s.len() != 32 {
            return None;
        }
        let mut out = [0u8; 16];
        for (i, pair) in s.chunks(2).enumerate() {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            out[i] = (hi * 16 + lo) as u8;
        }
        Some(Etag(out))
    }
}

impl fmt::Display for Etag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Etag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Etag({self})")
    }
}

/// What a collection holds: calendar objects, vCards, or anything (a plain WebDAV collection,
/// also the homes that contain calendars and address books).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CollectionKind {
    #[default]
    Plain,
    Calendar,
    AddressBook,
}

/// Restrictions a collection puts on its objects (CalDAV `max-resource-size`,
/// `supported-calendar-component-set`, `min/max-date-time`, `max-instances`,
/// `max-attendees-per-instance`; CardDAV `max-resource-size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_resource_size: Option<u64>,
    /// Calendar only: the component types accepted.
    pub components: ComponentSet,
    pub min_date: Option<i64>,
    pub max_date: Option<i64>,
    pub max_instances: Option<u64>,
    pub max_attendees: Option<u32>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_resource_size: None,
            components: ComponentSet::ALL_CALENDAR,
            min_date: None,
            max_date: None,
            max_instances: None,
            max_attendees: None,
        }
    }
}

/// What `create_collection` needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewCollection {
    pub kind: CollectionKind,
    /// The principal whose quota the collection's objects count against.
    pub owner: String,
    pub limits: Limits,
    /// Initial properties, Clark name -> opaque value.
    pub props: Vec<(String, Vec<u8>)>,
}

/// A collection as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    pub id: CollectionId,
    pub path: String,
    pub kind: CollectionKind,
    pub owner: String,
    pub limits: Limits,
    /// Dead and settable properties, Clark name `{ns}local` -> opaque value.
    pub props: BTreeMap<String, Vec<u8>>,
    /// Sync sequence: bumped by every change of a member (object or child collection).
    pub seq: u64,
    /// The oldest sequence a sync token may name.
    pub floor: u64,
    /// Unix seconds of the last change of a member or of the collection itself.
    pub modified: i64,
}

/// An object's metadata, readable without its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub etag: Etag,
    pub uid: Option<String>,
    pub kind: ObjectKind,
    pub size: u64,
    pub content_type: String,
    /// Unix seconds of the last write.
    pub modified: i64,
    pub span: Option<TimeSpan>,
    /// The collection sequence number of the object's last write.
    pub seq: u64,
}

/// A conditional a write must satisfy against the current state (RFC 9110 §13).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Precondition {
    #[default]
    None,
    /// `If-Match: *`: the target must exist.
    IfMatchAny,
    /// `If-Match` with tags: the current ETag must be one of them; empty never matches.
    IfMatch(Vec<Etag>),
    /// `If-None-Match: *`: the target must not exist.
    IfNoneMatchAny,
    /// `If-None-Match` with tags: the current ETag must be none of them.
    IfNoneMatch(Vec<Etag>),
}

/// The answer to a successful put, copy or move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PutOutcome {
    /// The ETag of the bytes now stored at the target.
    pub etag: Etag,
    /// The target did not exist before.
    pub created: bool,
    /// `false` for a byte-identical retry: nothing was written and no sync change logged.
    pub changed: bool,
    /// The sequence of the change-log entry the write made in the target collection (`None`
    /// when nothing was written): a writer that logs its own writes, such as a sync engine,
    /// can tell them from the change log's other entries without reading each object back.
    pub seq: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    Upsert,
    Delete,
}

/// The last change of one member of a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub name: String,
    pub kind: ChangeKind,
    pub is_collection: bool,
    pub seq: u64,
}

/// The answer to `changes_since`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    /// In sequence order, at most one per name.
    pub changes: Vec<Change>,
    /// The token to hand out: the collection's current sequence, or the last included sequence
    /// when truncated (so the next request continues from there).
    pub seq: u64,
    pub truncated: bool,
}

/// What `verify` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub collections: u64,
    pub objects: u64,
    pub body_bytes: u64,
    pub changes: u64,
    /// One line per inconsistency; empty when the store is sound.
    pub problems: Vec<String>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The quota policy writes are checked against: a default and per-owner exceptions. It is a
/// setting, not data: the embedder (the server, from its users file) sets it with
/// [`crate::Store::set_owner_quotas`], and every write transaction checks its owner's usage
/// against the policy in force when its batch began.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuotaPolicy {
    /// For owners not in `owners`; `None` for no quota.
    pub default: Option<u64>,
    /// Owner -> their limit (`None`: unlimited even when there is a default).
    pub owners: std::collections::HashMap<String, Option<u64>>,
}

impl QuotaPolicy {
    /// The limit that applies to `owner`; `None` for no quota.
    pub fn limit(&self, owner: &str) -> Option<u64> {
        match self.owners.get(owner) {
            Some(q) => *q,
            None => self.default,
        }
    }
}

/// What a listing needs of one object, borrowed from its stored record (or, on a backend whose
/// rows arrive over a wire, from the row buffer the walk holds).
#[derive(Debug, Clone, Copy)]
pub struct ObjectView<'a> {
    pub etag: Etag,
    pub size: u64,
    /// Unix seconds of the last write.
    pub modified: i64,
    /// The collection sequence number of the object's last write.
    pub seq: u64,
    pub content_type: &'a str,
}

/// One write of a [`crate::Store::apply`] batch. Each runs the checks of the single-write method
/// of the same name, against the state left by the ops before it in the batch.
#[derive(Debug, Clone)]
pub enum WriteOp {
    /// As [`crate::Store::create_collection`]. A caller that wants a collection "if missing"
    /// asks only for those a snapshot lacked, and takes `AlreadyExists` as a racing creator's
    /// win: several collections (a user's homes, a parent and its child) then cost one
    /// transaction instead of one each.
    CreateCollection { path: String, new: NewCollection },
    /// As [`crate::Store::put`].
    Put {
        coll: String,
        name: String,
        object: ParsedObject,
        pre: Precondition,
    },
    /// As [`crate::Store::delete`].
    Delete {
        coll: String,
        name: String,
        pre: Precondition,
    },
    /// As [`crate::Store::update_object_props`].
    ObjectProps {
        coll: String,
        name: String,
        changes: Vec<(String, Option<Vec<u8>>)>,
        pre: Precondition,
    },
    /// As [`crate::Store::update_collection`] without a change of limits, and only if every
    /// property named in `expect` holds the value given there (`None`: absent) when the op runs;
    /// otherwise [`crate::StoreError::PreconditionFailed`]. That check runs in the write's own
    /// transaction, so a property can be changed on the strength of its value as it is, not as
    /// it was when some earlier snapshot read it (a sharee's answer cannot bring back a share
    /// the owner revoked meanwhile).
    CollectionProps {
        path: String,
        props: Vec<(String, Option<Vec<u8>>)>,
        expect: Vec<(String, Option<Vec<u8>>)>,
    },
    /// As [`crate::Store::put_document`].
    Document {
        name: String,
        bytes: Vec<u8>,
        expected: Option<u64>,
    },
}

/// What one op of an applied batch did, in the order of the ops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpOutcome {
    Put(PutOutcome),
    Deleted,
    Props,
    Collection(Collection),
    /// The document's new version.
    Document(u64),
}

/// Why [`crate::Store::apply`] wrote nothing: the first op that failed its checks (`op`, its
/// index in the batch) or a failure of the backend itself (`op: None`).
#[derive(Debug, Clone)]
pub struct ApplyError {
    pub op: Option<usize>,
    pub error: StoreError,
}

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.op {
            Some(i) => write!(f, "write {} of the batch: {}", i + 1, self.error),
            None => self.error.fmt(f),
        }
    }
}

impl std::error::Error for ApplyError {}

impl From<ApplyError> for StoreError {
    fn from(e: ApplyError) -> StoreError {
        e.error
    }
}

impl From<StoreError> for ApplyError {
    fn from(error: StoreError) -> ApplyError {
        ApplyError { op: None, error }
    }
}
