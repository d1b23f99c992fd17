//! calendar-query filter evaluation (RFC 4791 §9.7) with the time-range rules of §9.9.
//!
//! A comp-filter matches when some component of its name satisfies all of its tests. Its
//! time-range is tested against the instances that component describes: a master against the
//! occurrences it generates, an override against its own instance, so a prop-filter beside a
//! time-range is checked on the component that produced the matching instance.

use super::FilterError;
use super::text::text_matches;
use super::validate::validate_calendar_filter;
use crate::datetime::Duration;
use crate::datetime::parse_value;
use crate::filter::{CompFilter, ParamFilter, PropFilter, TimeRange};
use crate::recurrence::{Calendar, Instance, expand_set};
use crate::timing::{Stamp, Timing};
use crate::tree::{CompRef, Prop, split_commas};
use crate::tz::Zone;

/// An open-ended time range is searched this far past its start (or the object's first instance)
/// for instances of an unbounded rule.
const OPEN_END_HORIZON: i64 = 10 * 366 * 86_400;
/// Alarms may fire this long before or after the instance they belong to.
const ALARM_REACH: i64 = 366 * 86_400;

/// Whether the calendar object `bytes` matches `filter`, whose root must be VCALENDAR, with
/// floating DATE-TIMEs and DATEs read as UTC.
pub fn matches_calendar(filter: &CompFilter, bytes: &[u8]) -> Result<bool, FilterError> {
    matches_calendar_in(filter, bytes, &Zone::Utc)
}

/// [`matches_calendar`] with floating DATE-TIMEs and all-day DATEs read in `floating` (RFC 4791
/// §9.9: the query's `timezone` / RFC 7809 `timezone-id`, else the calendar's
/// `calendar-timezone`, else UTC).
pub fn matches_calendar_in(
    filter: &CompFilter,
    bytes: &[u8],
    floating: &Zone,
) -> Result<bool, FilterError> {
    validate_calendar_filter(filter)?;
    let cal = Calendar::parse_in(bytes, floating)?;
    let eval = Eval { cal: &cal };
    let root = cal.comp(0);
    if !root.name.eq_ignore_ascii_case(&filter.name) {
        return Ok(false);
    }
    eval.comp_tests(0, filter, &[])
}

struct Eval<'c, 'a> {
    cal: &'c Calendar<'a>,
}

fn bounds(tr: &TimeRange) -> (i64, i64) {
    (tr.start.unwrap_or(i64::MIN), tr.end.unwrap_or(i64::MAX))
}

