//! Every refusal the DAV layer gives, and the one place that turns it into a status code and a
//! body. Store and format errors are mapped here, with the context (collection kind, href) the
//! RFCs want in the `DAV:error` element.

use bytes::Bytes;
use davlite_proto::{
    Condition, DavKind, NeedPrivilege, QName, XmlError, error_body, error_body_with_reason,
};
use davlite_store::{CollectionKind, Etag, LimitKind, StoreError};
use http::{HeaderValue, Response, StatusCode, header};

use crate::DavBody;

/// A request that ends in a refusal.
#[derive(Debug)]
pub enum DavError {
    /// A status with no body (404, 409, 501, ...).
    Status(StatusCode),
    /// A status with a `DAV:error` body naming the precondition.
    Condition(StatusCode, Condition),
    /// A failed HTTP conditional: 412, with the current ETag (when the target has one) in the
    /// ETag header and, with the target's href, in the body.
    PreconditionFailed(Option<Etag>),
    /// 405 with the methods the resource does allow.
    MethodNotAllowed(&'static str),
    /// 400 with a short human-readable reason.
    BadRequest(String),
    /// 403 with a DAV:error body and a human-readable reason for a person reading logs.
    Refused(Condition, String),
    /// A storage failure: 500 (or 507 for a full disk), reason logged by the server.
    Internal(String),
    /// The store gave up serializing the write against concurrent ones: 503 with Retry-After;
    /// nothing was written and the client may simply retry.
    Busy,
}

pub type DavResult<T> = Result<T, DavError>;

impl DavError {
    pub fn not_found() -> Self {
        DavError::Status(StatusCode::NOT_FOUND)
    }

    pub fn forbidden(cond: Condition) -> Self {
        DavError::Condition(StatusCode::FORBIDDEN, cond)
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

    /// Maps a store refusal. `kind` is the kind of the collection written to (it decides
    /// between the CalDAV and CardDAV element); `holder_href` turns the name in a UID conflict
    /// into the href the client must see.
    pub fn from_store(
        err: StoreError,
        kind: CollectionKind,
        holder_href: &dyn Fn(&str) -> String,
    ) -> Self {
        let dav_kind = match kind {
            CollectionKind::AddressBook => DavKind::Addressbook,
            _ => DavKind::Calendar,
        };
        match err {
            StoreError::PreconditionFailed { current } => DavError::PreconditionFailed(current),
            StoreError::UidConflict { existing } => DavError::forbidden(Condition::NoUidConflict {
                kind: dav_kind,
                href: holder_href(&existing),
            }),
            StoreError::NotFound => DavError::not_found(),
            StoreError::ParentNotFound => DavError::Status(StatusCode::CONFLICT),
            StoreError::AlreadyExists => {
                DavError::MethodNotAllowed(crate::methods::options::ALLOW_COLLECTION_ITSELF)
            }
            StoreError::WrongKind { reason } => {
                let cond = match kind {
                    CollectionKind::AddressBook => Condition::SupportedAddressData,
                    CollectionKind::Calendar => Condition::SupportedCalendarData,
                    CollectionKind::Plain => return DavError::Status(StatusCode::FORBIDDEN),
                };
                DavError::Refused(cond, reason.to_string())
            }
            StoreError::UnsupportedComponent => {
                DavError::forbidden(Condition::SupportedCalendarComponent)
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
            StoreError::QuotaExceeded => DavError::Condition(
                StatusCode::INSUFFICIENT_STORAGE,
                Condition::QuotaNotExceeded,
            ),
            StoreError::InvalidSyncToken => DavError::forbidden(Condition::ValidSyncToken),
            StoreError::InvalidPath => DavError::BadRequest("invalid resource name".into()),
            other => DavError::internal(other),
        }
    }

    /// A store failure where no client-facing refusal applies.
    pub fn internal(err: StoreError) -> Self {
        match &err {
            StoreError::NotFound => DavError::not_found(),
            StoreError::InvalidSyncToken => DavError::forbidden(Condition::ValidSyncToken),
            StoreError::Busy => DavError::Busy,
            // RFC 4331 §6: the precondition for a 507 that is not the user's quota.
            StoreError::DiskFull => DavError::Condition(
                StatusCode::INSUFFICIENT_STORAGE,
                Condition::SufficientDiskSpace,
            ),
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

    /// The response for a refusal before the request's target is known.
    pub fn into_response(self) -> Response<DavBody> {
        self.into_response_at(None)
    }

    /// The response for a refusal of a request on `target` (its href as this server names it
    /// under the mount the request used), which a 412 body names.
    pub fn into_response_at(self, target: Option<&str>) -> Response<DavBody> {
        let (status, body, etag, allow) = match self {
            DavError::Status(s) => (s, None, None, None),
            DavError::Condition(s, c) => (s, Some(error_body(c)), None, None),
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
