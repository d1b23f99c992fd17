//! An event PUT reads its body once: validation, the component tree, span and instance
//! extraction all come from one lexer pass (`scan::lexer_runs_on_this_thread` counts passes,
//! as `davlite-dav` counts listing plans). Guards against a second reader creeping back in.

use davlite_formats::ParsedObject;
use davlite_formats::scan::lexer_runs_on_this_thread;

fn cal(body: &str) -> Vec<u8> {
    format!("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\n{body}END:VCALENDAR\n")
        .replace('\n', "\r\n")
        .into_bytes()
}

const BERLIN: &str = "BEGIN:VTIMEZONE\nTZID:Europe/Berlin\nBEGIN:DAYLIGHT\nTZOFFSETFROM:+0100\n\
TZOFFSETTO:+0200\nDTSTART:19700329T020000\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\nEND:DAYLIGHT\n\
BEGIN:STANDARD\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nDTSTART:19701025T030000\n\
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nEND:STANDARD\nEND:VTIMEZONE\n";

/// A zone no IANA name stands for: only the recurrence engine's own zone code reads it.
const CUSTOM: &str = "BEGIN:VTIMEZONE\nTZID:Office Time\nBEGIN:STANDARD\nTZOFFSETFROM:+0530\n\
TZOFFSETTO:+0530\nDTSTART:19700101T000000\nEND:STANDARD\nEND:VTIMEZONE\n";

fn ev(lines: &str) -> String {
    format!(
        "BEGIN:VEVENT\nUID:u\nDTSTAMP:20240101T000000Z\n{lines}SUMMARY:a long summary that \
         is\n  folded\nBEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT15M\nDESCRIPTION:x\nEND:VALARM\n\
         END:VEVENT\n"
    )
}

#[test]
fn an_event_put_lexes_its_body_once_whatever_path_extraction_takes() {
    let cases = [
        (
            "zoned, one instance",
            cal(&format!(
                "{BERLIN}{}",
                ev("DTSTART;TZID=Europe/Berlin:20240310T090000\nDURATION:PT1H\n")
            )),
        ),
        (
            "floating all-day",
            cal(&ev("DTSTART;VALUE=DATE:20240310\n")),
        ),
        (
            "weekly with COUNT and an override",
            cal(&format!(
                "{}{}",
                ev("DTSTART:20240304T090000Z\nDURATION:PT1H\nRRULE:FREQ=WEEKLY;COUNT=10\n"),
                ev("RECURRENCE-ID:20240311T090000Z\nDTSTART:20240312T090000Z\nDURATION:PT1H\n")
            )),
        ),
        (
            "zone only its VTIMEZONE defines",
            cal(&format!(
                "{CUSTOM}{}",
                ev("DTSTART;TZID=Office Time:20240105T090000\nDURATION:PT1H\n")
            )),
        ),
        (
            "endless rule",
            cal(&ev(
                "DTSTART:20240101T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY\n",
            )),
        ),
    ];
    for (name, bytes) in cases {
        let before = lexer_runs_on_this_thread();
        let obj = ParsedObject::calendar(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let runs = lexer_runs_on_this_thread() - before;
        assert_eq!(runs, 1, "{name}: body lexed {runs} times");
        // Extraction still did its work from that one pass.
        assert!(obj.info().span.is_some(), "{name}: no span");
        if name != "endless rule" {
            assert!(
                obj.info().event_instances.is_some(),
                "{name}: no instance list"
            );
        }
    }
}
