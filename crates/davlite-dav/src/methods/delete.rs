//! DELETE: an object, or a collection with everything in it, in one transaction.

use http::{Response, StatusCode};

use crate::DavBody;
use crate::access;
use crate::cond::Conditionals;
use crate::error::{DavError, DavResult};
use crate::request::Req;
use crate::resource::Target;

pub fn handle(r: &Req) -> DavResult<Response<DavBody>> {
    let reader = r.dav.store().read().map_err(DavError::internal)?;
    let target = r.target(&reader)?;
    // Conditionals are ignored when the request would fail without them: a missing target is
    // 404 whatever If-Match says (RFC 9110 §13.2.1).
    if !target.exists() {
        return Err(DavError::not_found());
    }
    // A sharee deleting the shared collection leaves the share (CalendarServer sharing: the
    // owner's collection and its members stay; the grant is kept, declined).
    if let Target::Collection(coll) = &target
        && coll.owner != r.user
        && access::shared_access(&r.user, &target).is_some()
    {
        crate::share::answer(r.dav.store(), &coll.path, &r.user, false)?;
        return Ok(Response::builder()
            .status(StatusCode::NO_CONTENT)
            .body(DavBody::empty())
            .expect("valid response"));
    }
    access::check_write(r, &target)?;
    let cond = Conditionals::parse(&r.headers)?;
    match &target {
        Target::Object { coll, name, meta } => {
            if cond.if_match.is_some()
                && cond.if_none_match.is_some()
                && !cond.hold(meta.as_ref().map(|m| &m.etag))
            {
                return Err(DavError::PreconditionFailed(meta.as_ref().map(|m| m.etag)));
            }
            if cond.if_header.is_some() && !cond.hold(meta.as_ref().map(|m| &m.etag)) {
                return Err(DavError::PreconditionFailed(meta.as_ref().map(|m| m.etag)));
            }
            if crate::implicit::wants_delete(r, &reader, coll, name) {
                drop(reader);
                crate::implicit::delete(r, coll, name, &cond)?;
                return Ok(Response::builder()
                    .status(StatusCode::NO_CONTENT)
                    .body(DavBody::empty())
                    .expect("valid response"));
            }
            r.dav
                .store()
                .delete(&coll.path, name, cond.to_store())
                .map_err(|e| DavError::from_store(e, coll.kind, &|n| n.to_string()))?;
        }
        Target::Collection(coll) => {
            if let Some(d) = r.header("depth") {
                if !d.trim().eq_ignore_ascii_case("infinity") {
                    return Err(DavError::BadRequest(
                        "DELETE of a collection needs Depth: infinity".into(),
                    ));
                }
            }
            if !cond.hold(None) {
                return Err(DavError::PreconditionFailed(None));
            }
            r.dav
                .store()
                .delete_collection(&coll.path)
                .map_err(DavError::internal)?;
        }
        _ => return Err(DavError::MethodNotAllowed(super::options::ALLOW_VIRTUAL)),
    }
    Ok(Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(DavBody::empty())
        .expect("valid response"))
}
