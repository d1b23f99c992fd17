//! PROPFIND, discovery, sync-collection and multiget, over a real store file.

use crate::common;
use common::*;

#[test]
fn propfind_depth_infinity_and_missing_depth_are_refused_on_collections() {
    let f = fixture();
    f.propfind(CAL, "infinity", "<D:getetag/>")
        .assert_status(403)
        .assert_contains("propfind-finite-depth");
    f.req("PROPFIND", CAL, &[], "")
        .assert_status(403)
        .assert_contains("propfind-finite-depth");
}

#[test]
fn discovery_from_server_root_and_base() {
    let f = fixture();
    for uri in ["/", "/dav/"] {
        f.propfind(uri, "0", "<D:current-user-principal/><D:resourcetype/>")
            .assert_status(207)
            .assert_contains("<D:current-user-principal><D:href>/dav/principals/alice/</D:href></D:current-user-principal>");
    }
    let p = f.propfind(
        "/dav/principals/alice/",
        "0",
        "<C:calendar-home-set/><CR:addressbook-home-set/><C:calendar-user-address-set/><D:principal-URL/><D:displayname/><D:resourcetype/><CS:dropbox-home-URL/>",
    );
    p.assert_status(207)
        .assert_contains("<C:calendar-home-set><D:href>/dav/calendars/alice/</D:href></C:calendar-home-set>")
        .assert_contains("<CR:addressbook-home-set><D:href>/dav/addressbooks/alice/</D:href></CR:addressbook-home-set>")
        .assert_contains("<D:principal/>")
        .assert_contains("HTTP/1.1 404 Not Found");
    assert!(
        p.body.find("HTTP/1.1 200 OK").unwrap() < p.body.find("HTTP/1.1 404 Not Found").unwrap()
    );
    let wk = f.req_as(None, "GET", "/.well-known/caldav", &[], b"");
    wk.assert_status(301);
    assert_eq!(wk.header("location"), Some("/dav/"));
}

#[test]
fn home_listing_shows_calendar_properties_clients_need() {
    let f = fixture();
    let r = f.propfind(
        "/dav/calendars/alice/",
        "1",
        "<D:resourcetype/><D:displayname/><C:supported-calendar-component-set/><D:current-user-privilege-set/><CS:getctag/><D:sync-token/><D:supported-report-set/>",
    );
    r.assert_status(207)
        .assert_contains("<C:calendar/>")
        .assert_contains("<C:comp name=\"VEVENT\"/>")
        .assert_contains("<D:write-content/>")
        .assert_contains("<C:calendar-query/>")
        .assert_contains("urn:davlite:sync:");
    assert_eq!(r.hrefs()[0], "/dav/calendars/alice/");
    assert_eq!(r.hrefs()[1], "/dav/calendars/alice/default/");
}

#[test]
fn depth1_lists_members_with_etag_and_content_type() {
    let f = fixture();
    let e = f.put_event(&format!("{CAL}a%40b.ics"), "a@b", &[]).etag();
    let r = f.propfind(CAL, "1", "<D:getetag/><D:getcontenttype/><D:resourcetype/>");
    r.assert_status(207)
        .assert_contains(&format!("<D:href>{CAL}a@b.ics</D:href>"))
        .assert_contains(&format!("<D:getetag>{e}</D:getetag>"))
        .assert_contains("text/calendar; charset=utf-8; component=vevent");
}

