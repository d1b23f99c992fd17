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
//!   component tree validation built (`crate::span::object_times_and_events`): the same §9.9
//!   reading and TZID resolver (`crate::tz`) as the filter evaluator, so the index and the
//!   evaluator cannot disagree on a zone. Earliest and latest dates were folded by validation.

use crate::ical::Calendar;
use crate::object::{ObjectInfo, ObjectKind, TimeSpan};
use crate::recurrence::Calendar as RecCalendar;
use crate::tree::Tree;

/// Fills `ObjectInfo` for a validated calendar object. `tree` is the component tree of the same
/// lexer pass, read by the recurrence engine: the body is never parsed again.
pub(crate) fn calendar_info(mut cal: Calendar, tree: Tree<'_>) -> ObjectInfo {
    // Validation is done with the calendar: its UID moves into the index data.
    let uid = cal.components.first_mut().and_then(|c| c.uid.take());
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
        earliest: cal.earliest,
        latest: cal.latest,
        event_instances: None,
        floating: false,
    };
    // Floating values read as UTC, as the index reads them.
    let engine = RecCalendar::from_tree(tree, &crate::tz::Zone::Utc);
    match engine.map(|e| crate::span::object_times_and_events(&e, info.kind == ObjectKind::Event)) {
        Ok(Ok((times, events))) => {
            if let Some((list, floating)) = events {
                info.event_instances = Some(list);
                info.floating = floating;
            }
            info.span = times.span;
            info.instances = times.instances;
            info.max_attendees = times.max_attendees.max(info.max_attendees);
        }
        // Validation accepted the bytes, so the engine reads them; should it still fail, the
        // answer is a safe superset: open-ended from 14 hours before the earliest date, and an
        // unknown instance count.
        _ => {
            info.span = Some(TimeSpan {
                start: cal.earliest.map_or(i64::MIN, |t| t - 14 * 3600),
                end: i64::MAX,
            });
            info.instances = None;
        }
    }
    info
}
