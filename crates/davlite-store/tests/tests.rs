//! The crate's integration tests, one module per concern, compiled into one test binary
//! (a binary per file cost a link each and most of CI's time).

mod collections;
mod common;
mod conformance;
mod integrity;
mod model;
mod object_props;
mod objects;
mod quota;
