//! iCalendar validation: one pass over the content lines checks BEGIN/END nesting, the
//! properties RFC 5545 requires, and the CalDAV object rules of RFC 4791 §4.1, and keeps what
//! extraction needs (dates as written, UIDs, rules) so the body is never read twice.
//!
//! What is refused, and as what (see [`FormatError::precondition`]):
//! - valid-calendar-data: a malformed content line, BEGIN/END that do not match, a missing END
//!   (a truncated body), content after END:VCALENDAR, a second VCALENDAR, nesting deeper than
//!   [`MAX_DEPTH`], no VERSION, a VEVENT without DTSTART, DTEND together with DURATION, a date
//!   that does not parse, a VTIMEZONE without TZID or rules, a VALARM without ACTION/TRIGGER.
//! - valid-calendar-object-resource: METHOD, two component types, a component without UID,
//!   differing UIDs, two masters or a duplicate RECURRENCE-ID, no component at all.
//! - supported-calendar-component: the only component type is one no calendar holds.
//! - supported-calendar-data: VERSION other than 2.0.
//!
//! Deliberately tolerated (real clients send them): a missing PRODID or DTSTAMP, DTEND not after
//! DTSTART, DATE values without `VALUE=DATE`, TZIDs with no VTIMEZONE (RFC 7809), blank lines.

use std::borrow::Cow;

use crate::charset::Charset;
use crate::datetime::{Duration, LocalDateTime, PeriodEnd, parse_period};
use crate::error::{Format, FormatError};
use crate::object::ObjectKind;
use crate::scan::{ContentLine, Scanner};
use crate::tree::{Tree, TreeBuilder};

/// Components one calendar object may hold. A real one holds an event, its overrides, their
/// alarms and a few time zones; far more is a bomb, and every component costs memory in the
/// tree each request builds (100,000 alarms took about 70 MB). The body is refused as invalid
/// calendar data, saying why.
pub(crate) const MAX_COMPONENTS: usize = 10_000;

/// Components nested deeper than this are refused (VCALENDAR > VEVENT > VALARM is 3; RFC 9073
/// adds one more level). Keeps hostile input from growing the stack.
pub const MAX_DEPTH: usize = 8;

/// A DATE or DATE-TIME property as written, with its TZID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DateProp {
    pub dt: LocalDateTime,
    pub tzid: Option<String>,
    pub line: u32,
}

/// A top-level VEVENT, VTODO, VJOURNAL or VFREEBUSY: what extraction and the object rules need.
#[derive(Debug, Clone, Default)]
pub(crate) struct Component {
    pub kind: ObjectKind,
    pub line: u32,
    pub uid: Option<String>,
    pub recurrence_id: Option<DateProp>,
    pub dtstart: Option<DateProp>,
    pub dtend: Option<DateProp>,
    pub due: Option<DateProp>,
    pub duration: Option<Duration>,
    pub completed: Option<DateProp>,
    pub created: Option<DateProp>,
    /// The RRULE value, unfolded.
    pub rrule: Option<String>,
    pub rdates: Vec<(DateProp, Option<PeriodEnd>)>,
    pub exdates: Vec<DateProp>,
    pub freebusy: Vec<(DateProp, PeriodEnd)>,
    pub attendees: u32,
}

