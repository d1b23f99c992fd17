//! Recurrence rules (RFC 5545 §3.3.10, RFC 7529): what a rule may say ([`check`]), the rule read
//! into numbers ([`Rule`]), and the occurrences it generates ([`Occurrences`]).
//!
//! The engine is davlite's own (it replaced the calcard crate's): it works one FREQ period at a
//! time and never materialises more than one period's days (at most 366) and the time-of-day
//! lists (at most 24, 60 and 60 entries), so a rule that lists every month, day, hour, minute and
//! second costs a few kilobytes whatever range is asked for, and occurrences come out one by one
//! in order, as a caller consumes them.

mod check;
mod occurrences;

pub(crate) use check::check;
pub(crate) use occurrences::Occurrences;

use crate::datetime::{DateValue, parse_value};
use chrono::Weekday;

/// FREQ, ordered from the finest to the coarsest period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Freq {
    Secondly,
    Minutely,
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Freq {
    /// Length of one period in seconds, for the frequencies whose periods all have one length.
    pub(crate) fn seconds(self) -> Option<i64> {
        Some(match self {
            Freq::Secondly => 1,
            Freq::Minutely => 60,
            Freq::Hourly => 3_600,
            Freq::Daily => 86_400,
            Freq::Weekly => 7 * 86_400,
            Freq::Monthly | Freq::Yearly => return None,
        })
    }
}

/// What RFC 7529's SKIP says to do with a day that does not exist in a month (the 30th of
/// February): leave it out (RFC 5545's only behaviour), or take the day before or after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Skip {
    Omit,
    Backward,
    Forward,
}

/// An RRULE value read into numbers. Lists are as written (sorted and deduplicated); the
/// defaults a DTSTART supplies are added by [`Occurrences`].
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub freq: Freq,
    pub interval: u32,
    pub count: Option<u32>,
    pub until: Option<DateValue>,
    pub by_second: Vec<u8>,
    pub by_minute: Vec<u8>,
    pub by_hour: Vec<u8>,
    /// `(n, weekday)`; `n == 0` is every such weekday of the period.
    pub by_day: Vec<(i8, Weekday)>,
    pub by_monthday: Vec<i8>,
    pub by_yearday: Vec<i16>,
    pub by_weekno: Vec<i8>,
    pub by_month: Vec<u8>,
    pub by_setpos: Vec<i16>,
    pub wkst: Weekday,
    pub skip: Skip,
    /// The calendar scale, when RFC 7529's RSCALE names one other than Gregorian: such a rule
    /// is valid but its occurrences are not computed here.
    pub foreign_scale: Option<String>,
}

