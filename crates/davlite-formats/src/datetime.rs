//! DATE, DATE-TIME, DURATION and PERIOD values (RFC 5545 §3.3), parsed without allocation.
//!
//! One reading of a date: [`LocalDateTime::parse`], on bytes, which validation uses as it is;
//! [`DateValue`] is the same value on chrono's calendar, what recurrence and zones compute with
//! ([`parse_value`]). Neither knows a time zone: the zone-dependent halves
//! (`DateValue::to_utc`, `Duration::add_to`) are in [`crate::tz`].
//!
//! Parsing checks the calendar (no February 30th) because a date that does not exist cannot be
//! indexed; turning a local time into UTC needs the zone and lives in `extract`.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// A DATE or DATE-TIME as written, before any zone is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LocalDateTime {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// A DATE value (all-day), no time part.
    pub date_only: bool,
    /// Ends in `Z`: already UTC.
    pub utc: bool,
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0')))
}

/// Days in `month` of `year` (Gregorian).
pub(crate) fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl LocalDateTime {
    /// Parses `YYYYMMDD` or `YYYYMMDDTHHMMSS[Z]`.
    pub fn parse(v: &[u8]) -> Option<LocalDateTime> {
        if v.len() < 8 {
            return None;
        }
        let year = digits(&v[0..4])? as i32;
        let month = digits(&v[4..6])?;
        let day = digits(&v[6..8])?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        let mut dt = LocalDateTime {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
            date_only: true,
            utc: false,
        };
        match v.len() {
            8 => return Some(dt),
            15 | 16 if v[8] == b'T' || v[8] == b't' => {}
            _ => return None,
        }
        dt.hour = digits(&v[9..11])?;
        dt.minute = digits(&v[11..13])?;
        dt.second = digits(&v[13..15])?;
        if dt.hour > 23 || dt.minute > 59 || dt.second > 60 {
            return None;
        }
        dt.date_only = false;
        if v.len() == 16 {
            if v[15] != b'Z' && v[15] != b'z' {
                return None;
            }
            dt.utc = true;
        }
        Some(dt)
    }

    /// The same value on chrono's calendar. A leap second (`:60`) becomes the last second of its
    /// minute, which is all chrono's wall clock can hold.
    pub fn value(self) -> Option<DateValue> {
        let date = NaiveDate::from_ymd_opt(self.year, self.month, self.day)?;
        if self.date_only {
            return Some(DateValue::Date(date));
        }
        let time = NaiveTime::from_hms_opt(self.hour, self.minute, self.second.min(59))?;
        let t = date.and_time(time);
        Some(if self.utc {
            DateValue::Utc(t)
        } else {
            DateValue::Local(t)
        })
    }

    /// Seconds since the epoch reading the wall-clock time as if it were UTC. A leap second
    /// (`:60`) counts as the last second of its minute.
    pub fn as_utc_seconds(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second.min(59))
    }
}

/// A DURATION (RFC 5545 §3.3.6). Days and weeks are nominal (they follow wall-clock time across
/// a DST change), hours/minutes/seconds are exact, so both are kept apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Duration {
    pub days: i64,
    pub seconds: i64,
}

