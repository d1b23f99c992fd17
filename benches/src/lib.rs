//! Benchmarks live in benches/; this library holds the inputs they share with the measuring
//! programs in examples/ (`parse_count` counts instructions per parse under valgrind), so both
//! measure the same bytes.

use davlite_formats::ParsedObject;

/// Whether PUT would accept `bytes` as the object file `name`: a vCard by its `.vcf`
/// extension, else iCalendar. What the corpus benches and `parse_count` parse.
pub fn parse(name: &str, bytes: Vec<u8>) -> bool {
    if name.ends_with(".vcf") {
        ParsedObject::vcard(bytes).is_ok()
    } else {
        ParsedObject::calendar(bytes).is_ok()
    }
}

/// A typical event as Apple/Thunderbird/DAVx5 send it: about 2 KB.
pub fn event_2kb() -> Vec<u8> {
    let mut s = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//macOS 14.5//EN\r\nCALSCALE:GREGORIAN\r\n\
BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n\
DTSTART:19810329T020000\r\nTZNAME:CEST\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\n\
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nDTSTART:19961027T030000\r\nTZNAME:CET\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n\
END:VTIMEZONE\r\nBEGIN:VEVENT\r\nCREATED:20240506T081234Z\r\nUID:6F3C1B2A-8D4E-4F6A-9B1C-2D3E4F5A6B7C\r\n\
DTEND;TZID=Europe/Berlin:20240612T113000\r\nTRANSP:OPAQUE\r\nX-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC\r\n\
SUMMARY:Quarterly planning review with the platform team\r\nLAST-MODIFIED:20240506T081301Z\r\n\
DTSTAMP:20240506T081301Z\r\nDTSTART;TZID=Europe/Berlin:20240612T100000\r\nSEQUENCE:1\r\n\
ORGANIZER;CN=\"Alice Example\";EMAIL=alice@example.com:mailto:alice@example.com\r\n",
    );
    for (i, name) in ["Bob Builder", "Carol Jones", "Dave Smith", "Erin Clark"]
        .iter()
        .enumerate()
    {
        s.push_str(&format!(
            "ATTENDEE;CN=\"{name}\";CUTYPE=INDIVIDUAL;EMAIL=p{i}@example.com;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;R\r\n SVP=TRUE:mailto:p{i}@example.com\r\n"
        ));
    }
    s.push_str(
        "DESCRIPTION:Agenda: 1) results of the last quarter\\, 2) roadmap for the next quarter\\, 3) hiri\r\n ng\\, 4) anything else. Please read the attached notes before the meeting\r\n  and bring your questions.\r\n\
LOCATION:Room 4.12 / https://meet.example.com/abc-defg-hij\r\nBEGIN:VALARM\r\nX-WR-ALARMUID:0B1C2D3E-4F5A-6B7C-8D9E-0F1A2B3C4D5E\r\n\
UID:0B1C2D3E-4F5A-6B7C-8D9E-0F1A2B3C4D5E\r\nTRIGGER:-PT15M\r\nATTACH;VALUE=URI:Chord\r\nACTION:AUDIO\r\nEND:VALARM\r\n\
END:VEVENT\r\nEND:VCALENDAR\r\n",
    );
    s.into_bytes()
}
