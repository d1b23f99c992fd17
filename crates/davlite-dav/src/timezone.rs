//! Time zones of calendars and queries (RFC 4791 §5.2.2, §9.8, §9.9; RFC 7809): the zone
//! floating DATE-TIMEs and all-day DATEs are read in, and keeping `calendar-timezone` and
//! `calendar-timezone-id` in step.
//!
//! A query's `C:timezone` or `C:timezone-id` wins; else the calendar's `calendar-timezone-id`,
//! else its `calendar-timezone`; else UTC. The two properties are validated when set
//! (`valid-calendar-data` for a `calendar-timezone` that is not a VCALENDAR with exactly one
//! VTIMEZONE, `valid-timezone` for an unknown identifier), and setting one sets the other to the
//! matching value: an IANA TZID makes `calendar-timezone-id`, an identifier makes a VTIMEZONE.

use davlite_formats::tz::{self, Zone};
use davlite_proto::{BodyCondition, Condition, PropValue, QName};
use davlite_store::Collection;

use crate::error::{DavError, DavResult};

pub fn tz_prop() -> QName {
    QName::caldav("calendar-timezone")
}

pub fn id_prop() -> QName {
    QName::caldav("calendar-timezone-id")
}

/// How far a floating time moves between UTC and any zone: offsets run from -12:00 to +14:00.
/// The store's span index reads floating times and all-day dates as UTC, so a lookup for a
/// query in another floating zone reaches this far either side of its range.
pub const FLOATING_REACH: i64 = 14 * 3_600;

/// How far a span-index lookup must reach either side of a range for floating values read in
/// `zone`: nothing for UTC, else [`FLOATING_REACH`].
pub fn index_reach(zone: &Zone) -> i64 {
    if is_utc(zone) { 0 } else { FLOATING_REACH }
}

/// Whether reading floating values in `zone` gives what reading them as UTC gives.
pub fn is_utc(zone: &Zone) -> bool {
    matches!(zone, Zone::Utc | Zone::Floating | Zone::Fixed(0))
}

/// The floating zone of a calendar-query: its `C:timezone` text or `C:timezone-id`, else the
/// calendar's. A bad `C:timezone` is 403 `valid-calendar-data`, an unknown identifier 403
/// `valid-timezone`.
pub fn query_zone(
    timezone: Option<&str>,
    timezone_id: Option<&str>,
    coll: &Collection,
) -> DavResult<Zone> {
    if let Some(text) = timezone {
        return tz::parse_timezone_text(text)
            .map(|t| t.zone)
            .map_err(|why| {
                DavError::Refused(
                    Condition::Body(BodyCondition::ValidCalendarData),
                    format!("C:timezone: {why}"),
                )
            });
    }
    if let Some(id) = timezone_id {
        return tz::zone_for_id(id.trim()).ok_or_else(|| {
            DavError::Refused(
                Condition::ValidTimezone,
                format!("C:timezone-id: unknown time zone {id:?}"),
            )
        });
    }
    Ok(collection_zone(coll))
}

/// The calendar's floating zone: `calendar-timezone-id`, else `calendar-timezone`, else UTC.
/// A stored value that no longer reads (it was validated when set) counts as absent.
pub fn collection_zone(coll: &Collection) -> Zone {
    let text = |name: QName| {
        coll.props
            .get(&name.to_clark())
            .and_then(|xml| PropValue::from_xml(xml).ok())
            .map(|(_, v)| v.text())
    };
    if let Some(z) = text(id_prop()).and_then(|id| tz::zone_for_id(id.trim())) {
        return z;
    }
    text(tz_prop())
        .and_then(|t| tz::parse_timezone_text(&t).ok())
        .map_or(Zone::Utc, |t| t.zone)
}

/// Validates the `calendar-timezone` / `calendar-timezone-id` changes among `changes` (a value
/// to set, or `None` to remove) and appends the companion change for the other property when
/// the request does not change both. `Err` names the refused property and its precondition.
pub fn in_step(
    changes: &mut Vec<(QName, Option<PropValue>)>,
) -> Result<(), Box<(QName, Condition)>> {
    let last = |n: &QName, changes: &[(QName, Option<PropValue>)]| {
        changes
            .iter()
            .rev()
            .find(|(name, _)| name == n)
            .map(|(_, v)| v.clone())
    };
    let (tzp, idp) = (tz_prop(), id_prop());
    let text = last(&tzp, changes);
    let id = last(&idp, changes);
    let mut companion = None;
    if let Some(Some(v)) = &text {
        let parsed = tz::parse_timezone_text(&v.text()).map_err(|_| {
            Box::new((
                tzp.clone(),
                Condition::Body(BodyCondition::ValidCalendarData),
            ))
        })?;
        companion = Some((idp.clone(), parsed.iana.map(PropValue::from_text)));
    }
    if let Some(Some(v)) = &id {
        let value = v.text();
        let generated = tz::vtimezone_text(value.trim())
            .ok_or_else(|| Box::new((idp.clone(), Condition::ValidTimezone)))?;
        companion = Some((tzp.clone(), Some(PropValue::from_text(generated))));
    }
    match (&text, &id) {
        (Some(_), Some(_)) => {}
        (Some(None), None) => changes.push((idp, None)),
        (None, Some(None)) => changes.push((tzp, None)),
        _ => changes.extend(companion),
    }
    Ok(())
}
