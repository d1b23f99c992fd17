//! GET and HEAD: objects byte-exact with their validators; a calendar or address book as one
//! document (subscription and backup); a short text page for the virtual resources.

use bytes::Bytes;
use davlite_proto::Condition;
use davlite_store::{Collection, CollectionKind};
use http::{Method, Response, StatusCode, header};

use crate::DavBody;
use crate::access;
use crate::cond::Conditionals;
use crate::error::{DavError, DavResult, quote_etag};
use crate::props::http_date;
use crate::request::Req;
use crate::resource::Target;

pub fn handle(r: &Req) -> DavResult<Response<DavBody>> {
    let reader = r.dav.store().read().map_err(DavError::internal)?;
    let target = r.target(&reader)?;
    if !target.exists() {
        return Err(DavError::not_found());
    }
    access::check_read(r, &target)?;
    let head = r.method == Method::HEAD;
    match &target {
        Target::Object { coll, name, .. } => {
            let Some((meta, body)) = reader.get(&coll.path, name).map_err(DavError::internal)?
            else {
                return Err(DavError::not_found());
            };
            let cond = Conditionals::parse(&r.headers)?;
            let etag = quote_etag(&meta.etag);
            if let Some(m) = &cond.if_match {
                if !m.matches_strong(Some(&davlite_proto::headers::EntityTag::strong(
                    meta.etag.to_string(),
                ))) {
                    return Err(DavError::PreconditionFailed(Some(meta.etag)));
                }
            }
            if let Some(n) = &cond.if_none_match {
                if n.matches_weak(Some(&davlite_proto::headers::EntityTag::strong(
                    meta.etag.to_string(),
                ))) {
                    return Ok(Response::builder()
                        .status(StatusCode::NOT_MODIFIED)
                        .header(header::ETAG, etag)
                        .body(DavBody::empty())
                        .expect("valid response"));
                }
            }
            let mut content_type = meta.content_type;
            let body = match accepted_card_version(r.header("accept"), &body, coll.kind) {
                Ok(None) => body,
                Ok(Some(v)) => match davlite_formats::convert_vcard(&body, v) {
                    Ok(card) => {
                        content_type = "text/vcard; charset=utf-8".into();
                        card.into_owned()
                    }
                    Err(_) => return Err(not_acceptable()),
                },
                Err(()) => return Err(not_acceptable()),
            };
            let len = body.len();
            let mut resp = Response::builder();
            // RFC 6638 §3.2.10: GET of a scheduling object names its Schedule-Tag.
            if coll.kind == davlite_store::CollectionKind::Calendar
                && let Some(t) = crate::implicit::schedule_tag(&reader, &coll.path, name)
            {
                resp = resp.header("Schedule-Tag", format!("\"{t}\""));
            }
            Ok(resp
                .status(StatusCode::OK)
                .header(header::ETAG, etag)
                .header(header::LAST_MODIFIED, http_date(meta.modified))
                .header(header::CONTENT_TYPE, content_type)
                .header(header::CONTENT_LENGTH, len)
                .body(if head {
                    DavBody::empty()
                } else {
                    DavBody::Full(Bytes::from(body))
                })
                .expect("valid response"))
        }
        Target::Collection(coll) => collection_document(r, &reader, coll, head),
        _ => {
            let text = format!("davlite: DAV root for {}\n", r.user);
            Ok(Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
                .header(header::CONTENT_LENGTH, text.len())
                .body(if head {
                    DavBody::empty()
                } else {
                    DavBody::Full(Bytes::from(text))
                })
                .expect("valid response"))
        }
    }
}

/// Whether an `Accept` header allows the stored vCard version (we do not convert versions).
fn not_acceptable() -> DavError {
    DavError::NotAcceptable(Condition::SupportedAddressDataConversion)
}

/// The vCard version to serve a card in, from `Accept` (RFC 6352 §6.3.2.1 with RFC 6350's
/// `version` parameter): `None` to serve it as stored, `Some(v)` to convert it, `Err` when the
/// client accepts no vCard version we can produce (406). The stored version wins whenever it is
/// acceptable.
fn accepted_card_version(
    accept: Option<&str>,
    body: &[u8],
    kind: CollectionKind,
) -> Result<Option<davlite_formats::VCardVersion>, ()> {
    use davlite_formats::VCardVersion;
    let Some(accept) = accept.filter(|_| kind == CollectionKind::AddressBook) else {
        return Ok(None);
    };
    let stored = davlite_formats::card_version(body);
    let mut other = None;
    let mut saw_vcard = false;
    for item in accept.split(',') {
        let m = crate::media::parse(item);
        match m.essence.as_str() {
            "*/*" | "text/*" => return Ok(None),
            "text/vcard" | "text/x-vcard" => {
                saw_vcard = true;
                let wanted = match m.version.as_deref().map(str::trim) {
                    None => return Ok(None),
                    Some("3.0") => VCardVersion::V30,
                    Some("4.0") => VCardVersion::V40,
                    Some(_) => continue,
                };
                if Some(wanted) == stored {
                    return Ok(None);
                }
                other = other.or(Some(wanted));
            }
            _ => {}
        }
    }
    match other {
        Some(v) => Ok(Some(v)),
        None if !saw_vcard && !accept.contains("vcard") => Ok(None),
        None => Err(()),
    }
}

