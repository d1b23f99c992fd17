//! PROPFIND bodies (RFC 4918 §9.1) and the property selection REPORT bodies share with them,
//! including the `calendar-data` / `address-data` options that live inside `<D:prop>`.

use crate::dom::{Element, Limits, parse_document};
use crate::error::XmlError;
use crate::qname::{Namespace, QName};
use crate::request::time::parse_utc;

/// What a PROPFIND (or a report's property selection) asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropFind {
    /// `<D:allprop/>`, with the extra properties of `<D:include>` (RFC 4918 §14.8). An empty
    /// PROPFIND body means allprop.
    AllProp { include: Vec<QName> },
    /// `<D:propname/>`.
    PropName,
    /// `<D:prop>` with these names, in request order, duplicates removed.
    Prop(Vec<QName>),
}

/// A half-open UTC interval in Unix seconds, as in `C:expand start=… end=…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcRange {
    pub start: i64,
    pub end: i64,
}

/// `<C:prop name=… novalue=…>` inside a calendar-data `C:comp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropSelect {
    /// Upper-cased property name.
    pub name: String,
    pub novalue: bool,
}

/// `<C:comp name=…>`: which components and properties of the data to return (RFC 4791 §9.6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompSelect {
    /// Upper-cased component name.
    pub name: String,
    /// `None` = `<C:allprop/>` (all properties); empty = none (no `C:prop` given).
    pub props: Option<Vec<PropSelect>>,
    /// `None` = `<C:allcomp/>` (all sub-components); empty = none.
    pub comps: Option<Vec<CompSelect>>,
}

/// Options of a `<C:calendar-data>` element in a report's `<D:prop>` (RFC 4791 §9.6).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CalendarDataRequest {
    pub content_type: Option<String>,
    pub version: Option<String>,
    /// Requested subset; `None` returns the whole object.
    pub comp: Option<CompSelect>,
    /// `<C:expand>`: return instances in this range as separate overridden components.
    pub expand: Option<UtcRange>,
    /// `<C:limit-recurrence-set>`.
    pub limit_recurrence_set: Option<UtcRange>,
    /// `<C:limit-freebusy-set>`.
    pub limit_freebusy_set: Option<UtcRange>,
}

/// Options of a `<CR:address-data>` element (RFC 6352 §10.4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddressDataRequest {
    /// `content-type` attribute (vdirsyncer spells it `Content-Type`; both are read).
    pub content_type: Option<String>,
    /// `version` attribute (`3.0` / `4.0`).
    pub version: Option<String>,
    /// Requested vCard properties, upper-cased; `None` = all.
    pub props: Option<Vec<String>>,
}

/// A report's property selection plus the data options found inside it. The names in `which`
/// include `C:calendar-data` / `CR:address-data` when they were asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropRequest {
    pub which: PropFind,
    pub calendar_data: Option<CalendarDataRequest>,
    pub address_data: Option<AddressDataRequest>,
}

impl PropRequest {
    /// The requested names when the request is a plain `<D:prop>` list.
    pub fn names(&self) -> &[QName] {
        match &self.which {
            PropFind::Prop(v) => v,
            PropFind::AllProp { include } => include,
            PropFind::PropName => &[],
        }
    }
}

const PROP: QName = QName::dav("prop");
const ALLPROP: QName = QName::dav("allprop");
const PROPNAME: QName = QName::dav("propname");
const INCLUDE: QName = QName::dav("include");

fn names_of(e: &Element) -> Vec<QName> {
    let mut out: Vec<QName> = Vec::new();
    for c in e.elements() {
        if !out.contains(&c.name) {
            out.push(c.name.clone());
        }
    }
    out
}

impl PropFind {
    /// Parses a PROPFIND body; an empty (or whitespace-only) body is allprop.
    pub fn parse(body: &[u8]) -> Result<PropFind, XmlError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(PropFind::AllProp {
                include: Vec::new(),
            });
        }
        let root = parse_document(body, &Limits::default())?;
        if root.name != QName::dav("propfind") {
            return Err(XmlError::UnexpectedRoot { found: root.name });
        }
        PropFind::from_parent(&root)?
            .ok_or_else(|| XmlError::Invalid("propfind needs prop, allprop or propname".into()))
    }

    /// The selection among `parent`'s children, `None` if it has none.
    pub(crate) fn from_parent(parent: &Element) -> Result<Option<PropFind>, XmlError> {
        let mut found = None;
        for c in parent.elements() {
            let this = if c.name == PROP {
                PropFind::Prop(names_of(c))
            } else if c.name == ALLPROP {
                PropFind::AllProp {
                    include: parent.child(&INCLUDE).map(names_of).unwrap_or_default(),
                }
            } else if c.name == PROPNAME {
                PropFind::PropName
            } else {
                continue;
            };
            if found.is_some() {
                return Err(XmlError::Invalid(
                    "more than one of prop, allprop, propname".into(),
                ));
            }
            found = Some(this);
        }
        Ok(found)
    }
}

