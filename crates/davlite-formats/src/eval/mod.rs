//! Evaluating CalDAV and CardDAV query filters against stored bytes. The reading of objects it
//! builds on lives beside it: the component tree (`crate::tree`), component dates
//! (`crate::timing`), instances (`crate::recurrence`) and index spans (`crate::span`).
//!
//! The store answers a query with a coarse superset from its span index; these functions decide
//! exactly, per RFC 4791 §9.7 / §9.9 and RFC 6352 §10.5.

pub(crate) mod calendar;
pub(crate) mod card;
pub(crate) mod fuzz;
pub(crate) mod text;
pub(crate) mod validate;

/// Why a filter cannot be evaluated. The DAV layer answers `supported-filter` for
/// [`FilterError::Unsupported`] and `valid-filter` for [`FilterError::Invalid`], naming
/// the element these carry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FilterError {
    /// A filter element we do not evaluate, such as a time-range on a component for which
    /// RFC 4791 §9.9 defines no rule (VTIMEZONE). `element` names it for the error body.
    Unsupported { element: String, reason: String },
    /// A filter that is malformed: a root other than VCALENDAR, a component nested where it
    /// cannot occur, a time-range whose end is not after its start, `is-not-defined` combined
    /// with other tests.
    Invalid { element: String, reason: String },
    /// The stored object could not be read (it was not validated on the way in).
    Unreadable(String),
}

impl FilterError {
    /// The filter element the error concerns (empty for [`FilterError::Unreadable`]).
    pub fn element(&self) -> &str {
        match self {
            FilterError::Unsupported { element, .. } | FilterError::Invalid { element, .. } => {
                element
            }
            FilterError::Unreadable(_) => "",
        }
    }
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FilterError::Unsupported { element, reason } => {
                write!(f, "filter element {element} is not supported: {reason}")
            }
            FilterError::Invalid { element, reason } => {
                write!(f, "filter element {element} is not valid: {reason}")
            }
            FilterError::Unreadable(r) => write!(f, "stored object unreadable: {r}"),
        }
    }
}

impl std::error::Error for FilterError {}

impl From<crate::recurrence::RecurrenceError> for FilterError {
    fn from(e: crate::recurrence::RecurrenceError) -> Self {
        FilterError::Unreadable(e.to_string())
    }
}

pub use calendar::{matches_calendar, matches_calendar_in};
pub use card::{matches_card, validate_card_filter};
pub use validate::validate_calendar_filter;
