//! Scheduling objects (RFC 6638 §3) as text a server edits: the ORGANIZER and ATTENDEE lines
//! of an iCalendar object, their parameters (PARTSTAT, SCHEDULE-AGENT, SCHEDULE-STATUS), and the
//! iTIP messages (RFC 5546: REQUEST, REPLY, CANCEL) made from an object.
//!
//! The object is kept as its content lines, unfolded, so that everything a server does not touch
//! (properties it does not know, their order, X- names) goes back out as the client wrote it;
//! only the lines that were edited are rewritten. Values are never unescaped: calendar user
//! addresses are URIs and need no escaping.

/// One content line: `NAME;PARAM=VALUE...:value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentLine {
    /// As written (compared without regard to ASCII case).
    pub name: String,
    /// Parameter name (as written) and value (quotes included, as written).
    pub params: Vec<(String, String)>,
    pub value: String,
}

impl ContentLine {
    /// An owned, editable copy of a line the crate's lexer read: name, parameters as written
    /// (a quoted value keeps its quotes), value; folds removed. `None` when it is not text.
    fn from_scanned(line: &crate::scan::ContentLine<'_>) -> Option<ContentLine> {
        let text = |b: &[u8]| String::from_utf8(b.to_vec()).ok();
        let raw = line.params_text();
        let params = crate::scan::param_ranges(&raw)
            .map(|(name, value)| {
                Some((text(&raw[name])?, text(value.map_or(&[][..], |v| &raw[v]))?))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(ContentLine {
            name: text(&line.name())?,
            params,
            value: text(&line.value())?,
        })
    }

    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// A parameter's value without surrounding quotes.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim_matches('"'))
    }

    /// Sets (`Some`) or removes (`None`) a parameter.
    pub fn set_param(&mut self, name: &str, value: Option<&str>) {
        let pos = self
            .params
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case(name));
        match (pos, value) {
            (Some(i), Some(v)) => self.params[i].1 = v.to_string(),
            (None, Some(v)) => self.params.push((name.to_string(), v.to_string())),
            (Some(i), None) => {
                self.params.remove(i);
            }
            (None, None) => {}
        }
    }

    /// `SCHEDULE-AGENT` says the server delivers (absent or SERVER; RFC 6638 §7.1: CLIENT, NONE
    /// and unknown values mean it does not).
    pub fn server_schedules(&self) -> bool {
        self.param("SCHEDULE-AGENT")
            .is_none_or(|a| a.eq_ignore_ascii_case("SERVER"))
    }

    fn write(&self, out: &mut String) {
        let mut text = self.name.clone();
        for (k, v) in &self.params {
            text.push(';');
            text.push_str(k);
            text.push('=');
            text.push_str(v);
        }
        text.push(':');
        text.push_str(&self.value);
        fold(out, &text);
    }
}

/// Appends one content line, folded at 75 octets on character boundaries (RFC 5545 §3.1).
fn fold(out: &mut String, text: &str) {
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

/// An iCalendar object as editable content lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulingObject {
    pub lines: Vec<ContentLine>,
}

/// The properties whose change reschedules an event (RFC 6638 §3.2.8: date, time or
/// recurrence changes), compared line by line.
const TIMING: [&str; 7] = [
    "DTSTART", "DTEND", "DURATION", "DUE", "RRULE", "RDATE", "EXDATE",
];

impl SchedulingObject {
    /// Reads iCalendar text with the crate's one lexer ([`crate::scan::Scanner`]); `None` when
    /// a line is malformed or not UTF-8 (stored objects passed validation, so neither happens
    /// to them).
    pub fn parse(bytes: &[u8]) -> Option<SchedulingObject> {
        let lines = crate::scan::Scanner::new(bytes)
            .map(|line| ContentLine::from_scanned(&line.ok()?))
            .collect::<Option<Vec<_>>>()?;
        Some(SchedulingObject { lines })
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for l in &self.lines {
            l.write(&mut out);
        }
        out
    }

    /// Lines inside scheduling components (VEVENT, VTODO, VJOURNAL), with their depth.
    fn in_components(&self) -> impl Iterator<Item = (usize, &ContentLine)> {
        let mut depth = 0usize;
        let mut inside = 0usize;
        self.lines.iter().enumerate().filter_map(move |(i, l)| {
            if l.is("BEGIN") {
                depth += 1;
                if inside == 0
                    && ["VEVENT", "VTODO", "VJOURNAL"]
                        .iter()
                        .any(|c| l.value.eq_ignore_ascii_case(c))
                {
                    inside = depth;
                }
                None
            } else if l.is("END") {
                if depth == inside {
                    inside = 0;
                }
                depth = depth.saturating_sub(1);
                None
            } else if inside != 0 && depth == inside {
                Some((i, l))
            } else {
                None
            }
        })
    }

    /// The first UID of a scheduling component.
    pub fn uid(&self) -> Option<String> {
        self.in_components()
            .find(|(_, l)| l.is("UID"))
            .map(|(_, l)| l.value.trim().to_string())
    }

    /// The first ORGANIZER line.
    pub fn organizer(&self) -> Option<&ContentLine> {
        self.in_components()
            .find(|(_, l)| l.is("ORGANIZER"))
            .map(|(_, l)| l)
    }

    /// Every ATTENDEE address once (compared without regard to ASCII case), in order, with
    /// the first line that names it.
    pub fn attendees(&self) -> Vec<&ContentLine> {
        let mut out: Vec<&ContentLine> = Vec::new();
        for (_, l) in self.in_components() {
            if l.is("ATTENDEE")
                && !out
                    .iter()
                    .any(|a| a.value.trim().eq_ignore_ascii_case(l.value.trim()))
            {
                out.push(l);
            }
        }
        out
    }