fn range_attrs(e: &Element) -> Result<UtcRange, XmlError> {
    let get = |a: &str| {
        e.attr(a)
            .ok_or_else(|| XmlError::InvalidFilter(format!("{} needs a {a} attribute", e.name)))
            .and_then(parse_utc)
    };
    let r = UtcRange {
        start: get("start")?,
        end: get("end")?,
    };
    if r.end <= r.start {
        return Err(XmlError::InvalidFilter(format!(
            "{}: end is not after start",
            e.name
        )));
    }
    Ok(r)
}

fn comp_select(e: &Element) -> Result<CompSelect, XmlError> {
    let name = e
        .attr("name")
        .ok_or_else(|| XmlError::Invalid("C:comp needs a name".into()))?
        .to_ascii_uppercase();
    // RFC 4791 §9.6.1: `(allprop | prop*), (allcomp | comp*)`: no prop element selects no
    // properties, no comp element no components.
    let (mut props, mut comps) = (Some(Vec::new()), Some(Vec::new()));
    let (mut all_props, mut all_comps) = (false, false);
    for c in e.elements().filter(|c| c.name.ns == Namespace::CALDAV) {
        match &*c.name.local {
            "allprop" => all_props = true,
            "allcomp" => all_comps = true,
            "prop" => {
                let name = c
                    .attr("name")
                    .ok_or_else(|| XmlError::Invalid("C:prop needs a name".into()))?;
                props.get_or_insert_with(Vec::new).push(PropSelect {
                    name: name.to_ascii_uppercase(),
                    novalue: c.attr("novalue") == Some("yes"),
                });
            }
            "comp" => comps.get_or_insert_with(Vec::new).push(comp_select(c)?),
            _ => {}
        }
    }
    if all_props {
        props = None;
    }
    if all_comps {
        comps = None;
    }
    Ok(CompSelect { name, props, comps })
}

fn calendar_data(e: &Element) -> Result<CalendarDataRequest, XmlError> {
    let mut r = CalendarDataRequest {
        content_type: e.attr("content-type").map(str::to_owned),
        version: e.attr("version").map(str::to_owned),
        ..Default::default()
    };
    for c in e.elements().filter(|c| c.name.ns == Namespace::CALDAV) {
        match &*c.name.local {
            "comp" => r.comp = Some(comp_select(c)?),
            "expand" => r.expand = Some(range_attrs(c)?),
            "limit-recurrence-set" => r.limit_recurrence_set = Some(range_attrs(c)?),
            "limit-freebusy-set" => r.limit_freebusy_set = Some(range_attrs(c)?),
            _ => {}
        }
    }
    Ok(r)
}

fn address_data(e: &Element) -> AddressDataRequest {
    let mut props: Option<Vec<String>> = None;
    for c in e.elements().filter(|c| c.name.ns == Namespace::CARDDAV) {
        match &*c.name.local {
            "allprop" => props = None,
            "prop" => {
                if let Some(n) = c.attr("name") {
                    props
                        .get_or_insert_with(Vec::new)
                        .push(n.to_ascii_uppercase());
                }
            }
            _ => {}
        }
    }
    AddressDataRequest {
        content_type: e.attr("content-type").map(str::to_owned),
        version: e.attr("version").map(str::to_owned),
        props,
    }
}

/// Reads the property selection among a report root's children; a report without one selects
/// no properties.
pub(crate) fn prop_request(root: &Element) -> Result<PropRequest, XmlError> {
    let which = PropFind::from_parent(root)?.unwrap_or(PropFind::Prop(Vec::new()));
    let (mut cal, mut card) = (None, None);
    if let Some(prop) = root.child(&PROP) {
        if let Some(e) = prop.child(&QName::caldav("calendar-data")) {
            cal = Some(calendar_data(e)?);
        }
        if let Some(e) = prop.child(&QName::carddav("address-data")) {
            card = Some(address_data(e));
        }
    }
    Ok(PropRequest {
        which,
        calendar_data: cal,
        address_data: card,
    })
}
