//! Splitting multi-object files for `davlite import`.

use davlite_formats::{FormatError, ParsedObject, split_calendar, split_vcards};

const TZ: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n\
TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";
const TZ2: &str = "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nBEGIN:STANDARD\r\nDTSTART:19701101T020000\r\n\
TZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

fn ev(uid: &str, extra: &str) -> String {
    format!("BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\n{extra}END:VEVENT\r\n")
}

#[test]
fn ics_export_splits_into_one_object_per_uid_with_the_timezones_each_needs() {
    let file = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nMETHOD:PUBLISH\r\n{TZ}{TZ2}{}{}{}{}END:VCALENDAR\r\n",
        ev(
            "a",
            "DTSTART;TZID=Europe/Berlin:20240101T100000\r\nRRULE:FREQ=DAILY\r\n"
        ),
        ev("b", "DTSTART:20240102T100000Z\r\n"),
        ev(
            "a",
            "RECURRENCE-ID;TZID=Europe/Berlin:20240103T100000\r\nDTSTART;TZID=Europe/Berlin:20240103T110000\r\n"
        ),
        ev("c", "DTSTART;TZID=America/New_York:20240104T100000\r\n"),
    );
    let pieces = split_calendar(file.as_bytes()).unwrap();
    assert_eq!(pieces.len(), 3);
    let objs: Vec<ParsedObject> = pieces
        .into_iter()
        .map(|p| ParsedObject::calendar(p.unwrap()).unwrap())
        .collect();
    let uids: Vec<_> = objs.iter().map(|o| o.info().uid.clone().unwrap()).collect();
    assert_eq!(uids, ["a", "b", "c"]);
    let a = String::from_utf8(objs[0].bytes().to_vec()).unwrap();
    assert_eq!(
        a.matches("BEGIN:VEVENT").count(),
        2,
        "master and override together"
    );
    assert!(a.contains("TZID:Europe/Berlin") && !a.contains("TZID:America/New_York"));
    assert!(
        !a.contains("METHOD"),
        "METHOD is dropped for stored objects"
    );
    let b = String::from_utf8(objs[1].bytes().to_vec()).unwrap();
    assert!(!b.contains("VTIMEZONE"));
    assert!(
        String::from_utf8(objs[2].bytes().to_vec())
            .unwrap()
            .contains("TZID:America/New_York")
    );
}

#[test]
fn component_without_uid_is_reported_and_the_rest_still_split() {
    let file = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n{}BEGIN:VEVENT\r\nDTSTART:20240101T000000Z\r\nEND:VEVENT\r\n{}END:VCALENDAR\r\n",
        ev("a", "DTSTART:20240101T000000Z\r\n"),
        ev("b", "DTSTART:20240101T000000Z\r\n"),
    );
    let pieces = split_calendar(file.as_bytes()).unwrap();
    assert_eq!(pieces.len(), 3);
    assert!(pieces[0].is_ok() && pieces[2].is_ok());
    assert!(matches!(
        pieces[1],
        Err(FormatError::MissingUid { line: 9, .. })
    ));
}

#[test]
fn lf_export_keeps_lf_in_the_pieces() {
    let file = format!(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\n{}END:VCALENDAR",
        ev("a", "DTSTART:20240101T000000Z\r\n").replace("\r\n", "\n")
    );
    let pieces = split_calendar(file.as_bytes()).unwrap();
    let piece = pieces[0].as_ref().unwrap();
    assert!(!piece.contains(&b'\r'));
    assert!(ParsedObject::calendar(piece.clone()).is_ok());
}

#[test]
fn file_without_calendar_is_an_error() {
    assert!(split_calendar(b"hello\r\n").is_err());
    assert!(split_vcards(b"").is_err());
}

#[test]
fn vcf_splits_into_cards_byte_for_byte_and_reports_a_broken_one() {
    let a = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a\r\nFN:A\r\nEND:VCARD\r\n";
    let b = "BEGIN:VCARD\nVERSION:4.0\nUID:b\nFN:B\nEND:VCARD\n";
    let broken = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:C\r\n";
    let file = format!("{a}\r\n{b}{broken}");
    let pieces = split_vcards(file.as_bytes()).unwrap();
    assert_eq!(pieces.len(), 3);
    assert_eq!(pieces[0].as_ref().unwrap(), a.as_bytes());
    assert_eq!(pieces[1].as_ref().unwrap(), b.as_bytes());
    assert!(pieces[2].is_err());
    for p in &pieces[..2] {
        assert!(ParsedObject::vcard(p.clone().unwrap()).is_ok());
    }
}

#[test]
fn folded_method_is_dropped_with_its_continuation() {
    let file = format!(
        "BEGIN:VCALENDAR\r\nVERSION\r\n :2.0\r\nMETHOD\r\n :PUBLISH\r\nPRODID:x\r\n{}END:VCALENDAR\r\n",
        ev("a", "DTSTART:20240101T000000Z\r\n")
    );
    let pieces = split_calendar(file.as_bytes()).unwrap();
    let piece = pieces[0].as_ref().unwrap();
    let text = String::from_utf8(piece.clone()).unwrap();
    assert!(
        !text.contains("METHOD") && !text.contains("PUBLISH"),
        "{text}"
    );
    assert!(text.contains("VERSION\r\n :2.0\r\n"));
    assert!(ParsedObject::calendar(piece.clone()).is_ok());
}
