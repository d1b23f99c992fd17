//! Dead property values. A client may store any XML under a property it invents, and expects it
//! back unchanged (Apple's `calendar-color` carries a `symbolic-color` attribute on the property
//! element itself), so the value keeps the property element's attributes and its whole content
//! with resolved namespaces, not just its text.

use crate::dom::{Element, Limits, Node, parse_document};
use crate::error::XmlError;
use crate::qname::QName;
use crate::write::xml::Scope;

/// The value of a property as a client set it: the attributes of the property element and its
/// children (text and elements), namespace-resolved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PropValue {
    attrs: Vec<(QName, String)>,
    children: Vec<Node>,
}

impl PropValue {
    pub(crate) fn from_element(e: &Element) -> PropValue {
        PropValue {
            attrs: e.attrs.clone(),
            children: e.children.clone(),
        }
    }

    /// A plain text value, for values the server sets itself.
    pub fn from_text(text: impl Into<String>) -> PropValue {
        let text = text.into();
        PropValue {
            attrs: Vec::new(),
            children: if text.is_empty() {
                Vec::new()
            } else {
                vec![Node::Text(text)]
            },
        }
    }

    /// All character data inside the property element, in document order (like DOM
    /// `textContent`); not trimmed.
    pub fn text(&self) -> String {
        fn walk(nodes: &[Node], out: &mut String) {
            for n in nodes {
                match n {
                    Node::Text(t) => out.push_str(t),
                    Node::Element(e) => walk(&e.children, out),
                }
            }
        }
        let mut s = String::new();
        walk(&self.children, &mut s);
        s
    }

    /// The property element's own attributes (`symbolic-color="custom"`).
    pub fn attributes(&self) -> &[(QName, String)] {
        &self.attrs
    }

    /// Names of the child elements, in order (a `resourcetype` value's types).
    pub fn child_names(&self) -> Vec<QName> {
        self.children
            .iter()
            .filter_map(|n| match n {
                Node::Element(e) => Some(e.name.clone()),
                Node::Text(_) => None,
            })
            .collect()
    }

    /// Whether the element was empty (no attributes, no content).
    pub fn is_empty(&self) -> bool {
        self.attrs.is_empty() && self.children.is_empty()
    }

    /// The values of attribute `attr` on the direct children named `child`, in document order
    /// (`<C:comp name="VEVENT"/>` inside `supported-calendar-component-set`).
    pub fn child_attrs(&self, child: &QName, attr: &str) -> Vec<String> {
        self.children
            .iter()
            .filter_map(|n| match n {
                Node::Element(e) if e.name == *child => e.attr(attr).map(str::to_owned),
                _ => None,
            })
            .collect()
    }

    /// The property as one self-contained XML element, every namespace declared in it. This is
    /// the storage form: [`PropValue::from_xml`] reads it back to an equal value.
    pub fn to_xml(&self, name: &QName) -> String {
        let mut out = Vec::new();
        Scope::standalone().write_tree(&mut out, name, &self.attrs, &self.children);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Reads a property element written by [`PropValue::to_xml`] (or any single XML element).
    pub fn from_xml(xml: &[u8]) -> Result<(QName, PropValue), XmlError> {
        let e = parse_document(xml, &Limits::default())?;
        Ok((e.name.clone(), PropValue::from_element(&e)))
    }

    pub(crate) fn write(&self, scope: &mut Scope, out: &mut Vec<u8>, name: &QName) {
        scope.write_tree(out, name, &self.attrs, &self.children);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apple_color_round_trips_with_attribute() {
        let src = br#"<x:calendar-color xmlns:x="http://apple.com/ns/ical/" symbolic-color="custom">#711A76FF</x:calendar-color>"#;
        let (name, v) = PropValue::from_xml(src).unwrap();
        assert_eq!(name, QName::apple_ical("calendar-color"));
        assert_eq!(v.text(), "#711A76FF");
        let xml = v.to_xml(&name);
        assert_eq!(
            xml,
            r#"<ICAL:calendar-color xmlns:ICAL="http://apple.com/ns/ical/" symbolic-color="custom">#711A76FF</ICAL:calendar-color>"#
        );
        assert_eq!(PropValue::from_xml(xml.as_bytes()).unwrap(), (name, v));
    }

    #[test]
    fn xml_lang_keeps_the_reserved_prefix() {
        let src = br#"<D:displayname xmlns:D="DAV:" xml:lang="de">Arbeit</D:displayname>"#;
        let (name, v) = PropValue::from_xml(src).unwrap();
        let xml = v.to_xml(&name);
        assert_eq!(
            xml,
            r#"<D:displayname xmlns:D="DAV:" xml:lang="de">Arbeit</D:displayname>"#
        );
        assert_eq!(PropValue::from_xml(xml.as_bytes()).unwrap(), (name, v));
    }

    #[test]
    fn child_attrs_reads_component_names() {
        let src = br#"<C:supported-calendar-component-set xmlns:C="urn:ietf:params:xml:ns:caldav"><C:comp name="VEVENT"/><x:comp xmlns:x="urn:x" name="NO"/><C:comp name="VTODO"/></C:supported-calendar-component-set>"#;
        let (_, v) = PropValue::from_xml(src).unwrap();
        assert_eq!(
            v.child_attrs(&QName::caldav("comp"), "name"),
            vec!["VEVENT".to_string(), "VTODO".to_string()]
        );
    }

    #[test]
    fn nested_foreign_content_round_trips() {
        let src = br#"<p xmlns="urn:a"><q xmlns:b="urn:b" b:k="1 &amp; 2"><b:r>t&lt;</b:r><s xmlns=""/></q></p>"#;
        let (name, v) = PropValue::from_xml(src).unwrap();
        let again = PropValue::from_xml(v.to_xml(&name).as_bytes()).unwrap();
        assert_eq!(again, (name, v.clone()));
        assert_eq!(v.text(), "t<");
        assert_eq!(v.child_names(), vec![QName::new("urn:a", "q")]);
    }
}
