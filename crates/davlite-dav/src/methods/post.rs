//! POST: a scheduling outbox takes free-busy requests (see `crate::schedule`); an owned calendar
//! or address book takes `CS:share`, and a user's home `CS:invite-reply` (CalendarServer
//! sharing, see `crate::share`), so collections list POST in Allow and answer a body that is not
//! XML with 415; everything else answers 405 with what it does allow.

use bytes::Bytes;
use davlite_proto::{Condition, Elem, QName, SharePost, xml_document};
use http::{Response, StatusCode, header};

use crate::DavBody;
use crate::error::{DavError, DavResult};
use crate::request::Req;
use crate::resource::Target;
use crate::share::{self, Access, Grant, valid_request};

pub fn handle(r: &Req) -> DavResult<Response<DavBody>> {
    let reader = r.dav.store().read().map_err(DavError::internal)?;
    let target = r.target(&reader)?;
    drop(reader);
    match &target {
        Target::Collection(_) => {
            let essence = crate::media::parse(r.header("content-type").unwrap_or("")).essence;
            if essence != "application/xml" && essence != "text/xml" {
                return Err(DavError::UnsupportedBody);
            }
            sharing(r, &target)
        }
        _ => {
            let reader = r.dav.store().read().map_err(DavError::internal)?;
            crate::schedule::post(r, &reader, &target)
        }
    }
}

fn sharing(r: &Req, target: &Target) -> DavResult<Response<DavBody>> {
    let Target::Collection(coll) = target else {
        return Err(DavError::not_found());
    };
    let post = SharePost::parse(&r.body).map_err(DavError::xml)?;
    match post {
        SharePost::Share { set, remove } => {
            if coll.owner != r.user {
                crate::access::check_read(r, target)?;
                return Err(DavError::need_privilege(
                    target.href(&r.prefix),
                    QName::dav("share"),
                ));
            }
            // Every sharee is resolved before anything is written.
            let user_of = |href: &str| {
                crate::schedule::local_user(r, href)
                    .ok_or_else(|| valid_request(format!("{href} is not a user of this server")))
            };
            let mut grants = Vec::new();
            for s in &set {
                let u = user_of(&s.href)?;
                if u == coll.owner {
                    return Err(valid_request(format!("{} is the owner", s.href)));
                }
                let mut g = Grant::new(
                    &u,
                    if s.read_write {
                        Access::ReadWrite
                    } else {
                        Access::Read
                    },
                );
                g.common_name = s.common_name.clone().unwrap_or_default();
                g.summary = s.summary.clone().unwrap_or_default();
                grants.push(g);
            }
            let removes = remove
                .iter()
                .map(|h| user_of(h))
                .collect::<DavResult<Vec<_>>>()?;
            // One transaction for the whole request: all of it happens or none.
            share::update(r.dav.store(), &coll.path, grants, &removes)?;
            Ok(Response::builder()
                .status(StatusCode::OK)
                .body(DavBody::empty())
                .expect("valid response"))
        }
        SharePost::InviteReply {
            accepted, host_url, ..
        } => {
            // Posted to the sharee's own home.
            let segs: Vec<&str> = coll.path.split('/').collect();
            if segs.len() != 2 || coll.owner != r.user {
                return Err(valid_request(
                    "an invite-reply is posted to the sharee's home".into(),
                ));
            }
            let host = r
                .decode_href(&host_url)
                .map_err(|_| invalid_share(&host_url))?
                .segments
                .join("/");
            if !share::answer(r.dav.store(), &host, &r.user, accepted)? {
                return Err(invalid_share(&host_url));
            }
            if !accepted {
                return Ok(Response::builder()
                    .status(StatusCode::NO_CONTENT)
                    .body(DavBody::empty())
                    .expect("valid response"));
            }
            let hsegs: Vec<&str> = host.split('/').collect();
            let root = Elem::empty(QName::calserver("shared-as"))
                .child(Elem::text(QName::dav("href"), r.href_of(&hsegs, true)));
            let body: Bytes = xml_document(&root);
            Ok(Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/xml; charset=utf-8")
                .body(DavBody::Full(body))
                .expect("valid response"))
        }
    }
}

/// 403 `CS:invalid-share`: a reply to a share the user does not hold.
fn invalid_share(href: &str) -> DavError {
    DavError::Refused(
        Condition::Other(QName::calserver("invalid-share")),
        format!("no share of {href} to answer"),
    )
}
