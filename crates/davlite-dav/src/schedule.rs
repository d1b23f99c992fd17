//! The scheduling outbox (RFC 6638 §2.1, §5): a POST of a VFREEBUSY REQUEST asks for the busy
//! time of each ATTENDEE, answered as a `C:schedule-response` with one `C:response` each.
//!
//! Only the outbox's owner may POST to it, and the request's ORGANIZER, when present, must be
//! one of the owner's addresses (compared without regard to case: Thunderbird lower-cases).
//! An attendee that is a user of this server gets `2.0;Success` and a VFREEBUSY REPLY over all
//! of their calendars except those marked `schedule-calendar-transp` transparent (RFC 6638
//! §9.1); events marked TRANSP:TRANSPARENT or cancelled never count. Anyone else gets
//! `3.7;Invalid calendar user`: delivery outside the server (iMIP) is not done.
//!
//! Each `C:response` holds exactly `recipient`, `request-status` and, on success,
//! `calendar-data`: python-caldav refuses any other child.

use davlite_formats::{BusyPeriod, FreeBusyError, FreeBusyRequest, render_free_busy_reply};
use davlite_proto::{BodyCondition, Condition, Elem, QName, xml_document};
use davlite_store::{CollectionKind, Reader};
use http::{Response, StatusCode, header};

use crate::DavBody;
use crate::error::{DavError, DavResult};
use crate::report::freebusy::{calendar_busy, now};
use crate::request::Req;
use crate::resource::{CALENDARS, PRINCIPALS, Target};

/// Whether the calendar's owner marked it as not counting for free-busy (RFC 6638 §9.1:
/// `<C:schedule-calendar-transp><C:transparent/></C:schedule-calendar-transp>`).
fn is_transparent(coll: &davlite_store::Collection) -> bool {
    let name = QName::caldav("schedule-calendar-transp");
    coll.props
        .get(&name.to_clark())
        .and_then(|xml| davlite_proto::PropValue::from_xml(xml).ok())
        .is_some_and(|(_, v)| v.child_names().contains(&QName::caldav("transparent")))
}

/// The local user a calendar user address names: a directory e-mail address, or the URL of a
/// principal of this server (absolute or path, under any mount).
pub(crate) fn local_user(r: &Req, addr: &str) -> Option<String> {
    let dir = r.dav.directory();
    if let Some(p) = dir.by_address(addr) {
        return Some(p.name.clone());
    }
    let d = r
        .dav
        .mounts()
        .decode_href(addr, r.forwarded().as_deref())
        .ok()?;
    match d.segments.as_slice() {
        [p, u] if p == PRINCIPALS && (dir.get(u).is_some() || *u == r.user) => Some(u.clone()),
        _ => None,
    }
}

/// Busy time of `user` over all their calendars that count for free-busy.
fn user_busy(
    reader: &Reader,
    user: &str,
    req: &FreeBusyRequest,
) -> DavResult<Result<Vec<BusyPeriod>, FreeBusyError>> {
    let home = format!("{CALENDARS}/{user}");
    // A user who never logged in has no home yet: no calendars, so no busy time.
    let calendars = match reader.children(&home) {
        Ok(c) => c,
        Err(davlite_store::StoreError::NotFound) => Vec::new(),
        Err(e) => return Err(DavError::internal(e)),
    };
    let mut all = Vec::new();
    for c in calendars
        .iter()
        .filter(|c| c.kind == CollectionKind::Calendar && !is_transparent(c))
    {
        match calendar_busy(reader, c, req.start, req.end, req.mask_uid.as_deref())? {
            Ok(p) => all.extend(p),
            Err(e) => return Ok(Err(e)),
        }
    }
    Ok(Ok(davlite_formats::freebusy::merge(all)))
}

fn response(recipient: &str, status: &str, data: Option<String>) -> Elem<'static> {
    let mut e = Elem::empty(QName::caldav("response"))
        .child(
            Elem::empty(QName::caldav("recipient"))
                .child(Elem::text(QName::dav("href"), recipient.to_string())),
        )
        .child(Elem::text(
            QName::caldav("request-status"),
            status.to_string(),
        ));
    if let Some(d) = data {
        e = e.child(Elem::text(QName::caldav("calendar-data"), d));
    }
    e
}

/// POST to `target`: the outbox's free-busy request, or 405 for anything else.
pub fn post(r: &Req, reader: &Reader, target: &Target) -> DavResult<Response<DavBody>> {
    let Target::ScheduleOutbox(owner) = target else {
        return Err(DavError::MethodNotAllowed(crate::methods::options::allow(
            target,
        )));
    };
    if *owner != r.user {
        return Err(DavError::need_privilege(
            target.href(&r.prefix),
            QName::caldav("schedule-send-freebusy"),
        ));
    }
    let mt = crate::media::parse(r.header("content-type").unwrap_or(""));
    if !crate::media::calendar_ok(&mt) {
        return Err(DavError::forbidden(Condition::Body(
            BodyCondition::SupportedCalendarData,
        )));
    }
    let req = FreeBusyRequest::parse(&r.body)
        .map_err(|e| DavError::invalid_scheduling_message(e.to_string()))?;
    if let Some(org) = &req.organizer
        && local_user(r, org).as_deref() != Some(owner.as_str())
    {
        return Err(DavError::organizer_not_allowed(org));
    }
    if req.attendees.is_empty() {
        return Err(DavError::no_recipient());
    }
    let stamp = now();
    let mut root = Elem::empty(QName::caldav("schedule-response"));
    for attendee in &req.attendees {
        let resp = match local_user(r, attendee) {
            None => response(attendee, "3.7;Invalid calendar user", None),
            Some(user) => match user_busy(reader, &user, &req)? {
                Ok(periods) => response(
                    attendee,
                    "2.0;Success",
                    Some(render_free_busy_reply(&req, attendee, &periods, stamp)),
                ),
                // Too many instances to list whole: no partial busy time, ever.
                Err(_) => response(attendee, "5.1;Service unavailable", None),
            },
        };
        root = root.child(resp);
    }
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/xml; charset=utf-8")
        .body(DavBody::Full(xml_document(&root)))
        .expect("valid response"))
}
