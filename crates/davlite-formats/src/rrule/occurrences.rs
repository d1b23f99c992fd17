//! The occurrences of a [`Rule`] from a DTSTART, in order, one FREQ period at a time.
//!
//! A period's candidates are its days that pass every day-level part (generated from the most
//! selective part, then checked against all of them) crossed with the time-of-day lists. The
//! cross product is never built: candidate `k` is `days[k / times]` at time `k % times`, so
//! BYSETPOS picks its positions by arithmetic, and memory stays at one period's days.
//!
//! Sub-daily frequencies jump over the periods of a day, hour or minute that a limiting part
//! rules out, so a `FREQ=SECONDLY;BYMONTH=12` rule does not walk eleven months of seconds.

use super::{Freq, Rule, Skip};
use crate::datetime::days_in_month;
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike, Weekday};

/// Periods in a row without a candidate after which a rule is known never to produce one again:
/// the Gregorian calendar repeats every 400 years (146,097 days, 20,871 weeks, 4,800 months), so
/// the positions an INTERVAL visits repeat within that many periods.
fn cycle(freq: Freq) -> u64 {
    match freq {
        Freq::Yearly => 400,
        Freq::Monthly => 4_800,
        Freq::Weekly => 20_871,
        Freq::Daily => 146_097,
        // Sub-daily periods also repeat with the day, but their lattice need not divide it: a
        // budget, far above anything a satisfiable rule needs between two occurrences.
        _ => 2_000_000,
    }
}

/// The last year expanded: RFC 5545 dates have four digits.
const LAST_YEAR: i32 = 9999;

pub(crate) struct Occurrences<'r> {
    rule: &'r Rule,
    start: NaiveDateTime,
    /// Nothing before this is produced: DTSTART, or where [`Occurrences::skip_to`] moved on to.
    floor: NaiveDateTime,
    /// The wall-clock time after which nothing is produced (the rule's UNTIL, or the caller's).
    until: Option<NaiveDateTime>,
    remaining: Option<u32>,
    months: Vec<u8>,
    monthdays: Vec<i8>,
    by_day: Vec<(i8, Weekday)>,
    hours: Vec<u8>,
    minutes: Vec<u8>,
    seconds: Vec<u8>,
    /// The hour, minute and second a sub-daily period fixes.
    fixed: (Option<u8>, Option<u8>, Option<u8>),
    /// First day of the first WEEKLY period (DTSTART's week, starting on WKST).
    week0: NaiveDate,
    /// DTSTART cut down to its FREQ unit, for the sub-daily lattice.
    base: NaiveDateTime,
    /// Index of the next period to open.
    period: i64,
    /// Days of the open period passing every day-level part, in order.
    days: Vec<NaiveDate>,
    scratch: Vec<(NaiveDate, bool)>,
    /// BYSETPOS positions of the open period, in order; unused without BYSETPOS.
    picks: Vec<u64>,
    /// Next candidate (or pick) of the open period, and how many there are.
    next: u64,
    total: u64,
    done: bool,
}

