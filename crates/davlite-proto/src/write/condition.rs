//! Precondition and postcondition elements (PRECONDITIONS.md): the body of a 403/409/507 and the
//! `D:error` inside a 207's response or propstat. One enum, so the DAV layer cannot misspell an
//! element or put it in the wrong namespace.

use bytes::Bytes;
pub use davlite_formats::Precondition as BodyCondition;

use crate::qname::{Namespace, QName};
use crate::write::xml::{ROOT_NS_DECLS, Scope, XML_DECL};

/// CalDAV or CardDAV: decides the namespace of the elements both RFCs define under one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DavKind {
    /// CalDAV, `urn:ietf:params:xml:ns:caldav`.
    Calendar,
    /// CardDAV, `urn:ietf:params:xml:ns:carddav`.
    Addressbook,
}

impl DavKind {
    /// The namespace of this protocol's elements.
    pub fn namespace(self) -> Namespace {
        match self {
            DavKind::Calendar => Namespace::CALDAV,
            DavKind::Addressbook => Namespace::CARDDAV,
        }
    }
}

/// One `DAV:need-privileges` entry (RFC 3744 §7.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedPrivilege {
    pub href: String,
    /// `D:read`, `D:write`, `D:bind`, ...
    pub privilege: QName,
}

/// A precondition or postcondition element.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Condition {
    // CalDAV (RFC 4791)
    /// What is wrong with an iCalendar or vCard body (or its media type): one enum, defined by
    /// davlite-formats beside the reasons that lead to it, so the element a refusal names is
    /// decided where the body is understood (`C:valid-calendar-data`,
    /// `C:valid-calendar-object-resource`, `C:supported-calendar-component`,
    /// `C:supported-calendar-data`, `CR:valid-address-data`, `CR:supported-address-data`).
    Body(BodyCondition),
    /// `C:min-date-time`.
    MinDateTime,
    /// `C:max-date-time`.
    MaxDateTime,
    /// `C:max-instances`.
    MaxInstances,
    /// `C:max-attendees-per-instance`.
    MaxAttendeesPerInstance,
    /// `C:valid-filter`: malformed query filter.
    ValidFilter,
    /// `C:valid-timezone` (RFC 7809 §4.2, §5.2): a time zone identifier the server does not
    /// know, in `C:timezone-id` or `calendar-timezone-id`.
    ValidTimezone,
    // CardDAV (RFC 6352)
    /// `CR:supported-address-data-conversion`: the requested vCard version cannot be produced.
    SupportedAddressDataConversion,
    // Both, namespace by kind
    /// `no-uid-conflict` with the href of the resource already holding the UID.
    NoUidConflict { kind: DavKind, href: String },
    /// `max-resource-size`.
    MaxResourceSize { kind: DavKind },
    /// `calendar-collection-location-ok` / `addressbook-collection-location-ok`.
    CollectionLocationOk { kind: DavKind },
    /// `supported-filter`, naming the element we cannot evaluate.
    SupportedFilter {
        kind: DavKind,
        element: QName,
        name: Option<String>,
    },
    /// `supported-collation`, naming the collation when known.
    SupportedCollation {
        kind: DavKind,
        collation: Option<String>,
    },
    // WebDAV and extensions
    /// `D:quota-not-exceeded` (RFC 4331).
    QuotaNotExceeded,
    /// `D:sufficient-disk-space` (RFC 4331).
    SufficientDiskSpace,
    /// `D:resource-must-be-null`: MKCALENDAR / MKCOL target exists.
    ResourceMustBeNull,
    /// `D:valid-resourcetype` (RFC 5689).
    ValidResourcetype,
    /// `D:cannot-modify-protected-property` (RFC 4918 §16).
    CannotModifyProtectedProperty,
    /// `D:supported-report` (RFC 3253).
    SupportedReport,
    /// `D:propfind-finite-depth` (RFC 4918 §16).
    PropfindFiniteDepth,
    /// `D:valid-sync-token` (RFC 6578).
    ValidSyncToken,
    /// `D:number-of-matches-within-limits` (RFC 5323 / RFC 6578 truncation).
    NumberOfMatchesWithinLimits,
    /// `D:need-privileges` (RFC 3744).
    NeedPrivileges(Vec<NeedPrivilege>),
    /// Any other empty element, for extensions.
    Other(QName),
}

