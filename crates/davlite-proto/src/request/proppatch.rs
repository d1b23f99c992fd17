//! PROPPATCH (RFC 4918 §9.2) and extended MKCOL / MKCALENDAR bodies (RFC 5689, RFC 4791 §5.3.1):
//! both carry property values that must be kept exactly as sent.

use crate::dom::{Element, Limits, parse_document};
use crate::error::XmlError;
use crate::qname::QName;
use crate::value::PropValue;

/// One `set` or `remove` of one property, in document order (RFC 4918 §14.19: they apply in
/// order, and all-or-nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetOrRemove {
    pub name: QName,
    /// `Some` for a set, `None` for a remove.
    pub value: Option<PropValue>,
}

/// A PROPPATCH body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyUpdate {
    pub ops: Vec<SetOrRemove>,
}

const SET: QName = QName::dav("set");
const REMOVE: QName = QName::dav("remove");
const PROP: QName = QName::dav("prop");
const RESOURCETYPE: QName = QName::dav("resourcetype");

impl PropertyUpdate {
    /// Parses a `D:propertyupdate` body; at least one property must be named.
    pub fn parse(body: &[u8]) -> Result<PropertyUpdate, XmlError> {
        let root = parse_document(body, &Limits::default())?;
        if root.name != QName::dav("propertyupdate") {
            return Err(XmlError::UnexpectedRoot { found: root.name });
        }
        let mut ops = Vec::new();
        for c in root.elements() {
            let set = if c.name == SET {
                true
            } else if c.name == REMOVE {
                false
            } else {
                continue;
            };
            for prop in c.elements().filter(|p| p.name == PROP) {
                for p in prop.elements() {
                    ops.push(SetOrRemove {
                        name: p.name.clone(),
                        value: set.then(|| PropValue::from_element(p)),
                    });
                }
            }
        }
        if ops.is_empty() {
            return Err(XmlError::Invalid("propertyupdate names no property".into()));
        }
        Ok(PropertyUpdate { ops })
    }
}

/// Which body root created the collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MkColKind {
    /// `D:mkcol` (RFC 5689 extended MKCOL).
    Mkcol,
    /// `C:mkcalendar` (RFC 4791 §5.3.1).
    Mkcalendar,
}

/// An extended MKCOL or MKCALENDAR body. An empty body is the caller's business (plain MKCOL /
/// MKCALENDAR with defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MkCol {
    pub kind: MkColKind,
    /// Properties to set, in document order, `D:resourcetype` excluded.
    pub props: Vec<(QName, PropValue)>,
    /// The children of a `D:resourcetype` set (`D:collection`, `C:calendar`, ...); empty when
    /// the body sets none.
    pub resourcetype: Vec<QName>,
}

impl MkCol {
    /// Parses a `D:mkcol` or `C:mkcalendar` body. Any other root is
    /// [`XmlError::UnsupportedMkcolRoot`] (415).
    pub fn parse(body: &[u8]) -> Result<MkCol, XmlError> {
        let root = parse_document(body, &Limits::default())?;
        let kind = if root.name == QName::dav("mkcol") {
            MkColKind::Mkcol
        } else if root.name == QName::caldav("mkcalendar") {
            MkColKind::Mkcalendar
        } else {
            return Err(XmlError::UnsupportedMkcolRoot(root.name));
        };
        let mut props = Vec::new();
        let mut resourcetype = Vec::new();
        for set in root.elements().filter(|c| c.name == SET) {
            for prop in set.elements().filter(|p| p.name == PROP) {
                for p in prop.elements() {
                    if p.name == RESOURCETYPE {
                        resourcetype = set_names(p);
                    } else {
                        props.push((p.name.clone(), PropValue::from_element(p)));
                    }
                }
            }
        }
        Ok(MkCol {
            kind,
            props,
            resourcetype,
        })
    }
}

fn set_names(e: &Element) -> Vec<QName> {
    e.elements().map(|c| c.name.clone()).collect()
}
