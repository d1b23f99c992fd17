//! The dates one component carries (DTSTART, DTEND, DUE, DURATION, COMPLETED, CREATED), in UTC,
//! and durations, which RFC 5545 §3.3.6 splits into nominal days (wall-clock) and exact seconds.

use crate::datetime::{DateValue, parse_value};
use crate::tree::{Comp, Prop};
use crate::tz::{Zone, Zones};

/// A DURATION value: nominal days (weeks count as 7) plus exact seconds, with a sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Duration {
    pub days: i64,
    pub secs: i64,
}

impl Duration {
    /// Parses `[+-]P[nW][nD][T[nH][nM][nS]]`.
    pub fn parse(v: &str) -> Option<Duration> {
        let v = v.trim();
        let (neg, v) = match v.as_bytes().first()? {
            b'-' => (true, &v[1..]),
            b'+' => (false, &v[1..]),
            _ => (false, v),
        };
        let v = v.strip_prefix(['P', 'p'])?;
        let (mut days, mut secs, mut num, mut in_time, mut any) = (0i64, 0i64, 0i64, false, false);
        let mut digits = false;
        for c in v.chars() {
            match c.to_ascii_uppercase() {
                d @ '0'..='9' => {
                    num = num
                        .checked_mul(10)?
                        .checked_add(i64::from(d as u8 - b'0'))?;
                    digits = true;
                }
                'T' if !in_time && !digits => in_time = true,
                u @ ('W' | 'D' | 'H' | 'M' | 'S') if digits => {
                    match (u, in_time) {
                        ('W', false) => days = days.checked_add(num.checked_mul(7)?)?,
                        ('D', false) => days = days.checked_add(num)?,
                        ('H', true) => secs = secs.checked_add(num.checked_mul(3600)?)?,
                        ('M', true) => secs = secs.checked_add(num.checked_mul(60)?)?,
                        ('S', true) => secs = secs.checked_add(num)?,
                        _ => return None,
                    }
                    num = 0;
                    digits = false;
                    any = true;
                }
                _ => return None,
            }
        }
        if !any || digits || days > 10_000_000 || secs > 1_000_000_000_000 {
            return None;
        }
        Some(if neg {
            Duration {
                days: -days,
                secs: -secs,
            }
        } else {
            Duration { days, secs }
        })
    }

    /// Adds the duration to an instant whose wall clock is read in `zone`.
    pub fn add_to(self, utc: i64, zone: &Zone) -> i64 {
        let base = if self.days == 0 {
            utc
        } else {
            let local = zone.to_local(utc);
            zone.to_utc(crate::tz::date_plus_days(local, self.days))
        };
        base.saturating_add(self.secs)
    }
}

/// A date-valued property read in its zone.
#[derive(Debug, Clone)]
pub(crate) struct Stamp {
    pub value: DateValue,
    pub zone: Zone,
    pub utc: i64,
}

impl Stamp {
    pub fn read(p: &Prop<'_>, zones: &Zones) -> Option<Stamp> {
        let value = parse_value(&p.value)?;
        let zone = zones.zone_of(value, p.param("TZID"));
        let utc = value.to_utc(&zone);
        Some(Stamp { value, zone, utc })
    }
}

/// The dates of one component.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timing {
    pub dtstart: Option<Stamp>,
    pub dtend: Option<Stamp>,
    pub due: Option<Stamp>,
    pub duration: Option<Duration>,
    pub completed: Option<i64>,
    pub created: Option<i64>,
}

impl Timing {
    pub fn read(comp: &Comp<'_>, zones: &Zones) -> Timing {
        let mut t = Timing::default();
        for p in &comp.props {
            let n: &str = &p.name;
            let is = |k: &str| n.eq_ignore_ascii_case(k);
            if is("DTSTART") {
                t.dtstart = Stamp::read(p, zones);
            } else if is("DTEND") {
                t.dtend = Stamp::read(p, zones);
            } else if is("DUE") {
                t.due = Stamp::read(p, zones);
            } else if is("DURATION") {
                t.duration = Duration::parse(&p.value);
            } else if is("COMPLETED") {
                t.completed = Stamp::read(p, zones).map(|s| s.utc);
            } else if is("CREATED") {
                t.created = Stamp::read(p, zones).map(|s| s.utc);
            }
        }
        t
    }

    pub fn all_day(&self) -> bool {
        self.dtstart.as_ref().is_some_and(|s| s.value.is_date())
    }

    /// Where an instance of this component is anchored: DTSTART, or DUE for a todo without one.
    pub fn anchor(&self) -> Option<&Stamp> {
        self.dtstart.as_ref().or(self.due.as_ref())
    }

    /// End of an instance starting at `start` (the anchor moved by recurrence): DTEND or DUE
    /// keep their distance to DTSTART, DURATION is added, an all-day event lasts one day, and
    /// anything else has no length.
    pub fn end_for(&self, start: i64, is_event: bool) -> i64 {
        let Some(anchor) = self.anchor() else {
            return start;
        };
        if let Some(d) = self.duration {
            return d.add_to(start, &anchor.zone);
        }
        if self.dtstart.is_some() {
            if let Some(end) = self.dtend.as_ref().or(self.due.as_ref()) {
                // All-day to all-day: whole days on the wall clock, so an instance in a floating
                // zone runs midnight to midnight across a DST change too.
                if let (DateValue::Date(a), DateValue::Date(b)) = (anchor.value, end.value) {
                    let days = (b - a).num_days();
                    return Duration { days, secs: 0 }.add_to(start, &anchor.zone);
                }
                return start.saturating_add(end.utc - anchor.utc);
            }
            if is_event && self.all_day() {
                return Duration { days: 1, secs: 0 }.add_to(start, &anchor.zone);
            }
        }
        start
    }
}