#[test]
fn dead_properties_round_trip_and_protected_ones_are_refused() {
    let f = fixture();
    let body = r#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:I="http://apple.com/ns/ical/"><D:set><D:prop><I:calendar-color symbolic-color="custom">#711A76FF</I:calendar-color><D:displayname>Work</D:displayname></D:prop></D:set></D:propertyupdate>"#;
    f.req(
        "PROPPATCH",
        CAL,
        &[("content-type", "application/xml")],
        body,
    )
    .assert_status(207)
    .assert_contains("HTTP/1.1 200 OK");
    let r = f.propfind(
        CAL,
        "0",
        r#"<I:calendar-color xmlns:I="http://apple.com/ns/ical/"/><D:displayname/>"#,
    );
    r.assert_contains("symbolic-color=\"custom\">#711A76FF</ICAL:calendar-color>")
        .assert_contains("<D:displayname>Work</D:displayname>");
    let bad = r#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:getetag>x</D:getetag><D:displayname>Nope</D:displayname></D:prop></D:set></D:propertyupdate>"#;
    let r = f.req(
        "PROPPATCH",
        CAL,
        &[("content-type", "application/xml")],
        bad,
    );
    r.assert_status(207)
        .assert_contains("HTTP/1.1 403 Forbidden")
        .assert_contains("cannot-modify-protected-property")
        .assert_contains("HTTP/1.1 424 Failed Dependency");
    f.propfind(CAL, "0", "<D:displayname/>")
        .assert_contains("<D:displayname>Work</D:displayname>");
}

#[test]
fn sync_initial_incremental_and_deletions() {
    let f = fixture();
    f.put_event(&format!("{CAL}a.ics"), "a", &[])
        .assert_status(201);
    f.put_event(&format!("{CAL}b.ics"), "b", &[])
        .assert_status(201);
    let init = f.req(
        "REPORT",
        CAL,
        &[("depth", "1")],
        &sync_body("", "<D:getetag/><D:getcontenttype/>"),
    );
    init.assert_status(207)
        .assert_contains("a.ics")
        .assert_contains("b.ics");
    let t1 = sync_token(&init.body);
    assert!(t1.contains(':'));
    // Nothing changed: empty delta, same token.
    let none = f.req(
        "REPORT",
        CAL,
        &[("depth", "0")],
        &sync_body(&t1, "<D:getetag/>"),
    );
    none.assert_status(207).assert_lacks("<D:response>");
    assert_eq!(sync_token(&none.body), t1);
    f.req("DELETE", &format!("{CAL}a.ics"), &[], "")
        .assert_status(204);
    f.put_event(&format!("{CAL}c.ics"), "c", &[])
        .assert_status(201);
    let inc = f.req("REPORT", CAL, &[], &sync_body(&t1, "<D:getetag/>"));
    inc.assert_status(207)
        .assert_contains(&format!("<D:response><D:href>{CAL}a.ics</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response>"))
        .assert_contains("c.ics")
        .assert_lacks("b.ics");
    // Apple: no sync-level, Depth 1.
    let apple = r#"<?xml version="1.0"?><A:sync-collection xmlns:A="DAV:"><A:sync-token/><A:prop><A:getetag/></A:prop></A:sync-collection>"#;
    f.req("REPORT", CAL, &[("depth", "1")], apple)
        .assert_status(207)
        .assert_contains("c.ics");
}

#[test]
fn invalid_sync_tokens_are_403_valid_sync_token_xml() {
    let f = fixture();
    for bad in [
        "garbage",
        "urn:davlite:sync:999:1",
        "urn:davlite:sync:1:99999",
    ] {
        let r = f.req(
            "REPORT",
            CAL,
            &[("depth", "1")],
            &sync_body(bad, "<D:getetag/>"),
        );
        r.assert_status(403)
            .assert_contains("<D:valid-sync-token/>");
        assert!(
            r.header("content-type")
                .unwrap()
                .starts_with("application/xml")
        );
    }
    let tb = f.req(
        "REPORT",
        BOOK,
        &[
            ("depth", "1"),
            ("user-agent", "Mozilla/5.0 Thunderbird/128.0"),
        ],
        &sync_body("garbage", "<D:getetag/>"),
    );
    tb.assert_status(400).assert_contains("valid-sync-token");
}

