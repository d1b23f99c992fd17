//! calendar-multiget and addressbook-multiget (RFC 4791 §7.9, RFC 6352 §8.7): one response per
//! requested href, spelled exactly as the client sent it; unknown or foreign hrefs get 404.

use davlite_proto::{MultistatusWriter, PropRequest};
use davlite_store::Reader;

use super::data::write_object;
use crate::DavBody;
use crate::error::{DavResult, MemberError};
use crate::props::Res;
use crate::request::Req;
use crate::stream::{self, WriteItem};

pub fn run(
    r: &Req,
    reader: Reader,
    res: &Res,
    props: PropRequest,
    hrefs: Vec<String>,
    minimal: bool,
) -> DavResult<DavBody> {
    let w = MultistatusWriter::new();
    let coll = match res {
        Res::Collection(c) => (*c).clone(),
        Res::Object { coll, .. } => (*coll).clone(),
        _ => return Ok(DavBody::Full(w.finish())),
    };
    let mut plan = super::data::plan(r, &reader, &coll, &props, minimal);
    let write: WriteItem<String> = Box::new(move |info, reader, w, href| {
        let coll_segs: Vec<&str> = coll.path.split('/').collect();
        let found = info
            .dav
            .mounts()
            .decode_href(&href, info.forwarded.as_deref())
            .ok()
            .and_then(|d| {
                let segs = d.segments;
                (segs.len() == coll_segs.len() + 1
                    && segs[..coll_segs.len()]
                        .iter()
                        .zip(&coll_segs)
                        .all(|(a, b)| a == b))
                .then(|| segs[segs.len() - 1].clone())
            });
        let Some(name) = found else {
            MemberError::Missing.write(w, &href);
            return;
        };
        if let Some(plan) = plan.as_mut() {
            // One lookup, the body borrowed from the store's page and escaped straight into
            // the answer.
            let written = reader.with_object(&coll.path, &name, |obj, body| {
                plan.write(w, &href, obj, Some(body))
            });
            match written {
                Ok(Some(())) => {}
                Ok(None) => MemberError::Missing.write(w, &href),
                Err(_) => MemberError::Unreadable.write(w, &href),
            }
            return;
        }
        match reader.meta(&coll.path, &name) {
            Ok(Some(meta)) => write_object(
                info, reader, w, &href, &coll, &name, &meta, None, &props, None, minimal,
            ),
            Ok(None) => MemberError::Missing.write(w, &href),
            Err(_) => MemberError::Unreadable.write(w, &href),
        }
    });
    Ok(stream::members(r, reader, w, hrefs, write, None))
}
