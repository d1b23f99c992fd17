//! calendar-query (RFC 4791 §7.8) and addressbook-query (RFC 6352 §8.6). The store's span index
//! gives a coarse superset for a top-level time-range; the exact filter then runs on each
//! candidate's bytes. The commonest query of all, "events in this range", is decided from the
//! store's event instance index instead, and reads a body only when one is not indexed or its
//! calendar-data is asked for.

use davlite_formats::filter::{CardFilter, CompFilter};
use davlite_formats::{
    matches_calendar_in, matches_card, validate_calendar_filter, validate_card_filter,
};
use davlite_proto::{Condition, MultistatusWriter, PropRequest};
use davlite_store::{Collection, CollectionKind, Reader};

use super::data::write_object;
use crate::DavBody;
use crate::error::{DavError, DavResult, MemberError};
use crate::props::Res;
use crate::request::Req;
use crate::stream::{self, Tail, WriteItem};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A calendar-query's `C:timezone` text and `C:timezone-id` (RFC 4791 §9.8, RFC 7809).
pub struct Zone {
    pub text: Option<String>,
    pub id: Option<String>,
}

/// Names of the candidates: the span index when the filter has a VEVENT-level time-range with a
/// start or an end, else every object. The index reads floating times and all-day dates as UTC,
/// so for a query in another floating zone the range is widened by
/// [`crate::timezone::FLOATING_REACH`].
fn candidates(
    reader: &Reader,
    coll: &Collection,
    filter: &CompFilter,
    floating_utc: bool,
) -> DavResult<Vec<String>> {
    let reach = if floating_utc {
        0
    } else {
        crate::timezone::FLOATING_REACH
    };
    let range = filter
        .comp_filters
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case("VEVENT") && !c.is_not_defined)
        .and_then(|c| c.time_range);
    if filter.comp_filters.len() == 1 {
        if let Some(tr) = range {
            let start = tr.start.map_or(i64::MIN, |s| s.saturating_sub(reach));
            let end = tr.end.map_or(i64::MAX, |e| e.saturating_add(reach));
            return reader
                .overlapping(&coll.path, start, end)
                .map_err(DavError::internal);
        }
    }
    Ok(reader
        .list(&coll.path)
        .map_err(DavError::internal)?
        .into_iter()
        .map(|(n, _)| n)
        .collect())
}

pub fn calendar(
    r: &Req,
    reader: Reader,
    res: &Res,
    props: PropRequest,
    filter: CompFilter,
    zone: Zone,
    minimal: bool,
) -> DavResult<DavBody> {
    validate_calendar_filter(&filter).map_err(|e| DavError::filter(e, CollectionKind::Calendar))?;
    let w = MultistatusWriter::new();
    let coll = match res {
        Res::Collection(c) => (*c).clone(),
        Res::Object { coll, .. } => (*coll).clone(),
        _ => return Ok(DavBody::Full(w.finish())),
    };
    // The zone floating DATE-TIMEs and all-day DATEs are read in (RFC 4791 §9.9, RFC 7809).
    let floating = crate::timezone::query_zone(zone.text.as_deref(), zone.id.as_deref(), &coll)?;
    let floating_utc = crate::timezone::is_utc(&floating);
    let names = match res {
        Res::Object { name, .. } => vec![name.to_string()],
        _ => candidates(&reader, &coll, &filter, floating_utc)?,
    };
    if let (Some(min), Some(tr)) = (coll.limits.min_date, top_range(&filter)) {
        if tr.end.is_some_and(|e| e <= min) {
            return Err(DavError::forbidden(Condition::MinDateTime));
        }
    }
    if let (Some(max), Some(tr)) = (coll.limits.max_date, top_range(&filter)) {
        if tr.start.is_some_and(|s| s >= max) {
            return Err(DavError::forbidden(Condition::MaxDateTime));
        }
    }
    if names.len() > r.dav.config().max_query_results {
        return Err(DavError::forbidden(Condition::NumberOfMatchesWithinLimits));
    }
    let indexed_range = event_range_only(&filter);
    let mut plan = super::data::plan(r, &reader, &coll, &props, minimal);
    // Every candidate's instance row or body is read: a window of them in one go (on a
    // networked backend one statement instead of one per candidate).
    let prefetch = Some(stream::prefetch_names(coll.path.clone()));
    let base = Res::Collection(&coll).href(r);
    let mut href = String::with_capacity(base.len() + 64);
    let write: WriteItem<String> = Box::new(move |info, reader, w, name| {
        let indexed = indexed_range.and_then(|(start, end)| {
            reader
                .event_instances_overlap_in(&coll.path, &name, start, end, floating_utc)
                .ok()
                .flatten()
        });
        if indexed == Some(false) {
            return;
        }
        if let Some(plan) = plan.as_mut() {
            href.clear();
            href.push_str(&base);
            crate::href::push_segment(&mut href, &name);
            let wants_body = plan.wants_body();
            // One lookup; the body is borrowed from the store's page for the filter and for
            // calendar-data alike.
            let written = reader.with_object(&coll.path, &name, |obj, body| {
                if indexed.is_some()
                    || matches_calendar_in(&filter, body, &floating).unwrap_or(false)
                {
                    plan.write(w, &href, obj, wants_body.then_some(body));
                }
            });
            if written.is_err() {
                MemberError::Unreadable.write(w, &href);
            }
            return;
        }
        let (meta, body) = match indexed {
            Some(false) => return,
            // write_object reads the body itself if calendar-data is asked for.
            Some(true) => match reader.meta(&coll.path, &name) {
                Ok(Some(meta)) => (meta, None),
                _ => return,
            },
            None => {
                let Ok(Some((meta, body))) = reader.get(&coll.path, &name) else {
                    return;
                };
                // Structural filter errors were refused before streaming; an object the
                // evaluator cannot read is left out rather than failing the whole answer.
                if !matches_calendar_in(&filter, &body, &floating).unwrap_or(false) {
                    return;
                }
                (meta, Some(body))
            }
        };
        let href = info.member_href(&coll.path, &name);
        write_object(
            info,
            reader,
            w,
            &href,
            &coll,
            &name,
            &meta,
            body.as_deref(),
            &props,
            Some(&floating),
            minimal,
        );
    });
    Ok(stream::members_prefetched(
        r, reader, w, names, write, None, prefetch,
    ))
}

