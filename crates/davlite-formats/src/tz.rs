//! Time zones and date-time values: turning what an iCalendar object writes (a DATE, a floating
//! or TZID-qualified local DATE-TIME, a UTC DATE-TIME) into UTC seconds.
//!
//! A TZID is resolved in this order: an IANA name or a name the calcard crate maps to one
//! (Outlook/Windows names such as `W. Europe Standard Time`, `/mozilla.org/...` prefixes), then
//! the embedded VTIMEZONE's `X-LIC-LOCATION` or `X-MICROSOFT-CDO-TZID`, and only then the
//! VTIMEZONE's own STANDARD/DAYLIGHT rules, computed here. An IANA zone is preferred over the
//! embedded rules because exporters routinely truncate the rules to the current year.
//!
//! Floating times (no TZID, no `Z`) and all-day dates are placed in UTC. RFC 4791 §9.9 would
//! evaluate them in the calendar's `calendar-timezone`; callers that know it can convert with
//! [`Zone`] themselves. This is the documented choice of this crate.

use crate::eval::tree::{Comp, Tree};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

/// A time zone an object refers to.
#[derive(Debug, Clone)]
pub enum Zone {
    Utc,
    /// Floating local time; converted as UTC (see the module documentation).
    Floating,
    /// A fixed offset east of UTC, in seconds.
    Fixed(i32),
    Iana(chrono_tz::Tz),
    /// A VTIMEZONE with no IANA equivalent, computed from its own observances.
    Custom(Arc<CustomZone>),
}

impl Zone {
    /// Offset east of UTC in effect at `utc`.
    pub fn offset_at(&self, utc: i64) -> i32 {
        match self {
            Zone::Utc | Zone::Floating => 0,
            Zone::Fixed(o) => *o,
            Zone::Iana(tz) => match chrono::DateTime::from_timestamp(utc, 0) {
                Some(dt) => tz
                    .offset_from_utc_datetime(&dt.naive_utc())
                    .fix()
                    .local_minus_utc(),
                None => 0,
            },
            Zone::Custom(c) => c.offset_at(utc),
        }
    }

    /// UTC seconds of a local wall-clock time. A time skipped by a forward transition is
    /// interpreted with the offset before the transition (RFC 5545 §3.3.5), and an ambiguous
    /// time takes its first occurrence.
    pub fn to_utc(&self, local: NaiveDateTime) -> i64 {
        let naive = local.and_utc().timestamp();
        match self {
            Zone::Utc | Zone::Floating => naive,
            Zone::Fixed(o) => naive - i64::from(*o),
            Zone::Iana(tz) => match tz.from_local_datetime(&local) {
                chrono::LocalResult::Single(dt) => dt.timestamp(),
                chrono::LocalResult::Ambiguous(a, b) => a.timestamp().min(b.timestamp()),
                chrono::LocalResult::None => naive - i64::from(self.offset_at(naive - 86_400)),
            },
            Zone::Custom(c) => {
                // Try the offset in effect a day earlier (before any transition near `local`),
                // then the one in effect at that guess; if neither is self-consistent the time
                // falls in a gap and keeps the earlier offset.
                let off1 = c.offset_at(naive - 86_400);
                let u1 = naive - i64::from(off1);
                if c.offset_at(u1) == off1 {
                    return u1;
                }
                let off2 = c.offset_at(u1);
                let u2 = naive - i64::from(off2);
                if c.offset_at(u2) == off2 { u2 } else { u1 }
            }
        }
    }

    /// Wall-clock time at `utc` in this zone.
    pub fn to_local(&self, utc: i64) -> NaiveDateTime {
        let t = utc.saturating_add(i64::from(self.offset_at(utc)));
        chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.naive_utc())
            .unwrap_or_default()
    }
}

/// One STANDARD or DAYLIGHT observance's onsets, flattened.
#[derive(Debug, Clone)]
pub struct CustomZone {
    /// (UTC onset, offset in effect from then on), sorted by onset.
    transitions: Vec<(i64, i32)>,
    /// Offset before the first transition.
    initial: i32,
}

/// Rules are expanded up to this year; later instants keep the last offset.
const CUSTOM_ZONE_LAST_YEAR: i32 = 2200;
const CUSTOM_ZONE_MAX_ONSETS: usize = 2_000;

impl CustomZone {
    fn offset_at(&self, utc: i64) -> i32 {
        match self.transitions.partition_point(|(t, _)| *t <= utc) {
            0 => self.initial,
            n => self.transitions[n - 1].1,
        }
    }

