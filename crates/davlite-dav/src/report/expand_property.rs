//! expand-property (RFC 3253 §3.8), as clients use it for principal discovery: each requested
//! property whose value is a set of hrefs is answered with the responses of those resources.

use davlite_proto::{Elem, ExpandItem, MultistatusWriter, Prop, PropContent, PropStat, QName};
use davlite_store::Reader;
use http::StatusCode;

use crate::DavBody;
use crate::error::{DavResult, MemberError, PropError};
use crate::props::{self, Res};
use crate::request::Req;
use crate::resource;

pub fn run(r: &Req, reader: &Reader, res: &Res, tree: &[ExpandItem]) -> DavResult<DavBody> {
    let mut w = MultistatusWriter::new();
    let (found, missing) = expand(r, reader, res, tree, 0);
    let mut ps = vec![PropStat::ok(found)];
    if !missing.is_empty() {
        ps.push(PropStat::new(
            PropError::Missing.status(),
            missing.into_iter().map(Prop::empty).collect(),
        ));
    }
    w.response_propstat(&res.href(r), &ps);
    Ok(DavBody::Full(w.finish()))
}

fn expand(
    r: &Req,
    reader: &Reader,
    res: &Res,
    items: &[ExpandItem],
    depth: usize,
) -> (Vec<Prop<'static>>, Vec<QName>) {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for item in items {
        let Some(value) = props::live(r, reader, res, &item.name) else {
            missing.push(item.name.clone());
            continue;
        };
        match value {
            PropContent::Hrefs(hrefs) if !item.children.is_empty() && depth < 3 => {
                let mut responses = Vec::new();
                for h in hrefs {
                    responses.push(nested_response(r, reader, &h, &item.children, depth + 1));
                }
                found.push(Prop::new(
                    item.name.clone(),
                    PropContent::Elements(responses),
                ));
            }
            v => found.push(Prop::new(item.name.clone(), v)),
        }
    }
    (found, missing)
}

fn status_elem(code: StatusCode) -> Elem<'static> {
    Elem::text(
        QName::dav("status"),
        format!(
            "HTTP/1.1 {} {}",
            code.as_str(),
            code.canonical_reason().unwrap_or("")
        ),
    )
}

fn nested_response(
    r: &Req,
    reader: &Reader,
    href: &str,
    items: &[ExpandItem],
    depth: usize,
) -> Elem<'static> {
    let mut resp =
        Elem::empty(QName::dav("response")).child(Elem::text(QName::dav("href"), href.to_string()));
    let target = r
        .decode_href(href)
        .ok()
        .and_then(|d| resource::resolve(reader, &d.segments).ok());
    let Some(target) = target else {
        return resp.child(status_elem(MemberError::Missing.status()));
    };
    let Some(res) = Res::of(&target) else {
        return resp.child(status_elem(MemberError::Missing.status()));
    };
    if crate::access::check_read(r, &target).is_err() {
        return resp.child(status_elem(MemberError::Forbidden.status()));
    }
    let (found, missing) = expand(r, reader, &res, items, depth);
    let to_elem = |p: Prop<'static>| prop_elem(p);
    let mut ok = Elem::empty(QName::dav("prop"));
    for p in found {
        ok = ok.child(to_elem(p));
    }
    resp = resp.child(
        Elem::empty(QName::dav("propstat"))
            .child(ok)
            .child(status_elem(StatusCode::OK)),
    );
    if !missing.is_empty() {
        let mut nf = Elem::empty(QName::dav("prop"));
        for m in missing {
            nf = nf.child(Elem::empty(m));
        }
        resp = resp.child(
            Elem::empty(QName::dav("propstat"))
                .child(nf)
                .child(status_elem(PropError::Missing.status())),
        );
    }
    resp
}

fn prop_elem(p: Prop<'static>) -> Elem<'static> {
    let e = Elem::empty(p.name);
    match p.value {
        PropContent::Text(t) => Elem { text: Some(t), ..e },
        PropContent::Hrefs(hs) => hs
            .into_iter()
            .fold(e, |e, h| e.child(Elem::text(QName::dav("href"), h))),
        PropContent::Elements(es) => es.into_iter().fold(e, |e, c| e.child(c)),
        _ => e,
    }
}
