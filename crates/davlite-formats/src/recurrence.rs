//! Recurrence: the instances an iCalendar object stands for, and the span they occupy.
//!
//! RRULE arithmetic is delegated to the calcard crate (measured correct on the hard cases, and
//! maintained); everything calcard does not need to see stays here, so it can be replaced by
//! changing [`expand_rule`] alone. calcard only ever receives a floating DTSTART and the rule:
//! time zones (including VTIMEZONEs with no IANA equivalent, which calcard reads as floating),
//! RDATE, EXDATE and RECURRENCE-ID overrides are applied by this module.
//!
//! Floating times and all-day dates are read in the calendar's floating zone (UTC unless
//! [`Calendar::parse_in`] names another; see [`crate::tz`]).

use crate::TimeSpan;
use crate::timing::Timing;
use crate::tree::{Comp, Tree, TreeError, split_commas};
use crate::tz::{DateValue, Zone, Zones, parse_value};
use chrono::NaiveDateTime;
use std::collections::{BTreeMap, HashSet};

/// No rule is expanded past this many occurrences in one call. Beyond it an object is treated as
/// open-ended (its span runs to `i64::MAX`), which keeps a `COUNT=1000000000` rule cheap.
pub const EXPANSION_CAP: usize = 20_000;

/// Why an object's times could not be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecurrenceError {
    /// The bytes are not a readable iCalendar object (not UTF-8, unbalanced BEGIN/END).
    Unreadable(String),
    /// An RRULE the recurrence engine refuses (for example an unknown FREQ).
    InvalidRule(String),
    /// More instances in the range than [`EXPANSION_CAP`]: an answer listing them would be
    /// cut short, so none is given.
    TooManyInstances,
}

impl std::fmt::Display for RecurrenceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecurrenceError::Unreadable(r) => write!(f, "calendar object unreadable: {r}"),
            RecurrenceError::InvalidRule(r) => write!(f, "recurrence rule not usable: {r}"),
            RecurrenceError::TooManyInstances => {
                write!(f, "more than {EXPANSION_CAP} instances in the range")
            }
        }
    }
}

impl std::error::Error for RecurrenceError {}

impl From<TreeError> for RecurrenceError {
    fn from(e: TreeError) -> Self {
        RecurrenceError::Unreadable(e.to_string())
    }
}

/// One occurrence of a component, in UTC seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instance {
    pub start: i64,
    /// Equal to `start` for an instance without length (an event with only a DATE-TIME DTSTART).
    pub end: i64,
    /// The instance's RECURRENCE-ID (its original start); `None` for a non-recurring component.
    pub recurrence_id: Option<i64>,
    /// Whether a RECURRENCE-ID component replaced the generated instance.
    pub is_override: bool,
    /// Which component describes the instance, counted in document order among all components
    /// of the object (0 is VCALENDAR).
    pub component: usize,
}

/// What the store indexes about an object's times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectTimes {
    /// The span any time-range test that can match the object overlaps (RFC 4791 §9.9);
    /// `None` when no time-range can match (a journal without DTSTART). Open-ended rules end at
    /// `i64::MAX`; a todo without any date spans [`TimeSpan::ALL`].
    pub span: Option<TimeSpan>,
    /// Number of instances; `None` when the rule is unbounded. Above [`EXPANSION_CAP`] this is
    /// the COUNT (plus RDATEs) when the rule has one, else `EXPANSION_CAP + 1` as a lower bound.
    pub instances: Option<u64>,
    /// Largest number of ATTENDEE properties in any one instance.
    pub max_attendees: u32,
}

/// A parsed calendar object with its zones resolved, shared by filters, free-busy and expansion.
pub(crate) struct Calendar<'a> {
    pub tree: Tree<'a>,
    pub zones: Zones,
}

