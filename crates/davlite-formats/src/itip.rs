//! iTIP free-busy messages (RFC 5546 §3.3) as CalDAV scheduling carries them (RFC 6638 §5):
//! reading the VFREEBUSY REQUEST a client POSTs to its outbox, and writing the VFREEBUSY REPLY
//! of one attendee.
//!
//! Values are kept as the client wrote them (still escaped, parameters dropped): the reply
//! repeats the request's UID, ORGANIZER and ATTENDEE exactly, which is how a client pairs the
//! answer with what it asked.

use crate::freebusy::{BusyPeriod, FreeBusyError, format_utc};
use crate::recurrence::Calendar;

/// A VFREEBUSY REQUEST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeBusyRequest {
    /// The range asked about, UTC seconds, `start < end`.
    pub start: i64,
    pub end: i64,
    /// UID of the VFREEBUSY, when it has one.
    pub uid: Option<String>,
    /// The ORGANIZER value (a calendar user address), when given.
    pub organizer: Option<String>,
    /// Each ATTENDEE value once (compared without regard to ASCII case), in request order.
    pub attendees: Vec<String>,
    /// `X-CALENDARSERVER-MASK-UID`: Apple asks for free time around the event being edited,
    /// whose own time must not count as busy.
    pub mask_uid: Option<String>,
}

