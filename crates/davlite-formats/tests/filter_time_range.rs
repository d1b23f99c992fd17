//! RFC 4791 §9.9: one test per row of the time-range tables, each checked on both sides of the
//! boundary the row defines.

use crate::common::{comp, utc};
use davlite_formats::filter::{CompFilter, TimeRange};
use davlite_formats::matches_calendar;

fn cal(body: &str) -> Vec<u8> {
    format!("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\n{body}END:VCALENDAR\n")
        .replace('\n', "\r\n")
        .into_bytes()
}

/// VCALENDAR > `kind` with a time-range `[start, end)`.
fn range_filter(kind: &str, start: Option<&str>, end: Option<&str>) -> CompFilter {
    let mut inner = comp(kind);
    inner.time_range = Some(TimeRange {
        start: start.map(utc),
        end: end.map(utc),
    });
    let mut root = comp("VCALENDAR");
    root.comp_filters.push(inner);
    root
}

fn hit(body: &str, kind: &str, start: &str, end: &str) -> bool {
    matches_calendar(&range_filter(kind, Some(start), Some(end)), &cal(body)).unwrap()
}

const EV_DTEND: &str =
    "BEGIN:VEVENT\nUID:a\nDTSTART:20240105T100000Z\nDTEND:20240105T110000Z\nEND:VEVENT\n";

#[test]
fn vevent_with_dtend() {
    assert!(hit(
        EV_DTEND,
        "VEVENT",
        "20240105T105900Z",
        "20240105T120000Z"
    ));
    assert!(
        !hit(EV_DTEND, "VEVENT", "20240105T110000Z", "20240105T120000Z"),
        "start == DTEND does not overlap"
    );
    assert!(
        !hit(EV_DTEND, "VEVENT", "20240105T090000Z", "20240105T100000Z"),
        "end == DTSTART does not overlap"
    );
    assert!(hit(
        EV_DTEND,
        "VEVENT",
        "20240105T090000Z",
        "20240105T100001Z"
    ));
}

#[test]
fn vevent_with_positive_duration() {
    let ev = "BEGIN:VEVENT\nUID:a\nDTSTART:20240105T100000Z\nDURATION:PT1H\nEND:VEVENT\n";
    assert!(hit(ev, "VEVENT", "20240105T105959Z", "20240105T120000Z"));
    assert!(!hit(ev, "VEVENT", "20240105T110000Z", "20240105T120000Z"));
}

#[test]
fn vevent_with_zero_duration() {
    let ev = "BEGIN:VEVENT\nUID:a\nDTSTART:20240105T100000Z\nDURATION:PT0S\nEND:VEVENT\n";
    assert!(
        hit(ev, "VEVENT", "20240105T100000Z", "20240105T100001Z"),
        "start <= DTSTART"
    );
    assert!(!hit(ev, "VEVENT", "20240105T100001Z", "20240105T110000Z"));
    assert!(
        !hit(ev, "VEVENT", "20240105T090000Z", "20240105T100000Z"),
        "end must be after DTSTART"
    );
}

#[test]
fn vevent_datetime_without_end() {
    let ev = "BEGIN:VEVENT\nUID:a\nDTSTART:20240105T100000Z\nEND:VEVENT\n";
    assert!(hit(ev, "VEVENT", "20240105T100000Z", "20240105T100001Z"));
    assert!(!hit(ev, "VEVENT", "20240105T090000Z", "20240105T100000Z"));
}

#[test]
fn vevent_date_without_end_lasts_a_day() {
    let ev = "BEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20240105\nEND:VEVENT\n";
    assert!(hit(ev, "VEVENT", "20240105T235959Z", "20240106T120000Z"));
    assert!(!hit(ev, "VEVENT", "20240106T000000Z", "20240106T120000Z"));
    assert!(hit(ev, "VEVENT", "20240104T000000Z", "20240105T000001Z"));
}

#[test]
fn vtodo_dtstart_and_duration() {
    let t = "BEGIN:VTODO\nUID:a\nDTSTART:20240105T100000Z\nDURATION:PT1H\nEND:VTODO\n";
    // (start <= DTSTART+DURATION) AND ((end > DTSTART) OR (end >= DTSTART+DURATION))
    assert!(
        hit(t, "VTODO", "20240105T110000Z", "20240105T120000Z"),
        "start == DTSTART+DURATION matches"
    );
    assert!(!hit(t, "VTODO", "20240105T110001Z", "20240105T120000Z"));
    assert!(!hit(t, "VTODO", "20240105T090000Z", "20240105T100000Z"));
}

