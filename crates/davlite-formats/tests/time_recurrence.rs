//! Recurrence expansion and object spans: each tricky case as its own test.

use crate::common::utc;
use davlite_formats::{TimeSpan, instances, object_span};

fn cal(body: &str) -> Vec<u8> {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n{body}END:VCALENDAR\r\n")
        .replace("\r\n", "\n")
        .replace('\n', "\r\n")
        .into_bytes()
}

fn starts(bytes: &[u8], from: &str, to: &str) -> Vec<i64> {
    instances(bytes, utc(from), utc(to))
        .unwrap()
        .iter()
        .map(|i| i.start)
        .collect()
}

const NY: &str = "BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:STANDARD
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
END:DAYLIGHT
END:VTIMEZONE
";

#[test]
fn single_event_span_and_instance() {
    let b = cal(
        "BEGIN:VEVENT\nUID:a\nDTSTAMP:20240101T000000Z\nDTSTART:20240105T100000Z\nDTEND:20240105T110000Z\nEND:VEVENT\n",
    );
    let t = object_span(&b).unwrap();
    assert_eq!(
        t.span,
        Some(TimeSpan {
            start: utc("20240105T100000Z"),
            end: utc("20240105T110000Z")
        })
    );
    assert_eq!(t.instances, Some(1));
    let i = instances(&b, utc("20240101T000000Z"), utc("20240201T000000Z")).unwrap();
    assert_eq!(i.len(), 1);
    assert_eq!(i[0].recurrence_id, None);
    assert!(!i[0].is_override);
}

#[test]
fn exdate_removes_instance() {
    let b = cal(
        "BEGIN:VEVENT\nUID:a\nDTSTART:20240101T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=5\nEXDATE:20240103T090000Z\nEND:VEVENT\n",
    );
    let s = starts(&b, "20231231T000000Z", "20240201T000000Z");
    assert_eq!(
        s,
        vec![
            utc("20240101T090000Z"),
            utc("20240102T090000Z"),
            utc("20240104T090000Z"),
            utc("20240105T090000Z")
        ]
    );
    assert_eq!(object_span(&b).unwrap().instances, Some(4));
}

#[test]
fn exdate_with_tzid_matches_local_instance() {
    let b = cal(&format!(
        "{NY}BEGIN:VEVENT\nUID:a\nDTSTART;TZID=America/New_York:20240101T090000\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3\nEXDATE;TZID=America/New_York:20240102T090000\nEND:VEVENT\n"
    ));
    let s = starts(&b, "20231231T000000Z", "20240201T000000Z");
    assert_eq!(s, vec![utc("20240101T140000Z"), utc("20240103T140000Z")]);
}

#[test]
fn rdate_adds_instances_including_periods() {
    let b = cal(
        "BEGIN:VEVENT\nUID:a\nDTSTART:20240101T090000Z\nDTEND:20240101T100000Z\nRRULE:FREQ=WEEKLY;COUNT=2\nRDATE:20240103T120000Z,20240104T120000Z\nRDATE;VALUE=PERIOD:20240105T120000Z/PT3H\nEND:VEVENT\n",
    );
    let i = instances(&b, utc("20231231T000000Z"), utc("20240201T000000Z")).unwrap();
    let s: Vec<_> = i.iter().map(|i| (i.start, i.end)).collect();
    assert_eq!(
        s,
        vec![
            (utc("20240101T090000Z"), utc("20240101T100000Z")),
            (utc("20240103T120000Z"), utc("20240103T130000Z")),
            (utc("20240104T120000Z"), utc("20240104T130000Z")),
            (utc("20240105T120000Z"), utc("20240105T150000Z")),
            (utc("20240108T090000Z"), utc("20240108T100000Z")),
        ]
    );
    assert_eq!(object_span(&b).unwrap().instances, Some(5));
}

