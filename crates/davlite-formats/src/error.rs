//! Why bytes were refused, and which CalDAV/CardDAV precondition that answers.
//!
//! Every refusal carries a line number (1-based, the physical line where the offending content
//! line starts) so the DAV layer can put a message a person can act on into the error body. The
//! mapping to the `DAV:error` element lives here, next to the reasons, so the DAV edge does not
//! have to guess from strings.

use std::fmt;

/// Which of the two formats a refusal is about; decides between the CalDAV and CardDAV element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Calendar,
    Card,
}

/// The PRECONDITIONS.md row a refusal answers (RFC 4791 §5.3.2.1, RFC 6352 §6.3.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precondition {
    /// `C:valid-calendar-data`: not parseable iCalendar.
    ValidCalendarData,
    /// `C:valid-calendar-object-resource`: parseable, but breaks RFC 4791 §4.1.
    ValidCalendarObjectResource,
    /// `C:supported-calendar-component`: a component type no calendar can hold.
    SupportedCalendarComponent,
    /// `C:supported-calendar-data`: not iCalendar 2.0 in UTF-8.
    SupportedCalendarData,
    /// `CR:valid-address-data`: not one parseable vCard with VERSION, FN and UID.
    ValidAddressData,
    /// `CR:supported-address-data`: a vCard version or charset we do not take on PUT.
    SupportedAddressData,
    /// A parseable vCard without UID. RFC 6352 names only `CR:valid-address-data` for this,
    /// and that element is written; `CR:valid-addressbook-object-resource` follows it, by
    /// analogy with CalDAV's `valid-calendar-object-resource` for a missing UID, for clients
    /// that look for that name.
    ValidAddressbookObjectResource,
}

impl Precondition {
    /// The element's local name, as written inside `DAV:error`.
    pub fn element(self) -> &'static str {
        match self {
            Precondition::ValidCalendarData => "valid-calendar-data",
            Precondition::ValidCalendarObjectResource => "valid-calendar-object-resource",
            Precondition::SupportedCalendarComponent => "supported-calendar-component",
            Precondition::SupportedCalendarData => "supported-calendar-data",
            Precondition::ValidAddressData => "valid-address-data",
            Precondition::SupportedAddressData => "supported-address-data",
            Precondition::ValidAddressbookObjectResource => "valid-addressbook-object-resource",
        }
    }

    /// The element RFC 6352 defines for this refusal, written before [`Self::element`] when
    /// the two differ.
    pub fn rfc_element(self) -> Option<&'static str> {
        match self {
            Precondition::ValidAddressbookObjectResource => Some("valid-address-data"),
            _ => None,
        }
    }

    /// Whether the element lives in the CardDAV namespace (otherwise CalDAV).
    pub fn is_carddav(self) -> bool {
        matches!(
            self,
            Precondition::ValidAddressData
                | Precondition::SupportedAddressData
                | Precondition::ValidAddressbookObjectResource
        )
    }
}

/// Why an iCalendar or vCard body was refused.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// The body is empty or holds only blank lines.
    Empty { format: Format },
    /// A byte sequence that is not UTF-8 (after unfolding) in a body that must be UTF-8.
    /// `offset` is the byte offset in the body as sent.
    NotUtf8 {
        format: Format,
        offset: usize,
        line: u32,
    },
    /// A content line that does not follow `name *(";" param) ":" value` (RFC 5545 §3.1,
    /// RFC 6350 §3.3): no colon, a bad character in a name, an unterminated quoted parameter.
    Syntax {
        format: Format,
        line: u32,
        reason: &'static str,
    },
    /// BEGIN/END not nested properly, content outside the object, nesting deeper than we
    /// follow, or a second object where one is allowed.
    Structure {
        format: Format,
        line: u32,
        reason: String,
    },
    /// A property that the format requires is missing, appears too often, or has a value that
    /// does not parse (a DTSTART that is not a date).
    Property {
        format: Format,
        line: u32,
        reason: String,
    },
    /// An iCalendar object that parses but breaks the CalDAV rules of RFC 4791 §4.1 (METHOD,
    /// two component types, differing UIDs, duplicate RECURRENCE-ID).
    ObjectRule { line: u32, reason: String },
    /// No UID where one is required: every component of a calendar object (RFC 4791 §4.1), and
    /// every vCard on CardDAV PUT (PRECONDITIONS.md).
    MissingUid { format: Format, line: u32 },
    /// A calendar object whose only component type is one no calendar holds (VAVAILABILITY,
    /// an X- component).
    UnsupportedComponent { name: String, line: u32 },
    /// An iCalendar VERSION other than 2.0, or a vCard version not taken here (2.1 is accepted
    /// only by import).
    UnsupportedVersion {
        format: Format,
        version: String,
        line: u32,
    },
    /// An import charset we cannot decode.
    UnsupportedCharset { format: Format, charset: String },
    /// The body is the other format (a vCard sent as a calendar object, or the reverse):
    /// answered as the wrong media type, supported-calendar-data / supported-address-data.
    WrongFormat { expected: Format, line: u32 },
}

