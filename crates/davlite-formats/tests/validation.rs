//! Accept/refuse decisions for iCalendar and vCard bodies, one named test per tricky case of
//! issue 3, each checking the precondition the DAV layer will answer with.

use davlite_formats::{
    Charset, FormatError, ObjectKind, ParseOptions, ParsedObject, Precondition, TimeSpan,
};

fn cal(body: &str) -> Result<ParsedObject, FormatError> {
    ParsedObject::calendar(body.as_bytes().to_vec())
}

/// A one-event calendar with `extra` lines inside the VEVENT.
fn event(extra: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:ev-1\r\n\
DTSTAMP:20240101T000000Z\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// The span of an event at 2024-06-12T10:00:00Z without an end: one second (§9.9).
const ONE_SECOND_AT_10: TimeSpan = TimeSpan {
    start: 1_718_186_400,
    end: 1_718_186_401,
};

fn refused(body: &str) -> FormatError {
    cal(body).expect_err("must be refused")
}

#[test]
fn simple_event_is_accepted_with_uid_kind_span_and_unchanged_bytes() {
    let body = event("DTSTART:20240612T100000Z\r\nDTEND:20240612T113000Z\r\nSUMMARY:x\r\n");
    let obj = cal(&body).unwrap();
    assert_eq!(obj.bytes(), body.as_bytes());
    assert_eq!(obj.info().uid.as_deref(), Some("ev-1"));
    assert_eq!(obj.info().kind, ObjectKind::Event);
    assert_eq!(
        obj.info().span,
        Some(TimeSpan {
            start: 1_718_186_400,
            end: 1_718_191_800
        })
    );
    assert_eq!(obj.info().instances, Some(1));
    assert_eq!(
        obj.content_type(),
        "text/calendar; charset=utf-8; component=vevent"
    );
}

#[test]
fn lf_only_and_bare_cr_bodies_are_accepted_unchanged() {
    let crlf = event("DTSTART:20240612T100000Z\r\n");
    for body in [crlf.replace("\r\n", "\n"), crlf.replace("\r\n", "\r")] {
        let obj = cal(&body).unwrap();
        assert_eq!(obj.bytes(), body.as_bytes());
        assert_eq!(obj.info().uid.as_deref(), Some("ev-1"));
    }
}

#[test]
fn fold_inside_utf8_sequence_is_valid_utf8() {
    let mut body = event("DTSTART:20240612T100000Z\r\nSUMMARY:caf\u{e9}\r\n").into_bytes();
    let at = body.windows(2).position(|w| w == [0xC3, 0xA9]).unwrap() + 1;
    body.splice(at..at, b"\r\n ".iter().copied());
    let obj = ParsedObject::calendar(body.clone()).unwrap();
    assert_eq!(obj.bytes(), body);
}

#[test]
fn byte_order_mark_is_accepted_and_kept() {
    let body = format!("\u{feff}{}", event("DTSTART:20240612T100000Z\r\n"));
    assert_eq!(cal(&body).unwrap().bytes(), body.as_bytes());
}

#[test]
fn lower_case_names_and_quoted_params_are_accepted() {
    let body = event(
        "dtstart;tzid=\"Europe/Berlin\":20240612T100000\r\n\
attendee;cn=\"Doe; Jane: boss\":mailto:j@x\r\nAttendee:mailto:k@x\r\n",
    );
    let obj = cal(&body).unwrap();
    // 10:00 in Berlin (CEST, +2) is 08:00 UTC.
    assert_eq!(obj.info().span.unwrap().start, 1_718_179_200);
    assert_eq!(obj.info().max_attendees, 2);
}

#[test]
fn missing_end_is_valid_calendar_data() {
    let body = event("DTSTART:20240612T100000Z\r\n").replace("END:VCALENDAR\r\n", "");
    let err = refused(&body);
    assert_eq!(err.precondition(), Precondition::ValidCalendarData);
    assert!(err.to_string().contains("never closed"), "{err}");
}

#[test]
fn truncated_body_is_refused() {
    let full = event("DTSTART:20240612T100000Z\r\nSUMMARY:long summary text\r\n");
    for cut in [full.len() / 2, full.len() - 5, 20] {
        let err = refused(&full[..cut]);
        assert_eq!(
            err.precondition(),
            Precondition::ValidCalendarData,
            "cut at {cut}: {err}"
        );
    }
}

#[test]
fn mismatched_end_names_the_begin_line() {
    let body = event("DTSTART:20240612T100000Z\r\n").replace("END:VEVENT", "END:VTODO");
    let err = refused(&body);
    assert_eq!(err.line(), Some(8));
    assert!(err.to_string().contains("BEGIN:VEVENT of line 4"), "{err}");
}

#[test]
fn content_after_end_and_second_calendar_are_refused() {
    let one = event("DTSTART:20240612T100000Z\r\n");
    assert_eq!(
        refused(&format!("{one}X-JUNK:1\r\n")).precondition(),
        Precondition::ValidCalendarData
    );
    let err = refused(&format!("{one}{one}"));
    assert!(err.to_string().contains("second VCALENDAR"), "{err}");
}

#[test]
fn method_is_valid_calendar_object_resource() {
    let body = event("DTSTART:20240612T100000Z\r\n")
        .replace("VERSION:2.0\r\n", "VERSION:2.0\r\nMETHOD:REQUEST\r\n");
    let err = refused(&body);
    assert_eq!(
        err.precondition(),
        Precondition::ValidCalendarObjectResource
    );
    assert_eq!(err.line(), Some(3));
}

#[test]
fn two_component_types_are_refused() {
    let body = event("DTSTART:20240612T100000Z\r\n").replace(
        "END:VCALENDAR",
        "BEGIN:VTODO\r\nUID:ev-1\r\nDTSTAMP:20240101T000000Z\r\nEND:VTODO\r\nEND:VCALENDAR",
    );
    assert_eq!(
        refused(&body).precondition(),
        Precondition::ValidCalendarObjectResource
    );
}

#[test]
fn differing_uids_are_refused() {
    let body = event("DTSTART:20240612T100000Z\r\n").replace(
        "END:VCALENDAR",
        "BEGIN:VEVENT\r\nUID:other\r\nDTSTART:20240613T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR",
    );
    let err = refused(&body);
    assert_eq!(
        err.precondition(),
        Precondition::ValidCalendarObjectResource
    );
    assert!(err.to_string().contains("\"other\""), "{err}");
}

#[test]
fn missing_uid_is_valid_calendar_object_resource() {
    let body = event("DTSTART:20240612T100000Z\r\n").replace("UID:ev-1\r\n", "");
    let err = refused(&body);
    assert!(matches!(err, FormatError::MissingUid { .. }));
    assert_eq!(
        err.precondition(),
        Precondition::ValidCalendarObjectResource
    );
}

#[test]
fn duplicate_recurrence_id_is_refused() {
    let over = "BEGIN:VEVENT\r\nUID:ev-1\r\nRECURRENCE-ID:20240613T100000Z\r\nDTSTART:20240613T120000Z\r\nEND:VEVENT\r\n";
    let body = event("DTSTART:20240612T100000Z\r\nRRULE:FREQ=DAILY\r\n")
        .replace("END:VCALENDAR", &format!("{over}{over}END:VCALENDAR"));
    let err = refused(&body);
    assert_eq!(
        err.precondition(),
        Precondition::ValidCalendarObjectResource
    );
    assert!(err.to_string().contains("RECURRENCE-ID repeats"), "{err}");
}

#[test]
fn override_with_the_masters_uid_is_accepted_and_widens_the_span() {
    let over = "BEGIN:VEVENT\r\nUID:ev-1\r\nRECURRENCE-ID:20240613T100000Z\r\nDTSTART:20240601T120000Z\r\nEND:VEVENT\r\n";
    let body =
        event("DTSTART:20240612T100000Z\r\nRRULE:FREQ=DAILY;COUNT=3\r\nATTENDEE:mailto:a@x\r\n")
            .replace("END:VCALENDAR", &format!("{over}END:VCALENDAR"));
    let obj = cal(&body).unwrap();
    let span = obj.info().span.unwrap();
    assert!(
        span.start <= 1_717_243_200,
        "override on June 1st is inside the span: {span:?}"
    );
    assert_eq!(obj.info().instances, Some(3));
    assert_eq!(obj.info().max_attendees, 1);
}

#[test]
fn unsupported_component_only() {
    let body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VAVAILABILITY\r\nUID:a\r\nEND:VAVAILABILITY\r\nEND:VCALENDAR\r\n";
    let err = refused(body);
    assert_eq!(err.precondition(), Precondition::SupportedCalendarComponent);
}

#[test]
fn version_other_than_2_0_is_unsupported_calendar_data() {
    let body = event("DTSTART:20240612T100000Z\r\n").replace("VERSION:2.0", "VERSION:1.0");
    assert_eq!(
        refused(&body).precondition(),
        Precondition::SupportedCalendarData
    );
}

#[test]
fn non_utf8_is_refused_with_its_offset_and_accepted_by_import_with_the_charset() {
    let mut body = event("DTSTART:20240612T100000Z\r\nSUMMARY:caf\u{e9}\r\n").into_bytes();
    let at = body.windows(2).position(|w| w == [0xC3, 0xA9]).unwrap();
    body.splice(at..at + 2, [0xE9]); // Latin-1 é
    let err = ParsedObject::calendar(body.clone()).unwrap_err();
    assert_eq!(
        err,
        FormatError::NotUtf8 {
            format: davlite_formats::Format::Calendar,
            offset: at,
            line: 8
        }
    );
    assert_eq!(err.precondition(), Precondition::ValidCalendarData);
    let obj =
        ParsedObject::calendar_with(body.clone(), &ParseOptions::import(Charset::Latin1)).unwrap();
    assert_eq!(obj.bytes(), body);
    assert_eq!(
        obj.content_type(),
        "text/calendar; charset=iso-8859-1; component=vevent"
    );
    // The decoded text gets the same component tree as UTF-8 does: an exact one-second span,
    // not the open-ended guess kept for bodies no tree could be built from.
    assert_eq!(obj.info().span, Some(ONE_SECOND_AT_10));
}

#[test]
fn a_parameter_without_equals_is_valid_calendar_data() {
    for line in [
        "ATTENDEE;RSVP:mailto:a@x\r\n",
        "ATTENDEE;CN=A;RSVP:mailto:a@x\r\n",
        "ATTENDEE;RSVP;CN=A:mailto:a@x\r\n",
        "DTSTART;TZID:20240612T100000\r\n",
    ] {
        let body = event(&format!("DTSTART:20240612T100000Z\r\n{line}"));
        let err = refused(&body);
        assert_eq!(
            err.precondition(),
            Precondition::ValidCalendarData,
            "{line}"
        );
        assert!(err.to_string().contains("has no '='"), "{err}");
    }
    // '=' and ';' inside a quoted value are text, not syntax.
    let body = event("DTSTART:20240612T100000Z\r\nATTENDEE;CN=\"a;b=c\":mailto:a@x\r\n");
    assert!(cal(&body).is_ok());
}

#[test]
fn one_megabyte_folded_line_is_accepted_quickly() {
    let mut desc = String::from("DESCRIPTION:");
    for i in 0..1_000_000u32 {
        if i % 74 == 73 {
            desc.push_str("\r\n ");
        }
        desc.push(char::from(b'a' + (i % 26) as u8));
    }
    desc.push_str("\r\n");
    let body = event(&format!("DTSTART:20240612T100000Z\r\n{desc}"));
    let t = std::time::Instant::now();
    assert!(cal(&body).is_ok());
    assert!(t.elapsed().as_secs() < 2, "took {:?}", t.elapsed());
}

#[test]
fn hundred_thousand_nested_begins_end_quickly_with_an_answer() {
    let mut body = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n");
    for _ in 0..100_000 {
        body.push_str("BEGIN:X-NEST\r\n");
    }
    let t = std::time::Instant::now();
    let err = refused(&body);
    assert_eq!(err.precondition(), Precondition::ValidCalendarData);
    assert!(err.to_string().contains("nested deeper"), "{err}");
    assert!(t.elapsed().as_millis() < 500, "took {:?}", t.elapsed());
}

#[test]
fn rrule_count_of_a_billion_ends_quickly() {
    let body = event("DTSTART:20240612T100000Z\r\nRRULE:FREQ=SECONDLY;COUNT=1000000000\r\n");
    let t = std::time::Instant::now();
    let obj = cal(&body).unwrap();
    assert!(t.elapsed().as_secs() < 2, "took {:?}", t.elapsed());
    assert!(
        obj.info().instances.is_none_or(|n| n >= 100_000),
        "{:?}",
        obj.info().instances
    );
    assert_eq!(obj.info().span.unwrap().start, 1_718_186_400);
}

#[test]
fn unbounded_rule_has_open_end_and_no_instance_count() {
    let obj = cal(&event(
        "DTSTART:20240612T100000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY\r\n",
    ))
    .unwrap();
    assert_eq!(
        obj.info().span,
        Some(TimeSpan {
            start: 1_718_186_400,
            end: i64::MAX
        })
    );
    assert_eq!(obj.info().instances, None);
}

#[test]
fn all_day_event_covers_whole_days() {
    let one = cal(&event("DTSTART;VALUE=DATE:20240612\r\n")).unwrap();
    assert_eq!(
        one.info().span,
        Some(TimeSpan {
            start: 1_718_150_400,
            end: 1_718_236_800
        })
    );
    let three = cal(&event(
        "DTSTART;VALUE=DATE:20240612\r\nDTEND;VALUE=DATE:20240615\r\n",
    ))
    .unwrap();
    assert_eq!(
        three.info().span.unwrap().end - three.info().span.unwrap().start,
        3 * 86_400
    );
}

#[test]
fn floating_time_is_indexed_as_utc() {
    let obj = cal(&event("DTSTART:20240612T100000\r\nDURATION:PT30M\r\n")).unwrap();
    assert_eq!(
        obj.info().span,
        Some(TimeSpan {
            start: 1_718_186_400,
            end: 1_718_188_200
        })
    );
}

#[test]
fn duration_in_days_follows_the_wall_clock_across_dst() {
    // 2024-03-30 12:00 Berlin (CET, +1) plus P1D is 2024-03-31 12:00 CEST (+2): 23 hours later.
    let obj = cal(&event(
        "DTSTART;TZID=Europe/Berlin:20240330T120000\r\nDURATION:P1D\r\n",
    ))
    .unwrap();
    let span = obj.info().span.unwrap();
    assert_eq!(span.end - span.start, 23 * 3600);
}

#[test]
fn event_without_end_occupies_one_second() {
    let obj = cal(&event("DTSTART:20240612T100000Z\r\n")).unwrap();
    assert_eq!(obj.info().span, Some(ONE_SECOND_AT_10));
}

#[test]
fn todo_without_dates_matches_every_range() {
    let body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTODO\r\nUID:t\r\nDTSTAMP:20240101T000000Z\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
    let obj = cal(body).unwrap();
    assert_eq!(obj.info().kind, ObjectKind::Todo);
    assert_eq!(obj.info().span, Some(TimeSpan::ALL));
    assert_eq!(
        obj.content_type(),
        "text/calendar; charset=utf-8; component=vtodo"
    );
}

#[test]
fn earliest_and_latest_cover_all_dates_but_not_timezone_rules() {
    let body = event("DTSTART:20240612T100000Z\r\nRRULE:FREQ=DAILY;UNTIL=20301231T000000Z\r\nEXDATE:20200101T000000Z\r\n")
        .replace(
            "BEGIN:VEVENT",
            "BEGIN:VTIMEZONE\r\nTZID:X\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT",
        );
    let obj = cal(&body).unwrap();
    assert_eq!(obj.info().earliest, Some(1_577_836_800));
    assert_eq!(obj.info().latest, Some(1_924_905_600));
}

#[test]
fn dtend_with_duration_and_bad_dates_are_invalid_data() {
    for extra in [
        "DTSTART:20240612T100000Z\r\nDTEND:20240612T110000Z\r\nDURATION:PT1H\r\n",
        "DTSTART:20240230T100000Z\r\n",
        "DTSTART:tomorrow\r\n",
        "DTSTART:20240612T100000Z\r\nDTSTART:20240612T100000Z\r\n",
        "SUMMARY:no start\r\n",
    ] {
        let err = refused(&event(extra));
        assert_eq!(
            err.precondition(),
            Precondition::ValidCalendarData,
            "{extra}: {err}"
        );
    }
}

#[test]
fn errors_display_line_and_reason_for_people() {
    let err = refused(&event("DTSTART:yesterday\r\n"));
    assert_eq!(
        err.to_string(),
        "line 7: DTSTART value \"yesterday\" is not a DATE or DATE-TIME"
    );
    assert_eq!(err.precondition().element(), "valid-calendar-data");
    assert!(!err.precondition().is_carddav());
}

fn with_zone(tzid: &str, vtimezone: &str, local: &str) -> ParsedObject {
    let body = event(&format!(
        "DTSTART;TZID=\"{tzid}\":{local}\r\nDURATION:PT1H\r\n"
    ))
    .replace("BEGIN:VEVENT", &format!("{vtimezone}BEGIN:VEVENT"));
    cal(&body).unwrap()
}

#[test]
fn windows_zone_name_is_resolved() {
    // Outlook: 2024-06-12 10:00 W. Europe (CEST, +2) is 08:00 UTC.
    let tz = "BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\nBEGIN:STANDARD\r\nDTSTART:16011028T030000\r\n\
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n\
BEGIN:DAYLIGHT\r\nDTSTART:16010325T020000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nTZOFFSETFROM:+0100\r\n\
TZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";
    let obj = with_zone("W. Europe Standard Time", tz, "20240612T100000");
    assert_eq!(
        obj.info().span,
        Some(TimeSpan {
            start: 1_718_179_200,
            end: 1_718_182_800
        })
    );
}

#[test]
fn custom_vtimezone_without_iana_equivalent_uses_its_own_rules() {
    let tz = "BEGIN:VTIMEZONE\r\nTZID:Made Up Time\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n\
TZOFFSETFROM:+0530\r\nTZOFFSETTO:+0530\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";
    let obj = with_zone("Made Up Time", tz, "20240612T100000");
    // 10:00 at +05:30 is 04:30 UTC, not 10:00 UTC.
    assert_eq!(obj.info().span.unwrap().start, 1_718_166_600);
}

#[test]
fn prefixed_and_hinted_zone_names_resolve_to_iana() {
    let tz = "BEGIN:VTIMEZONE\r\nTZID:/mozilla.org/20050126_1/America/New_York\r\nBEGIN:STANDARD\r\n\
DTSTART:19701101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";
    let obj = with_zone(
        "/mozilla.org/20050126_1/America/New_York",
        tz,
        "20240612T100000",
    );
    // 10:00 EDT (-4) is 14:00 UTC.
    assert_eq!(obj.info().span.unwrap().start, 1_718_200_800);
    let hinted = "BEGIN:VTIMEZONE\r\nTZID:Berlin local\r\nX-LIC-LOCATION:Europe/Berlin\r\nBEGIN:STANDARD\r\n\
DTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";
    let obj = with_zone("Berlin local", hinted, "20240612T100000");
    assert_eq!(obj.info().span.unwrap().start, 1_718_179_200);
}

#[test]
fn unknown_tzid_without_vtimezone_is_accepted_as_floating() {
    let obj = cal(&event("DTSTART;TZID=Nowhere/Special:20240612T100000\r\n")).unwrap();
    assert_eq!(obj.info().span.unwrap().start, 1_718_186_400);
}

#[test]
fn vcard_sent_as_calendar_is_unsupported_calendar_data_and_the_reverse() {
    let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a\r\nFN:x\r\nEND:VCARD\r\n";
    assert_eq!(
        refused(card).precondition(),
        Precondition::SupportedCalendarData
    );
    let ics = event("DTSTART:20240612T100000Z\r\n");
    let err = ParsedObject::vcard(ics.into_bytes()).unwrap_err();
    assert_eq!(err.precondition(), Precondition::SupportedAddressData);
}

/// RFC 5545 §3.1 / RFC 6350 §3.3: control characters other than tab may not appear in a
/// content line. XML 1.0 cannot carry them either, so storing one would force a REPORT to
/// alter the object; it is refused, with the line it is on.
#[test]
fn control_characters_are_refused_and_tab_is_not() {
    let cal = |summary: &str| {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240101T100000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
        .into_bytes()
    };
    for c in [
        '\u{0}', '\u{1}', '\u{8}', '\u{b}', '\u{c}', '\u{1b}', '\u{1f}', '\u{7f}',
    ] {
        let err = davlite_formats::ParsedObject::calendar(cal(&format!("a{c}b"))).unwrap_err();
        assert!(
            err.to_string().contains("line 8: a control character"),
            "{c:?}: {err}"
        );
    }
    davlite_formats::ParsedObject::calendar(cal("tab\there")).unwrap();
    let card = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c\r\nFN:C\x7f\r\nN:C;;;;\r\nEND:VCARD\r\n";
    assert!(davlite_formats::ParsedObject::vcard(card.to_vec()).is_err());
}

/// The control-character check answers for each of the 256 byte values exactly as RFC 5545
/// §3.1 says (it is written with a bit trick for speed), wherever in a 64-byte chunk or in the
/// rest after the chunks the byte falls.
#[test]
fn every_byte_value_is_judged_as_the_rfc_says() {
    for b in 0..=255u8 {
        let forbidden = (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f;
        // In a chunk, in the rest after the chunks (judged through the last whole chunk), in
        // a body shorter than a chunk, and in one of whole chunks only.
        for (len, at) in [
            (101, 0),
            (101, 37),
            (101, 64),
            (101, 100),
            (30, 0),
            (30, 29),
            (128, 127),
        ] {
            let mut body = vec![b'x'; len];
            body[at] = b;
            let got =
                davlite_formats::charset::check_controls(&body, davlite_formats::Format::Calendar);
            assert_eq!(got.is_err(), forbidden, "byte {b:#04x} at {at} of {len}");
        }
    }
}

/// An object of 10,000 components (the calendar, the event, 9,998 alarms) is accepted; one
/// more is refused as invalid calendar data naming the limit, before the tree of a bomb of
/// 100,000 components costs tens of megabytes per request.
#[test]
fn more_than_ten_thousand_components_are_refused_with_the_reason() {
    let alarms =
        |n: usize| "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\n".repeat(n);
    let ok = event(&format!("DTSTART:20240612T100000Z\r\n{}", alarms(9_998)));
    assert!(cal(&ok).is_ok());
    let bomb = event(&format!("DTSTART:20240612T100000Z\r\n{}", alarms(9_999)));
    let e = refused(&bomb);
    assert_eq!(e.precondition(), Precondition::ValidCalendarData, "{e}");
    assert!(e.to_string().contains("more than 10000 components"), "{e}");
}