impl<'r> Occurrences<'r> {
    /// The occurrences of `rule` anchored at the wall-clock `start`, none after `until` in the
    /// same wall clock. The rule's own UNTIL is the caller's to apply through `until` (it may be
    /// UTC, which only the caller's zone can turn into wall-clock time). `date_only`: DTSTART is
    /// a DATE, so every occurrence is a day.
    pub(crate) fn new(
        rule: &'r Rule,
        start: NaiveDateTime,
        date_only: bool,
        until: Option<NaiveDateTime>,
    ) -> Occurrences<'r> {
        let no_day_part = rule.by_weekno.is_empty()
            && rule.by_yearday.is_empty()
            && rule.by_monthday.is_empty()
            && rule.by_day.is_empty();
        let mut months = rule.by_month.clone();
        let mut monthdays = rule.by_monthday.clone();
        let mut by_day = rule.by_day.clone();
        match rule.freq {
            Freq::Yearly if no_day_part => {
                if months.is_empty() {
                    months.push(start.month() as u8);
                }
                monthdays.push(start.day() as i8);
            }
            Freq::Monthly if no_day_part => monthdays.push(start.day() as i8),
            Freq::Weekly if no_day_part => by_day.push((0, start.weekday())),
            _ => {}
        }
        // For a DAILY or coarser rule the time lists expand (DTSTART's time by default); for a
        // finer one the period fixes the finer units and the lists limit.
        let list = |given: &[u8], own: u32, expands: bool| -> Vec<u8> {
            if date_only {
                vec![0]
            } else if given.is_empty() && expands {
                vec![own as u8]
            } else {
                given.to_vec()
            }
        };
        let hours = list(&rule.by_hour, start.hour(), rule.freq > Freq::Hourly);
        let minutes = list(&rule.by_minute, start.minute(), rule.freq > Freq::Minutely);
        let seconds = list(&rule.by_second, start.second(), rule.freq > Freq::Secondly);
        let base = match rule.freq {
            Freq::Hourly => start.date().and_hms_opt(start.hour(), 0, 0),
            Freq::Minutely => start.date().and_hms_opt(start.hour(), start.minute(), 0),
            _ => Some(start),
        }
        .unwrap_or(start);
        let back =
            (7 + start.weekday().num_days_from_monday() - rule.wkst.num_days_from_monday()) % 7;
        Occurrences {
            rule,
            start,
            floor: start,
            until,
            remaining: rule.count,
            months,
            monthdays,
            by_day,
            hours,
            minutes,
            seconds,
            fixed: (None, None, None),
            week0: start.date() - TimeDelta::days(i64::from(back)),
            base,
            period: 0,
            days: Vec::new(),
            scratch: Vec::new(),
            picks: Vec::new(),
            next: 0,
            total: 0,
            done: false,
        }
    }

    /// Starts at the period holding `from` instead of DTSTART's when that is exact: the rule
    /// has no COUNT, or it has one and each period yields exactly one occurrence (a
    /// fixed-length FREQ without BYxxx parts), so the count shrinks by the periods passed.
    /// Call before the first occurrence is taken.
    pub(crate) fn skip_to(&mut self, from: NaiveDateTime) {
        if from <= self.start {
            return;
        }
        if self.remaining.is_some() && (self.rule.freq.seconds().is_none() || self.rule.has_by()) {
            return;
        }
        let interval = i64::from(self.rule.interval);
        let units = match self.rule.freq {
            Freq::Yearly => i64::from(from.year() - self.start.year()),
            Freq::Monthly => {
                i64::from(from.year() - self.start.year()) * 12 + i64::from(from.month())
                    - i64::from(self.start.month())
            }
            Freq::Weekly => (from.date() - self.week0).num_days() / 7,
            Freq::Daily => (from.date() - self.start.date()).num_days(),
            f => (from - self.base).num_seconds() / f.seconds().unwrap_or(1),
        };
        if self.remaining.is_none() {
            self.floor = from;
        }
        let k = units / interval;
        if k <= 0 {
            return;
        }
        if let Some(r) = self.remaining.as_mut() {
            if k >= i64::from(*r) {
                self.done = true;
                return;
            }
            *r -= k as u32;
        }
        self.period = k;
    }

    /// Opens period `self.period` and moves to the next one; `false` when the rule can
    /// produce nothing more.
    fn advance(&mut self) -> bool {
        let mut idle = 0u64;
        let limit = cycle(self.rule.freq);
        loop {
            if idle > limit {
                return false;
            }
            idle += 1;
            let Some(first) = self.open_period() else {
                return false;
            };
            if self.until.is_some_and(|u| first > u) {
                return false;
            }
            if self.total > 0 {
                return true;
            }
        }
    }

    /// Fills the days (and time lists) of the next period to look at; answers the period's first
    /// instant, or `None` when it lies beyond what can be written.
    fn open_period(&mut self) -> Option<NaiveDateTime> {
        let n = self.period;
        let interval = i64::from(self.rule.interval);
        self.period += 1;
        self.days.clear();
        self.next = 0;
        self.total = 0;
        let first = match self.rule.freq {
            Freq::Yearly => {
                let year = i64::from(self.start.year()) + n * interval;
                if year > i64::from(LAST_YEAR) {
                    return None;
                }
                let year = year as i32;
                if self.months.is_empty() {
                    let (a, b) = (ymd(year, 1, 1)?, ymd(year, 12, 31)?);
                    self.collect(a, b, a, b);
                } else {
                    // With BYMONTH, a BYDAY ordinal counts within the month.
                    for i in 0..self.months.len() {
                        let (a, b) = month_range(year, u32::from(self.months[i]))?;
                        self.collect(a, b, a, b);
                    }
                }
                ymd(year, 1, 1)?
            }
            Freq::Monthly => {
                let index = i64::from(self.start.year()) * 12
                    + i64::from(self.start.month0())
                    + n * interval;
                let year = index.div_euclid(12);
                if year > i64::from(LAST_YEAR) {
                    return None;
                }
                let (a, b) = month_range(year as i32, index.rem_euclid(12) as u32 + 1)?;
                self.collect(a, b, a, b);
                a
            }
            Freq::Weekly => {
                let a = self
                    .week0
                    .checked_add_signed(TimeDelta::try_days(n.checked_mul(7 * interval)?)?)?;
                if a.year() > LAST_YEAR {
                    return None;
                }
                let b = a + TimeDelta::days(6);
                self.collect(a, b, a, b);
                a
            }
            Freq::Daily => {
                let d = self
                    .start
                    .date()
                    .checked_add_signed(TimeDelta::try_days(n.checked_mul(interval)?)?)?;
                if d.year() > LAST_YEAR {
                    return None;
                }
                self.collect(d, d, d, d);
                d
            }
            f => return self.open_subdaily(n, f),
        }
        .and_time(NaiveTime::MIN);
        self.fixed = (None, None, None);
        self.count_candidates();
        Some(first)
    }

    /// A SECONDLY, MINUTELY or HOURLY period: one instant on the lattice, kept when its day,
    /// hour and minute pass the limiting parts. A period ruled out by its day (hour, minute)
    /// moves the lattice on to the next day (hour, minute) at once.
    fn open_subdaily(&mut self, n: i64, freq: Freq) -> Option<NaiveDateTime> {
        let step = freq.seconds()? * i64::from(self.rule.interval);
        let t = self
            .base
            .checked_add_signed(TimeDelta::try_seconds(n.checked_mul(step)?)?)?;
        if t.year() > LAST_YEAR {
            return None;
        }
        let d = t.date();
        let (h, m, s) = (t.hour() as u8, t.minute() as u8, t.second() as u8);
        let limits = |list: &[u8], v: u8| list.is_empty() || list.contains(&v);
        // The next instant where the failing unit could pass.
        let skip_to = if !self.day_ok(d, false, d, d) {
            Some(d.succ_opt()?.and_time(NaiveTime::MIN))
        } else if !limits(&self.rule.by_hour, h) {
            Some(t.date().and_hms_opt(u32::from(h), 0, 0)? + TimeDelta::hours(1))
        } else if freq < Freq::Hourly && !limits(&self.rule.by_minute, m) {
            Some(t.date().and_hms_opt(u32::from(h), u32::from(m), 0)? + TimeDelta::minutes(1))
        } else if freq == Freq::Secondly && !limits(&self.rule.by_second, s) {
            None
        } else {
            self.days.push(d);
            self.fixed = (
                Some(h),
                (freq < Freq::Hourly).then_some(m),
                (freq == Freq::Secondly).then_some(s),
            );
            self.count_candidates();
            return Some(t);
        };
        if let Some(target) = skip_to {
            // First lattice index at or after `target`.
            let ahead = (target - self.base).num_seconds();
            self.period = self.period.max((ahead + step - 1).div_euclid(step));
        }
        Some(t)
    }

    /// Adds the days of `[a, b]` passing every day-level part; BYDAY ordinals count within
    /// `[scope_a, scope_b]`. Candidates come from the most selective part present.
    fn collect(&mut self, a: NaiveDate, b: NaiveDate, scope_a: NaiveDate, scope_b: NaiveDate) {
        let mut cands = std::mem::take(&mut self.scratch);
        cands.clear();
        if !self.rule.by_yearday.is_empty() {
            for year in a.year()..=b.year() {
                let len = year_len(year);
                for &yd in &self.rule.by_yearday {
                    let ord = if yd > 0 {
                        i32::from(yd)
                    } else {
                        len + 1 + i32::from(yd)
                    };
                    if let Some(d) = NaiveDate::from_yo_opt(year, ord as u32) {
                        cands.push((d, false));
                    }
                }
            }
        } else if !self.monthdays.is_empty() {
            let mut month = (a.year(), a.month());
            loop {
                let dim = days_in_month(month.0, month.1) as i32;
                for &md in &self.monthdays {
                    let day = if md > 0 {
                        i32::from(md)
                    } else {
                        dim + 1 + i32::from(md)
                    };
                    if (1..=dim).contains(&day) {
                        cands.extend(ymd(month.0, month.1, day as u32).map(|d| (d, false)));
                    } else if md > 0 && self.rule.skip != Skip::Omit {
                        // RFC 7529 SKIP: the day this month lacks becomes its last day, or
                        // the first of the next month.
                        let d = match self.rule.skip {
                            Skip::Backward => ymd(month.0, month.1, dim as u32),
                            _ => ymd(month.0, month.1, dim as u32).and_then(|d| d.succ_opt()),
                        };
                        cands.extend(d.map(|d| (d, true)));
                    }
                }
                if month == (b.year(), b.month()) {
                    break;
                }
                month = if month.1 == 12 {
                    (month.0 + 1, 1)
                } else {
                    (month.0, month.1 + 1)
                };
            }
        } else if !self.by_day.is_empty() {
            for &(n, wd) in &self.by_day {
                let gap = |from: Weekday, to: Weekday| {
                    i64::from((7 + to.num_days_from_monday() - from.num_days_from_monday()) % 7)
                };
                if n == 0 {
                    let mut d = a + TimeDelta::days(gap(a.weekday(), wd));
                    while d <= b {
                        cands.push((d, false));
                        d += TimeDelta::days(7);
                    }
                } else if n > 0 {
                    let d = scope_a
                        + TimeDelta::days(gap(scope_a.weekday(), wd) + 7 * (i64::from(n) - 1));
                    cands.push((d, false));
                } else {
                    let d = scope_b
                        - TimeDelta::days(gap(wd, scope_b.weekday()) + 7 * (i64::from(-n) - 1));
                    cands.push((d, false));
                }
            }
        } else {
            let mut d = a;
            while d <= b {
                cands.push((d, false));
                d = match d.succ_opt() {
                    Some(next) => next,
                    None => break,
                };
            }
        }
        for &(d, skipped) in &cands {
            // A day SKIP moved forward may lie just past the period; it still belongs to it.
            if (skipped || (d >= a && d <= b)) && self.day_ok(d, skipped, scope_a, scope_b) {
                self.days.push(d);
            }
        }
        self.scratch = cands;
    }

    /// Whether `d` passes every day-level part. `skipped`: a day SKIP moved here, which the
    /// month and month-day parts already chose.
    fn day_ok(&self, d: NaiveDate, skipped: bool, scope_a: NaiveDate, scope_b: NaiveDate) -> bool {
        let r = self.rule;
        if !skipped && !self.months.is_empty() && !self.months.contains(&(d.month() as u8)) {
            return false;
        }
        if !skipped && !self.monthdays.is_empty() {
            let md = d.day() as i8;
            let from_end = md - days_in_month(d.year(), d.month()) as i8 - 1;
            if !self.monthdays.contains(&md) && !self.monthdays.contains(&from_end) {
                return false;
            }
        }
        if !r.by_yearday.is_empty() {
            let yd = d.ordinal() as i16;
            let from_end = yd - year_len(d.year()) as i16 - 1;
            if !r.by_yearday.contains(&yd) && !r.by_yearday.contains(&from_end) {
                return false;
            }
        }
        if !r.by_weekno.is_empty() {
            let (week, weeks) = week_number(d, r.wkst);
            if !r.by_weekno.contains(&(week as i8))
                && !r.by_weekno.contains(&(week as i8 - weeks as i8 - 1))
            {
                return false;
            }
        }
        if !self.by_day.is_empty() {
            let wd = d.weekday();
            let nth = (d - scope_a).num_days() / 7 + 1;
            let nth_back = -((scope_b - d).num_days() / 7 + 1);
            if !self.by_day.iter().any(|&(n, w)| {
                w == wd && (n == 0 || i64::from(n) == nth || i64::from(n) == nth_back)
            }) {
                return false;
            }
        }
        true
    }

    fn times(&self) -> (u64, u64, u64) {
        let len = |fixed: Option<u8>, list: &[u8]| {
            if fixed.is_some() {
                1
            } else {
                list.len() as u64
            }
        };
        (
            len(self.fixed.0, &self.hours),
            len(self.fixed.1, &self.minutes),
            len(self.fixed.2, &self.seconds),
        )
    }

    /// Sorts the period's days, counts its candidates and resolves BYSETPOS.
    fn count_candidates(&mut self) {
        self.days.sort_unstable();
        self.days.dedup();
        let (h, m, s) = self.times();
        self.total = self.days.len() as u64 * h * m * s;
        if !self.rule.by_setpos.is_empty() {
            let total = self.total as i64;
            self.picks.clear();
            self.picks
                .extend(self.rule.by_setpos.iter().filter_map(|&p| {
                    let i = if p > 0 {
                        i64::from(p) - 1
                    } else {
                        total + i64::from(p)
                    };
                    (0..total).contains(&i).then_some(i as u64)
                }));
            self.picks.sort_unstable();
            self.picks.dedup();
            self.total = self.picks.len() as u64;
        }
    }

    /// Candidate `i` of the open period (after BYSETPOS).
    fn candidate(&self, i: u64) -> Option<NaiveDateTime> {
        let k = if self.rule.by_setpos.is_empty() {
            i
        } else {
            self.picks[i as usize]
        };
        let (nh, nm, ns) = self.times();
        let per_day = nh * nm * ns;
        let day = self.days[(k / per_day) as usize];
        let t = k % per_day;
        let pick =
            |fixed: Option<u8>, list: &[u8], idx: u64| fixed.unwrap_or_else(|| list[idx as usize]);
        let h = pick(self.fixed.0, &self.hours, t / (nm * ns));
        let m = pick(self.fixed.1, &self.minutes, (t / ns) % nm);
        let s = pick(self.fixed.2, &self.seconds, t % ns);
        day.and_hms_opt(u32::from(h), u32::from(m), u32::from(s))
    }
}

