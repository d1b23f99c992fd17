//! COPY and MOVE (RFC 4918 §9.8, §9.9) of objects and whole collections. Source and destination
//! change in one store transaction; the destination's rules (kind, UID uniqueness, limits) are
//! checked in it.

use davlite_proto::headers::{Destination, parse_overwrite};
use davlite_store::StoreError;
use http::{Response, StatusCode};

use crate::DavBody;
use crate::access;
use crate::cond::Conditionals;
use crate::error::{DavError, DavResult};
use crate::href::HrefError;
use crate::request::Req;
use crate::resource::{self, Target};

const INTO_ITSELF: &str = "a collection cannot be copied or moved into itself";

pub fn handle(r: &Req) -> DavResult<Response<DavBody>> {
    let is_move = r.method.as_str() == "MOVE";
    let dest_raw = r
        .header("destination")
        .ok_or_else(|| DavError::BadRequest("Destination header missing".into()))?;
    let dest = Destination::parse(dest_raw).map_err(|e| DavError::BadRequest(e.to_string()))?;
    if let (Some(a), Some(own)) = (&dest.authority, &r.authority) {
        if !a.eq_ignore_ascii_case(own) {
            return Err(DavError::ForeignDestination);
        }
    }
    let decoded = match r.decode_href(&dest.path) {
        Ok(d) => d,
        Err(HrefError::Foreign) => return Err(DavError::ForeignDestination),
        Err(HrefError::Hostile(why)) => {
            return Err(DavError::BadRequest(format!("refused Destination: {why}")));
        }
    };
    let overwrite =
        parse_overwrite(r.header("overwrite")).map_err(|e| DavError::BadRequest(e.to_string()))?;

    let reader = r.dav.store().read().map_err(DavError::internal)?;
    let source = r.target(&reader)?;
    if !source.exists() {
        return Err(DavError::not_found());
    }
    let dest_target = resource::resolve(&reader, &decoded.segments).map_err(DavError::internal)?;
    drop(reader);
    access::check_read(r, &source)?;
    if is_move {
        access::check_write(r, &source)?;
    }
    access::check_write(r, &dest_target)?;
    if source.segments() == dest_target.segments() {
        return Err(DavError::Forbidden(
            "the source and the destination are the same resource",
        ));
    }
    let cond = Conditionals::parse(&r.headers)?;
    let src_etag = match &source {
        Target::Object { meta, .. } => meta.as_ref().map(|m| m.etag),
        _ => None,
    };
    if (cond.if_header.is_some()
        || cond.if_none_match.is_some()
        || matches!(source, Target::Collection(_)))
        && !cond.hold(src_etag.as_ref())
    {
        return Err(DavError::PreconditionFailed(src_etag));
    }
    let dest_existed = dest_target.exists();
    if dest_existed && !overwrite {
        return Err(DavError::PreconditionFailed(None));
    }
    let depth = r.header("depth").map(|d| d.trim().to_ascii_lowercase());

    match (&source, &dest_target) {
        (_, Target::Missing { .. }) => Err(DavError::MissingParent),
        (
            Target::Object { coll, name, .. },
            Target::Object {
                coll: dcoll,
                name: dname,
                ..
            },
        ) => {
            let dk = dcoll.kind;
            let holder = |n: &str| r.member_href(&dcoll.path, n);
            let pre = if cond.if_match.is_some() {
                cond.to_store()
            } else {
                davlite_store::Precondition::None
            };
            let res = if is_move {
                r.dav
                    .store()
                    .move_object((&coll.path, name), (&dcoll.path, dname), overwrite, pre)
            } else {
                r.dav
                    .store()
                    .copy((&coll.path, name), (&dcoll.path, dname), overwrite, pre)
            };
            let out = res.map_err(|e| match e {
                // Without If-Match the only conditional is Overwrite: F, and the ETag of the
                // destination is not the client's business.
                StoreError::PreconditionFailed { .. } if cond.if_match.is_none() => {
                    DavError::PreconditionFailed(None)
                }
                e => DavError::from_store(e, dk, &holder),
            })?;
            Ok(super::put::stored(&out))
        }
        (Target::Collection(c), dest) => {
            match depth.as_deref() {
                None | Some("infinity") => {}
                Some("0") if !is_move => {}
                _ => {
                    return Err(DavError::BadRequest(
                        "Depth must be infinity (or 0 for COPY)".into(),
                    ));
                }
            }
            if let Target::Collection(d) = dest {
                if d.path.starts_with(&format!("{}/", c.path)) {
                    return Err(DavError::Forbidden(INTO_ITSELF));
                }
            }
            let to = dest.segments().join("/");
            if to.starts_with(&format!("{}/", c.path)) {
                return Err(DavError::Forbidden(INTO_ITSELF));
            }
            // The sharees' bindings name the collection's path: a shared collection is unshared
            // before it moves, rather than silently lost from the sharees' homes.
            if is_move && crate::share::is_shared(c) {
                return Err(crate::share::valid_request(format!(
                    "{} is shared; end its shares before moving it",
                    c.path
                )));
            }
            let shallow = depth.as_deref() == Some("0");
            let res = if is_move {
                r.dav.store().move_collection(&c.path, &to, overwrite)
            } else if shallow {
                shallow_copy(r, c, &to, dest.exists())
            } else {
                r.dav.store().copy_collection(&c.path, &to, overwrite)
            };
            let created = res.map_err(|e| match e {
                StoreError::WrongKind { .. } => DavError::location(c.kind),
                StoreError::AlreadyExists => DavError::PreconditionFailed(None),
                e => DavError::from_store(e, c.kind, &|n| n.to_string()),
            })?;
            // A copy is a new collection: the original's sharees get nothing of it.
            if !is_move {
                crate::share::forget_grants(r.dav.store(), c, &to)?;
            }
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::NO_CONTENT
            };
            Ok(Response::builder()
                .status(status)
                .body(DavBody::empty())
                .expect("valid response"))
        }
        (Target::Object { coll, name, .. }, Target::Collection(d)) => {
            // Overwriting a collection with an object (Overwrite: T, checked above): the
            // collection goes, then the object takes its name in the parent.
            let (parent, dname) = d.path.rsplit_once('/').ok_or(DavError::Forbidden(
                "a top-level collection cannot be replaced",
            ))?;
            r.dav
                .store()
                .delete_collection(&d.path)
                .map_err(DavError::internal)?;
            let res = if is_move {
                r.dav.store().move_object(
                    (&coll.path, name),
                    (parent, dname),
                    true,
                    davlite_store::Precondition::None,
                )
            } else {
                r.dav.store().copy(
                    (&coll.path, name),
                    (parent, dname),
                    true,
                    davlite_store::Precondition::None,
                )
            };
            res.map_err(|e| DavError::from_store(e, coll.kind, &|n| n.to_string()))?;
            Ok(Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(DavBody::empty())
                .expect("valid response"))
        }
        _ => Err(DavError::Forbidden(
            "a collection cannot replace an object or take an object's place",
        )),
    }
}

/// COPY with Depth 0: the collection and its properties, none of its members.
fn shallow_copy(
    r: &Req,
    c: &davlite_store::Collection,
    to: &str,
    replace: bool,
) -> Result<bool, StoreError> {
    if replace {
        r.dav.store().delete_collection(to)?;
    }
    let new = davlite_store::NewCollection {
        kind: c.kind,
        owner: r.user.clone(),
        limits: c.limits,
        props: c
            .props
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    r.dav.store().create_collection(to, new)?;
    Ok(!replace)
}