/// A validated calendar object.
#[derive(Debug, Clone)]
pub(crate) struct Calendar {
    pub kind: ObjectKind,
    pub components: Vec<Component>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CompName {
    Calendar,
    Main(ObjectKind),
    Timezone,
    TzRule,
    Alarm,
    /// Anything else (X- components, VAVAILABILITY, RFC 9073 VLOCATION...).
    Other,
}

/// Properties whose presence the rules look at, as bits.
mod bit {
    pub const UID: u32 = 1;
    pub const DTSTART: u32 = 1 << 1;
    pub const DTEND: u32 = 1 << 2;
    pub const DURATION: u32 = 1 << 3;
    pub const DUE: u32 = 1 << 4;
    pub const RECURRENCE_ID: u32 = 1 << 5;
    pub const TZID: u32 = 1 << 6;
    pub const ACTION: u32 = 1 << 7;
    pub const TRIGGER: u32 = 1 << 8;
    pub const TZOFFSETTO: u32 = 1 << 9;
    pub const TZOFFSETFROM: u32 = 1 << 10;
    pub const VERSION: u32 = 1 << 11;
    pub const RRULE: u32 = 1 << 12;
    pub const CHILD_RULE: u32 = 1 << 13;
    pub const PRODID: u32 = 1 << 14;
}

struct Frame {
    name: CompName,
    /// The name as written (for END matching and messages), upper-cased.
    label: Cow<'static, str>,
    line: u32,
    seen: u32,
}

fn syntax(line: u32, reason: &'static str) -> FormatError {
    FormatError::Syntax {
        format: Format::Calendar,
        line,
        reason,
    }
}

fn structure(line: u32, reason: String) -> FormatError {
    FormatError::Structure {
        format: Format::Calendar,
        line,
        reason,
    }
}

fn property(line: u32, reason: String) -> FormatError {
    FormatError::Property {
        format: Format::Calendar,
        line,
        reason,
    }
}

fn comp_name(label: &str) -> CompName {
    match label {
        "VCALENDAR" => CompName::Calendar,
        "VEVENT" => CompName::Main(ObjectKind::Event),
        "VTODO" => CompName::Main(ObjectKind::Todo),
        "VJOURNAL" => CompName::Main(ObjectKind::Journal),
        "VFREEBUSY" => CompName::Main(ObjectKind::FreeBusy),
        "VTIMEZONE" => CompName::Timezone,
        "STANDARD" | "DAYLIGHT" => CompName::TzRule,
        "VALARM" => CompName::Alarm,
        _ => CompName::Other,
    }
}

/// Upper-cases a short name into `buf` for matching (a name already upper-case, as nearly all
/// are, is used as it is); longer names never match a known one.
#[inline]
fn upper<'b>(name: &'b [u8], buf: &'b mut [u8; 16]) -> &'b [u8] {
    if name.len() > buf.len() {
        return &[];
    }
    if !name.iter().any(u8::is_ascii_lowercase) {
        return name;
    }
    let out = &mut buf[..name.len()];
    out.copy_from_slice(name);
    out.make_ascii_uppercase();
    out
}

fn text(line: &ContentLine<'_>, cs: Charset) -> String {
    cs.decode(&line.value()).into_owned()
}

fn date_prop(line: &ContentLine<'_>, cs: Charset, what: &str) -> Result<DateProp, FormatError> {
    let value = line.value();
    let dt = LocalDateTime::parse(value.trim_ascii()).ok_or_else(|| {
        property(
            line.line,
            format!(
                "{what} value {:?} is not a DATE or DATE-TIME",
                cs.decode(&value)
            ),
        )
    })?;
    Ok(DateProp {
        dt,
        tzid: tzid_of(line, cs, &dt),
        line: line.line,
    })
}

fn tzid_of(line: &ContentLine<'_>, cs: Charset, dt: &LocalDateTime) -> Option<String> {
    if dt.utc || dt.date_only {
        return None;
    }
    line.param(b"TZID").map(|t| cs.decode(&t).into_owned())
}

/// Splits a multi-valued date property (RDATE, EXDATE) on commas.
fn date_list(
    line: &ContentLine<'_>,
    cs: Charset,
    what: &str,
) -> Result<Vec<(DateProp, Option<PeriodEnd>)>, FormatError> {
    let value = line.value();
    let mut out = Vec::new();
    for part in value.split(|&b| b == b',') {
        let part = part.trim_ascii();
        let bad = || {
            property(
                line.line,
                format!("{what} value {:?} does not parse", cs.decode(part)),
            )
        };
        let (dt, end) = if memchr::memchr(b'/', part).is_some() {
            let (s, e) = parse_period(part).ok_or_else(bad)?;
            (s, Some(e))
        } else {
            (LocalDateTime::parse(part).ok_or_else(bad)?, None)
        };
        out.push((
            DateProp {
                dt,
                tzid: tzid_of(line, cs, &dt),
                line: line.line,
            },
            end,
        ));
    }
    Ok(out)
}

/// Validates an iCalendar body (already known to be in charset `cs`; `text` is the same body
/// when it is UTF-8 as a whole) and returns what extraction needs, with the component tree the
/// recurrence engine reads, built from the same lexer pass (`None` when the bytes are not UTF-8
/// text the tree can hold).
pub(crate) fn parse<'a>(
    bytes: &'a [u8],
    text: Option<&'a str>,
    cs: Charset,
) -> Result<(Calendar, Option<Tree<'a>>), FormatError> {
    let mut stack: Vec<Frame> = Vec::with_capacity(4);
    let mut components: Vec<Component> = Vec::new();
    let mut others: Vec<(String, u32)> = Vec::new();
    let mut closed = false;
    let mut cur = Component::default();
    let mut buf = [0u8; 16];

    let mut begun = 0usize;
    let mut tree = Some(TreeBuilder::with_text(bytes, text));
    let mut scanner = Scanner::new(bytes);
    while let Some(line) = scanner.next() {
        let line = line.map_err(|e| syntax(e.line, e.reason))?;
        if let Some(b) = tree.as_mut()
            && b.push(&line, scanner.position()).is_err()
        {
            tree = None;
        }
        let n = line.line;
        if closed {
            let again = line.is(b"BEGIN") && line.value().eq_ignore_ascii_case(b"VCALENDAR");
            return Err(structure(
                n,
                if again {
                    "a second VCALENDAR: a calendar object holds exactly one".into()
                } else {
                    "content after END:VCALENDAR".into()
                },
            ));
        }
        let name = line.name();
        let key = upper(&name, &mut buf);
        match key {
            b"BEGIN" => {
                begun += 1;
                if begun > MAX_COMPONENTS {
                    return Err(structure(
                        n,
                        format!("more than {MAX_COMPONENTS} components in one calendar object"),
                    ));
                }
                let label = component_label(&line)?;
                let cname = comp_name(&label);
                match (stack.last().map(|f| f.name), cname) {
                    (None, CompName::Calendar) => {}
                    (None, _) if label == "VCARD" => {
                        return Err(FormatError::WrongFormat {
                            expected: Format::Calendar,
                            line: n,
                        });
                    }
                    (None, _) => {
                        return Err(structure(
                            n,
                            format!("body starts with BEGIN:{label}, not BEGIN:VCALENDAR"),
                        ));
                    }
                    (Some(_), CompName::Calendar) => {
                        return Err(structure(n, "VCALENDAR nested inside a component".into()));
                    }
                    (Some(CompName::Calendar), CompName::TzRule | CompName::Alarm) => {
                        return Err(structure(
                            n,
                            format!("{label} outside the component it belongs to"),
                        ));
                    }
                    (Some(CompName::Calendar), _) => {}
                    (Some(parent), CompName::Main(_) | CompName::Timezone) => {
                        let _ = parent;
                        return Err(structure(
                            n,
                            format!("{label} nested inside another component"),
                        ));
                    }
                    (Some(CompName::Timezone), CompName::TzRule) => {}
                    (Some(_), CompName::TzRule) => {
                        return Err(structure(n, format!("{label} outside a VTIMEZONE")));
                    }
                    (
                        Some(CompName::Main(ObjectKind::Event | ObjectKind::Todo)),
                        CompName::Alarm,
                    ) => {}
                    (Some(_), CompName::Alarm) => {
                        return Err(structure(n, "VALARM outside a VEVENT or VTODO".into()));
                    }
                    (Some(_), CompName::Other) => {}
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(structure(
                        n,
                        format!("components nested deeper than {MAX_DEPTH}"),
                    ));
                }
                if stack.len() == 1 {
                    match cname {
                        CompName::Main(kind) => {
                            cur = Component {
                                kind,
                                line: n,
                                ..Component::default()
                            }
                        }
                        CompName::Timezone => {}
                        _ => others.push((label.to_string(), n)),
                    }
                }
                stack.push(Frame {
                    name: cname,
                    label,
                    line: n,
                    seen: 0,
                });
            }
            b"END" => {
                let label = component_label(&line)?;
                let Some(frame) = stack.pop() else {
                    return Err(structure(n, format!("END:{label} without a BEGIN")));
                };
                if frame.label != label {
                    return Err(structure(
                        n,
                        format!(
                            "END:{label} does not close BEGIN:{} of line {}",
                            frame.label, frame.line
                        ),
                    ));
                }
                close_frame(&frame, n)?;
                if let Some(parent) = stack.last_mut() {
                    if frame.name == CompName::TzRule {
                        parent.seen |= bit::CHILD_RULE;
                    }
                }
                match (stack.len(), frame.name) {
                    (0, _) => closed = true,
                    (1, CompName::Main(_)) => components.push(std::mem::take(&mut cur)),
                    _ => {}
                }
            }
            _ => {
                let depth = stack.len();
                let Some(frame) = stack.last_mut() else {
                    return Err(structure(
                        n,
                        "body does not start with BEGIN:VCALENDAR".into(),
                    ));
                };
                property_line(frame, depth, key, &line, cs, &mut cur)?;
            }
        }
    }
    if let Some(open) = stack.last() {
        return Err(structure(
            open.line,
            format!("BEGIN:{} is never closed (truncated body?)", open.label),
        ));
    }
    if !closed {
        return Err(FormatError::Empty {
            format: Format::Calendar,
        });
    }
    let kind = object_rules(&components, &others)?;
    let cal = Calendar { kind, components };
    Ok((cal, tree.and_then(|b| b.finish().ok())))
}

