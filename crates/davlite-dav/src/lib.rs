//! The DAV facade: WebDAV (RFC 4918), CalDAV (RFC 4791) and CardDAV (RFC 6352) handlers over a
//! davlite store. `http::Request` in, `http::Response` out: no sockets, no hyper, no redb, so an
//! embedding app can put it behind any HTTP server.

mod body;
mod config;

pub use body::DavBody;
pub use config::{DavConfig, RequestContext};

use bytes::Bytes;
use davlite_store::Store;

/// The handler. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Dav {
    store: Store,
    config: std::sync::Arc<DavConfig>,
}

impl Dav {
    pub fn new(store: Store, config: DavConfig) -> Self {
        Dav { store, config: std::sync::Arc::new(config) }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn config(&self) -> &DavConfig {
        &self.config
    }

    /// Answers one request. `ctx.user` is the authenticated user (the server did the auth);
    /// `None` only for requests that need no user (well-known redirects). Synchronous: it may
    /// wait for a group commit, so async servers call it from a blocking-capable thread.
    pub fn handle(&self, req: http::Request<Bytes>, ctx: &RequestContext) -> http::Response<DavBody> {
        let _ = (req, ctx);
        http::Response::builder()
            .status(http::StatusCode::NOT_IMPLEMENTED)
            .body(DavBody::empty())
            .expect("static response")
    }

    /// Creates a user's principal homes with a default calendar and address book. Idempotent.
    pub fn provision_user(&self, user: &str) -> Result<(), davlite_store::StoreError> {
        let _ = user;
        Ok(())
    }
}
