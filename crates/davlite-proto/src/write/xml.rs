//! Low-level XML output: escaping and namespace-prefix bookkeeping shared by every writer.
//! Well-known namespaces use the short fixed prefixes declared once on a multistatus / error root;
//! any other namespace is declared on the element that first needs it.

use std::borrow::Cow;

use crate::dom::{Element, Node};
use crate::qname::{Namespace, QName};

/// The namespace declarations every root we write carries.
pub(crate) const ROOT_NS_DECLS: &str = concat!(
    r#" xmlns:D="DAV:""#,
    r#" xmlns:C="urn:ietf:params:xml:ns:caldav""#,
    r#" xmlns:CR="urn:ietf:params:xml:ns:carddav""#,
    r#" xmlns:CS="http://calendarserver.org/ns/""#,
    r#" xmlns:ICAL="http://apple.com/ns/ical/""#
);

pub(crate) const XML_DECL: &[u8] = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

/// Characters XML 1.0 cannot carry even as references; replaced so output stays well-formed.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escapes character data. `\r` becomes `&#13;` so the CRLF line ends of iCalendar and vCard
/// data survive XML line-end normalisation in the client's parser; `>` is escaped so a `]]>` in
/// the data can never end a CDATA section a client-side tool might wrap it in.
pub fn escape_text(out: &mut Vec<u8>, s: &str) {
    let mut last = 0;
    for (i, c) in s.char_indices() {
        let rep: &str = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '\r' => "&#13;",
            c if !is_xml_char(c) => "\u{FFFD}",
            _ => continue,
        };
        out.extend_from_slice(&s.as_bytes()[last..i]);
        out.extend_from_slice(rep.as_bytes());
        last = i + c.len_utf8();
    }
    out.extend_from_slice(&s.as_bytes()[last..]);
}

/// Escapes an attribute value written between double quotes; whitespace other than a space is
/// written as a reference so attribute-value normalisation cannot change it.
pub fn escape_attr(out: &mut Vec<u8>, s: &str) {
    let mut last = 0;
    for (i, c) in s.char_indices() {
        let rep: &str = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\r' => "&#13;",
            '\n' => "&#10;",
            '\t' => "&#9;",
            c if !is_xml_char(c) => "\u{FFFD}",
            _ => continue,
        };
        out.extend_from_slice(&s.as_bytes()[last..i]);
        out.extend_from_slice(rep.as_bytes());
        last = i + c.len_utf8();
    }
    out.extend_from_slice(&s.as_bytes()[last..]);
}

/// A written element's qualified name, kept to write its end tag without allocating for the
/// fixed prefixes.
pub(crate) struct Tag {
    prefix: Cow<'static, str>,
    local: Cow<'static, str>,
}

impl Tag {
    fn write(&self, out: &mut Vec<u8>) {
        if !self.prefix.is_empty() {
            out.extend_from_slice(self.prefix.as_bytes());
            out.push(b':');
        }
        out.extend_from_slice(self.local.as_bytes());
    }
}

/// Prefixes in scope while writing. `fixed` means the root declared the short prefixes.
pub(crate) struct Scope {
    fixed: bool,
    local: Vec<(Cow<'static, str>, Namespace)>,
}

impl Scope {
    pub(crate) fn with_root_prefixes() -> Scope {
        Scope {
            fixed: true,
            local: Vec::new(),
        }
    }

    pub(crate) fn standalone() -> Scope {
        Scope {
            fixed: false,
            local: Vec::new(),
        }
    }