impl Condition {
    /// The element this condition is written as.
    pub fn element(&self) -> QName {
        use Condition::*;
        let (ns, local): (Namespace, &'static str) = match self {
            Body(b) if b.is_carddav() => (Namespace::CARDDAV, b.element()),
            Body(b) => (Namespace::CALDAV, b.element()),
            MinDateTime => (Namespace::CALDAV, "min-date-time"),
            MaxDateTime => (Namespace::CALDAV, "max-date-time"),
            MaxInstances => (Namespace::CALDAV, "max-instances"),
            MaxAttendeesPerInstance => (Namespace::CALDAV, "max-attendees-per-instance"),
            ValidFilter => (Namespace::CALDAV, "valid-filter"),
            ValidTimezone => (Namespace::CALDAV, "valid-timezone"),
            SupportedAddressDataConversion => {
                (Namespace::CARDDAV, "supported-address-data-conversion")
            }
            NoUidConflict { kind, .. } => (kind.namespace(), "no-uid-conflict"),
            MaxResourceSize { kind } => (kind.namespace(), "max-resource-size"),
            CollectionLocationOk { kind } => match kind {
                DavKind::Calendar => (Namespace::CALDAV, "calendar-collection-location-ok"),
                DavKind::Addressbook => (Namespace::CARDDAV, "addressbook-collection-location-ok"),
            },
            SupportedFilter { kind, .. } => (kind.namespace(), "supported-filter"),
            SupportedCollation { kind, .. } => (kind.namespace(), "supported-collation"),
            QuotaNotExceeded => (Namespace::DAV, "quota-not-exceeded"),
            SufficientDiskSpace => (Namespace::DAV, "sufficient-disk-space"),
            ResourceMustBeNull => (Namespace::DAV, "resource-must-be-null"),
            ValidResourcetype => (Namespace::DAV, "valid-resourcetype"),
            CannotModifyProtectedProperty => (Namespace::DAV, "cannot-modify-protected-property"),
            SupportedReport => (Namespace::DAV, "supported-report"),
            PropfindFiniteDepth => (Namespace::DAV, "propfind-finite-depth"),
            ValidSyncToken => (Namespace::DAV, "valid-sync-token"),
            NumberOfMatchesWithinLimits => (Namespace::DAV, "number-of-matches-within-limits"),
            NeedPrivileges(_) => (Namespace::DAV, "need-privileges"),
            Other(q) => return q.clone(),
        };
        QName::from_static(ns, local)
    }

    /// Writes the element (not the surrounding `D:error`).
    pub(crate) fn write(&self, scope: &mut Scope, out: &mut Vec<u8>) {
        let name = self.element();
        match self {
            Condition::NoUidConflict { href, .. } => {
                let (q, pushed) = scope.open(out, &name, &[]);
                out.push(b'>');
                scope.text_element(out, &QName::dav("href"), href);
                scope.close(out, &q, pushed);
            }
            Condition::SupportedFilter {
                element, name: n, ..
            } => {
                let (q, pushed) = scope.open(out, &name, &[]);
                out.push(b'>');
                let attrs: Vec<(QName, String)> = n
                    .iter()
                    .map(|v| (QName::new("", "name"), v.clone()))
                    .collect();
                scope.write_tree(out, element, &attrs, &[]);
                scope.close(out, &q, pushed);
            }
            Condition::SupportedCollation {
                collation: Some(c), ..
            } => scope.text_element(out, &name, c),
            Condition::NeedPrivileges(list) if !list.is_empty() => {
                let (q, pushed) = scope.open(out, &name, &[]);
                out.push(b'>');
                for p in list {
                    out.extend_from_slice(b"<D:resource>");
                    scope.text_element(out, &QName::dav("href"), &p.href);
                    out.extend_from_slice(b"<D:privilege>");
                    scope.empty(out, &p.privilege);
                    out.extend_from_slice(b"</D:privilege></D:resource>");
                }
                scope.close(out, &q, pushed);
            }
            Condition::Body(b) => {
                if let Some(rfc) = b.rfc_element() {
                    let ns = if b.is_carddav() {
                        Namespace::CARDDAV
                    } else {
                        Namespace::CALDAV
                    };
                    scope.empty(out, &QName::from_static(ns, rfc));
                }
                scope.empty(out, &name);
            }
            _ => scope.empty(out, &name),
        }
    }