#[test]
fn vtodo_dtstart_and_due() {
    let t = "BEGIN:VTODO\nUID:a\nDTSTART:20240105T100000Z\nDUE:20240105T110000Z\nEND:VTODO\n";
    // ((start < DUE) OR (start <= DTSTART)) AND ((end > DTSTART) OR (end >= DUE))
    assert!(hit(t, "VTODO", "20240105T105959Z", "20240105T120000Z"));
    assert!(!hit(t, "VTODO", "20240105T110000Z", "20240105T120000Z"));
    assert!(!hit(t, "VTODO", "20240105T090000Z", "20240105T100000Z"));
    assert!(hit(t, "VTODO", "20240105T090000Z", "20240105T100001Z"));
}

#[test]
fn vtodo_dtstart_only() {
    let t = "BEGIN:VTODO\nUID:a\nDTSTART:20240105T100000Z\nEND:VTODO\n";
    assert!(hit(t, "VTODO", "20240105T100000Z", "20240105T100001Z"));
    assert!(!hit(t, "VTODO", "20240105T100001Z", "20240106T000000Z"));
    assert!(!hit(t, "VTODO", "20240105T000000Z", "20240105T100000Z"));
}

#[test]
fn vtodo_due_only() {
    let t = "BEGIN:VTODO\nUID:a\nDUE:20240105T100000Z\nEND:VTODO\n";
    // (start < DUE) AND (end >= DUE)
    assert!(
        hit(t, "VTODO", "20240105T090000Z", "20240105T100000Z"),
        "end == DUE matches"
    );
    assert!(
        !hit(t, "VTODO", "20240105T100000Z", "20240105T110000Z"),
        "start == DUE does not"
    );
}

#[test]
fn vtodo_completed_and_created() {
    let t = "BEGIN:VTODO\nUID:a\nCREATED:20240101T000000Z\nCOMPLETED:20240110T000000Z\nEND:VTODO\n";
    // ((start <= CREATED) OR (start <= COMPLETED)) AND ((end >= CREATED) OR (end >= COMPLETED))
    assert!(hit(t, "VTODO", "20240105T000000Z", "20240106T000000Z"));
    assert!(hit(t, "VTODO", "20240110T000000Z", "20240111T000000Z"));
    assert!(!hit(t, "VTODO", "20240110T000001Z", "20240111T000000Z"));
    assert!(!hit(t, "VTODO", "20231201T000000Z", "20231231T000000Z"));
}

#[test]
fn vtodo_completed_only() {
    let t = "BEGIN:VTODO\nUID:a\nCOMPLETED:20240110T000000Z\nEND:VTODO\n";
    assert!(hit(t, "VTODO", "20240110T000000Z", "20240111T000000Z"));
    assert!(
        hit(t, "VTODO", "20240109T000000Z", "20240110T000000Z"),
        "end == COMPLETED matches"
    );
    assert!(!hit(t, "VTODO", "20240110T000001Z", "20240111T000000Z"));
}

#[test]
fn vtodo_created_only() {
    let t = "BEGIN:VTODO\nUID:a\nCREATED:20240110T000000Z\nEND:VTODO\n";
    assert!(
        hit(t, "VTODO", "20300101T000000Z", "20300102T000000Z"),
        "(end > CREATED)"
    );
    assert!(!hit(t, "VTODO", "20240109T000000Z", "20240110T000000Z"));
}

#[test]
fn vtodo_without_dates_always_matches() {
    let t = "BEGIN:VTODO\nUID:a\nSUMMARY:x\nEND:VTODO\n";
    assert!(hit(t, "VTODO", "19900101T000000Z", "19900102T000000Z"));
}

#[test]
fn vjournal_datetime_date_and_none() {
    let j = "BEGIN:VJOURNAL\nUID:a\nDTSTART:20240105T100000Z\nEND:VJOURNAL\n";
    assert!(hit(j, "VJOURNAL", "20240105T100000Z", "20240105T100001Z"));
    assert!(!hit(j, "VJOURNAL", "20240105T090000Z", "20240105T100000Z"));
    let d = "BEGIN:VJOURNAL\nUID:a\nDTSTART;VALUE=DATE:20240105\nEND:VJOURNAL\n";
    assert!(hit(d, "VJOURNAL", "20240105T230000Z", "20240106T000000Z"));
    assert!(!hit(d, "VJOURNAL", "20240106T000000Z", "20240107T000000Z"));
    let none = "BEGIN:VJOURNAL\nUID:a\nSUMMARY:x\nEND:VJOURNAL\n";
    assert!(!hit(
        none,
        "VJOURNAL",
        "19000101T000000Z",
        "21000101T000000Z"
    ));
}

