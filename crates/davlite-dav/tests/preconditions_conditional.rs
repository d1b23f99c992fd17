//! PRECONDITIONS.md "Conditional requests": every row, with the store checked unchanged after
//! each refusal.

use crate::common;
use common::*;

fn weak(etag: &str) -> String {
    format!("W/{etag}")
}

const ICS: (&str, &str) = ("content-type", "text/calendar; charset=utf-8");

#[test]
fn if_none_match_star_on_existing_is_412_with_etag_and_nothing_changes() {
    let f = fixture();
    let uri = format!("{CAL}a.ics");
    let etag = f.put_event(&uri, "a", &[]).etag();
    let before = f.state();
    let r = f.req(
        "PUT",
        &uri,
        &[ICS, ("if-none-match", "*")],
        &event("a", "20240301T100000Z"),
    );
    r.assert_status(412);
    assert_eq!(r.etag(), etag);
    assert_eq!(f.state(), before);
    assert_eq!(
        f.req("GET", &uri, &[], "").body,
        event("a", "20240105T100000Z")
    );
    // The same for a card.
    let card = format!("{BOOK}c.vcf");
    let cetag = f.put_card(&card, "c", &[]).etag();
    let before = f.state();
    let r = f.put_card(&card, "c", &[("if-none-match", "*")]);
    r.assert_status(412);
    assert_eq!(r.etag(), cetag);
    assert_eq!(f.state(), before);
}

#[test]
fn if_none_match_with_current_tag_is_412_weak_or_strong() {
    let f = fixture();
    let uri = format!("{CAL}a.ics");
    let etag = f.put_event(&uri, "a", &[]).etag();
    let before = f.state();
    for tag in [etag.clone(), weak(&etag), format!("\"other\", {etag}")] {
        let r = f.req(
            "PUT",
            &uri,
            &[ICS, ("if-none-match", &tag)],
            &event("a", "20240301T100000Z"),
        );
        r.assert_status(412);
        assert_eq!(f.state(), before);
    }
    let r = f.req("DELETE", &uri, &[("if-none-match", &etag)], "");
    r.assert_status(412);
    assert_eq!(f.state(), before);
    // A tag that does not match lets the write through.
    f.req(
        "PUT",
        &uri,
        &[ICS, ("if-none-match", "\"0000\"")],
        &event("a", "20240301T100000Z"),
    )
    .assert_status(204);
}

#[test]
fn if_match_differing_is_412_with_current_etag_for_every_method() {
    let f = fixture();
    let uri = format!("{CAL}a.ics");
    let etag = f.put_event(&uri, "a", &[]).etag();
    let stale = "\"00000000000000000000000000000000\"";
    let before = f.state();
    let r = f.req(
        "PUT",
        &uri,
        &[ICS, ("if-match", stale)],
        &event("a", "20240301T100000Z"),
    );
    r.assert_status(412);
    assert_eq!(r.etag(), etag);
    let r = f.req("DELETE", &uri, &[("if-match", stale)], "");
    r.assert_status(412);
    assert_eq!(r.etag(), etag);
    let pp = r#"<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><X:a xmlns:X="urn:x">1</X:a></D:prop></D:set></D:propertyupdate>"#;
    f.req("PROPPATCH", &uri, &[("if-match", stale)], pp)
        .assert_status(412);
    for m in ["COPY", "MOVE"] {
        let r = f.req(
            m,
            &uri,
            &[("if-match", stale), ("destination", &format!("{CAL}b.ics"))],
            "",
        );
        r.assert_status(412);
    }
    assert_eq!(f.state(), before);
}

#[test]
fn if_match_on_missing_put_mkcol_mkcalendar_is_412() {
    let f = fixture();
    let before = f.state();
    let r = f.put_event(
        &format!("{CAL}none.ics"),
        "none",
        &[("if-match", "\"abcd\"")],
    );
    r.assert_status(412);
    assert!(r.header("etag").is_none());
    f.put_event(&format!("{CAL}none.ics"), "none", &[("if-match", "*")])
        .assert_status(412);
    f.req(
        "MKCOL",
        "/dav/calendars/alice/newcol/",
        &[("if-match", "\"abcd\"")],
        "",
    )
    .assert_status(412);
    f.req(
        "MKCALENDAR",
        "/dav/calendars/alice/newcal/",
        &[("if-match", "*")],
        "",
    )
    .assert_status(412);
    assert_eq!(f.state(), before);
}

