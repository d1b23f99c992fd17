//! What the engine reads of the server's XML (multistatus and error bodies) and the request
//! bodies it sends. Multistatus answers are walked event by event and handed over one
//! `<response>` at a time, so a 100,000-member listing never becomes a tree in memory.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::Event;
use quick_xml::name::{NamespaceResolver, ResolveResult};

use crate::error::SyncError;

pub const DAV: &str = "DAV:";
pub const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
pub const CARDDAV: &str = "urn:ietf:params:xml:ns:carddav";
pub const APPLE: &str = "http://apple.com/ns/ical/";

/// One property of a `<response>`, with the status of its propstat.
#[derive(Debug, Clone, Default)]
pub struct Prop {
    pub ns: Cow<'static, str>,
    pub local: Cow<'static, str>,
    pub status: u16,
    /// All character data inside the property.
    pub text: String,
    /// Names of the property's child elements (`resourcetype`, `supported-report-set` hold
    /// their values there), and of their descendants.
    pub children: Vec<(String, String)>,
    /// Text of every `DAV:href` inside the property.
    pub hrefs: Vec<String>,
}

/// One `<response>` of a multistatus.
#[derive(Debug, Clone, Default)]
pub struct Item {
    pub href: String,
    /// The response-level status (`<response><href/><status/>`), as for a deleted member in
    /// a sync-collection answer.
    pub status: Option<u16>,
    pub props: Vec<Prop>,
}

impl Item {
    /// A property found (2xx) in this response.
    pub fn prop(&self, ns: &str, local: &str) -> Option<&Prop> {
        self.props
            .iter()
            .find(|p| p.ns == ns && p.local == local && (200..300).contains(&p.status))
    }
    pub fn has_child(&self, ns: &str, local: &str, child_ns: &str, child: &str) -> bool {
        self.prop(ns, local)
            .is_some_and(|p| p.children.iter().any(|(n, l)| n == child_ns && l == child))
    }
}

enum Ev<'a> {
    Start(&'a str, &'a str),
    End,
    Text(&'a str),
}

/// A parse error, or the failure of the body under the parser (a dropped connection).
fn read_failed(what: &str, e: quick_xml::Error) -> SyncError {
    match e {
        quick_xml::Error::Io(io) => io_failed(what, &io),
        e => bad(what, e),
    }
}

/// The failure of the body under the parser.
fn io_failed(what: &str, e: &std::io::Error) -> SyncError {
    match crate::http::BodyFailure::from_io(e) {
        Some(failure) => failure.error(),
        None => bad(what, e),
    }
}

fn bad(what: &str, detail: impl std::fmt::Display) -> SyncError {
    SyncError::BadAnswer {
        what: what.to_string(),
        detail: detail.to_string(),
    }
}

