//! REPORT: the CalDAV, CardDAV, sync and expand-property reports. Each report module turns a
//! parsed body into a multistatus; this module checks the target and that the report applies.

mod data;
mod expand_property;
pub(crate) mod freebusy;
mod multiget;
mod principal_match;
mod principal_search;
mod query;
mod sync;

use davlite_proto::{Condition, QName, Report};
use http::Response;

use crate::DavBody;
use crate::access;
use crate::error::{DavError, DavResult};
use crate::props::{self, Res};
use crate::request::Req;

pub fn handle(r: &Req) -> DavResult<Response<DavBody>> {
    let report = Report::parse(&r.body).map_err(DavError::xml)?;
    let reader = r.dav.store().read().map_err(DavError::internal)?;
    let target = r.target(&reader)?;
    if !target.exists() {
        return Err(DavError::not_found());
    }
    access::check_read(r, &target)?;
    let res = Res::of(&target).ok_or_else(DavError::not_found)?;
    let name = report_name(&report);
    if !props::supported_reports(&res).contains(&name) && !props::is_principal_report(&name) {
        return Err(DavError::forbidden(Condition::SupportedReport));
    }
    let minimal = crate::methods::propfind::minimal(r);
    let snapshot = reader.clone();
    let body = match report {
        Report::CalendarMultiget { props, hrefs }
        | Report::AddressbookMultiget { props, hrefs } => {
            multiget::run(r, snapshot, &res, props, hrefs, minimal)?
        }
        Report::CalendarQuery {
            props,
            filter,
            timezone,
            timezone_id,
        } => {
            let zone = query::Zone {
                text: timezone,
                id: timezone_id,
            };
            query::calendar(r, snapshot, &res, props, filter, zone, minimal)?
        }
        Report::AddressbookQuery {
            props,
            filter,
            limit,
        } => query::card(r, snapshot, &res, props, filter, limit, minimal)?,
        Report::SyncCollection {
            sync_token,
            sync_level,
            limit,
            props,
        } => sync::run(
            r,
            snapshot,
            &res,
            sync_token.as_deref(),
            sync_level.as_deref(),
            limit,
            &props,
            minimal,
        )?,
        Report::FreeBusyQuery { start, end } => return freebusy::run(r, &reader, &res, start, end),
        Report::ExpandProperty { tree } => expand_property::run(r, &reader, &res, &tree)?,
        // RFC 3744 §9.4 asks for Depth 0; Thunderbird sends 1 and means the same search, so
        // the Depth header is not held against the client.
        Report::PrincipalPropertySearch(search) => {
            let scope = match &res {
                Res::Principal(u) if !search.apply_to_principal_collection_set => Some(*u),
                _ => None,
            };
            principal_search::run(r, &reader, scope, &search, minimal)
        }
        Report::PrincipalSearchPropertySet => return Ok(principal_search::property_set()),
        Report::PrincipalMatch(m) => {
            principal_match::check_depth(r.header("depth"))?;
            principal_match::run(r, &reader, &res, &m, minimal)?
        }
        Report::Unknown(_) => return Err(DavError::forbidden(Condition::SupportedReport)),
    };
    Ok(crate::methods::propfind::multistatus(body, minimal))
}

fn report_name(report: &Report) -> QName {
    match report {
        Report::CalendarQuery { .. } => QName::caldav("calendar-query"),
        Report::CalendarMultiget { .. } => QName::caldav("calendar-multiget"),
        Report::FreeBusyQuery { .. } => QName::caldav("free-busy-query"),
        Report::AddressbookQuery { .. } => QName::carddav("addressbook-query"),
        Report::AddressbookMultiget { .. } => QName::carddav("addressbook-multiget"),
        Report::SyncCollection { .. } => QName::dav("sync-collection"),
        Report::ExpandProperty { .. } => QName::dav("expand-property"),
        Report::PrincipalPropertySearch(_) => QName::dav("principal-property-search"),
        Report::PrincipalSearchPropertySet => QName::dav("principal-search-property-set"),
        Report::PrincipalMatch(_) => QName::dav("principal-match"),
        Report::Unknown(q) => q.clone(),
        #[allow(unreachable_patterns)]
        _ => QName::dav("unknown"),
    }
}
