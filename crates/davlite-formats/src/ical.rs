//! iCalendar validation: one pass over the content lines builds the component tree and checks,
//! as it grows, BEGIN/END nesting, each property as the tree holds it, the properties RFC 5545
//! requires and the CalDAV object rules of RFC 4791 §4.1; it keeps what the object rules and
//! extraction need (dates as written, UIDs, rules) so the body is never read twice.
//!
//! What is refused, and as what (see [`FormatError::precondition`]):
//! - valid-calendar-data: a malformed content line, BEGIN/END that do not match, a missing END
//!   (a truncated body), content after END:VCALENDAR, a second VCALENDAR, a parameter without
//!   `=` (RFC 5545 §3.2), nesting deeper than
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

use crate::datetime::{Duration, LocalDateTime, PeriodEnd, parse_period};
use crate::error::{Format, FormatError};
use crate::object::ObjectKind;
use crate::scan::{ContentLine, Keyword, Scanner};
use crate::tree::{Prop, Tree, TreeBuilder, TreeError, trim};

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

/// A top-level VEVENT, VTODO, VJOURNAL or VFREEBUSY: what the object rules and the index need
/// that the component tree does not answer directly. Its dates are read from the tree.
#[derive(Debug, Clone, Default)]
pub(crate) struct Component {
    pub kind: ObjectKind,
    pub line: u32,
    pub uid: Option<String>,
    pub recurrence_id: Option<DateProp>,
    pub attendees: u32,
}

/// A validated calendar object.
#[derive(Debug, Clone)]
pub(crate) struct Calendar {
    pub kind: ObjectKind,
    pub components: Vec<Component>,
    /// Earliest and latest DATE/DATE-TIME value of the components (VTIMEZONE rules, whose
    /// DTSTARTs reach back to 1601, are not counted), for min/max-date-time; folded while the
    /// values are validated. Read as UTC wall-clock times: a zone moves them by at most 14
    /// hours, which is below what these limits resolve.
    pub earliest: Option<i64>,
    pub latest: Option<i64>,
}

/// The running earliest and latest date of [`Calendar`].
#[derive(Default)]
struct Bounds {
    lo: Option<i64>,
    hi: Option<i64>,
}

impl Bounds {
    fn add(&mut self, d: &LocalDateTime) {
        let t = d.as_utc_seconds();
        self.lo = Some(self.lo.map_or(t, |x| x.min(t)));
        self.hi = Some(self.hi.map_or(t, |x| x.max(t)));
    }
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

/// The DATE or DATE-TIME value of `p`, or why not.
fn date_value(p: &Prop<'_>, line: u32, what: &str) -> Result<LocalDateTime, FormatError> {
    LocalDateTime::parse(trim(p.value()).as_bytes()).ok_or_else(|| {
        property(
            line,
            format!("{what} value {:?} is not a DATE or DATE-TIME", p.value()),
        )
    })
}

fn tzid_of(p: &Prop<'_>, dt: &LocalDateTime) -> Option<String> {
    if dt.utc || dt.date_only {
        return None;
    }
    p.param("TZID").map(str::to_string)
}

/// Reads a multi-valued date property (RDATE, EXDATE, FREEBUSY), comma-separated DATEs,
/// DATE-TIMEs or PERIODs, handing each start and end to `each`.
fn date_list(
    p: &Prop<'_>,
    line: u32,
    what: &str,
    mut each: impl FnMut(LocalDateTime, Option<PeriodEnd>) -> Result<(), FormatError>,
) -> Result<(), FormatError> {
    for part in p.value().split(',') {
        let part = trim(part).as_bytes();
        let bad = || {
            property(
                line,
                format!(
                    "{what} value {:?} does not parse",
                    String::from_utf8_lossy(part)
                ),
            )
        };
        let (dt, end) = if memchr::memchr(b'/', part).is_some() {
            let (s, e) = parse_period(part).ok_or_else(bad)?;
            (s, Some(e))
        } else {
            (LocalDateTime::parse(part).ok_or_else(bad)?, None)
        };
        each(dt, end)?;
    }
    Ok(())
}

/// Adds a line to the tree; the structural checks ran before, so what the tree could still
/// refuse is a line that is not text.
#[inline]
fn grow<'a>(
    tree: &mut TreeBuilder<'a>,
    line: &ContentLine<'a>,
    keyword: Keyword,
    end: usize,
) -> Result<(), FormatError> {
    match tree.push(line, keyword, end) {
        Ok(_) => Ok(()),
        Err(TreeError::NotUtf8 { .. }) => Err(FormatError::NotUtf8 {
            format: Format::Calendar,
            offset: line.span().start,
            line: line.line,
        }),
        Err(e) => Err(structure(line.line, e.to_string())),
    }
}

