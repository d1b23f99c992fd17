//! Free-busy over a range (RFC 4791 §7.10).

use crate::common::utc;
use davlite_formats::{BusyKind, BusyPeriod, FreeBusyError, free_busy, render_free_busy};

fn ev(extra: &str, start: &str, end: &str) -> Vec<u8> {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:{start}\r\nDTSTART:{start}\r\nDTEND:{end}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n").into_bytes()
}

fn p(start: &str, end: &str, kind: BusyKind) -> BusyPeriod {
    BusyPeriod {
        start: utc(start),
        end: utc(end),
        kind,
    }
}

#[test]
fn transparent_cancelled_tentative_and_merging() {
    let objects = [
        ev("", "20240105T090000Z", "20240105T100000Z"),
        ev("", "20240105T093000Z", "20240105T110000Z"),
        ev(
            "TRANSP:TRANSPARENT\r\n",
            "20240105T120000Z",
            "20240105T130000Z",
        ),
        ev(
            "STATUS:CANCELLED\r\n",
            "20240105T140000Z",
            "20240105T150000Z",
        ),
        ev(
            "STATUS:TENTATIVE\r\n",
            "20240105T160000Z",
            "20240105T170000Z",
        ),
        ev("", "20240104T230000Z", "20240105T003000Z"),
    ];
    let got = free_busy(
        objects.iter().map(|o| o.as_slice()),
        utc("20240105T000000Z"),
        utc("20240106T000000Z"),
    )
    .unwrap();
    assert_eq!(
        got,
        vec![
            p("20240105T000000Z", "20240105T003000Z", BusyKind::Busy),
            p("20240105T090000Z", "20240105T110000Z", BusyKind::Busy),
            p("20240105T160000Z", "20240105T170000Z", BusyKind::Tentative),
        ]
    );
}

#[test]
fn recurring_events_and_vfreebusy_components() {
    let daily = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:d\r\nDTSTART:20240101T080000Z\r\nDURATION:PT30M\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".to_vec();
    let fb = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VFREEBUSY\r\nUID:f\r\nFREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20240106T120000Z/PT2H\r\nFREEBUSY;FBTYPE=FREE:20240106T150000Z/PT2H\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n".to_vec();
    let got = free_busy(
        [daily.as_slice(), fb.as_slice()].into_iter(),
        utc("20240105T000000Z"),
        utc("20240107T000000Z"),
    )
    .unwrap();
    assert_eq!(
        got,
        vec![
            p("20240105T080000Z", "20240105T083000Z", BusyKind::Busy),
            p("20240106T080000Z", "20240106T083000Z", BusyKind::Busy),
            p(
                "20240106T120000Z",
                "20240106T140000Z",
                BusyKind::Unavailable
            ),
        ]
    );
    let body = render_free_busy(
        &got,
        utc("20240105T000000Z"),
        utc("20240107T000000Z"),
        utc("20240101T000000Z"),
    );
    assert!(body.contains("BEGIN:VFREEBUSY\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240105T000000Z\r\nDTEND:20240107T000000Z\r\n"));
    assert!(
        body.contains("FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20240106T120000Z/20240106T140000Z\r\n")
    );
    assert_eq!(body.matches("FREEBUSY;").count(), 3);
    assert!(body.lines().all(|l| l.len() <= 75));
}

#[test]
fn a_set_recurring_beyond_the_expansion_cap_is_an_error_never_a_shorter_answer() {
    let rule = |freq: &str| {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:s\r\n\
             DTSTART:20240101T000000Z\r\nDURATION:PT1S\r\nRRULE:FREQ={freq}\r\nEND:VEVENT\r\n\
             END:VCALENDAR\r\n"
        )
        .into_bytes()
    };
    // Every minute for a day: 1,440 instances, all listed (each one second long).
    let minutely = rule("MINUTELY");
    let got = free_busy(
        std::iter::once(minutely.as_slice()),
        utc("20240301T000000Z"),
        utc("20240302T000000Z"),
    )
    .unwrap();
    assert_eq!(got.len(), 1440);
    // Every second for a year: 31.6 million instances, far beyond the cap. Before, the set was
    // cut at the cap (or never reached the range) and the answer said "free".
    let secondly = rule("SECONDLY");
    for (start, end) in [
        ("20240301T000000Z", "20240302T000000Z"),
        ("20240101T000000Z", "20250101T000000Z"),
    ] {
        assert_eq!(
            free_busy(std::iter::once(secondly.as_slice()), utc(start), utc(end)),
            Err(FreeBusyError::TooManyInstances),
            "{start}..{end}"
        );
    }
}
