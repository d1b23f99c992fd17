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
//! - TZIDs are resolved here, by the evaluator's resolver (`crate::tz`), when they are IANA names
//!   (directly, by the VTIMEZONE's `X-LIC-LOCATION`, or as the tail of a prefixed name such as
//!   `/mozilla.org/20050126_1/Europe/Berlin`). Everything else
//!   (Windows names, VTIMEZONEs with no IANA equivalent) and every recurring object go to
//!   [`delegated_times`], the single place that hands over to the recurrence engine.

use chrono::{NaiveDate, TimeZone};

use crate::datetime::{Duration, LocalDateTime, PeriodEnd};
use crate::eval::tree::Tree;
use crate::ical::{Calendar, Component, DateProp, TimezoneDef};
use crate::object::{ObjectInfo, ObjectKind, TimeSpan};
use crate::recurrence::Calendar as RecCalendar;

const DAY: i64 = 86_400;

/// A zone this module can apply itself.
#[derive(Clone, Copy)]
enum Zone {
    Utc,
    Iana(chrono_tz::Tz),
}

/// `None` when the TZID needs the recurrence engine's zone handling. The same resolver as the
/// evaluator's ([`crate::tz::Zones`]): a VTIMEZONE in the object defines its TZID (RFC 5545
/// §3.2.19), read through its IANA equivalent when it names one; without a VTIMEZONE the TZID
/// is an IANA name, possibly vendor-prefixed (`/freeassociation.sourceforge.net/Europe/Berlin`).
/// A floating time (no TZID) is read as UTC, as the index reads them.
fn zone_of(tzid: Option<&str>, defs: &[TimezoneDef]) -> Option<Zone> {
    let Some(id) = tzid.map(str::trim) else {
        return Some(Zone::Utc);
    };
    let found = match defs.iter().find(|d| d.tzid.trim() == id) {
        Some(def) => crate::tz::defined_zone(id, || {
            def.location.as_deref().and_then(crate::tz::location_zone)
        }),
        None => crate::tz::named_zone(id),
    };
    match found? {
        crate::tz::Zone::Iana(tz) => Some(Zone::Iana(tz)),
        crate::tz::Zone::Utc => Some(Zone::Utc),
        _ => None,
    }
}

/// UTC seconds of a local date-time in a zone; a time skipped by a DST gap is read with the
/// offset before the gap (RFC 5545 §3.3.5), an ambiguous one as its first occurrence.
fn to_utc(dt: &LocalDateTime, zone: Zone) -> i64 {
    let naive = dt.as_utc_seconds();
    let Zone::Iana(tz) = zone else { return naive };
    if dt.utc || dt.date_only {
        return naive;
    }
    let Some(local) = NaiveDate::from_ymd_opt(dt.year, dt.month, dt.day)
        .and_then(|d| d.and_hms_opt(dt.hour, dt.minute, dt.second.min(59)))
    else {
        return naive;
    };
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.timestamp(),
        chrono::LocalResult::Ambiguous(a, b) => a.timestamp().min(b.timestamp()),
        chrono::LocalResult::None => {
            let before = tz.from_local_datetime(&(local - chrono::TimeDelta::hours(3)));
            let off = before
                .earliest()
                .map_or(0, |t| t.naive_local().and_utc().timestamp() - t.timestamp());
            naive - off
        }
    }
}

/// Resolves every date of a component; `None` if one needs the recurrence engine.
struct Resolver<'a> {
    defs: &'a [TimezoneDef],
}

impl Resolver<'_> {
    fn at(&self, p: &DateProp) -> Option<i64> {
        Some(to_utc(&p.dt, zone_of(p.tzid.as_deref(), self.defs)?))
    }

    /// `start + duration`, days counted on the wall clock of `start`'s zone.
    fn plus(&self, start: &DateProp, d: &Duration) -> Option<i64> {
        let zone = zone_of(start.tzid.as_deref(), self.defs)?;
        let base = to_utc(&start.dt, zone);
        if d.days == 0 || start.dt.utc || matches!(zone, Zone::Utc) {
            return Some(base.saturating_add(d.as_seconds()));
        }
        let day0 = crate::datetime::days_from_civil(start.dt.year, start.dt.month, start.dt.day);
        let shifted = chrono::DateTime::from_timestamp((day0 + d.days) * DAY, 0)?.date_naive();
        let moved = LocalDateTime {
            year: chrono::Datelike::year(&shifted),
            month: chrono::Datelike::month(&shifted),
            day: chrono::Datelike::day(&shifted),
            ..start.dt
        };
        Some(to_utc(&moved, zone).saturating_add(d.seconds))
    }

    /// The span of one (non-recurring) component, per RFC 4791 §9.9, widened to a superset.
    fn span(&self, c: &Component) -> Option<Option<TimeSpan>> {
        let span = |start: i64, end: i64| {
            Some(TimeSpan {
                start,
                end: end.max(start + 1),
            })
        };
        Some(match c.kind {
            ObjectKind::Event => {
                let s = c.dtstart.as_ref()?;
                let start = self.at(s)?;
                let end = match (&c.dtend, &c.duration) {
                    (Some(e), _) => self.at(e)?,
                    (None, Some(d)) => self.plus(s, d)?,
                    (None, None) if s.dt.date_only => start + DAY,
                    (None, None) => start + 1,
                };
                span(start, end)
            }
            ObjectKind::Todo => match (&c.dtstart, &c.duration, &c.due) {
                (Some(s), Some(d), _) => {
                    let (a, b) = (self.at(s)?, self.plus(s, d)?);
                    span(a.min(b) - 1, a.max(b) + 1)
                }
                (Some(s), None, Some(due)) => {
                    let (a, b) = (self.at(s)?, self.at(due)?);
                    span(a.min(b) - 1, a.max(b) + 1)
                }
                (Some(s), None, None) => {
                    let a = self.at(s)?;
                    span(a, a + 1)
                }
                (None, _, Some(due)) => {
                    let b = self.at(due)?;
                    span(b - 1, b + 1)
                }
                (None, _, None) => match (&c.completed, &c.created) {
                    (Some(x), Some(y)) => {
                        let (a, b) = (self.at(x)?, self.at(y)?);
                        span(a.min(b) - 1, a.max(b) + 1)
                    }
                    (Some(x), None) => {
                        let a = self.at(x)?;
                        span(a - 1, a + 1)
                    }
                    (None, Some(y)) => span(self.at(y)?, i64::MAX),
                    (None, None) => Some(TimeSpan::ALL),
                },
            },
            ObjectKind::Journal => match &c.dtstart {
                Some(s) if s.dt.date_only => {
                    let a = self.at(s)?;
                    span(a, a + DAY)
                }
                Some(s) => {
                    let a = self.at(s)?;
                    span(a, a + 1)
                }
                None => None,
            },
            ObjectKind::FreeBusy => {
                let mut acc: Option<TimeSpan> = None;
                if let (Some(s), Some(e)) = (&c.dtstart, &c.dtend) {
                    acc = union(acc, span(self.at(s)?, self.at(e)? + 1));
                }
                for (s, end) in &c.freebusy {
                    let a = self.at(s)?;
                    let b = match end {
                        PeriodEnd::End(e) => to_utc(e, zone_of(s.tzid.as_deref(), self.defs)?),
                        PeriodEnd::Duration(d) => a.saturating_add(d.as_seconds()),
                    };
                    acc = union(acc, span(a, b));
                }
                acc
            }
            _ => None,
        })
    }
}

