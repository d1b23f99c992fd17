//! The crate's integration tests, one module per concern, compiled into one test binary
//! (a binary per file cost a link each and most of CI's time).

mod common;
mod conformance;
mod format;
mod integrity;
mod model;
mod objects;
mod quota;
