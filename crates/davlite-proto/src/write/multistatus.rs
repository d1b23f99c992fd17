//! The 207 Multi-Status writer (RFC 4918 §13, §14.16). It appends whole `<D:response>` entries to
//! a byte buffer the caller drains as it goes, so a listing of 10,000 objects is streamed rather
//! than built in memory. Clients are strict about details here (clients/README.md item 10): the
//! 200 propstat comes first, and status lines are exactly `HTTP/1.1 200 OK` with no whitespace.

use std::borrow::Cow;

use bytes::Bytes;
use http::StatusCode;

use crate::qname::QName;
use crate::value::PropValue;
use crate::write::condition::Condition;
use crate::write::xml::{ROOT_NS_DECLS, Scope, XML_DECL, escape_attr, escape_text};

/// A small element tree for structured live properties (resourcetype, supported-report-set,
/// current-user-privilege-set, supported-calendar-component-set, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elem<'a> {
    pub name: QName,
    /// Attributes in no namespace (`name="VEVENT"`).
    pub attrs: Vec<(&'static str, Cow<'a, str>)>,
    pub children: Vec<Elem<'a>>,
    /// Text content, written after the children.
    pub text: Option<Cow<'a, str>>,
}

impl<'a> Elem<'a> {
    /// `<name/>`.
    pub fn empty(name: QName) -> Elem<'a> {
        Elem {
            name,
            attrs: Vec::new(),
            children: Vec::new(),
            text: None,
        }
    }

    /// `<name>text</name>`.
    pub fn text(name: QName, text: impl Into<Cow<'a, str>>) -> Elem<'a> {
        Elem {
            text: Some(text.into()),
            ..Elem::empty(name)
        }
    }

    /// Adds an attribute.
    pub fn attr(mut self, name: &'static str, value: impl Into<Cow<'a, str>>) -> Elem<'a> {
        self.attrs.push((name, value.into()));
        self
    }

    /// Adds a child.
    pub fn child(mut self, c: Elem<'a>) -> Elem<'a> {
        self.children.push(c);
        self
    }

    fn write(&self, scope: &mut Scope, out: &mut Vec<u8>) {
        let (q, pushed) = scope.open(out, &self.name, &[]);
        for (k, v) in &self.attrs {
            out.push(b' ');
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(b"=\"");
            escape_attr(out, v);
            out.push(b'"');
        }
        if self.children.is_empty() && self.text.is_none() {
            scope.close_empty(out, pushed);
            return;
        }
        out.push(b'>');
        for c in &self.children {
            c.write(scope, out);
        }
        if let Some(t) = &self.text {
            escape_text(out, t);
        }
        scope.close(out, &q, pushed);
    }
}

