//! Time zones and date-time values: turning what an iCalendar object writes (a DATE, a floating
//! or TZID-qualified local DATE-TIME, a UTC DATE-TIME) into UTC seconds.
//!
//! A TZID is resolved in this order: an IANA name or a name the calcard crate maps to one
//! (Outlook/Windows names such as `W. Europe Standard Time`, `/mozilla.org/...` prefixes), then
//! the embedded VTIMEZONE's `X-LIC-LOCATION` or `X-MICROSOFT-CDO-TZID`, and only then the
//! VTIMEZONE's own STANDARD/DAYLIGHT rules, computed here. An IANA zone is preferred over the
//! embedded rules because exporters routinely truncate the rules to the current year.
//!
//! Floating times (no TZID, no `Z`, or a TZID nothing defines) and all-day dates are read in the
//! *floating zone* a [`Zones`] carries: UTC unless the caller names another (RFC 4791 §9.9 and
//! RFC 7809: the query's `timezone` / `timezone-id`, else the calendar's `calendar-timezone`).
//! [`Zones::floating`] is the one place they are converted.
//!
//! [`named_zone`] and [`Zones`] are the single TZID resolver: the index extractor (`extract`)
//! and the evaluator both ask them. A VTIMEZONE in the object defines its TZID (RFC 5545
//! §3.2.19); a TZID without one is an IANA name, a name calcard maps to one (Windows names), or
//! a vendor-prefixed IANA name (`/freeassociation.sourceforge.net/Europe/Berlin`,
//! `/mozilla.org/20070129_1/America/New_York`).

use crate::datetime::{DateValue, parse_value};
use crate::tree::{Comp, Tree};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

/// A time zone an object refers to.
#[derive(Debug, Clone)]
pub enum Zone {
    Utc,
    /// Floating local time with no zone given; converted as UTC. [`Zones`] reads floating
    /// values in its floating zone instead (see the module documentation).
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
                // The onsets of an observance, in the wall clock before it begins.
                // (A non-Gregorian RSCALE yields none.)
                if let Ok(rule) = crate::rrule::Rule::parse(&rule.value) {
                    let stop = rule
                        .until_local(|utc| zone.to_local(utc))
                        .map_or(until, |u| u.min(until));
                    onsets.extend(
                        crate::rrule::Occurrences::new(&rule, start, false, Some(stop))
                            .take(CUSTOM_ZONE_MAX_ONSETS),
                    );
                }
            }
            for rdate in obs.props_named("RDATE") {
                onsets.extend(
                    crate::tree::split_commas(&rdate.value)
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

/// A value's UTC seconds needs its zone, so this half of [`DateValue`] lives beside [`Zone`].
impl DateValue {
    /// UTC seconds, local values and dates (midnight) read in `zone`. [`Zones::read`] picks the
    /// zone a property's value is read in.
    pub fn to_utc(self, zone: &Zone) -> i64 {
        match self {
            DateValue::Utc(t) => t.and_utc().timestamp(),
            DateValue::Date(_) | DateValue::Local(_) => zone.to_utc(self.naive()),
        }
    }
}

/// UTC seconds of midnight of the day `days` after `d`.
pub(crate) fn date_plus_days(d: NaiveDateTime, days: i64) -> NaiveDateTime {
    d.checked_add_signed(chrono::TimeDelta::days(days))
        .unwrap_or(d)
}

/// Maps each TZID an object uses to a [`Zone`], and reads floating values in the floating zone.
#[derive(Debug, Default, Clone)]
pub struct Zones {
    by_id: HashMap<String, Zone>,
    /// Where floating DATE-TIMEs and DATEs are placed; `None` is UTC.
    floating: Option<Zone>,
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
            let zone = match defined_zone(&id, || hinted_zone(comp)) {
                Some(z) => Some(z),
                None => CustomZone::from_vtimezone(tree, idx)
                    .map(|c| Zone::Custom(Arc::new(c)))
                    .or_else(|| named_zone(&id).or_else(|| hinted_zone(comp))),
            };
            if let Some(zone) = zone {
                by_id.insert(id, zone);
            }
        }
        Zones {
            by_id,
            floating: None,
        }
    }

    /// The same zones, reading floating values in `zone` (`Zone::Utc` or `Zone::Floating`: UTC).
    pub fn with_floating(mut self, zone: &Zone) -> Zones {
        self.floating = match zone {
            Zone::Utc | Zone::Floating => None,
            z => Some(z.clone()),
        };
        self
    }

    /// The zone floating DATE-TIMEs and DATEs are read in.
    pub fn floating(&self) -> Zone {
        self.floating.clone().unwrap_or(Zone::Floating)
    }

    /// The zone for a property's TZID parameter; the floating zone without one. A TZID that is
    /// neither embedded nor a known name is read as floating too (the object is accepted
    /// elsewhere).
    pub fn resolve(&self, tzid: Option<&str>) -> Zone {
        self.lookup(tzid).unwrap_or_else(|| self.floating())
    }

    /// Whether a value with this TZID parameter (or none) is floating.
    pub fn is_floating(&self, tzid: Option<&str>) -> bool {
        self.lookup(tzid).is_none()
    }

    fn lookup(&self, tzid: Option<&str>) -> Option<Zone> {
        let id = tzid.map(str::trim)?;
        if let Some(z) = self.by_id.get(id) {
            return Some(z.clone());
        }
        named_zone(id)
    }

    /// The zone a value of a property with this TZID parameter is read in: UTC for `...Z`, the
    /// floating zone for a DATE, else [`Zones::resolve`].
    pub fn zone_of(&self, value: DateValue, tzid: Option<&str>) -> Zone {
        match value {
            DateValue::Utc(_) => Zone::Utc,
            DateValue::Date(_) => self.floating(),
            DateValue::Local(_) => self.resolve(tzid),
        }
    }

    /// UTC seconds of a value of a property with this TZID parameter.
    pub fn read(&self, value: DateValue, tzid: Option<&str>) -> i64 {
        value.to_utc(&self.zone_of(value, tzid))
    }
}

