//! The one place request XML is read. Bodies are small (a PROPFIND, a multiget of a few thousand
//! hrefs), so they are read into a bounded tree with namespaces already resolved; the typed
//! parsers then walk the tree and never see prefixes. Guards against hostile input run while
//! reading, so a bomb is refused before it costs memory.

use std::borrow::Cow;

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use crate::error::{Limit, XmlError};
use crate::qname::{Namespace, QName};
use crate::write::xml::first_forbidden;

/// Size and nesting guards for request bodies. The defaults admit every real client request
/// seen (multigets of several thousand hrefs, VTIMEZONEs in MKCALENDAR) with a wide margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest element nesting.
    pub max_depth: usize,
    /// Most elements in one document.
    pub max_elements: usize,
    /// Most attributes on one element.
    pub max_attrs: usize,
    /// Longest attribute value, in bytes.
    pub max_attr_len: usize,
    /// Longest text node, in bytes (a `C:calendar-timezone` carries a whole VTIMEZONE).
    pub max_text_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_elements: 200_000,
            max_attrs: 32,
            max_attr_len: 8 * 1024,
            max_text_len: 1024 * 1024,
        }
    }
}

/// A child of an element: a nested element or character data (CDATA is folded into text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    Text(String),
}

/// An element with resolved names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: QName,
    pub attrs: Vec<(QName, String)>,
    pub children: Vec<Node>,
}

impl Element {
    /// Child elements in document order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// First child element with this name.
    pub fn child(&self, name: &QName) -> Option<&Element> {
        self.elements().find(|e| e.name == *name)
    }

    /// Concatenated direct text children.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for n in &self.children {
            if let Node::Text(t) = n {
                s.push_str(t);
            }
        }
        s
    }

    /// An attribute in no namespace (the form CalDAV/CardDAV attributes take). Looked up
    /// case-sensitively first, then ignoring ASCII case, because vdirsyncer sends
    /// `Content-Type=` on `address-data` where the RFC says `content-type=`.
    pub fn attr(&self, local: &str) -> Option<&str> {
        let plain = |(n, _): &&(QName, String)| n.ns == Namespace::NONE;
        self.attrs
            .iter()
            .filter(plain)
            .find(|(n, _)| n.local == local)
            .or_else(|| {
                self.attrs
                    .iter()
                    .filter(plain)
                    .find(|(n, _)| n.local.eq_ignore_ascii_case(local))
            })
            .map(|(_, v)| v.as_str())
    }
}

/// Element names that occur in nearly every request; sharing static storage for them saves an
/// allocation per element (a multiget is mostly `href`s).
const COMMON_NAMES: &[&str] = &[
    "href",
    "prop",
    "getetag",
    "getcontenttype",
    "resourcetype",
    "displayname",
    "calendar-data",
    "address-data",
    "propfind",
    "propertyupdate",
    "set",
    "remove",
    "calendar-multiget",
    "addressbook-multiget",
    "calendar-query",
    "sync-collection",
    "sync-token",
    "sync-level",
    "filter",
    "comp-filter",
    "prop-filter",
    "param-filter",
    "text-match",
    "time-range",
    "current-user-principal",
    "current-user-privilege-set",
    "supported-report-set",
    "getctag",
    "schedule-tag",
];

fn intern(local: &str) -> Cow<'static, str> {
    match COMMON_NAMES.iter().find(|c| **c == local) {
        Some(c) => Cow::Borrowed(c),
        None => Cow::Owned(local.to_owned()),
    }
}

fn malformed(e: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed(e.to_string())
}

fn utf8(b: &[u8]) -> Result<&str, XmlError> {
    std::str::from_utf8(b).map_err(|_| XmlError::Malformed("invalid UTF-8 in a name".into()))
}

