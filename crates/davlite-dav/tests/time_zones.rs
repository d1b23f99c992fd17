//! Time as RFC 4791 §9.9 and RFC 7809 define it, through DAV requests shaped as clients send
//! them: floating DATE-TIMEs and all-day DATEs are read in the query's `C:timezone` /
//! `C:timezone-id`, else the calendar's `calendar-timezone(-id)`, else UTC; the two calendar
//! properties are validated and kept in step; the instance index answers as the evaluator does.

use crate::common;
use common::*;

const NY_TZ: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//macOS 14//EN\r\n\
BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:-0500\r\n\
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nDTSTART:20070311T020000\r\nTZNAME:EDT\r\n\
TZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:-0400\r\n\
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nDTSTART:20071104T020000\r\nTZNAME:EST\r\n\
TZOFFSETTO:-0500\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n";

fn ev(uid: &str, lines: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:20240101T000000Z\r\n{lines}SUMMARY:{uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// The events of 2024-06-14..16 every test below asks about.
fn fixture_with_day() -> Fixture {
    let f = fixture();
    for (uid, lines) in [
        (
            "yesterday",
            "DTSTART;VALUE=DATE:20240614\r\nDTEND;VALUE=DATE:20240615\r\n",
        ),
        ("today", "DTSTART;VALUE=DATE:20240615\r\n"),
        (
            "tomorrow",
            "DTSTART;VALUE=DATE:20240616\r\nDTEND;VALUE=DATE:20240617\r\n",
        ),
        (
            "tonight",
            "DTSTART:20240615T210000\r\nDTEND:20240615T220000\r\n",
        ),
        ("early", "DTSTART:20240615T020000\r\nDURATION:PT30M\r\n"),
        (
            "after-midnight",
            "DTSTART:20240616T010000\r\nDTEND:20240616T013000\r\n",
        ),
        (
            "noon-utc",
            "DTSTART:20240615T120000Z\r\nDTEND:20240615T130000Z\r\n",
        ),
    ] {
        f.req(
            "PUT",
            &format!("{CAL}{uid}.ics"),
            &[("content-type", "text/calendar")],
            &ev(uid, lines),
        )
        .assert_status(201);
    }
    f
}

/// `VCALENDAR > VEVENT > time-range`, with `extra` (a zone) and `inner` (more VEVENT tests).
fn query(start: &str, end: &str, extra: &str, inner: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start}" end="{end}"/>{inner}
  </C:comp-filter></C:comp-filter></C:filter>{extra}
</C:calendar-query>"#
    )
}

fn names(r: &Resp) -> Vec<String> {
    let mut v: Vec<String> = r
        .hrefs()
        .into_iter()
        .filter_map(|h| {
            h.rsplit('/')
                .next()
                .and_then(|n| n.strip_suffix(".ics"))
                .map(str::to_string)
        })
        .collect();
    v.sort();
    v
}

