//! Test fixture: a real store file in a temp dir behind the DAV handler, and a tiny request API.
#![allow(dead_code)]

use bytes::Bytes;
use davlite_dav::{Dav, DavConfig, RequestContext};
use davlite_store::{Options, Store};

pub struct Fixture {
    pub dav: Dav,
    pub _dir: tempfile::TempDir,
}

pub struct Resp {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn etag(&self) -> String {
        self.header("etag").expect("etag header").to_string()
    }
    #[track_caller]
    pub fn assert_status(&self, code: u16) -> &Self {
        assert_eq!(self.status, code, "unexpected status; body:\n{}", self.body);
        self
    }
    #[track_caller]
    pub fn assert_contains(&self, needle: &str) -> &Self {
        assert!(
            self.body.contains(needle),
            "body lacks {needle:?}:\n{}",
            self.body
        );
        self
    }
    #[track_caller]
    pub fn assert_lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.body.contains(needle),
            "body has {needle:?}:\n{}",
            self.body
        );
        self
    }
    /// Every `<D:href>` text in the body.
    pub fn hrefs(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(i) = rest.find("<D:href>") {
            let after = &rest[i + 8..];
            let j = after.find("</D:href>").expect("closed href");
            out.push(after[..j].to_string());
            rest = &after[j..];
        }
        out
    }
}

/// Relaxed durability: for tests that write thousands of objects.
pub fn fast_fixture() -> Fixture {
    fixture_opts(
        DavConfig::default(),
        Options {
            durability: davlite_store::Durability::Relaxed,
            ..Options::default()
        },
    )
}

pub fn fixture() -> Fixture {
    fixture_with(DavConfig::default())
}

pub fn fixture_with(config: DavConfig) -> Fixture {
    fixture_opts(config, Options::default())
}

/// A fixture with store options of its own: an owner quota, or relaxed durability for tests that
/// write thousands of objects (same code paths, no fsync per write).
pub fn fixture_opts(config: DavConfig, options: Options) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("data.redb"), options).expect("store");
    let dav = Dav::new(store, config);
    dav.provision_user("alice").expect("provision");
    dav.provision_user("bob").expect("provision");
    Fixture { dav, _dir: dir }
}

impl Fixture {
    pub fn req(&self, method: &str, uri: &str, headers: &[(&str, &str)], body: &str) -> Resp {
        self.req_as(Some("alice"), method, uri, headers, body.as_bytes())
    }

    pub fn req_as(
        &self,
        user: Option<&str>,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Resp {
        let mut b = http::Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "localhost");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b.body(Bytes::copy_from_slice(body)).expect("request");
        let ctx = RequestContext {
            user: user.map(str::to_string),
        };
        let resp = self.dav.handle(req, &ctx);
        let (parts, body) = resp.into_parts();
        Resp {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: String::from_utf8_lossy(&body.into_bytes()).into_owned(),
        }
    }

    pub fn put_event(&self, uri: &str, uid: &str, extra_headers: &[(&str, &str)]) -> Resp {
        let mut h = vec![("content-type", "text/calendar; charset=utf-8")];
        h.extend_from_slice(extra_headers);
        self.req("PUT", uri, &h, &event(uid, "20240105T100000Z"))
    }

    pub fn propfind(&self, uri: &str, depth: &str, props: &str) -> Resp {
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CR="urn:ietf:params:xml:ns:carddav" xmlns:CS="http://calendarserver.org/ns/"><D:prop>{props}</D:prop></D:propfind>"#
        );
        self.req(
            "PROPFIND",
            uri,
            &[("depth", depth), ("content-type", "application/xml")],
            &body,
        )
    }
}

pub const CAL: &str = "/dav/calendars/alice/default/";
pub const BOOK: &str = "/dav/addressbooks/alice/default/";

pub fn event(uid: &str, start: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:{start}\r\nDURATION:PT1H\r\nSUMMARY:Test {uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

pub fn vcard(uid: &str, fname: &str) -> String {
    format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{fname}\r\nN:{fname};;;;\r\nEND:VCARD\r\n"
    )
}

pub fn sync_body(token: &str, props: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop>{props}</D:prop></D:sync-collection>"#
    )
}

/// The text of the last `<D:sync-token>` in a body: the report's own token, which follows every
/// response (a `sync-token` property of a member comes before it).
pub fn sync_token(body: &str) -> String {
    let i = body.rfind("<D:sync-token>").expect("sync-token") + 14;
    let j = body[i..].find("</D:sync-token>").expect("closed");
    body[i..i + j].to_string()
}

impl Resp {
    /// Every `<D:response>` element of a multistatus, in order, as text.
    pub fn responses(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(i) = rest.find("<D:response>") {
            let after = &rest[i..];
            let j = after.find("</D:response>").expect("closed response") + 13;
            out.push(after[..j].to_string());
            rest = &after[j..];
        }
        out
    }

    /// The `<D:response>` whose first href is exactly `href`.
    #[track_caller]
    pub fn response(&self, href: &str) -> String {
        let needle = format!("<D:href>{href}</D:href>");
        self.responses()
            .into_iter()
            .find(|r| r.starts_with(&format!("<D:response>{needle}")))
            .unwrap_or_else(|| panic!("no response for {href}:\n{}", self.body))
    }
}

/// Everything the store holds for the fixture's users: every collection (with its sequence,
/// properties and limits) and every object (name, ETag, sequence). Equal before and after a
/// refused request means the refusal changed nothing.
#[derive(Debug, PartialEq)]
pub struct StoreState(Vec<String>);

impl Fixture {
    pub fn state(&self) -> StoreState {
        let store = self.dav.store();
        let mut out = Vec::new();
        let mut stack: Vec<String> = vec!["calendars".into(), "addressbooks".into()];
        while let Some(path) = stack.pop() {
            let Some(c) = store.collection(&path).expect("collection") else {
                continue;
            };
            out.push(format!("{c:?}"));
            for (name, meta) in store.list(&path).expect("list") {
                out.push(format!("{path}/{name} {} {}", meta.etag, meta.seq));
            }
            for child in store.children(&path).expect("children") {
                stack.push(child.path.clone());
            }
        }
        out.push(format!("{:?}", store.usage("alice").expect("usage")));
        StoreState(out)
    }

    pub fn report(&self, uri: &str, depth: Option<&str>, body: &str) -> Resp {
        let mut h = vec![("content-type", "application/xml; charset=utf-8")];
        if let Some(d) = depth {
            h.push(("depth", d));
        }
        self.req("REPORT", uri, &h, body)
    }

    pub fn propfind_body(
        &self,
        uri: &str,
        depth: &str,
        body: &str,
        extra: &[(&str, &str)],
    ) -> Resp {
        let mut h = vec![("depth", depth), ("content-type", "text/xml")];
        h.extend_from_slice(extra);
        self.req("PROPFIND", uri, &h, body)
    }

    pub fn put_card(&self, uri: &str, uid: &str, extra_headers: &[(&str, &str)]) -> Resp {
        let mut h = vec![("content-type", "text/vcard; charset=utf-8")];
        h.extend_from_slice(extra_headers);
        self.req("PUT", uri, &h, &vcard(uid, uid))
    }
}

/// A weekly event starting at `start` (recurring, no end).
pub fn weekly_event(uid: &str, start: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:{start}\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY\r\nSUMMARY:Weekly {uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// The text between `<open>` and the matching close tag of the first `tag` element.
pub fn element_text(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let i = body.find(&open)? + open.len();
    let j = body[i..].find(&close)?;
    Some(body[i..i + j].to_string())
}
