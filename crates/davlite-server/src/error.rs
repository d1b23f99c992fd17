//! The one error type of the server library. The CLI wraps it in `anyhow` for its messages.

use std::path::PathBuf;

/// Everything that can stop the server or an administrative command.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// A setting in a flag, an environment variable or the config file has no valid meaning.
    #[error("invalid setting {key}: {reason}")]
    Config { key: String, reason: String },
    /// A file the server needs could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The listen address is taken or not ours to bind.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    /// The users file exists but is not what `davlite user` writes.
    #[error("users file {}: {reason}", path.display())]
    UsersFile { path: PathBuf, reason: String },
    /// `user add` for a name that already exists.
    #[error("user {0:?} already exists")]
    UserExists(String),
    /// `user passwd` / `user remove` / `import` for a name that does not exist.
    #[error("no user named {0:?}")]
    NoSuchUser(String),
    /// User names appear in URLs, so only a safe alphabet is allowed.
    #[error(
        "invalid user name {0:?}: use 1 to 64 letters, digits, '.', '_', '-' or '@', not starting with '.'"
    )]
    InvalidUserName(String),
    /// An empty password, or one that is not valid text.
    #[error("invalid password: {0}")]
    InvalidPassword(&'static str),
    /// An e-mail address given to `user add|set --email` that cannot be a calendar user
    /// address, or that another user already has.
    #[error("invalid e-mail address {0:?}: {1}")]
    InvalidEmail(String, String),
    /// A display name that is not plain text.
    #[error("invalid display name: {0}")]
    InvalidDisplayName(&'static str),
    /// Hashing a password failed (argon2 parameters or randomness).
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The certificate or key given for TLS could not be used.
    #[error("TLS: {0}")]
    Tls(String),
    /// The store refused or failed an operation.
    #[error("store: {0}")]
    Store(String),
    /// A dump file is truncated, corrupt or not a davlite dump.
    #[error("dump: {0}")]
    Dump(String),
}

impl ServerError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ServerError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn config(key: impl Into<String>, reason: impl Into<String>) -> Self {
        ServerError::Config {
            key: key.into(),
            reason: reason.into(),
        }
    }
}