impl FormatError {
    /// Which PRECONDITIONS.md row the refusal answers.
    pub fn precondition(&self) -> Precondition {
        use FormatError::*;
        let data = |f: &Format| match f {
            Format::Calendar => Precondition::ValidCalendarData,
            Format::Card => Precondition::ValidAddressData,
        };
        let supported = |f: &Format| match f {
            Format::Calendar => Precondition::SupportedCalendarData,
            Format::Card => Precondition::SupportedAddressData,
        };
        match self {
            Empty { format }
            | NotUtf8 { format, .. }
            | Syntax { format, .. }
            | Structure { format, .. }
            | Property { format, .. } => data(format),
            ObjectRule { .. } => Precondition::ValidCalendarObjectResource,
            MissingUid {
                format: Format::Calendar,
                ..
            } => Precondition::ValidCalendarObjectResource,
            MissingUid {
                format: Format::Card,
                ..
            } => Precondition::ValidAddressbookObjectResource,
            UnsupportedComponent { .. } => Precondition::SupportedCalendarComponent,
            UnsupportedVersion { format, .. } | UnsupportedCharset { format, .. } => {
                supported(format)
            }
            WrongFormat { expected, .. } => supported(expected),
        }
    }

    /// The physical line the refusal points at, when there is one.
    pub fn line(&self) -> Option<u32> {
        use FormatError::*;
        match self {
            Empty { .. } | UnsupportedCharset { .. } => None,
            NotUtf8 { line, .. }
            | Syntax { line, .. }
            | Structure { line, .. }
            | Property { line, .. }
            | ObjectRule { line, .. }
            | MissingUid { line, .. }
            | UnsupportedComponent { line, .. }
            | UnsupportedVersion { line, .. }
            | WrongFormat { line, .. } => Some(*line),
        }
    }

    /// Which format the refusal is about.
    pub fn format(&self) -> Format {
        if self.precondition().is_carddav() {
            Format::Card
        } else {
            Format::Calendar
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use FormatError::*;
        let what = |format: &Format| match format {
            Format::Calendar => "iCalendar",
            Format::Card => "vCard",
        };
        match self {
            Empty { format } => write!(f, "the {} body is empty", what(format)),
            NotUtf8 { offset, line, .. } => {
                write!(f, "line {line}: bytes at offset {offset} are not UTF-8")
            }
            Syntax { line, reason, .. } => write!(f, "line {line}: {reason}"),
            Structure { line, reason, .. } | Property { line, reason, .. } => {
                write!(f, "line {line}: {reason}")
            }
            ObjectRule { line, reason } => {
                write!(
                    f,
                    "line {line}: not a CalDAV calendar object resource: {reason}"
                )
            }
            MissingUid {
                format: Format::Calendar,
                line,
            } => {
                write!(
                    f,
                    "line {line}: component has no UID (RFC 4791 §4.1 requires one)"
                )
            }
            MissingUid {
                format: Format::Card,
                line,
            } => {
                write!(f, "line {line}: vCard has no UID (required on CardDAV PUT)")
            }
            UnsupportedComponent { name, line } => {
                write!(
                    f,
                    "line {line}: component {name} cannot be stored in a calendar"
                )
            }
            UnsupportedVersion {
                format,
                version,
                line,
            } => {
                write!(
                    f,
                    "line {line}: {} VERSION {version} is not supported here",
                    what(format)
                )
            }
            UnsupportedCharset { format, charset } => {
                write!(
                    f,
                    "charset {charset:?} is not supported for {}",
                    what(format)
                )
            }
            WrongFormat {
                expected: Format::Calendar,
                line,
            } => {
                write!(
                    f,
                    "line {line}: a vCard where an iCalendar object was expected"
                )
            }
            WrongFormat {
                expected: Format::Card,
                line,
            } => {
                write!(
                    f,
                    "line {line}: an iCalendar object where a vCard was expected"
                )
            }
        }
    }
}

impl std::error::Error for FormatError {}