/// The component name of a BEGIN/END line, upper-cased; known names without allocating.
fn component_label(line: &ContentLine<'_>) -> Result<Cow<'static, str>, FormatError> {
    let v = line.value();
    let v = v.trim_ascii();
    if v.is_empty() || !v.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(syntax(line.line, "BEGIN/END needs a component name"));
    }
    let mut buf = [0u8; 16];
    const KNOWN: [&str; 9] = [
        "VCALENDAR",
        "VEVENT",
        "VTODO",
        "VJOURNAL",
        "VFREEBUSY",
        "VTIMEZONE",
        "STANDARD",
        "DAYLIGHT",
        "VALARM",
    ];
    let up = upper(v, &mut buf);
    if let Some(k) = KNOWN.iter().find(|k| k.as_bytes() == up) {
        return Ok(Cow::Borrowed(k));
    }
    Ok(Cow::Owned(String::from_utf8_lossy(v).to_ascii_uppercase()))
}

/// Checks the single-occurrence bit and sets it.
fn once(frame: &mut Frame, b: u32, line: u32, name: &str) -> Result<(), FormatError> {
    if frame.seen & b != 0 {
        return Err(property(
            line,
            format!("{name} appears twice in {}", frame.label),
        ));
    }
    frame.seen |= b;
    Ok(())
}

