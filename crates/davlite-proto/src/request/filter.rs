//! Query filters from XML into the `davlite-formats` filter AST: CalDAV `C:filter` (RFC 4791
//! §9.7) and CardDAV `CR:filter` (RFC 6352 §10.5). Anything the AST cannot express is refused
//! with `supported-filter` naming it, rather than silently ignored: a server that drops a filter
//! term returns too much and the client cannot tell.

use davlite_formats::filter::{
    CardFilter, CardPropFilter, Collation, CompFilter, MatchType, ParamFilter, PropFilter, Test,
    TextMatch, TimeRange,
};

use crate::dom::Element;
use crate::error::XmlError;
use crate::qname::{Namespace, QName};
use crate::request::time::parse_utc;
use crate::write::DavKind;

fn unsupported(kind: DavKind, e: &Element) -> XmlError {
    XmlError::UnsupportedFilter {
        kind,
        element: e.name.clone(),
        name: e.attr("name").map(str::to_owned),
    }
}

fn name_attr(e: &Element) -> Result<String, XmlError> {
    match e.attr("name") {
        Some(n) if !n.trim().is_empty() => Ok(n.trim().to_ascii_uppercase()),
        _ => Err(XmlError::InvalidFilter(format!("{} needs a name", e.name))),
    }
}

fn time_range(e: &Element) -> Result<TimeRange, XmlError> {
    let start = e.attr("start").map(parse_utc).transpose()?;
    let end = e.attr("end").map(parse_utc).transpose()?;
    match (start, end) {
        (None, None) => Err(XmlError::InvalidFilter(
            "time-range needs start or end".into(),
        )),
        (Some(s), Some(t)) if t <= s => Err(XmlError::InvalidFilter(
            "time-range end is not after its start".into(),
        )),
        _ => Ok(TimeRange { start, end }),
    }
}

fn text_match(kind: DavKind, e: &Element) -> Result<TextMatch, XmlError> {
    let collation = match e.attr("collation") {
        None => Collation::default(),
        Some(c) => Collation::parse(c).ok_or_else(|| XmlError::UnsupportedCollation {
            kind,
            collation: c.to_owned(),
        })?,
    };
    let negate = match e.attr("negate-condition") {
        None | Some("no") => false,
        Some("yes") => true,
        Some(v) => {
            return Err(XmlError::InvalidFilter(format!(
                "negate-condition must be yes or no, got {v:?}"
            )));
        }
    };
    // RFC 4791 text-match has no match-type (it is always a substring test); accept the CardDAV
    // spelling of that one meaning from CalDAV clients, refuse the others.
    let match_type = match (kind, e.attr("match-type")) {
        (_, None) | (_, Some("contains")) => MatchType::Contains,
        (DavKind::Addressbook, Some("equals")) => MatchType::Equals,
        (DavKind::Addressbook, Some("starts-with")) => MatchType::StartsWith,
        (DavKind::Addressbook, Some("ends-with")) => MatchType::EndsWith,
        _ => return Err(unsupported(kind, e)),
    };
    Ok(TextMatch {
        text: e.text(),
        collation,
        match_type,
        negate,
    })
}

fn param_filter(kind: DavKind, e: &Element) -> Result<ParamFilter, XmlError> {
    let ns = kind.namespace();
    let mut f = ParamFilter {
        name: name_attr(e)?,
        is_not_defined: false,
        text_match: None,
    };
    for c in e.elements() {
        match (c.name.ns == ns, &*c.name.local) {
            (true, "is-not-defined") => f.is_not_defined = true,
            (true, "text-match") if f.text_match.is_none() => {
                f.text_match = Some(text_match(kind, c)?)
            }
            _ => return Err(unsupported(kind, c)),
        }
    }
    Ok(f)
}

