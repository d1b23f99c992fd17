//! The crate's integration tests, one module per concern, compiled into one test binary
//! (a binary per file cost a link each and most of CI's time).

mod accounts;
mod bench_mixed;
mod bench_report;
mod crash_http;
mod disk_full;
mod hostile;
mod interop_import_export;
mod interop_litmus;
mod interop_python;
mod operations;
mod postgres;
mod principals;
mod retention;
mod scheduling;
mod server_admin;
mod server_auth;
mod server_lifecycle;
mod server_limits;
mod sharing;
mod sync;
mod web;
