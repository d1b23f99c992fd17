//! The one error type of the store. Each variant is a distinct answer at the DAV edge, so the
//! DAV layer can map them 1:1 without inspecting messages.

use std::fmt;
use std::sync::Arc;

use crate::types::Etag;

/// Which collection limit an object broke (CalDAV `min-date-time`, `max-date-time`,
/// `max-instances`, `max-attendees-per-instance`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitKind {
    /// A date-time in the object lies before the collection's minimum.
    MinDate,
    /// A date-time in the object lies after the collection's maximum.
    MaxDate,
    /// The object has more recurrence instances than the collection accepts.
    MaxInstances,
    /// An instance has more attendees than the collection accepts.
    MaxAttendees,
}

/// Why a store operation did not happen. When an operation returns an error, nothing of it was
/// written.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum StoreError {
    /// A conditional (If-Match / If-None-Match / no-overwrite) did not hold. `current` is the
    /// ETag of the resource as it is now, when it exists.
    PreconditionFailed { current: Option<Etag> },
    /// Another object in the target collection already has this UID, or an update tried to
    /// change an object's UID; `existing` is the name of the object holding the UID.
    UidConflict { existing: String },
    /// The addressed collection or object does not exist.
    NotFound,
    /// The collection an object or collection is being put into does not exist.
    ParentNotFound,
    /// Something already lives at the path that was to be created.
    AlreadyExists,
    /// The object or collection does not fit where it was to be placed (a vCard in a calendar,
    /// a calendar inside a calendar, a move into itself).
    WrongKind { reason: &'static str },
    /// A calendar object whose component type the calendar does not support.
    UnsupportedComponent,
    /// The object is larger than the collection's maximum resource size.
    TooLarge { limit: u64 },
    /// The object breaks one of the collection's limits.
    LimitViolated(LimitKind),
    /// The owner's quota would be exceeded.
    QuotaExceeded,
    /// A sync token that is ahead of the collection or older than its change-log floor.
    InvalidSyncToken,
    /// A path or name the store cannot hold: empty, with an empty segment, or containing NUL.
    InvalidPath,
    /// Stored data failed its checksum or does not decode: the store refuses to return it.
    Corrupt { detail: String },
    /// The disk holding the store is full, or its free space is below the reserve the store
    /// keeps for deletions and its own bookkeeping. Nothing was written; deleting data (which
    /// the reserve still allows) or freeing the disk makes writes succeed again.
    DiskFull,
    /// The backend could not serialize this write against concurrent ones within its retries
    /// (PostgreSQL serialization failures and deadlocks). Nothing was written; the request may
    /// be retried.
    Busy,
    /// The storage engine failed (I/O error, disk full, closed database). The whole batch the
    /// request was part of was not committed.
    Storage(StorageError),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::PreconditionFailed { current: Some(e) } => {
                write!(f, "precondition failed (current etag {e})")
            }
            StoreError::PreconditionFailed { current: None } => {
                write!(f, "precondition failed (the resource does not exist)")
            }
            StoreError::UidConflict { existing } => {
                write!(
                    f,
                    "the UID is already used by {existing:?} in this collection"
                )
            }
            StoreError::NotFound => write!(f, "not found"),
            StoreError::ParentNotFound => write!(f, "the parent collection does not exist"),
            StoreError::AlreadyExists => write!(f, "something already exists at that path"),
            StoreError::WrongKind { reason } => write!(f, "wrong kind of resource: {reason}"),
            StoreError::UnsupportedComponent => {
                write!(f, "the calendar does not accept this component type")
            }
            StoreError::TooLarge { limit } => {
                write!(f, "the object is larger than the limit of {limit} bytes")
            }
            StoreError::LimitViolated(kind) => {
                let what = match kind {
                    LimitKind::MinDate => "a date before the collection's minimum date",
                    LimitKind::MaxDate => "a date after the collection's maximum date",
                    LimitKind::MaxInstances => "more recurrence instances than allowed",
                    LimitKind::MaxAttendees => "more attendees than allowed",
                };
                write!(f, "the object has {what}")
            }
            StoreError::QuotaExceeded => write!(f, "the owner's quota would be exceeded"),
            StoreError::InvalidSyncToken => write!(f, "the sync token is not valid here"),
            StoreError::InvalidPath => write!(f, "invalid path or name"),
            StoreError::Corrupt { detail } => write!(f, "stored data is corrupt: {detail}"),
            StoreError::DiskFull => write!(f, "the disk holding the store is full"),
            StoreError::Busy => write!(f, "too much contention: the write was not applied, retry"),
            StoreError::Storage(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Storage(e) => Some(e),
            _ => None,
        }
    }
}

/// A failure of the storage engine underneath the store. Opaque on purpose: the engine is an
/// implementation detail and may change; callers only need to know it was not their fault.
#[derive(Clone)]
pub struct StorageError(Arc<dyn std::error::Error + Send + Sync>);

impl StorageError {
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        StorageError(Arc::new(e))
    }

    pub fn msg(m: impl Into<String>) -> Self {
        #[derive(Debug)]
        struct Msg(String);
        impl fmt::Display for Msg {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::error::Error for Msg {}
        StorageError(Arc::new(Msg(m.into())))
    }

    /// Writes the error and every source under it: drivers often keep the useful part below a
    /// generic top (the PostgreSQL client's is "db error", the server's message its source).
    fn write_chain(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(e) = source {
            write!(f, ": {e}")?;
            source = e.source();
        }
        Ok(())
    }
}

impl fmt::Debug for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StorageError(")?;
        self.write_chain(f)?;
        f.write_str(")")
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("storage failure: ")?;
        self.write_chain(f)
    }
}

impl std::error::Error for StorageError {}

pub(crate) type Result<T, E = StoreError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// A driver error whose own text is generic and whose cause is below it, as the
    /// PostgreSQL client's "db error".
    #[derive(Debug)]
    struct Generic(std::io::Error);
    impl fmt::Display for Generic {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("db error")
        }
    }
    impl std::error::Error for Generic {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_storage_error_shows_its_causes() {
        let e = StoreError::Storage(StorageError::new(Generic(std::io::Error::other(
            "relation \"x\" already exists",
        ))));
        assert_eq!(
            e.to_string(),
            "storage failure: db error: relation \"x\" already exists"
        );
        assert!(format!("{e:?}").contains("db error: relation \"x\" already exists"));
    }
}
