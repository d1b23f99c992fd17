//! PROPFIND at Depth 0 and 1 (Depth infinity is refused, RFC 4918 §9.1). Listings of large
//! collections are written into the multistatus buffer response by response and handed out in
//! chunks.

use davlite_proto::headers::{Depth, ReturnPref, parse_brief, parse_prefer};
use davlite_proto::{Condition, MultistatusWriter, PropFind};
use davlite_store::{Collection, Reader};
use http::{Response, StatusCode, header};

use crate::DavBody;
use crate::access;
use crate::error::{DavError, DavResult};
use crate::plan::ObjectPlan;
use crate::props::{self, Res, Which};
use crate::request::{Req, ReqInfo};
use crate::resource::{ADDRESSBOOKS, CALENDARS, INBOX, OUTBOX, PRINCIPALS, Target};
use crate::stream::{self, WriteScanned};

/// Whether the client asked for a minimal answer (no 404 propstats).
pub fn minimal(r: &Req) -> bool {
    parse_brief(r.header("brief"))
        || parse_prefer(
            r.headers
                .get_all("prefer")
                .iter()
                .filter_map(|v| v.to_str().ok()),
        ) == ReturnPref::Minimal
}

pub fn multistatus(body: DavBody, minimal: bool) -> Response<DavBody> {
    let mut b = Response::builder()
        .status(StatusCode::MULTI_STATUS)
        .header(header::CONTENT_TYPE, "application/xml; charset=utf-8");
    if minimal {
        b = b.header("Preference-Applied", "return=minimal");
    }
    b.header(header::VARY, "Brief, Prefer")
        .body(body)
        .expect("valid response")
}

pub fn handle(r: &Req) -> DavResult<Response<DavBody>> {
    let depth = match r.header("depth") {
        None => Depth::Infinity,
        Some(v) => Depth::parse(v).map_err(|e| DavError::BadRequest(e.to_string()))?,
    };
    let req = PropFind::parse(&r.body).map_err(DavError::xml)?;
    let reader = r.dav.store().read().map_err(DavError::internal)?;
    let target = r.target(&reader)?;
    if !target.exists() {
        return Err(DavError::not_found());
    }
    access::check_read(r, &target)?;
    if depth == Depth::Infinity && target.is_collection() {
        return Err(DavError::forbidden(Condition::PropfindFiniteDepth));
    }
    let which = which_of(&req);
    let minimal = minimal(r);
    let mut w = MultistatusWriter::new();
    let res = Res::of(&target).ok_or_else(DavError::not_found)?;
    write_one(r, &reader, &mut w, &res, &which, minimal);
    if depth == Depth::One {
        match &target {
            Target::ServerRoot => {}
            Target::Root => {
                for top in [PRINCIPALS, CALENDARS, ADDRESSBOOKS] {
                    let res = match top {
                        PRINCIPALS => Some(Res::Principals),
                        _ => None,
                    };
                    if let Some(res) = res {
                        write_one(r, &reader, &mut w, &res, &which, minimal);
                    } else if let Some(c) = reader.collection(top).map_err(DavError::internal)? {
                        write_one(r, &reader, &mut w, &Res::Collection(&c), &which, minimal);
                    }
                }
            }
            Target::Principals => {
                write_one(
                    r,
                    &reader,
                    &mut w,
                    &Res::Principal(&r.user),
                    &which,
                    minimal,
                );
            }
            Target::Collection(coll) => {
                let coll = coll.clone();
                return Ok(multistatus(
                    members(r, reader, w, &coll, req, minimal)?,
                    minimal,
                ));
            }
            _ => {}
        }
    }
    Ok(multistatus(DavBody::Full(w.finish()), minimal))
}

fn write_one(
    r: &ReqInfo,
    reader: &Reader,
    w: &mut MultistatusWriter,
    res: &Res,
    which: &Which,
    minimal: bool,
) {
    write_at(r, reader, w, &res.href(r), res, which, minimal);
}

fn write_at(
    r: &ReqInfo,
    reader: &Reader,
    w: &mut MultistatusWriter,
    href: &str,
    res: &Res,
    which: &Which,
    minimal: bool,
) {
    let dead = props::dead(r, reader, res, which);
    let ps = props::propstats(r, reader, res, which, &dead, Vec::new(), minimal);
    w.response_propstat(href, &ps);
}

pub fn which_of(req: &PropFind) -> Which<'_> {
    match req {
        PropFind::Prop(names) => Which::Names(names),
        PropFind::AllProp { include } => Which::All(include),
        PropFind::PropName => Which::PropName,
    }
}

/// Child collections are written into the head; objects are streamed.
fn members(
    r: &Req,
    reader: Reader,
    mut w: MultistatusWriter,
    coll: &Collection,
    req: PropFind,
    minimal: bool,
) -> DavResult<DavBody> {
    let mut children = reader.children(&coll.path).map_err(DavError::internal)?;
    children.retain(|c| access::visible(r, c));
    // macOS Contacts uses the first address book of the home: keep the default one first.
    children.sort_by_key(|c| !c.path.ends_with("/default"));
    // A home also lists what other users share with its owner, after the owner's own.
    if coll.owner == r.user {
        children.extend(crate::share::shared_in(&reader, coll));
    }
    for c in &children {
        write_one(
            r,
            &reader,
            &mut w,
            &Res::Collection(c),
            &which_of(&req),
            minimal,
        );
    }
    // A calendar home lists its scheduling inbox and outbox (Evolution and Apple find them in
    // this listing), unless a collection of that name from before they existed stands there.
    if let Some(user) = coll
        .path
        .strip_prefix(CALENDARS)
        .and_then(|p| p.strip_prefix('/'))
        && !user.contains('/')
    {
        for (name, res) in [
            (INBOX, Res::ScheduleInbox(user)),
            (OUTBOX, Res::ScheduleOutbox(user)),
        ] {
            if !children
                .iter()
                .any(|c| c.path.rsplit('/').next() == Some(name))
            {
                write_one(r, &reader, &mut w, &res, &which_of(&req), minimal);
            }
        }
    }
    // The collection's href is encoded once; each member only appends its own name.
    let base = Res::Collection(coll).href(r);
    if let Some(mut plan) = ObjectPlan::new(r, &reader, coll, &which_of(&req), None, minimal) {
        let mut href = String::with_capacity(base.len() + 64);
        let prefix = base.clone();
        let write: WriteScanned = Box::new(move |_, _, w, name, obj| {
            href.clear();
            href.push_str(&prefix);
            crate::href::push_segment(&mut href, name);
            plan.write(w, &href, obj, None);
        });
        return Ok(stream::scanned(
            r, reader, w, &coll.path, &base, write, None,
        ));
    }
    let objects = reader.list(&coll.path).map_err(DavError::internal)?;
    let coll = coll.clone();
    let mut href = String::with_capacity(base.len() + 64);
    let write: crate::stream::WriteItem<(String, davlite_store::ObjectMeta)> =
        Box::new(move |info, reader, w, (name, meta)| {
            href.clear();
            href.push_str(&base);
            crate::href::push_segment(&mut href, &name);
            write_at(
                info,
                reader,
                w,
                &href,
                &Res::Object {
                    coll: &coll,
                    name: &name,
                    meta: &meta,
                },
                &which_of(&req),
                minimal,
            );
        });
    Ok(stream::members(r, reader, w, objects, write, None))
}
