//! Every refusal the DAV layer gives, and the one place that turns it into a status code and a
//! body. Store, format and filter errors are mapped here, with the context (collection kind,
//! href) the RFCs want in the `DAV:error` element; so are the statuses of single members of a
//! 207 answer ([`MemberError`]) and of refused properties ([`PropError`]). Outside this file the
//! DAV layer names only success statuses (200, 201, 204, 207, 304, 301).

use bytes::Bytes;
use davlite_formats::{FilterError, FormatError};
use davlite_proto::{
    BodyCondition, Condition, DavKind, MultistatusWriter, NeedPrivilege, QName, XmlError,
    error_body, error_body_with_reason,
};
use davlite_store::{CollectionKind, Etag, LimitKind, StoreError};
use http::{HeaderValue, Response, StatusCode, header};

use crate::DavBody;

/// A request that ends in a refusal. Each variant is a reason; the status it answers is decided
/// once, in [`DavError::into_response_at`].
#[derive(Debug)]
pub enum DavError {
    /// 404: no such resource, or one this user may not learn of.
    NotFound,
    /// 409: the parent of the target does not exist (RFC 4918 §9.3.1 MKCOL, §9.7.1 PUT,
    /// §9.8.5 COPY, §9.9.4 MOVE).
    MissingParent,
    /// 403 for what WebDAV itself forbids, where no precondition element exists (a COPY onto
    /// itself, a collection into its own subtree); the reason goes in a plain-text body.
    Forbidden(&'static str),
    /// 403 with a `DAV:error` body naming the precondition, and a reason for a person reading
    /// the body or the log (empty when the element says it all).
    Refused(Condition, String),
    /// 403 for an extended MKCOL whose properties could not all be set, with the
    /// `mkcol-response` body listing each property's fate (RFC 5689 §3.3).
    PropertiesRefused(Bytes),
    /// 507 with the precondition: the user's quota, the disk, or a limit on the answer's size.
    Insufficient(Condition),
    /// 406 with the precondition: the representation `Accept` asks for cannot be produced.
    NotAcceptable(Condition),
    /// A sync token this collection cannot answer (RFC 6578 §3.2): 403 `valid-sync-token`, or
    /// 400 with the same body for clients that recover only from a 400.
    InvalidSyncToken { as_bad_request: bool },
    /// 415: a request body of a type the method does not take (MKCOL).
    UnsupportedBody,
    /// 428: the server requires If-Match on updates and the request has none (RFC 6585 §3).
    PreconditionRequired,
    /// 502: the Destination names another server (RFC 4918 §9.8.5).
    ForeignDestination,
    /// 413: a body larger than the server takes.
    BodyTooLarge,
    /// 401 with a Basic challenge: no (valid) credentials.
    Unauthorized,
    /// 501: a method this server does not implement.
    NotImplemented,
    /// A failed HTTP conditional: 412, with the current ETag (when the target has one) in the
    /// ETag header and, with the target's href, in the body.
    PreconditionFailed(Option<Etag>),
    /// 405 with the methods the resource does allow.
    MethodNotAllowed(&'static str),
    /// 400 with a short human-readable reason.
    BadRequest(String),
    /// A storage failure: 500, reason logged by the server.
    Internal(String),
    /// The store gave up serializing the write against concurrent ones: 503 with Retry-After;
    /// nothing was written and the client may simply retry.
    Busy,
}

pub type DavResult<T> = Result<T, DavError>;

/// Why one member of a 207 answer carries a status instead of properties. The multistatus is
/// built where the listing is walked; the status each member gets is chosen here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberError {
    /// No such resource (a multiget href naming nothing, a member gone since the listing, a
    /// deletion in a sync answer).
    Missing,
    /// The user may not read it.
    Forbidden,
    /// Its stored body could not be read (a checksum mismatch, an I/O error), or the walk over
    /// the collection failed after the status line went out.
    Unreadable,
    /// The requested address-data version cannot be produced (RFC 6352 §8.7.2).
    UnsupportedConversion,
    /// Its expansion would exceed the server's limit on instances.
    TooManyInstances,
    /// The answer was cut at the server's limit; named on the request-URI (RFC 6578 §3.6,
    /// RFC 4791 §7.8, RFC 6352 §8.6.1).
    Truncated,
}

impl MemberError {
    pub fn status(self) -> StatusCode {
        match self {
            MemberError::Missing => StatusCode::NOT_FOUND,
            MemberError::Forbidden | MemberError::TooManyInstances => StatusCode::FORBIDDEN,
            MemberError::Unreadable => StatusCode::INTERNAL_SERVER_ERROR,
            MemberError::UnsupportedConversion => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            MemberError::Truncated => StatusCode::INSUFFICIENT_STORAGE,
        }
    }