/// The zone a VTIMEZONE with TZID `id` stands for when an IANA zone does (by its TZID, or by the
/// `hint` its `X-LIC-LOCATION` / `X-MICROSOFT-CDO-TZID` gives); `None` when only its own rules
/// can tell. An IANA zone is preferred because exporters truncate rules to the current year.
/// A name that maps only to a fixed offset (`(UTC+01:00) Somewhere` becomes `Etc/GMT-1`) would
/// lose the daylight rules the VTIMEZONE carries: they win then. Shared by `Zones` and the
/// index extractor, so both read an embedded zone the same way.
pub(crate) fn defined_zone(id: &str, hint: impl FnOnce() -> Option<Zone>) -> Option<Zone> {
    match named_zone(id).or_else(hint) {
        Some(Zone::Iana(t)) if !t.name().starts_with("Etc/") => Some(Zone::Iana(t)),
        Some(Zone::Utc) => Some(Zone::Utc),
        _ => None,
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

/// IANA names, Windows names and prefixed names, through calcard's table; then vendor-prefixed
/// IANA names calcard does not strip (`/freeassociation.sourceforge.net/Europe/Berlin`,
/// `/vendor/Tzfile/America/Argentina/Buenos_Aires`): the last three, then two, segments.
pub(crate) fn named_zone(id: &str) -> Option<Zone> {
    let id = id.trim().trim_matches('"');
    if let Some(z) = calcard::common::timezone::Tz::from_str(id)
        .ok()
        .and_then(from_calcard)
    {
        return Some(z);
    }
    let segs: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
    (2..=3.min(segs.len()))
        .rev()
        .find_map(|k| chrono_tz::Tz::from_str(&segs[segs.len() - k..].join("/")).ok())
        .map(|t| {
            if t == chrono_tz::UTC {
                Zone::Utc
            } else {
                Zone::Iana(t)
            }
        })
}

/// The zone an `X-LIC-LOCATION` names.
pub(crate) fn location_zone(v: &str) -> Option<Zone> {
    let v = v.trim();
    named_zone(v.strip_prefix("SystemV/").unwrap_or(v))
}

fn hinted_zone(comp: &Comp<'_>) -> Option<Zone> {
    if let Some(z) = comp
        .prop("X-LIC-LOCATION")
        .and_then(|p| location_zone(&p.text()))
    {
        return Some(z);
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

/// A time zone given as iCalendar text: a `calendar-timezone` property or a calendar-query's
/// `C:timezone` (RFC 4791 §5.2.2, §9.8), which is a VCALENDAR holding exactly one VTIMEZONE.
#[derive(Debug, Clone)]
pub struct TimezoneText {
    /// The VTIMEZONE's TZID.
    pub tzid: String,
    /// The zone it defines, read as an object's embedded VTIMEZONE is.
    pub zone: Zone,
    /// The IANA name of that zone, when it is one (what `calendar-timezone-id` reports).
    pub iana: Option<String>,
}

/// Reads a `calendar-timezone` / `C:timezone` value; `Err` with the reason when it is not a
/// VCALENDAR with exactly one VTIMEZONE (and nothing else) whose zone can be used.
pub fn parse_timezone_text(text: &str) -> Result<TimezoneText, String> {
    let tree = Tree::parse(text.trim().as_bytes()).map_err(|e| e.to_string())?;
    if !tree.root().is("VCALENDAR") {
        return Err("the root component is not VCALENDAR".into());
    }
    let children: Vec<(usize, &Comp<'_>)> = tree.children(0).collect();
    let [(_, comp)] = children.as_slice() else {
        return Err(format!(
            "{} components where exactly one VTIMEZONE is expected",
            children.len()
        ));
    };
    if !comp.is("VTIMEZONE") {
        return Err(format!("{} where a VTIMEZONE is expected", comp.name));
    }
    let tzid = comp
        .prop("TZID")
        .map(|p| p.text().trim().to_string())
        .filter(|t| !t.is_empty())
        .ok_or("the VTIMEZONE has no TZID")?;
    let zone = Zones::from_tree(&tree)
        .lookup(Some(&tzid))
        .ok_or("the VTIMEZONE has no usable STANDARD or DAYLIGHT rules")?;
    let iana = match &zone {
        Zone::Iana(t) => Some(t.name().to_string()),
        Zone::Utc => Some("UTC".to_string()),
        _ => None,
    };
    Ok(TimezoneText { tzid, zone, iana })
}

/// The zone of a time zone identifier as RFC 7809 uses them (`C:timezone-id`,
/// `calendar-timezone-id`): an IANA name, or a name the TZID resolver maps to one.
pub fn zone_for_id(id: &str) -> Option<Zone> {
    match named_zone(id)? {
        z @ (Zone::Iana(_) | Zone::Utc) => Some(z),
        _ => None,
    }
}

/// The IANA name [`zone_for_id`] resolves `id` to.
pub fn iana_name(id: &str) -> Option<String> {
    match zone_for_id(id)? {
        Zone::Iana(t) => Some(t.name().to_string()),
        _ => Some("UTC".to_string()),
    }
}

/// A VCALENDAR holding the VTIMEZONE of IANA zone `id` (its observances from 1970 to 2037), as
/// `calendar-timezone` reports a zone set by `calendar-timezone-id` (RFC 7809 §5.2).
pub fn vtimezone_text(id: &str) -> Option<String> {
    let name = iana_name(id)?;
    let text =
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite//timezones//EN\r\nEND:VCALENDAR\r\n";
    let calcard::Entry::ICalendar(mut ical) = calcard::Parser::new(text).entry() else {
        return None;
    };
    // 1970-01-01 .. 2038-01-01.
    ical.add_timezone(&name, 0, 2_145_916_800)?;
    Some(ical.to_string())
}
