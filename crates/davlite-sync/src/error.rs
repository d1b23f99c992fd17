//! The one error type of the sync engine.

use davlite_store::StoreError;

/// Why a sync (or one collection of it) stopped. Whatever the error, the state written so far
/// is consistent: the next run resumes from it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The URL given is not an absolute `http://` or `https://` URL.
    #[error("bad URL {url:?}: {reason}")]
    BadUrl { url: String, reason: &'static str },
    /// The connection failed, was dropped mid-answer, or timed out.
    #[error("{method} {path}: connection failed: {detail}")]
    Connection {
        method: String,
        path: String,
        detail: String,
    },
    /// An answer was larger than the client reads (`limit` bytes).
    #[error("{method} {path}: the answer is larger than {limit} bytes")]
    TooLarge {
        method: String,
        path: String,
        limit: usize,
    },
    /// TLS failed: the server's certificate is not trusted (not signed by a system root nor by
    /// the CA file given), names another host, has expired; or the CA file is unreadable.
    /// Nothing was sent: credentials never go to an unverified server.
    #[error("TLS: {0}")]
    Tls(String),
    /// The server answered with a status the engine cannot act on.
    #[error("{method} {path}: the server answered {status}")]
    Status {
        method: String,
        path: String,
        status: u16,
    },
    /// The server rejected the credentials.
    #[error("the server refused the credentials (401)")]
    Unauthorized,
    /// An answer was not the XML it should be.
    #[error("unreadable answer to {what}: {detail}")]
    BadAnswer { what: String, detail: String },
    /// Discovery found no principal or no home set.
    #[error("discovery failed: {0}")]
    Discovery(String),
    /// The local store refused a read or write.
    #[error("local store: {0}")]
    Store(#[from] StoreError),
}

impl From<davlite_store::ApplyError> for SyncError {
    fn from(e: davlite_store::ApplyError) -> Self {
        SyncError::Store(e.error)
    }
}