impl Duration {
    /// Parses `[+|-]P(nW | nD[T...] | T nH nM nS)`, surrounding blanks ignored; `None` on
    /// anything else, and on lengths beyond 10,000,000 days or 10^12 seconds (27,000 and
    /// 31,000 years: nothing a calendar means).
    pub fn parse(v: &[u8]) -> Option<Duration> {
        let v = v.trim_ascii();
        let (neg, rest) = match v.first()? {
            b'-' => (true, &v[1..]),
            b'+' => (false, &v[1..]),
            _ => (false, v),
        };
        let rest = rest
            .strip_prefix(b"P")
            .or_else(|| rest.strip_prefix(b"p"))?;
        let mut d = Duration::default();
        let mut num: Option<i64> = None;
        let mut in_time = false;
        let mut any = false;
        for &b in rest {
            match b {
                b'0'..=b'9' => {
                    let n = num
                        .unwrap_or(0)
                        .checked_mul(10)?
                        .checked_add(i64::from(b - b'0'))?;
                    if n > 1_000_000_000_000 {
                        return None;
                    }
                    num = Some(n);
                }
                b'T' | b't' if num.is_none() && !in_time => in_time = true,
                _ => {
                    let n = num.take()?;
                    any = true;
                    let (days, seconds) = match (b.to_ascii_uppercase(), in_time) {
                        (b'W', false) => (n * 7, 0),
                        (b'D', false) => (n, 0),
                        (b'H', true) => (0, n * 3600),
                        (b'M', true) => (0, n * 60),
                        (b'S', true) => (0, n),
                        _ => return None,
                    };
                    d.days = d.days.checked_add(days)?;
                    d.seconds = d.seconds.checked_add(seconds)?;
                }
            }
        }
        if num.is_some() || !any || d.days > 10_000_000 || d.seconds > 1_000_000_000_000 {
            return None;
        }
        if neg {
            d.days = -d.days;
            d.seconds = -d.seconds;
        }
        Some(d)
    }

    /// Length in seconds counting a day as 86,400 s (for UTC and floating times).
    pub fn as_seconds(&self) -> i64 {
        self.days
            .saturating_mul(86_400)
            .saturating_add(self.seconds)
    }
}

/// A PERIOD (RFC 5545 §3.3.9): `start/end` or `start/duration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodEnd {
    End(LocalDateTime),
    Duration(Duration),
}

pub fn parse_period(v: &[u8]) -> Option<(LocalDateTime, PeriodEnd)> {
    let slash = memchr::memchr(b'/', v)?;
    let start = LocalDateTime::parse(&v[..slash])?;
    let rest = &v[slash + 1..];
    let end = match rest.first()? {
        b'P' | b'p' | b'+' | b'-' => PeriodEnd::Duration(Duration::parse(rest)?),
        _ => PeriodEnd::End(LocalDateTime::parse(rest)?),
    };
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_and_rejects_impossible_ones() {
        let d = LocalDateTime::parse(b"20240229").unwrap();
        assert!(d.date_only);
        assert_eq!(d.as_utc_seconds(), 1_709_164_800);
        assert!(LocalDateTime::parse(b"20230229").is_none());
        assert!(LocalDateTime::parse(b"20231301").is_none());
        let t = LocalDateTime::parse(b"19700101T000001Z").unwrap();
        assert!(t.utc && !t.date_only);
        assert_eq!(t.as_utc_seconds(), 1);
        assert!(LocalDateTime::parse(b"20240101T250000").is_none());
        assert!(LocalDateTime::parse(b"20240101X000000").is_none());
        assert_eq!(
            LocalDateTime::parse(b"16010101T020000")
                .unwrap()
                .as_utc_seconds(),
            -11_644_466_400
        );
    }

    #[test]
    fn parses_durations() {
        assert_eq!(
            Duration::parse(b"PT1H30M"),
            Some(Duration {
                days: 0,
                seconds: 5400
            })
        );
        assert_eq!(
            Duration::parse(b"-P2W"),
            Some(Duration {
                days: -14,
                seconds: 0
            })
        );
        assert_eq!(
            Duration::parse(b"P1DT1S"),
            Some(Duration {
                days: 1,
                seconds: 1
            })
        );
        assert!(Duration::parse(b"P").is_none());
        assert!(Duration::parse(b"PT").is_none());
        assert!(Duration::parse(b"P1H").is_none());
        assert!(Duration::parse(b"P99999999999999999999D").is_none());
    }
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
}

/// Parses `YYYYMMDD` or `YYYYMMDDTHHMMSS[Z]`, surrounding blanks ignored: the reading
/// validation made ([`LocalDateTime::parse`]), on chrono's calendar.
pub fn parse_value(v: &str) -> Option<DateValue> {
    LocalDateTime::parse(crate::tree::trim(v).as_bytes()).and_then(LocalDateTime::value)
}
