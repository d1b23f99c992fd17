//! PRECONDITIONS.md "Transport and identity": the rows the handler answers (the server answers
//! 431/414 and mid-body connection drops before a request reaches us).

use crate::common;
use common::*;

#[test]
fn no_credentials_is_401_with_basic_challenge_and_reveals_nothing() {
    let f = fixture();
    f.put_event(&format!("{CAL}a.ics"), "a", &[])
        .assert_status(201);
    for (m, uri) in [
        ("GET", format!("{CAL}a.ics")),
        ("GET", format!("{CAL}missing.ics")),
        ("PROPFIND", CAL.to_string()),
        ("DELETE", format!("{CAL}a.ics")),
    ] {
        let r = f.req_as(None, m, &uri, &[("depth", "0")], b"");
        r.assert_status(401);
        assert!(
            r.header("www-authenticate")
                .unwrap()
                .starts_with("Basic realm=")
        );
        assert!(r.header("etag").is_none() && r.header("allow").is_none());
        assert!(r.body.is_empty());
    }
    f.req("GET", &format!("{CAL}a.ics"), &[], "")
        .assert_status(200);
}

#[test]
fn another_users_home_is_403_need_privileges_and_untouched() {
    let f = fixture();
    let before = f.state();
    for (m, uri, body) in [
        (
            "PUT",
            "/dav/calendars/bob/default/x.ics",
            event("x", "20240105T100000Z"),
        ),
        ("PROPFIND", "/dav/calendars/bob/default/", String::new()),
        ("DELETE", "/dav/calendars/bob/default/", String::new()),
        ("MKCALENDAR", "/dav/calendars/bob/new/", String::new()),
        ("PROPFIND", "/dav/principals/bob/", String::new()),
    ] {
        let r = f.req(
            m,
            uri,
            &[("depth", "0"), ("content-type", "text/calendar")],
            &body,
        );
        if r.status == 403 {
            r.assert_contains("<D:need-privileges>");
        } else {
            // A principal may be readable; nothing else of bob's is.
            assert!(
                m == "PROPFIND" && uri.contains("principals"),
                "{m} {uri}: {}",
                r.status
            );
        }
    }
    assert_eq!(f.state(), before);
    // Bob's listing of the calendars root does not show alice's home.
    let r = f.req_as(
        Some("bob"),
        "PROPFIND",
        "/dav/calendars/",
        &[("depth", "1")],
        b"",
    );
    r.assert_status(207).assert_lacks("/alice/");
}

#[test]
fn hostile_hrefs_are_400_and_store_untouched() {
    let f = fixture();
    let before = f.state();
    let long = format!("/dav/calendars/alice/default/{}.ics", "a".repeat(400));
    for uri in [
        "/dav/calendars/alice/../bob/default/x.ics",
        "/dav/calendars/alice/default/%2e%2e/x.ics",
        "/dav/calendars/alice/default%2Fx.ics",
        "/dav/calendars/alice/default/a%00b.ics",
        "/dav/calendars/alice/default/a%0Ab.ics",
        long.as_str(),
    ] {
        let r = f.req(
            "PUT",
            uri,
            &[("content-type", "text/calendar")],
            &event("x", "20240105T100000Z"),
        );
        assert_eq!(r.status, 400, "{uri}: {}", r.body);
        let r = f.req("DELETE", uri, &[], "");
        assert_eq!(r.status, 400, "{uri}");
    }
    assert_eq!(f.state(), before);
}

#[test]
fn a_broken_update_body_keeps_the_old_version() {
    let f = fixture();
    let uri = format!("{CAL}a.ics");
    let etag = f.put_event(&uri, "a", &[]).etag();
    let full = event("a", "20240301T100000Z");
    let cut = &full[..full.len() / 2];
    f.req(
        "PUT",
        &uri,
        &[("content-type", "text/calendar"), ("if-match", &etag)],
        cut,
    )
    .assert_status(403);
    let g = f.req("GET", &uri, &[], "");
    assert_eq!(g.etag(), etag);
    assert_eq!(g.body, event("a", "20240105T100000Z"));
}

#[test]
fn unknown_method_is_501_and_known_but_not_allowed_is_405_with_allow() {
    let f = fixture();
    let before = f.state();
    for m in ["BREW", "LOCK2", "SEARCH"] {
        f.req(m, CAL, &[], "").assert_status(501);
    }
    let r = f.req(
        "PUT",
        CAL,
        &[("content-type", "text/calendar")],
        &event("a", "20240105T100000Z"),
    );
    r.assert_status(405);
    assert!(r.header("allow").unwrap().contains("PROPFIND"));
    // A calendar takes POST (CalendarServer sharing) with an XML body only.
    f.req("POST", CAL, &[], "").assert_status(415);
    let r = f.req("POST", &format!("{CAL}missing.ics"), &[], "");
    r.assert_status(405);
    assert!(r.header("allow").is_some_and(|a| !a.contains("POST")));
    let r = f.req("MKCOL", CAL, &[], "");
    r.assert_status(405);
    assert!(r.header("allow").is_some());
    assert_eq!(f.state(), before);
}