fn ask(f: &Fixture, body: &str) -> Vec<String> {
    let r = f.report(CAL, Some("1"), body);
    r.assert_status(207);
    names(&r)
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[test]
fn new_york_timezone_today_finds_todays_all_day_event_and_tonight_not_yesterday() {
    let f = fixture_with_day();
    // Saturday 2024-06-15 in New York (EDT, -04:00) is 04:00Z to 04:00Z the next day.
    let tz = format!("<C:timezone><![CDATA[{NY_TZ}]]></C:timezone>");
    let got = ask(&f, &query("20240615T040000Z", "20240616T040000Z", &tz, ""));
    assert_eq!(got, sorted(&["today", "tonight", "early", "noon-utc"]));
    // The same request without a zone reads floating times as UTC (the calendar has none).
    let got = ask(&f, &query("20240615T040000Z", "20240616T040000Z", "", ""));
    assert_eq!(
        got,
        sorted(&["today", "tonight", "tomorrow", "after-midnight", "noon-utc"])
    );
}

#[test]
fn timezone_id_tokyo_and_calendar_timezone_id_kiritimati_place_floating_times() {
    let f = fixture_with_day();
    // 2024-06-15 in Tokyo (+09:00): 2024-06-14T15:00Z .. 2024-06-15T15:00Z.
    let id = "<C:timezone-id>Asia/Tokyo</C:timezone-id>";
    let got = ask(&f, &query("20240614T150000Z", "20240615T150000Z", id, ""));
    assert_eq!(got, sorted(&["today", "tonight", "early", "noon-utc"]));
    // The calendar's own zone, +14:00: the day is 2024-06-14T10:00Z .. 2024-06-15T10:00Z.
    let set = r#"<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:calendar-timezone-id>Pacific/Kiritimati</C:calendar-timezone-id></D:prop></D:set></D:propertyupdate>"#;
    f.req("PROPPATCH", CAL, &[], set)
        .assert_status(207)
        .assert_contains("200 OK");
    let got = ask(&f, &query("20240614T100000Z", "20240615T100000Z", "", ""));
    assert_eq!(got, sorted(&["today", "tonight", "early"]));
    // The query's zone wins over the calendar's.
    let got = ask(&f, &query("20240614T150000Z", "20240615T150000Z", id, ""));
    assert_eq!(got, sorted(&["today", "tonight", "early", "noon-utc"]));
    // Kept in step: calendar-timezone now holds Kiritimati's VTIMEZONE.
    f.propfind(CAL, "0", "<C:calendar-timezone/>")
        .assert_contains("BEGIN:VTIMEZONE")
        .assert_contains("TZID:Pacific/Kiritimati");
}

#[test]
fn index_answers_as_the_evaluator_in_every_zone_and_across_dst() {
    let f = fixture_with_day();
    for (uid, lines) in [
        // New York springs forward on 2024-03-10 (a 23-hour day) and falls back on 11-03.
        (
            "dst-spring",
            "DTSTART;VALUE=DATE:20240310\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\n",
        ),
        (
            "dst-fall",
            "DTSTART;VALUE=DATE:20241103\r\nDTEND;VALUE=DATE:20241104\r\n",
        ),
        (
            "dst-floating",
            "DTSTART:20240310T013000\r\nDURATION:PT2H\r\nRRULE:FREQ=DAILY;COUNT=3\r\n",
        ),
        (
            "berlin",
            "DTSTART;TZID=Europe/Berlin:20240310T090000\r\nDURATION:PT1H\r\n",
        ),
    ] {
        f.req(
            "PUT",
            &format!("{CAL}{uid}.ics"),
            &[("content-type", "text/calendar")],
            &ev(uid, lines),
        )
        .assert_status(201);
    }
    let zones = [
        String::new(),
        format!("<C:timezone><![CDATA[{NY_TZ}]]></C:timezone>"),
        "<C:timezone-id>America/New_York</C:timezone-id>".into(),
        "<C:timezone-id>Asia/Tokyo</C:timezone-id>".into(),
        "<C:timezone-id>Pacific/Kiritimati</C:timezone-id>".into(),
        "<C:timezone-id>Pacific/Pago_Pago</C:timezone-id>".into(),
    ];
    // A prop-filter takes the query off the instance index: the evaluator decides every body.
    let evaluated = r#"<C:prop-filter name="UID"/>"#;
    let mut seen = 0;
    for zone in &zones {
        for (s, e) in [
            ("20240310T040000Z", "20240310T050000Z"),
            ("20240311T030000Z", "20240311T040000Z"),
            ("20240311T040000Z", "20240311T050000Z"),
            ("20240310T000000Z", "20240311T000000Z"),
            ("20240310T063000Z", "20240310T070000Z"),
            ("20241103T040000Z", "20241103T043000Z"),
            ("20241104T043000Z", "20241104T053000Z"),
            ("20241104T050000Z", "20241104T060000Z"),
            ("20240614T100000Z", "20240614T150000Z"),
            ("20240615T000000Z", "20240615T040000Z"),
            ("20240615T150000Z", "20240616T100000Z"),
            ("20240616T040000Z", "20240616T050000Z"),
        ] {
            let indexed = ask(&f, &query(s, e, zone, ""));
            let exact = ask(&f, &query(s, e, zone, evaluated));
            assert_eq!(indexed, exact, "[{s}, {e}) with {zone:?}");
            seen += indexed.len();
        }
    }
    assert!(seen > 40, "{seen}");
}

#[test]
fn calendar_timezone_set_in_mkcalendar_reports_its_iana_id_and_bad_values_are_refused() {
    let f = fixture();
    let uri = "/dav/calendars/alice/trip/";
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<B:mkcalendar xmlns:B="urn:ietf:params:xml:ns:caldav"><A:set xmlns:A="DAV:"><A:prop>
<A:displayname>Trip</A:displayname>
<B:calendar-timezone><![CDATA[{NY_TZ}]]></B:calendar-timezone>
</A:prop></A:set></B:mkcalendar>"#
    );
    f.req("MKCALENDAR", uri, &[], &body).assert_status(201);
    f.propfind(uri, "0", "<C:calendar-timezone-id/>")
        .assert_contains(">America/New_York</C:calendar-timezone-id>");
    // No VTIMEZONE, two VTIMEZONEs, an event: valid-calendar-data, nothing changed.
    let two = NY_TZ.replacen(
        "END:VCALENDAR",
        "BEGIN:VTIMEZONE\r\nTZID:X\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n\
         TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nEND:VCALENDAR",
        1,
    );
    for bad in [
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nEND:VCALENDAR\r\n".to_string(),
        two,
        ev("x", "DTSTART:20240101T000000Z\r\n"),
        "not a calendar".to_string(),
    ] {
        let set = format!(
            r#"<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:calendar-timezone><![CDATA[{bad}]]></C:calendar-timezone><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>"#
        );
        f.req("PROPPATCH", uri, &[], &set)
            .assert_status(207)
            .assert_contains("403")
            .assert_contains("valid-calendar-data")
            .assert_contains("424");
    }
    f.propfind(uri, "0", "<C:calendar-timezone-id/><D:displayname/>")
        .assert_contains(">America/New_York</C:calendar-timezone-id>")
        .assert_contains(">Trip<");
    let unknown = r#"<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:calendar-timezone-id>Mars/Olympus_Mons</C:calendar-timezone-id></D:prop></D:set></D:propertyupdate>"#;
    f.req("PROPPATCH", uri, &[], unknown)
        .assert_status(207)
        .assert_contains("valid-timezone");
    // PROPPATCH calendar-timezone-id: calendar-timezone follows.
    let tokyo = r#"<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:calendar-timezone-id>Asia/Tokyo</C:calendar-timezone-id></D:prop></D:set></D:propertyupdate>"#;
    f.req("PROPPATCH", uri, &[], tokyo).assert_status(207);
    f.propfind(uri, "0", "<C:calendar-timezone/>")
        .assert_contains("TZID:Asia/Tokyo")
        .assert_lacks("America/New_York");
    // Removing one removes the other.
    let remove = r#"<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:remove><D:prop><C:calendar-timezone/></D:prop></D:remove></D:propertyupdate>"#;
    f.req("PROPPATCH", uri, &[], remove).assert_status(207);
    f.propfind(uri, "0", "<C:calendar-timezone-id/>")
        .assert_lacks("Asia/Tokyo");
}

