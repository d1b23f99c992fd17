//! The DAV wire format for davlite: request bodies (PROPFIND, PROPPATCH, MKCOL / MKCALENDAR,
//! REPORT) read namespace-correctly and defensively, response bodies (multistatus, error,
//! mkcol-response) written in the exact form real clients expect, DAV headers, and the
//! precondition elements of PRECONDITIONS.md.
//!
//! What it is not: no I/O, no store, no HTTP server, no status-code policy. `davlite-dav`
//! decides which status a refusal becomes; this crate only says what was refused.
//!
//! ```
//! use davlite_proto::{MultistatusWriter, PropFind, PropStat, Prop, QName};
//! use http::StatusCode;
//!
//! let req = PropFind::parse(br#"<propfind xmlns="DAV:"><prop><getetag/><x:y xmlns:x="urn:x"/></prop></propfind>"#)?;
//! let PropFind::Prop(names) = req else { unreachable!() };
//! assert_eq!(names[0], QName::dav("getetag"));
//!
//! let mut w = MultistatusWriter::new();
//! w.response_propstat("/dav/calendars/alice/work/a.ics", &[
//!     PropStat::not_found([names[1].clone()]),
//!     PropStat::ok(vec![Prop::text(QName::dav("getetag"), "\"abc\"")]),
//! ]);
//! let body = w.finish();
//! let text = std::str::from_utf8(&body).unwrap();
//! assert!(text.find("HTTP/1.1 200 OK").unwrap() < text.find("HTTP/1.1 404 Not Found").unwrap());
//! # Ok::<(), davlite_proto::XmlError>(())
//! ```

mod dom;
mod error;
pub mod fuzzing;
pub mod headers;
mod qname;
pub mod request;
mod value;
pub mod write;

pub use dom::Limits;
pub use error::{HeaderError, Limit, XmlError};
pub use qname::{Namespace, QName};
pub use request::{
    AddressDataRequest, CalendarDataRequest, CompSelect, ExpandItem, MatchType, MkCol, MkColKind,
    PrincipalMatch, PrincipalMatchKind, PrincipalPropertySearch, PropFind, PropRequest, PropSelect,
    PropertySearch, PropertyUpdate, Report, SetOrRemove, SharePost, ShareSet, UtcRange,
};
pub use value::PropValue;
pub use write::{
    BodyCondition, Condition, DavKind, Elem, MultistatusWriter, NeedPrivilege, Prop, PropContent,
    PropStat, error_body, error_body_with_reason, mkcol_response, precondition_failed_body,
    render_props, render_propstats, xml_document,
};

/// Namespace URI constants, for `match` on [`Namespace::as_str`].
pub mod ns {
    pub const DAV: &str = "DAV:";
    pub const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
    pub const CARDDAV: &str = "urn:ietf:params:xml:ns:carddav";
    pub const CALSERVER: &str = "http://calendarserver.org/ns/";
    pub const APPLE_ICAL: &str = "http://apple.com/ns/ical/";
    /// Reserved for davlite-sync's state (dead properties of synced objects and collections).
    pub const DAVLITE_SYNC: &str = "urn:davlite:sync";
    /// Reserved for state the server keeps beside an object (the Schedule-Tag).
    pub const DAVLITE_INTERNAL: &str = "http://davlite.org/ns/internal";
    /// The namespaces whose properties are state, not properties: the DAV layer neither shows
    /// them nor lets a client set them, so no client can read or forge that state.
    pub const RESERVED: [&str; 2] = [DAVLITE_SYNC, DAVLITE_INTERNAL];
}