    /// Writes `<D:error>` holding this condition, for use inside a response or propstat.
    pub(crate) fn write_error(&self, scope: &mut Scope, out: &mut Vec<u8>) {
        out.extend_from_slice(b"<D:error>");
        self.write(scope, out);
        out.extend_from_slice(b"</D:error>");
    }
}

/// A complete `application/xml; charset=utf-8` error body for `cond` (RFC 4918 §16), with the
/// short prefixes declared on the root.
pub fn error_body(cond: Condition) -> Bytes {
    error_body_inner(&cond, None)
}

/// Namespace of the human-readable `reason` element davlite adds to error bodies.
pub const REASON_NS: &str = "urn:davlite:error";

/// [`error_body`] plus a `<reason xmlns="urn:davlite:error">` element after the condition,
/// saying in words what was refused (`D:error` content is open, RFC 4918 §14.5; clients ignore
/// elements they do not know).
pub fn error_body_with_reason(cond: Condition, reason: &str) -> Bytes {
    error_body_inner(&cond, Some(reason))
}

/// The body of a 412: RFC 9110 names no element, so davlite says, inside the standard
/// `D:error` and in its own namespace, what the condition was tested against: the target's href
/// as the server names it and its current ETag, when it has one.
/// Clients need not read it; a sync client that re-created an event it had already created
/// (seed 000) can tell from it which resource it hit and in what state.
///
/// ```xml
/// <D:error xmlns:D="DAV:"><X:current xmlns:X="urn:davlite:error">
///   <D:href>/dav/calendars/alice/default/a.ics</D:href><X:etag>"5d41…"</X:etag>
/// </X:current></D:error>
/// ```
pub fn precondition_failed_body(href: &str, etag: Option<&str>) -> Bytes {
    error_document(|scope, out| {
        let current = QName::new(REASON_NS, "current");
        let (q, pushed) = scope.open(out, &current, &[]);
        out.push(b'>');
        scope.text_element(out, &QName::dav("href"), href);
        if let Some(e) = etag {
            scope.text_element(out, &QName::new(REASON_NS, "etag"), e);
        }
        scope.close(out, &q, pushed);
    })
}

fn error_body_inner(cond: &Condition, reason: Option<&str>) -> Bytes {
    error_document(|scope, out| {
        cond.write(scope, out);
        if let Some(r) = reason {
            scope.text_element(out, &QName::new(REASON_NS, "reason"), r);
        }
    })
}

/// A `D:error` document with the short prefixes declared on its root; `content` writes what
/// goes inside.
fn error_document(content: impl FnOnce(&mut Scope, &mut Vec<u8>)) -> Bytes {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(XML_DECL);
    out.extend_from_slice(b"<D:error");
    out.extend_from_slice(ROOT_NS_DECLS.as_bytes());
    out.push(b'>');
    let mut scope = Scope::with_root_prefixes();
    content(&mut scope, &mut out);
    out.extend_from_slice(b"</D:error>");
    Bytes::from(out)
}
