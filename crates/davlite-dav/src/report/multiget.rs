//! calendar-multiget and addressbook-multiget (RFC 4791 §7.9, RFC 6352 §8.7): one response per
//! requested href, spelled exactly as the client sent it; unknown or foreign hrefs get 404.

use davlite_proto::{MultistatusWriter, PropRequest};
use davlite_store::Reader;
use http::StatusCode;

use super::data::write_object;
use crate::error::DavResult;
use crate::props::Res;
use crate::request::Req;
use crate::DavBody;

pub fn run(r: &Req, reader: &Reader, res: &Res, props: &PropRequest, hrefs: &[String], minimal: bool) -> DavResult<DavBody> {
    let mut w = MultistatusWriter::new();
    let coll = match res {
        Res::Collection(c) => *c,
        Res::Object { coll, .. } => *coll,
        _ => return Ok(DavBody::Full(w.finish())),
    };
    let coll_segs: Vec<&str> = coll.path.split('/').collect();
    let fwd = r.forwarded();
    for href in hrefs {
        let found = r.dav.mounts().decode_href(href, fwd.as_deref()).ok().and_then(|d| {
            let segs = d.segments;
            (segs.len() == coll_segs.len() + 1 && segs[..coll_segs.len()].iter().zip(&coll_segs).all(|(a, b)| a == b))
                .then(|| segs[segs.len() - 1].clone())
        });
        let Some(name) = found else {
            w.response_status(href, StatusCode::NOT_FOUND, None);
            continue;
        };
        match reader.get(&coll.path, &name).map_err(crate::error::DavError::internal)? {
            Some((meta, body)) => write_object(r, reader, &mut w, href, coll, &name, &meta, Some(&body), props, minimal)?,
            None => w.response_status(href, StatusCode::NOT_FOUND, None),
        }
    }
    Ok(DavBody::Full(w.finish()))
}
