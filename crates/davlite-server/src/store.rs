//! Where a server's data lives, and opening it: the data directory (always local to the
//! process: the control socket, the last-backup record, and with the embedded store the store
//! file and the users file) and the store, which is either the redb file in the directory or a
//! PostgreSQL database shared by several `davlite serve` nodes.
//!
//! Chosen with `--store` (or `store` in the TOML file, `DAVLITE_STORE`); the default, nothing
//! set, is redb in `--data`.

use std::path::{Path, PathBuf};

use davlite_store::{Options, Store};

use crate::ServerError;
use crate::users::{UserDb, UserSource};

pub const STORE_FILE: &str = "davlite.redb";

pub fn store_path(data: &Path) -> PathBuf {
    data.join(STORE_FILE)
}

/// Which backend holds the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// `<data>/davlite.redb`, embedded; one process at a time.
    Redb,
    /// A PostgreSQL database (a `postgres://` or `postgresql://` URL, or a libpq key=value
    /// string after `postgres:`), shared by any number of nodes.
    Postgres(String),
}

impl Backend {
    /// Parses a `--store` value: `redb` or a PostgreSQL URL.
    pub fn parse(spec: &str) -> Result<Backend, ServerError> {
        let spec = spec.trim();
        if spec.is_empty() || spec == "redb" {
            return Ok(Backend::Redb);
        }
        if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            return Ok(Backend::Postgres(spec.to_string()));
        }
        if let Some(conninfo) = spec.strip_prefix("postgres:") {
            return Ok(Backend::Postgres(conninfo.to_string()));
        }
        Err(ServerError::config(
            "store",
            format!("{spec:?}: expected `redb` or a postgres:// URL"),
        ))
    }
}

/// A data directory and the store that goes with it.
#[derive(Debug, Clone)]
pub struct Place {
    pub data: PathBuf,
    pub backend: Backend,
    /// See [`davlite_store::Options::min_free_bytes`] (embedded store only).
    pub min_free_bytes: u64,
}

impl Place {
    pub fn new(data: PathBuf, store: Option<&str>) -> Result<Place, ServerError> {
        let backend = match store {
            Some(spec) => Backend::parse(spec)?,
            None => Backend::Redb,
        };
        Ok(Place {
            data,
            backend,
            min_free_bytes: davlite_store::DEFAULT_MIN_FREE_BYTES,
        })
    }

    /// The embedded store in `data`.
    pub fn redb(data: &Path) -> Place {
        Place {
            data: data.to_path_buf(),
            backend: Backend::Redb,
            min_free_bytes: davlite_store::DEFAULT_MIN_FREE_BYTES,
        }
    }

    /// Whether the store is shared with other processes (then users live in it too).
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// The redb file, when the store is one.
    pub fn store_file(&self) -> Option<PathBuf> {
        match self.backend {
            Backend::Redb => Some(store_path(&self.data)),
            Backend::Postgres(_) => None,
        }
    }

    /// Opens the store with durable commits: a 2xx to a write means it is on disk. The redb
    /// file is created if needed and fails while another process (a running server) holds it;
    /// a PostgreSQL database is migrated to this build's schema first.
    pub fn open(&self) -> Result<Store, ServerError> {
        std::fs::create_dir_all(&self.data).map_err(|e| ServerError::io(&self.data, e))?;
        match &self.backend {
            Backend::Redb => {
                let path = store_path(&self.data);
                let options = Options {
                    min_free_bytes: self.min_free_bytes,
                    ..Options::default()
                };
                Store::open(&path, options)
                    .map_err(|e| ServerError::Store(format!("{}: {e}", path.display())))
            }
            Backend::Postgres(url) => open_postgres(url),
        }
    }

    /// Where the users are kept: `<data>/users.toml`, or the shared store (`store` when the
    /// caller has it open already).
    pub fn user_source(&self, store: Option<&Store>) -> Result<UserSource, ServerError> {
        if !self.is_shared() {
            return Ok(UserSource::File(UserDb::path_in(&self.data)));
        }
        let store = match store {
            Some(s) => s.clone(),
            None => self.open()?,
        };
        Ok(UserSource::Shared(store))
    }

    /// Loads the users (opening a shared store for it).
    pub fn users(&self) -> Result<UserDb, ServerError> {
        UserDb::load_from(self.user_source(None)?)
    }

    /// `"redb"` or `"postgres"`.
    pub fn backend_kind(&self) -> &'static str {
        match self.backend {
            Backend::Redb => "redb",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// A description for messages: the directory, or the database.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Redb => self.data.display().to_string(),
            Backend::Postgres(url) => redact(url),
        }
    }
}

/// Opens the store with durable commits (see [`Place::open`]); the embedded one in `data`.
pub fn open(data: &Path) -> Result<Store, ServerError> {
    Place::redb(data).open()
}

/// Connections each process keeps to PostgreSQL: every write holds one for its transaction and
/// every open snapshot one for its lifetime; a request beyond them waits for one.
const PG_POOL_SIZE: u32 = 32;

fn open_postgres(url: &str) -> Result<Store, ServerError> {
    let options = davlite_store_postgres::PgOptions {
        pool_size: PG_POOL_SIZE,
        ..Default::default()
    };
    davlite_store_postgres::PgStore::connect(url, options)
        .map(Store::new)
        .map_err(|e| ServerError::Store(format!("{}: {e}", redact(url))))
}

/// `davlite migrate`: brings a PostgreSQL store to this build's schema (every start does too);
/// returns the schema version. The embedded store has nothing to migrate.
pub fn migrate(place: &Place) -> Result<Option<u32>, ServerError> {
    match &place.backend {
        Backend::Redb => Ok(None),
        Backend::Postgres(url) => davlite_store_postgres::migrate(url)
            .map(Some)
            .map_err(|e| ServerError::Store(format!("{}: {e}", redact(url)))),
    }
}

/// A connection string without its password, for logs and messages.
pub fn redact(url: &str) -> String {
    if let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    {
        if let Some((creds, host)) = rest.split_once('@') {
            let user = creds.split(':').next().unwrap_or("");
            return format!("postgres://{user}@{host}");
        }
        return url.to_string();
    }
    url.split_whitespace()
        .map(|kv| {
            if kv.starts_with("password=") {
                "password=***"
            } else {
                kv
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