/// The content of one property in a propstat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropContent<'a> {
    /// `<name/>`: for 404/403/424 listings, PROPNAME answers and empty values.
    Empty,
    /// Escaped text: displayname, getetag, and calendar-data / address-data (CR is written as
    /// `&#13;` so CRLF line ends survive).
    Text(Cow<'a, str>),
    /// One or more `<D:href>` children (current-user-principal, calendar-home-set, owner, ...).
    Hrefs(Vec<Cow<'a, str>>),
    /// A dead property exactly as a client stored it (its attributes and content).
    Raw(&'a PropValue),
    /// Structured children.
    Elements(Vec<Elem<'a>>),
}

impl PropContent<'static> {
    /// `D:resourcetype` content: one empty element per type.
    pub fn resourcetype(types: &[QName]) -> Self {
        PropContent::Elements(types.iter().cloned().map(Elem::empty).collect())
    }

    /// `D:supported-report-set`: `<D:supported-report><D:report><X/></D:report></D:supported-report>`.
    pub fn supported_report_set(reports: &[QName]) -> Self {
        PropContent::Elements(
            reports
                .iter()
                .map(|r| {
                    Elem::empty(QName::dav("supported-report"))
                        .child(Elem::empty(QName::dav("report")).child(Elem::empty(r.clone())))
                })
                .collect(),
        )
    }

    /// `D:current-user-privilege-set`: `<D:privilege><X/></D:privilege>` per privilege.
    pub fn privilege_set(privileges: &[QName]) -> Self {
        PropContent::Elements(
            privileges
                .iter()
                .map(|p| Elem::empty(QName::dav("privilege")).child(Elem::empty(p.clone())))
                .collect(),
        )
    }

    /// `C:supported-calendar-component-set`: `<C:comp name="VEVENT"/>` per component.
    pub fn calendar_component_set(components: &[&str]) -> Self {
        PropContent::Elements(
            components
                .iter()
                .map(|c| Elem::empty(QName::caldav("comp")).attr("name", c.to_string()))
                .collect(),
        )
    }

    /// `C:supported-calendar-data`: `<C:calendar-data content-type="text/calendar" version="2.0"/>`.
    pub fn supported_calendar_data() -> Self {
        PropContent::Elements(vec![
            Elem::empty(QName::caldav("calendar-data"))
                .attr("content-type", "text/calendar")
                .attr("version", "2.0"),
        ])
    }

    /// `CR:supported-address-data`: one `<CR:address-data-type>` per vCard version.
    pub fn supported_address_data(versions: &[&str]) -> Self {
        PropContent::Elements(
            versions
                .iter()
                .map(|v| {
                    Elem::empty(QName::carddav("address-data-type"))
                        .attr("content-type", "text/vcard")
                        .attr("version", v.to_string())
                })
                .collect(),
        )
    }
}

/// One property and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prop<'a> {
    pub name: QName,
    pub value: PropContent<'a>,
}

impl<'a> Prop<'a> {
    pub fn new(name: QName, value: PropContent<'a>) -> Self {
        Prop { name, value }
    }

    /// A property with no content (name-only listings).
    pub fn empty(name: QName) -> Self {
        Prop::new(name, PropContent::Empty)
    }

    /// A text property.
    pub fn text(name: QName, text: impl Into<Cow<'a, str>>) -> Self {
        Prop::new(name, PropContent::Text(text.into()))
    }

    /// A property holding one `<D:href>`.
    pub fn href(name: QName, href: impl Into<Cow<'a, str>>) -> Self {
        Prop::new(name, PropContent::Hrefs(vec![href.into()]))
    }

    fn write(&self, scope: &mut Scope, out: &mut Vec<u8>) {
        if let PropContent::Raw(v) = &self.value {
            v.write(scope, out, &self.name);
            return;
        }
        let (q, pushed) = scope.open(out, &self.name, &[]);
        match &self.value {
            PropContent::Empty | PropContent::Raw(_) => {
                scope.close_empty(out, pushed);
                return;
            }
            PropContent::Text(t) if t.is_empty() => {
                scope.close_empty(out, pushed);
                return;
            }
            PropContent::Text(t) => {
                out.push(b'>');
                escape_text(out, t);
            }
            PropContent::Hrefs(hs) => {
                out.push(b'>');
                for h in hs {
                    write_href(out, h);
                }
            }
            PropContent::Elements(es) => {
                out.push(b'>');
                for e in es {
                    e.write(scope, out);
                }
            }
        }
        scope.close(out, &q, pushed);
    }
}

/// A group of properties sharing one status (and optionally an error element).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropStat<'a> {
    pub status: StatusCode,
    pub props: Vec<Prop<'a>>,
    /// `D:error` for this propstat (PROPPATCH of a protected property: 403 +
    /// `cannot-modify-protected-property`).
    pub error: Option<Condition>,
}

impl<'a> PropStat<'a> {
    pub fn new(status: StatusCode, props: Vec<Prop<'a>>) -> Self {
        PropStat {
            status,
            props,
            error: None,
        }
    }

