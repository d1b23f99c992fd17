//! Recurrence: the instances an iCalendar object stands for, and the span they occupy.
//!
//! RRULE arithmetic is `crate::rrule`'s, on wall-clock times; this module places them in time
//! zones and applies RDATE, EXDATE and RECURRENCE-ID overrides.
//!
//! Floating times and all-day dates are read in the calendar's floating zone (UTC unless
//! `Calendar::parse_in` names another; see [`crate::tz`]).

use crate::TimeSpan;
use crate::datetime::{DateValue, parse_value};
use crate::rrule::{Occurrences, Rule};
use crate::timing::Timing;
use crate::tree::{CompRef, Tree, TreeError, split_commas};
use crate::tz::{Zone, Zones};
use std::cell::OnceCell;
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
    /// Each component's dates, read once: span extraction, expansion and the filters all ask
    /// for the same component's DTSTART several times per request.
    timings: Vec<OnceCell<Timing>>,
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
        let timings = std::iter::repeat_with(OnceCell::new)
            .take(tree.len())
            .collect();
        Ok(Calendar {
            tree,
            zones,
            timings,
        })
    }

    /// The dates of component `idx`, read in this calendar's zones (once).
    pub fn timing(&self, idx: usize) -> &Timing {
        self.timings[idx].get_or_init(|| Timing::read(self.comp(idx), &self.zones))
    }

    /// Whether any date of the object's components (not VTIMEZONE rules) is a DATE or a
    /// floating DATE-TIME, so that where its instances fall depends on the floating zone.
    pub fn uses_floating(&self) -> bool {
        const LISTED: [&str; 3] = ["RDATE", "EXDATE", "RECURRENCE-ID"];
        self.tree.children(0).any(|(idx, c)| {
            !c.is("VTIMEZONE")
                && (self.timing(idx).floating
                    || c.props().iter().any(|p| {
                        LISTED.iter().any(|n| p.is(n))
                            && split_commas(p.value()).any(|v| {
                                let start = v.split_once('/').map_or(v, |(a, _)| a);
                                parse_value(start)
                                    .is_some_and(|value| self.zones.place(value, p.param("TZID")).1)
                            })
                    }))
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

    pub fn comp(&self, idx: usize) -> CompRef<'_, 'a> {
        self.tree.comp(idx)
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
                if let Some(v) = parse_value(rid.value()) {
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
        let t = cal.timing(idx);
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
        let timing = cal.timing(m);
        let rule = comp.prop("RRULE");
        let has_rdate = comp.prop("RDATE").is_some();
        match timing.anchor() {
            Some(anchor) if rule.is_some() || has_rdate => {
                let mut starts: Vec<(i64, Option<i64>)> = Vec::new();
                starts.push((anchor.utc, None));
                if let Some(rule) = rule {
                    // A rule the engine cannot expand (a non-Gregorian RSCALE, or one stored
                    // before validation refused it) leaves DTSTART, RDATEs and overrides, and
                    // makes the set open-ended so the index never hides it.
                    let parsed = Rule::parse(rule.value())
                        .ok()
                        .filter(|r| r.foreign_scale.is_none());
                    let count = parsed.as_ref().and_then(|r| r.count);
                    out.open = parsed
                        .as_ref()
                        .is_none_or(|r| r.count.is_none() && r.until.is_none());
                    out.counted = count.map(u64::from);
                    let local_upto = if upto == i64::MAX {
                        None
                    } else {
                        // A day of slack covers any change of UTC offset.
                        Some(anchor.zone.to_local(upto.saturating_add(86_400)))
                    };
                    let beyond_cap = count.is_some_and(|c| c as usize > EXPANSION_CAP);
                    if local_upto.is_none() && (out.open || beyond_cap) {
                        // Asked for everything of a set that is unbounded or larger than the cap:
                        // its end is open and its count is known without expanding.
                        out.truncated = beyond_cap;
                    } else {
                        // Instances ending before `from` are not needed: start near it.
                        let length = timing
                            .end_for(anchor.utc, is_event)
                            .saturating_sub(anchor.utc);
                        let from_local = (from != i64::MIN).then(|| {
                            anchor.zone.to_local(
                                from.saturating_sub(length.max(0))
                                    .saturating_sub(2 * 86_400),
                            )
                        });
                        // Occurrences outside the range are left out before they count against
                        // the cap, so a dense rule (one every second) still answers a range
                        // anywhere: the cap limits what an answer holds, not the walk.
                        let length_at = |start: i64| timing.end_for(start, is_event);
                        if let Some(parsed) = &parsed {
                            let until = match (
                                parsed.until_local(|utc| anchor.zone.to_local(utc)),
                                local_upto,
                            ) {
                                (Some(a), Some(b)) => Some(a.min(b)),
                                (a, b) => a.or(b),
                            };
                            let mut occurrences = Occurrences::new(
                                parsed,
                                anchor.value.naive(),
                                anchor.value.is_date(),
                                until,
                            );
                            if let Some(f) = from_local {
                                occurrences.skip_to(f);
                            }
                            // A THISANDFUTURE override moves later instances by its shift: no
                            // instance can be judged by its own times then.
                            let judge = future.is_empty();
                            let mut kept = 0usize;
                            for local in occurrences {
                                let utc = anchor.zone.to_utc(local);
                                // Past either end of the range: not counted (the walk ends at
                                // `local_upto`, a day of slack beyond `upto`).
                                if judge
                                    && (utc >= upto || (from != i64::MIN && length_at(utc) < from))
                                {
                                    continue;
                                }
                                if kept == EXPANSION_CAP {
                                    out.truncated = true;
                                    break;
                                }
                                kept += 1;
                                starts.push((utc, None));
                            }
                        }
                    }
                }
                for p in comp.props_named("RDATE") {
                    read_rdates(cal, p, anchor, timing, is_event, &mut starts);
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
    for v in split_commas(p.value()) {
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
            None => {
                crate::datetime::Duration::parse(r.as_bytes()).map(|d| d.add_to(s, &anchor.zone))
            }
        });
        out.push((s, end));
    }
}

/// EXDATE instants; an all-day EXDATE against a timed DTSTART removes that whole local day.
fn read_exdates(
    cal: &Calendar<'_>,
    comp: CompRef<'_, '_>,
    anchor: &crate::timing::Stamp,
) -> HashSet<i64> {
    let mut set = HashSet::new();
    for p in comp.props_named("EXDATE") {
        for v in split_commas(p.value()) {
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

/// Instances of `bytes` (all components besides VTIMEZONE) overlapping `[start, end)`: an
/// instance without length matches when `start <= its start < end`.
pub fn instances(bytes: &[u8], start: i64, end: i64) -> Result<Vec<Instance>, RecurrenceError> {
    let cal = Calendar::parse(bytes)?;
    let mut out = Vec::new();
    for set in recurrence_sets(&cal) {
        let exp = expand_set(&cal, &set, start, end)?;
        if exp.truncated {
            return Err(RecurrenceError::TooManyInstances);
        }
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
/// Yielded one at a time: every caller walks them once, so no list of lists is built.
pub(crate) fn recurrence_sets<'c>(cal: &'c Calendar<'_>) -> impl Iterator<Item = Vec<usize>> + 'c {
    ["VEVENT", "VTODO", "VJOURNAL"]
        .into_iter()
        .map(|k| cal.components(k))
        .filter(|v| !v.is_empty())
}
