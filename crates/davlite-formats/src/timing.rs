//! The dates one component carries (DTSTART, DTEND, DUE, DURATION, COMPLETED, CREATED), in UTC.

use crate::datetime::{DateValue, Duration, parse_value};
use crate::tree::{CompRef, Prop};
use crate::tz::{Zone, Zones};

/// A date-valued property read in its zone.
#[derive(Debug, Clone)]
pub(crate) struct Stamp {
    pub value: DateValue,
    pub zone: Zone,
    pub utc: i64,
    /// Read in the floating zone ([`Zones::place`]).
    pub floating: bool,
}

impl Stamp {
    pub fn read(p: &Prop<'_>, zones: &Zones) -> Option<Stamp> {
        let value = parse_value(p.value())?;
        // Only a local DATE-TIME is read in its TZID's zone (`Zones::place`): a UTC value or a
        // DATE (CREATED, DTSTAMP, all-day DTSTART) needs no parameter search.
        let tzid = match value {
            DateValue::Local(_) => p.param("TZID"),
            DateValue::Utc(_) | DateValue::Date(_) => None,
        };
        let (zone, floating) = zones.place(value, tzid);
        let utc = value.to_utc(&zone);
        Some(Stamp {
            value,
            zone,
            utc,
            floating,
        })
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
    /// Any of these dates is read in the floating zone.
    pub floating: bool,
}

impl Timing {
    pub fn read(comp: CompRef<'_, '_>, zones: &Zones) -> Timing {
        const DATED: [&str; 5] = ["DTSTART", "DTEND", "DUE", "COMPLETED", "CREATED"];
        let mut t = Timing::default();
        for p in comp.props() {
            // Every name wanted here starts with D or C: most properties are passed over on
            // their first letter.
            if !matches!(p.name().as_bytes().first(), Some(b'D' | b'd' | b'C' | b'c')) {
                continue;
            }
            if p.is("DURATION") {
                t.duration = Duration::parse(p.value().as_bytes());
                continue;
            }
            let Some(which) = DATED.iter().position(|k| p.is(k)) else {
                continue;
            };
            let stamp = Stamp::read(p, zones);
            t.floating |= stamp.as_ref().is_some_and(|s| s.floating);
            match which {
                0 => t.dtstart = stamp,
                1 => t.dtend = stamp,
                2 => t.due = stamp,
                3 => t.completed = stamp.map(|s| s.utc),
                _ => t.created = stamp.map(|s| s.utc),
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
                    return Duration { days, seconds: 0 }.add_to(start, &anchor.zone);
                }
                return start.saturating_add(end.utc - anchor.utc);
            }
            if is_event && self.all_day() {
                return Duration {
                    days: 1,
                    seconds: 0,
                }
                .add_to(start, &anchor.zone);
            }
        }
        start
    }
}
