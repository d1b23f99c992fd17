//! iCalendar and vCard for davlite: decide whether bytes a client sent are acceptable, and extract
//! what the store indexes. No I/O, no storage, no HTTP.
//!
//! The bytes are never rewritten: a [`ParsedObject`] owns exactly the bytes that were validated,
//! and the store keeps and serves them unchanged.

pub mod filter;
pub(crate) mod eval;
pub mod expand;
pub mod freebusy;
pub mod recurrence;
pub mod tz;
mod object;
pub mod scan;
pub mod charset;
pub mod datetime;
mod error;
mod ical;
mod extract;
mod parse;
mod split;
pub mod vcard;
pub mod fuzz_scan;

pub use object::{ObjectInfo, ObjectKind, ParsedObject, TimeSpan, ComponentSet};
pub use error::{Format, FormatError, Precondition};
pub use parse::{ParseOptions, card_summary};
pub use split::{split_calendar, split_vcards};
pub use charset::Charset;
pub use vcard::{CardInfo, VCardVersion};
pub use recurrence::{Instance, ObjectTimes, RecurrenceError, instances, object_span};
pub use eval::{FilterError, matches_calendar, matches_card, validate_calendar_filter, validate_card_filter};
pub use freebusy::{BusyKind, BusyPeriod, free_busy, render_free_busy};
pub use expand::{expand, limit_recurrence_set};
/// Body of the `filter_eval` fuzz target (also run on seeds by `cargo test`).
#[doc(hidden)]
pub use eval::fuzz::filter_eval as fuzz_filter_eval;
