//! free-busy-query (RFC 4791 §7.10): a VFREEBUSY over the calendar's events in the range,
//! answered as `text/calendar` with 200 (not a multistatus). The busy time of one calendar is
//! computed here for the scheduling outbox too (see `crate::schedule`).

use bytes::Bytes;
use davlite_formats::{BusyPeriod, FreeBusyError, free_busy_in, render_free_busy};
use davlite_proto::Condition;
use davlite_store::{Collection, Reader};
use http::{Response, StatusCode, header};

use crate::DavBody;
use crate::error::{DavError, DavResult};
use crate::props::Res;
use crate::request::Req;

/// Busy time of `coll` within `[start, end)`: its objects overlapping the range, floating times
/// in the calendar's time zone, leaving out the object whose UID is `mask_uid` (the event a
/// client is rescheduling, whose current slot should show as free). The span index reads
/// floating times as UTC, so in a calendar with another zone the lookup reaches
/// [`crate::timezone::FLOATING_REACH`] further either side; `free_busy_in` then cuts exactly.
pub fn calendar_busy(
    reader: &Reader,
    coll: &Collection,
    start: i64,
    end: i64,
    mask_uid: Option<&str>,
) -> DavResult<Result<Vec<BusyPeriod>, FreeBusyError>> {
    let zone = crate::timezone::collection_zone(coll);
    let reach = crate::timezone::index_reach(&zone);
    let names = reader
        .overlapping(
            &coll.path,
            start.saturating_sub(reach),
            end.saturating_add(reach),
        )
        .map_err(DavError::internal)?;
    let mut bodies = Vec::with_capacity(names.len());
    for n in names {
        if let Some((meta, b)) = reader.get(&coll.path, &n).map_err(DavError::internal)? {
            if mask_uid.is_some() && meta.uid.as_deref() == mask_uid {
                continue;
            }
            bodies.push(b);
        }
    }
    Ok(free_busy_in(
        bodies.iter().map(Vec::as_slice),
        start,
        end,
        &zone,
    ))
}

/// Unix seconds now, for DTSTAMP.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub fn run(
    _r: &Req,
    reader: &Reader,
    res: &Res,
    start: Option<i64>,
    end: Option<i64>,
) -> DavResult<Response<DavBody>> {
    let Res::Collection(coll) = res else {
        return Err(DavError::forbidden(Condition::SupportedReport));
    };
    let start = start.unwrap_or(i64::MIN / 2);
    let end = end.unwrap_or(i64::MAX / 2);
    if end <= start {
        return Err(DavError::forbidden(Condition::ValidFilter));
    }
    // An event recurring too often to list whole: RFC 4791 defines no partial VFREEBUSY, so
    // the answer is the postcondition a calendar-query over too much gets (§7.8), never busy
    // time silently cut short.
    let periods = calendar_busy(reader, coll, start, end, None)?.map_err(|e| match e {
        FreeBusyError::TooManyInstances => {
            DavError::Refused(Condition::NumberOfMatchesWithinLimits, e.to_string())
        }
        _ => DavError::Internal(e.to_string()),
    })?;
    let text = render_free_busy(&periods, start, end, now());
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/calendar; charset=utf-8")
        .body(DavBody::Full(Bytes::from(text)))
        .expect("valid response"))
}
