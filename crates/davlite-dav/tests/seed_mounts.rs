//! Seed 000: a client reached the server under a rewritten prefix, got hrefs under another
//! prefix, and lost events to 412s. With davlite every answer uses the prefix the request used.

use crate::common;
use common::*;
use davlite_dav::DavConfig;

fn mounted() -> Fixture {
    fixture_with(DavConfig {
        base: "/caldav.php/".into(),
        aliases: vec!["/caldav/".into()],
        ..Default::default()
    })
}

#[test]
fn seed_000_client_under_alias_never_sees_foreign_href_or_loses_events() {
    let f = mounted();
    let cal = "/caldav/calendars/alice/default/";
    let uri = format!("{cal}event-1.ics");
    // Create with If-None-Match: * under the alias.
    let put = f.put_event(&uri, "event-1", &[("if-none-match", "*")]);
    put.assert_status(201);
    let etag = put.etag();

    // List the calendar: the member is under the alias, with the same ETag.
    let list = f.propfind(cal, "1", "<D:getetag/>");
    list.assert_status(207);
    for h in list.hrefs() {
        assert!(h.starts_with("/caldav/"), "href under another prefix: {h}");
    }
    assert!(list.hrefs().contains(&uri));
    list.assert_contains(&etag);

    // Multiget it.
    let mg = format!(
        r#"<?xml version="1.0"?><C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop><D:href>{uri}</D:href></C:calendar-multiget>"#
    );
    let r = f.req("REPORT", cal, &[("depth", "1")], &mg);
    r.assert_status(207).assert_contains("UID:event-1");
    assert_eq!(r.hrefs(), vec![uri.clone()]);

    // Sync with a token: hrefs under the alias.
    let s = f.req(
        "REPORT",
        cal,
        &[("depth", "1")],
        &sync_body("", "<D:getetag/>"),
    );
    s.assert_status(207);
    assert!(
        s.hrefs().iter().all(|h| h.starts_with("/caldav/")),
        "{:?}",
        s.hrefs()
    );
    let token = sync_token(&s.body);

    // Create again: the one legitimate 412, with the ETag.
    let again = f.put_event(&uri, "event-1", &[("if-none-match", "*")]);
    again.assert_status(412);
    assert_eq!(again.etag(), etag);

    // Update with the ETag it got: success.
    let upd = f.req(
        "PUT",
        &uri,
        &[("content-type", "text/calendar"), ("if-match", &etag)],
        &event("event-1", "20240106T090000Z"),
    );
    upd.assert_status(204);

    // The same resource under the canonical base; nothing duplicated, nothing lost.
    let canon = f.propfind("/caldav.php/calendars/alice/default/", "1", "<D:getetag/>");
    assert!(canon.hrefs().iter().all(|h| h.starts_with("/caldav.php/")));
    assert_eq!(canon.hrefs().len(), 2);
    let inc = f.req(
        "REPORT",
        cal,
        &[("depth", "1")],
        &sync_body(&token, "<D:getetag/>"),
    );
    assert_eq!(inc.hrefs(), vec![uri.clone()]);
    let discovery = f.propfind("/caldav/", "0", "<D:current-user-principal/>");
    discovery.assert_contains("<D:href>/caldav/principals/alice/</D:href>");
}

#[test]
fn trusted_forwarded_prefix_is_used_in_hrefs() {
    let f = fixture_with(DavConfig {
        trust_forwarded_prefix: true,
        ..Default::default()
    });
    let r = f.req(
        "PROPFIND",
        "/dav/principals/alice/",
        &[("depth", "0"), ("x-forwarded-prefix", "/proxy")],
        r#"<D:propfind xmlns:D="DAV:"><D:prop><D:principal-URL/></D:prop></D:propfind>"#,
    );
    r.assert_contains("<D:href>/proxy/dav/principals/alice/</D:href>");
    let untrusted = fixture();
    untrusted
        .req(
            "PROPFIND",
            "/dav/principals/alice/",
            &[("depth", "0"), ("x-forwarded-prefix", "/proxy")],
            r#"<D:propfind xmlns:D="DAV:"><D:prop><D:principal-URL/></D:prop></D:propfind>"#,
        )
        .assert_lacks("/proxy");
}

#[test]
fn names_with_special_characters_round_trip_in_every_encoding() {
    let f = fixture();
    let names = [
        "a@b.ics",
        "x y.ics",
        "p+q.ics",
        "c:d.ics",
        "été.ics",
        "100%.ics",
    ];
    for (i, n) in names.iter().enumerate() {
        let enc: String = n
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b == b'.' {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        f.put_event(
            &format!("{CAL}{enc}"),
            &format!("uid-{i}-{n}"),
            &[("if-none-match", "*")],
        )
        .assert_status(201);
        // Lower-case hex reaches the same resource.
        f.req("GET", &format!("{CAL}{}", lower_hex(&enc)), &[], "")
            .assert_status(200);
        f.req("GET", &format!("{CAL}{enc}"), &[], "")
            .assert_status(200);
    }
    let list = f.propfind(CAL, "1", "<D:getetag/>");
    let hrefs = list.hrefs();
    assert_eq!(hrefs.len(), names.len() + 1);
    // Each listed href decodes to a name we stored and fetches it.
    for h in &hrefs[1..] {
        f.req("GET", h, &[], "").assert_status(200);
    }
    // Sync shows the same spelling as PROPFIND.
    let s = f.req(
        "REPORT",
        CAL,
        &[("depth", "1")],
        &sync_body("", "<D:getetag/>"),
    );
    let mut a = s.hrefs();
    let mut b = hrefs[1..].to_vec();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

/// `%C3%A9` -> `%c3%a9`, leaving everything else alone.
fn lower_hex(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            for _ in 0..2 {
                out.extend(chars.next().map(|h| h.to_ascii_lowercase()));
            }
        }
    }
    out
}

/// The seed's client re-created an event it had already created and got a bare 412. davlite's
/// 412 says, inside the standard `D:error`, which resource the condition was tested on (its href
/// under the prefix the request used) and its current ETag, so a client can adopt its own
/// earlier write instead of dropping the event.
#[test]
fn seed_000_a_412_names_the_current_href_and_etag_under_the_request_prefix() {
    let f = mounted();
    let uri = "/caldav/calendars/alice/default/event-1.ics";
    let etag = f.put_event(uri, "event-1", &[]).etag();
    let before = f.state();
    let again = f.req(
        "PUT",
        uri,
        &[
            ("content-type", "text/calendar; charset=utf-8"),
            ("if-none-match", "*"),
        ],
        &event("event-1", "20240105T100000Z"),
    );
    again
        .assert_status(412)
        .assert_contains("<D:error")
        .assert_contains(&format!("<D:href>{uri}</D:href>"))
        .assert_contains(&format!("{etag}</"));
    assert_eq!(again.etag(), etag);
    assert!(
        again
            .header("content-type")
            .unwrap()
            .starts_with("application/xml")
    );
    assert_eq!(f.state(), before);
    // A stale If-Match on DELETE: the same, with the ETag the client should re-read.
    f.req(
        "DELETE",
        uri,
        &[("if-match", "\"00000000000000000000000000000000\"")],
        "",
    )
    .assert_status(412)
    .assert_contains(&format!("<D:href>{uri}</D:href>"))
    .assert_contains(&etag);
}
