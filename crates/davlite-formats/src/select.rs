//! Partial retrieval: the parts of a stored object a `calendar-data` (RFC 4791 §9.6.1) or
//! `address-data` (RFC 6352 §10.4) request selects. Content lines are copied byte for byte
//! (folds included); only whole lines are left out, or, for `novalue`, the value.

use crate::scan::Scanner;

/// A selection of one component, its properties and its sub-components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompPick {
    /// Component name, upper case (`VCALENDAR`, `VEVENT`, ...).
    pub name: String,
    /// The properties to keep: `None` for all, else (upper-case name, `novalue`).
    pub props: Option<Vec<PropPick>>,
    /// The sub-components to keep: `None` for all.
    pub comps: Option<Vec<CompPick>>,
}

/// One selected property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropPick {
    pub name: String,
    /// Return the property without its value.
    pub novalue: bool,
}

/// Where the walk is: the selection of the component we are in (`None` inside a component that
/// is kept whole), or `Skip` inside one that is left out.
enum Frame<'s> {
    Keep(Option<&'s CompPick>),
    Skip,
}

/// The lines of `bytes` that `pick` selects, with the BEGIN/END lines of every kept component.
/// `pick` names the outermost component (VCALENDAR); an object whose outermost component has
/// another name yields nothing.
pub fn select_calendar(bytes: &[u8], pick: &CompPick) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut stack: Vec<Frame<'_>> = Vec::new();
    for line in Scanner::new(bytes).map_while(Result::ok) {
        let raw = &bytes[line.span()];
        let value = line.value();
        let value = value.trim_ascii();
        if line.is(b"BEGIN") {
            let name = String::from_utf8_lossy(value).to_ascii_uppercase();
            let frame = match stack.last() {
                None if name == pick.name => Frame::Keep(Some(pick)),
                None => Frame::Skip,
                Some(Frame::Skip) => Frame::Skip,
                Some(Frame::Keep(None)) => Frame::Keep(None),
                Some(Frame::Keep(Some(sel))) => match &sel.comps {
                    None => Frame::Keep(None),
                    Some(list) => match list.iter().find(|c| c.name == name) {
                        Some(c) => Frame::Keep(Some(c)),
                        None => Frame::Skip,
                    },
                },
            };
            let keep = matches!(frame, Frame::Keep(_));
            stack.push(frame);
            if keep {
                push_line(&mut out, raw);
            }
            continue;
        }
        if line.is(b"END") {
            if let Some(Frame::Keep(_)) = stack.pop() {
                push_line(&mut out, raw);
            }
            continue;
        }
        match stack.last() {
            Some(Frame::Keep(None)) => push_line(&mut out, raw),
            Some(Frame::Keep(Some(sel))) => match &sel.props {
                None => push_line(&mut out, raw),
                Some(props) => {
                    let name = String::from_utf8_lossy(&line.name()).to_ascii_uppercase();
                    if let Some(p) = props.iter().find(|p| p.name == name) {
                        if p.novalue {
                            // Everything up to the value's colon: name and parameters.
                            let head = line.value_range().start - line.span().start;
                            push_line(&mut out, &raw[..head]);
                        } else {
                            push_line(&mut out, raw);
                        }
                    }
                }
            },
            _ => {}
        }
    }
    out
}

/// The lines of a vCard that `props` selects (upper-case names), with BEGIN, END and VERSION,
/// without which the answer would not be a card at all.
pub fn select_card(bytes: &[u8], props: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for line in Scanner::new(bytes).map_while(Result::ok) {
        let name = String::from_utf8_lossy(&line.name()).to_ascii_uppercase();
        if matches!(name.as_str(), "BEGIN" | "END" | "VERSION") || props.contains(&name) {
            push_line(&mut out, &bytes[line.span()]);
        }
    }
    out
}

fn push_line(out: &mut Vec<u8>, raw: &[u8]) {
    out.extend_from_slice(raw);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAL: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VTIMEZONE\r\nTZID:X\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T100000Z\r\nSUMMARY:Lunch with a long\r\n  folded summary\r\nATTENDEE;CN=Bob:mailto:bob@example.com\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    fn prop(name: &str, novalue: bool) -> PropPick {
        PropPick {
            name: name.into(),
            novalue,
        }
    }

    #[test]
    fn rfc_4791_example_selects_exactly_the_named_parts() {
        let pick = CompPick {
            name: "VCALENDAR".into(),
            props: Some(vec![prop("VERSION", false)]),
            comps: Some(vec![CompPick {
                name: "VEVENT".into(),
                props: Some(vec![
                    prop("SUMMARY", false),
                    prop("UID", false),
                    prop("ATTENDEE", true),
                ]),
                comps: Some(vec![]),
            }]),
        };
        let out = String::from_utf8(select_calendar(CAL.as_bytes(), &pick)).unwrap();
        assert_eq!(
            out,
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Lunch with a long\r\n  folded summary\r\nATTENDEE;CN=Bob:\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        );
    }

    #[test]
    fn all_props_and_all_comps_are_the_whole_object() {
        let pick = CompPick {
            name: "VCALENDAR".into(),
            props: None,
            comps: None,
        };
        assert_eq!(select_calendar(CAL.as_bytes(), &pick), CAL.as_bytes());
        let card =
            b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u\r\nFN:F\r\nEMAIL:a@b\r\nTEL:1\r\nEND:VCARD\r\n";
        assert_eq!(
            select_card(card, &["EMAIL".into(), "UID".into()]),
            b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u\r\nEMAIL:a@b\r\nEND:VCARD\r\n"
        );
    }
}