#[test]
fn override_replaces_and_moves_instance() {
    let b = cal(
        "BEGIN:VEVENT\nUID:a\nDTSTART:20240101T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\nBEGIN:VEVENT\nUID:a\nRECURRENCE-ID:20240102T090000Z\nDTSTART:20240102T150000Z\nDTEND:20240102T170000Z\nEND:VEVENT\n",
    );
    let i = instances(&b, utc("20231231T000000Z"), utc("20240201T000000Z")).unwrap();
    assert_eq!(i.len(), 3);
    let moved = i.iter().find(|i| i.is_override).unwrap();
    assert_eq!(moved.start, utc("20240102T150000Z"));
    assert_eq!(moved.end, utc("20240102T170000Z"));
    assert_eq!(moved.recurrence_id, Some(utc("20240102T090000Z")));
    assert_eq!(moved.component, 2);
    assert!(!i.iter().any(|i| i.start == utc("20240102T090000Z")));
    // The moved instance is found by its new time, not by its old one.
    assert!(starts(&b, "20240102T080000Z", "20240102T100000Z").is_empty());
    assert_eq!(
        starts(&b, "20240102T160000Z", "20240102T163000Z"),
        vec![utc("20240102T150000Z")]
    );
}

#[test]
fn override_with_bumped_sequence_still_replaces() {
    let b = cal(
        "BEGIN:VEVENT\nUID:a\nSEQUENCE:0\nDTSTART:20240101T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\nBEGIN:VEVENT\nUID:a\nSEQUENCE:4\nRECURRENCE-ID:20240102T090000Z\nDTSTART:20240102T093000Z\nDURATION:PT1H\nEND:VEVENT\n",
    );
    let s = starts(&b, "20231231T000000Z", "20240201T000000Z");
    assert_eq!(
        s,
        vec![
            utc("20240101T090000Z"),
            utc("20240102T093000Z"),
            utc("20240103T090000Z")
        ]
    );
}

#[test]
fn dst_transition_keeps_wall_clock_time() {
    // 09:00 New York is 14:00Z in winter and 13:00Z after the 10 March 2024 change.
    let b = cal(&format!(
        "{NY}BEGIN:VEVENT\nUID:a\nDTSTART;TZID=America/New_York:20240308T090000\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=4\nEND:VEVENT\n"
    ));
    let s = starts(&b, "20240301T000000Z", "20240401T000000Z");
    assert_eq!(
        s,
        vec![
            utc("20240308T140000Z"),
            utc("20240309T140000Z"),
            utc("20240310T130000Z"),
            utc("20240311T130000Z")
        ]
    );
}

#[test]
fn dst_gap_time_is_shifted_forward() {
    // 02:30 does not exist on 10 March 2024 in New York; it is read with the offset before the gap.
    let b = cal(
        "BEGIN:VEVENT\nUID:a\nDTSTART;TZID=America/New_York:20240310T023000\nDURATION:PT30M\nEND:VEVENT\n",
    );
    assert_eq!(
        object_span(&b).unwrap().span.unwrap().start,
        utc("20240310T073000Z")
    );
}

#[test]
fn windows_zone_name_is_resolved() {
    let b = cal(
        "BEGIN:VTIMEZONE\nTZID:W. Europe Standard Time\nBEGIN:STANDARD\nDTSTART:16010101T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nEND:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\nEND:DAYLIGHT\nEND:VTIMEZONE\nBEGIN:VEVENT\nUID:a\nDTSTART;TZID=W. Europe Standard Time:20240715T100000\nDTEND;TZID=W. Europe Standard Time:20240715T110000\nEND:VEVENT\n",
    );
    let span = object_span(&b).unwrap().span.unwrap();
    assert_eq!(
        span,
        TimeSpan {
            start: utc("20240715T080000Z"),
            end: utc("20240715T090000Z")
        }
    );
}

#[test]
fn windows_zone_name_without_vtimezone() {
    let b = cal(
        "BEGIN:VEVENT\nUID:a\nDTSTART;TZID=Tokyo Standard Time:20240115T100000\nDURATION:PT1H\nEND:VEVENT\n",
    );
    assert_eq!(
        object_span(&b).unwrap().span.unwrap().start,
        utc("20240115T010000Z")
    );
}