    pub fn condition(self) -> Option<Condition> {
        match self {
            MemberError::UnsupportedConversion => Some(Condition::SupportedAddressDataConversion),
            MemberError::TooManyInstances | MemberError::Truncated => {
                Some(Condition::NumberOfMatchesWithinLimits)
            }
            _ => None,
        }
    }

    /// Writes `<D:response>` for `href` with this status (and its precondition).
    pub fn write(self, w: &mut MultistatusWriter, href: &str) {
        w.response_status(href, self.status(), self.condition().as_ref());
    }
}

/// Why a group of properties in a `propstat` was not returned or not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropError {
    /// The resource has no such property (RFC 4918 §9.1.2).
    Missing,
    /// A PROPPATCH or MKCOL item that may not be set (protected, invalid value).
    Refused,
    /// Not applied because another item of the same request failed (RFC 4918 §9.2.1).
    NotAttempted,
}

impl PropError {
    pub fn status(self) -> StatusCode {
        match self {
            PropError::Missing => StatusCode::NOT_FOUND,
            PropError::Refused => StatusCode::FORBIDDEN,
            PropError::NotAttempted => StatusCode::FAILED_DEPENDENCY,
        }
    }
}

fn dav_kind(kind: CollectionKind) -> DavKind {
    match kind {
        CollectionKind::AddressBook => DavKind::Addressbook,
        _ => DavKind::Calendar,
    }
}

impl DavError {
    /// A sentence for a person at a terminal (`davlite share`), where no response is written.
    pub fn reason(&self) -> String {
        match self {
            DavError::Refused(_, why) if !why.is_empty() => why.clone(),
            DavError::Refused(c, _) => format!("refused: {}", c.element().local),
            DavError::NotFound => "no such collection".into(),
            DavError::Internal(e) => e.clone(),
            other => format!("{other:?}"),
        }
    }

    pub fn not_found() -> Self {
        DavError::NotFound
    }

    /// 403 with the precondition and nothing more to say.
    pub fn forbidden(cond: Condition) -> Self {
        DavError::Refused(cond, String::new())
    }

    /// 403 `D:need-privileges` (RFC 3744 §7.1.1): the user lacks `privilege` on `href`.
    pub fn need_privilege(href: String, privilege: QName) -> Self {
        DavError::forbidden(Condition::NeedPrivileges(vec![NeedPrivilege {
            href,
            privilege,
        }]))
    }

    /// 403 `C:valid-scheduling-message` (a POST precondition of RFC 6638): a body that is not
    /// a scheduling message davlite can act on.
    pub fn invalid_scheduling_message(reason: String) -> Self {
        DavError::Refused(
            Condition::Other(QName::caldav("valid-scheduling-message")),
            reason,
        )
    }

    /// 403 `C:recipient-specified` (RFC 6638): a free-busy request naming no attendee.
    pub fn no_recipient() -> Self {
        DavError::Refused(
            Condition::Other(QName::caldav("recipient-specified")),
            "the VFREEBUSY names no ATTENDEE".into(),
        )
    }

    /// 403 `C:organizer-allowed` (RFC 6638): the ORGANIZER of a POSTed message is not an
    /// address of the outbox's owner.
    pub fn organizer_not_allowed(organizer: &str) -> Self {
        DavError::Refused(
            Condition::Other(QName::caldav("organizer-allowed")),
            format!("ORGANIZER {organizer} is not an address of the outbox's owner"),
        )
    }

    /// 403 `C:valid-organizer`: a sharee organizing in a calendar shared with them.
    pub fn sharee_organizer(organizer: &str) -> Self {
        DavError::Refused(
            Condition::Other(QName::caldav("valid-organizer")),
            format!(
                "ORGANIZER {organizer} is not the owner of this shared calendar: invitations in \
                 it are organized by its owner"
            ),
        )
    }

