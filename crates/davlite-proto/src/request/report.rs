//! REPORT bodies: the CalDAV, CardDAV, sync and expand-property reports davlite serves. The
//! root element decides the report; a root we do not know is [`Report::Unknown`] so the handler
//! can answer `D:supported-report` instead of a generic 400.

use davlite_formats::filter::{CardFilter, CompFilter};

use crate::dom::{Element, Limits, parse_document};
use crate::error::XmlError;
use crate::qname::{Namespace, QName};
use crate::request::filter::{calendar_filter, card_filter};
use crate::request::principal::{
    PrincipalMatch, PrincipalPropertySearch, principal_match, property_search,
};
use crate::request::propfind::{PropRequest, prop_request};
use crate::request::time::parse_utc;

/// `<D:property name=… namespace=…>` of an expand-property report (RFC 3253 §3.8), with the
/// properties to expand inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandItem {
    pub name: QName,
    pub children: Vec<ExpandItem>,
}

/// A parsed REPORT body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum Report {
    /// RFC 4791 §7.8.
    CalendarQuery {
        props: PropRequest,
        filter: CompFilter,
        /// `C:timezone` text (a VCALENDAR with one VTIMEZONE) for floating times.
        timezone: Option<String>,
        /// `C:timezone-id` (RFC 7809).
        timezone_id: Option<String>,
    },
    /// RFC 4791 §7.9. Hrefs exactly as sent (surrounding whitespace trimmed), in order.
    CalendarMultiget {
        props: PropRequest,
        hrefs: Vec<String>,
    },
    /// RFC 4791 §7.10; at least one bound is present.
    FreeBusyQuery {
        start: Option<i64>,
        end: Option<i64>,
    },
    /// RFC 6352 §8.6.
    AddressbookQuery {
        props: PropRequest,
        filter: CardFilter,
        /// `CR:limit/CR:nresults`.
        limit: Option<u32>,
    },
    /// RFC 6352 §8.7.
    AddressbookMultiget {
        props: PropRequest,
        hrefs: Vec<String>,
    },
    /// RFC 6578 §3.2.
    SyncCollection {
        /// `None` for an empty `<D:sync-token/>` (initial sync).
        sync_token: Option<String>,
        /// `1` or `infinite` as sent; `None` when absent (Apple omits it).
        sync_level: Option<String>,
        /// `D:limit/D:nresults`.
        limit: Option<u32>,
        props: PropRequest,
    },
    /// RFC 3253 §3.8.
    ExpandProperty { tree: Vec<ExpandItem> },
    /// RFC 3744 §9.4.
    PrincipalPropertySearch(PrincipalPropertySearch),
    /// RFC 3744 §9.5 (the body is empty of content).
    PrincipalSearchPropertySet,
    /// RFC 3744 §9.3.
    PrincipalMatch(PrincipalMatch),
    /// Any other report root.
    Unknown(QName),
}

fn hrefs(root: &Element) -> Vec<String> {
    let href = QName::dav("href");
    root.elements()
        .filter(|e| e.name == href)
        .map(|e| e.text().trim().to_owned())
        .collect()
}

fn nresults(limit: Option<&Element>, ns: &Namespace) -> Result<Option<u32>, XmlError> {
    let Some(limit) = limit else { return Ok(None) };
    let n = limit
        .elements()
        .find(|e| e.name.ns == *ns && e.name.local == "nresults")
        .ok_or_else(|| XmlError::Invalid("limit without nresults".into()))?;
    let t = n.text();
    t.trim()
        .parse::<u32>()
        .map(Some)
        .map_err(|_| XmlError::Invalid(format!("nresults {t:?} is not a number")))
}

fn expand_items(e: &Element) -> Result<Vec<ExpandItem>, XmlError> {
    let mut out = Vec::new();
    for p in e.elements().filter(|c| c.name == QName::dav("property")) {
        let local = p
            .attr("name")
            .ok_or_else(|| XmlError::Invalid("expand-property property needs a name".into()))?;
        let ns = p.attr("namespace").unwrap_or("DAV:");
        out.push(ExpandItem {
            name: QName::new(ns, local),
            children: expand_items(p)?,
        });
    }
    Ok(out)
}

fn text_child(root: &Element, name: &QName) -> Option<String> {
    root.child(name).map(Element::text)
}

impl Report {
    /// Parses a REPORT body.
    pub fn parse(body: &[u8]) -> Result<Report, XmlError> {
        let root = parse_document(body, &Limits::default())?;
        let n = &root.name;
        let cal = n.ns == Namespace::CALDAV;
        let card = n.ns == Namespace::CARDDAV;
        let dav = n.ns == Namespace::DAV;
        Ok(match &*n.local {
            "calendar-query" if cal => {
                let filter = root
                    .child(&QName::caldav("filter"))
                    .ok_or_else(|| XmlError::Invalid("calendar-query without filter".into()))?;
                Report::CalendarQuery {
                    props: prop_request(&root)?,
                    filter: calendar_filter(filter)?,
                    timezone: text_child(&root, &QName::caldav("timezone")),
                    timezone_id: text_child(&root, &QName::caldav("timezone-id"))
                        .map(|t| t.trim().to_owned()),
                }
            }
            "calendar-multiget" if cal => Report::CalendarMultiget {
                props: prop_request(&root)?,
                hrefs: hrefs(&root),
            },
            "free-busy-query" if cal => {
                // RFC 4791 §7.10 names no precondition for a bad range: it is a bad request
                // (400), not a refused filter.
                let bad = |m: String| XmlError::Invalid(format!("free-busy-query: {m}"));
                let tr = root
                    .child(&QName::caldav("time-range"))
                    .ok_or_else(|| bad("no time-range".into()))?;
                let utc = |a: &str| {
                    tr.attr(a)
                        .map(parse_utc)
                        .transpose()
                        .map_err(|e| bad(e.to_string()))
                };
                let (start, end) = (utc("start")?, utc("end")?);
                match (start, end) {
                    (None, None) => return Err(bad("time-range needs start or end".into())),
                    (Some(s), Some(e)) if e <= s => {
                        return Err(bad("time-range end is not after its start".into()));
                    }
                    _ => Report::FreeBusyQuery { start, end },
                }
            }
            "addressbook-query" if card => Report::AddressbookQuery {
                props: prop_request(&root)?,
                filter: match root.child(&QName::carddav("filter")) {
                    Some(f) => card_filter(f)?,
                    None => {
                        return Err(XmlError::Invalid("addressbook-query without filter".into()));
                    }
                },
                limit: nresults(root.child(&QName::carddav("limit")), &Namespace::CARDDAV)?,
            },
            "addressbook-multiget" if card => Report::AddressbookMultiget {
                props: prop_request(&root)?,
                hrefs: hrefs(&root),
            },
            "sync-collection" if dav => Report::SyncCollection {
                sync_token: text_child(&root, &QName::dav("sync-token"))
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty()),
                sync_level: text_child(&root, &QName::dav("sync-level"))
                    .map(|t| t.trim().to_owned()),
                limit: nresults(root.child(&QName::dav("limit")), &Namespace::DAV)?,
                props: prop_request(&root)?,
            },
            "expand-property" if dav => Report::ExpandProperty {
                tree: expand_items(&root)?,
            },
            "principal-property-search" if dav => {
                Report::PrincipalPropertySearch(property_search(&root)?)
            }
            "principal-search-property-set" if dav => Report::PrincipalSearchPropertySet,
            "principal-match" if dav => Report::PrincipalMatch(principal_match(&root)?),
            _ => Report::Unknown(root.name.clone()),
        })
    }
}