fn resolved_ns(r: ResolveResult<'_>) -> Result<Namespace, XmlError> {
    match r {
        // quick-xml hands back the declaration's raw value; references in it are resolved here
        // so `xmlns:x="a&amp;b"` and a written-back `a&amp;b` name the same namespace.
        ResolveResult::Bound(ns) => {
            let raw = utf8(ns.as_ref())?;
            let uri = quick_xml::escape::unescape(raw).map_err(malformed)?;
            // A character XML forbids could not be written back: refuse it here rather than
            // store a property whose name changes when it is served.
            check_chars(&uri)?;
            Ok(Namespace::new(&uri))
        }
        ResolveResult::Unbound => Ok(Namespace::NONE),
        ResolveResult::Unknown(p) => Err(XmlError::Malformed(format!(
            "undeclared namespace prefix {:?}",
            String::from_utf8_lossy(&p)
        ))),
    }
}

fn open(
    reader: &NsReader<&[u8]>,
    ns: Namespace,
    e: &BytesStart<'_>,
    limits: &Limits,
) -> Result<Element, XmlError> {
    let name = QName {
        ns,
        local: intern(utf8(e.local_name().as_ref())?),
    };
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(malformed)?;
        // quick-xml tolerates a raw `<` in attribute values; XML 1.0 does not.
        if a.value.contains(&b'<') {
            return Err(XmlError::Malformed("'<' in an attribute value".into()));
        }
        if a.key.as_namespace_binding().is_some() {
            continue;
        }
        if attrs.len() >= limits.max_attrs {
            return Err(XmlError::TooLarge(Limit::Attributes));
        }
        if a.value.len() > limits.max_attr_len {
            return Err(XmlError::TooLarge(Limit::AttributeLength));
        }
        let (r, local) = reader.resolve_attribute(a.key);
        let ns = resolved_ns(r)?;
        let value = a.unescape_value().map_err(malformed)?.into_owned();
        check_chars(&value)?;
        attrs.push((QName::new(ns, utf8(local.as_ref())?), value));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
    })
}

fn check_chars(s: &str) -> Result<(), XmlError> {
    match first_forbidden(s).and_then(|i| s[i..].chars().next()) {
        Some(c) => Err(XmlError::Malformed(format!(
            "character U+{:04X} is not allowed in XML",
            u32::from(c)
        ))),
        None => Ok(()),
    }
}

/// An open element and whether it has character data yet (mixed or text content keeps its
/// whitespace; element-only content drops the indentation between children).
struct Frame {
    el: Element,
    has_text: bool,
}

fn push_text(stack: &mut [Frame], text: &str, limits: &Limits) -> Result<(), XmlError> {
    check_chars(text)?;
    let Some(top) = stack.last_mut() else {
        if is_ws(text) {
            return Ok(());
        }
        return Err(XmlError::Malformed("text outside the root element".into()));
    };
    top.has_text = true;
    if let Some(Node::Text(t)) = top.el.children.last_mut() {
        if t.len() + text.len() > limits.max_text_len {
            return Err(XmlError::TooLarge(Limit::TextLength));
        }
        t.push_str(text);
    } else {
        if text.len() > limits.max_text_len {
            return Err(XmlError::TooLarge(Limit::TextLength));
        }
        top.el.children.push(Node::Text(text.to_owned()));
    }
    Ok(())
}

