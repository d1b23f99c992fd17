//! One module per HTTP method.

pub mod copymove;
pub mod delete;
pub mod get;
pub mod mkcol;
pub mod options;
pub mod post;
pub mod propfind;
pub mod proppatch;
pub mod put;