#[test]
fn custom_vtimezone_is_computed_from_its_rules() {
    // A made-up zone: +0300 in "winter", +0430 from the first Sunday of June to the first Sunday
    // of September. No IANA zone has these rules; reading it as UTC would be three hours off.
    let tz = "BEGIN:VTIMEZONE\nTZID:Custom/Nowhere\nBEGIN:STANDARD\nDTSTART:20000903T020000\nRRULE:FREQ=YEARLY;BYMONTH=9;BYDAY=1SU\nTZOFFSETFROM:+0430\nTZOFFSETTO:+0300\nEND:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:20000604T020000\nRRULE:FREQ=YEARLY;BYMONTH=6;BYDAY=1SU\nTZOFFSETFROM:+0300\nTZOFFSETTO:+0430\nEND:DAYLIGHT\nEND:VTIMEZONE\n";
    let b = cal(&format!(
        "{tz}BEGIN:VEVENT\nUID:a\nDTSTART;TZID=Custom/Nowhere:20240101T120000\nDURATION:PT1H\nRRULE:FREQ=MONTHLY;COUNT=12\nEND:VEVENT\n"
    ));
    let i = instances(&b, utc("20231201T000000Z"), utc("20250101T000000Z")).unwrap();
    assert_eq!(i.len(), 12);
    assert_eq!(i[0].start, utc("20240101T090000Z"));
    // 1 July 2024 is inside the daylight period (2 June .. 1 September 2024).
    assert_eq!(i[6].start, utc("20240701T073000Z"));
    assert_eq!(i[7].start, utc("20240801T073000Z"));
    // 1 September 2024 is the first Sunday: 12:00 is after that day's 02:00 change back.
    assert_eq!(i[8].start, utc("20240901T090000Z"));
}

#[test]
fn open_ended_rule_has_open_span_and_no_count() {
    let b = cal(
        "BEGIN:VEVENT\nUID:a\nDTSTART:20200101T090000Z\nDURATION:PT1H\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n",
    );
    let t = object_span(&b).unwrap();
    assert_eq!(
        t.span,
        Some(TimeSpan {
            start: utc("20200101T090000Z"),
            end: i64::MAX
        })
    );
    assert_eq!(t.instances, None);
    // Instances far in the future are still found.
    assert_eq!(
        starts(&b, "20300101T000000Z", "20300110T000000Z"),
        vec![utc("20300102T090000Z"), utc("20300109T090000Z")]
    );
}

#[test]
fn until_bounds_rule() {
    let b = cal(
        "BEGIN:VEVENT\nUID:a\nDTSTART:20240101T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;UNTIL=20240110T090000Z\nEND:VEVENT\n",
    );
    let t = object_span(&b).unwrap();
    assert_eq!(t.instances, Some(10));
    assert_eq!(t.span.unwrap().end, utc("20240110T100000Z"));
}