    /// Maps a store refusal. `kind` is the kind of the collection written to (it decides
    /// between the CalDAV and CardDAV element); `holder_href` turns the name in a UID conflict
    /// into the href the client must see.
    pub fn from_store(
        err: StoreError,
        kind: CollectionKind,
        holder_href: &dyn Fn(&str) -> String,
    ) -> Self {
        let dav_kind = dav_kind(kind);
        match err {
            StoreError::PreconditionFailed { current } => DavError::PreconditionFailed(current),
            StoreError::UidConflict { existing } => DavError::forbidden(Condition::NoUidConflict {
                kind: dav_kind,
                href: holder_href(&existing),
            }),
            StoreError::NotFound => DavError::NotFound,
            StoreError::ParentNotFound => DavError::MissingParent,
            StoreError::AlreadyExists => {
                DavError::MethodNotAllowed(crate::methods::options::ALLOW_COLLECTION_ITSELF)
            }
            StoreError::WrongKind { reason } => {
                let cond = match kind {
                    CollectionKind::AddressBook => {
                        Condition::Body(BodyCondition::SupportedAddressData)
                    }
                    CollectionKind::Calendar => {
                        Condition::Body(BodyCondition::SupportedCalendarData)
                    }
                    CollectionKind::Plain => return DavError::Forbidden(reason),
                };
                DavError::Refused(cond, reason.to_string())
            }
            StoreError::UnsupportedComponent => {
                DavError::forbidden(Condition::Body(BodyCondition::SupportedCalendarComponent))
            }
            StoreError::TooLarge { .. } => {
                DavError::forbidden(Condition::MaxResourceSize { kind: dav_kind })
            }
            StoreError::LimitViolated(l) => DavError::forbidden(match l {
                LimitKind::MinDate => Condition::MinDateTime,
                LimitKind::MaxDate => Condition::MaxDateTime,
                LimitKind::MaxInstances => Condition::MaxInstances,
                LimitKind::MaxAttendees => Condition::MaxAttendeesPerInstance,
            }),
            StoreError::QuotaExceeded => DavError::Insufficient(Condition::QuotaNotExceeded),
            StoreError::InvalidSyncToken => DavError::InvalidSyncToken {
                as_bad_request: false,
            },
            StoreError::InvalidPath => DavError::BadRequest("invalid resource name".into()),
            other => DavError::internal(other),
        }
    }

    /// A collection placed where its kind may not be (a calendar inside a calendar, or a COPY
    /// or MOVE that would do that): RFC 4791 §5.3.1 / RFC 6352 §6.3.1 `*-collection-location-ok`.
    pub fn location(kind: CollectionKind) -> Self {
        DavError::forbidden(Condition::CollectionLocationOk {
            kind: dav_kind(kind),
        })
    }

    /// A store failure where no client-facing refusal applies.
    pub fn internal(err: StoreError) -> Self {
        match &err {
            StoreError::NotFound => DavError::NotFound,
            StoreError::InvalidSyncToken => DavError::InvalidSyncToken {
                as_bad_request: false,
            },
            StoreError::Busy => DavError::Busy,
            // RFC 4331 §6: the precondition for a 507 that is not the user's quota.
            StoreError::DiskFull => DavError::Insufficient(Condition::SufficientDiskSpace),
            _ => DavError::Internal(err.to_string()),
        }
    }

    /// A request body we could not read.
    pub fn xml(err: XmlError) -> Self {
        match err.condition() {
            Some(cond) => DavError::Refused(cond, err.to_string()),
            None => DavError::BadRequest(err.to_string()),
        }
    }

    /// An iCalendar or vCard body refused by davlite-formats, with the precondition it names
    /// (RFC 4791 §5.3.2.1, RFC 6352 §6.3.2.1) and its line-numbered reason.
    pub fn body(err: &FormatError) -> Self {
        DavError::Refused(Condition::Body(err.precondition()), err.to_string())
    }

    /// A filter we cannot evaluate (RFC 4791 §7.8 `supported-filter`, naming the element) or
    /// that is malformed (`valid-filter`).
    pub fn filter(err: FilterError, kind: CollectionKind) -> Self {
        let dk = dav_kind(kind);
        match &err {
            FilterError::Unsupported { element, .. } => DavError::Refused(
                Condition::SupportedFilter {
                    kind: dk,
                    element: QName::new(dk.namespace(), element.as_str()),
                    name: None,
                },
                err.to_string(),
            ),
            FilterError::Invalid { .. } => {
                DavError::Refused(Condition::ValidFilter, err.to_string())
            }
            _ => DavError::Internal(err.to_string()),
        }
    }

