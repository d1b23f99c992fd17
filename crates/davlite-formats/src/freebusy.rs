//! Free-busy time over a range (RFC 4791 §7.10), for the free-busy-query REPORT.
//!
//! Events count unless TRANSP:TRANSPARENT or STATUS:CANCELLED; STATUS:TENTATIVE makes them
//! tentative. Events without length (a DATE-TIME DTSTART alone) block nothing. VFREEBUSY
//! components contribute their FREEBUSY periods by FBTYPE (FREE periods are dropped). Todos and
//! journals do not contribute. Periods are clipped to the range and merged per kind.
//!
//! An answer is whole or an error: an event that recurs more often in the range than the
//! recurrence engine expands at once ([`EXPANSION_CAP`] instances) makes the query fail with
//! [`FreeBusyError::TooManyInstances`], never a VFREEBUSY that silently stops after the first
//! instances.

use crate::TimeSpan;
use crate::datetime::Duration;
use crate::datetime::parse_value;
use crate::recurrence::{Calendar, EXPANSION_CAP, RecurrenceError, expand_set_complete};
use crate::tree::{CompRef, split_commas};
use crate::tz::Zone;

/// How a period is occupied (the iCalendar FBTYPE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BusyKind {
    Busy,
    Tentative,
    Unavailable,
}

impl BusyKind {
    pub(crate) fn fbtype(self) -> &'static str {
        match self {
            BusyKind::Busy => "BUSY",
            BusyKind::Tentative => "BUSY-TENTATIVE",
            BusyKind::Unavailable => "BUSY-UNAVAILABLE",
        }
    }
}

/// Why no free-busy answer can be given for a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FreeBusyError {
    /// An event recurs more than [`EXPANSION_CAP`] times around the range: its busy time
    /// cannot be listed whole.
    TooManyInstances,
    /// An event's recurrence set could not be expanded.
    Recurrence(String),
    /// A free-busy request (an iTIP VFREEBUSY REQUEST) that cannot be answered: not a
    /// VCALENDAR, not METHOD:REQUEST, not exactly one VFREEBUSY, or no DTSTART/DTEND range.
    Request(String),
}

impl std::fmt::Display for FreeBusyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FreeBusyError::TooManyInstances => write!(
                f,
                "an event recurs more than {EXPANSION_CAP} times in the range; ask for a \
                 shorter range"
            ),
            FreeBusyError::Recurrence(r) => write!(f, "recurrence not expandable: {r}"),
            FreeBusyError::Request(why) => write!(f, "free-busy request: {why}"),
        }
    }
}

impl std::error::Error for FreeBusyError {}

impl From<RecurrenceError> for FreeBusyError {
    fn from(e: RecurrenceError) -> Self {
        FreeBusyError::Recurrence(e.to_string())
    }
}

/// `[start, end)` in UTC seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BusyPeriod {
    pub start: i64,
    pub end: i64,
    pub kind: BusyKind,
}

/// FREEBUSY periods of a VFREEBUSY component (FREE periods dropped). Period values are UTC
/// (RFC 5545 §3.8.2.6).
pub(crate) fn component_periods(comp: CompRef<'_, '_>) -> Vec<BusyPeriod> {
    let mut out = Vec::new();
    for p in comp.props_named("FREEBUSY") {
        let kind = match p.param("FBTYPE").map(str::to_ascii_uppercase).as_deref() {
            None | Some("BUSY") => BusyKind::Busy,
            Some("BUSY-TENTATIVE") => BusyKind::Tentative,
            Some("BUSY-UNAVAILABLE") => BusyKind::Unavailable,
            Some("FREE") => continue,
            // Unknown (x-name) types are treated as BUSY, as RFC 5545 §3.2.9 asks.
            Some(_) => BusyKind::Busy,
        };
        for v in split_commas(p.value()) {
            let Some((a, b)) = v.split_once('/') else {
                continue;
            };
            let Some(sv) = parse_value(a) else { continue };
            let start = sv.to_utc(&Zone::Utc);
            let end = match parse_value(b) {
                Some(ev) => ev.to_utc(&Zone::Utc),
                None => match Duration::parse(b.as_bytes()) {
                    Some(d) => d.add_to(start, &Zone::Utc),
                    None => continue,
                },
            };
            if end > start {
                out.push(BusyPeriod { start, end, kind });
            }
        }
    }
    out
}

/// Extent of a VFREEBUSY component for the index: its periods together with DTSTART..DTEND, a
/// superset of what the evaluator matches (the periods when there are any, else DTSTART..DTEND).
pub(crate) fn component_extent(cal: &Calendar<'_>, idx: usize) -> Option<TimeSpan> {
    let comp = cal.comp(idx);
    let periods = component_periods(comp);
    let from_periods = match (
        periods.iter().map(|p| p.start).min(),
        periods.iter().map(|p| p.end).max(),
    ) {
        (Some(start), Some(end)) => Some(TimeSpan { start, end }),
        _ => None,
    };
    let t = cal.timing(idx);
    let from_dates = match (&t.dtstart, &t.dtend) {
        (Some(s), Some(e)) => Some(TimeSpan {
            start: s.utc,
            end: e.utc.max(s.utc) + 1,
        }),
        _ => None,
    };
    match (from_periods, from_dates) {
        (Some(a), Some(b)) => Some(TimeSpan {
            start: a.start.min(b.start),
            end: a.end.max(b.end),
        }),
        (a, b) => a.or(b),
    }
}

