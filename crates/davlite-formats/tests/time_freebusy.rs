//! Free-busy over a range (RFC 4791 §7.10).

use crate::common::utc;
use davlite_formats::{BusyKind, BusyPeriod, free_busy, render_free_busy};

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
    );
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
    );
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