/// Borrowed when valid UTF-8 (as names always are), without the lossy decoder's walk; the
/// names every answer repeats are matched as bytes, without a UTF-8 check each.
fn utf8(b: &[u8]) -> Cow<'_, str> {
    if let Some(known) = KNOWN.iter().find(|k| k.as_bytes() == b) {
        return Cow::Borrowed(known);
    }
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// Walks a document event by event. The character data after each piece of markup is read
/// here, up to the next `<`, through quick-xml's own stream (so its positions stay right) and
/// decoded in one pass: a body arrives as one text instead of two events per line (its text
/// and the `&#13;` of its CR), which halves the events of a listing with bodies.
fn walk(
    body: impl std::io::BufRead,
    what: &str,
    mut f: impl FnMut(Ev<'_>) -> Result<(), SyncError>,
) -> Result<(), SyncError> {
    let mut reader = Reader::from_reader(body);
    let mut ns = NamespaceResolver::default();
    // An element's namespace scope ends once its end (or empty element) has been handed over.
    let mut pop = false;
    let mut buf = Vec::new();
    let mut raw = Vec::new();
    let mut text = Vec::new();
    loop {
        if std::mem::take(&mut pop) {
            ns.pop();
        }
        buf.clear();
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| read_failed(what, e))?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                ns.push(e).map_err(|e| bad(what, e))?;
                let (r, local) = ns.resolve_element(e.name());
                // Borrowed, not copied, when valid UTF-8 (as it always is).
                let ns = match &r {
                    ResolveResult::Bound(ns) => utf8(ns.as_ref()),
                    _ => Cow::Borrowed(""),
                };
                f(Ev::Start(&ns, &utf8(local.as_ref())))?;
                if matches!(ev, Event::Empty(_)) {
                    f(Ev::End)?;
                    pop = true;
                }
            }
            Event::End(_) => {
                f(Ev::End)?;
                pop = true;
            }
            Event::CData(c) => {
                let s = c.xml10_content().map_err(|e| bad(what, e))?;
                f(Ev::Text(&s))?;
            }
            Event::Comment(_) | Event::PI(_) | Event::Decl(_) | Event::DocType(_) => {}
            // Only text before the first markup comes as events (the rest is read below).
            Event::Text(t) => {
                let s = t.xml10_content().map_err(|e| bad(what, e))?;
                f(Ev::Text(&s))?;
                continue;
            }
            Event::GeneralRef(g) => {
                let raw = [b"&", g.as_ref(), b";"].concat();
                f(Ev::Text(decoded(&raw, &mut text, what)?))?;
                continue;
            }
            Event::Eof => return Ok(()),
        }
        // After markup the parser stands before character data: read it up to the next markup.
        read_char_data(&mut reader.stream(), &mut raw).map_err(|e| io_failed(what, &e))?;
        if !raw.is_empty() {
            f(Ev::Text(decoded(&raw, &mut text, what)?))?;
        }
    }
}

/// Character data `raw` decoded (see [`char_data`]) into `out`, as text.
fn decoded<'t>(raw: &[u8], out: &'t mut Vec<u8>, what: &str) -> Result<&'t str, SyncError> {
    char_data(raw, out).map_err(|e| bad(what, e))?;
    std::str::from_utf8(out).map_err(|e| bad(what, e))
}

/// Reads what comes before the next `<` (left unread) or the end into `raw`.
fn read_char_data(r: &mut impl std::io::BufRead, raw: &mut Vec<u8>) -> std::io::Result<()> {
    raw.clear();
    loop {
        let chunk = match r.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(());
        }
        match memchr::memchr(b'<', chunk) {
            Some(i) => {
                raw.extend_from_slice(&chunk[..i]);
                r.consume(i);
                return Ok(());
            }
            None => {
                let n = chunk.len();
                raw.extend_from_slice(chunk);
                r.consume(n);
            }
        }
    }
}

/// Character data as XML 1.0 gives it to an application: line ends normalized first (CRLF
/// and a lone CR become LF, §2.11), then character and predefined entity references
/// resolved, so the CR of a `&#13;` survives.
fn char_data(raw: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    out.clear();
    let mut rest = raw;
    while let Some(i) = memchr::memchr2(b'&', b'\r', rest) {
        out.extend_from_slice(&rest[..i]);
        if rest[i] == b'\r' {
            out.push(b'\n');
            rest = &rest[i + 1..];
            if rest.first() == Some(&b'\n') {
                rest = &rest[1..];
            }
            continue;
        }
        let len = memchr::memchr(b';', &rest[i..]).ok_or("a reference without its ';'")?;
        let name = &rest[i + 1..i + len];
        match name {
            b"#13" => out.push(b'\r'),
            b"amp" => out.push(b'&'),
            b"lt" => out.push(b'<'),
            b"gt" => out.push(b'>'),
            b"quot" => out.push(b'"'),
            b"apos" => out.push(b'\''),
            _ => {
                let c = char_ref(name).ok_or_else(|| {
                    format!("unknown reference &{};", String::from_utf8_lossy(name))
                })?;
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            }
        }
        rest = &rest[i + len + 1..];
    }
    out.extend_from_slice(rest);
    Ok(())
}

