//! PUT: the hot path. Cheap checks first (target, access, media type, size), then the
//! conditionals' syntax, then the body is validated outside any transaction, and the store runs
//! every check that decides the write (precondition, UID, kind, limits, quota) inside the write
//! transaction that performs it.

use davlite_formats::ParsedObject;
use davlite_proto::{BodyCondition, Condition};
use davlite_store::CollectionKind;
use http::{Response, StatusCode, header};

use crate::DavBody;
use crate::access;
use crate::cond::Conditionals;
use crate::error::{DavError, DavResult, quote_etag};
use crate::media;
use crate::request::Req;
use crate::resource::Target;

pub fn handle(r: &Req) -> DavResult<Response<DavBody>> {
    let reader = r.dav.store().read().map_err(DavError::internal)?;
    let target = r.target(&reader)?;
    drop(reader);
    let (coll, name, current) = match target {
        Target::Object { coll, name, meta } => (coll, name, meta),
        Target::Missing { .. } => return Err(DavError::MissingParent),
        Target::Collection(_) => {
            return Err(DavError::MethodNotAllowed(
                super::options::ALLOW_COLLECTION_ITSELF,
            ));
        }
        _ => return Err(DavError::MethodNotAllowed(super::options::ALLOW_VIRTUAL)),
    };
    let target_for_access = Target::Object {
        coll: coll.clone(),
        name: name.clone(),
        meta: current.clone(),
    };
    access::check_write(r, &target_for_access)?;

    let content_type = r.header("content-type").unwrap_or("");
    let mt = media::parse(content_type);
    match coll.kind {
        CollectionKind::Calendar if !media::calendar_ok(&mt) => {
            return Err(DavError::forbidden(Condition::Body(
                BodyCondition::SupportedCalendarData,
            )));
        }
        CollectionKind::AddressBook if !media::vcard_ok(&mt) => {
            return Err(DavError::forbidden(Condition::Body(
                BodyCondition::SupportedAddressData,
            )));
        }
        _ => {}
    }
    let dav_kind = if coll.kind == CollectionKind::AddressBook {
        davlite_proto::DavKind::Addressbook
    } else {
        davlite_proto::DavKind::Calendar
    };
    if let Some(max) = coll.limits.max_resource_size {
        if r.body.len() as u64 > max && coll.kind != CollectionKind::Plain {
            return Err(DavError::forbidden(Condition::MaxResourceSize {
                kind: dav_kind,
            }));
        }
    }

    let cond = Conditionals::parse(&r.headers)?;
    let current_etag = current.as_ref().map(|m| m.etag);
    if r.dav.config().require_if_match && current.is_some() && cond.if_match.is_none() {
        return Err(DavError::PreconditionRequired);
    }
    // Conditionals the store cannot carry (both headers, or the WebDAV If header) are checked
    // against the snapshot; the store still re-checks If-Match / If-None-Match atomically.
    let both = cond.if_match.is_some() && cond.if_none_match.is_some();
    if (both || cond.if_header.is_some()) && !cond.hold(current_etag.as_ref()) {
        return Err(DavError::PreconditionFailed(current_etag));
    }

    let bytes = r.body.to_vec();
    let parsed = match coll.kind {
        CollectionKind::Calendar => ParsedObject::calendar(bytes),
        CollectionKind::AddressBook => ParsedObject::vcard(bytes),
        _ => Ok(ParsedObject::opaque(
            bytes,
            if content_type.is_empty() {
                "application/octet-stream"
            } else {
                content_type
            },
        )),
    };
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => {
            // RFC 9110 §13.2.2: conditionals are evaluated before the body is acted on, so a
            // stale If-Match with a broken body is a 412, not a 403.
            if !cond.hold(current_etag.as_ref()) {
                return Err(DavError::PreconditionFailed(current_etag));
            }
            return Err(DavError::body(&e));
        }
    };

    // Scheduling objects take the path that delivers what they imply in the same transaction.
    if crate::implicit::wants(r, &coll, parsed.bytes()) {
        return crate::implicit::put(r, &coll, &name, parsed.bytes(), &cond);
    }
    let holder_href = |n: &str| r.member_href(&coll.path, n);
    let out = r
        .dav
        .store()
        .put(&coll.path, &name, parsed, cond.to_store())
        .map_err(|e| DavError::from_store(e, coll.kind, &holder_href))?;
    Ok(stored(&out))
}

/// 201 for a new resource, 204 for a replaced one, with the ETag of the stored bytes (a client
/// never needs a GET after a write).
pub fn stored(out: &davlite_store::PutOutcome) -> Response<DavBody> {
    let status = if out.created {
        StatusCode::CREATED
    } else {
        StatusCode::NO_CONTENT
    };
    Response::builder()
        .status(status)
        .header(header::ETAG, quote_etag(&out.etag))
        .body(DavBody::empty())
        .expect("valid response")
}
