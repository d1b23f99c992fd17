//! What the store indexes about a validated calendar object: UID, kind, the span it occupies,
//! instance count, attendees per instance, earliest and latest date values.
//!
//! Spans are supersets of what RFC 4791 §9.9 time-range tests can match, so the store's index
//! never hides an object a query should find; the exact test runs afterwards on the bytes.
//! - Floating times and all-day DATE values are read as UTC. RFC 4791 §9.9 evaluates them in the
//!   query's or the calendar's time zone, which the index cannot know: such objects are marked
//!   ([`ObjectInfo::floating`]), and a query in another zone widens its span lookup by 14 hours
//!   and evaluates them rather than trusting their instance list.
//! - A DATE-TIME event without DTEND/DURATION spans one second (`[DTSTART, DTSTART+1)`), which
//!   matches exactly the queries §9.9 lets it match; an all-day one spans the whole day.
//! - Spans, instances and event instance lists come from the recurrence engine over the
//!   component tree validation built ([`delegated_times`]): the same §9.9 reading and TZID
//!   resolver (`crate::tz`) as the filter evaluator, so the index and the evaluator cannot
//!   disagree on a zone. This module no longer keeps a §9.9 table of its own.

use crate::datetime::{LocalDateTime, PeriodEnd};
use crate::ical::Calendar;
use crate::object::{ObjectInfo, ObjectKind, TimeSpan};
use crate::recurrence::Calendar as RecCalendar;
use crate::tree::Tree;

/// Fills `ObjectInfo` for a validated calendar object. `tree` is the component tree of the same
/// lexer pass, read by the recurrence engine: the body is never parsed again.
pub(crate) fn calendar_info(cal: &Calendar, tree: Tree<'_>) -> ObjectInfo {
    let uid = cal.components.first().and_then(|c| c.uid.clone());
    let (earliest, latest) = date_bounds(cal);
    let mut info = ObjectInfo {
        uid,
        kind: cal.kind,
        span: None,
        instances: Some(cal.components.len() as u64),
        max_attendees: cal
            .components
            .iter()
            .map(|c| c.attendees)
            .max()
            .unwrap_or(0),
        earliest,
        latest,
        event_instances: None,
        floating: false,
    };
    // Floating values read as UTC, as the index reads them.
    let engine = RecCalendar::from_tree(tree, &crate::tz::Zone::Utc).ok();
    delegated_times(cal, engine.as_ref(), &mut info);
    info
}

/// Span, instance count, attendees and event instances, all from the recurrence engine over the
/// validated tree (`crate::span::object_times_and_events`): the one §9.9 reading the
/// filter evaluator also uses, zones included (VTIMEZONEs with no IANA equivalent too).
///
/// Should the engine fail on bytes validation accepted, the answer is still a safe superset:
/// the span starts 14 hours before the earliest DTSTART/RDATE/RECURRENCE-ID and is open-ended,
/// instances are COUNT + RDATEs when every rule has a COUNT and unknown otherwise.
fn delegated_times(cal: &Calendar, engine: Option<&RecCalendar<'_>>, info: &mut ObjectInfo) {
    let want_events = info.kind == ObjectKind::Event;
    let computed = engine.map(|e| crate::span::object_times_and_events(e, want_events));
    if let Some(Ok((times, events))) = computed {
        if let Some((list, floating)) = events {
            info.event_instances = Some(list);
            info.floating = floating;
        }
        info.span = times.span;
        info.instances = times.instances;
        info.max_attendees = times.max_attendees.max(info.max_attendees);
        return;
    }
    let mut start: Option<i64> = None;
    let mut instances: Option<u64> = Some(0);
    for c in &cal.components {
        let dates = c
            .dtstart
            .iter()
            .chain(c.recurrence_id.iter())
            .chain(c.due.iter());
        for d in dates.chain(c.rdates.iter().map(|r| &r.0)) {
            let t = d.dt.as_utc_seconds() - 14 * 3600;
            start = Some(start.map_or(t, |s| s.min(t)));
        }
        let own = if c.recurrence_id.is_some() {
            Some(0)
        } else {
            match &c.rrule {
                None => Some(1 + c.rdates.len() as u64),
                Some(rule) => rule_count(rule).map(|n| n.saturating_add(c.rdates.len() as u64)),
            }
        };
        instances = instances.zip(own).map(|(a, b)| a.saturating_add(b));
    }
    info.span = Some(TimeSpan {
        start: start.unwrap_or(i64::MIN),
        end: i64::MAX,
    });
    info.instances = instances.map(|n| n.max(1));
}

/// COUNT of an RRULE, if it has one.
pub(crate) fn rule_count(rule: &str) -> Option<u64> {
    rule.split(';').find_map(|part| {
        let (k, v) = part.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("COUNT") {
            v.trim().parse().ok()
        } else {
            None
        }
    })
}

/// Earliest and latest DATE/DATE-TIME value in the object's components (VTIMEZONE rules, whose
/// DTSTARTs reach back to 1601, are not counted), for min/max-date-time. Read as UTC wall-clock
/// times: a zone moves them by at most 14 hours, which is below what these limits resolve.
fn date_bounds(cal: &Calendar) -> (Option<i64>, Option<i64>) {
    let mut lo: Option<i64> = None;
    let mut hi: Option<i64> = None;
    let mut add = |d: &LocalDateTime| {
        let t = d.as_utc_seconds();
        lo = Some(lo.map_or(t, |x| x.min(t)));
        hi = Some(hi.map_or(t, |x| x.max(t)));
    };
    for c in &cal.components {
        for p in [&c.dtstart, &c.dtend, &c.due, &c.recurrence_id, &c.completed]
            .into_iter()
            .flatten()
        {
            add(&p.dt);
        }
        let rdates = c.rdates.iter().map(|(p, e)| (p, *e));
        for (p, end) in rdates.chain(c.freebusy.iter().map(|(p, e)| (p, Some(*e)))) {
            add(&p.dt);
            if let Some(PeriodEnd::End(e)) = end {
                add(&e);
            }
        }
        for p in &c.exdates {
            add(&p.dt);
        }
        if let Some(until) = c.rrule.as_deref().and_then(rule_until) {
            add(&until);
        }
    }
    (lo, hi)
}

fn rule_until(rule: &str) -> Option<LocalDateTime> {
    rule.split(';').find_map(|part| {
        let (k, v) = part.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("UNTIL") {
            LocalDateTime::parse(v.trim().as_bytes())
        } else {
            None
        }
    })
}