/// Validates an iCalendar body and returns what the object rules and extraction need, with the
/// component tree every later reading (recurrence, span, filters) uses, built by the same lexer
/// pass: properties are checked as the tree holds them, unfolded once. `text` is `bytes` when
/// they are UTF-8 as a whole; otherwise each unfolded line must be (a fold may split a
/// character).
pub(crate) fn parse<'a>(
    bytes: &'a [u8],
    text: Option<&'a str>,
) -> Result<(Calendar, Tree<'a>), FormatError> {
    let mut stack: Vec<Frame> = Vec::with_capacity(4);
    let mut components: Vec<Component> = Vec::new();
    let mut others: Vec<(String, u32)> = Vec::new();
    let mut closed = false;
    let mut cur = Component::default();
    let mut bounds = Bounds::default();
    let mut buf = [0u8; 16];

    let mut begun = 0usize;
    let mut tree = TreeBuilder::with_text(bytes, text);
    let mut scanner = Scanner::new(bytes);
    while let Some(line) = scanner.next_line() {
        let end = scanner.position();
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
        match line.keyword() {
            Keyword::Begin => {
                begun += 1;
                if begun > MAX_COMPONENTS {
                    return Err(structure(
                        n,
                        format!("more than {MAX_COMPONENTS} components in one calendar object"),
                    ));
                }
                let (label, cname) = component_label(&line)?;
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
                grow(&mut tree, &line, Keyword::Begin, end)?;
                stack.push(Frame {
                    name: cname,
                    label,
                    line: n,
                    seen: 0,
                });
            }
            Keyword::End => {
                let (label, _) = component_label(&line)?;
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
                grow(&mut tree, &line, Keyword::End, end)?;
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
            Keyword::Property => {
                let depth = stack.len();
                let Some(frame) = stack.last_mut() else {
                    return Err(structure(
                        n,
                        "body does not start with BEGIN:VCALENDAR".into(),
                    ));
                };
                grow(&mut tree, &line, Keyword::Property, end)?;
                let Some(prop) = tree.last_prop() else {
                    continue;
                };
                if line.has_bare_param() {
                    let bare = prop.bare_param().unwrap_or_default();
                    return Err(property(
                        n,
                        format!(
                            "parameter {bare:?} of {} has no '=' (RFC 5545 §3.2)",
                            prop.name()
                        ),
                    ));
                }
                let key = if line.name_has_lower() {
                    upper(prop.name().as_bytes(), &mut buf)
                } else {
                    prop.name().as_bytes()
                };
                property_line(frame, depth, key, prop, n, &mut cur, &mut bounds)?;
            }
        }
    }
    if let Some(e) = scanner.take_error() {
        return Err(syntax(e.line, e.reason));
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
    let cal = Calendar {
        kind,
        components,
        earliest: bounds.lo,
        latest: bounds.hi,
    };
    let tree = tree.finish().map_err(|e| structure(1, e.to_string()))?;
    Ok((cal, tree))
}

/// The component name of a BEGIN/END line, upper-cased, and what it is; known names without
/// allocating (and recognised by comparison alone: they need no character check).
fn component_label(line: &ContentLine<'_>) -> Result<(Cow<'static, str>, CompName), FormatError> {
    let v = line.value();
    let v = v.trim_ascii();
    // Clients write the names upper-case: compared as they are first, upper-cased only if not.
    // Each length has at most two candidates, so a name costs one length switch and one or two
    // comparisons of a known size, not a comparison per arm.
    let known = |name: &[u8]| {
        Some(match name.len() {
            5 if name == b"VTODO" => ("VTODO", CompName::Main(ObjectKind::Todo)),
            6 if name == b"VEVENT" => ("VEVENT", CompName::Main(ObjectKind::Event)),
            6 if name == b"VALARM" => ("VALARM", CompName::Alarm),
            8 if name == b"STANDARD" => ("STANDARD", CompName::TzRule),
            8 if name == b"DAYLIGHT" => ("DAYLIGHT", CompName::TzRule),
            8 if name == b"VJOURNAL" => ("VJOURNAL", CompName::Main(ObjectKind::Journal)),
            9 if name == b"VCALENDAR" => ("VCALENDAR", CompName::Calendar),
            9 if name == b"VTIMEZONE" => ("VTIMEZONE", CompName::Timezone),
            9 if name == b"VFREEBUSY" => ("VFREEBUSY", CompName::Main(ObjectKind::FreeBusy)),
            _ => return None,
        })
    };
    let mut buf = [0u8; 16];
    if let Some((k, name)) = known(v).or_else(|| known(upper(v, &mut buf))) {
        return Ok((Cow::Borrowed(k), name));
    }
    if v.is_empty() || !v.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(syntax(line.line, "BEGIN/END needs a component name"));
    }
    // Anything else (X- components, VAVAILABILITY, RFC 9073 VLOCATION...).
    Ok((
        Cow::Owned(String::from_utf8_lossy(v).to_ascii_uppercase()),
        CompName::Other,
    ))
}

/// UNTIL of a valid RRULE, if it has one.
fn rule_until(rule: &str) -> Option<LocalDateTime> {
    rule.split(';').find_map(|part| {
        let (k, v) = part.split_once('=')?;
        if trim(k).eq_ignore_ascii_case("UNTIL") {
            LocalDateTime::parse(trim(v).as_bytes())
        } else {
            None
        }
    })
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
    p: &Prop<'_>,
    n: u32,
    cur: &mut Component,
    bounds: &mut Bounds,
) -> Result<(), FormatError> {
    match frame.name {
        CompName::Calendar => match key {
            b"VERSION" => {
                once(frame, bit::VERSION, n, "VERSION")?;
                if trim(p.value()) != "2.0" {
                    return Err(FormatError::UnsupportedVersion {
                        format: Format::Calendar,
                        version: p.value().to_string(),
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
                let uid = p.value().to_string();
                if trim(&uid).is_empty() {
                    return Err(FormatError::MissingUid {
                        format: Format::Calendar,
                        line: n,
                    });
                }
                cur.uid = Some(uid);
            }
            b"DTSTART" => {
                once(frame, bit::DTSTART, n, "DTSTART")?;
                bounds.add(&date_value(p, n, "DTSTART")?);
            }
            b"DTEND" => {
                once(frame, bit::DTEND, n, "DTEND")?;
                if frame.seen & bit::DURATION != 0 {
                    return Err(property(
                        n,
                        "DTEND and DURATION in the same component".into(),
                    ));
                }
                bounds.add(&date_value(p, n, "DTEND")?);
            }
            b"DUE" => {
                once(frame, bit::DUE, n, "DUE")?;
                if frame.seen & bit::DURATION != 0 {
                    return Err(property(n, "DUE and DURATION in the same component".into()));
                }
                bounds.add(&date_value(p, n, "DUE")?);
            }
            b"DURATION" => {
                once(frame, bit::DURATION, n, "DURATION")?;
                if frame.seen & (bit::DTEND | bit::DUE) != 0 {
                    return Err(property(n, "DURATION together with DTEND or DUE".into()));
                }
                if Duration::parse(p.value().as_bytes()).is_none() {
                    return Err(property(
                        n,
                        format!("DURATION value {:?} does not parse", p.value()),
                    ));
                }
            }
            b"RECURRENCE-ID" => {
                once(frame, bit::RECURRENCE_ID, n, "RECURRENCE-ID")?;
                let dt = date_value(p, n, "RECURRENCE-ID")?;
                bounds.add(&dt);
                cur.recurrence_id = Some(DateProp {
                    dt,
                    tzid: tzid_of(p, &dt),
                    line: n,
                });
            }
            b"COMPLETED" => bounds.add(&date_value(p, n, "COMPLETED")?),
            b"CREATED" => {
                date_value(p, n, "CREATED")?;
            }
            b"RRULE" => {
                once(frame, bit::RRULE, n, "RRULE")?;
                if let Err(why) = crate::rrule::check(p.value()) {
                    return Err(property(n, why));
                }
                if let Some(until) = rule_until(p.value()) {
                    bounds.add(&until);
                }
            }
            b"RDATE" | b"FREEBUSY" => {
                let what = if key == b"RDATE" { "RDATE" } else { "FREEBUSY" };
                date_list(p, n, what, |start, end| {
                    bounds.add(&start);
                    match end {
                        Some(PeriodEnd::End(e)) => bounds.add(&e),
                        None if key == b"FREEBUSY" => {
                            return Err(property(n, "FREEBUSY value is not a PERIOD".into()));
                        }
                        _ => {}
                    }
                    Ok(())
                })?
            }
            b"EXDATE" => date_list(p, n, "EXDATE", |start, _| {
                bounds.add(&start);
                Ok(())
            })?,
            b"ATTENDEE" => cur.attendees = cur.attendees.saturating_add(1),
            _ => {}
        },
        CompName::Timezone if key == b"TZID" => once(frame, bit::TZID, n, "TZID")?,
        CompName::Timezone => {}
        CompName::TzRule => match key {
            b"DTSTART" => {
                once(frame, bit::DTSTART, n, "DTSTART")?;
                date_value(p, n, "DTSTART")?;
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
