//! iCalendar and vCard for davlite: decide whether bytes a client sent are acceptable, and extract
//! what the store indexes. No I/O, no storage, no HTTP.
//!
//! The bytes are never rewritten: a [`ParsedObject`] owns exactly the bytes that were validated,
//! and the store keeps and serves them unchanged.

pub mod filter;
pub(crate) mod eval;
pub mod freebusy;
pub mod recurrence;
pub mod tz;
mod object;

pub use object::{ObjectInfo, ObjectKind, ParsedObject, TimeSpan, ComponentSet};
pub use recurrence::{Instance, ObjectTimes, RecurrenceError, instances, object_span};
