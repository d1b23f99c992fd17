//! The `davlite` server: the binary's code as a library. It puts the DAV handler
//! ([`davlite_dav::Dav`]) behind hyper with Basic auth over argon2id hashes, request limits,
//! optional TLS, graceful shutdown and one log line per request, and carries the administrative
//! commands (users, import, export, dump, restore, verify, backup, bench), `/metrics` and the
//! control socket through which `davlite backup` reaches a running server.
//!
//! It is not a framework: an application embedding davlite behind its own HTTP server uses
//! `davlite-dav` directly. This crate is for running davlite as a program:
//!
//! ```no_run
//! use davlite_server::config::Layer;
//! let cfg = Layer { listen: Some("127.0.0.1:5233".into()), ..Layer::default() }.resolve()?;
//! davlite_server::serve::run(cfg)?; // until SIGTERM or Ctrl-C
//! # Ok::<(), davlite_server::ServerError>(())
//! ```

mod admin;
pub mod auth;
pub mod backup;
mod bench;
mod body;
pub mod cli;
pub mod client_addr;
pub mod config;
pub mod control;
pub mod dump;
mod error;
pub mod import;
mod io;
pub mod listener;
mod logging;
pub mod metrics;
pub mod progress;
pub mod retention;
pub mod serve;
pub mod service;
pub mod store;
mod sync;
mod tls;
pub mod users;
mod web;

pub use config::ServeConfig;
pub use error::ServerError;