    /// The prefix for `ns` (empty for no namespace), declaring it into `decls` when needed.
    fn prefix(&mut self, ns: &Namespace, decls: &mut Vec<u8>) -> Cow<'static, str> {
        if *ns == Namespace::NONE {
            return Cow::Borrowed("");
        }
        if self.fixed
            && let Some(p) = ns.fixed_prefix()
        {
            return Cow::Borrowed(p);
        }
        if let Some((p, _)) = self.local.iter().rev().find(|(_, n)| n == ns) {
            return p.clone();
        }
        let p: Cow<'static, str> = match ns.fixed_prefix() {
            Some(p) if !self.fixed => Cow::Borrowed(p),
            _ => Cow::Owned(format!("X{}", self.local.len())),
        };
        decls.extend_from_slice(b" xmlns:");
        decls.extend_from_slice(p.as_bytes());
        decls.extend_from_slice(b"=\"");
        escape_attr(decls, ns.as_str());
        decls.push(b'"');
        self.local.push((p.clone(), ns.clone()));
        p
    }

    /// Writes `<name attrs…` (without closing `>`), returning the tag to close it with and how
    /// many declarations to pop when the element ends.
    pub(crate) fn open(
        &mut self,
        out: &mut Vec<u8>,
        name: &QName,
        attrs: &[(QName, String)],
    ) -> (Tag, usize) {
        let before = self.local.len();
        let mut decls = Vec::new();
        let tag = Tag {
            prefix: self.prefix(&name.ns, &mut decls),
            local: name.local.clone(),
        };
        out.push(b'<');
        tag.write(out);
        let mut attr_bytes = Vec::new();
        for (an, av) in attrs {
            let ap = self.prefix(&an.ns, &mut decls);
            attr_bytes.push(b' ');
            if !ap.is_empty() {
                attr_bytes.extend_from_slice(ap.as_bytes());
                attr_bytes.push(b':');
            }
            attr_bytes.extend_from_slice(an.local.as_bytes());
            attr_bytes.extend_from_slice(b"=\"");
            escape_attr(&mut attr_bytes, av);
            attr_bytes.push(b'"');
        }
        out.extend_from_slice(&decls);
        out.extend_from_slice(&attr_bytes);
        (tag, self.local.len() - before)
    }

    pub(crate) fn close(&mut self, out: &mut Vec<u8>, tag: &Tag, pushed: usize) {
        out.extend_from_slice(b"</");
        tag.write(out);
        out.push(b'>');
        self.local.truncate(self.local.len() - pushed);
    }

    pub(crate) fn close_empty(&mut self, out: &mut Vec<u8>, pushed: usize) {
        out.extend_from_slice(b"/>");
        self.local.truncate(self.local.len() - pushed);
    }

    /// Writes an element with `attrs` and `children` (a request tree or a stored dead property).
    pub(crate) fn write_tree(
        &mut self,
        out: &mut Vec<u8>,
        name: &QName,
        attrs: &[(QName, String)],
        children: &[Node],
    ) {
        let (q, pushed) = self.open(out, name, attrs);
        if children.is_empty() {
            self.close_empty(out, pushed);
            return;
        }
        out.push(b'>');
        for c in children {
            match c {
                Node::Text(t) => escape_text(out, t),
                Node::Element(Element {
                    name,
                    attrs,
                    children,
                }) => self.write_tree(out, name, attrs, children),
            }
        }
        self.close(out, &q, pushed);
    }

    /// Writes `<name/>`.
    pub(crate) fn empty(&mut self, out: &mut Vec<u8>, name: &QName) {
        let (_, pushed) = self.open(out, name, &[]);
        self.close_empty(out, pushed);
    }

    /// Writes `<name>escaped text</name>`.
    pub(crate) fn text_element(&mut self, out: &mut Vec<u8>, name: &QName, text: &str) {
        let (q, pushed) = self.open(out, name, &[]);
        out.push(b'>');
        escape_text(out, text);
        self.close(out, &q, pushed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escaping() {
        let mut v = Vec::new();
        escape_text(&mut v, "a<b>&c]]>\r\n\u{1}é");
        assert_eq!(
            String::from_utf8(v).unwrap(),
            "a&lt;b&gt;&amp;c]]&gt;&#13;\n\u{FFFD}é"
        );
        let mut v = Vec::new();
        escape_attr(&mut v, "\"x\"\t\n");
        assert_eq!(String::from_utf8(v).unwrap(), "&quot;x&quot;&#9;&#10;");
    }

    #[test]
    fn foreign_namespaces_declared_locally_and_reused_by_children() {
        let mut s = Scope::with_root_prefixes();
        let mut out = Vec::new();
        let inner = Node::Element(Element {
            name: QName::new("urn:x", "b"),
            attrs: vec![(QName::new("urn:y", "at"), "v".into())],
            children: vec![Node::Element(Element {
                name: QName::dav("href"),
                attrs: vec![],
                children: vec![],
            })],
        });
        s.write_tree(&mut out, &QName::new("urn:x", "a"), &[], &[inner]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"<X0:a xmlns:X0="urn:x"><X0:b xmlns:X1="urn:y" X1:at="v"><D:href/></X0:b></X0:a>"#
        );
        let mut s = Scope::standalone();
        let mut out = Vec::new();
        s.empty(&mut out, &QName::apple_ical("calendar-order"));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"<ICAL:calendar-order xmlns:ICAL="http://apple.com/ns/ical/"/>"#
        );
    }
}
