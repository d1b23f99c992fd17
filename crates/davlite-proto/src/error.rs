//! The two ways a client's input can be refused here: a request body ([`XmlError`]) or a header
//! ([`HeaderError`]). Which HTTP status each one becomes is decided by `davlite-dav`; the
//! [`XmlError::condition`] helper only names the precondition element RFC 4791 / 6352 ask for.

use std::fmt;

use crate::QName;
use crate::write::{Condition, DavKind};

/// Which guard refused an oversized or hostile document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// Elements nested deeper than [`Limits::max_depth`](crate::Limits).
    Depth,
    /// More elements than [`Limits::max_elements`](crate::Limits).
    Elements,
    /// One attribute value longer than [`Limits::max_attr_len`](crate::Limits).
    AttributeLength,
    /// More attributes on one element than [`Limits::max_attrs`](crate::Limits).
    Attributes,
    /// One text node longer than [`Limits::max_text_len`](crate::Limits).
    TextLength,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Depth => "elements nested too deeply",
            Limit::Elements => "too many elements",
            Limit::AttributeLength => "an attribute value is too long",
            Limit::Attributes => "too many attributes on one element",
            Limit::TextLength => "a text node is too long",
        })
    }
}

/// Why a request body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum XmlError {
    /// Not well-formed XML (syntax error, unbalanced tags, unknown prefix, bad encoding, unknown
    /// entity). Answer 400.
    Malformed(String),
    /// The document has a DOCTYPE. We never process DTDs, so entity-expansion bombs are refused
    /// before they start. Answer 400.
    Doctype,
    /// A size or nesting guard tripped. Answer 400.
    TooLarge(Limit),
    /// Well-formed, but the root element is not the one this method takes (a PROPFIND body whose
    /// root is not `D:propfind`). Answer 400.
    UnexpectedRoot {
        /// The root element found.
        found: QName,
    },
    /// An MKCOL / MKCALENDAR body whose root is neither `D:mkcol` nor `C:mkcalendar`
    /// (PRECONDITIONS.md: 415).
    UnsupportedMkcolRoot(QName),
    /// A required element or attribute is missing or has the wrong shape. Answer 400.
    Invalid(String),
    /// A query filter that is malformed: a time value not in UTC form, a time-range whose end is
    /// not after its start, impossible nesting. `C:valid-filter` (or CardDAV's equivalent 400).
    InvalidFilter(String),
    /// A filter element or attribute we cannot evaluate. `supported-filter`, naming it.
    UnsupportedFilter {
        /// CalDAV calendar-query or CardDAV addressbook-query.
        kind: DavKind,
        /// The element that cannot be evaluated.
        element: QName,
        /// Its `name` attribute, when it has one (`prop-filter name="X-FOO"`).
        name: Option<String>,
    },
    /// A text-match collation we do not offer. `supported-collation`.
    UnsupportedCollation {
        /// CalDAV or CardDAV query.
        kind: DavKind,
        /// The collation identifier as sent.
        collation: String,
    },
}

impl XmlError {
    /// The precondition element RFC 4791 / RFC 6352 attach to this refusal, if any.
    pub fn condition(&self) -> Option<Condition> {
        match self {
            XmlError::InvalidFilter(_) => Some(Condition::ValidFilter),
            XmlError::UnsupportedFilter {
                kind,
                element,
                name,
            } => Some(Condition::SupportedFilter {
                kind: *kind,
                element: element.clone(),
                name: name.clone(),
            }),
            XmlError::UnsupportedCollation { kind, collation } => {
                Some(Condition::SupportedCollation {
                    kind: *kind,
                    collation: Some(collation.clone()),
                })
            }
            _ => None,
        }
    }
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XmlError::Malformed(m) => write!(f, "request body is not well-formed XML: {m}"),
            XmlError::Doctype => f.write_str("request body contains a DOCTYPE, which is refused"),
            XmlError::TooLarge(l) => write!(f, "request body refused: {l}"),
            XmlError::UnexpectedRoot { found } => {
                write!(f, "unexpected root element {found}")
            }
            XmlError::UnsupportedMkcolRoot(n) => {
                write!(f, "collection creation body with unsupported root {n}")
            }
            XmlError::Invalid(m) => write!(f, "invalid request body: {m}"),
            XmlError::InvalidFilter(m) => write!(f, "invalid query filter: {m}"),
            XmlError::UnsupportedFilter { element, name, .. } => match name {
                Some(n) => write!(f, "unsupported filter {element} name=\"{n}\""),
                None => write!(f, "unsupported filter element {element}"),
            },
            XmlError::UnsupportedCollation { collation, .. } => {
                write!(f, "unsupported collation {collation:?}")
            }
        }
    }
}

impl std::error::Error for XmlError {}

/// Why a DAV or conditional header was refused. Every variant is a 400 except where the caller's
/// context says otherwise (a `Destination` on another server is 502, decided by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderError {
    /// The value is not visible ASCII (`http::HeaderValue::to_str` failed).
    NotAscii,
    /// `Depth` other than `0`, `1` or `infinity`.
    Depth(String),
    /// `If-Match` / `If-None-Match` that is neither `*` nor a list of entity tags, or mixes both.
    EtagList(String),
    /// A WebDAV `If` header that does not follow RFC 4918 §10.4.
    If(String),
    /// `Destination` that is neither an absolute URI nor an absolute path.
    Destination(String),
    /// `Overwrite` other than `T` or `F`.
    Overwrite(String),
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::NotAscii => f.write_str("header value is not visible ASCII"),
            HeaderError::Depth(v) => write!(f, "Depth must be 0, 1 or infinity, got {v:?}"),
            HeaderError::EtagList(m) => write!(f, "malformed entity-tag list: {m}"),
            HeaderError::If(m) => write!(f, "malformed If header: {m}"),
            HeaderError::Destination(m) => write!(f, "malformed Destination: {m}"),
            HeaderError::Overwrite(v) => write!(f, "Overwrite must be T or F, got {v:?}"),
        }
    }
}

impl std::error::Error for HeaderError {}