impl Iterator for Occurrences<'_> {
    type Item = NaiveDateTime;

    fn next(&mut self) -> Option<NaiveDateTime> {
        if self.rule.foreign_scale.is_some() {
            return None;
        }
        loop {
            if self.done || self.remaining == Some(0) {
                return None;
            }
            // The first period may start before DTSTART (or the skip's target): find the first
            // candidate at or after it by bisection, not one by one.
            if self.next == 0 && self.total > 0 && self.candidate(0).is_some_and(|t| t < self.floor)
            {
                let (mut lo, mut hi) = (0, self.total);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    if self.candidate(mid).is_some_and(|t| t < self.floor) {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                self.next = lo;
            }
            while self.next < self.total {
                let i = self.next;
                self.next += 1;
                let Some(t) = self.candidate(i) else {
                    continue;
                };
                if t < self.floor {
                    continue;
                }
                if self.until.is_some_and(|u| t > u) {
                    self.done = true;
                    return None;
                }
                if let Some(r) = self.remaining.as_mut() {
                    *r -= 1;
                }
                return Some(t);
            }
            if !self.advance() {
                self.done = true;
            }
        }
    }
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn month_range(year: i32, month: u32) -> Option<(NaiveDate, NaiveDate)> {
    Some((
        ymd(year, month, 1)?,
        ymd(year, month, days_in_month(year, month))?,
    ))
}

fn year_len(y: i32) -> i32 {
    365 + days_in_month(y, 2) as i32 - 28
}

/// First day of week 1 of `year` for weeks starting on `wkst`: the week holding January 4th,
/// which is the first with at least four days of the year (RFC 5545 §3.3.10, BYWEEKNO).
fn week_one(year: i32, wkst: Weekday) -> NaiveDate {
    let jan4 = NaiveDate::from_ymd_opt(year, 1, 4).unwrap_or(NaiveDate::MIN);
    let back = (7 + jan4.weekday().num_days_from_monday() - wkst.num_days_from_monday()) % 7;
    jan4 - TimeDelta::days(i64::from(back))
}

/// `d`'s week number and the number of weeks in its week-numbering year.
fn week_number(d: NaiveDate, wkst: Weekday) -> (i64, i64) {
    let y = d.year();
    let year = if d >= week_one(y + 1, wkst) {
        y + 1
    } else if d >= week_one(y, wkst) {
        y
    } else {
        y - 1
    };
    let one = week_one(year, wkst);
    (
        (d - one).num_days() / 7 + 1,
        (week_one(year + 1, wkst) - one).num_days() / 7,
    )
}

#[cfg(test)]
mod tests {
    use super::super::Rule;
    use super::Occurrences;
    use chrono::NaiveDateTime;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%S").unwrap()
    }

    fn expand(rule: &str, start: &str, n: usize) -> Vec<String> {
        let r = Rule::parse(rule).unwrap();
        let until = r.until.map(|u| u.naive());
        Occurrences::new(&r, dt(start), false, until)
            .take(n)
            .map(|t| t.format("%Y%m%dT%H%M%S").to_string())
            .collect()
    }

    /// Examples of RFC 5545 §3.3.10 and §3.8.5.3.
    #[test]
    fn rfc_examples() {
        assert_eq!(
            expand(
                "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
                "19970929T090000",
                3
            ),
            ["19970930T090000", "19971031T090000", "19971128T090000"]
        );
        assert_eq!(
            expand("FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", "19970512T090000", 3),
            ["19970512T090000", "19980511T090000", "19990517T090000"]
        );
        assert_eq!(
            expand("FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", "19970902T090000", 3),
            ["19980213T090000", "19980313T090000", "19981113T090000"]
        );
        assert_eq!(
            expand(
                "FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8",
                "19961105T090000",
                3
            ),
            ["19961105T090000", "20001107T090000", "20041102T090000"]
        );
        assert_eq!(
            expand(
                "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO",
                "19970805T090000",
                9
            ),
            [
                "19970805T090000",
                "19970810T090000",
                "19970819T090000",
                "19970824T090000"
            ]
        );
        assert_eq!(
            expand(
                "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU",
                "19970805T090000",
                9
            ),
            [
                "19970805T090000",
                "19970817T090000",
                "19970819T090000",
                "19970831T090000"
            ]
        );
        assert_eq!(
            expand(
                "FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5",
                "20070115T090000",
                9
            ),
            [
                "20070115T090000",
                "20070130T090000",
                "20070215T090000",
                "20070315T090000",
                "20070330T090000"
            ]
        );
        assert_eq!(
            expand("FREQ=YEARLY;BYDAY=20MO", "19970519T090000", 3),
            ["19970519T090000", "19980518T090000", "19990517T090000"]
        );
        assert_eq!(
            expand(
                "FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16",
                "19970902T090000",
                4
            )[3],
            "19970902T100000"
        );
        assert_eq!(
            expand("FREQ=DAILY;BYMONTH=1", "19980101T090000", 33)[31..],
            ["19990101T090000", "19990102T090000"]
        );
        assert_eq!(
            expand("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "19810329T020000", 2),
            ["19810329T020000", "19820328T020000"]
        );
        // A plain weekday beside an ordinal one: every Tuesday and the second Monday.
        assert_eq!(
            expand("FREQ=MONTHLY;BYDAY=+2MO,TU", "20240101T090000", 4),
            [
                "20240102T090000",
                "20240108T090000",
                "20240109T090000",
                "20240116T090000"
            ]
        );
        // RFC 7529: the 29th of February, or the 1st of March in other years.
        assert_eq!(
            expand(
                "RSCALE=GREGORIAN;FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;SKIP=FORWARD",
                "20240229T090000",
                2
            ),
            ["20240229T090000", "20250301T090000"]
        );
    }

    /// A rule that can never match ends instead of looping: February 30th.
    #[test]
    fn impossible_rules_end() {
        assert!(expand("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "20240101T000000", 1).is_empty());
        assert!(expand("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31", "20240101T000000", 1).is_empty());
        assert!(expand("FREQ=HOURLY;INTERVAL=2;BYHOUR=1", "20240101T000000", 1).is_empty());
    }

    /// The rule that made a year's query allocate 1.4 GB: its first occurrences come at once.
    #[test]
    fn every_by_value_costs_one_period_of_days() {
        let all = |r: std::ops::Range<u32>| r.map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        let rule = format!(
            "FREQ=YEARLY;BYMONTH={};BYMONTHDAY={};BYHOUR={};BYMINUTE={};BYSECOND={};BYSETPOS=1,-1",
            all(1..13),
            all(1..32),
            all(0..24),
            all(0..60),
            all(0..60)
        );
        assert_eq!(
            expand(&rule, "20240101T000000", 3),
            ["20240101T000000", "20241231T235959", "20250101T000000"]
        );
        let rule = rule.replace(";BYSETPOS=1,-1", "");
        assert_eq!(expand(&rule, "20240101T000000", 100_000).len(), 100_000);
    }
}

/// davlite's engine against calcard's (the engine it replaced, a port of python-dateutil's) on
/// seeded random rules: both must list the same first occurrences. Where RFC 5545 and dateutil
/// part ways (noted at each exclusion), davlite follows the RFC and the generator avoids them.
/// One more known difference, not generated: with BYWEEKNO, the days of January that belong
/// to the last week of the year before (`BYWEEKNO=52` from 2010: January 1st and 2nd, 2011)
/// are left out by calcard in some years and not in others; davlite always lists them.
/// `DAVLITE_RRULE_CASES=100000` runs a longer campaign (3,000 rules: no other difference).
#[cfg(test)]
mod against_calcard {
    use super::super::Rule;
    use super::Occurrences;
    use chrono::NaiveDateTime;
    use davlite_testkit::Rng;

    fn calcard(rule: &str, start: NaiveDateTime, n: usize) -> Vec<NaiveDateTime> {
        let text = format!(
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:{}\r\nRRULE:{rule}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            start.format("%Y%m%dT%H%M%S")
        );
        let calcard::Entry::ICalendar(ical) = calcard::Parser::new(&text).entry() else {
            panic!("calcard cannot read {text}");
        };
        let out = ical.expand_dates(calcard::common::timezone::Tz::Floating, n);
        let mut v: Vec<NaiveDateTime> = out.events.iter().map(|e| e.start.naive_local()).collect();
        v.sort_unstable();
        v.truncate(n);
        v
    }

    fn ours(rule: &str, start: NaiveDateTime, n: usize) -> Vec<NaiveDateTime> {
        let r = Rule::parse(rule).unwrap_or_else(|e| panic!("{rule}: {e}"));
        Occurrences::new(&r, start, false, r.until.map(|u| u.naive()))
            .take(n)
            .collect()
    }

    fn list(rng: &mut Rng, lo: i64, hi: i64, max: usize, signed: bool) -> String {
        let k = 1 + rng.below(max);
        (0..k)
            .map(|_| {
                let v = rng.range(lo, hi + 1);
                if signed && rng.one_in(3) { -v } else { v }.to_string()
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    fn random_rule(rng: &mut Rng) -> String {
        const FREQ: [&str; 7] = [
            "SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY",
        ];
        const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
        // Not MINUTELY or SECONDLY: calcard gives up on them after a while of idle minutes
        // (`FREQ=MINUTELY;BYDAY=FR;BYHOUR=11` yields nothing) and misorders BYHOUR lists;
        // the unit tests above cover them.
        let f = 2 + rng.below(5);
        let freq = FREQ[f];
        let mut parts = vec![format!("FREQ={freq}")];
        if rng.one_in(3) {
            parts.push(format!("INTERVAL={}", 1 + rng.below(4)));
        }
        if rng.one_in(3) {
            parts.push(format!("COUNT={}", 1 + rng.below(30)));
        }
        if rng.one_in(3) {
            parts.push(format!("BYMONTH={}", list(rng, 1, 12, 4, false)));
        }
        if freq != "WEEKLY" && rng.one_in(3) {
            parts.push(format!("BYMONTHDAY={}", list(rng, 1, 31, 4, true)));
        }
        if freq == "YEARLY" && rng.one_in(4) {
            parts.push(format!("BYYEARDAY={}", list(rng, 1, 366, 4, true)));
        }
        let weekno = freq == "YEARLY" && rng.one_in(4);
        if weekno {
            parts.push(format!("BYWEEKNO={}", list(rng, 1, 52, 3, false)));
        }
        if rng.one_in(2) {
            // All plain or all with an ordinal: dateutil intersects a mixture (RFC: union).
            let ordinal = matches!(freq, "MONTHLY" | "YEARLY") && !weekno && rng.one_in(2);
            let k = 1 + rng.below(3);
            let days: Vec<String> = (0..k)
                .map(|_| {
                    let d = DAYS[rng.below(7)];
                    if ordinal {
                        let n = 1 + rng.below(4) as i64;
                        format!("{}{d}", if rng.one_in(3) { -n } else { n })
                    } else {
                        d.to_string()
                    }
                })
                .collect();
            parts.push(format!("BYDAY={}", days.join(",")));
        }
        if rng.one_in(4) {
            parts.push(format!("BYHOUR={}", list(rng, 0, 23, 3, false)));
        }
        if f >= 3 && rng.one_in(4) {
            parts.push(format!("BYMINUTE={}", list(rng, 0, 59, 3, false)));
        }
        // WEEKLY with BYSETPOS: dateutil's first week starts at DTSTART, so positions count from
        // there; RFC 5545 counts them in the whole week WKST begins.
        if parts.len() > 2 && freq != "WEEKLY" && rng.one_in(4) {
            parts.push(format!("BYSETPOS={}", list(rng, 1, 5, 2, true)));
        }
        if rng.one_in(5) {
            parts.push(format!("WKST={}", DAYS[rng.below(7)]));
        }
        parts.join(";")
    }

    #[test]
    fn same_occurrences_as_calcard() {
        let mut rng = Rng::new(0x5eed_0001);
        let mut differ = Vec::new();
        let cases = std::env::var("DAVLITE_RRULE_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(400);
        for _ in 0..cases {
            let rule = random_rule(&mut rng);
            if super::super::check(&rule).is_err() {
                continue;
            }
            let start = chrono::NaiveDate::from_ymd_opt(
                rng.range(1995, 2030) as i32,
                1 + rng.below(12) as u32,
                1 + rng.below(28) as u32,
            )
            .unwrap()
            .and_hms_opt(rng.below(24) as u32, rng.below(60) as u32, 0)
            .unwrap();
            let theirs = calcard(&rule, start, 40);
            // dateutil lists DTSTART first even when the rule would not produce it; RFC 5545
            // says such a DTSTART is an instance but not one the rule generates. Compare what
            // the rule generates.
            let theirs: Vec<_> = theirs.into_iter().filter(|t| *t != start).collect();
            let mine: Vec<_> = ours(&rule, start, 41)
                .into_iter()
                .filter(|t| *t != start)
                .collect();
            let n = theirs.len().min(mine.len());
            if theirs[..n] != mine[..n] || (theirs.len() != mine.len() && n < 39) {
                differ.push(format!(
                    "{rule} from {start}:\n  calcard {:?}\n  davlite {:?}",
                    theirs
                        .iter()
                        .map(|t| t.to_string())
                        .collect::<Vec<_>>()
                        .join(" "),
                    mine.iter()
                        .map(|t| t.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
            }
        }
        assert!(
            differ.is_empty(),
            "{} differ:\n{}",
            differ.len(),
            differ[..differ.len().min(8)].join("\n")
        );
    }
}