#[test]
fn query_with_a_bad_timezone_is_refused() {
    let f = fixture_with_day();
    let bad = "<C:timezone>BEGIN:VCALENDAR\r\nEND:VCALENDAR</C:timezone>";
    f.report(
        CAL,
        Some("1"),
        &query("20240615T000000Z", "20240616T000000Z", bad, ""),
    )
    .assert_status(403)
    .assert_contains("valid-calendar-data");
    let bad = "<C:timezone-id>Nowhere/Special</C:timezone-id>";
    f.report(
        CAL,
        Some("1"),
        &query("20240615T000000Z", "20240616T000000Z", bad, ""),
    )
    .assert_status(403)
    .assert_contains("valid-timezone");
}

#[test]
fn expand_places_floating_times_and_dates_in_the_query_zone() {
    let f = fixture_with_day();
    let body = format!(
        r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><C:calendar-data><C:expand start="20240615T040000Z" end="20240616T040000Z"/></C:calendar-data></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
<C:time-range start="20240615T040000Z" end="20240616T040000Z"/>
</C:comp-filter></C:comp-filter></C:filter>
<C:timezone><![CDATA[{NY_TZ}]]></C:timezone></C:calendar-query>"#
    );
    let r = f.report(CAL, Some("1"), &body);
    r.assert_status(207)
        .assert_contains("DTSTART:20240616T010000Z")
        .assert_contains("DTEND:20240616T020000Z")
        .assert_contains("DTSTART;VALUE=DATE:20240615")
        .assert_lacks("20240614");
}

/// A free-busy-query has no zone of its own: floating times and all-day dates are read in the
/// calendar's `calendar-timezone-id`. The span index reads them as UTC, so the lookup must reach
/// 14 hours either side or it hides an event the zone moves into the range.
#[test]
fn free_busy_in_a_calendar_zone_finds_floating_and_all_day_events_the_zone_moves_into_range() {
    let f = fixture();
    let set = r#"<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:calendar-timezone-id>America/New_York</C:calendar-timezone-id></D:prop></D:set></D:propertyupdate>"#;
    f.req("PROPPATCH", CAL, &[], set)
        .assert_status(207)
        .assert_contains("200 OK");
    for (uid, lines) in [
        (
            "tonight",
            "DTSTART:20240615T210000\r\nDTEND:20240615T220000\r\n",
        ),
        (
            "holiday",
            "DTSTART;VALUE=DATE:20240616\r\nDTEND;VALUE=DATE:20240617\r\n",
        ),
    ] {
        f.req(
            "PUT",
            &format!("{CAL}{uid}.ics"),
            &[("content-type", "text/calendar")],
            &ev(uid, lines),
        )
        .assert_status(201);
    }
    let busy = |start: &str, end: &str| {
        let body = format!(
            r#"<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="{start}" end="{end}"/></C:free-busy-query>"#
        );
        let r = f.report(CAL, Some("1"), &body);
        r.assert_status(200);
        r.body
            .lines()
            .filter(|l| l.starts_with("FREEBUSY"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    // "tonight" is 21:00-22:00 floating on 06-15: in New York (EDT) 2024-06-16T01:00Z-02:00Z,
    // while the index holds it at 21:00Z on the 15th, outside this range.
    assert_eq!(
        busy("20240616T000000Z", "20240616T030000Z"),
        ["FREEBUSY;FBTYPE=BUSY:20240616T010000Z/20240616T020000Z"]
    );
    // "holiday" is all day on 06-16: in New York 06-16T04:00Z to 06-17T04:00Z; the index holds
    // 00:00Z..24:00Z of the 16th, which this range does not reach.
    assert_eq!(
        busy("20240617T000000Z", "20240617T050000Z"),
        ["FREEBUSY;FBTYPE=BUSY:20240617T000000Z/20240617T040000Z"]
    );
}
