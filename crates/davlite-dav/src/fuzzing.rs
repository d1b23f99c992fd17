//! Entry points shared by the cargo-fuzz targets (`fuzz/fuzz_targets/dav_request.rs`,
//! `fuzz/fuzz_targets/dav_href.rs`) and the seeded tests in `cargo test`
//! (`tests/fuzz_seeded.rs`). Not API: hidden from the docs and free to change.

use std::sync::OnceLock;

use bytes::Bytes;
use davlite_store::{Durability, Options, Store};
use http::StatusCode;

use crate::href::{self, HrefError, Mounts};
use crate::{Dav, DavConfig, RequestContext};

/// One handler over an in-memory store for the whole fuzzing run: creating a store per input
/// would measure redb setup, not our code. Requests may change it; every input must still be
/// answered.
fn dav() -> &'static Dav {
    static DAV: OnceLock<Dav> = OnceLock::new();
    DAV.get_or_init(|| {
        let store = Store::in_memory(Options {
            durability: Durability::Relaxed,
            group_commit: false,
            owner_quota: Some(1 << 20),
            ..Options::default()
        })
        .expect("in-memory store");
        let dav = Dav::new(
            store,
            DavConfig {
                aliases: vec!["/caldav/".into()],
                trust_forwarded_prefix: true,
                max_body_bytes: 64 * 1024,
                ..DavConfig::default()
            },
        );
        dav.provision_user("alice").expect("provision");
        dav.provision_user("bob").expect("provision");
        dav
    })
}

const METHODS: &[&str] = &[
    "OPTIONS",
    "GET",
    "HEAD",
    "PUT",
    "DELETE",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "MKCALENDAR",
    "COPY",
    "MOVE",
    "REPORT",
    "POST",
    "LOCK",
    "BREW",
];

const PATHS: &[&str] = &[
    "/",
    "/dav/",
    "/dav/principals/alice/",
    "/dav/calendars/alice/",
    "/dav/calendars/alice/default/",
    "/dav/calendars/alice/default/a.ics",
    "/dav/calendars/alice/default",
    "/dav/addressbooks/alice/default/",
    "/dav/addressbooks/alice/default/c.vcf",
    "/caldav/calendars/alice/default/x%40y.ics",
    "/dav/calendars/bob/default/",
    "/dav/calendars/alice/new/",
    "/.well-known/caldav",
];

const HEADERS: &[&str] = &[
    "depth",
    "if-match",
    "if-none-match",
    "if",
    "destination",
    "overwrite",
    "content-type",
    "prefer",
    "brief",
    "accept",
    "user-agent",
    "x-forwarded-prefix",
    "if-schedule-tag-match",
];

/// Reads `data` as a request: a method, a path (one of ours, or raw bytes), up to eight headers
/// and a body, each field taken from the front of the input. The request goes through the
/// handler and the whole body is drained (streamed multistatus answers run after `handle`
/// returns). Panics if the handler panics or answers 500: client input never makes the store
/// fail, so a 500 means a refusal was mapped wrongly.
pub fn dav_request(data: &[u8]) {
    let mut rd = Input(data);
    let method = match rd.byte() {
        b if (b as usize) < METHODS.len() * 16 => METHODS[b as usize % METHODS.len()].to_string(),
        _ => rd.text(12),
    };
    let path = match rd.byte() {
        b if b < 200 => {
            let base = PATHS[b as usize % PATHS.len()];
            if b % 3 == 0 {
                format!("{base}{}", rd.text(24))
            } else {
                base.to_string()
            }
        }
        _ => format!("/{}", rd.text(48)),
    };
    let Ok(method) = http::Method::from_bytes(method.as_bytes()) else {
        return;
    };
    let Ok(uri) = path.parse::<http::Uri>() else {
        return;
    };
    let mut b = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "localhost");
    let n = rd.byte() % 8;
    for _ in 0..n {
        let name = HEADERS[rd.byte() as usize % HEADERS.len()];
        let value = rd.text(40);
        if let Ok(v) = http::HeaderValue::from_str(&value) {
            b = b.header(name, v);
        }
    }
    let user = match rd.byte() % 8 {
        0 => None,
        1 => Some("bob".to_string()),
        _ => Some("alice".to_string()),
    };
    let Ok(req) = b.body(Bytes::copy_from_slice(rd.rest())) else {
        return;
    };
    let resp = dav().handle(req, &RequestContext { user });
    let status = resp.status();
    let _ = resp.into_body().into_bytes();
    assert_ne!(
        status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "client input answered 500"
    );
}

/// Decodes `data` as a request path and as a body href under a base and an alias; whatever
/// decodes must encode back to an href that decodes to the same segments under the same prefix.
pub fn href(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mounts = Mounts::new("/caldav.php/", &["/caldav/".to_string()]);
    let (forwarded, path) = match text.split_once('\n') {
        Some((f, p)) => (Some(f), p),
        None => (None, text),
    };
    for decoded in [
        mounts.decode(path, forwarded),
        mounts.decode_href(path, forwarded),
    ] {
        let d = match decoded {
            Ok(d) => d,
            Err(HrefError::Foreign | HrefError::Hostile(_)) => continue,
        };
        for s in &d.segments {
            assert!(
                !s.contains('/') && s != "." && s != "..",
                "{s:?} survived decoding"
            );
            assert!(!s.chars().any(char::is_control));
        }
        let segs: Vec<&str> = d.segments.iter().map(String::as_str).collect();
        let out = href::href(&d.prefix, &segs, d.trailing_slash);
        assert!(out.starts_with('/'), "{out}");
        let again = mounts
            .decode_href(&out, forwarded)
            .unwrap_or_else(|e| panic!("{out:?} from {path:?} does not decode: {e:?}"));
        assert_eq!(again.segments, d.segments, "{out:?} from {path:?}");
        assert_eq!(again.prefix, d.prefix, "{out:?} from {path:?}");
    }
}

/// A cursor over the fuzzer's bytes; past the end it yields zeros.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    /// Up to `max` bytes as text (lossy), its length taken from the next byte.
    fn text(&mut self, max: usize) -> String {
        let n = (self.byte() as usize % (max + 1)).min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        String::from_utf8_lossy(head).into_owned()
    }

    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.0)
    }
}