fn is_ws(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// Whitespace seen after an element child (or at the start of an element) is held back until
/// the next event says whether it is content or indentation; a multiget is mostly indentation.
fn flush(
    stack: &mut [Frame],
    pending: &mut Option<Cow<'_, str>>,
    limits: &Limits,
) -> Result<(), XmlError> {
    match pending.take() {
        Some(p) => push_text(stack, &p, limits),
        None => Ok(()),
    }
}

fn entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// Reads a whole document into a tree, refusing DOCTYPEs, undeclared prefixes, unknown
/// entities and anything over `limits`.
pub fn parse_document(input: &[u8], limits: &Limits) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_reader(input);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Element> = None;
    let mut pending: Option<Cow<'_, str>> = None;
    let mut count = 0usize;
    loop {
        let (r, ev) = reader.read_resolved_event().map_err(malformed)?;
        match ev {
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::Start(ref e) | Event::Empty(ref e) => {
                if root.is_some() {
                    return Err(XmlError::Malformed("more than one root element".into()));
                }
                if stack.last().is_some_and(|f| f.has_text) {
                    flush(&mut stack, &mut pending, limits)?;
                } else {
                    pending = None;
                }
                count += 1;
                if count > limits.max_elements {
                    return Err(XmlError::TooLarge(Limit::Elements));
                }
                if stack.len() >= limits.max_depth {
                    return Err(XmlError::TooLarge(Limit::Depth));
                }
                let ns = resolved_ns(r)?;
                let el = open(&reader, ns, e, limits)?;
                if matches!(ev, Event::Start(_)) {
                    stack.push(Frame {
                        el,
                        has_text: false,
                    });
                } else {
                    close(&mut stack, &mut root, el);
                }
            }
            Event::End(_) => {
                if stack
                    .last()
                    .is_some_and(|f| f.has_text || f.el.children.is_empty())
                {
                    flush(&mut stack, &mut pending, limits)?;
                } else {
                    pending = None;
                }
                let f = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("unbalanced end tag".into()))?;
                close(&mut stack, &mut root, f.el);
            }
            Event::Text(t) => {
                let s = t.xml10_content().map_err(malformed)?;
                let held = stack
                    .last()
                    .is_some_and(|f| !matches!(f.el.children.last(), Some(Node::Text(_))));
                if held && is_ws(&s) {
                    if pending.as_ref().map_or(0, |p| p.len()) + s.len() > limits.max_text_len {
                        return Err(XmlError::TooLarge(Limit::TextLength));
                    }
                    match &mut pending {
                        Some(p) => p.to_mut().push_str(&s),
                        None => pending = Some(s),
                    }
                } else {
                    flush(&mut stack, &mut pending, limits)?;
                    push_text(&mut stack, &s, limits)?;
                }
            }
            Event::CData(c) => {
                let s = c.xml10_content().map_err(malformed)?;
                if stack.is_empty() {
                    return Err(XmlError::Malformed("CDATA outside the root element".into()));
                }
                flush(&mut stack, &mut pending, limits)?;
                push_text(&mut stack, &s, limits)?;
            }
            Event::GeneralRef(g) => {
                let c = match g.resolve_char_ref().map_err(malformed)? {
                    Some(c) => c,
                    None => {
                        let name = g.decode().map_err(malformed)?;
                        entity(&name).ok_or_else(|| {
                            XmlError::Malformed(format!("unknown entity &{name};"))
                        })?
                    }
                };
                if stack.is_empty() {
                    return Err(XmlError::Malformed(
                        "reference outside the root element".into(),
                    ));
                }
                flush(&mut stack, &mut pending, limits)?;
                push_text(&mut stack, c.encode_utf8(&mut [0; 4]), limits)?;
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed(
            "document ends inside an element".into(),
        ));
    }
    root.ok_or_else(|| XmlError::Malformed("no root element".into()))
}