impl Eval<'_, '_> {
    /// The tests of `f` other than its name, on component `idx`; `parent` holds the instances of
    /// the enclosing component (for VALARM).
    fn comp_tests(
        &self,
        idx: usize,
        f: &CompFilter,
        parent: &[Instance],
    ) -> Result<bool, FilterError> {
        let comp = self.cal.comp(idx);
        if let Some(tr) = &f.time_range
            && !self.time_range(idx, tr, parent)?
        {
            return Ok(false);
        }
        for pf in &f.prop_filters {
            if !prop_filter(self.cal, comp, pf) {
                return Ok(false);
            }
        }
        for cf in &f.comp_filters {
            let children: Vec<usize> = self
                .cal
                .tree
                .children(idx)
                .filter(|(_, c)| c.is(&cf.name))
                .map(|(i, _)| i)
                .collect();
            if cf.is_not_defined {
                if !children.is_empty() {
                    return Ok(false);
                }
                continue;
            }
            if children.is_empty() {
                return Ok(false);
            }
            // A time-range on a child (VALARM) is tested against this component's instances,
            // expanded far enough around the child's range to reach every trigger.
            let instances = match &cf.time_range {
                Some(tr) => {
                    let from = tr.start.map_or(i64::MIN, |s| s.saturating_sub(ALARM_REACH));
                    self.instances_of(idx, from, self.upto(idx, tr, ALARM_REACH))?
                }
                None => Vec::new(),
            };
            let mut any = false;
            for c in children {
                if self.comp_tests(c, cf, &instances)? {
                    any = true;
                    break;
                }
            }
            if !any {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Instances described by component `idx` starting before `upto`.
    fn instances_of(&self, idx: usize, from: i64, upto: i64) -> Result<Vec<Instance>, FilterError> {
        let comp = self.cal.comp(idx);
        let set = self.cal.components(&comp.name);
        let exp = expand_set(self.cal, &set, from, upto)?;
        Ok(exp
            .instances
            .into_iter()
            .filter(|i| i.component == idx)
            .collect())
    }

    /// Where to stop expanding for `tr`: its end, or a horizon past its start for open ranges.
    fn upto(&self, idx: usize, tr: &TimeRange, reach: i64) -> i64 {
        match tr.end {
            Some(e) => e.saturating_add(reach),
            None => {
                let set = self.cal.components(&self.cal.comp(idx).name);
                let first = set
                    .iter()
                    .filter_map(|&i| self.cal.timing(i).anchor().map(|a| a.utc))
                    .min()
                    .unwrap_or(i64::MIN);
                tr.start
                    .unwrap_or(i64::MIN)
                    .max(first)
                    .saturating_add(OPEN_END_HORIZON + reach)
            }
        }
    }

    fn time_range(
        &self,
        idx: usize,
        tr: &TimeRange,
        parent: &[Instance],
    ) -> Result<bool, FilterError> {
        let comp = self.cal.comp(idx);
        let (s, e) = bounds(tr);
        if comp.is("VALARM") {
            return Ok(parent.iter().any(|i| alarm_fires(self.cal, comp, i, s, e)));
        }
        if comp.is("VFREEBUSY") {
            return Ok(freebusy_overlaps(self.cal, idx, s, e));
        }
        let timing = self.cal.timing(idx);
        if comp.is("VTODO") && timing.anchor().is_none() {
            return Ok(undated_todo(timing, s, e));
        }
        if timing.dtstart.is_none() && !comp.is("VTODO") {
            return Ok(false);
        }
        // One second past the end: a todo with only DUE matches a range ending at DUE.
        let instances = self.instances_of(idx, s, self.upto(idx, tr, 1))?;
        Ok(instances
            .iter()
            .any(|i| instance_overlaps(comp, timing, i, s, e)))
    }
}

/// §9.9 for VEVENT, VJOURNAL and VTODO (with DTSTART or DUE), on one instance.
fn instance_overlaps(comp: CompRef<'_, '_>, t: &Timing, i: &Instance, s: i64, e: i64) -> bool {
    if comp.is("VTODO") {
        let (start, end) = (i.start, i.end);
        return match (t.dtstart.is_some(), t.duration.is_some(), t.due.is_some()) {
            (true, true, _) => s <= end && (e > start || e >= end),
            (true, false, true) => (s < end || s <= start) && (e > start || e >= end),
            (true, false, false) => s <= start && e > start,
            // DUE only: the instance is anchored at DUE.
            _ => s < start && e >= start,
        };
    }
    if i.end > i.start {
        s < i.end && e > i.start
    } else {
        s <= i.start && e > i.start
    }
}

/// §9.9 rows for a VTODO with neither DTSTART nor DUE.
fn undated_todo(t: &Timing, s: i64, e: i64) -> bool {
    match (t.completed, t.created) {
        (Some(co), Some(cr)) => (s <= cr || s <= co) && (e >= cr || e >= co),
        (Some(co), None) => s <= co && e >= co,
        (None, Some(cr)) => e > cr,
        (None, None) => true,
    }
}

fn freebusy_overlaps(cal: &Calendar<'_>, idx: usize, s: i64, e: i64) -> bool {
    let periods = crate::freebusy::component_periods(cal.comp(idx));
    if !periods.is_empty() {
        return periods.iter().any(|p| s < p.end && e > p.start);
    }
    let t = cal.timing(idx);
    match (&t.dtstart, &t.dtend) {
        (Some(ds), Some(de)) => s <= de.utc && e > ds.utc,
        _ => false,
    }
}

/// Whether alarm `alarm` of the parent instance `i` fires in `[s, e)`, its REPEATs included
/// (found by arithmetic, so `REPEAT:1000000000` costs nothing).
fn alarm_fires(cal: &Calendar<'_>, alarm: CompRef<'_, '_>, i: &Instance, s: i64, e: i64) -> bool {
    let Some(trigger) = alarm.prop("TRIGGER") else {
        return false;
    };
    let first = match parse_value(trigger.value()) {
        Some(v) => cal.zones.read(v, trigger.param("TZID")),
        None => {
            let Some(d) = Duration::parse(trigger.value().as_bytes()) else {
                return false;
            };
            let related_end = trigger
                .param("RELATED")
                .is_some_and(|r| r.eq_ignore_ascii_case("END"));
            d.add_to(if related_end { i.end } else { i.start }, &Zone::Utc)
        }
    };
    if s <= first && e > first {
        return true;
    }
    let repeat = alarm
        .prop("REPEAT")
        .and_then(|p| p.value().trim().parse::<i64>().ok())
        .unwrap_or(0)
        .max(0);
    let step = alarm
        .prop("DURATION")
        .and_then(|p| Duration::parse(p.value().as_bytes()))
        .map_or(0, |d| d.as_seconds());
    if repeat == 0 || step <= 0 || first >= e {
        return false;
    }
    // The first repeat at or after `s`.
    let k = if s <= first {
        1
    } else {
        ((s - first) + step - 1) / step
    }
    .max(1);
    k <= repeat && first.saturating_add(k.saturating_mul(step)) < e
}

/// prop-filter (§9.7.2) on one component.
pub(crate) fn prop_filter(cal: &Calendar<'_>, comp: CompRef<'_, '_>, pf: &PropFilter) -> bool {
    let mut props = comp.props_named(&pf.name);
    if pf.is_not_defined {
        return props.next().is_none();
    }
    props.any(|p| {
        pf.time_range
            .as_ref()
            .is_none_or(|tr| prop_in_range(cal, p, tr))
            && pf
                .text_match
                .as_ref()
                .is_none_or(|tm| text_matches(tm, &p.text()))
            && pf.param_filters.iter().all(|f| param_filter(p, f))
    })
}

/// A date, date-time or period valued property overlapping the range (any of its values).
fn prop_in_range(cal: &Calendar<'_>, p: &Prop<'_>, tr: &TimeRange) -> bool {
    let (s, e) = bounds(tr);
    let tzid = p.param("TZID");
    split_commas(p.value()).any(|v| {
        let (start, rest) = match v.split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (v, None),
        };
        let Some(sv) = parse_value(start) else {
            return false;
        };
        let (zone, floating) = cal.zones.place(sv, tzid);
        let st = Stamp {
            value: sv,
            utc: sv.to_utc(&zone),
            zone,
            floating,
        };
        let end = match rest {
            Some(r) => parse_value(r)
                .map(|ev| cal.zones.read(ev, tzid))
                .or_else(|| Duration::parse(r.as_bytes()).map(|d| d.add_to(st.utc, &st.zone))),
            // A date lasts until the next midnight of its (floating) zone.
            None if sv.is_date() => Some(
                Duration {
                    days: 1,
                    seconds: 0,
                }
                .add_to(st.utc, &st.zone),
            ),
            None => None,
        };
        match end {
            Some(end) if end > st.utc => s < end && e > st.utc,
            _ => s <= st.utc && e > st.utc,
        }
    })
}

/// param-filter (§9.7.3): `is-not-defined`, or the parameter exists and one of its values
/// satisfies the text-match.
pub(crate) fn param_filter(p: &Prop<'_>, f: &ParamFilter) -> bool {
    let mut values = p.param_values(&f.name);
    if f.is_not_defined {
        return values.next().is_none();
    }
    match &f.text_match {
        None => values.next().is_some(),
        // A multi-valued parameter is one parameter: negation applies to "any value matches".
        Some(tm) => {
            let positive = crate::filter::TextMatch {
                negate: false,
                ..tm.clone()
            };
            values.any(|v| text_matches(&positive, v)) != tm.negate
        }
    }
}
