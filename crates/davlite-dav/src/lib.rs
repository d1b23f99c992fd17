//! The DAV facade: WebDAV (RFC 4918), CalDAV (RFC 4791) and CardDAV (RFC 6352) handlers over a
//! davlite store. `http::Request` in, `http::Response` out: no sockets, no hyper, no redb, so an
//! embedding app can put it behind any HTTP server.
//!
//! ```
//! use bytes::Bytes;
//! use davlite_dav::{Dav, DavConfig, RequestContext};
//! use davlite_store::{Options, Store};
//!
//! let dir = tempfile::tempdir()?;
//! let store = Store::open(dir.path().join("data.redb"), Options::default())?;
//! let dav = Dav::new(store, DavConfig::default());
//! dav.provision_user("alice")?;
//! let req = http::Request::builder()
//!     .method("PUT")
//!     .uri("/dav/calendars/alice/default/a.ics")
//!     .header("content-type", "text/calendar")
//!     .header("if-none-match", "*")
//!     .body(Bytes::from_static(
//!         b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
//!     ))?;
//! let ctx = RequestContext { user: Some("alice".into()) };
//! let resp = dav.handle(req, &ctx);
//! assert_eq!(resp.status(), 201);
//! assert!(resp.headers().contains_key("etag"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod access;
mod body;
mod cond;
mod config;
mod directory;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod href;
mod implicit;
mod media;
mod methods;
mod plan;
mod props;
mod provision;
mod report;
mod request;
mod resource;
mod schedule;
pub mod share;
mod stream;
mod sync_token;
mod timezone;

pub use body::DavBody;
pub use config::{DavConfig, RequestContext};
pub use directory::{Directory, PrincipalInfo};
pub use error::{DavError, DavResult};
pub use href::{HrefError, Mounts};
pub use implicit::{NoRemoteDelivery, RemoteDelivery};

use bytes::Bytes;
use davlite_store::Store;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// The handler. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Dav {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    config: DavConfig,
    mounts: Mounts,
    /// Listing plans made by this handler: lets tests tell which path answered. Per handler, not
    /// per process, so tests running side by side in one binary do not see each other's plans.
    plans_built: AtomicU64,
    /// The principals other users may find; replaced whole when the server's users change.
    directory: RwLock<Arc<Directory>>,
    /// Where iTIP messages to users of other servers go (see [`RemoteDelivery`]).
    remote: RwLock<Arc<dyn RemoteDelivery>>,
}

impl Dav {
    pub fn new(store: Store, config: DavConfig) -> Self {
        let mounts = Mounts::new(&config.base, &config.aliases);
        Dav {
            inner: Arc::new(Inner {
                store,
                config,
                mounts,
                plans_built: AtomicU64::new(0),
                directory: RwLock::new(Arc::new(Directory::default())),
                remote: RwLock::new(Arc::new(NoRemoteDelivery)),
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn config(&self) -> &DavConfig {
        &self.inner.config
    }

    pub(crate) fn mounts(&self) -> &Mounts {
        &self.inner.mounts
    }

    /// Replaces the principals users may see (see [`Directory`]). Without one, each user sees
    /// only their own principal, named after the user and with no e-mail address.
    pub fn set_directory(&self, directory: Directory) {
        let mut d = self
            .inner
            .directory
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *d = Arc::new(directory);
    }

    /// The principals as last set.
    pub fn directory(&self) -> Arc<Directory> {
        self.inner
            .directory
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Sets where scheduling messages to calendar users outside this server go (the hook for
    /// iMIP). Without one, they are not delivered and SCHEDULE-STATUS says `3.7`.
    pub fn set_remote_delivery(&self, remote: Arc<dyn RemoteDelivery>) {
        *self
            .inner
            .remote
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = remote;
    }

    pub(crate) fn remote(&self) -> Arc<dyn RemoteDelivery> {
        self.inner
            .remote
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub(crate) fn count_plan(&self) {
        self.inner.plans_built.fetch_add(1, Ordering::Relaxed);
    }

    /// How many listing plans this handler has made (for tests comparing the two answer paths).
    #[doc(hidden)]
    pub fn plans_built(&self) -> u64 {
        self.inner.plans_built.load(Ordering::Relaxed)
    }

    /// Answers one request. `ctx.user` is the authenticated user (the server did the auth);
    /// without one, every request but the well-known redirects is answered 401. Synchronous: it
    /// may wait for a group commit, so async servers call it from a blocking-capable thread.
    pub fn handle(
        &self,
        req: http::Request<Bytes>,
        ctx: &RequestContext,
    ) -> http::Response<DavBody> {
        request::handle(self, req, ctx)
    }

    /// Creates a user's calendar and address-book homes, each with a default collection.
    /// Idempotent: what exists already is left alone.
    pub fn provision_user(&self, user: &str) -> Result<(), davlite_store::StoreError> {
        provision::provision_user(self.store(), user)
    }

    /// Removes everything a user owns (their homes and all collections in them).
    pub fn remove_user_data(&self, user: &str) -> Result<(), davlite_store::StoreError> {
        provision::remove_user(self.store(), user)
    }
}