impl FreeBusyRequest {
    /// Reads a POSTed scheduling message; anything but one VFREEBUSY with METHOD:REQUEST and a
    /// DTSTART-DTEND range is [`FreeBusyError::Request`].
    pub fn parse(bytes: &[u8]) -> Result<FreeBusyRequest, FreeBusyError> {
        let bad = |why: &str| FreeBusyError::Request(why.to_string());
        let cal = Calendar::parse(bytes).map_err(|e| FreeBusyError::Request(e.to_string()))?;
        let method = cal.tree.root().prop("METHOD").map(|p| p.value().trim());
        if !method.is_some_and(|m| m.eq_ignore_ascii_case("REQUEST")) {
            return Err(bad("METHOD must be REQUEST"));
        }
        let fb = cal.components("VFREEBUSY");
        let others = cal
            .tree
            .children(0)
            .filter(|(_, c)| !c.is("VFREEBUSY") && !c.is("VTIMEZONE"))
            .count();
        if fb.len() != 1 || others != 0 {
            return Err(bad("only a single VFREEBUSY can be asked about"));
        }
        let comp = cal.comp(fb[0]);
        let t = cal.timing(fb[0]);
        let (Some(start), Some(end)) = (&t.dtstart, &t.dtend) else {
            return Err(bad("the VFREEBUSY needs DTSTART and DTEND"));
        };
        if end.utc <= start.utc {
            return Err(bad("DTEND is not after DTSTART"));
        }
        let value = |name: &str| {
            comp.prop(name)
                .map(|p| p.value().trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut attendees: Vec<String> = Vec::new();
        for p in comp.props_named("ATTENDEE") {
            let v = p.value().trim();
            if !v.is_empty() && !attendees.iter().any(|a| a.eq_ignore_ascii_case(v)) {
                attendees.push(v.to_string());
            }
        }
        Ok(FreeBusyRequest {
            start: start.utc,
            end: end.utc,
            uid: value("UID"),
            organizer: value("ORGANIZER"),
            attendees,
            mask_uid: value("X-CALENDARSERVER-MASK-UID"),
        })
    }
}

/// Appends one content line, folded at 75 octets on character boundaries (RFC 5545 §3.1).
fn line(out: &mut String, text: &str) {
    let mut width = 0;
    for c in text.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// The VFREEBUSY REPLY of `attendee` to `req`: its busy `periods` within the requested range.
pub fn render_free_busy_reply(
    req: &FreeBusyRequest,
    attendee: &str,
    periods: &[BusyPeriod],
    dtstamp: i64,
) -> String {
    let mut s = String::with_capacity(512 + periods.len() * 64);
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//davlite//free-busy//EN",
        "METHOD:REPLY",
        "BEGIN:VFREEBUSY",
    ] {
        line(&mut s, l);
    }
    if let Some(uid) = &req.uid {
        line(&mut s, &format!("UID:{uid}"));
    }
    line(&mut s, &format!("DTSTAMP:{}", format_utc(dtstamp)));
    line(&mut s, &format!("DTSTART:{}", format_utc(req.start)));
    line(&mut s, &format!("DTEND:{}", format_utc(req.end)));
    if let Some(o) = &req.organizer {
        line(&mut s, &format!("ORGANIZER:{o}"));
    }
    line(&mut s, &format!("ATTENDEE:{attendee}"));
    for p in periods {
        line(
            &mut s,
            &format!(
                "FREEBUSY;FBTYPE={}:{}/{}",
                p.kind.fbtype(),
                format_utc(p.start),
                format_utc(p.end)
            ),
        );
    }
    line(&mut s, "END:VFREEBUSY");
    line(&mut s, "END:VCALENDAR");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::freebusy::BusyKind;

    const REQ: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:REQUEST\r\n\
        BEGIN:VFREEBUSY\r\nUID:fb-1\r\nDTSTAMP:20260101T000000Z\r\n\
        DTSTART:20260105T000000Z\r\nDTEND:20260106T000000Z\r\n\
        ORGANIZER:mailto:alice@example.com\r\nATTENDEE:mailto:alice@example.com\r\n\
        ATTENDEE;CUTYPE=INDIVIDUAL:mailto:Bob@Example.com\r\nATTENDEE:mailto:bob@example.com\r\n\
        X-CALENDARSERVER-MASK-UID:ev-9\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n";

    #[test]
    fn reads_a_request() {
        let r = FreeBusyRequest::parse(REQ.as_bytes()).unwrap();
        assert_eq!(r.end - r.start, 86_400);
        assert_eq!(r.uid.as_deref(), Some("fb-1"));
        assert_eq!(r.organizer.as_deref(), Some("mailto:alice@example.com"));
        assert_eq!(
            r.attendees,
            ["mailto:alice@example.com", "mailto:Bob@Example.com"]
        );
        assert_eq!(r.mask_uid.as_deref(), Some("ev-9"));
    }

    #[test]
    fn refuses_what_is_not_a_freebusy_request() {
        for bad in [
            REQ.replace("METHOD:REQUEST", "METHOD:REPLY"),
            REQ.replace("METHOD:REQUEST\r\n", ""),
            REQ.replace("DTEND:20260106T000000Z\r\n", ""),
            REQ.replace("DTEND:20260106T000000Z", "DTEND:20260104T000000Z"),
            REQ.replace("VFREEBUSY", "VEVENT"),
            "not ical".to_string(),
        ] {
            assert!(
                matches!(
                    FreeBusyRequest::parse(bad.as_bytes()),
                    Err(FreeBusyError::Request(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn reply_repeats_the_request_and_folds() {
        let mut r = FreeBusyRequest::parse(REQ.as_bytes()).unwrap();
        r.organizer = Some(format!("mailto:{}@example.com", "o".repeat(90)));
        let p = BusyPeriod {
            start: r.start + 3600,
            end: r.start + 7200,
            kind: BusyKind::Busy,
        };
        let text = render_free_busy_reply(&r, "mailto:bob@example.com", &[p], r.start);
        assert!(text.contains("METHOD:REPLY\r\n"));
        assert!(text.contains("UID:fb-1\r\n"));
        assert!(text.contains("ATTENDEE:mailto:bob@example.com\r\n"));
        assert!(text.contains("FREEBUSY;FBTYPE=BUSY:20260105T010000Z/20260105T020000Z\r\n"));
        assert!(text.lines().all(|l| l.len() <= 75), "{text}");
        assert!(text.contains("\r\n o"));
    }
}