fn cal_prop_filter(e: &Element) -> Result<PropFilter, XmlError> {
    let kind = DavKind::Calendar;
    let mut f = PropFilter {
        name: name_attr(e)?,
        is_not_defined: false,
        time_range: None,
        text_match: None,
        param_filters: Vec::new(),
    };
    for c in e.elements() {
        match (c.name.ns == Namespace::CALDAV, &*c.name.local) {
            (true, "is-not-defined") => f.is_not_defined = true,
            (true, "time-range") if f.time_range.is_none() => f.time_range = Some(time_range(c)?),
            (true, "text-match") if f.text_match.is_none() => {
                f.text_match = Some(text_match(kind, c)?)
            }
            (true, "param-filter") => f.param_filters.push(param_filter(kind, c)?),
            _ => return Err(unsupported(kind, c)),
        }
    }
    Ok(f)
}

fn comp_filter(e: &Element, depth: usize) -> Result<CompFilter, XmlError> {
    let name = name_attr(e)?;
    if (depth == 0) != (name == "VCALENDAR") {
        return Err(XmlError::InvalidFilter(format!(
            "comp-filter {name} cannot appear at nesting level {depth}"
        )));
    }
    let mut f = CompFilter {
        name,
        is_not_defined: false,
        time_range: None,
        prop_filters: Vec::new(),
        comp_filters: Vec::new(),
    };
    for c in e.elements() {
        match (c.name.ns == Namespace::CALDAV, &*c.name.local) {
            (true, "is-not-defined") => f.is_not_defined = true,
            (true, "time-range") if depth == 0 => {
                return Err(XmlError::InvalidFilter(
                    "RFC 4791 §9.9 defines no time-range on VCALENDAR".into(),
                ));
            }
            (true, "time-range") if f.time_range.is_none() => f.time_range = Some(time_range(c)?),
            (true, "prop-filter") => f.prop_filters.push(cal_prop_filter(c)?),
            (true, "comp-filter") => f.comp_filters.push(comp_filter(c, depth + 1)?),
            _ => return Err(unsupported(DavKind::Calendar, c)),
        }
    }
    Ok(f)
}

/// Reads `<C:filter>`: exactly one `VCALENDAR` comp-filter.
pub(crate) fn calendar_filter(e: &Element) -> Result<CompFilter, XmlError> {
    let mut roots = e.elements();
    match (roots.next(), roots.next()) {
        (Some(c), None) if c.name == QName::caldav("comp-filter") => comp_filter(c, 0),
        (Some(c), None) => Err(unsupported(DavKind::Calendar, c)),
        _ => Err(XmlError::InvalidFilter(
            "filter must hold exactly one VCALENDAR comp-filter".into(),
        )),
    }
}

fn test_attr(e: &Element) -> Result<Test, XmlError> {
    match e.attr("test") {
        None | Some("anyof") => Ok(Test::AnyOf),
        Some("allof") => Ok(Test::AllOf),
        Some(v) => Err(XmlError::InvalidFilter(format!(
            "test must be anyof or allof, got {v:?}"
        ))),
    }
}

fn card_prop_filter(e: &Element) -> Result<CardPropFilter, XmlError> {
    let kind = DavKind::Addressbook;
    let mut f = CardPropFilter {
        name: name_attr(e)?,
        is_not_defined: false,
        test: test_attr(e)?,
        text_matches: Vec::new(),
        param_filters: Vec::new(),
    };
    for c in e.elements() {
        match (c.name.ns == Namespace::CARDDAV, &*c.name.local) {
            (true, "is-not-defined") => f.is_not_defined = true,
            (true, "text-match") => f.text_matches.push(text_match(kind, c)?),
            (true, "param-filter") => f.param_filters.push(param_filter(kind, c)?),
            _ => return Err(unsupported(kind, c)),
        }
    }
    Ok(f)
}

/// Reads `<CR:filter>`; an empty filter matches every card.
pub(crate) fn card_filter(e: &Element) -> Result<CardFilter, XmlError> {
    let mut f = CardFilter {
        test: test_attr(e)?,
        prop_filters: Vec::new(),
    };
    for c in e.elements() {
        if c.name == QName::carddav("prop-filter") {
            f.prop_filters.push(card_prop_filter(c)?);
        } else {
            return Err(unsupported(DavKind::Addressbook, c));
        }
    }
    Ok(f)
}