    /// Builds the zone from a VTIMEZONE's observances; `None` when it has none usable.
    pub(crate) fn from_vtimezone(tree: &Tree<'_>, idx: usize) -> Option<CustomZone> {
        let mut transitions = Vec::new();
        let mut first: Option<(i64, i32)> = None;
        for (_, obs) in tree.children(idx) {
            if !(obs.is("STANDARD") || obs.is("DAYLIGHT")) {
                continue;
            }
            let from = obs
                .prop("TZOFFSETFROM")
                .and_then(|p| parse_offset(&p.value))?;
            let to = obs
                .prop("TZOFFSETTO")
                .and_then(|p| parse_offset(&p.value))?;
            let start = obs
                .prop("DTSTART")
                .and_then(|p| parse_value(&p.value))?
                .naive();
            let mut onsets = vec![start];
            if let Some(rule) = obs.prop("RRULE") {
                let until =
                    NaiveDate::from_ymd_opt(CUSTOM_ZONE_LAST_YEAR, 1, 1)?.and_time(NaiveTime::MIN);
                let zone = Zone::Fixed(from);
                if let Ok(list) = crate::recurrence::expand_rule(
                    start,
                    false,
                    &rule.value,
                    crate::recurrence::rule_count(&rule.value),
                    &zone,
                    Some(until),
                    CUSTOM_ZONE_MAX_ONSETS,
                ) {
                    onsets.extend(list);
                }
            }
            for rdate in obs.props_named("RDATE") {
                onsets.extend(
                    crate::eval::tree::split_commas(&rdate.value)
                        .filter_map(|v| parse_value(v).map(|d| d.naive())),
                );
            }
            for local in onsets {
                let utc = local.and_utc().timestamp() - i64::from(from);
                transitions.push((utc, to));
                if first.is_none_or(|(t, _)| utc < t) {
                    first = Some((utc, from));
                }
            }
        }
        let (_, initial) = first?;
        transitions.sort_unstable();
        transitions.dedup_by_key(|(t, _)| *t);
        Some(CustomZone {
            transitions,
            initial,
        })
    }
}

/// `+HHMM[SS]` / `-HHMM[SS]` to seconds east of UTC.
pub(crate) fn parse_offset(v: &str) -> Option<i32> {
    let v = v.trim();
    let (sign, digits) = match v.as_bytes().first()? {
        b'+' => (1, &v[1..]),
        b'-' => (-1, &v[1..]),
        _ => (1, v),
    };
    if digits.len() != 4 && digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = digits[0..2].parse().ok()?;
    let m: i32 = digits[2..4].parse().ok()?;
    let s: i32 = if digits.len() == 6 {
        digits[4..6].parse().ok()?
    } else {
        0
    };
    Some(sign * (h * 3600 + m * 60 + s))
}

/// A DATE or DATE-TIME value as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateValue {
    /// `VALUE=DATE`: an all-day date.
    Date(NaiveDate),
    /// A local time, floating or qualified by a TZID parameter.
    Local(NaiveDateTime),
    /// A time ending in `Z`.
    Utc(NaiveDateTime),
}

impl DateValue {
    /// The wall-clock value (midnight for a date; the UTC wall clock for a UTC time).
    pub fn naive(self) -> NaiveDateTime {
        match self {
            DateValue::Date(d) => d.and_time(NaiveTime::MIN),
            DateValue::Local(t) | DateValue::Utc(t) => t,
        }
    }

    pub fn is_date(self) -> bool {
        matches!(self, DateValue::Date(_))
    }

    /// UTC seconds, local values read in `zone`.
    pub fn to_utc(self, zone: &Zone) -> i64 {
        match self {
            DateValue::Utc(t) => t.and_utc().timestamp(),
            DateValue::Date(_) => Zone::Floating.to_utc(self.naive()),
            DateValue::Local(t) => zone.to_utc(t),
        }
    }
}

/// Parses `YYYYMMDD` or `YYYYMMDDTHHMMSS[Z]`.
pub fn parse_value(v: &str) -> Option<DateValue> {
    let v = v.trim().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = v.get(r)?;
        if !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(s).ok()?.parse().ok()
    };
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(4..6)?, num(6..8)?)?;
    if v.len() == 8 {
        return Some(DateValue::Date(date));
    }
    if v.get(8) != Some(&b'T') || !(v.len() == 15 || v.len() == 16) {
        return None;
    }
    // Leap second 60 is clamped to 59 rather than refusing the object.
    let time = NaiveTime::from_hms_opt(num(9..11)?, num(11..13)?, num(13..15)?.min(59))?;
    let dt = date.and_time(time);
    match v.get(15) {
        None => Some(DateValue::Local(dt)),
        Some(b'Z' | b'z') => Some(DateValue::Utc(dt)),
        Some(_) => None,
    }
}