fn close(stack: &mut [Frame], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.el.children.push(Node::Element(el)),
        None => *root = Some(el),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Element, XmlError> {
        parse_document(s.as_bytes(), &Limits::default())
    }

    #[test]
    fn prefixes_and_default_namespaces_resolve() {
        let a = parse(r#"<A:propfind xmlns:A="DAV:"><A:prop><A:getetag/></A:prop></A:propfind>"#)
            .unwrap();
        let b = parse(r#"<propfind xmlns="DAV:"><prop><getetag/></prop></propfind>"#).unwrap();
        assert_eq!(a, b);
        let c =
            parse(r#"<propfind xmlns="DAV:"><prop><x:getetag xmlns:x="urn:x"/></prop></propfind>"#)
                .unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn indentation_between_elements_is_dropped_content_whitespace_kept() {
        let e = parse("<a>\n  <b> </b>\n  <c>x <d/> y</c>\n <e>\t<f/></e></a>").unwrap();
        let kids: Vec<&Element> = e.elements().collect();
        assert_eq!(e.children.len(), 3, "no text nodes between a's children");
        assert_eq!(kids[0].text(), " ", "whitespace-only content is content");
        assert_eq!(
            kids[1].children,
            vec![
                Node::Text("x ".into()),
                Node::Element(Element {
                    name: QName::new("", "d"),
                    attrs: vec![],
                    children: vec![]
                }),
                Node::Text(" y".into()),
            ]
        );
        assert_eq!(
            kids[2].children.len(),
            1,
            "indentation before an only child dropped"
        );
        let m = parse("<p>a<b/> <c/></p>").unwrap();
        assert_eq!(
            m.children.len(),
            4,
            "mixed content keeps the space between b and c"
        );
        let r = parse("<p>&#32;<b/></p>").unwrap();
        assert_eq!(r.children.len(), 2, "a character reference is content");
    }

    #[test]
    fn entities_and_cdata_become_text() {
        let e = parse("<a>x&amp;y&#65;&#x42;<![CDATA[<z>]]></a>").unwrap();
        assert_eq!(e.text(), "x&yAB<z>");
        assert!(matches!(
            parse("<a>&bogus;</a>"),
            Err(XmlError::Malformed(_))
        ));
    }

    #[test]
    fn refuses_doctype_and_bombs() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><a>&lol2;</a>"#;
        assert_eq!(parse(bomb), Err(XmlError::Doctype));
        let deep = "<a>".repeat(65) + &"</a>".repeat(65);
        assert_eq!(parse(&deep), Err(XmlError::TooLarge(Limit::Depth)));
        let ok = "<a>".repeat(64) + &"</a>".repeat(64);
        assert!(parse(&ok).is_ok());
        let attr = format!("<a b=\"{}\"/>", "x".repeat(9000));
        assert_eq!(
            parse(&attr),
            Err(XmlError::TooLarge(Limit::AttributeLength))
        );
        let many = format!("<a>{}</a>", "<b/>".repeat(200_001));
        assert_eq!(parse(&many), Err(XmlError::TooLarge(Limit::Elements)));
        let text = format!("<a>{}</a>", "x".repeat(1024 * 1024 + 1));
        assert_eq!(parse(&text), Err(XmlError::TooLarge(Limit::TextLength)));
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            "",
            "<a>",
            "<a></b>",
            "<a/><b/>",
            "<x:a/>",
            "text",
            "<a></a>trailing",
            "<a b='1' b='2'/>",
            "</a>",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn namespace_references_resolve_and_raw_lt_is_refused() {
        let a = parse(r#"<p:a xmlns:p="urn:a&amp;b"/>"#).unwrap();
        assert_eq!(a.name, QName::new("urn:a&b", "a"));
        assert!(matches!(
            parse(r#"<a xmlns:p="x<y"/>"#),
            Err(XmlError::Malformed(_))
        ));
        assert!(matches!(
            parse(r#"<a b="x<y"/>"#),
            Err(XmlError::Malformed(_))
        ));
        assert!(matches!(parse("<a>\u{1}</a>"), Err(XmlError::Malformed(_))));
        assert!(matches!(
            parse("<a b='&#1;'/>"),
            Err(XmlError::Malformed(_))
        ));
    }

    #[test]
    fn attributes_resolve_namespaces_and_skip_declarations() {
        let e = parse(r#"<a xmlns:p="urn:p" p:x="1" y="2" xmlns="urn:d"/>"#).unwrap();
        assert_eq!(e.name, QName::new("urn:d", "a"));
        assert_eq!(
            e.attrs,
            vec![
                (QName::new("urn:p", "x"), "1".to_string()),
                (QName::new("", "y"), "2".to_string())
            ]
        );
        assert_eq!(e.attr("y"), Some("2"));
        assert_eq!(e.attr("x"), None);
    }
}