/// `#65` or `#x41` -> 'A'; `None` for anything else, NUL and a surrogate included.
fn char_ref(name: &[u8]) -> Option<char> {
    let digits = name.strip_prefix(b"#")?;
    let (digits, radix) = match digits.strip_prefix(b"x") {
        Some(hex) => (hex, 16),
        None => (digits, 10),
    };
    if digits.is_empty() || !digits.iter().all(|b| (*b as char).is_digit(radix)) {
        return None;
    }
    let n = u32::from_str_radix(std::str::from_utf8(digits).ok()?, radix).ok()?;
    char::from_u32(n).filter(|c| *c != '\0')
}

/// The namespaces and element names of every multistatus.
const KNOWN: &[&str] = &[
    DAV,
    CALDAV,
    CARDDAV,
    "response",
    "href",
    "propstat",
    "prop",
    "status",
    "getetag",
    "calendar-data",
    "address-data",
    "multistatus",
    "sync-token",
];

/// The namespaces and property names every answer repeats, without an allocation each.
const INTERNED: &[&str] = &[
    DAV,
    CALDAV,
    CARDDAV,
    APPLE,
    "getetag",
    "calendar-data",
    "address-data",
    "resourcetype",
];

fn interned(s: &str) -> Cow<'static, str> {
    match INTERNED.iter().find(|i| **i == s) {
        Some(i) => Cow::Borrowed(i),
        None => Cow::Owned(s.to_string()),
    }
}