    /// `200 OK` with these values.
    pub fn ok(props: Vec<Prop<'a>>) -> Self {
        PropStat::new(StatusCode::OK, props)
    }

    /// `404 Not Found` listing these names.
    pub fn not_found(names: impl IntoIterator<Item = QName>) -> Self {
        PropStat::new(
            StatusCode::NOT_FOUND,
            names.into_iter().map(Prop::empty).collect(),
        )
    }

    /// Adds an error element.
    pub fn with_error(mut self, cond: Condition) -> Self {
        self.error = Some(cond);
        self
    }
}

/// Writes `HTTP/1.1 <code> <reason>`.
pub(crate) fn write_status(out: &mut Vec<u8>, status: StatusCode) {
    out.extend_from_slice(b"<D:status>HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("Unknown").as_bytes());
    out.extend_from_slice(b"</D:status>");
}

fn write_href(out: &mut Vec<u8>, href: &str) {
    out.extend_from_slice(b"<D:href>");
    escape_text(out, href);
    out.extend_from_slice(b"</D:href>");
}

/// Writes propstats, successful ones first (stable otherwise).
pub(crate) fn write_propstats(scope: &mut Scope, out: &mut Vec<u8>, propstats: &[PropStat<'_>]) {
    let ordered = propstats
        .iter()
        .filter(|p| p.status.is_success())
        .chain(propstats.iter().filter(|p| !p.status.is_success()));
    for ps in ordered {
        out.extend_from_slice(b"<D:propstat>");
        if ps.props.is_empty() {
            out.extend_from_slice(b"<D:prop/>");
        } else {
            out.extend_from_slice(b"<D:prop>");
            for p in &ps.props {
                p.write(scope, out);
            }
            out.extend_from_slice(b"</D:prop>");
        }
        write_status(out, ps.status);
        if let Some(e) = &ps.error {
            e.write_error(scope, out);
        }
        out.extend_from_slice(b"</D:propstat>");
    }
}

/// Streams a `D:multistatus` document. Call the `response_*` methods, drain with
/// [`take_chunk`](Self::take_chunk) whenever [`buffered`](Self::buffered) is large enough, and
/// end with [`finish`](Self::finish), which returns the last chunk.
#[derive(Debug)]
pub struct MultistatusWriter {
    buf: Vec<u8>,
    sync_token: Option<String>,
}

impl Default for MultistatusWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl MultistatusWriter {
    /// Starts the document: XML declaration and the root with the short prefixes.
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(16 * 1024);
        buf.extend_from_slice(XML_DECL);
        buf.extend_from_slice(b"<D:multistatus");
        buf.extend_from_slice(ROOT_NS_DECLS.as_bytes());
        buf.push(b'>');
        MultistatusWriter {
            buf,
            sync_token: None,
        }
    }

    /// A `<D:response>` with propstats (successful ones written first).
    pub fn response_propstat(&mut self, href: &str, propstats: &[PropStat<'_>]) {
        let mut scope = Scope::with_root_prefixes();
        self.buf.extend_from_slice(b"<D:response>");
        write_href(&mut self.buf, href);
        write_propstats(&mut scope, &mut self.buf, propstats);
        self.buf.extend_from_slice(b"</D:response>");
    }

    /// A `<D:response>` with a response-level status (a removed member in a sync, a missing
    /// multiget href, the 507 of a truncated answer), optionally with an error element.
    pub fn response_status(&mut self, href: &str, status: StatusCode, error: Option<&Condition>) {
        let mut scope = Scope::with_root_prefixes();
        self.buf.extend_from_slice(b"<D:response>");
        write_href(&mut self.buf, href);
        write_status(&mut self.buf, status);
        if let Some(e) = error {
            e.write_error(&mut scope, &mut self.buf);
        }
        self.buf.extend_from_slice(b"</D:response>");
    }

    /// Sets the top-level `<D:sync-token>`; written by [`finish`](Self::finish) after the last
    /// response, where RFC 6578 §6.2 puts it.
    pub fn sync_token(&mut self, token: &str) {
        self.sync_token = Some(token.to_owned());
    }

    /// Bytes written and not yet taken.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Appends markup rendered earlier by [`render_props`] or [`render_propstats`]: a listing
    /// renders the parts every member shares once per request instead of once per member.
    pub fn push_raw(&mut self, xml: &[u8]) {
        self.buf.extend_from_slice(xml);
    }

    /// Appends character data, escaped.
    pub fn push_text(&mut self, text: &str) {
        escape_text(&mut self.buf, text);
    }

    /// Takes everything written so far, leaving the writer ready for more.
    pub fn take_chunk(&mut self) -> Bytes {
        let cap = self.buf.capacity();
        Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(cap)))
    }

    /// Closes the document and returns the remaining bytes.
    pub fn finish(mut self) -> Bytes {
        if let Some(t) = self.sync_token.take() {
            self.buf.extend_from_slice(b"<D:sync-token>");
            escape_text(&mut self.buf, &t);
            self.buf.extend_from_slice(b"</D:sync-token>");
        }
        self.buf.extend_from_slice(b"</D:multistatus>");
        Bytes::from(self.buf)
    }
}

