//! iCalendar and vCard for davlite: decide whether bytes a client sent are acceptable, and extract
//! what the store indexes. No I/O, no storage, no HTTP.
//!
//! The bytes are never rewritten: a [`ParsedObject`] owns exactly the bytes that were validated,
//! and the store keeps and serves them unchanged.

pub mod charset;
pub mod datetime;
mod error;
pub(crate) mod eval;
pub mod expand;
mod extract;
pub mod filter;
pub mod freebusy;
pub mod fuzz_scan;
mod ical;
pub mod itip;
pub mod itip_object;
mod object;
mod parse;
pub mod recurrence;
mod rrule;
pub mod scan;
pub mod select;
mod span;
mod split;
mod timing;
mod tree;
pub mod tz;
pub mod vcard;
mod vcard_convert;

pub use charset::Charset;
pub use error::{Format, FormatError, Precondition};
/// Body of the `filter_eval` fuzz target (also run on seeds by `cargo test`).
#[doc(hidden)]
pub use eval::fuzz::filter_eval as fuzz_filter_eval;
pub use eval::{
    FilterError, matches_calendar, matches_calendar_in, matches_card, validate_calendar_filter,
    validate_card_filter,
};
pub use expand::{expand, expand_in, limit_recurrence_set, limit_recurrence_set_in};
pub use freebusy::{
    BusyKind, BusyPeriod, FreeBusyError, free_busy, free_busy_in, render_free_busy,
};
pub use itip::{FreeBusyRequest, render_free_busy_reply};
pub use itip_object::{ContentLine, SchedulingObject};
pub use object::{ComponentSet, ObjectInfo, ObjectKind, ParsedObject, TimeSpan};
pub use parse::{ParseOptions, card_summary};
pub use recurrence::{Instance, ObjectTimes, RecurrenceError, instances};
pub use span::object_span;
pub use split::{split_calendar, split_vcards, vcalendar_blocks};
pub use vcard::{CardInfo, VCardVersion};
pub use vcard_convert::{ConvertError, card_version, convert_vcard};
