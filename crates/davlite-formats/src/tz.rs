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
//! `named_zone` and [`Zones`] are the single TZID resolver: the index extractor (`extract`)
//! and the evaluator both ask them. A VTIMEZONE in the object defines its TZID (RFC 5545
//! §3.2.19); a TZID without one is an IANA name, a name calcard maps to one (Windows names), or
//! a vendor-prefixed IANA name (`/freeassociation.sourceforge.net/Europe/Berlin`,
//! `/mozilla.org/20070129_1/America/New_York`).

use crate::datetime::{DateValue, Duration, parse_value};
use crate::tree::{CompRef, Tree};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

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

/// A VTIMEZONE with no IANA equivalent, computed from its STANDARD and DAYLIGHT observances.
///
/// Exporters start observances in 1601 or 1970 and objects are queried up to 2200, a thousand
/// onsets or more per zone; most objects need only the years around now. The transitions of
/// `NEAR_FROM_YEAR`..`NEAR_TO_YEAR` are computed when the zone is read (the rules skip
/// straight to that window), and the whole list only when an instant outside it is asked for.
#[derive(Debug)]
pub struct CustomZone {
    observances: Vec<Observance>,
    /// The window's transitions, `None` when they cannot be told without the whole list.
    near: Option<Transitions>,
    /// Every transition from the first onset to [`CUSTOM_ZONE_LAST_YEAR`].
    all: OnceLock<Transitions>,
}

/// Rules are expanded up to this year; later instants keep the last offset.
const CUSTOM_ZONE_LAST_YEAR: i32 = 2200;
/// At most this many onsets per observance (a rule with hourly onsets is not a time zone).
const CUSTOM_ZONE_MAX_ONSETS: usize = 2_000;
/// The window computed up front (wall-clock years, start inclusive, end exclusive).
const NEAR_FROM_YEAR: i32 = 1969;
const NEAR_TO_YEAR: i32 = 2041;

/// One STANDARD or DAYLIGHT observance, read.
#[derive(Debug)]
struct Observance {
    from: i32,
    to: i32,
    start: NaiveDateTime,
    rule: Option<crate::rrule::Rule>,
    /// The rule's last possible onset in this observance's wall clock (its UNTIL, or the end of
    /// [`CUSTOM_ZONE_LAST_YEAR`]).
    stop: NaiveDateTime,
    rdates: Vec<NaiveDateTime>,
}

/// Transitions sorted by onset, valid for instants in `valid`.
#[derive(Debug)]
struct Transitions {
    /// (UTC onset, offset in effect from then on).
    list: Vec<(i64, i32)>,
    /// Offset before the first transition.
    initial: i32,
    valid: std::ops::Range<i64>,
}

impl Transitions {
    fn offset_at(&self, utc: i64) -> i32 {
        match self.list.partition_point(|(t, _)| *t <= utc) {
            0 => self.initial,
            n => self.list[n - 1].1,
        }
    }
}

fn year_start(year: i32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .unwrap_or_default()
        .and_time(NaiveTime::MIN)
}

impl Observance {
    fn read(obs: CompRef<'_, '_>) -> Option<Observance> {
        let from = obs
            .prop("TZOFFSETFROM")
            .and_then(|p| parse_offset(p.value()))?;
        let to = obs
            .prop("TZOFFSETTO")
            .and_then(|p| parse_offset(p.value()))?;
        let start = obs
            .prop("DTSTART")
            .and_then(|p| parse_value(p.value()))?
            .naive();
        let last = year_start(CUSTOM_ZONE_LAST_YEAR);
        // A non-Gregorian RSCALE parses but yields no onsets.
        let rule = obs
            .prop("RRULE")
            .and_then(|p| crate::rrule::Rule::parse(p.value()).ok());
        // The rule's UTC UNTIL is read in the wall clock before the onset.
        let stop = rule.as_ref().map_or(last, |r| {
            r.until_local(|utc| Zone::Fixed(from).to_local(utc))
                .map_or(last, |u| u.min(last))
        });
        let rdates = obs
            .props_named("RDATE")
            .flat_map(|p| crate::tree::split_commas(p.value()))
            .filter_map(|v| parse_value(v).map(|d| d.naive()))
            .collect();
        Some(Observance {
            from,
            to,
            start,
            rule,
            stop,
            rdates,
        })
    }

