//! Evaluating CalDAV and CardDAV query filters against stored bytes, and the shared reading of
//! objects (component tree, component dates, index spans) the time-related modules build on.

pub(crate) mod span;
pub(crate) mod timing;
pub(crate) mod tree;
