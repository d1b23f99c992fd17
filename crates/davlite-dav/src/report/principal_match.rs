//! principal-match (RFC 3744 §9.3): which resources under the request-URI are the current user
//! (`DAV:self`), or name the current user's principal in a property (`DAV:principal-property`,
//! most often `DAV:owner`).
//!
//! The members looked at are principals and collections: an object's owner is its collection's,
//! so listing every object of a calendar would only repeat what the collection says, at the
//! cost of the whole listing.

use davlite_proto::{MultistatusWriter, PrincipalMatch, PrincipalMatchKind, PropContent};
use davlite_store::{Collection, Reader};

use crate::DavBody;
use crate::access;
use crate::error::{DavError, DavResult};
use crate::props::{self, Res, Which};
use crate::request::ReqInfo;
use crate::resource::{ADDRESSBOOKS, CALENDARS};

/// Collections below `path` the user may see, depth first.
fn descendants(r: &ReqInfo, reader: &Reader, path: &str, out: &mut Vec<Collection>) {
    let Ok(kids) = reader.children(path) else {
        return;
    };
    for k in kids {
        if access::visible(r, &k) {
            let p = k.path.clone();
            out.push(k);
            descendants(r, reader, &p, out);
        }
    }
}

pub fn run(
    r: &ReqInfo,
    reader: &Reader,
    res: &Res,
    req: &PrincipalMatch,
    minimal: bool,
) -> DavResult<DavBody> {
    let me = r.principal_href();
    let mut colls: Vec<Collection> = Vec::new();
    let mut principals: Vec<&str> = Vec::new();
    match res {
        Res::ServerRoot | Res::Root => {
            principals.push(&r.user);
            for top in [CALENDARS, ADDRESSBOOKS] {
                descendants(r, reader, top, &mut colls);
            }
        }
        Res::Principals => principals.push(&r.user),
        Res::Principal(u) => principals.push(u),
        Res::Collection(c) => {
            colls.push((*c).clone());
            descendants(r, reader, &c.path, &mut colls);
        }
        _ => {}
    }
    let mut candidates: Vec<Res> = principals.into_iter().map(Res::Principal).collect();
    candidates.extend(colls.iter().map(Res::Collection));
    let names = &req.props;
    let mut w = MultistatusWriter::new();
    for c in &candidates {
        let hit = match &req.kind {
            PrincipalMatchKind::Myself => matches!(c, Res::Principal(u) if *u == r.user),
            PrincipalMatchKind::Property(p) => match props::live(r, reader, c, p) {
                Some(PropContent::Hrefs(hrefs)) => hrefs.iter().any(|h| *h == me),
                _ => false,
            },
        };
        if hit {
            let ps = props::propstats(r, reader, c, &Which::Names(names), &[], Vec::new(), minimal);
            w.response_propstat(&c.href(r), &ps);
        }
    }
    Ok(DavBody::Full(w.finish()))
}

/// RFC 3744 §9.3 defines the report for `Depth: 0` only.
pub fn check_depth(depth: Option<&str>) -> DavResult<()> {
    match depth.map(str::trim) {
        None | Some("0") => Ok(()),
        Some(d) => Err(DavError::BadRequest(format!(
            "principal-match is defined for Depth: 0 only, not {d:?}"
        ))),
    }
}
