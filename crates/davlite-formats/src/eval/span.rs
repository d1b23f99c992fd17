//! The span an object occupies for the store's time-range index: a superset of every time range
//! a CalDAV time-range test (RFC 4791 §9.9) can match, so the index never hides a match.

use crate::TimeSpan;
use crate::eval::timing::Timing;
use crate::recurrence::{
    Calendar, EXPANSION_CAP, Instance, ObjectTimes, RecurrenceError, expand_set, recurrence_sets,
};

/// The span of one instance, by the §9.9 row that applies to its component (every instance
/// has an anchor, so a journal without DTSTART never gets here).
fn instance_span(cal: &Calendar<'_>, i: &Instance) -> TimeSpan {
    let (lo, hi) = (i.start.min(i.end), i.start.max(i.end));
    if cal.comp(i.component).is("VTODO") {
        return TimeSpan {
            start: lo.saturating_sub(1),
            end: hi.saturating_add(1),
        };
    }
    TimeSpan {
        start: lo,
        end: hi.max(lo.saturating_add(1)),
    }
}

/// A todo with neither DTSTART nor DUE matches by COMPLETED / CREATED, or always (§9.9).
fn undated_todo_span(t: &Timing) -> TimeSpan {
    match (t.created, t.completed) {
        (None, None) => TimeSpan::ALL,
        (Some(cr), None) => TimeSpan {
            start: cr,
            end: i64::MAX,
        },
        (a, b) => {
            let lo = a.unwrap_or(i64::MAX).min(b.unwrap_or(i64::MAX));
            let hi = a.unwrap_or(i64::MIN).max(b.unwrap_or(i64::MIN));
            TimeSpan {
                start: lo.saturating_sub(1),
                end: hi.saturating_add(1),
            }
        }
    }
}

fn widen(acc: &mut Option<TimeSpan>, s: TimeSpan) {
    *acc = Some(match *acc {
        None => s,
        Some(a) => TimeSpan {
            start: a.start.min(s.start),
            end: a.end.max(s.end),
        },
    });
}

pub(crate) fn object_times(cal: &Calendar<'_>) -> Result<ObjectTimes, RecurrenceError> {
    let mut span = None;
    let mut count: Option<u64> = Some(0);
    let mut max_attendees = 0u32;
    for (_, comp) in cal.tree.children(0) {
        if comp.is("VTIMEZONE") {
            continue;
        }
        let n = comp.props_named("ATTENDEE").count();
        max_attendees = max_attendees.max(u32::try_from(n).unwrap_or(u32::MAX));
    }
    for set in recurrence_sets(cal) {
        let exp = expand_set(cal, &set, i64::MIN, i64::MAX)?;
        for &idx in &set {
            let comp = cal.comp(idx);
            let t = Timing::read(comp, &cal.zones);
            if comp.is("VTODO") && t.anchor().is_none() {
                widen(&mut span, undated_todo_span(&t));
                count = count.map(|c| c + 1);
            }
        }
        for i in &exp.instances {
            widen(&mut span, instance_span(cal, i));
        }
        if exp.open || exp.truncated {
            if let Some(s) = span.as_mut() {
                s.end = i64::MAX;
            }
            if span.is_none() {
                // An open rule whose master has no anchor: nothing to place.
                continue;
            }
        }
        count = match (count, exp.open, exp.truncated, exp.counted) {
            (None, _, _, _) | (_, true, _, _) => None,
            (Some(c), false, true, Some(n)) => Some(c + n),
            (Some(c), false, true, None) => Some(c + EXPANSION_CAP as u64 + 1),
            (Some(c), false, false, _) => Some(c + exp.instances.len() as u64),
        };
    }
    for idx in cal.components("VFREEBUSY") {
        if let Some(s) = crate::freebusy::component_extent(cal, idx) {
            widen(&mut span, s);
        }
        count = count.map(|c| c + 1);
    }
    Ok(ObjectTimes {
        span,
        instances: count,
        max_attendees,
    })
}