fn property_line(
    frame: &mut Frame,
    depth: usize,
    key: &[u8],
    line: &ContentLine<'_>,
    cs: Charset,
    cur: &mut Component,
) -> Result<(), FormatError> {
    let n = line.line;
    match frame.name {
        CompName::Calendar => match key {
            b"VERSION" => {
                once(frame, bit::VERSION, n, "VERSION")?;
                let v = line.value();
                if v.trim_ascii() != b"2.0" {
                    return Err(FormatError::UnsupportedVersion {
                        format: Format::Calendar,
                        version: cs.decode(&v).into_owned(),
                        line: n,
                    });
                }
            }
            b"PRODID" => once(frame, bit::PRODID, n, "PRODID")?,
            b"METHOD" => {
                return Err(FormatError::ObjectRule {
                    line: n,
                    reason: "METHOD is not allowed in a stored calendar object (RFC 4791 §4.1)"
                        .into(),
                });
            }
            _ => {}
        },
        CompName::Main(_) if depth == 2 => match key {
            b"UID" => {
                once(frame, bit::UID, n, "UID")?;
                let uid = text(line, cs);
                if uid.trim().is_empty() {
                    return Err(FormatError::MissingUid {
                        format: Format::Calendar,
                        line: n,
                    });
                }
                cur.uid = Some(uid);
            }
            b"DTSTART" => {
                once(frame, bit::DTSTART, n, "DTSTART")?;
                cur.dtstart = Some(date_prop(line, cs, "DTSTART")?);
            }
            b"DTEND" => {
                once(frame, bit::DTEND, n, "DTEND")?;
                if frame.seen & bit::DURATION != 0 {
                    return Err(property(
                        n,
                        "DTEND and DURATION in the same component".into(),
                    ));
                }
                cur.dtend = Some(date_prop(line, cs, "DTEND")?);
            }
            b"DUE" => {
                once(frame, bit::DUE, n, "DUE")?;
                if frame.seen & bit::DURATION != 0 {
                    return Err(property(n, "DUE and DURATION in the same component".into()));
                }
                cur.due = Some(date_prop(line, cs, "DUE")?);
            }
            b"DURATION" => {
                once(frame, bit::DURATION, n, "DURATION")?;
                if frame.seen & (bit::DTEND | bit::DUE) != 0 {
                    return Err(property(n, "DURATION together with DTEND or DUE".into()));
                }
                let v = line.value();
                cur.duration = Some(Duration::parse(v.trim_ascii()).ok_or_else(|| {
                    property(
                        n,
                        format!("DURATION value {:?} does not parse", cs.decode(&v)),
                    )
                })?);
            }
            b"RECURRENCE-ID" => {
                once(frame, bit::RECURRENCE_ID, n, "RECURRENCE-ID")?;
                cur.recurrence_id = Some(date_prop(line, cs, "RECURRENCE-ID")?);
            }
            b"COMPLETED" => cur.completed = Some(date_prop(line, cs, "COMPLETED")?),
            b"CREATED" => cur.created = Some(date_prop(line, cs, "CREATED")?),
            b"RRULE" => {
                once(frame, bit::RRULE, n, "RRULE")?;
                let rule = text(line, cs);
                if let Err(why) = crate::rrule::check(&rule) {
                    return Err(property(n, why));
                }
                cur.rrule = Some(rule);
            }
            b"RDATE" => cur.rdates.extend(date_list(line, cs, "RDATE")?),
            b"EXDATE" => cur
                .exdates
                .extend(date_list(line, cs, "EXDATE")?.into_iter().map(|d| d.0)),
            b"FREEBUSY" => {
                for (start, end) in date_list(line, cs, "FREEBUSY")? {
                    let end =
                        end.ok_or_else(|| property(n, "FREEBUSY value is not a PERIOD".into()))?;
                    cur.freebusy.push((start, end));
                }
            }
            b"ATTENDEE" => cur.attendees = cur.attendees.saturating_add(1),
            _ => {}
        },
        CompName::Timezone if key == b"TZID" => once(frame, bit::TZID, n, "TZID")?,
        CompName::Timezone => {}
        CompName::TzRule => match key {
            b"DTSTART" => {
                once(frame, bit::DTSTART, n, "DTSTART")?;
                date_prop(line, cs, "DTSTART")?;
            }
            b"TZOFFSETTO" => frame.seen |= bit::TZOFFSETTO,
            b"TZOFFSETFROM" => frame.seen |= bit::TZOFFSETFROM,
            _ => {}
        },
        CompName::Alarm => match key {
            b"ACTION" => frame.seen |= bit::ACTION,
            b"TRIGGER" => frame.seen |= bit::TRIGGER,
            _ => {}
        },
        _ => {}
    }
    Ok(())
}