impl Rule {
    /// Reads a rule that passes [`check`]; anything else is the reason it does not.
    pub(crate) fn parse(value: &str) -> Result<Rule, String> {
        check(value)?;
        let mut rule = Rule {
            freq: Freq::Yearly,
            interval: 1,
            count: None,
            until: None,
            by_second: Vec::new(),
            by_minute: Vec::new(),
            by_hour: Vec::new(),
            by_day: Vec::new(),
            by_monthday: Vec::new(),
            by_yearday: Vec::new(),
            by_weekno: Vec::new(),
            by_month: Vec::new(),
            by_setpos: Vec::new(),
            wkst: Weekday::Mon,
            skip: Skip::Omit,
            foreign_scale: None,
        };
        for part in value.split(';').filter(|p| !p.trim().is_empty()) {
            // `check` saw an '=' in every part.
            let Some((k, v)) = part.split_once('=') else {
                continue;
            };
            let (k, v) = (upper(k.trim()), v.trim());
            match &*k {
                "FREQ" => {
                    rule.freq = match &*upper(v) {
                        "SECONDLY" => Freq::Secondly,
                        "MINUTELY" => Freq::Minutely,
                        "HOURLY" => Freq::Hourly,
                        "DAILY" => Freq::Daily,
                        "WEEKLY" => Freq::Weekly,
                        "MONTHLY" => Freq::Monthly,
                        _ => Freq::Yearly,
                    }
                }
                "INTERVAL" => rule.interval = number(&k, v)?,
                "COUNT" => rule.count = Some(number(&k, v)?),
                "UNTIL" => {
                    rule.until =
                        Some(parse_value(v).ok_or_else(|| format!("RRULE UNTIL={v} is no date"))?)
                }
                "BYSECOND" => {
                    rule.by_second = numbers(&k, v)?;
                    // A leap second has no place on the wall clock chrono keeps.
                    rule.by_second.retain(|&s| s < 60);
                    if rule.by_second.is_empty() {
                        return Err("RRULE BYSECOND lists only leap seconds".into());
                    }
                }
                "BYMINUTE" => rule.by_minute = numbers(&k, v)?,
                "BYHOUR" => rule.by_hour = numbers(&k, v)?,
                "BYMONTHDAY" => rule.by_monthday = numbers(&k, v)?,
                "BYYEARDAY" => rule.by_yearday = numbers(&k, v)?,
                "BYWEEKNO" => rule.by_weekno = numbers(&k, v)?,
                "BYMONTH" => rule.by_month = numbers(&k, v)?,
                "BYSETPOS" => rule.by_setpos = numbers(&k, v)?,
                "BYDAY" => {
                    for item in v.split(',') {
                        let item = upper(item.trim());
                        let (n, day) = item.split_at(item.len() - 2);
                        let n = match n.strip_prefix('+').unwrap_or(n) {
                            "" => 0,
                            n => n.parse().map_err(|_| format!("RRULE BYDAY {item}"))?,
                        };
                        rule.by_day.push((n, weekday(day)?));
                    }
                    rule.by_day
                        .sort_by_key(|(n, d)| (*n, d.num_days_from_monday()));
                    rule.by_day.dedup();
                }
                "WKST" => rule.wkst = weekday(&upper(v))?,
                "SKIP" => {
                    rule.skip = match &*upper(v) {
                        "BACKWARD" => Skip::Backward,
                        "FORWARD" => Skip::Forward,
                        _ => Skip::Omit,
                    }
                }
                "RSCALE" if !v.eq_ignore_ascii_case("GREGORIAN") => {
                    rule.foreign_scale = Some(v.to_string())
                }
                _ => {}
            }
        }
        Ok(rule)
    }

    /// UNTIL in the wall clock of the occurrences: a UTC UNTIL through `to_local` (the zone of
    /// DTSTART), a local or DATE one as written.
    pub(crate) fn until_local(
        &self,
        to_local: impl Fn(i64) -> chrono::NaiveDateTime,
    ) -> Option<chrono::NaiveDateTime> {
        self.until.map(|u| match u {
            DateValue::Utc(t) => to_local(t.and_utc().timestamp()),
            other => other.naive(),
        })
    }

    /// Whether the rule has any BYxxx part: without one, each period yields exactly one
    /// occurrence for the fixed-length frequencies.
    pub(crate) fn has_by(&self) -> bool {
        !(self.by_second.is_empty()
            && self.by_minute.is_empty()
            && self.by_hour.is_empty()
            && self.by_day.is_empty()
            && self.by_monthday.is_empty()
            && self.by_yearday.is_empty()
            && self.by_weekno.is_empty()
            && self.by_month.is_empty()
            && self.by_setpos.is_empty())
    }
}

fn number<T: std::str::FromStr>(k: &str, v: &str) -> Result<T, String> {
    v.strip_prefix('+')
        .unwrap_or(v)
        .parse()
        .map_err(|_| format!("RRULE {k}={v} is not a number"))
}

/// A sorted, deduplicated list of numbers.
fn numbers<T: std::str::FromStr + Ord>(k: &str, v: &str) -> Result<Vec<T>, String> {
    let mut out = v
        .split(',')
        .map(|n| number(k, n.trim()))
        .collect::<Result<Vec<T>, String>>()?;
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// `v` upper-cased, borrowed when it already is (rules are nearly always written so).
pub(crate) fn upper(v: &str) -> std::borrow::Cow<'_, str> {
    if v.bytes().any(|b| b.is_ascii_lowercase()) {
        std::borrow::Cow::Owned(v.to_ascii_uppercase())
    } else {
        std::borrow::Cow::Borrowed(v)
    }
}

fn weekday(v: &str) -> Result<Weekday, String> {
    Ok(match v {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        other => return Err(format!("RRULE weekday {other:?}")),
    })
}
