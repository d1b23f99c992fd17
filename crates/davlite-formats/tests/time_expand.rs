//! calendar-data expand (RFC 4791 §9.6.5) and limit-recurrence-set (§9.6.6).

use crate::common::utc;
use davlite_formats::{expand, instances, limit_recurrence_set};

const NY: &str = "BEGIN:VTIMEZONE\nTZID:America/New_York\nBEGIN:STANDARD\nDTSTART:19701101T020000\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\nTZOFFSETFROM:-0400\nTZOFFSETTO:-0500\nEND:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:19700308T020000\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0400\nEND:DAYLIGHT\nEND:VTIMEZONE\n";

fn recurring() -> Vec<u8> {
    format!(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\n{NY}BEGIN:VEVENT\nUID:r1\nDTSTAMP:20240101T000000Z\nDTSTART;TZID=America/New_York:20240308T090000\nDTEND;TZID=America/New_York:20240308T100000\nRRULE:FREQ=DAILY;COUNT=5\nEXDATE;TZID=America/New_York:20240309T090000\nSUMMARY:Standup with a very long summary line that the client folded at seventy-five\n  octets\nBEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:r\nTRIGGER:-PT5M\nEND:VALARM\nEND:VEVENT\nBEGIN:VEVENT\nUID:r1\nDTSTAMP:20240101T000000Z\nRECURRENCE-ID;TZID=America/New_York:20240311T090000\nDTSTART;TZID=America/New_York:20240311T140000\nDTEND;TZID=America/New_York:20240311T150000\nSUMMARY:Moved\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    .into_bytes()
}

#[test]
fn expand_gives_utc_instances_without_rules() {
    let stored = recurring();
    let before = stored.clone();
    let out = String::from_utf8(
        expand(&stored, utc("20240301T000000Z"), utc("20240401T000000Z")).unwrap(),
    )
    .unwrap();
    assert_eq!(stored, before, "stored bytes unchanged");
    assert!(
        !out.contains("RRULE")
            && !out.contains("EXDATE")
            && !out.contains("VTIMEZONE")
            && !out.contains("TZID"),
        "{out}"
    );
    assert_eq!(
        out.matches("BEGIN:VEVENT").count(),
        4,
        "5 occurrences minus one EXDATE"
    );
    // 8 March is before the DST change (-0500), 10 March after it (-0400).
    assert!(out.contains("DTSTART:20240308T140000Z\r\nDTEND:20240308T150000Z\r\nRECURRENCE-ID:20240308T140000Z\r\n"), "{out}");
    assert!(out.contains("DTSTART:20240310T130000Z\r\n"));
    assert!(!out.contains("20240309T"));
    // The override keeps its own properties and the original start as RECURRENCE-ID.
    assert!(out.contains("SUMMARY:Moved\r\nDTSTART:20240311T180000Z\r\nDTEND:20240311T190000Z\r\nRECURRENCE-ID:20240311T130000Z\r\n"), "{out}");
    // Folded lines and alarms come back as written, with CRLF.
    assert!(out.contains("seventy-five\r\n  octets\r\n"));
    assert_eq!(
        out.matches("BEGIN:VALARM").count(),
        3,
        "the master's alarm on each generated instance"
    );
    assert!(
        out.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") && out.ends_with("END:VCALENDAR\r\n")
    );
    assert!(!out.replace("\r\n", "").contains('\n'), "no bare LF");
    // The answer is itself a readable calendar with the same instances in the range.
    let again = instances(
        out.as_bytes(),
        utc("20240301T000000Z"),
        utc("20240401T000000Z"),
    )
    .unwrap();
    let orig = instances(&stored, utc("20240301T000000Z"), utc("20240401T000000Z")).unwrap();
    assert_eq!(
        again.iter().map(|i| (i.start, i.end)).collect::<Vec<_>>(),
        orig.iter().map(|i| (i.start, i.end)).collect::<Vec<_>>()
    );
}

#[test]
fn expand_limits_to_range() {
    let out = String::from_utf8(
        expand(
            &recurring(),
            utc("20240310T000000Z"),
            utc("20240311T000000Z"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(out.matches("BEGIN:VEVENT").count(), 1);
    assert!(out.contains("DTSTART:20240310T130000Z"));
}

#[test]
fn limit_recurrence_set_drops_overrides_outside_range() {
    let stored = recurring();
    let inside = String::from_utf8(
        limit_recurrence_set(&stored, utc("20240311T000000Z"), utc("20240312T000000Z")).unwrap(),
    )
    .unwrap();
    assert!(inside.contains("SUMMARY:Moved"));
    assert!(inside.contains("RRULE:FREQ=DAILY;COUNT=5") && inside.contains("BEGIN:VTIMEZONE"));
    let outside = String::from_utf8(
        limit_recurrence_set(&stored, utc("20240308T000000Z"), utc("20240309T000000Z")).unwrap(),
    )
    .unwrap();
    assert!(!outside.contains("SUMMARY:Moved"));
    assert!(outside.contains("RRULE:FREQ=DAILY;COUNT=5") && outside.contains("BEGIN:VALARM"));
}

#[test]
fn an_expansion_larger_than_the_cap_is_refused_not_cut() {
    // A 100 KB description on a daily event: a month expands to about 3 MB, a year would be
    // 36 MB, past the 16 MiB an object's expansion may take.
    let mut desc = String::from("DESCRIPTION:");
    for i in 0..100_000 {
        if i % 74 == 73 {
            desc.push_str("\r\n ");
        }
        desc.push('x');
    }
    let body = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:big\r\n\
DTSTAMP:20240101T000000Z\r\nDTSTART:20240101T090000Z\r\nRRULE:FREQ=DAILY\r\n{desc}\r\n\
END:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    let month = expand(
        body.as_bytes(),
        utc("20240101T000000Z"),
        utc("20240201T000000Z"),
    )
    .unwrap();
    assert_eq!(
        month.windows(13).filter(|w| w == b"BEGIN:VEVENT\r").count(),
        31
    );
    assert!(month.len() < davlite_formats::expand::EXPANDED_BYTES_CAP);
    let year = expand(
        body.as_bytes(),
        utc("20240101T000000Z"),
        utc("20250101T000000Z"),
    );
    assert_eq!(
        year.unwrap_err(),
        davlite_formats::RecurrenceError::TooManyInstances
    );
}