/// Required properties, checked when a component closes.
fn close_frame(frame: &Frame, end_line: u32) -> Result<(), FormatError> {
    let need = |b: u32, what: &str| -> Result<(), FormatError> {
        if frame.seen & b == 0 {
            Err(property(
                frame.line,
                format!(
                    "{} (lines {}-{end_line}) has no {what}",
                    frame.label, frame.line
                ),
            ))
        } else {
            Ok(())
        }
    };
    match frame.name {
        CompName::Calendar => need(bit::VERSION, "VERSION"),
        CompName::Main(ObjectKind::Event) => need(bit::DTSTART, "DTSTART"),
        CompName::Main(_) => {
            if frame.seen & bit::DURATION != 0 {
                need(bit::DTSTART, "DTSTART, which DURATION needs")?;
            }
            Ok(())
        }
        CompName::Timezone => {
            need(bit::TZID, "TZID")?;
            need(bit::CHILD_RULE, "STANDARD or DAYLIGHT rule")
        }
        CompName::TzRule => {
            need(bit::DTSTART, "DTSTART")?;
            need(bit::TZOFFSETTO, "TZOFFSETTO")?;
            need(bit::TZOFFSETFROM, "TZOFFSETFROM")
        }
        CompName::Alarm => {
            need(bit::ACTION, "ACTION")?;
            need(bit::TRIGGER, "TRIGGER")
        }
        CompName::Other => Ok(()),
    }
}

