//! The principal reports of RFC 3744 §9: principal-property-search, principal-search-property-set
//! and principal-match, read as real clients send them rather than only as the RFC spells them.
//!
//! python-caldav puts the properties it wants as siblings of an empty `<D:prop/>` directly under
//! `principal-property-search`, and Apple adds `test="anyof"` and a `match-type` attribute
//! (CalendarServer's extensions); both are accepted, so that the search clients actually send
//! finds what they look for.

use crate::dom::Element;
use crate::error::XmlError;
use crate::qname::{Namespace, QName};

/// How a `<D:match>` compares (CalendarServer's `match-type`; RFC 3744 leaves it to the server,
/// and `contains` is what clients expect by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchType {
    Contains,
    StartsWith,
    EndsWith,
    Equals,
}

/// One `<D:property-search>`: the properties to look in and the text to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertySearch {
    pub props: Vec<QName>,
    /// The match text, surrounding whitespace trimmed.
    pub text: String,
    pub match_type: MatchType,
}

/// A parsed `DAV:principal-property-search` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalPropertySearch {
    /// Empty: every principal (python-caldav lists all principals so).
    pub searches: Vec<PropertySearch>,
    /// `test="anyof"`: one matching search suffices; the RFC default is all of them.
    pub any_of: bool,
    /// The properties to return, in request order.
    pub props: Vec<QName>,
    /// `<D:apply-to-principal-collection-set/>`: search the principal collections of the
    /// request-URI rather than the request-URI itself.
    pub apply_to_principal_collection_set: bool,
}

/// What a `DAV:principal-match` asks to match against the current user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalMatchKind {
    /// `<D:self/>`: principals that are the current user.
    Myself,
    /// `<D:principal-property><P/></D:principal-property>`: resources whose property P names
    /// the current user's principal (`DAV:owner` is the common one).
    Property(QName),
}

/// A parsed `DAV:principal-match` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalMatch {
    pub kind: PrincipalMatchKind,
    pub props: Vec<QName>,
}

fn names_in(e: &Element) -> Vec<QName> {
    let mut out: Vec<QName> = Vec::new();
    for c in e.elements() {
        if !out.contains(&c.name) {
            out.push(c.name.clone());
        }
    }
    out
}

fn match_type(e: &Element) -> Result<MatchType, XmlError> {
    Ok(match e.attr("match-type").map(str::trim) {
        None | Some("contains") => MatchType::Contains,
        Some("starts-with") => MatchType::StartsWith,
        Some("ends-with") => MatchType::EndsWith,
        Some("equals") => MatchType::Equals,
        Some(other) => {
            return Err(XmlError::Invalid(format!(
                "principal-property-search: unknown match-type {other:?}"
            )));
        }
    })
}

pub(crate) fn property_search(root: &Element) -> Result<PrincipalPropertySearch, XmlError> {
    let any_of = match root.attr("test").map(str::trim) {
        None | Some("allof") => false,
        Some("anyof") => true,
        Some(other) => {
            return Err(XmlError::Invalid(format!(
                "principal-property-search: test must be anyof or allof, not {other:?}"
            )));
        }
    };
    let mut searches = Vec::new();
    let mut props: Vec<QName> = Vec::new();
    let mut apply = false;
    for c in root.elements() {
        if c.name.ns == Namespace::DAV {
            match &*c.name.local {
                "property-search" => {
                    let prop = c
                        .child(&QName::dav("prop"))
                        .ok_or_else(|| XmlError::Invalid("property-search without prop".into()))?;
                    let m = c
                        .child(&QName::dav("match"))
                        .ok_or_else(|| XmlError::Invalid("property-search without match".into()))?;
                    searches.push(PropertySearch {
                        props: names_in(prop),
                        text: m.text().trim().to_owned(),
                        match_type: match_type(m)?,
                    });
                    continue;
                }
                "prop" => {
                    for n in names_in(c) {
                        if !props.contains(&n) {
                            props.push(n);
                        }
                    }
                    continue;
                }
                "apply-to-principal-collection-set" => {
                    apply = true;
                    continue;
                }
                _ => {}
            }
        }
        // A property element outside `<D:prop>` (python-caldav's body): wanted all the same.
        if !props.contains(&c.name) {
            props.push(c.name.clone());
        }
    }
    Ok(PrincipalPropertySearch {
        searches,
        any_of,
        props,
        apply_to_principal_collection_set: apply,
    })
}

pub(crate) fn principal_match(root: &Element) -> Result<PrincipalMatch, XmlError> {
    let kind = if root.child(&QName::dav("self")).is_some() {
        PrincipalMatchKind::Myself
    } else if let Some(p) = root.child(&QName::dav("principal-property")) {
        let name = p.elements().next().ok_or_else(|| {
            XmlError::Invalid("principal-match: principal-property names no property".into())
        })?;
        PrincipalMatchKind::Property(name.name.clone())
    } else {
        return Err(XmlError::Invalid(
            "principal-match needs self or principal-property".into(),
        ));
    };
    let props = root
        .child(&QName::dav("prop"))
        .map(names_in)
        .unwrap_or_default();
    Ok(PrincipalMatch { kind, props })
}