#[test]
fn huge_count_returns_quickly() {
    let b = cal(
        "BEGIN:VEVENT\nUID:a\nDTSTART:20240101T090000Z\nDURATION:PT1H\nRRULE:FREQ=SECONDLY;COUNT=1000000000\nEND:VEVENT\n",
    );
    let started = std::time::Instant::now();
    let t = object_span(&b).unwrap();
    assert_eq!(t.instances, Some(1_000_000_000));
    assert_eq!(t.span.unwrap().end, i64::MAX);
    let i = instances(&b, utc("20240101T090000Z"), utc("20240101T090010Z")).unwrap();
    assert_eq!(i.len(), 10);
    assert!(
        started.elapsed().as_secs() < 5,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn all_day_event_lasts_one_day() {
    let b = cal("BEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20240105\nEND:VEVENT\n");
    let t = object_span(&b).unwrap();
    assert_eq!(
        t.span,
        Some(TimeSpan {
            start: utc("20240105T000000Z"),
            end: utc("20240106T000000Z")
        })
    );
}

#[test]
fn all_day_yearly_rule() {
    let b = cal(
        "BEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20200229\nDTEND;VALUE=DATE:20200301\nRRULE:FREQ=YEARLY;COUNT=3\nEND:VEVENT\n",
    );
    let i = instances(&b, utc("20200101T000000Z"), utc("20400101T000000Z")).unwrap();
    // 29 February recurs only in leap years (RFC 5545: invalid dates are skipped).
    let s: Vec<_> = i.iter().map(|i| (i.start, i.end - i.start)).collect();
    assert_eq!(
        s,
        vec![
            (utc("20200229T000000Z"), 86_400),
            (utc("20240229T000000Z"), 86_400),
            (utc("20280229T000000Z"), 86_400)
        ]
    );
}

#[test]
fn floating_time_is_read_as_utc() {
    let b =
        cal("BEGIN:VEVENT\nUID:a\nDTSTART:20240105T100000\nDTEND:20240105T110000\nEND:VEVENT\n");
    assert_eq!(
        object_span(&b).unwrap().span.unwrap().start,
        utc("20240105T100000Z")
    );
}

#[test]
fn max_attendees_counts_per_component() {
    let b = cal(
        "BEGIN:VEVENT\nUID:a\nDTSTART:20240101T090000Z\nRRULE:FREQ=DAILY;COUNT=2\nATTENDEE:mailto:a@x\nATTENDEE:mailto:b@x\nEND:VEVENT\nBEGIN:VEVENT\nUID:a\nRECURRENCE-ID:20240102T090000Z\nDTSTART:20240102T090000Z\nATTENDEE:mailto:a@x\nATTENDEE:mailto:b@x\nATTENDEE:mailto:c@x\nEND:VEVENT\n",
    );
    assert_eq!(object_span(&b).unwrap().max_attendees, 3);
}

#[test]
fn event_without_end_has_no_length_but_a_nonempty_span() {
    let b = cal("BEGIN:VEVENT\nUID:a\nDTSTART:20240105T100000Z\nEND:VEVENT\n");
    let t = object_span(&b).unwrap();
    assert_eq!(
        t.span,
        Some(TimeSpan {
            start: utc("20240105T100000Z"),
            end: utc("20240105T100000Z") + 1
        })
    );
    assert_eq!(
        starts(&b, "20240105T100000Z", "20240105T100001Z"),
        vec![utc("20240105T100000Z")]
    );
}

#[test]
fn todo_without_dates_spans_everything() {
    let b = cal("BEGIN:VTODO\nUID:a\nSUMMARY:x\nEND:VTODO\n");
    assert_eq!(object_span(&b).unwrap().span, Some(TimeSpan::ALL));
}

#[test]
fn unreadable_bytes_are_an_error() {
    assert!(object_span(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n").is_err());
    assert!(object_span(b"\xff\xfe").is_err());
}

#[test]
fn byday_mixing_plain_and_numbered_weekdays() {
    // Every Tuesday plus the second Monday of each month (calcard alone yields nothing here).
    let b = cal(
        "BEGIN:VEVENT\nUID:a\nDTSTART:20241001T100000Z\nDURATION:PT1H\nRRULE:FREQ=MONTHLY;BYDAY=+2MO,TU\nEND:VEVENT\n",
    );
    let s = starts(&b, "20241001T000000Z", "20241101T000000Z");
    let expect: Vec<i64> = [
        "20241001", "20241008", "20241014", "20241015", "20241022", "20241029",
    ]
    .iter()
    .map(|d| utc(&format!("{d}T100000Z")))
    .collect();
    assert_eq!(s, expect);
}

#[test]
fn override_this_and_future_moves_later_instances() {
    let b = cal(
        "BEGIN:VEVENT\nUID:a\nDTSTART:20240101T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=4\nEND:VEVENT\nBEGIN:VEVENT\nUID:a\nRECURRENCE-ID;RANGE=THISANDFUTURE:20240102T090000Z\nDTSTART:20240102T110000Z\nDURATION:PT30M\nEND:VEVENT\n",
    );
    let i = instances(&b, utc("20231231T000000Z"), utc("20240201T000000Z")).unwrap();
    let s: Vec<_> = i
        .iter()
        .map(|i| (i.start, i.end - i.start, i.recurrence_id))
        .collect();
    assert_eq!(
        s,
        vec![
            (utc("20240101T090000Z"), 3600, Some(utc("20240101T090000Z"))),
            (utc("20240102T110000Z"), 1800, Some(utc("20240102T090000Z"))),
            (utc("20240103T110000Z"), 1800, Some(utc("20240103T090000Z"))),
            (utc("20240104T110000Z"), 1800, Some(utc("20240104T090000Z"))),
        ]
    );
}

#[test]
fn offset_style_tzid_keeps_vtimezone_daylight_rules() {
    // A display-name TZID that a name table could only map to a fixed +01:00.
    let tz = "BEGIN:VTIMEZONE\nTZID:(UTC+01:00) Nowhere\\, Special\nBEGIN:STANDARD\nDTSTART:16010101T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nEND:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\nEND:DAYLIGHT\nEND:VTIMEZONE\n";
    let b = cal(&format!(
        "{tz}BEGIN:VEVENT\nUID:a\nDTSTART;TZID=\"(UTC+01:00) Nowhere, Special\":20240715T100000\nDURATION:PT1H\nEND:VEVENT\n"
    ));
    assert_eq!(
        object_span(&b).unwrap().span.unwrap().start,
        utc("20240715T080000Z"),
        "summer time: +02:00"
    );
}

fn list(range: std::ops::Range<u32>) -> String {
    range.map(|i| i.to_string()).collect::<Vec<_>>().join(",")
}

/// The 782-byte event found from outside: its RRULE lists every month, month day, hour, minute
/// and second, 32 million candidates a year. A year-long query used to allocate about 1.4 GB.
fn rrule_bomb() -> Vec<u8> {
    let rule = format!(
        "FREQ=YEARLY;BYMONTH={};BYMONTHDAY={};BYHOUR={};BYMINUTE={};BYSECOND={}",
        list(1..13),
        list(1..32),
        list(0..24),
        list(0..60),
        list(0..60)
    );
    cal(&format!(
        "BEGIN:VEVENT\r\nUID:bomb\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240101T000000Z\r\nRRULE:{rule}\r\nEND:VEVENT\r\n"
    ))
}

/// Stored like any valid rule, and expanded lazily: a minute's query lists that minute's 60
/// instances at once, a year's is an explicit error (more instances than an answer may list),
/// not 1.4 GB, and the index sees an open-ended span.
#[test]
fn rule_with_every_by_value_is_stored_and_expanded_one_period_at_a_time() {
    let bytes = rrule_bomb();
    let parsed = davlite_formats::ParsedObject::calendar(bytes.clone()).unwrap();
    assert_eq!(parsed.info().span.map(|s| s.end), Some(i64::MAX));
    let t = std::time::Instant::now();
    let minute = instances(&bytes, utc("20241231T235900Z"), utc("20250101T000000Z")).unwrap();
    assert_eq!(minute.len(), 60);
    assert_eq!(minute[0].start, utc("20241231T235900Z"));
    assert_eq!(minute[59].start, utc("20241231T235959Z"));
    let r = instances(&bytes, utc("20240101T000000Z"), utc("20250101T000000Z"));
    assert_eq!(
        r.map(|v| v.len()),
        Err(davlite_formats::RecurrenceError::TooManyInstances)
    );
    assert!(t.elapsed() < std::time::Duration::from_secs(1));
}

#[test]
fn busy_but_reasonable_rules_are_still_expanded() {
    // Every day of the year at 9:00 (372 candidates a year), and working hours at 15-minute
    // steps on weekdays (53 * 5 * 9 * 4 = 9,540 a year).
    for rule in [
        format!(
            "FREQ=YEARLY;BYMONTH={};BYMONTHDAY={};COUNT=400",
            list(1..13),
            list(1..32)
        ),
        "FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9,10,11,12,13,14,15,16,17;BYMINUTE=0,15,30,45"
            .to_string(),
    ] {
        let bytes = cal(&format!(
            "BEGIN:VEVENT\r\nUID:ok\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240101T090000Z\r\nDURATION:PT10M\r\nRRULE:{rule}\r\nEND:VEVENT\r\n"
        ));
        davlite_formats::ParsedObject::calendar(bytes.clone()).expect(&rule);
        let week = instances(&bytes, utc("20240108T000000Z"), utc("20240115T000000Z")).unwrap();
        assert!(!week.is_empty(), "{rule}");
    }
}