    /// Onsets whose wall-clock time is in `lo..hi` (all before `hi` when `lo` is `None`), as
    /// (UTC onset, offset from then on, offset before). `false` when the rule had more onsets
    /// than [`CUSTOM_ZONE_MAX_ONSETS`] and the rest were dropped.
    fn onsets(
        &self,
        lo: Option<NaiveDateTime>,
        hi: NaiveDateTime,
        out: &mut Vec<(i64, i32, i32)>,
    ) -> bool {
        let mut push = |local: NaiveDateTime| {
            if lo.is_none_or(|l| local >= l) && local < hi {
                let utc = local.and_utc().timestamp() - i64::from(self.from);
                out.push((utc, self.to, self.from));
            }
        };
        push(self.start);
        self.rdates.iter().copied().for_each(&mut push);
        let Some(rule) = &self.rule else {
            return true;
        };
        let mut occ =
            crate::rrule::Occurrences::new(rule, self.start, false, Some(self.stop.min(hi)));
        if let Some(lo) = lo {
            occ.skip_to(lo);
        }
        for (taken, local) in occ.enumerate() {
            if taken == CUSTOM_ZONE_MAX_ONSETS {
                return false;
            }
            push(local);
        }
        true
    }
}

impl CustomZone {
    fn offset_at(&self, utc: i64) -> i32 {
        match &self.near {
            Some(near) if near.valid.contains(&utc) => near.offset_at(utc),
            _ => self
                .all
                .get_or_init(|| self.transitions(None))
                .offset_at(utc),
        }
    }

    /// The transitions of the years from `from_year` (every one when `None`) to
    /// [`NEAR_TO_YEAR`] or, for the whole list, [`CUSTOM_ZONE_LAST_YEAR`].
    fn transitions(&self, from_year: Option<i32>) -> Transitions {
        let lo = from_year.map(year_start);
        let hi = year_start(if lo.is_some() {
            NEAR_TO_YEAR
        } else {
            CUSTOM_ZONE_LAST_YEAR
        });
        let mut onsets = Vec::new();
        let mut complete = true;
        for obs in &self.observances {
            complete &= obs.onsets(lo, hi, &mut onsets);
        }
        onsets.sort_unstable();
        onsets.dedup_by_key(|(t, _, _)| *t);
        let initial = onsets.first().map_or(0, |o| o.2);
        // A window is exact from its first onset on (an onset before the window is older than
        // any in it) to a day before its end (offsets move wall clocks by less than that).
        let valid = match (lo, onsets.first()) {
            (None, _) => i64::MIN..i64::MAX,
            (Some(lo), Some(first)) if complete => {
                first.0.max(lo.and_utc().timestamp() + 86_400)..hi.and_utc().timestamp() - 86_400
            }
            _ => 0..0,
        };
        Transitions {
            list: onsets.into_iter().map(|(t, to, _)| (t, to)).collect(),
            initial,
            valid,
        }
    }