/// UTC seconds of midnight of the day `days` after `d`.
pub(crate) fn date_plus_days(d: NaiveDateTime, days: i64) -> NaiveDateTime {
    d.checked_add_signed(chrono::TimeDelta::days(days))
        .unwrap_or(d)
}

/// Maps each TZID an object uses to a [`Zone`].
#[derive(Debug, Default, Clone)]
pub struct Zones {
    by_id: HashMap<String, Zone>,
}

impl Zones {
    /// Collects the VTIMEZONEs directly under the tree's root.
    pub(crate) fn from_tree(tree: &Tree<'_>) -> Zones {
        let mut by_id = HashMap::new();
        for (idx, comp) in tree.children(0) {
            if !comp.is("VTIMEZONE") {
                continue;
            }
            let Some(id) = comp.prop("TZID").map(|p| p.text().trim().to_string()) else {
                continue;
            };
            // A name that maps only to a fixed offset (`(UTC+01:00) Somewhere` becomes
            // `Etc/GMT-1`) would lose the daylight rules the VTIMEZONE carries: they win then.
            let zone = match named_zone(&id).or_else(|| hinted_zone(comp)) {
                Some(Zone::Iana(t)) if !t.name().starts_with("Etc/") => Some(Zone::Iana(t)),
                Some(Zone::Utc) => Some(Zone::Utc),
                named => CustomZone::from_vtimezone(tree, idx)
                    .map(|c| Zone::Custom(Arc::new(c)))
                    .or(named),
            };
            if let Some(zone) = zone {
                by_id.insert(id, zone);
            }
        }
        Zones { by_id }
    }

    /// The zone for a property's TZID parameter; `Floating` without one. A TZID that is neither
    /// embedded nor a known name is read as floating too (the object is accepted elsewhere).
    pub fn resolve(&self, tzid: Option<&str>) -> Zone {
        let Some(id) = tzid.map(str::trim) else {
            return Zone::Floating;
        };
        if let Some(z) = self.by_id.get(id) {
            return z.clone();
        }
        named_zone(id).unwrap_or(Zone::Floating)
    }
}

fn from_calcard(tz: calcard::common::timezone::Tz) -> Option<Zone> {
    use calcard::common::timezone::Tz;
    match tz {
        Tz::Tz(t) if t == chrono_tz::UTC => Some(Zone::Utc),
        Tz::Tz(t) => Some(Zone::Iana(t)),
        Tz::Fixed(f) => Some(Zone::Fixed(f.local_minus_utc())),
        Tz::Floating => None,
    }
}

/// IANA names, Windows names and prefixed names, through calcard's table.
fn named_zone(id: &str) -> Option<Zone> {
    calcard::common::timezone::Tz::from_str(id)
        .ok()
        .and_then(from_calcard)
}

fn hinted_zone(comp: &Comp<'_>) -> Option<Zone> {
    if let Some(p) = comp.prop("X-LIC-LOCATION") {
        let v = p.text();
        if let Some(z) = named_zone(v.strip_prefix("SystemV/").unwrap_or(&v)) {
            return Some(z);
        }
    }
    let p = comp.prop("X-MICROSOFT-CDO-TZID")?;
    calcard::common::timezone::Tz::from_ms_cdo_zone_id(p.value.trim()).and_then(from_calcard)
}

/// `YYYYMMDD` or `YYYYMMDDTHHMMSS` of a wall-clock time, written by hand: chrono's formatter
/// costs more than the rest of an expanded instance.
pub(crate) fn fmt_naive(t: NaiveDateTime, date_only: bool) -> String {
    use chrono::{Datelike, Timelike};
    fn push(s: &mut String, v: u32, width: u32) {
        for i in (0..width).rev() {
            s.push(char::from(b'0' + (v / 10u32.pow(i) % 10) as u8));
        }
    }
    let mut s = String::with_capacity(16);
    push(&mut s, t.year().clamp(0, 9999) as u32, 4);
    push(&mut s, t.month(), 2);
    push(&mut s, t.day(), 2);
    if !date_only {
        s.push('T');
        push(&mut s, t.hour(), 2);
        push(&mut s, t.minute(), 2);
        push(&mut s, t.second(), 2);
    }
    s
}
