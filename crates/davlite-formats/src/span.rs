//! The span an object occupies for the store's time-range index: a superset of every time range
//! a CalDAV time-range test (RFC 4791 §9.9) can match, so the index never hides a match.

use crate::TimeSpan;
use crate::recurrence::{
    Calendar, EXPANSION_CAP, Expansion, Instance, ObjectTimes, RecurrenceError, expand_set,
    recurrence_sets,
};
use crate::timing::Timing;

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
    // An event whose end is not after its start matches as `[start, start + 1)` (see
    // [`event_match_span`]): the span covers that second too, so it holds every listed instance.
    TimeSpan {
        start: lo,
        end: hi.max(i.start.saturating_add(1)),
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

/// Most instances an object's exact list is kept for: beyond it the list costs more to store and
/// scan than the query saves, and the caller reads the body instead.
pub const EVENT_INSTANCES_CAP: usize = 2_000;

/// The span one VEVENT instance matches a time-range with, exactly (RFC 4791 §9.9, as
/// `eval::calendar` tests it): `[start, end)`, or `[start, start + 1)` when it has no length.
/// Narrower than [`instance_span`], which may also widen for reversed ends.
fn event_match_span(i: &Instance) -> TimeSpan {
    if i.end > i.start {
        TimeSpan {
            start: i.start,
            end: i.end,
        }
    } else {
        TimeSpan {
            start: i.start,
            end: i.start.saturating_add(1),
        }
    }
}

/// The spans a VCALENDAR > VEVENT > time-range filter is decided by, sorted by start: one per
/// instance of the object's VEVENTs. `None` unless every component besides VTIMEZONE is a
/// VEVENT and the expansion is complete and at most [`EVENT_INSTANCES_CAP`] long, since a
/// partial list could hide a match.
fn event_spans(cal: &Calendar<'_>, exp: &Expansion) -> Option<Vec<TimeSpan>> {
    let only_events = cal
        .tree
        .children(0)
        .all(|(_, c)| c.is("VEVENT") || c.is("VTIMEZONE"));
    if !only_events || exp.open || exp.truncated || exp.instances.len() > EVENT_INSTANCES_CAP {
        return None;
    }
    // The filter skips a component whose DTSTART is missing or unreadable, whatever
    // instance expansion made of it (an event anchored at DUE).
    // Asked of each instance's component (its timing is read once): no list of the dated
    // components is built first.
    let mut out: Vec<TimeSpan> = exp
        .instances
        .iter()
        .filter(|i| cal.timing(i.component).dtstart.is_some())
        .map(event_match_span)
        .collect();
    out.sort_unstable();
    Some(out)
}

/// Span, instance count and attendees per instance of a calendar object, for the store's index
/// and the max-instances / max-attendees-per-instance checks.
pub fn object_span(bytes: &[u8]) -> Result<ObjectTimes, RecurrenceError> {
    Ok(object_times_and_events(&Calendar::parse(bytes)?, false)?.0)
}

/// Event instance spans and whether they depend on the floating zone
/// ([`crate::ObjectInfo::floating`]).
pub(crate) type EventSpans = Option<(Vec<TimeSpan>, bool)>;

pub(crate) fn with_floating(cal: &Calendar<'_>, spans: Option<Vec<TimeSpan>>) -> EventSpans {
    spans.map(|s| (s, cal.uses_floating()))
}

/// Span, instance count and attendees of an object, plus its VEVENT instance spans when
/// `want_events` (see [`event_spans`]); both from one expansion.
pub(crate) fn object_times_and_events(
    cal: &Calendar<'_>,
    want_events: bool,
) -> Result<(ObjectTimes, EventSpans), RecurrenceError> {
    let mut events = None;
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
        if want_events && set.first().is_some_and(|&i| cal.comp(i).is("VEVENT")) {
            events = event_spans(cal, &exp);
        }
        for &idx in &set {
            let comp = cal.comp(idx);
            let t = cal.timing(idx);
            if comp.is("VTODO") && t.anchor().is_none() {
                widen(&mut span, undated_todo_span(t));
                count = count.map(|c| c + 1);
            }
            // A journal without DTSTART is one instance that no time-range matches.
            if comp.is("VJOURNAL") && t.dtstart.is_none() && comp.prop("RECURRENCE-ID").is_none() {
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
    let times = ObjectTimes {
        span,
        instances: count,
        max_attendees,
    };
    Ok((times, with_floating(cal, events)))
}