    /// The response for a refusal before the request's target is known.
    pub fn into_response(self) -> Response<DavBody> {
        self.into_response_at(None)
    }

    /// The response for a refusal of a request on `target` (its href as this server names it
    /// under the mount the request used), which a 412 body names.
    pub fn into_response_at(self, target: Option<&str>) -> Response<DavBody> {
        let plain = |s: StatusCode| (s, None, None, None);
        let with = |s: StatusCode, c: Condition| (s, Some(error_body(c)), None, None);
        let (status, body, etag, allow) = match self {
            DavError::NotFound => plain(StatusCode::NOT_FOUND),
            DavError::MissingParent => plain(StatusCode::CONFLICT),
            DavError::UnsupportedBody => plain(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            DavError::PreconditionRequired => plain(StatusCode::PRECONDITION_REQUIRED),
            DavError::ForeignDestination => plain(StatusCode::BAD_GATEWAY),
            DavError::BodyTooLarge => plain(StatusCode::PAYLOAD_TOO_LARGE),
            DavError::NotImplemented => plain(StatusCode::NOT_IMPLEMENTED),
            DavError::Unauthorized => {
                let mut r = plain_response(StatusCode::UNAUTHORIZED);
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"davlite\", charset=\"UTF-8\""),
                );
                return r;
            }
            DavError::Forbidden(reason) => {
                return text_response(StatusCode::FORBIDDEN, reason.to_string());
            }
            DavError::PropertiesRefused(body) => (StatusCode::FORBIDDEN, Some(body), None, None),
            DavError::Insufficient(c) => with(StatusCode::INSUFFICIENT_STORAGE, c),
            DavError::NotAcceptable(c) => with(StatusCode::NOT_ACCEPTABLE, c),
            DavError::InvalidSyncToken { as_bad_request } => with(
                if as_bad_request {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::FORBIDDEN
                },
                Condition::ValidSyncToken,
            ),
            DavError::Refused(c, reason) if reason.is_empty() => with(StatusCode::FORBIDDEN, c),
            DavError::Refused(c, reason) => (
                StatusCode::FORBIDDEN,
                Some(error_body_with_reason(c, &reason)),
                None,
                None,
            ),
            DavError::PreconditionFailed(e) => {
                let body = target.map(|href| {
                    let tag = e.as_ref().map(quote_etag);
                    davlite_proto::precondition_failed_body(href, tag.as_deref())
                });
                (StatusCode::PRECONDITION_FAILED, body, e, None)
            }
            DavError::MethodNotAllowed(a) => (StatusCode::METHOD_NOT_ALLOWED, None, None, Some(a)),
            DavError::BadRequest(msg) => {
                let mut r = text_response(StatusCode::BAD_REQUEST, msg);
                r.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                return r;
            }
            DavError::Internal(msg) => {
                return text_response(StatusCode::INTERNAL_SERVER_ERROR, msg);
            }
            DavError::Busy => {
                let mut r = text_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "too many concurrent writes to this collection; nothing was written, retry"
                        .into(),
                );
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return r;
            }
        };
        let mut b = Response::builder().status(status);
        if let Some(e) = etag {
            b = b.header(header::ETAG, quote_etag(&e));
        }
        if let Some(a) = allow {
            b = b.header(header::ALLOW, a);
        }
        match body {
            Some(body) => b
                .header(header::CONTENT_TYPE, "application/xml; charset=utf-8")
                .body(DavBody::Full(body))
                .expect("valid response"),
            None => b.body(DavBody::empty()).expect("valid response"),
        }
    }
}

fn plain_response(status: StatusCode) -> Response<DavBody> {
    Response::builder()
        .status(status)
        .body(DavBody::empty())
        .expect("valid response")
}

pub fn text_response(status: StatusCode, msg: String) -> Response<DavBody> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(DavBody::Full(Bytes::from(msg + "\n")))
        .expect("valid response")
}

/// The ETag as it goes on the wire: strong, quoted. Written by hand: it is on every line of a
/// listing, and `format!` with hex formatting costs more than the rest of the entry.
pub fn quote_etag(e: &Etag) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(34);
    s.push('"');
    for b in e.0 {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_etag_matches_the_store_display() {
        for bytes in [&b""[..], b"x", b"BEGIN:VCALENDAR"] {
            let e = Etag::of(bytes);
            assert_eq!(quote_etag(&e), format!("\"{e}\""));
        }
    }
}