/// `HTTP/1.1 404 Not Found` -> 404.
pub fn status_code(line: &str) -> Option<u16> {
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Walks a multistatus, calling `each` per `<response>`; returns the `DAV:sync-token` of the
/// answer, if any.
pub fn multistatus(
    body: impl std::io::BufRead,
    what: &str,
    mut each: impl FnMut(Item) -> Result<(), SyncError>,
) -> Result<Option<String>, SyncError> {
    // Path of open elements as (in DAV:, local name), `depth` of them; the entries past it are
    // spares whose buffers the next elements reuse, so a listing of 100,000 members does not
    // allocate a name per element.
    let mut stack: Vec<(bool, String)> = Vec::new();
    let mut depth = 0;
    let mut item: Option<Item> = None;
    let mut pending: Vec<Prop> = Vec::new();
    let mut prop: Option<Prop> = None;
    let mut text = String::new();
    // Text directly inside the open property (a body, an ETag), gathered here and copied into
    // the property once, at its exact size, instead of growing the property's own string a
    // fragment at a time (a body arrives as a fragment per line and per `&#13;`).
    let mut direct = String::new();
    let mut token = None;
    let mut saw_root = false;
    // The open propstat's status: it applies to the props around it, before or after (Xandikos
    // writes it first).
    let mut propstat_status = None;
    walk(body, what, |ev| {
        match ev {
            Ev::Start(ns, local) => {
                text.clear();
                if depth == 0 {
                    if !(ns == DAV && local == "multistatus") {
                        return Err(bad(
                            what,
                            format!("root element {local} is not multistatus"),
                        ));
                    }
                    saw_root = true;
                } else if depth == 1 && ns == DAV && local == "response" {
                    item = Some(Item::default());
                } else if depth == 4 && stack[2].1 == "propstat" && stack[3].1 == "prop" {
                    prop = Some(Prop {
                        ns: interned(ns),
                        local: interned(local),
                        ..Prop::default()
                    });
                } else if depth > 4 {
                    if let Some(p) = prop.as_mut() {
                        p.text.push_str(&direct);
                        direct.clear();
                        p.children.push((ns.to_string(), local.to_string()));
                    }
                }
                if depth == stack.len() {
                    stack.push((false, String::new()));
                }
                let open = &mut stack[depth];
                open.0 = ns == DAV;
                open.1.clear();
                open.1.push_str(local);
                depth += 1;
            }
            Ev::Text(t) => match prop.as_mut() {
                // Directly inside a property (a body, an ETag): only the property keeps it (see
                // `direct`), so a body is copied once.
                Some(_) if depth == 5 => direct.push_str(t),
                Some(p) => {
                    p.text.push_str(t);
                    text.push_str(t);
                }
                None => text.push_str(t),
            },
            Ev::End => {
                if depth == 0 {
                    return Ok(());
                }
                depth -= 1;
                let (is_dav, local) = (stack[depth].0, stack[depth].1.as_str());
                match (depth, local) {
                    (1, "sync-token") if is_dav => token = Some(text.trim().to_string()),
                    (1, "response") if is_dav => {
                        if let Some(it) = item.take() {
                            each(it)?;
                        }
                    }
                    (2, "href") if is_dav => {
                        if let Some(it) = item.as_mut() {
                            if it.href.is_empty() {
                                it.href = text.trim().to_string();
                            }
                        }
                    }
                    (2, "status") if is_dav => {
                        if let Some(it) = item.as_mut() {
                            it.status = status_code(text.trim());
                        }
                    }
                    (3, "status") if is_dav && stack[2].1 == "propstat" => {
                        propstat_status = Some(status_code(text.trim()).unwrap_or(500));
                    }
                    (2, "propstat") if is_dav => {
                        // A propstat without status: its props as found.
                        let code = propstat_status.take().unwrap_or(200);
                        if let Some(it) = item.as_mut() {
                            for mut p in pending.drain(..) {
                                p.status = code;
                                it.props.push(p);
                            }
                        }
                    }
                    (4, _) => {
                        if let Some(mut p) = prop.take() {
                            if p.text.is_empty() {
                                p.text = direct.as_str().to_owned();
                            } else {
                                p.text.push_str(&direct);
                            }
                            pending.push(p);
                        }
                        direct.clear();
                    }
                    (d, "href") if d > 4 && is_dav => {
                        if let Some(p) = prop.as_mut() {
                            p.hrefs.push(text.trim().to_string());
                        }
                    }
                    _ => {}
                }
                text.clear();
            }
        }
        Ok(())
    })?;
    if !saw_root {
        return Err(bad(what, "empty answer"));
    }
    Ok(token)
}

/// The conditions of a `DAV:error` body: (namespace, name, hrefs inside).
pub fn error_conditions(body: &[u8]) -> Vec<(String, String, Vec<String>)> {
    let mut out: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut depth = 0usize;
    let mut text = String::new();
    let mut root_ok = false;
    let _ = walk(body, "error body", |ev| {
        match ev {
            Ev::Start(ns, local) => {
                if depth == 0 {
                    root_ok = ns == DAV && local == "error";
                } else if depth == 1 && root_ok {
                    out.push((ns.to_string(), local.to_string(), Vec::new()));
                }
                depth += 1;
                text.clear();
            }
            Ev::Text(t) => text.push_str(t),
            Ev::End => {
                depth = depth.saturating_sub(1);
                if depth >= 2 && root_ok {
                    if let Some(last) = out.last_mut() {
                        let t = text.trim();
                        if t.starts_with('/') || t.starts_with("http") {
                            last.2.push(t.to_string());
                        }
                    }
                }
                text.clear();
            }
        }
        Ok(())
    });
    out
}

pub fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

pub const PROPFIND_PRINCIPAL: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:current-user-principal/><D:resourcetype/></D:prop></D:propfind>"#;

pub const PROPFIND_HOMES: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:A="urn:ietf:params:xml:ns:carddav"><D:prop><C:calendar-home-set/><A:addressbook-home-set/></D:prop></D:propfind>"#;

/// The collections of a home and what sync needs of each. No `getctag` or `sync-token`: a
/// server may compute them by reading every member (Radicale 3.9 takes 1.3 s at 10,000 events
/// for the two), and the sync-collection REPORT that follows returns the token anyway.
pub const PROPFIND_COLLECTIONS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:A="urn:ietf:params:xml:ns:carddav" xmlns:I="http://apple.com/ns/ical/"><D:prop><D:resourcetype/><D:displayname/><I:calendar-color/><C:calendar-description/><A:addressbook-description/><D:supported-report-set/></D:prop></D:propfind>"#;

pub const PROPFIND_ETAGS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getetag/></D:prop></D:propfind>"#;

/// A sync-collection REPORT from `token` (`None`: the initial one) asking for each member's
/// ETag and, with `data` as (namespace, name), its body too (`calendar-data` or
/// `address-data`, RFC 6578 §3.2 lets it name any property).
pub fn sync_collection(token: Option<&str>, data: Option<(&str, &str)>) -> String {
    let data = data.map_or(String::new(), |(ns, local)| {
        format!(r#"<X:{local} xmlns:X="{ns}"/>"#)
    });
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:"><D:sync-token>{}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/>{data}</D:prop></D:sync-collection>"#,
        escape(token.unwrap_or(""))
    )
}

/// A calendar-multiget or addressbook-multiget of `hrefs` (wire form).
pub fn multiget(calendar: bool, hrefs: &[String]) -> String {
    let (ns, report, data) = if calendar {
        (CALDAV, "calendar-multiget", "calendar-data")
    } else {
        (CARDDAV, "addressbook-multiget", "address-data")
    };
    let mut s = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<X:{report} xmlns:D="DAV:" xmlns:X="{ns}"><D:prop><D:getetag/><X:{data}/></D:prop>"#
    );
    for h in hrefs {
        s.push_str("<D:href>");
        s.push_str(&quick_xml::escape::escape(h.as_str()));
        s.push_str("</D:href>");
    }
    s.push_str(&format!("</X:{report}>"));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multistatus_hands_over_each_response() {
        let body = br#"<?xml version="1.0"?>
<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
 <d:response><d:href>/c/a.ics</d:href>
  <d:propstat><d:prop><d:getetag>"e1"</d:getetag><c:calendar-data>BEGIN:VCALENDAR&#13;
X&amp;Y</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
  <d:propstat><d:prop><d:displayname/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>
 </d:response>
 <d:response><d:href>/c/b.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>
 <d:sync-token>tok-2</d:sync-token>
</d:multistatus>"#;
        let mut items = Vec::new();
        let tok = multistatus(&body[..], "t", |i| {
            items.push(i);
            Ok(())
        })
        .unwrap();
        assert_eq!(tok.as_deref(), Some("tok-2"));
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].prop(DAV, "getetag").unwrap().text, "\"e1\"");
        assert_eq!(
            items[0].prop(CALDAV, "calendar-data").unwrap().text,
            "BEGIN:VCALENDAR\r\nX&Y"
        );
        assert!(items[0].prop(DAV, "displayname").is_none());
        assert_eq!(items[1].status, Some(404));
    }

    /// A propstat's status applies to its props whether it comes after them or, as Xandikos
    /// writes it, before: a property the server did not give is not taken as given.
    #[test]
    fn a_propstat_status_before_its_props_applies_to_them() {
        let body = br#"<ns0:multistatus xmlns:ns0="DAV:" xmlns:ns1="urn:ietf:params:xml:ns:caldav"><ns0:response><ns0:href>/c/x.ics</ns0:href><ns0:propstat><ns0:status>HTTP/1.1 200 OK</ns0:status><ns0:prop><ns0:getetag>"e"</ns0:getetag></ns0:prop></ns0:propstat><ns0:propstat><ns0:status>HTTP/1.1 404 Not Found</ns0:status><ns0:prop><ns1:calendar-data /></ns0:prop></ns0:propstat></ns0:response></ns0:multistatus>"#;
        let mut items = Vec::new();
        multistatus(&body[..], "t", |i| {
            items.push(i);
            Ok(())
        })
        .unwrap();
        let statuses: Vec<_> = items[0]
            .props
            .iter()
            .map(|p| (p.local.as_ref(), p.status))
            .collect();
        assert_eq!(statuses, [("getetag", 200), ("calendar-data", 404)]);
        assert!(items[0].prop(CALDAV, "calendar-data").is_none());
    }

    #[test]
    fn property_text_keeps_its_order_around_child_elements() {
        let body = br#"<d:multistatus xmlns:d="DAV:"><d:response><d:href>/c/</d:href><d:propstat><d:prop><d:x>a&amp;b<d:href>/h</d:href>c</d:x><d:y/></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>"#;
        let mut items = Vec::new();
        multistatus(&body[..], "t", |i| {
            items.push(i);
            Ok(())
        })
        .unwrap();
        let x = items[0].prop(DAV, "x").unwrap();
        assert_eq!(x.text, "a&b/hc");
        assert_eq!(x.hrefs, vec!["/h".to_string()]);
        assert_eq!(items[0].prop(DAV, "y").unwrap().text, "");
    }

    /// Line ends are normalized before references are resolved: a raw CR (alone or before
    /// LF) is a line end, `&#13;` is a CR that stays.
    #[test]
    fn character_data_is_decoded_as_xml_says() {
        let mut out = Vec::new();
        let mut decode =
            |raw: &[u8]| char_data(raw, &mut out).map(|()| String::from_utf8(out.clone()).unwrap());
        assert_eq!(decode(b"A&#13;\nB\r\nC\rD").unwrap(), "A\r\nB\nC\nD");
        assert_eq!(
            decode(b"&lt;&gt;&amp;&quot;&apos;&#x41;&#66;&#xe9;").unwrap(),
            "<>&\"'AB\u{e9}"
        );
        assert_eq!(decode(b"\r").unwrap(), "\n");
        assert_eq!(decode(b"").unwrap(), "");
        for bad in [
            &b"a & b"[..],
            b"&nbsp;",
            b"&#0;",
            b"&#xD800;",
            b"&#x;",
            b"&#+65;",
            b"&#1114112;",
        ] {
            assert!(decode(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    /// The character data is read from the stream in whatever pieces the body arrives in: a
    /// CRLF, a reference or a UTF-8 sequence cut in two reads the same.
    #[test]
    fn a_listing_reads_the_same_in_any_pieces() {
        let body = "<d:multistatus xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\">\r\n<d:response><d:href>/c/caf\u{e9}.ics</d:href><d:propstat><d:prop><d:getetag>&quot;e1&quot;</d:getetag><c:calendar-data>BEGIN:VCALENDAR&#13;\nSUMMARY:caf\u{e9} &amp; cr\u{e8}me\r\n<![CDATA[<x>]]>END&#13;\n</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response><!-- c --><d:sync-token>t&#x31;</d:sync-token></d:multistatus>\n";
        let read = |cap: usize| {
            let mut seen = Vec::new();
            let token = multistatus(
                std::io::BufReader::with_capacity(cap, body.as_bytes()),
                "t",
                |i| {
                    let p = |ns, l| i.prop(ns, l).unwrap().text.clone();
                    seen.push((
                        i.href.clone(),
                        p(DAV, "getetag"),
                        p(CALDAV, "calendar-data"),
                    ));
                    Ok(())
                },
            )
            .unwrap();
            (token, seen)
        };
        let whole = read(8192);
        assert_eq!(whole.0.as_deref(), Some("t1"));
        assert_eq!(
            whole.1,
            [(
                "/c/caf\u{e9}.ics".to_string(),
                "\"e1\"".to_string(),
                "BEGIN:VCALENDAR\r\nSUMMARY:caf\u{e9} & cr\u{e8}me\n<x>END\r\n".to_string()
            )]
        );
        for cap in [1, 2, 3, 7] {
            assert_eq!(read(cap), whole, "pieces of {cap}");
        }
    }

    #[test]
    fn ill_formed_character_data_is_a_bad_answer() {
        let body = br#"<d:multistatus xmlns:d="DAV:"><d:response><d:href>/c/a&bogus;</d:href></d:response></d:multistatus>"#;
        let err = multistatus(&body[..], "t", |_| Ok(())).unwrap_err();
        assert!(err.to_string().contains("bogus"), "{err}");
    }

    #[test]
    fn error_body_names_condition_and_href() {
        let body = br#"<D:error xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><C:no-uid-conflict><D:href>/c/x.ics</D:href></C:no-uid-conflict></D:error>"#;
        let c = error_conditions(body);
        assert_eq!(
            c,
            vec![(
                CALDAV.into(),
                "no-uid-conflict".into(),
                vec!["/c/x.ics".into()]
            )]
        );
    }
}