#[test]
fn if_match_on_missing_delete_proppatch_copy_move_is_404() {
    let f = fixture();
    let uri = format!("{CAL}none.ics");
    let before = f.state();
    f.req("DELETE", &uri, &[("if-match", "\"abcd\"")], "")
        .assert_status(404);
    let pp = r#"<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><X:a xmlns:X="urn:x">1</X:a></D:prop></D:set></D:propertyupdate>"#;
    f.req("PROPPATCH", &uri, &[("if-match", "\"abcd\"")], pp)
        .assert_status(404);
    for m in ["COPY", "MOVE"] {
        f.req(
            m,
            &uri,
            &[
                ("if-match", "\"abcd\""),
                ("destination", &format!("{CAL}b.ics")),
            ],
            "",
        )
        .assert_status(404);
    }
    assert_eq!(f.state(), before);
}

#[test]
fn stale_if_match_with_identical_body_is_2xx_and_writes_nothing() {
    let f = fixture();
    let uri = format!("{CAL}a.ics");
    let first = f.put_event(&uri, "a", &[]).etag();
    let body = event("a", "20240301T100000Z");
    let second = f.req("PUT", &uri, &[ICS, ("if-match", &first)], &body);
    second.assert_status(204);
    let token = sync_token(
        &f.report(CAL, Some("0"), &sync_body("", "<D:getetag/>"))
            .body,
    );
    let before = f.state();
    // The answer to the update was lost; the client retries with the ETag it had.
    let retry = f.req("PUT", &uri, &[ICS, ("if-match", &first)], &body);
    assert!((200..300).contains(&retry.status), "{}", retry.status);
    assert_eq!(retry.etag(), second.etag());
    assert_eq!(f.state(), before);
    let delta = f.report(CAL, Some("0"), &sync_body(&token, "<D:getetag/>"));
    assert!(
        delta.responses().is_empty(),
        "no new sync change: {}",
        delta.body
    );
    // A different body with the same stale tag is still refused.
    f.req(
        "PUT",
        &uri,
        &[ICS, ("if-match", &first)],
        &event("a", "20240302T100000Z"),
    )
    .assert_status(412);
}

#[test]
fn if_none_match_on_get_and_head_is_304_with_etag() {
    let f = fixture();
    let uri = format!("{CAL}a.ics");
    let etag = f.put_event(&uri, "a", &[]).etag();
    for m in ["GET", "HEAD"] {
        for tag in [etag.clone(), weak(&etag), "*".to_string()] {
            let r = f.req(m, &uri, &[("if-none-match", &tag)], "");
            r.assert_status(304);
            assert_eq!(r.etag(), etag);
            assert!(r.body.is_empty());
        }
        f.req(m, &uri, &[("if-none-match", "\"other\"")], "")
            .assert_status(200);
    }
}

#[test]
fn if_match_compares_strongly_so_weak_tags_never_match() {
    let f = fixture();
    let uri = format!("{CAL}a.ics");
    let etag = f.put_event(&uri, "a", &[]).etag();
    let before = f.state();
    let r = f.req(
        "PUT",
        &uri,
        &[ICS, ("if-match", &weak(&etag))],
        &event("a", "20240301T100000Z"),
    );
    r.assert_status(412);
    f.req("DELETE", &uri, &[("if-match", &weak(&etag))], "")
        .assert_status(412);
    assert_eq!(f.state(), before);
}