/// `[start, end)` of a filter that is exactly `VCALENDAR > VEVENT > time-range`, which the
/// store's event instance index decides as the evaluator would; `None` for any other filter.
/// An open end is left to the evaluator, whose search for it stops at a horizon the index
/// does not know.
fn event_range_only(filter: &CompFilter) -> Option<(i64, i64)> {
    let bare = |f: &CompFilter| !f.is_not_defined && f.prop_filters.is_empty();
    if !filter.name.eq_ignore_ascii_case("VCALENDAR")
        || !bare(filter)
        || filter.time_range.is_some()
    {
        return None;
    }
    let [event] = filter.comp_filters.as_slice() else {
        return None;
    };
    if !event.name.eq_ignore_ascii_case("VEVENT") || !bare(event) || !event.comp_filters.is_empty()
    {
        return None;
    }
    let tr = event.time_range?;
    Some((tr.start.unwrap_or(i64::MIN), tr.end?))
}

fn top_range(filter: &CompFilter) -> Option<davlite_formats::filter::TimeRange> {
    filter.comp_filters.iter().find_map(|c| c.time_range)
}

pub fn card(
    r: &Req,
    reader: Reader,
    res: &Res,
    props: PropRequest,
    filter: CardFilter,
    limit: Option<u32>,
    minimal: bool,
) -> DavResult<DavBody> {
    validate_card_filter(&filter).map_err(|e| DavError::filter(e, CollectionKind::AddressBook))?;
    let w = MultistatusWriter::new();
    let (coll, names): (Collection, Vec<String>) = match res {
        Res::Collection(c) => (
            (*c).clone(),
            reader
                .list(&c.path)
                .map_err(DavError::internal)?
                .into_iter()
                .map(|(n, _)| n)
                .collect(),
        ),
        Res::Object { coll, name, .. } => ((*coll).clone(), vec![name.to_string()]),
        _ => return Ok(DavBody::Full(w.finish())),
    };
    // Our own limit cuts the answer short the same way the client's CR:limit does.
    let ours = u32::try_from(r.dav.config().max_query_results).unwrap_or(u32::MAX);
    let limit = Some(limit.map_or(ours, |l| l.min(ours)));
    let truncated = Arc::new(AtomicBool::new(false));
    let flag = truncated.clone();
    let prefetch = stream::prefetch_names(coll.path.clone());
    let mut matched = 0u32;
    let write: WriteItem<String> = Box::new(move |info, reader, w, name| {
        if flag.load(Ordering::Relaxed) {
            return;
        }
        let Ok(Some((meta, body))) = reader.get(&coll.path, &name) else {
            return;
        };
        if !matches_card(&filter, &body).unwrap_or(false) {
            return;
        }
        if limit.is_some_and(|l| matched >= l) {
            flag.store(true, Ordering::Relaxed);
            return;
        }
        matched += 1;
        let href = info.member_href(&coll.path, &name);
        write_object(
            info,
            reader,
            w,
            &href,
            &coll,
            &name,
            &meta,
            Some(&body),
            &props,
            None,
            minimal,
        );
    });
    let raw_path = r.raw_path.clone();
    let tail: Tail = Box::new(move |w| {
        if truncated.load(Ordering::Relaxed) {
            // RFC 6352 §8.6.1: the partial answer plus a 507 for the request-URI.
            MemberError::Truncated.write(w, &raw_path);
        }
    });
    Ok(stream::members_prefetched(
        r,
        reader,
        w,
        names,
        write,
        Some(tail),
        Some(prefetch),
    ))
}
