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

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

pub(crate) const XML_DECL: &[u8] = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

/// Bytes that may need attention in character data: C0 controls (escaped or forbidden), the
/// markup characters, and 0xEF (lead byte of U+FFFE / U+FFFF). Everything else is copied as is,
/// so the common all-clean case is one table lookup per byte.
const fn table(extra: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = !(i == 0x09 || i == 0x0a);
        i += 1;
    }
    t[b'&' as usize] = true;
    t[b'<' as usize] = true;
    t[b'>' as usize] = true;
    t[0xEF] = true;
    let mut j = 0;
    while j < extra.len() {
        t[extra[j] as usize] = true;
        j += 1;
    }
    t
}

static TEXT_SPECIAL: [bool; 256] = table(b"\r");
static ATTR_SPECIAL: [bool; 256] = table(b"\r\n\t\"");

/// Length in bytes of a character XML 1.0 forbids starting at `i`, or 0: the C0 controls other
/// than tab, LF and CR, and U+FFFE / U+FFFF (`EF BF BE` / `EF BF BF`).
#[inline]
fn forbidden_at(b: &[u8], i: usize) -> usize {
    match b[i] {
        b'\t' | b'\n' | b'\r' => 0,
        0..=0x1f => 1,
        0xEF if b.get(i + 1) == Some(&0xBF) && matches!(b.get(i + 2), Some(0xBE | 0xBF)) => 3,
        _ => 0,
    }
}

/// Byte offset of the first character XML 1.0 forbids, if any.
pub(crate) fn first_forbidden(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(k) = b[i..].iter().position(|&c| c < 0x20 || c == 0xEF) {
        i += k;
        if forbidden_at(b, i) > 0 {
            return Some(i);
        }
        i += 1;
    }
    None
}

const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

fn escape_with(out: &mut Vec<u8>, s: &str, table: &[bool; 256], rep: fn(u8) -> &'static [u8]) {
    let b = s.as_bytes();
    let mut last = 0;
    let mut i = 0;
    while let Some(k) = b[i..].iter().position(|&c| table[c as usize]) {
        i += k;
        let (r, len) = match forbidden_at(b, i) {
            0 => match rep(b[i]) {
                [] => {
                    i += 1;
                    continue;
                }
                r => (r, 1),
            },
            n => (REPLACEMENT, n),
        };
        out.extend_from_slice(&b[last..i]);
        out.extend_from_slice(r);
        i += len;
        last = i;
    }
    out.extend_from_slice(&b[last..]);
}

/// Escapes character data. `\r` becomes `&#13;` so the CRLF line ends of iCalendar and vCard
/// data survive XML line-end normalisation in the client's parser; `>` is escaped so a `]]>` in
/// the data can never end a CDATA section a client-side tool might wrap it in.
pub fn escape_text(out: &mut Vec<u8>, s: &str) {
    escape_with(out, s, &TEXT_SPECIAL, |c| match c {
        b'&' => b"&amp;",
        b'<' => b"&lt;",
        b'>' => b"&gt;",
        b'\r' => b"&#13;",
        _ => b"",
    })
}

/// Escapes an attribute value written between double quotes; whitespace other than a space is
/// written as a reference so attribute-value normalisation cannot change it.
pub fn escape_attr(out: &mut Vec<u8>, s: &str) {
    escape_with(out, s, &ATTR_SPECIAL, |c| match c {
        b'&' => b"&amp;",
        b'<' => b"&lt;",
        b'>' => b"&gt;",
        b'"' => b"&quot;",
        b'\r' => b"&#13;",
        b'\n' => b"&#10;",
        b'\t' => b"&#9;",
        _ => b"",
    })
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
        // Bound to `xml` by definition, and may not be declared (Namespaces in XML §3).
        if ns.as_str() == XML_NS {
            return Cow::Borrowed("xml");
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

    /// The XML 1.0 `Char` production, the reference `first_forbidden` is checked against.
    fn is_xml_char(c: char) -> bool {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
    }

    #[test]
    fn text_escaping() {
        let mut v = Vec::new();
        escape_text(
            &mut v,
            "a<b>&c]]>\r\n\u{1}é\u{FFFF}\u{FFFE}\u{FFFD}\u{EFFFF}x",
        );
        assert_eq!(
            String::from_utf8(v).unwrap(),
            "a&lt;b&gt;&amp;c]]&gt;&#13;\n\u{FFFD}é\u{FFFD}\u{FFFD}\u{FFFD}\u{EFFFF}x"
        );
        for c in [
            '\u{0}',
            '\u{1f}',
            '\t',
            'a',
            '\u{7f}',
            '\u{D7FF}',
            '\u{FFFE}',
            '\u{FFFF}',
            '\u{10FFFF}',
        ] {
            let s = c.to_string();
            assert_eq!(first_forbidden(&s).is_none(), is_xml_char(c), "{c:?}");
        }
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