/// RFC 4791 §4.1: one component type besides VTIMEZONE, one UID, at most one master, no
/// duplicate RECURRENCE-ID.
fn object_rules(
    components: &[Component],
    others: &[(String, u32)],
) -> Result<ObjectKind, FormatError> {
    let Some(first) = components.first() else {
        return Err(match others.first() {
            Some((name, line)) => FormatError::UnsupportedComponent {
                name: name.clone(),
                line: *line,
            },
            None => FormatError::ObjectRule {
                line: 1,
                reason: "no VEVENT, VTODO, VJOURNAL or VFREEBUSY component".into(),
            },
        });
    };
    let kind = first.kind;
    if let Some((name, line)) = others.first() {
        return Err(FormatError::ObjectRule {
            line: *line,
            reason: format!(
                "{name} next to {}: one component type per object",
                kind_name(kind)
            ),
        });
    }
    let mut masters = 0;
    for (i, c) in components.iter().enumerate() {
        if c.kind != kind {
            return Err(FormatError::ObjectRule {
                line: c.line,
                reason: format!(
                    "{} next to {}: one component type per object",
                    kind_name(c.kind),
                    kind_name(kind)
                ),
            });
        }
        let Some(uid) = &c.uid else {
            return Err(FormatError::MissingUid {
                format: Format::Calendar,
                line: c.line,
            });
        };
        if Some(uid) != first.uid.as_ref() {
            return Err(FormatError::ObjectRule {
                line: c.line,
                reason: format!(
                    "UID {uid:?} differs from UID {:?} of line {}",
                    first.uid.as_deref().unwrap_or(""),
                    first.line
                ),
            });
        }
        match &c.recurrence_id {
            None => {
                masters += 1;
                if masters > 1 {
                    return Err(FormatError::ObjectRule {
                        line: c.line,
                        reason: "two components with the same UID and no RECURRENCE-ID".into(),
                    });
                }
            }
            Some(rid) => {
                if let Some(dup) = components[..i]
                    .iter()
                    .filter_map(|o| o.recurrence_id.as_ref())
                    .find(|o| o.dt == rid.dt && o.tzid == rid.tzid)
                {
                    return Err(FormatError::ObjectRule {
                        line: c.line,
                        reason: format!("RECURRENCE-ID repeats the one of line {}", dup.line),
                    });
                }
            }
        }
    }
    Ok(kind)
}

fn kind_name(kind: ObjectKind) -> &'static str {
    kind.component_name().unwrap_or("?")
}