#[test]
fn sync_limit_truncates_with_507_and_continues() {
    let f = fixture();
    for i in 0..5 {
        f.put_event(&format!("{CAL}e{i}.ics"), &format!("e{i}"), &[])
            .assert_status(201);
    }
    let body = r#"<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:limit><D:nresults>2</D:nresults></D:limit><D:prop><D:getetag/></D:prop></D:sync-collection>"#;
    let mut seen = std::collections::BTreeSet::new();
    let mut r = f.req("REPORT", CAL, &[("depth", "1")], body);
    let mut rounds = 0;
    loop {
        r.assert_status(207);
        for h in r.hrefs() {
            if h.ends_with(".ics") {
                assert!(seen.insert(h.clone()), "repeated {h}");
            }
        }
        if !r.body.contains("507") {
            break;
        }
        assert!(r.body.contains(&format!(
            "<D:href>{CAL}</D:href><D:status>HTTP/1.1 507 Insufficient Storage</D:status>"
        )));
        let t = sync_token(&r.body);
        let next = body.replace(
            "<D:sync-token/>",
            &format!("<D:sync-token>{t}</D:sync-token>"),
        );
        r = f.req("REPORT", CAL, &[("depth", "1")], &next);
        rounds += 1;
        assert!(rounds < 10);
    }
    assert_eq!(seen.len(), 5);
}

#[test]
fn multiget_answers_each_href_as_spelled() {
    let f = fixture();
    f.put_event(&format!("{CAL}a%40x.ics"), "a@x", &[])
        .assert_status(201);
    let hrefs = [
        format!("{CAL}a%40x.ics"),
        format!("{CAL}a@x.ics"),
        format!("{CAL}a%40X.ics"),
        format!("http://localhost{CAL}a%40x.ics"),
        "/dav/calendars/alice/other/z.ics".to_string(),
    ];
    let body = format!(
        r#"<?xml version="1.0"?><C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>{}</C:calendar-multiget>"#,
        hrefs
            .iter()
            .map(|h| format!("<D:href>{h}</D:href>"))
            .collect::<String>()
    );
    let r = f.req("REPORT", CAL, &[("depth", "1")], &body);
    r.assert_status(207);
    assert_eq!(r.hrefs(), hrefs.to_vec());
    assert_eq!(r.body.matches("UID:a@x").count(), 3);
    assert_eq!(r.body.matches("HTTP/1.1 404 Not Found").count(), 2);
}