impl<'a> Calendar<'a> {
    /// Floating values read as UTC.
    pub fn parse(bytes: &'a [u8]) -> Result<Calendar<'a>, RecurrenceError> {
        Self::parse_in(bytes, &Zone::Utc)
    }

    /// Floating DATE-TIMEs and DATEs read in `floating`.
    pub fn parse_in(bytes: &'a [u8], floating: &Zone) -> Result<Calendar<'a>, RecurrenceError> {
        Self::from_tree(Tree::parse(bytes)?, floating)
    }

    /// A tree already built (by validation's lexer pass), floating values read in `floating`.
    pub fn from_tree(tree: Tree<'a>, floating: &Zone) -> Result<Calendar<'a>, RecurrenceError> {
        if !tree.root().is("VCALENDAR") {
            return Err(RecurrenceError::Unreadable(
                "root component is not VCALENDAR".into(),
            ));
        }
        let zones = Zones::from_tree(&tree).with_floating(floating);
        Ok(Calendar { tree, zones })
    }

    /// Whether any date of the object's components (not VTIMEZONE rules) is a DATE or a
    /// floating DATE-TIME, so that where its instances fall depends on the floating zone.
    pub fn uses_floating(&self) -> bool {
        const DATED: [&str; 8] = [
            "DTSTART",
            "DTEND",
            "DUE",
            "RDATE",
            "EXDATE",
            "RECURRENCE-ID",
            "COMPLETED",
            "CREATED",
        ];
        self.tree.children(0).any(|(_, c)| {
            !c.is("VTIMEZONE")
                && c.props.iter().any(|p| {
                    DATED.iter().any(|n| p.is(n))
                        && split_commas(&p.value).any(|v| {
                            let start = v.split_once('/').map_or(v, |(a, _)| a);
                            match parse_value(start) {
                                Some(DateValue::Date(_)) => true,
                                Some(DateValue::Local(_)) => {
                                    self.zones.is_floating(p.param("TZID"))
                                }
                                _ => false,
                            }
                        })
                })
        })
    }

    /// Indices of the root's children named `name` (VEVENT, VTODO, ...).
    pub fn components(&self, name: &str) -> Vec<usize> {
        self.tree
            .children(0)
            .filter(|(_, c)| c.is(name))
            .map(|(i, _)| i)
            .collect()
    }

    pub fn comp(&self, idx: usize) -> &Comp<'a> {
        &self.tree.comps[idx]
    }
}

/// Result of expanding one recurrence set.
pub(crate) struct Expansion {
    pub instances: Vec<Instance>,
    /// The set has no last instance (no COUNT/UNTIL), or expansion stopped at the cap or at `upto`.
    pub open: bool,
    /// Stopped at [`EXPANSION_CAP`] before reaching `upto`.
    pub truncated: bool,
    /// Instance count when known without expansion (COUNT arithmetic).
    pub counted: Option<u64>,
}

/// [`expand_set`] for answers that must be complete (`expand`, limit-recurrence-set,
/// free-busy): every instance up to `upto`, or `TooManyInstances` when the cap came first.
pub(crate) fn expand_set_complete(
    cal: &Calendar<'_>,
    comps: &[usize],
    from: i64,
    upto: i64,
) -> Result<Vec<Instance>, RecurrenceError> {
    let exp = expand_set(cal, comps, from, upto)?;
    if exp.truncated {
        return Err(RecurrenceError::TooManyInstances);
    }
    Ok(exp.instances)
}

/// All instances of the components `comps` (one master and its overrides, all of one kind)
/// starting before `upto` (overrides are always included). Generated instances ending before
/// `from` may be left out (pass `i64::MIN` for all of them).
pub(crate) fn expand_set(
    cal: &Calendar<'_>,
    comps: &[usize],
    from: i64,
    upto: i64,
) -> Result<Expansion, RecurrenceError> {
    // Events and journals with an all-day DTSTART last one day; todos do not.
    let is_event = comps.first().is_some_and(|&i| !cal.comp(i).is("VTODO"));
    let mut overrides: BTreeMap<i64, usize> = BTreeMap::new();
    // RANGE=THISANDFUTURE overrides: (RECURRENCE-ID, component), applied to later instances.
    let mut future: Vec<(i64, usize)> = Vec::new();
    let mut master = None;
    for &idx in comps {
        let comp = cal.comp(idx);
        match comp.prop("RECURRENCE-ID") {
            Some(rid) => {
                if let Some(v) = parse_value(&rid.value) {
                    let rid_utc = cal.zones.read(v, rid.param("TZID"));
                    overrides.insert(rid_utc, idx);
                    if rid
                        .param("RANGE")
                        .is_some_and(|r| r.eq_ignore_ascii_case("THISANDFUTURE"))
                    {
                        future.push((rid_utc, idx));
                    }
                }
            }
            None if master.is_none() => master = Some(idx),
            None => {}
        }
    }
    future.sort_unstable();
    let mut out = Expansion {
        instances: Vec::new(),
        open: false,
        truncated: false,
        counted: None,
    };
    let single = |idx: usize, rid: Option<i64>, is_override: bool| -> Option<Instance> {
        let t = Timing::read(cal.comp(idx), &cal.zones);
        let start = t.anchor()?.utc;
        Some(Instance {
            start,
            end: t.end_for(start, is_event),
            recurrence_id: rid,
            is_override,
            component: idx,
        })
    };
    if let Some(m) = master {
        let comp = cal.comp(m);
        let timing = Timing::read(comp, &cal.zones);
        let rule = comp.prop("RRULE");
        let has_rdate = comp.prop("RDATE").is_some();
        match timing.anchor() {
            Some(anchor) if rule.is_some() || has_rdate => {
                let mut starts: Vec<(i64, Option<i64>)> = Vec::new();
                starts.push((anchor.utc, None));
                if let Some(rule) = rule {
                    // Too large to expand is an error the caller sees, never a set cut short.
                    if let Some(why) = rule_too_large(&rule.value) {
                        return Err(RecurrenceError::InvalidRule(why));
                    }
                    let spec = RuleSpec::read(&rule.value);
                    out.open = spec.count.is_none() && spec.until.is_none();
                    out.counted = spec.count.map(u64::from);
                    let local_upto = if upto == i64::MAX {
                        None
                    } else {
                        // A day of slack covers any change of UTC offset.
                        Some(anchor.zone.to_local(upto.saturating_add(86_400)))
                    };
                    let beyond_cap = spec.count.is_some_and(|c| c as usize > EXPANSION_CAP);
                    if local_upto.is_none() && (out.open || beyond_cap) {
                        // Asked for everything of a set that is unbounded or larger than the cap:
                        // its end is open and its count is known without expanding.
                        out.truncated = beyond_cap;
                    } else {
                        // Instances ending before `from` are not needed: start calcard near it.
                        let length = timing
                            .end_for(anchor.utc, is_event)
                            .saturating_sub(anchor.utc);
                        let from_local = (from != i64::MIN).then(|| {
                            anchor.zone.to_local(
                                from.saturating_sub(length.max(0))
                                    .saturating_sub(2 * 86_400),
                            )
                        });
                        if let Some((first, count)) =
                            skip_ahead(&spec, anchor.value.naive(), from_local)
                        {
                            let locals = expand_counted(
                                first,
                                anchor.value.is_date(),
                                &rule.value,
                                &anchor.zone,
                                local_upto,
                                count,
                            );
                            // A rule the engine cannot expand (a non-Gregorian RSCALE) leaves
                            // DTSTART, RDATEs and overrides, and makes the set open-ended so
                            // the index never hides it.
                            let locals = locals.unwrap_or_else(|_| {
                                out.open = true;
                                out.counted = None;
                                Vec::new()
                            });
                            out.truncated = locals.len() > EXPANSION_CAP;
                            starts.extend(
                                locals
                                    .into_iter()
                                    .take(EXPANSION_CAP)
                                    .map(|l| (anchor.zone.to_utc(l), None)),
                            );
                        }
                    }
                }
                for p in comp.props_named("RDATE") {
                    read_rdates(cal, p, anchor, &timing, is_event, &mut starts);
                }
                let excluded = read_exdates(cal, comp, anchor);
                starts.sort_unstable();
                starts.dedup_by_key(|(s, _)| *s);
                for (start, end) in starts {
                    if overrides.contains_key(&start) || excluded.contains(&start) {
                        continue;
                    }
                    // A later instance of a THISANDFUTURE override moves by the override's
                    // shift and takes its length and properties.
                    if let Some(&(rid, idx)) = future.iter().rev().find(|(rid, _)| *rid < start)
                        && let Some(o) = single(idx, Some(rid), true)
                    {
                        let moved = start.saturating_add(o.start - rid);
                        out.instances.push(Instance {
                            start: moved,
                            end: moved.saturating_add(o.end - o.start),
                            recurrence_id: Some(start),
                            is_override: true,
                            component: idx,
                        });
                        continue;
                    }
                    let end = end.unwrap_or_else(|| timing.end_for(start, is_event));
                    out.instances.push(Instance {
                        start,
                        end,
                        recurrence_id: Some(start),
                        is_override: false,
                        component: m,
                    });
                }
            }
            _ => out.instances.extend(single(m, None, false)),
        }
    }
    for (&rid, &idx) in &overrides {
        out.instances.extend(single(idx, Some(rid), true));
    }
    out.instances.retain(|i| i.start < upto || i.is_override);
    out.instances.sort_unstable();
    Ok(out)
}

/// RDATE values: dates, date-times, or periods (whose end overrides the master's length).
fn read_rdates(
    cal: &Calendar<'_>,
    p: &crate::tree::Prop<'_>,
    anchor: &crate::timing::Stamp,
    _t: &Timing,
    _ev: bool,
    out: &mut Vec<(i64, Option<i64>)>,
) {
    let tzid = p.param("TZID");
    for v in split_commas(&p.value) {
        let (start, rest) = match v.split_once('/') {
            Some((s, r)) => (s, Some(r)),
            None => (v, None),
        };
        let Some(sv) = parse_value(start) else {
            continue;
        };
        let s = cal.zones.read(sv, tzid);
        let end = rest.and_then(|r| match parse_value(r) {
            Some(ev) => Some(cal.zones.read(ev, tzid)),
            None => crate::timing::Duration::parse(r).map(|d| d.add_to(s, &anchor.zone)),
        });
        out.push((s, end));
    }
}

/// EXDATE instants; an all-day EXDATE against a timed DTSTART removes that whole local day.
fn read_exdates(
    cal: &Calendar<'_>,
    comp: &Comp<'_>,
    anchor: &crate::timing::Stamp,
) -> HashSet<i64> {
    let mut set = HashSet::new();
    for p in comp.props_named("EXDATE") {
        for v in split_commas(&p.value) {
            match parse_value(v) {
                Some(DateValue::Date(d)) if !anchor.value.is_date() => {
                    let local = d.and_time(anchor.value.naive().time());
                    set.insert(anchor.zone.to_utc(local));
                }
                Some(other) => {
                    set.insert(cal.zones.read(other, p.param("TZID")));
                }
                None => {}
            }
        }
    }
    set
}

/// The parts of an RRULE this module needs before handing it to calcard.
struct RuleSpec {
    count: Option<u32>,
    until: Option<DateValue>,
    /// Length of one FREQ period in seconds, for the fixed-length frequencies (SECONDLY to
    /// WEEKLY) times INTERVAL; `None` for MONTHLY and YEARLY.
    period: Option<i64>,
    /// Any BY* part: the rule may yield zero or several occurrences per period.
    has_by: bool,
    /// RFC 7529 calendar scale, when given.
    rscale: Option<String>,
    /// An upper bound of the candidate occurrences one FREQ period generates before BYSETPOS,
    /// COUNT or UNTIL cut them (RFC 5545 §3.3.10's expand column). calcard builds a whole
    /// period's set at once, so this is also its memory per period.
    per_period: u64,
}

/// The most candidates one period of a rule may generate. A rule that lists every month,
/// month day, hour, minute and second generates 32 million a year (about 1.4 GB in calcard);
/// nothing a person schedules comes near this bound (a weekday-working-hours rule at minute
/// resolution is under 30,000 a year). Above it the rule is refused as an error, never cut short.
pub const MAX_CANDIDATES_PER_PERIOD: u64 = 100_000;

impl RuleSpec {
    fn read(rule: &str) -> RuleSpec {
        let mut spec = RuleSpec {
            count: None,
            until: None,
            period: None,
            has_by: false,
            rscale: None,
            per_period: 1,
        };
        let (mut unit, mut interval) = (None, 1i64);
        // Rank of FREQ (0 = SECONDLY .. 6 = YEARLY) and the length of each BY list.
        let mut rank = 6u8;
        let mut lists: Vec<(String, u64)> = Vec::new();
        for part in rule.split(';') {
            let Some((k, v)) = part.split_once('=') else {
                continue;
            };
            let (k, v) = (k.trim().to_ascii_uppercase(), v.trim());
            match k.as_str() {
                "COUNT" => spec.count = v.parse().ok(),
                "UNTIL" => spec.until = parse_value(v),
                "INTERVAL" => interval = v.parse().unwrap_or(1).max(1),
                "RSCALE" => spec.rscale = Some(v.to_string()),
                "FREQ" => {
                    let upper = v.to_ascii_uppercase();
                    rank = match upper.as_str() {
                        "SECONDLY" => 0,
                        "MINUTELY" => 1,
                        "HOURLY" => 2,
                        "DAILY" => 3,
                        "WEEKLY" => 4,
                        "MONTHLY" => 5,
                        _ => 6,
                    };
                    unit = match upper.as_str() {
                        "SECONDLY" => Some(1),
                        "MINUTELY" => Some(60),
                        "HOURLY" => Some(3_600),
                        "DAILY" => Some(86_400),
                        "WEEKLY" => Some(7 * 86_400),
                        _ => None,
                    }
                }
                k if k.starts_with("BY") => {
                    spec.has_by = true;
                    lists.push((k.to_string(), v.split(',').count() as u64));
                }
                _ => {}
            }
        }
        spec.period = unit.map(|u: i64| u.saturating_mul(interval));
        spec.per_period = candidates_per_period(rank, &lists);
        spec
    }
}

/// The product of the BY lists that expand at frequency `rank` (a part expands when its unit is
/// finer than FREQ). BYDAY expands to every matching weekday of the period: up to 53 a year, 5
/// a month. Saturates rather than overflows.
fn candidates_per_period(rank: u8, lists: &[(String, u64)]) -> u64 {
    let has = |name: &str| lists.iter().any(|(k, _)| k == name);
    let mut total: u64 = 1;
    for (k, n) in lists {
        let factor = match k.as_str() {
            "BYSECOND" if rank > 0 => *n,
            "BYMINUTE" if rank > 1 => *n,
            "BYHOUR" if rank > 2 => *n,
            "BYDAY" if rank == 4 => *n,
            "BYDAY" if rank == 5 || (rank == 6 && (has("BYMONTH") || has("BYWEEKNO"))) => {
                n.saturating_mul(5)
            }
            "BYDAY" if rank == 6 => n.saturating_mul(53),
            "BYMONTHDAY" if rank > 4 => *n,
            "BYWEEKNO" if rank == 6 && !has("BYDAY") => n.saturating_mul(7),
            "BYYEARDAY" | "BYWEEKNO" | "BYMONTH" if rank == 6 => *n,
            _ => 1,
        };
        total = total.saturating_mul(factor.max(1));
    }
    total
}

/// Why an RRULE value is refused before any expansion: more candidates per period than
/// [`MAX_CANDIDATES_PER_PERIOD`]. Checked when an object is read, so such a rule is never stored.
pub(crate) fn rule_too_large(rule: &str) -> Option<String> {
    let n = RuleSpec::read(rule).per_period;
    (n > MAX_CANDIDATES_PER_PERIOD).then(|| {
        format!(
            "RRULE generates up to {n} occurrences in each period; davlite expands at most \
             {MAX_CANDIDATES_PER_PERIOD}"
        )
    })
}

/// COUNT of an RRULE value.
pub(crate) fn rule_count(rule: &str) -> Option<u32> {
    RuleSpec::read(rule).count
}

/// Where to start calcard so it need not walk from a DTSTART long before `from_local`.
/// A fixed-length-period rule recurs on the same wall-clock lattice, so its start can move by
/// whole periods; with COUNT only when every period yields exactly one occurrence (no BY*
/// part), the count shrinking by the periods skipped. `None`: the rule ended before `from`.
fn skip_ahead(
    spec: &RuleSpec,
    start: NaiveDateTime,
    from_local: Option<NaiveDateTime>,
) -> Option<(NaiveDateTime, Option<u32>)> {
    let unchanged = Some((start, spec.count));
    let (Some(period), Some(from)) = (spec.period, from_local) else {
        return unchanged;
    };
    if spec.count.is_some() && spec.has_by {
        return unchanged;
    }
    let k = (from - start).num_seconds() / period;
    if k <= 0 {
        return unchanged;
    }
    let count = match spec.count {
        Some(c) if k >= i64::from(c) => return None,
        Some(c) => Some(c - k as u32),
        None => None,
    };
    let shifted = start.checked_add_signed(chrono::TimeDelta::seconds(k.checked_mul(period)?))?;
    if let Some(u) = spec.until
        && u.naive() < shifted
    {
        return None;
    }
    Some((shifted, count))
}

/// Expands a rule up to `until_local`. calcard cannot combine COUNT with our UNTIL, so a COUNT
/// rule is expanded in growing batches until it passes `until_local` or runs out: a
/// `COUNT=1000000000` rule queried for one week costs a few hundred occurrences, not the cap.
fn expand_counted(
    start: NaiveDateTime,
    date_only: bool,
    rule: &str,
    zone: &Zone,
    until_local: Option<NaiveDateTime>,
    count: Option<u32>,
) -> Result<Vec<NaiveDateTime>, RecurrenceError> {
    let max = count.map_or(EXPANSION_CAP + 1, |c| (c as usize).min(EXPANSION_CAP + 1));
    let (Some(upto), Some(_)) = (until_local, count) else {
        return expand_rule(start, date_only, rule, count, zone, until_local, max);
    };
    let mut limit = 256.min(max);
    loop {
        let mut got = expand_rule(start, date_only, rule, count, zone, None, limit)?;
        let done = got.len() < limit || limit >= max || got.last().is_some_and(|l| *l > upto);
        if done {
            got.retain(|t| *t <= upto);
            return Ok(got);
        }
        limit = limit.saturating_mul(8).min(max);
    }
}

/// calcard yields nothing (after ~100,000 idle iterations) for a MONTHLY or YEARLY BYDAY that
/// mixes plain weekdays with numbered ones (`BYDAY=+2MO,TU`). A plain weekday there means every
/// such weekday of the month (or year), so it is spelled out as `1TU,...,5TU` (`...,53TU`), which
/// calcard expands correctly and which leaves BYSETPOS meaning the same set.
fn spell_out_weekdays(parts: &mut [String]) {
    let value = |key: &str| {
        parts.iter().find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case(key)
                .then(|| v.trim().to_ascii_uppercase())
        })
    };
    let max = match value("FREQ").as_deref() {
        Some("MONTHLY") => 5,
        Some("YEARLY") if value("BYMONTH").is_some() => 5,
        Some("YEARLY") if value("BYWEEKNO").is_none() => 53,
        _ => return,
    };
    let Some(byday) = value("BYDAY") else { return };
    let days: Vec<&str> = byday.split(',').map(str::trim).collect();
    let plain = |d: &&str| d.len() == 2 && d.bytes().all(|b| b.is_ascii_alphabetic());
    if !days.iter().any(plain) || days.iter().all(plain) {
        return;
    }
    let mut out: Vec<String> = Vec::new();
    for d in days {
        if plain(&d) {
            out.extend((1..=max).map(|n| format!("{n}{d}")));
        } else {
            out.push(d.to_string());
        }
    }
    if let Some(p) = parts.iter_mut().find(|p| {
        p.split_once('=')
            .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("BYDAY"))
    }) {
        *p = format!("BYDAY={}", out.join(","));
    }
}