    /// Builds the zone from a VTIMEZONE's observances; `None` when it has none usable.
    pub(crate) fn from_vtimezone(tree: &Tree<'_>, idx: usize) -> Option<CustomZone> {
        let mut observances = Vec::new();
        for (_, obs) in tree.children(idx) {
            if !(obs.is("STANDARD") || obs.is("DAYLIGHT")) {
                continue;
            }
            // One unreadable observance makes the zone unusable, as before.
            observances.push(Observance::read(obs)?);
        }
        if observances.is_empty() {
            return None;
        }
        let mut zone = CustomZone {
            observances,
            near: None,
            all: OnceLock::new(),
        };
        let near = zone.transitions(Some(NEAR_FROM_YEAR));
        zone.near = (!near.valid.is_empty()).then_some(near);
        Some(zone)
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

/// Adding a duration needs the zone its days are counted in, so this half of [`Duration`] lives
/// beside [`Zone`] too.
impl Duration {
    /// `utc` moved by the duration: its days on the wall clock of `zone` (a day across a DST
    /// change is 23 or 25 hours, RFC 5545 §3.3.6), then its exact seconds.
    pub fn add_to(self, utc: i64, zone: &Zone) -> i64 {
        let base = if self.days == 0 {
            utc
        } else {
            zone.to_utc(date_plus_days(zone.to_local(utc), self.days))
        };
        base.saturating_add(self.seconds)
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
    /// Sorted by TZID (an object embeds one to a few zones: a binary search over a vector
    /// beats hashing the name on every date read).
    by_id: Vec<(String, Zone)>,
    /// Where floating DATE-TIMEs and DATEs are placed; `None` is UTC.
    floating: Option<Zone>,
}

impl Zones {
    /// Collects the VTIMEZONEs directly under the tree's root.
    pub(crate) fn from_tree(tree: &Tree<'_>) -> Zones {
        let mut by_id: Vec<(String, Zone)> = Vec::new();
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
                // A later VTIMEZONE of the same TZID replaces an earlier one.
                match by_id.binary_search_by(|(k, _)| k.as_str().cmp(&id)) {
                    Ok(i) => by_id[i].1 = zone,
                    Err(i) => by_id.insert(i, (id, zone)),
                }
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

    fn lookup(&self, tzid: Option<&str>) -> Option<Zone> {
        let id = tzid.map(crate::tree::trim)?;
        if let Ok(i) = self.by_id.binary_search_by(|(k, _)| k.as_str().cmp(id)) {
            return Some(self.by_id[i].1.clone());
        }
        named_zone(id)
    }

    /// The zone a value of a property with this TZID parameter is read in: UTC for `...Z`, the
    /// floating zone for a DATE, else [`Zones::resolve`].
    pub fn zone_of(&self, value: DateValue, tzid: Option<&str>) -> Zone {
        self.place(value, tzid).0
    }

    /// [`Zones::zone_of`], and whether that is the floating zone (a DATE, or a local time whose
    /// TZID names no zone): where such a value falls depends on who asks.
    pub fn place(&self, value: DateValue, tzid: Option<&str>) -> (Zone, bool) {
        match value {
            DateValue::Utc(_) => (Zone::Utc, false),
            DateValue::Date(_) => (self.floating(), true),
            DateValue::Local(_) => match self.lookup(tzid) {
                Some(zone) => (zone, false),
                None => (self.floating(), true),
            },
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
    let id = crate::tree::trim(id).trim_matches('"');
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

fn hinted_zone(comp: CompRef<'_, '_>) -> Option<Zone> {
    if let Some(z) = comp
        .prop("X-LIC-LOCATION")
        .and_then(|p| location_zone(&p.text()))
    {
        return Some(z);
    }
    let p = comp.prop("X-MICROSOFT-CDO-TZID")?;
    calcard::common::timezone::Tz::from_ms_cdo_zone_id(p.value().trim()).and_then(from_calcard)
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
    let children: Vec<(usize, CompRef<'_, '_>)> = tree.children(0).collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A zone no IANA name stands for, with a rule change in 1996 and observances from 1601.
    const ZONE: &str = "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:Custom Central\r\n\
BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nDTSTART:16010325T020000\r\n\
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n\
BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nDTSTART:16010930T030000\r\n\
RRULE:FREQ=YEARLY;BYMONTH=9;BYDAY=-1SU;UNTIL=19950924T010000Z\r\nEND:STANDARD\r\n\
BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nDTSTART:19961027T030000\r\n\
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n";

    #[test]
    fn custom_zone_window_answers_as_the_whole_list_does() {
        let tree = Tree::parse(ZONE.as_bytes()).unwrap();
        let zone = CustomZone::from_vtimezone(&tree, 1).unwrap();
        let near = zone
            .near
            .as_ref()
            .expect("the window is exact for yearly rules");
        let all = zone.transitions(None);
        assert!(near.list.len() < 200 && all.list.len() > 1_000);
        // Every 3 days and 7 hours from 1700 to 2199: both answers agree, inside the window and
        // out of it (which computes the whole list on demand).
        let (mut t, end) = (-8_520_336_000_i64, 7_258_118_400_i64);
        let mut inside = 0;
        while t < end {
            inside += usize::from(near.valid.contains(&t));
            assert_eq!(zone.offset_at(t), all.offset_at(t), "at {t}");
            t += 3 * 86_400 + 7 * 3_600;
        }
        assert!(inside > 7_000);
        // Summer and winter of 2024 and 1990 (the old rule ends in September then).
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        let z = Zone::Custom(Arc::new(zone));
        assert_eq!(
            z.to_utc(at("2024-07-01 12:00")),
            at("2024-07-01 10:00").and_utc().timestamp()
        );
        assert_eq!(
            z.to_utc(at("2024-10-15 12:00")),
            at("2024-10-15 10:00").and_utc().timestamp()
        );
        assert_eq!(
            z.to_utc(at("1990-10-15 12:00")),
            at("1990-10-15 11:00").and_utc().timestamp()
        );
        assert_eq!(
            z.to_utc(at("1750-01-15 12:00")),
            at("1750-01-15 11:00").and_utc().timestamp()
        );
    }
}