fn union(a: Option<TimeSpan>, b: Option<TimeSpan>) -> Option<TimeSpan> {
    match (a, b) {
        (Some(a), Some(b)) => Some(TimeSpan {
            start: a.start.min(b.start),
            end: a.end.max(b.end),
        }),
        (a, None) => a,
        (None, b) => b,
    }
}

fn is_recurring(c: &Component) -> bool {
    c.rrule.is_some() || !c.rdates.is_empty()
}

/// Fills `ObjectInfo` for a validated calendar object. `tree` is the component tree of the same
/// lexer pass, read by the recurrence engine (`None` when the bytes are not UTF-8): the body is
/// never parsed again.
pub(crate) fn calendar_info(cal: &Calendar, tree: Option<Tree<'_>>) -> ObjectInfo {
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
    let resolver = Resolver {
        defs: &cal.timezones,
    };
    // Floating values read as UTC, as the index reads them.
    let engine = tree.and_then(|t| RecCalendar::from_tree(t, &crate::tz::Zone::Utc).ok());
    let local = if cal.components.iter().any(is_recurring) {
        unbounded_span(cal, &resolver).inspect(|_| info.instances = None)
    } else {
        cal.components
            .iter()
            .try_fold(None, |acc, c| Some(union(acc, resolver.span(c)?)))
    };
    match local {
        Some(span) => {
            info.span = span;
            // The list must agree with the filter evaluator, which reads zones and instances
            // its own way: it comes from the evaluator's parse, never from this module's.
            // An unbounded series has none, so it is not worth the parse.
            if info.kind == ObjectKind::Event && info.instances.is_some() {
                if let Some((list, floating)) =
                    engine.as_ref().and_then(crate::recurrence::event_spans)
                {
                    info.event_instances = Some(list);
                    info.floating = floating;
                }
            }
        }
        None => delegated_times(cal, engine.as_ref(), &mut info),
    }
    info
}

/// An RRULE without COUNT or UNTIL needs no expansion: the object starts at its earliest
/// DTSTART, RDATE or override and never ends. `None` for anything bounded (the recurrence
/// engine counts those) or when a zone is not ours to resolve.
fn unbounded_span(cal: &Calendar, resolver: &Resolver<'_>) -> Option<Option<TimeSpan>> {
    let master = cal.components.iter().find(|c| c.recurrence_id.is_none())?;
    let rule = master.rrule.as_deref()?;
    let bounded = rule.split(';').any(|part| {
        let key = part.split('=').next().unwrap_or("").trim();
        key.eq_ignore_ascii_case("COUNT") || key.eq_ignore_ascii_case("UNTIL")
    });
    if bounded || master.dtstart.is_none() {
        return None;
    }
    let mut start = i64::MAX - 1;
    for c in &cal.components {
        if let Some(span) = resolver.span(c)? {
            start = start.min(span.start);
        }
        for (rdate, _) in &c.rdates {
            start = start.min(resolver.at(rdate)?);
        }
    }
    Some(Some(TimeSpan {
        start,
        end: i64::MAX,
    }))
}

/// THE hand-over point to the recurrence engine (`crate::recurrence::object_span`, which
/// expands rules with their zones, including VTIMEZONEs with no IANA equivalent): recurring
/// objects and TZIDs this module cannot resolve itself.
///
/// Should the engine fail on bytes this module accepted, the answer is still a safe superset:
/// the span starts 14 hours before the earliest DTSTART/RDATE/RECURRENCE-ID and is open-ended,
/// instances are COUNT + RDATEs when every rule has a COUNT and unknown otherwise.
fn delegated_times(cal: &Calendar, engine: Option<&RecCalendar<'_>>, info: &mut ObjectInfo) {
    let want_events = info.kind == ObjectKind::Event;
    let computed = engine.map(|e| crate::eval::span::object_times_and_events(e, want_events));
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
