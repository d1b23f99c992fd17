//! calendar-multiget and addressbook-multiget (RFC 4791 §7.9, RFC 6352 §8.7): one response per
//! requested href, spelled exactly as the client sent it; unknown or foreign hrefs get 404.

use davlite_proto::{MultistatusWriter, PropRequest};
use davlite_store::Reader;

use super::data::write_object;
use crate::DavBody;
use crate::error::{DavResult, MemberError};
use crate::props::Res;
use crate::request::{Req, ReqInfo};
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
    let path = coll.path.clone();
    let write: WriteItem<String> = Box::new(move |info, reader, w, href| {
        let Some(name) = member_name(info, &coll.path, &href) else {
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
    let prefetch: stream::Prefetch<String> = Box::new(move |info, reader, hrefs| {
        let names: Vec<String> = hrefs
            .iter()
            .filter_map(|h| member_name(info, &path, h))
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        reader.prefetch(&path, &names);
    });
    Ok(stream::members_prefetched(
        r,
        reader,
        w,
        hrefs,
        write,
        None,
        Some(prefetch),
    ))
}

/// The member name `href` addresses directly inside the collection at store path `coll`, or
/// `None` (another collection, a foreign or undecodable href).
fn member_name(info: &ReqInfo, coll: &str, href: &str) -> Option<String> {
    let decoded = info.decode_href(href).ok()?;
    let segs = decoded.segments;
    let coll_segs: Vec<&str> = coll.split('/').collect();
    (segs.len() == coll_segs.len() + 1
        && segs[..coll_segs.len()]
            .iter()
            .zip(&coll_segs)
            .all(|(a, b)| a == b))
    .then(|| segs[segs.len() - 1].clone())
}