#[test]
fn star_mixed_with_tags_or_unparsable_lists_are_400() {
    let f = fixture();
    let uri = format!("{CAL}a.ics");
    let etag = f.put_event(&uri, "a", &[]).etag();
    let before = f.state();
    for (h, v) in [
        ("if-match", format!("*, {etag}")),
        ("if-none-match", format!("{etag}, *")),
        ("if-match", "no-quotes".to_string()),
        ("if-none-match", "\"unterminated".to_string()),
    ] {
        let r = f.req(
            "PUT",
            &uri,
            &[ICS, (h, &v)],
            &event("a", "20240301T100000Z"),
        );
        assert_eq!(r.status, 400, "{h}: {v}");
        let r = f.req("DELETE", &uri, &[(h, &v)], "");
        assert_eq!(r.status, 400, "{h}: {v}");
    }
    assert_eq!(f.state(), before);
}

#[test]
fn order_of_checks_existence_method_media_size_before_conditionals_then_body() {
    let f = fixture();
    let stale = "\"00000000000000000000000000000000\"";
    let uri = format!("{CAL}a.ics");
    f.put_event(&uri, "a", &[]).assert_status(201);
    let before = f.state();
    // Parent missing: 409, even with a failing conditional.
    f.put_event(
        "/dav/calendars/alice/nope/a.ics",
        "a",
        &[("if-match", stale)],
    )
    .assert_status(409);
    // Method not allowed on the target: 405 first.
    let r = f.req(
        "PUT",
        CAL,
        &[ICS, ("if-match", stale)],
        &event("a", "20240301T100000Z"),
    );
    r.assert_status(405);
    assert!(r.header("allow").is_some());
    // Wrong media type: 403 before the conditional.
    f.req(
        "PUT",
        &uri,
        &[("content-type", "text/plain"), ("if-match", stale)],
        "hello",
    )
    .assert_status(403)
    .assert_contains("<C:supported-calendar-data/>");
    // Not authenticated: 401 before anything else.
    f.req_as(None, "PUT", &uri, &[ICS, ("if-match", stale)], b"x")
        .assert_status(401);
    // Another user's calendar: 403 need-privileges before the conditional.
    f.req(
        "PUT",
        "/dav/calendars/bob/default/x.ics",
        &[ICS, ("if-match", stale)],
        &event("x", "20240301T100000Z"),
    )
    .assert_status(403)
    .assert_contains("<D:need-privileges>");
    // Stale If-Match with an invalid body: the conditional wins (412).
    f.req(
        "PUT",
        &uri,
        &[ICS, ("if-match", stale)],
        "BEGIN:VCALENDAR\r\ngarbage",
    )
    .assert_status(412);
    // A valid conditional with an invalid body: the body is judged.
    let etag = f.req("GET", &uri, &[], "").etag();
    f.req(
        "PUT",
        &uri,
        &[ICS, ("if-match", &etag)],
        "BEGIN:VCALENDAR\r\ngarbage",
    )
    .assert_status(403)
    .assert_contains("<C:valid-calendar-data/>");
    assert_eq!(f.state(), before);
}

#[test]
fn racing_updates_with_the_same_if_match_exactly_one_wins() {
    let f = fixture();
    let uri = format!("{CAL}race.ics");
    let etag = f.put_event(&uri, "race", &[]).etag();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (f, uri, etag) = (&f, &uri, &etag);
                s.spawn(move || {
                    f.req(
                        "PUT",
                        uri,
                        &[ICS, ("if-match", etag.as_str())],
                        &event("race", &format!("2024030{}T100000Z", i + 1)),
                    )
                    .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 204).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 412).count(),
        7,
        "{statuses:?}"
    );
}

#[test]
fn webdav_if_header_failing_is_412() {
    let f = fixture();
    let uri = format!("{CAL}a.ics");
    let etag = f.put_event(&uri, "a", &[]).etag();
    let before = f.state();
    let r = f.req(
        "PUT",
        &uri,
        &[ICS, ("if", "([\"deadbeef\"])")],
        &event("a", "20240301T100000Z"),
    );
    r.assert_status(412);
    assert_eq!(f.state(), before);
    f.req(
        "PUT",
        &uri,
        &[ICS, ("if", &format!("([{etag}])"))],
        &event("a", "20240301T100000Z"),
    )
    .assert_status(204);
}
