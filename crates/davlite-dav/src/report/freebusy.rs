//! free-busy-query (RFC 4791 §7.10): a VFREEBUSY over the calendar's events in the range,
//! answered as `text/calendar` with 200 (not a multistatus).

use bytes::Bytes;
use davlite_formats::{FreeBusyError, free_busy, render_free_busy};
use davlite_proto::Condition;
use davlite_store::Reader;
use http::{Response, StatusCode, header};

use crate::DavBody;
use crate::error::{DavError, DavResult};
use crate::props::Res;
use crate::request::Req;

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
    let names = reader
        .overlapping(&coll.path, start, end)
        .map_err(DavError::internal)?;
    let mut bodies = Vec::with_capacity(names.len());
    for n in names {
        if let Some((_, b)) = reader.get(&coll.path, &n).map_err(DavError::internal)? {
            bodies.push(b);
        }
    }
    // An event recurring too often to list whole: RFC 4791 defines no partial VFREEBUSY, so
    // the answer is the postcondition a calendar-query over too much gets (§7.8), never busy
    // time silently cut short.
    let periods = free_busy(bodies.iter().map(Vec::as_slice), start, end).map_err(|e| match e {
        FreeBusyError::TooManyInstances => {
            DavError::Refused(Condition::NumberOfMatchesWithinLimits, e.to_string())
        }
        FreeBusyError::Recurrence(_) => DavError::Internal(e.to_string()),
    })?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let text = render_free_busy(&periods, start, end, now);
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/calendar; charset=utf-8")
        .body(DavBody::Full(Bytes::from(text)))
        .expect("valid response"))
}