#[test]
fn vfreebusy_periods_and_bounds() {
    let fb = "BEGIN:VFREEBUSY\nUID:a\nDTSTART:20240101T000000Z\nDTEND:20240201T000000Z\nFREEBUSY:20240105T100000Z/PT1H,20240106T100000Z/20240106T120000Z\nEND:VFREEBUSY\n";
    assert!(hit(fb, "VFREEBUSY", "20240106T115959Z", "20240106T130000Z"));
    assert!(
        !hit(fb, "VFREEBUSY", "20240105T110000Z", "20240106T100000Z"),
        "between the periods"
    );
    let bounds =
        "BEGIN:VFREEBUSY\nUID:a\nDTSTART:20240101T000000Z\nDTEND:20240201T000000Z\nEND:VFREEBUSY\n";
    // (start <= DTEND) AND (end > DTSTART)
    assert!(hit(
        bounds,
        "VFREEBUSY",
        "20240201T000000Z",
        "20240202T000000Z"
    ));
    assert!(!hit(
        bounds,
        "VFREEBUSY",
        "20231201T000000Z",
        "20240101T000000Z"
    ));
    let neither = "BEGIN:VFREEBUSY\nUID:a\nORGANIZER:mailto:a@x\nEND:VFREEBUSY\n";
    assert!(!hit(
        neither,
        "VFREEBUSY",
        "19000101T000000Z",
        "21000101T000000Z"
    ));
}

fn alarm_filter(start: &str, end: &str) -> CompFilter {
    let mut alarm = comp("VALARM");
    alarm.time_range = Some(TimeRange {
        start: Some(utc(start)),
        end: Some(utc(end)),
    });
    let mut ev = comp("VEVENT");
    ev.comp_filters.push(alarm);
    let mut root = comp("VCALENDAR");
    root.comp_filters.push(ev);
    root
}

#[test]
fn valarm_relative_trigger_on_each_instance() {
    let b = cal(
        "BEGIN:VEVENT\nUID:a\nDTSTART:20240101T100000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=10\nBEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:x\nTRIGGER:-PT15M\nEND:VALARM\nEND:VEVENT\n",
    );
    // The alarm of the 5 January instance fires at 09:45.
    assert!(matches_calendar(&alarm_filter("20240105T094500Z", "20240105T094600Z"), &b).unwrap());
    assert!(!matches_calendar(&alarm_filter("20240105T094600Z", "20240105T100000Z"), &b).unwrap());
    assert!(
        !matches_calendar(&alarm_filter("20240111T094500Z", "20240111T094600Z"), &b).unwrap(),
        "after the last instance"
    );
}

#[test]
fn valarm_related_end_absolute_and_repeat() {
    let b = cal(
        "BEGIN:VEVENT\nUID:a\nDTSTART:20240101T100000Z\nDTEND:20240101T110000Z\nBEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:x\nTRIGGER;RELATED=END:PT5M\nREPEAT:2\nDURATION:PT10M\nEND:VALARM\nBEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:y\nTRIGGER;VALUE=DATE-TIME:20231231T080000Z\nEND:VALARM\nEND:VEVENT\n",
    );
    assert!(matches_calendar(&alarm_filter("20240101T110500Z", "20240101T110501Z"), &b).unwrap());
    assert!(
        matches_calendar(&alarm_filter("20240101T112500Z", "20240101T112501Z"), &b).unwrap(),
        "second repeat"
    );
    assert!(
        !matches_calendar(&alarm_filter("20240101T113500Z", "20240101T120000Z"), &b).unwrap(),
        "no third repeat"
    );
    assert!(
        matches_calendar(&alarm_filter("20231231T080000Z", "20231231T080001Z"), &b).unwrap(),
        "absolute trigger"
    );
}

#[test]
fn recurring_event_matches_by_any_instance() {
    let b = "BEGIN:VEVENT\nUID:a\nDTSTART:20240101T100000Z\nDURATION:PT1H\nRRULE:FREQ=WEEKLY\nEXDATE:20240115T100000Z\nEND:VEVENT\n";
    assert!(hit(b, "VEVENT", "20240108T000000Z", "20240109T000000Z"));
    assert!(
        !hit(b, "VEVENT", "20240115T000000Z", "20240116T000000Z"),
        "excluded instance"
    );
    assert!(
        !hit(b, "VEVENT", "20240109T000000Z", "20240115T000000Z"),
        "between instances"
    );
    assert!(
        hit(b, "VEVENT", "20350101T000000Z", "20350108T000000Z"),
        "far future of an open rule"
    );
}

#[test]
fn open_ended_range_finds_later_instances() {
    let b = cal(
        "BEGIN:VEVENT\nUID:a\nDTSTART:20240101T100000Z\nDURATION:PT1H\nRRULE:FREQ=YEARLY;COUNT=3\nEND:VEVENT\n",
    );
    assert!(matches_calendar(&range_filter("VEVENT", Some("20250601T000000Z"), None), &b).unwrap());
    assert!(
        !matches_calendar(&range_filter("VEVENT", Some("20260601T000000Z"), None), &b).unwrap()
    );
    assert!(matches_calendar(&range_filter("VEVENT", None, Some("20240101T100001Z")), &b).unwrap());
    assert!(
        !matches_calendar(&range_filter("VEVENT", None, Some("20240101T100000Z")), &b).unwrap()
    );
}
