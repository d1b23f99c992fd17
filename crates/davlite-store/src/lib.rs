//! davlite-store: a transactional store for calendar and contact objects, and the contract its
//! backends keep ([`Backend`], [`Snapshot`]). The embedded backend, on [redb], lives here; others
//! (PostgreSQL) live in crates of their own and plug in through [`Store::new`].
//!
//! Collections (calendars, address books, plain folders) hold objects: the exact bytes a client
//! sent plus what `davlite-formats` extracted from them (UID, component kind, time span, limit
//! counts). Every request's checks and writes happen in one write transaction; concurrent
//! requests share transactions and fsyncs through group commit, and `Ok` means durable.
//! Indexes (UID, time span, per-collection change log for sync tokens) are written with the
//! object, so they never disagree with it. Bodies carry a crc32 checked on every read.
//!
//! Not here: HTTP, XML, percent-encoding, status codes. Paths are `/`-joined segments without
//! leading or trailing slash (`calendars/alice/work`), names are single segments.
//!
//! ```
//! use davlite_formats::{ObjectKind, ParsedObject};
//! use davlite_store::{CollectionKind, NewCollection, Options, Precondition, Store, StoreError};
//!
//! let dir = tempfile::tempdir()?;
//! let store = Store::open(dir.path().join("data.redb"), Options::default())?;
//! store.create_collection("calendars", NewCollection::default())?;
//! store.create_collection(
//!     "calendars/work",
//!     NewCollection { kind: CollectionKind::Calendar, owner: "alice".into(), ..Default::default() },
//! )?;
//! // What a PUT body becomes: the store indexes what the bytes say (UID, kind, time span).
//! let event = |summary: &str| {
//!     let body = format!(
//!         "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:u1\r\n\
//!          DTSTAMP:20240101T000000Z\r\nDTSTART:20240101T100000Z\r\nSUMMARY:{summary}\r\n\
//!          END:VEVENT\r\nEND:VCALENDAR\r\n"
//!     );
//!     ParsedObject::calendar(body.into_bytes()).expect("a valid event")
//! };
//! let v1 = event("v1");
//! assert_eq!(v1.info().kind, ObjectKind::Event);
//! let v1_bytes = v1.bytes().to_vec();
//! let put = store.put("calendars/work", "a.ics", v1, Precondition::IfNoneMatchAny)?;
//! assert!(put.created);
//!
//! // The same UID under another name is refused, naming the holder.
//! let err = store.put("calendars/work", "b.ics", event("v2"), Precondition::None).unwrap_err();
//! assert!(matches!(err, StoreError::UidConflict { existing } if existing == "a.ics"));
//!
//! let (meta, bytes) = store.get("calendars/work", "a.ics")?.expect("stored");
//! assert_eq!((meta.etag, bytes), (put.etag, v1_bytes));
//! let changes = store.changes_since("calendars/work", Some(0), None)?;
//! assert_eq!(changes.changes.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[doc(hidden)]
pub mod batch;
pub mod conformance;
mod contract;
mod error;
mod reader;
mod redb_backend;
mod retention;
mod stats;
mod store;
#[doc(hidden)]
pub mod testing;
mod types;

pub use contract::{Backend, Snapshot};
pub use davlite_formats::{ComponentSet, ObjectInfo, ObjectKind, ParsedObject, TimeSpan};
pub use error::{LimitKind, StorageError, StoreError};
pub use reader::Reader;
pub use redb_backend::RedbStore;
pub use stats::{AtomicHistogram, CommitRecorder, CommitStats, Histogram, StoreCounts};
pub use store::Store;
pub use types::{
    ApplyError, Change, ChangeKind, Changes, Collection, CollectionId, CollectionKind, Durability,
    Etag, Limits, NewCollection, ObjectMeta, ObjectView, OpOutcome, Options, Precondition,
    PutOutcome, QuotaPolicy, VerifyReport, WriteOp,
};
pub use types::{DEFAULT_CACHE_BYTES, DEFAULT_MIN_FREE_BYTES};