#[test]
fn calendar_query_time_range_finds_only_overlapping() {
    let f = fixture();
    f.req(
        "PUT",
        &format!("{CAL}in.ics"),
        &[("content-type", "text/calendar")],
        &event("in", "20240105T100000Z"),
    )
    .assert_status(201);
    f.req(
        "PUT",
        &format!("{CAL}out.ics"),
        &[("content-type", "text/calendar")],
        &event("out", "20250105T100000Z"),
    )
    .assert_status(201);
    let q = r#"<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20240101T000000Z" end="20240201T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#;
    let r = f.req("REPORT", CAL, &[("depth", "1")], q);
    r.assert_status(207)
        .assert_contains("in.ics")
        .assert_lacks("out.ics");
    let open = q.replace(r#" end="20240201T000000Z""#, "");
    f.req("REPORT", CAL, &[("depth", "1")], &open)
        .assert_contains("in.ics")
        .assert_contains("out.ics");
    let bad = q.replace("20240201T000000Z", "20231201T000000Z");
    f.req("REPORT", CAL, &[("depth", "1")], &bad)
        .assert_status(403)
        .assert_contains("valid-filter");
}

#[test]
fn unsupported_report_is_403_supported_report() {
    let f = fixture();
    let q = r#"<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>"#;
    f.req("REPORT", BOOK, &[("depth", "1")], q)
        .assert_status(403)
        .assert_contains("supported-report");
    f.req("REPORT", CAL, &[], r#"<x:foo xmlns:x="urn:x"/>"#)
        .assert_status(403)
        .assert_contains("supported-report");
}

#[test]
fn large_listings_are_streamed_and_complete() {
    // More members than one 64 KiB chunk holds (an answer that fits in one goes out whole).
    let f = fast_fixture();
    for i in 0..400 {
        f.put_event(&format!("{CAL}s{i}.ics"), &format!("s{i}"), &[])
            .assert_status(201);
    }
    let req = http::Request::builder()
        .method("PROPFIND")
        .uri(CAL)
        .header("depth", "1")
        .body(bytes::Bytes::from_static(
            br#"<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>"#,
        ))
        .unwrap();
    let resp = f.dav.handle(
        req,
        &davlite_dav::RequestContext {
            user: Some("alice".into()),
        },
    );
    assert_eq!(resp.status(), 207);
    let body = resp.into_body();
    assert!(
        matches!(body, davlite_dav::DavBody::Stream(_)),
        "a 400-member listing is streamed"
    );
    let text = String::from_utf8(body.into_bytes().to_vec()).unwrap();
    assert_eq!(text.matches("<D:response>").count(), 401);
    assert!(text.ends_with("</D:multistatus>"));
    let s = f.req(
        "REPORT",
        CAL,
        &[("depth", "1")],
        &sync_body("", "<D:getetag/><C:calendar-data/>"),
    );
    assert_eq!(s.body.matches("<D:response>").count(), 400);
    assert_eq!(s.body.matches("BEGIN:VCALENDAR").count(), 400);
    assert!(s.body.contains("<D:sync-token>urn:davlite:sync:"));
}

#[test]
fn allprop_at_the_root_names_the_principal() {
    let f = fixture();
    for uri in ["/", "/dav/"] {
        f.req("PROPFIND", uri, &[("depth", "0")], "")
            .assert_status(207)
            .assert_contains("<D:current-user-principal><D:href>/dav/principals/alice/</D:href>");
    }
}

/// RFC 4791 §7.8 / §9.6.1 partial retrieval: a calendar-query whose calendar-data names
/// components and properties returns exactly those (BEGIN/END kept, `novalue` without the
/// value); RFC 6352 §10.4: address-data with CR:prop returns the named card properties.
#[test]
fn partial_retrieval_returns_exactly_the_selected_parts() {
    let f = fixture();
    let ev = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:part-1\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240105T100000Z\r\nDURATION:PT1H\r\nSUMMARY:Budget review\r\nDESCRIPTION:secret notes\r\nATTENDEE;CN=Bob:mailto:bob@example.com\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:r\r\nTRIGGER:-PT10M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    f.req(
        "PUT",
        &format!("{CAL}part.ics"),
        &[("content-type", "text/calendar; charset=utf-8")],
        ev,
    )
    .assert_status(201);
    let q = r#"<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data><C:comp name="VCALENDAR"><C:prop name="VERSION"/><C:comp name="VEVENT"><C:prop name="SUMMARY"/><C:prop name="UID"/><C:prop name="DTSTART"/><C:prop name="ATTENDEE" novalue="yes"/></C:comp></C:comp></C:calendar-data></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter></C:calendar-query>"#;
    let r = f.report(CAL, Some("1"), q);
    r.assert_status(207);
    let data = r.body.split("calendar-data>").nth(1).unwrap().to_string();
    assert_eq!(
        data.trim_end_matches("</C:"),
        "BEGIN:VCALENDAR&#13;\nVERSION:2.0&#13;\nBEGIN:VEVENT&#13;\nUID:part-1&#13;\nDTSTART:20240105T100000Z&#13;\nSUMMARY:Budget review&#13;\nATTENDEE;CN=Bob:&#13;\nEND:VEVENT&#13;\nEND:VCALENDAR&#13;\n"
    );
    // allprop/allcomp is the whole object.
    let all = q.replace(
        r#"<C:comp name="VCALENDAR"><C:prop name="VERSION"/><C:comp name="VEVENT"><C:prop name="SUMMARY"/><C:prop name="UID"/><C:prop name="DTSTART"/><C:prop name="ATTENDEE" novalue="yes"/></C:comp></C:comp>"#,
        r#"<C:comp name="VCALENDAR"><C:allprop/><C:allcomp/></C:comp>"#,
    );
    f.report(CAL, Some("1"), &all)
        .assert_contains("secret notes")
        .assert_contains("TRIGGER:-PT10M");
    // A card with only the properties asked for.
    let card = format!("{BOOK}c.vcf");
    f.put_card(&card, "c1", &[]).assert_status(201);
    let mg = format!(
        r#"<CR:addressbook-multiget xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><CR:address-data><CR:prop name="UID"/></CR:address-data></D:prop><D:href>{card}</D:href></CR:addressbook-multiget>"#
    );
    let r = f.report(BOOK, Some("1"), &mg);
    r.assert_contains("UID:c1").assert_lacks("FN:");
}