/// A calendar as one iCalendar document (components of every object, time zones once), an
/// address book as its vCards one after another, a plain collection as a list of names.
fn collection_document(
    r: &Req,
    reader: &davlite_store::Reader,
    coll: &Collection,
    head: bool,
) -> DavResult<Response<DavBody>> {
    let list = reader.list(&coll.path).map_err(DavError::internal)?;
    let mut out: Vec<u8> = Vec::new();
    let content_type = match coll.kind {
        CollectionKind::Calendar => {
            out.extend_from_slice(
                b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite//davlite//EN\r\n",
            );
            let mut tzids: Vec<Vec<u8>> = Vec::new();
            for (name, _) in &list {
                if let Some((_, body)) = reader.get(&coll.path, name).map_err(DavError::internal)? {
                    append_components(&body, &mut out, &mut tzids);
                }
            }
            out.extend_from_slice(b"END:VCALENDAR\r\n");
            "text/calendar; charset=utf-8"
        }
        CollectionKind::AddressBook => {
            for (name, _) in &list {
                if let Some((_, body)) = reader.get(&coll.path, name).map_err(DavError::internal)? {
                    out.extend_from_slice(&body);
                    if !body.ends_with(b"\n") {
                        out.extend_from_slice(b"\r\n");
                    }
                }
            }
            "text/vcard; charset=utf-8"
        }
        _ => {
            for child in reader.children(&coll.path).map_err(DavError::internal)? {
                if access::visible(r, &child) {
                    out.extend_from_slice(child.path.rsplit('/').next().unwrap_or("").as_bytes());
                    out.extend_from_slice(b"/\n");
                }
            }
            for (name, _) in &list {
                out.extend_from_slice(name.as_bytes());
                out.push(b'\n');
            }
            "text/plain; charset=utf-8"
        }
    };
    let etag = format!("\"{}-{}\"", coll.id.0, coll.seq);
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ETAG, etag)
        .header(header::LAST_MODIFIED, http_date(coll.modified))
        .header(header::CONTENT_LENGTH, out.len())
        .body(if head {
            DavBody::empty()
        } else {
            DavBody::Full(Bytes::from(out))
        })
        .expect("valid response"))
}

/// Copies the components inside one object's VCALENDAR, skipping its calendar-level properties
/// and any VTIMEZONE whose TZID was already written.
fn append_components(body: &[u8], out: &mut Vec<u8>, tzids: &mut Vec<Vec<u8>>) {
    let lines: Vec<&[u8]> = split_lines_keep(body);
    let mut depth = 0usize;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let upper = trim_eol(line).to_ascii_uppercase();
        if upper.starts_with(b"BEGIN:") {
            depth += 1;
            if depth == 2 && upper == b"BEGIN:VTIMEZONE" {
                // Find its TZID and end; skip the whole block if seen.
                let start = i;
                let mut d = 0usize;
                let mut tzid = Vec::new();
                let mut j = i;
                while j < lines.len() {
                    let u = trim_eol(lines[j]).to_ascii_uppercase();
                    if u.starts_with(b"BEGIN:") {
                        d += 1;
                    } else if u.starts_with(b"END:") {
                        d -= 1;
                        if d == 0 {
                            break;
                        }
                    } else if d == 1 && u.starts_with(b"TZID") {
                        tzid = u.clone();
                    }
                    j += 1;
                }
                let end = j.min(lines.len() - 1);
                if !tzids.contains(&tzid) {
                    tzids.push(tzid);
                    for l in &lines[start..=end] {
                        push_line(out, l);
                    }
                }
                i = end + 1;
                depth -= 1;
                continue;
            }
        }
        let is_end = upper.starts_with(b"END:");
        if depth >= 2 {
            push_line(out, line);
        }
        if is_end {
            depth = depth.saturating_sub(1);
        }
        i += 1;
    }
}

fn split_lines_keep(b: &[u8]) -> Vec<&[u8]> {
    let mut v = Vec::new();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' {
            v.push(&b[start..=i]);
            start = i + 1;
        }
    }
    if start < b.len() {
        v.push(&b[start..]);
    }
    v
}

fn trim_eol(l: &[u8]) -> &[u8] {
    let mut l = l;
    while let [rest @ .., b'\r' | b'\n'] = l {
        l = rest;
    }
    l
}

fn push_line(out: &mut Vec<u8>, l: &[u8]) {
    out.extend_from_slice(trim_eol(l));
    out.extend_from_slice(b"\r\n");
}
