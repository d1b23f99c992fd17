//! Checks on a calendar-query filter that need no data, run before the store is touched so a
//! malformed filter gets `valid-filter` / `supported-filter` rather than an empty answer.

use super::FilterError;
use crate::filter::{CompFilter, PropFilter, TimeRange};

/// Components that may appear inside `parent`; `None` when any name may (an X- component).
fn allowed_children(parent: &str) -> Option<&'static [&'static str]> {
    Some(match parent {
        "VCALENDAR" => &[
            "VEVENT",
            "VTODO",
            "VJOURNAL",
            "VFREEBUSY",
            "VTIMEZONE",
            "VAVAILABILITY",
        ],
        "VEVENT" | "VTODO" => &["VALARM"],
        "VTIMEZONE" => &["STANDARD", "DAYLIGHT"],
        "VAVAILABILITY" => &["AVAILABLE"],
        "VJOURNAL" | "VFREEBUSY" | "VALARM" | "STANDARD" | "DAYLIGHT" | "AVAILABLE" => &[],
        _ => return None,
    })
}

/// Components for which RFC 4791 §9.9 defines what overlapping a time range means.
const TIME_RANGE_COMPONENTS: &[&str] = &["VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VALARM"];

fn invalid(element: &str, reason: impl Into<String>) -> FilterError {
    FilterError::Invalid {
        element: element.to_string(),
        reason: reason.into(),
    }
}

fn check_range(tr: &TimeRange, element: &str) -> Result<(), FilterError> {
    match (tr.start, tr.end) {
        (None, None) => Err(invalid(element, "time-range needs a start or an end")),
        (Some(s), Some(e)) if e <= s => {
            Err(invalid(element, "time-range end is not after its start"))
        }
        _ => Ok(()),
    }
}

/// Checks the whole filter tree: root VCALENDAR, possible nesting, time ranges, exclusive
/// `is-not-defined`.
pub fn validate_calendar_filter(filter: &CompFilter) -> Result<(), FilterError> {
    if !filter.name.eq_ignore_ascii_case("VCALENDAR") {
        return Err(invalid(
            "comp-filter",
            format!("the filter's root must be VCALENDAR, not {}", filter.name),
        ));
    }
    if filter.is_not_defined {
        return Err(invalid(
            "is-not-defined",
            "every calendar object has a VCALENDAR",
        ));
    }
    // RFC 4791 §9.9 defines time-range for some components only; elsewhere the filter is
    // malformed (valid-filter), not merely beyond what we evaluate (supported-filter).
    if filter.time_range.is_some() {
        return Err(invalid(
            "time-range",
            "a time-range on VCALENDAR has no defined meaning",
        ));
    }
    check_comp(filter)
}

fn check_comp(f: &CompFilter) -> Result<(), FilterError> {
    let name = f.name.to_ascii_uppercase();
    if f.is_not_defined
        && (f.time_range.is_some() || !f.prop_filters.is_empty() || !f.comp_filters.is_empty())
    {
        return Err(invalid(
            "is-not-defined",
            format!("comp-filter {name} combines is-not-defined with other tests"),
        ));
    }
    if let Some(tr) = &f.time_range {
        check_range(tr, "time-range")?;
        if !TIME_RANGE_COMPONENTS.contains(&name.as_str()) {
            return Err(invalid(
                "time-range",
                format!("RFC 4791 §9.9 defines no time-range for {name}"),
            ));
        }
    }
    for p in &f.prop_filters {
        check_prop(p)?;
    }
    for c in &f.comp_filters {
        let child = c.name.to_ascii_uppercase();
        if child.is_empty() {
            return Err(invalid("comp-filter", "comp-filter without a name"));
        }
        if let Some(allowed) = allowed_children(&name)
            && !allowed.contains(&child.as_str())
            && !child.starts_with("X-")
        {
            return Err(invalid(
                "comp-filter",
                format!("{child} cannot occur inside {name}"),
            ));
        }
        check_comp(c)?;
    }
    Ok(())
}

fn check_prop(p: &PropFilter) -> Result<(), FilterError> {
    if p.name.is_empty() {
        return Err(invalid("prop-filter", "prop-filter without a name"));
    }
    if p.is_not_defined
        && (p.time_range.is_some() || p.text_match.is_some() || !p.param_filters.is_empty())
    {
        return Err(invalid(
            "is-not-defined",
            format!(
                "prop-filter {} combines is-not-defined with other tests",
                p.name
            ),
        ));
    }
    if p.time_range.is_some() && p.text_match.is_some() {
        return Err(invalid(
            "prop-filter",
            format!("prop-filter {} has both time-range and text-match", p.name),
        ));
    }
    if let Some(tr) = &p.time_range {
        check_range(tr, "time-range")?;
    }
    for pf in &p.param_filters {
        if pf.name.is_empty() {
            return Err(invalid("param-filter", "param-filter without a name"));
        }
        if pf.is_not_defined && pf.text_match.is_some() {
            return Err(invalid(
                "is-not-defined",
                format!(
                    "param-filter {} combines is-not-defined with text-match",
                    pf.name
                ),
            ));
        }
    }
    Ok(())
}