    /// Applies `f` to every ORGANIZER line.
    pub fn edit_organizer(&mut self, mut f: impl FnMut(&mut ContentLine)) {
        let idx: Vec<usize> = self
            .in_components()
            .filter(|(_, l)| l.is("ORGANIZER"))
            .map(|(i, _)| i)
            .collect();
        for i in idx {
            f(&mut self.lines[i]);
        }
    }

    /// Applies `f` to every ATTENDEE line whose address `pick` accepts.
    pub fn edit_attendees(
        &mut self,
        pick: impl Fn(&str) -> bool,
        mut f: impl FnMut(&mut ContentLine),
    ) {
        let idx: Vec<usize> = self
            .in_components()
            .filter(|(_, l)| l.is("ATTENDEE") && pick(l.value.trim()))
            .map(|(i, _)| i)
            .collect();
        for i in idx {
            f(&mut self.lines[i]);
        }
    }

    /// Removes a parameter from every ORGANIZER and ATTENDEE line.
    pub fn strip_param(&mut self, name: &str) {
        self.edit_organizer(|l| l.set_param(name, None));
        self.edit_attendees(|_| true, |l| l.set_param(name, None));
    }

    /// The PARTSTAT of the first ATTENDEE line `pick` accepts (NEEDS-ACTION when not given).
    pub fn partstat(&self, pick: impl Fn(&str) -> bool) -> Option<String> {
        self.in_components()
            .find(|(_, l)| l.is("ATTENDEE") && pick(l.value.trim()))
            .map(|(_, l)| {
                l.param("PARTSTAT")
                    .unwrap_or("NEEDS-ACTION")
                    .to_ascii_uppercase()
            })
    }

    /// The date, time and recurrence lines, for telling a reschedule from another edit.
    pub fn timing(&self) -> Vec<String> {
        self.in_components()
            .filter(|(_, l)| TIMING.iter().any(|t| l.is(t)))
            .map(|(_, l)| {
                let mut s = String::new();
                l.write(&mut s);
                s
            })
            .collect()
    }

    /// The object with `METHOD:<method>` as the first calendar property (replacing any), as
    /// an iTIP message.
    pub fn with_method(&self, method: &str) -> SchedulingObject {
        let mut out = self.clone();
        out.lines.retain(|l| !l.is("METHOD"));
        let at = out
            .lines
            .iter()
            .position(|l| l.is("BEGIN"))
            .map_or(0, |i| i + 1);
        out.lines.insert(
            at,
            ContentLine {
                name: "METHOD".into(),
                params: Vec::new(),
                value: method.into(),
            },
        );
        out
    }

    /// The object without a METHOD line: a calendar object resource may not carry one
    /// (RFC 4791 §4.1).
    pub fn without_method(&self) -> SchedulingObject {
        let mut out = self.clone();
        out.lines.retain(|l| !l.is("METHOD"));
        out
    }

    /// A REPLY (RFC 5546 §3.2.3) of the attendee `pick` accepts: the object with only that
    /// attendee's ATTENDEE lines.
    pub fn reply(&self, pick: impl Fn(&str) -> bool) -> SchedulingObject {
        let keep: Vec<bool> = {
            let drop: std::collections::HashSet<usize> = self
                .in_components()
                .filter(|(_, l)| l.is("ATTENDEE") && !pick(l.value.trim()))
                .map(|(i, _)| i)
                .collect();
            (0..self.lines.len()).map(|i| !drop.contains(&i)).collect()
        };
        let mut out = self.clone();
        let mut i = 0;
        out.lines.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        out.with_method("REPLY")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EV: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:u1\r\n\
        DTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\n\
        ORGANIZER;CN=\"Alice; A.\":mailto:alice@example.com\r\n\
        ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com\r\n\
        ATTENDEE;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:mailto:Bob@Example.com\r\n\
        ATTENDEE;SCHEDULE-AGENT=CLIENT:mailto:carol@example.org\r\nSUMMARY:Long summary that \r\n\
        \x20is folded\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn reads_and_edits_scheduling_lines() {
        let mut o = SchedulingObject::parse(EV.as_bytes()).unwrap();
        assert_eq!(o.uid().as_deref(), Some("u1"));
        let org = o.organizer().unwrap();
        assert_eq!(org.value, "mailto:alice@example.com");
        assert_eq!(org.param("CN"), Some("Alice; A."));
        let a = o.attendees();
        assert_eq!(a.len(), 3);
        assert!(a[1].server_schedules() && !a[2].server_schedules());
        let bob = |v: &str| v.eq_ignore_ascii_case("mailto:bob@example.com");
        assert_eq!(o.partstat(bob).as_deref(), Some("NEEDS-ACTION"));
        o.edit_attendees(bob, |l| l.set_param("PARTSTAT", Some("ACCEPTED")));
        assert_eq!(o.partstat(bob).as_deref(), Some("ACCEPTED"));
        let text = o.to_text();
        assert!(
            text.contains("SUMMARY:Long summary that is folded\r\n"),
            "{text}"
        );
        assert!(text.contains("ORGANIZER;CN=\"Alice; A.\":mailto:alice@example.com\r\n"));
        let reply = o.reply(bob).to_text();
        assert!(
            reply.starts_with("BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\n"),
            "{reply}"
        );
        assert_eq!(reply.matches("ATTENDEE").count(), 1);
        assert_eq!(o.timing().len(), 2);
        assert_eq!(o.with_method("CANCEL").without_method(), o);
    }
}
