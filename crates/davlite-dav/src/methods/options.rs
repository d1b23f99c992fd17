//! OPTIONS: the DAV compliance classes and, per resource, the methods it allows. Clients decide
//! from this whether a URL is a calendar server at all (DAVx5, Evolution, Outlook CalDav
//! Synchronizer), so it answers 200 on every URL of ours, existing or not.

use http::{Response, StatusCode, header};

use crate::error::DavResult;
use crate::request::Req;
use crate::resource::Target;
use crate::{Dav, DavBody};

pub const DAV_CLASSES: &str = "1, 3, calendar-access, calendar-auto-schedule, calendarserver-sharing, addressbook, extended-mkcol, sync-collection";
/// Collections: PUT and DELETE are listed because clients check for them before writing members;
/// POST because a calendar or address book takes `CS:share` and a home `CS:invite-reply`.
pub const ALLOW_COLLECTION: &str = "OPTIONS, GET, HEAD, POST, PUT, DELETE, PROPFIND, PROPPATCH, COPY, MOVE, MKCOL, MKCALENDAR, REPORT";
/// What a 405 on a collection lists: methods that act on the collection itself.
pub const ALLOW_COLLECTION_ITSELF: &str =
    "OPTIONS, GET, HEAD, POST, DELETE, PROPFIND, PROPPATCH, COPY, MOVE, REPORT";
pub const ALLOW_OBJECT: &str =
    "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, COPY, MOVE, REPORT";
pub const ALLOW_UNMAPPED: &str = "OPTIONS, PUT, MKCOL, MKCALENDAR";
pub const ALLOW_VIRTUAL: &str = "OPTIONS, GET, HEAD, PROPFIND, REPORT";
/// The scheduling outbox: POST is how free-busy is asked for.
pub const ALLOW_OUTBOX: &str = "OPTIONS, GET, HEAD, POST, PROPFIND, REPORT";

pub fn allow(target: &Target) -> &'static str {
    match target {
        Target::Collection(_) => ALLOW_COLLECTION,
        Target::Object { meta: Some(_), .. } => ALLOW_OBJECT,
        Target::Object { meta: None, .. } | Target::Missing { .. } => ALLOW_UNMAPPED,
        Target::ScheduleOutbox(_) => ALLOW_OUTBOX,
        _ => ALLOW_VIRTUAL,
    }
}

pub fn handle(r: &Req) -> DavResult<Response<DavBody>> {
    let reader = r
        .dav
        .store()
        .read()
        .map_err(crate::error::DavError::internal)?;
    let target = r.target(&reader)?;
    Ok(options_response(r.dav, allow(&target)))
}

fn options_response(_dav: &Dav, allow: &'static str) -> Response<DavBody> {
    Response::builder()
        .status(StatusCode::OK)
        .header("DAV", DAV_CLASSES)
        .header(header::ALLOW, allow)
        .header(header::CONTENT_LENGTH, "0")
        .body(DavBody::empty())
        .expect("valid response")
}