fn event_kind(comp: CompRef<'_, '_>) -> Option<BusyKind> {
    if comp
        .prop("TRANSP")
        .is_some_and(|p| p.value().trim().eq_ignore_ascii_case("TRANSPARENT"))
    {
        return None;
    }
    match comp
        .prop("STATUS")
        .map(|p| p.value().trim().to_ascii_uppercase())
        .as_deref()
    {
        Some("CANCELLED") => None,
        Some("TENTATIVE") => Some(BusyKind::Tentative),
        _ => Some(BusyKind::Busy),
    }
}

/// Busy periods of one calendar object within `[start, end)`; unreadable objects add nothing.
/// A recurrence set cut short at the expansion cap is an error, not fewer periods.
fn object_periods(
    bytes: &[u8],
    start: i64,
    end: i64,
    floating: &Zone,
    out: &mut Vec<BusyPeriod>,
) -> Result<(), FreeBusyError> {
    let Ok(cal) = Calendar::parse_in(bytes, floating) else {
        return Ok(());
    };
    let events = cal.components("VEVENT");
    if !events.is_empty() {
        let instances = match expand_set_complete(&cal, &events, start, end) {
            Err(RecurrenceError::TooManyInstances) => return Err(FreeBusyError::TooManyInstances),
            other => other?,
        };
        for i in instances {
            let Some(kind) = event_kind(cal.comp(i.component)) else {
                continue;
            };
            if i.end > i.start && i.start < end && i.end > start {
                out.push(BusyPeriod {
                    start: i.start.max(start),
                    end: i.end.min(end),
                    kind,
                });
            }
        }
    }
    for idx in cal.components("VFREEBUSY") {
        for p in component_periods(cal.comp(idx)) {
            if p.start < end && p.end > start {
                out.push(BusyPeriod {
                    start: p.start.max(start),
                    end: p.end.min(end),
                    kind: p.kind,
                });
            }
        }
    }
    Ok(())
}

/// Busy time of `objects` within `[start, end)`, merged per kind and sorted by start; an error
/// when some event's instances in the range cannot all be listed. Floating times read as UTC.
pub fn free_busy<'b>(
    objects: impl Iterator<Item = &'b [u8]>,
    start: i64,
    end: i64,
) -> Result<Vec<BusyPeriod>, FreeBusyError> {
    free_busy_in(objects, start, end, &Zone::Utc)
}

/// [`free_busy`] with floating DATE-TIMEs and all-day DATEs read in `floating` (the calendar's
/// time zone, RFC 4791 §5.2.2): a lunch at 12:00 floating is busy at noon where its owner lives.
pub fn free_busy_in<'b>(
    objects: impl Iterator<Item = &'b [u8]>,
    start: i64,
    end: i64,
    floating: &Zone,
) -> Result<Vec<BusyPeriod>, FreeBusyError> {
    let mut all = Vec::new();
    if start >= end {
        return Ok(all);
    }
    for o in objects {
        object_periods(o, start, end, floating, &mut all)?;
    }
    Ok(merge(all))
}

/// Merges overlapping periods of one kind, sorted by start: the busy time of several
/// calendars of one person is one list.
pub fn merge(mut all: Vec<BusyPeriod>) -> Vec<BusyPeriod> {
    all.sort_unstable_by_key(|p| (p.kind, p.start, p.end));
    let mut merged: Vec<BusyPeriod> = Vec::with_capacity(all.len());
    for p in all.drain(..) {
        match merged.last_mut() {
            Some(last) if last.kind == p.kind && p.start <= last.end => {
                last.end = last.end.max(p.end)
            }
            _ => merged.push(p),
        }
    }
    merged.sort_unstable_by_key(|p| (p.start, p.kind));
    merged
}

/// `YYYYMMDDTHHMMSSZ` of UTC seconds.
pub(crate) fn format_utc(t: i64) -> String {
    let d =
        chrono::DateTime::from_timestamp(t, 0).unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
    let mut s = crate::tz::fmt_naive(d.naive_utc(), false);
    s.push('Z');
    s
}

/// The VCALENDAR body of a free-busy-query answer: one VFREEBUSY with DTSTART/DTEND of the
/// range and one FREEBUSY line per period (short lines, so nothing needs folding).
pub fn render_free_busy(periods: &[BusyPeriod], start: i64, end: i64, dtstamp: i64) -> String {
    let mut s = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite//free-busy//EN\r\nBEGIN:VFREEBUSY\r\n",
    );
    for (k, v) in [("DTSTAMP", dtstamp), ("DTSTART", start), ("DTEND", end)] {
        s.push_str(&format!("{k}:{}\r\n", format_utc(v)));
    }
    for p in periods {
        s.push_str(&format!(
            "FREEBUSY;FBTYPE={}:{}/{}\r\n",
            p.kind.fbtype(),
            format_utc(p.start),
            format_utc(p.end)
        ));
    }
    s.push_str("END:VFREEBUSY\r\nEND:VCALENDAR\r\n");
    s
}
