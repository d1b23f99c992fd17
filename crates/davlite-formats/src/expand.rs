//! calendar-data `expand` (RFC 4791 §9.6.5) and `limit-recurrence-set` (§9.6.6): new bytes for
//! a REPORT answer, built from the stored bytes, which are never changed.
//!
//! Properties are copied from the stored bytes line by line (folds kept, line endings made
//! CRLF), so everything the server does not need to rewrite comes back exactly as the client
//! wrote it.

use crate::freebusy::format_utc;
use crate::recurrence::{
    Calendar, Instance, RecurrenceError, expand_set_complete, recurrence_sets,
};
use crate::tree::Prop;
use crate::tz::Zone;

/// The most bytes one object's expansion may take. Each instance repeats its component, so a
/// 1 MB event recurring daily, expanded over a year, would be 365 MB in one answer: past this
/// the expansion is refused as too many instances (the DAV layer answers that member with 403
/// `number-of-matches-within-limits`), never cut short. With the answer streamed member by
/// member, a request holds at most about this much (and its escaped copy) at a time.
pub const EXPANDED_BYTES_CAP: usize = 16 * 1024 * 1024;

/// Appends one stored line (or component) with every line ending turned into CRLF.
fn push_raw(out: &mut Vec<u8>, raw: &[u8]) {
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'\r' if raw.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 2;
                continue;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
}

fn overlaps(i: &Instance, start: i64, end: i64) -> bool {
    if i.end > i.start {
        i.start < end && i.end > start
    } else {
        i.start >= start && i.start < end
    }
}

/// Properties an expanded instance gets fresh values for, or loses.
const REWRITTEN: &[&str] = &[
    "DTSTART",
    "DTEND",
    "DUE",
    "RRULE",
    "RDATE",
    "EXDATE",
    "EXRULE",
    "RECURRENCE-ID",
];

fn is_rewritten(p: &Prop<'_>) -> bool {
    REWRITTEN.iter().any(|n| p.is(n))
}

/// A DATE value stays a DATE (all-day instances have no UTC form: the date is the one in the
/// floating zone they were placed in); a time becomes UTC.
fn date_line(out: &mut Vec<u8>, cal: &Calendar<'_>, name: &str, utc: i64, all_day: bool) {
    let line = if all_day {
        let local = cal.zones.floating().to_local(utc);
        format!(
            "{name};VALUE=DATE:{}\r\n",
            crate::tz::fmt_naive(local, true)
        )
    } else {
        let v = format_utc(utc);
        format!("{name}:{v}\r\n")
    };
    out.extend_from_slice(line.as_bytes());
}

fn begin(bytes: &[u8], cal: &Calendar<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    out.extend_from_slice(b"BEGIN:VCALENDAR\r\n");
    for p in cal.comp(0).props() {
        push_raw(&mut out, &bytes[p.raw.clone()]);
    }
    out
}

/// §9.6.5: every instance overlapping `[start, end)` as its own component, dates in UTC,
/// with a RECURRENCE-ID for instances of a recurring set, and no RRULE, RDATE, EXDATE or
/// VTIMEZONE. An instance keeps the properties and alarms of the component that describes it.
pub fn expand(bytes: &[u8], start: i64, end: i64) -> Result<Vec<u8>, RecurrenceError> {
    expand_in(bytes, start, end, &Zone::Utc)
}

/// [`expand`] with floating DATE-TIMEs and all-day DATEs placed in `floating` (RFC 4791 §9.6.5
/// converts floating times with the request's or the calendar's time zone).
pub fn expand_in(
    bytes: &[u8],
    start: i64,
    end: i64,
    floating: &Zone,
) -> Result<Vec<u8>, RecurrenceError> {
    let cal = Calendar::parse_in(bytes, floating)?;
    let mut out = begin(bytes, &cal);
    let mut all: Vec<Instance> = Vec::new();
    for set in recurrence_sets(&cal) {
        all.extend(
            expand_set_complete(&cal, &set, start, end)?
                .into_iter()
                .filter(|i| overlaps(i, start, end)),
        );
    }
    all.sort_unstable_by_key(|i| (i.start, i.component));
    for i in &all {
        let comp = cal.comp(i.component);
        // An instance is its component again plus a few date lines.
        if out.len().saturating_add(comp.raw.len() + 256) > EXPANDED_BYTES_CAP {
            return Err(RecurrenceError::TooManyInstances);
        }
        let timing = cal.timing(i.component);
        let all_day = timing.anchor().is_some_and(|a| a.value.is_date());
        out.extend_from_slice(format!("BEGIN:{}\r\n", comp.name).as_bytes());
        for p in comp.props() {
            if !is_rewritten(p) {
                push_raw(&mut out, &bytes[p.raw.clone()]);
            }
        }
        if timing.dtstart.is_some() {
            date_line(&mut out, &cal, "DTSTART", i.start, all_day);
            if timing.dtend.is_some() {
                date_line(&mut out, &cal, "DTEND", i.end, all_day);
            } else if timing.due.is_some() {
                date_line(&mut out, &cal, "DUE", i.end, all_day);
            }
        } else if timing.due.is_some() {
            date_line(&mut out, &cal, "DUE", i.start, all_day);
        }
        if let Some(rid) = i.recurrence_id {
            date_line(&mut out, &cal, "RECURRENCE-ID", rid, all_day);
        }
        for (_, child) in cal.tree.children(i.component) {
            push_raw(&mut out, &bytes[child.raw.clone()]);
        }
        out.extend_from_slice(format!("END:{}\r\n", comp.name).as_bytes());
    }
    out.extend_from_slice(b"END:VCALENDAR\r\n");
    Ok(out)
}

/// §9.6.6: the object as stored, minus the overridden instances (RECURRENCE-ID components)
/// that neither start in nor overlap `[start, end)`. Masters, VTIMEZONEs and components of
/// other kinds are kept byte for byte.
pub fn limit_recurrence_set(
    bytes: &[u8],
    start: i64,
    end: i64,
) -> Result<Vec<u8>, RecurrenceError> {
    limit_recurrence_set_in(bytes, start, end, &Zone::Utc)
}

/// [`limit_recurrence_set`] with floating DATE-TIMEs and DATEs placed in `floating`.
pub fn limit_recurrence_set_in(
    bytes: &[u8],
    start: i64,
    end: i64,
    floating: &Zone,
) -> Result<Vec<u8>, RecurrenceError> {
    let cal = Calendar::parse_in(bytes, floating)?;
    let mut keep_override = std::collections::HashSet::new();
    for set in recurrence_sets(&cal) {
        for i in expand_set_complete(&cal, &set, start, end)? {
            let rid_in = i.recurrence_id.is_some_and(|r| r >= start && r < end);
            if i.is_override && (overlaps(&i, start, end) || rid_in) {
                keep_override.insert(i.component);
            }
        }
    }
    let mut out = begin(bytes, &cal);
    for (idx, comp) in cal.tree.children(0) {
        let is_override = comp.prop("RECURRENCE-ID").is_some();
        if !is_override || keep_override.contains(&idx) {
            push_raw(&mut out, &bytes[comp.raw.clone()]);
        }
    }
    out.extend_from_slice(b"END:VCALENDAR\r\n");
    Ok(out)
}