fn fmt_local(t: NaiveDateTime, date_only: bool) -> String {
    crate::tz::fmt_naive(t, date_only)
}

/// Occurrence start times (wall clock) of `rule` anchored at the wall-clock `start`, at most
/// `limit` of them, none after `until_local`. UNTIL is rewritten into the anchor's wall clock
/// (an UTC UNTIL is converted through `zone`) so calcard compares like with like. This is the
/// only function that talks to calcard's recurrence engine.
pub(crate) fn expand_rule(
    start: NaiveDateTime,
    date_only: bool,
    rule: &str,
    count: Option<u32>,
    zone: &Zone,
    until_local: Option<NaiveDateTime>,
    limit: usize,
) -> Result<Vec<NaiveDateTime>, RecurrenceError> {
    let spec = RuleSpec::read(rule);
    if let Some(why) = rule_too_large(rule) {
        return Err(RecurrenceError::InvalidRule(why));
    }
    if let Some(scale) = &spec.rscale
        && !scale.eq_ignore_ascii_case("GREGORIAN")
    {
        return Err(RecurrenceError::InvalidRule(format!(
            "RSCALE={scale} is not supported"
        )));
    }
    let rule_until = spec.until.map(|u| match u {
        DateValue::Utc(t) => zone.to_local(t.and_utc().timestamp()),
        other => other.naive(),
    });
    let until = match (rule_until, until_local) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let mut parts: Vec<String> = rule
        .split(';')
        .filter(|p| {
            let k = p.split('=').next().unwrap_or("").trim();
            !k.is_empty() && !k.eq_ignore_ascii_case("UNTIL") && !k.eq_ignore_ascii_case("COUNT")
        })
        .map(str::to_string)
        .collect();
    spell_out_weekdays(&mut parts);
    match count {
        Some(c) => parts.push(format!("COUNT={c}")),
        None => {
            if let Some(u) = until {
                parts.push(format!("UNTIL={}", fmt_local(u, date_only)));
            }
        }
    }
    let dtstart = if date_only {
        format!("DTSTART;VALUE=DATE:{}", fmt_local(start, true))
    } else {
        format!("DTSTART:{}", fmt_local(start, false))
    };
    let text = format!(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n{dtstart}\r\nRRULE:{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        parts.join(";")
    );
    let ical = match calcard::Parser::new(&text).entry() {
        calcard::Entry::ICalendar(ical) => ical,
        _ => {
            return Err(RecurrenceError::InvalidRule(format!(
                "cannot read RRULE:{rule}"
            )));
        }
    };
    let expanded = ical.expand_dates(calcard::common::timezone::Tz::Floating, limit);
    if let Some(err) = expanded.errors.first() {
        return Err(RecurrenceError::InvalidRule(format!(
            "{}: RRULE:{rule}",
            err.error
        )));
    }
    let mut out: Vec<NaiveDateTime> = expanded
        .events
        .iter()
        .map(|e| e.start.naive_local())
        .collect();
    // With COUNT, calcard cannot also take our UNTIL: cut here.
    if let Some(u) = until {
        out.retain(|t| *t <= u);
    }
    Ok(out)
}

/// Instances of `bytes` (all components besides VTIMEZONE) overlapping `[start, end)`: an
/// instance without length matches when `start <= its start < end`.
pub fn instances(bytes: &[u8], start: i64, end: i64) -> Result<Vec<Instance>, RecurrenceError> {
    let cal = Calendar::parse(bytes)?;
    let mut out = Vec::new();
    for set in recurrence_sets(&cal) {
        let exp = expand_set(&cal, &set, start, end)?;
        out.extend(exp.instances.into_iter().filter(|i| {
            if i.end > i.start {
                i.start < end && i.end > start
            } else {
                i.start >= start && i.start < end
            }
        }));
    }
    out.sort_unstable();
    Ok(out)
}

/// Groups the root's children into recurrence sets: per component kind, every component
/// (master and overrides) of that kind. A CalDAV object holds one UID, so one set per kind.
pub(crate) fn recurrence_sets(cal: &Calendar<'_>) -> Vec<Vec<usize>> {
    ["VEVENT", "VTODO", "VJOURNAL"]
        .iter()
        .map(|k| cal.components(k))
        .filter(|v| !v.is_empty())
        .collect()
}

/// Span, instance count and attendees per instance of a calendar object, for the store's index
/// and the max-instances / max-attendees-per-instance checks.
pub fn object_span(bytes: &[u8]) -> Result<ObjectTimes, RecurrenceError> {
    Ok(object_span_and_events(bytes, false)?.0)
}

/// [`object_span`] and, when `want_events`, the object's VEVENT instance spans
/// ([`crate::ObjectInfo::event_instances`]), from one parse and one expansion.
pub(crate) fn object_span_and_events(
    bytes: &[u8],
    want_events: bool,
) -> Result<(ObjectTimes, crate::span::EventSpans), RecurrenceError> {
    let cal = Calendar::parse(bytes)?;
    crate::span::object_times_and_events(&cal, want_events)
}