/// The markup `props` get inside a response's `<D:prop>`, for [`MultistatusWriter::push_raw`].
pub fn render_props(props: &[Prop<'_>]) -> Vec<u8> {
    let mut scope = Scope::with_root_prefixes();
    let mut out = Vec::new();
    for p in props {
        p.write(&mut scope, &mut out);
    }
    out
}

/// The markup of `propstats` inside a response, for [`MultistatusWriter::push_raw`].
pub fn render_propstats(propstats: &[PropStat<'_>]) -> Vec<u8> {
    let mut scope = Scope::with_root_prefixes();
    let mut out = Vec::new();
    write_propstats(&mut scope, &mut out, propstats);
    out
}

/// A complete `D:mkcol-response` body (RFC 5689 §5.2): the outcome of each property of a failed
/// extended MKCOL.
pub fn mkcol_response(propstats: &[PropStat<'_>]) -> Bytes {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(XML_DECL);
    out.extend_from_slice(b"<D:mkcol-response");
    out.extend_from_slice(ROOT_NS_DECLS.as_bytes());
    out.push(b'>');
    write_propstats(&mut Scope::with_root_prefixes(), &mut out, propstats);
    out.extend_from_slice(b"</D:mkcol-response>");
    Bytes::from(out)
}

/// A complete XML document whose root is `root`: for the answers that are neither a
/// multistatus nor an error (`C:schedule-response`, `D:principal-search-property-set`). A root
/// in one of the well-known namespaces declares the short prefixes, as a multistatus does.
pub fn xml_document(root: &Elem<'_>) -> Bytes {
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(XML_DECL);
    let Some(prefix) = root.name.ns.fixed_prefix() else {
        root.write(&mut Scope::standalone(), &mut out);
        return Bytes::from(out);
    };
    let mut scope = Scope::with_root_prefixes();
    out.push(b'<');
    out.extend_from_slice(prefix.as_bytes());
    out.push(b':');
    out.extend_from_slice(root.name.local.as_bytes());
    out.extend_from_slice(ROOT_NS_DECLS.as_bytes());
    for (k, v) in &root.attrs {
        out.push(b' ');
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b"=\"");
        escape_attr(&mut out, v);
        out.push(b'"');
    }
    out.push(b'>');
    for c in &root.children {
        c.write(&mut scope, &mut out);
    }
    if let Some(t) = &root.text {
        escape_text(&mut out, t);
    }
    out.extend_from_slice(b"</");
    out.extend_from_slice(prefix.as_bytes());
    out.push(b':');
    out.extend_from_slice(root.name.local.as_bytes());
    out.push(b'>');
    Bytes::from(out)
}
