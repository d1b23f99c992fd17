//! What macOS/iOS Calendar and Contacts send (shared/clients/apple.md) and what they need back.

use crate::common;
use common::*;

const WELL_KNOWN_BODY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<A:propfind xmlns:A="DAV:">
  <A:prop>
    <A:current-user-principal/>
    <A:principal-URL/>
    <A:resourcetype/>
  </A:prop>
</A:propfind>"#;

const PRINCIPAL_BODY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<A:propfind xmlns:A="DAV:">
  <A:prop>
    <B:calendar-home-set xmlns:B="urn:ietf:params:xml:ns:caldav"/>
    <B:calendar-user-address-set xmlns:B="urn:ietf:params:xml:ns:caldav"/>
    <A:current-user-principal/>
    <A:displayname/>
    <C:dropbox-home-URL xmlns:C="http://calendarserver.org/ns/"/>
    <C:email-address-set xmlns:C="http://calendarserver.org/ns/"/>
    <C:notification-URL xmlns:C="http://calendarserver.org/ns/"/>
    <A:principal-collection-set/>
    <A:principal-URL/>
    <A:resource-id/>
    <B:schedule-inbox-URL xmlns:B="urn:ietf:params:xml:ns:caldav"/>
    <B:schedule-outbox-URL xmlns:B="urn:ietf:params:xml:ns:caldav"/>
    <A:supported-report-set/>
  </A:prop>
</A:propfind>"#;

const POLL_BODY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<A:propfind xmlns:A="DAV:">
  <A:prop>
    <C:getctag xmlns:C="http://calendarserver.org/ns/"/>
    <A:sync-token/>
  </A:prop>
</A:propfind>"#;

fn apple_sync(token: &str) -> String {
    let tok = if token.is_empty() {
        "<A:sync-token/>".to_string()
    } else {
        format!("<A:sync-token>{token}</A:sync-token>")
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<A:sync-collection xmlns:A="DAV:">
  {tok}
  <A:prop>
    <A:getetag/>
    <A:getcontenttype/>
  </A:prop>
</A:sync-collection>"#
    )
}

fn home_sync(token: &str) -> String {
    let tok = if token.is_empty() {
        "<A:sync-token/>".to_string()
    } else {
        format!("<A:sync-token>{token}</A:sync-token>")
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<A:sync-collection xmlns:A="DAV:">
  {tok}
  <A:sync-level>1</A:sync-level>
  <A:prop>
    <A:displayname/>
    <A:resourcetype/>
    <C:getctag xmlns:C="http://calendarserver.org/ns/"/>
    <A:sync-token/>
    <B:supported-calendar-component-set xmlns:B="urn:ietf:params:xml:ns:caldav"/>
    <D:calendar-color xmlns:D="http://apple.com/ns/ical/"/>
  </A:prop>
</A:sync-collection>"#
    )
}

const MKCALENDAR_BODY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<B:mkcalendar xmlns:B="urn:ietf:params:xml:ns:caldav">
  <A:set xmlns:A="DAV:">
    <A:prop>
      <D:calendar-order xmlns:D="http://apple.com/ns/ical/">2</D:calendar-order>
      <B:supported-calendar-component-set>
        <B:comp name="VEVENT"/>
      </B:supported-calendar-component-set>
      <D:calendar-color xmlns:D="http://apple.com/ns/ical/" symbolic-color="custom">#882F00FF</D:calendar-color>
      <A:displayname>Work</A:displayname>
      <B:calendar-timezone><![CDATA[BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Apple Inc.//Mac OS X 10.11//EN
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:STANDARD
DTSTART:19701025T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
END:VTIMEZONE
END:VCALENDAR
]]></B:calendar-timezone>
    </A:prop>
  </A:set>
</B:mkcalendar>"#;

#[test]
fn apple_well_known_propfind_unauthenticated_is_301_to_dav_root() {
    let f = fixture();
    for path in [
        "/.well-known/caldav",
        "/.well-known/carddav",
        "/.well-known/caldav/",
    ] {
        let r = f.req_as(
            None,
            "PROPFIND",
            path,
            &[("depth", "0")],
            WELL_KNOWN_BODY.as_bytes(),
        );
        r.assert_status(301);
        let loc = r.header("location").expect("location");
        assert!(loc.starts_with('/') && !loc.starts_with("//"), "{loc}");
        assert_eq!(loc, "/dav/");
    }
}

#[test]
fn apple_first_request_without_credentials_is_401_with_basic_challenge() {
    let f = fixture();
    let r = f.req_as(
        None,
        "PROPFIND",
        "/dav/",
        &[("depth", "0")],
        WELL_KNOWN_BODY.as_bytes(),
    );
    r.assert_status(401);
    let www = r.header("www-authenticate").expect("challenge");
    assert!(www.starts_with("Basic realm=\""), "{www}");
    assert!(r.body.is_empty(), "401 reveals nothing: {}", r.body);
}

#[test]
fn apple_propfind_on_server_root_finds_current_user_principal() {
    let f = fixture();
    for uri in ["/", "/dav/", "/dav"] {
        let r = f.propfind_body(uri, "0", WELL_KNOWN_BODY, &[]);
        r.assert_status(207)
            .assert_contains("<D:current-user-principal><D:href>/dav/principals/alice/</D:href></D:current-user-principal>");
        let first = &r.responses()[0];
        assert!(first.contains("HTTP/1.1 200 OK"));
    }
}

#[test]
fn apple_principal_propfind_answers_unknown_calendarserver_props_404() {
    let f = fixture();
    f.req("OPTIONS", "/dav/principals/alice/", &[], "")
        .assert_status(200);
    let r = f.propfind_body("/dav/principals/alice/", "0", PRINCIPAL_BODY, &[]);
    r.assert_status(207)
        .assert_contains(
            "<C:calendar-home-set><D:href>/dav/calendars/alice/</D:href></C:calendar-home-set>",
        )
        .assert_contains(
            "<D:principal-URL><D:href>/dav/principals/alice/</D:href></D:principal-URL>",
        )
        .assert_contains("<D:displayname>alice</D:displayname>")
        .assert_contains("<D:principal-collection-set><D:href>/dav/principals/</D:href>");
    let ok = r
        .body
        .find("<D:status>HTTP/1.1 200 OK</D:status>")
        .expect("200");
    let nf = r
        .body
        .find("<D:status>HTTP/1.1 404 Not Found</D:status>")
        .expect("404");
    assert!(ok < nf, "200 propstat first");
    let missing = &r.body[r.body[..nf].rfind("<D:propstat>").unwrap()..nf];
    for p in ["dropbox-home-URL", "notification-URL"] {
        assert!(missing.contains(p), "{p} in the 404 propstat:\n{}", r.body);
    }
    // The scheduling inbox and outbox exist (RFC 6638 §2.2): their URLs are answered.
    let found = &r.body[..nf];
    for p in [
        "<C:schedule-inbox-URL><D:href>/dav/calendars/alice/inbox/</D:href></C:schedule-inbox-URL>",
        "<C:schedule-outbox-URL><D:href>/dav/calendars/alice/outbox/</D:href></C:schedule-outbox-URL>",
    ] {
        assert!(found.contains(p), "{p} in the 200 propstat:\n{}", r.body);
    }
}

#[test]
fn apple_brief_and_prefer_minimal_drop_404_propstats_keep_one_and_vary() {
    let f = fixture();
    for h in [("brief", "t"), ("prefer", "return=minimal")] {
        let r = f.propfind_body("/dav/principals/alice/", "0", PRINCIPAL_BODY, &[h]);
        r.assert_status(207).assert_lacks("404 Not Found");
        assert!(r.header("vary").unwrap().contains("Brief"));
        assert!(r.header("vary").unwrap().contains("Prefer"));
        r.assert_contains("<C:calendar-home-set>");
        // Only unknown properties asked: the response still carries one (empty) propstat.
        let body = r#"<A:propfind xmlns:A="DAV:"><A:prop><X:nothing xmlns:X="urn:x"/></A:prop></A:propfind>"#;
        let r = f.propfind_body(CAL, "0", body, &[h]);
        r.assert_status(207).assert_lacks("404 Not Found");
        let resp = r.response(CAL);
        assert_eq!(resp.matches("<D:propstat>").count(), 1, "{resp}");
        assert!(resp.contains("<D:status>HTTP/1.1 200 OK</D:status>"));
    }
    // Without the headers the 404 propstat is there.
    f.propfind_body("/dav/principals/alice/", "0", PRINCIPAL_BODY, &[])
        .assert_contains("404 Not Found");
}

#[test]
fn apple_poll_getctag_equals_sync_token_and_report_token() {
    let f = fixture();
    f.put_event(
        &format!("{CAL}CC66969A-DCFF-4FE5-9404-1E6152B4D1D6.ics"),
        "CC66969A-DCFF-4FE5-9404-1E6152B4D1D6",
        &[],
    )
    .assert_status(201);
    let r = f.propfind_body(CAL, "0", POLL_BODY, &[]);
    r.assert_status(207);
    let ctag = element_text(&r.body, "CS:getctag").expect("getctag");
    let token = element_text(&r.body, "D:sync-token").expect("sync-token");
    assert_eq!(ctag, token);
    assert!(token.contains(':'));
    let s = f.report(CAL, Some("1"), &apple_sync(""));
    s.assert_status(207);
    assert_eq!(sync_token(&s.body), token);
    // After a change both move, together.
    f.put_event(&format!("{CAL}b.ics"), "b", &[])
        .assert_status(201);
    let r2 = f.propfind_body(CAL, "0", POLL_BODY, &[]);
    let ctag2 = element_text(&r2.body, "CS:getctag").unwrap();
    assert_ne!(ctag2, ctag);
    assert_eq!(ctag2, element_text(&r2.body, "D:sync-token").unwrap());
}

#[test]
fn apple_sync_collection_depth1_without_sync_level() {
    let f = fixture();
    let put = f.put_event(&format!("{CAL}A.ics"), "A", &[]);
    put.assert_status(201);
    let r = f.report(CAL, Some("1"), &apple_sync(""));
    r.assert_status(207);
    let resp = r.response(&format!("{CAL}A.ics"));
    assert!(
        resp.contains(&format!("<D:getetag>{}</D:getetag>", put.etag())),
        "{resp}"
    );
    assert!(resp.contains("<D:getcontenttype>text/calendar"), "{resp}");
    let token = sync_token(&r.body);
    f.req("DELETE", &format!("{CAL}A.ics"), &[], "")
        .assert_status(204);
    let r = f.report(CAL, Some("1"), &apple_sync(&token));
    r.assert_status(207);
    let gone = r.response(&format!("{CAL}A.ics"));
    assert!(
        gone.contains("<D:status>HTTP/1.1 404 Not Found</D:status>"),
        "{gone}"
    );
    assert!(!gone.contains("<D:propstat>"));
}

#[test]
fn apple_home_supported_report_set_lists_sync_collection() {
    let f = fixture();
    let r = f.propfind("/dav/calendars/alice/", "0", "<D:supported-report-set/>");
    r.assert_status(207).assert_contains("<D:sync-collection/>");
}

#[test]
fn apple_home_sync_collection() {
    let f = fixture();
    let home = "/dav/calendars/alice/";
    let r = f.report(home, Some("1"), &home_sync(""));
    r.assert_status(207);
    let default = r.response(&format!("{home}default/"));
    assert!(
        default.contains("<D:displayname>Calendar</D:displayname>"),
        "{default}"
    );
    assert!(default.contains("<C:calendar/>"), "{default}");
    assert!(default.contains("<C:comp name=\"VEVENT\"/>"), "{default}");
    let t0 = sync_token(&r.body);
    assert!(t0.contains(':'));

    f.req(
        "MKCALENDAR",
        &format!("{home}work/"),
        &[("content-type", "application/xml")],
        MKCALENDAR_BODY,
    )
    .assert_status(201);
    let r = f.report(home, Some("1"), &home_sync(&t0));
    r.assert_status(207);
    let work = r.response(&format!("{home}work/"));
    assert!(
        work.contains("<D:displayname>Work</D:displayname>"),
        "{work}"
    );
    assert!(work.contains("symbolic-color=\"custom\""), "{work}");
    assert!(
        !r.body.contains(&format!("<D:href>{home}default/</D:href>")),
        "unchanged calendar is not repeated:\n{}",
        r.body
    );
    let t1 = sync_token(&r.body);
    assert_ne!(t0, t1);

    // No change: an empty delta with the same token.
    let r = f.report(home, Some("1"), &home_sync(&t1));
    r.assert_status(207);
    assert!(r.responses().is_empty(), "{}", r.body);
    assert_eq!(sync_token(&r.body), t1);

    f.req("DELETE", &format!("{home}work/"), &[], "")
        .assert_status(204);
    let r = f.report(home, Some("1"), &home_sync(&t1));
    r.assert_status(207);
    let gone = r.response(&format!("{home}work/"));
    assert!(
        gone.contains("<D:status>HTTP/1.1 404 Not Found</D:status>"),
        "{gone}"
    );
}

#[test]
fn apple_macos_contacts_main_address_book_is_first_after_home() {
    let f = fixture();
    let home = "/dav/addressbooks/alice/";
    let mk = r#"<?xml version="1.0" encoding="UTF-8"?><A:mkcol xmlns:A="DAV:"><A:set><A:prop><A:resourcetype><A:collection/><B:addressbook xmlns:B="urn:ietf:params:xml:ns:carddav"/></A:resourcetype><A:displayname>Aaa</A:displayname></A:prop></A:set></A:mkcol>"#;
    f.req(
        "MKCOL",
        &format!("{home}aaa/"),
        &[("content-type", "application/xml")],
        mk,
    )
    .assert_status(201);
    let body = r#"<A:propfind xmlns:A="DAV:"><A:prop><A:resourcetype/><A:displayname/><C:getctag xmlns:C="http://calendarserver.org/ns/"/></A:prop></A:propfind>"#;
    let r = f.propfind_body(home, "1", body, &[]);
    r.assert_status(207);
    let hrefs = r.hrefs();
    assert_eq!(hrefs[0], home);
    assert_eq!(hrefs[1], format!("{home}default/"));
    assert!(hrefs.contains(&format!("{home}aaa/")));
    let book = r.response(&format!("{home}default/"));
    assert!(
        book.contains("<CS:getctag>"),
        "macOS Contacts needs getctag: {book}"
    );
}

#[test]
fn apple_mkcalendar_with_symbolic_color_appears_in_next_home_listing() {
    let f = fixture();
    f.req(
        "MKCALENDAR",
        "/dav/calendars/alice/reminders/",
        &[("content-type", "text/xml")],
        MKCALENDAR_BODY,
    )
    .assert_status(201);
    let body = r#"<A:propfind xmlns:A="DAV:"><A:prop><A:displayname/><D:calendar-color xmlns:D="http://apple.com/ns/ical/"/><D:calendar-order xmlns:D="http://apple.com/ns/ical/"/><B:calendar-timezone xmlns:B="urn:ietf:params:xml:ns:caldav"/><B:supported-calendar-component-set xmlns:B="urn:ietf:params:xml:ns:caldav"/></A:prop></A:propfind>"#;
    let r = f.propfind_body("/dav/calendars/alice/", "1", body, &[]);
    let cal = r.response("/dav/calendars/alice/reminders/");
    assert!(cal.contains("symbolic-color=\"custom\""), "{cal}");
    assert!(cal.contains("#882F00FF"), "{cal}");
    assert!(cal.contains(">2<"), "calendar-order kept: {cal}");
    assert!(cal.contains("TZID:Europe/Berlin"), "{cal}");
    assert!(cal.contains("<C:comp name=\"VEVENT\"/>"), "{cal}");
    assert!(!cal.contains("VTODO"), "{cal}");
}

#[test]
fn apple_proppatch_me_card_on_address_book_home() {
    let f = fixture();
    let body = r#"<?xml version="1.0" encoding="UTF-8"?><A:propertyupdate xmlns:A="DAV:"><A:set><A:prop><C:me-card xmlns:C="http://calendarserver.org/ns/"><A:href>/dav/addressbooks/alice/default/me.vcf</A:href></C:me-card></A:prop></A:set></A:propertyupdate>"#;
    let r = f.req(
        "PROPPATCH",
        "/dav/addressbooks/alice/",
        &[("content-type", "text/xml")],
        body,
    );
    r.assert_status(207).assert_contains("HTTP/1.1 200 OK");
    let p = f.propfind_body(
        "/dav/addressbooks/alice/",
        "0",
        r#"<A:propfind xmlns:A="DAV:"><A:prop><C:me-card xmlns:C="http://calendarserver.org/ns/"/></A:prop></A:propfind>"#,
        &[],
    );
    p.assert_contains("/dav/addressbooks/alice/default/me.vcf");
}

#[test]
fn apple_ios_calendar_query_open_ended_time_range() {
    let f = fixture();
    f.put_event(&format!("{CAL}old.ics"), "old", &[])
        .assert_status(201); // 2024-01-05
    f.req(
        "PUT",
        &format!("{CAL}later.ics"),
        &[("content-type", "text/calendar")],
        &event("later", "20260715T100000Z"),
    )
    .assert_status(201);
    f.req(
        "PUT",
        &format!("{CAL}weekly.ics"),
        &[("content-type", "text/calendar")],
        &weekly_event("weekly", "20200106T090000Z"),
    )
    .assert_status(201);
    let body = r#"<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav">
    <A:prop xmlns:A="DAV:"><A:getetag/><A:getcontenttype/></A:prop>
    <C:filter>
      <C:comp-filter name="VCALENDAR">
        <C:comp-filter name="VEVENT"><C:time-range start="20260601T000000Z"/></C:comp-filter>
      </C:comp-filter>
    </C:filter>
  </C:calendar-query>"#;
    let r = f.report(CAL, Some("1"), body);
    r.assert_status(207);
    let hrefs = r.hrefs();
    assert!(hrefs.contains(&format!("{CAL}later.ics")), "{}", r.body);
    assert!(
        hrefs.contains(&format!("{CAL}weekly.ics")),
        "recurring with instances in range: {}",
        r.body
    );
    assert!(!hrefs.contains(&format!("{CAL}old.ics")), "{}", r.body);
}

#[test]
fn apple_multiget_fifty_hrefs_without_depth_with_schedule_tag() {
    let f = fixture();
    let mut etags = Vec::new();
    let mut hrefs = String::new();
    for i in 0..50 {
        let uri = format!("{CAL}E{i:02}.ics");
        etags.push(f.put_event(&uri, &format!("E{i:02}"), &[]).etag());
        hrefs.push_str(&format!("<A:href xmlns:A=\"DAV:\">{uri}</A:href>"));
    }
    let body = format!(
        r#"<C:calendar-multiget xmlns:C="urn:ietf:params:xml:ns:caldav"><A:prop xmlns:A="DAV:"><A:getetag/><C:calendar-data/><C:schedule-tag/></A:prop>{hrefs}</C:calendar-multiget>"#
    );
    let r = f.report(CAL, None, &body);
    r.assert_status(207);
    assert_eq!(r.responses().len(), 50);
    for (i, etag) in etags.iter().enumerate() {
        let resp = r.response(&format!("{CAL}E{i:02}.ics"));
        assert!(resp.contains(&format!("<D:getetag>{etag}</D:getetag>")));
        assert!(resp.contains(&format!("UID:E{i:02}")));
    }
}

#[test]
fn apple_expand_property_principal_discovery() {
    let f = fixture();
    let body = r#"<?xml version="1.0" encoding="utf-8"?>
<A:expand-property xmlns:A="DAV:">
  <A:property name="current-user-principal" namespace="DAV:">
    <A:property name="calendar-home-set" namespace="urn:ietf:params:xml:ns:caldav"/>
    <A:property name="displayname" namespace="DAV:"/>
  </A:property>
</A:expand-property>"#;
    let r = f.report("/dav/principals/alice/", Some("0"), body);
    r.assert_status(207)
        .assert_contains("<D:current-user-principal>")
        .assert_contains("<D:href>/dav/principals/alice/</D:href>")
        .assert_contains(
            "<C:calendar-home-set><D:href>/dav/calendars/alice/</D:href></C:calendar-home-set>",
        )
        .assert_contains("<D:displayname>alice</D:displayname>");
}

#[test]
fn apple_create_without_condition_update_with_if_match_delete_plain() {
    let f = fixture();
    let uri = format!("{CAL}CC66969A-DCFF-4FE5-9404-1E6152B4D1D6.ics");
    let put = f.req(
        "PUT",
        &uri,
        &[("content-type", "text/calendar")],
        &event("CC66969A", "20240105T100000Z"),
    );
    put.assert_status(201);
    let etag = put.etag();
    assert!(!etag.starts_with("W/"));
    let upd = f.req(
        "PUT",
        &uri,
        &[("content-type", "text/calendar"), ("if-match", &etag)],
        &event("CC66969A", "20240106T100000Z"),
    );
    upd.assert_status(204);
    // The 412 on a stale update names the current ETag so the client can re-read.
    let stale = f.req(
        "PUT",
        &uri,
        &[("content-type", "text/calendar"), ("if-match", &etag)],
        &event("CC66969A", "20240107T100000Z"),
    );
    stale.assert_status(412);
    assert_eq!(stale.etag(), upd.etag());
    f.req("DELETE", &uri, &[], "").assert_status(204);
    f.req("DELETE", &uri, &[], "").assert_status(404);
}

#[test]
fn apple_home_sync_reports_calendars_whose_events_changed() {
    let f = fixture();
    let home = "/dav/calendars/alice/";
    f.req("MKCALENDAR", &format!("{home}work/"), &[], "")
        .assert_status(201);
    let r = f.report(home, Some("1"), &home_sync(""));
    r.assert_status(207);
    let t0 = sync_token(&r.body);
    // The home's getctag and sync-token are the token the report handed out.
    let p = f.propfind_body(home, "0", POLL_BODY, &[]);
    assert_eq!(element_text(&p.body, "CS:getctag").unwrap(), t0);
    assert_eq!(element_text(&p.body, "D:sync-token").unwrap(), t0);

    // An event in the default calendar: the home sync names that calendar (with its new ctag),
    // not the untouched one.
    f.put_event(&format!("{CAL}e.ics"), "e", &[])
        .assert_status(201);
    let r = f.report(home, Some("1"), &home_sync(&t0));
    r.assert_status(207);
    let cal = r.response(CAL);
    let new_ctag = element_text(&f.propfind(CAL, "0", "<CS:getctag/>").body, "CS:getctag").unwrap();
    assert!(cal.contains(&new_ctag), "{cal}");
    assert!(!r.hrefs().contains(&format!("{home}work/")), "{}", r.body);
    let t1 = sync_token(&r.body);
    assert_ne!(t1, t0);
    let again = f.report(home, Some("1"), &home_sync(&t1));
    assert!(again.responses().is_empty(), "{}", again.body);
    assert_eq!(sync_token(&again.body), t1);
    // A calendar's own token is unchanged in form: one sequence, no children.
    assert_eq!(new_ctag.matches(':').count(), 4, "{new_ctag}");
}

#[test]
fn apple_proppatch_color_order_displayname_after_mkcalendar() {
    let f = fixture();
    let uri = "/dav/calendars/alice/work/";
    f.req(
        "MKCALENDAR",
        uri,
        &[("content-type", "text/xml")],
        MKCALENDAR_BODY,
    )
    .assert_status(201);
    let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<A:propertyupdate xmlns:A="DAV:">
  <A:set>
    <A:prop>
      <A:displayname>Work (renamed)</A:displayname>
      <D:calendar-color xmlns:D="http://apple.com/ns/ical/" symbolic-color="red">#FF2968FF</D:calendar-color>
      <D:calendar-order xmlns:D="http://apple.com/ns/ical/">7</D:calendar-order>
    </A:prop>
  </A:set>
</A:propertyupdate>"#;
    let r = f.req("PROPPATCH", uri, &[("content-type", "text/xml")], body);
    r.assert_status(207).assert_lacks("403").assert_lacks("424");
    let p = f.propfind_body(
        "/dav/calendars/alice/",
        "1",
        r#"<A:propfind xmlns:A="DAV:"><A:prop><A:displayname/><D:calendar-color xmlns:D="http://apple.com/ns/ical/"/><D:calendar-order xmlns:D="http://apple.com/ns/ical/"/></A:prop></A:propfind>"#,
        &[("brief", "t")],
    );
    let cal = p.response(uri);
    assert!(
        cal.contains("<D:displayname>Work (renamed)</D:displayname>"),
        "{cal}"
    );
    assert!(
        cal.contains("symbolic-color=\"red\"") && cal.contains("#FF2968FF"),
        "{cal}"
    );
    assert!(cal.contains(">7<"), "{cal}");
}

#[test]
fn apple_brief_on_reports_drops_unknown_properties() {
    let f = fixture();
    f.put_event(&format!("{CAL}b.ics"), "b", &[])
        .assert_status(201);
    let multiget = format!(
        r#"<C:calendar-multiget xmlns:C="urn:ietf:params:xml:ns:caldav"><A:prop xmlns:A="DAV:"><A:getetag/><C:calendar-data/><C:schedule-tag/></A:prop><A:href xmlns:A="DAV:">{CAL}b.ics</A:href></C:calendar-multiget>"#
    );
    let sync = apple_sync("").replace(
        "<A:getcontenttype/>",
        "<A:getcontenttype/><X:unknown xmlns:X=\"urn:x\"/>",
    );
    for body in [multiget, sync] {
        let plain = f.report(CAL, Some("1"), &body);
        plain.assert_status(207).assert_contains("404 Not Found");
        let r = f.req(
            "REPORT",
            CAL,
            &[
                ("depth", "1"),
                ("content-type", "text/xml"),
                ("brief", "t"),
                ("prefer", "return=minimal"),
            ],
            &body,
        );
        r.assert_status(207).assert_lacks("404 Not Found");
        assert!(r.header("vary").unwrap().contains("Brief"));
        let resp = r.response(&format!("{CAL}b.ics"));
        assert!(resp.contains("<D:getetag>"), "{resp}");
    }
}

/// Apple Calendar's MKCALENDAR for a new calendar carries its availability
/// (`schedule-calendar-transp`, RFC 6638 §9.1, not protected), colour, order and time zone.
/// It used to be refused whole (207 with 403 and 424) and create nothing.
#[test]
fn mkcalendar_with_schedule_calendar_transp_creates_the_calendar_with_every_property() {
    let f = fixture();
    let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<B:mkcalendar xmlns:B="urn:ietf:params:xml:ns:caldav">
  <A:set xmlns:A="DAV:">
    <A:prop>
      <B:supported-calendar-component-set><B:comp name="VEVENT"/></B:supported-calendar-component-set>
      <D:calendar-order xmlns:D="http://apple.com/ns/ical/">3</D:calendar-order>
      <B:schedule-calendar-transp><B:opaque/></B:schedule-calendar-transp>
      <A:displayname>Holidays</A:displayname>
      <B:calendar-timezone-id>Europe/Berlin</B:calendar-timezone-id>
      <D:calendar-color xmlns:D="http://apple.com/ns/ical/" symbolic-color="custom">#FF2968FF</D:calendar-color>
    </A:prop>
  </A:set>
</B:mkcalendar>"#;
    let uri = "/dav/calendars/alice/7A1B2C3D-holidays/";
    f.req("MKCALENDAR", uri, &[("content-type", "text/xml")], body)
        .assert_status(201);
    f.propfind(
        uri,
        "0",
        r#"<C:schedule-calendar-transp/><C:calendar-timezone-id/><D:displayname/><I:calendar-color xmlns:I="http://apple.com/ns/ical/"/><I:calendar-order xmlns:I="http://apple.com/ns/ical/"/><C:supported-calendar-component-set/>"#,
    )
    .assert_status(207)
    .assert_lacks("404 Not Found")
    .assert_contains("<C:opaque/>")
    .assert_contains(">Europe/Berlin</C:calendar-timezone-id>")
    .assert_contains("<D:displayname>Holidays</D:displayname>")
    .assert_contains(">#FF2968FF</")
    .assert_contains(">3</")
    .assert_contains(r#"<C:comp name="VEVENT"/>"#);
}

/// Making a calendar transparent and recolouring it in one PROPPATCH (what Apple Calendar's
/// "Get Info" sheet sends) applies both.
#[test]
fn proppatch_of_colour_and_availability_applies_both() {
    let f = fixture();
    let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<A:propertyupdate xmlns:A="DAV:">
  <A:set>
    <A:prop>
      <B:schedule-calendar-transp xmlns:B="urn:ietf:params:xml:ns:caldav"><B:transparent/></B:schedule-calendar-transp>
      <D:calendar-color xmlns:D="http://apple.com/ns/ical/" symbolic-color="custom">#1BADF8FF</D:calendar-color>
    </A:prop>
  </A:set>
</A:propertyupdate>"#;
    let r = f.req(
        "PROPPATCH",
        "/dav/calendars/alice/default/",
        &[("content-type", "text/xml")],
        body,
    );
    r.assert_status(207)
        .assert_contains("HTTP/1.1 200 OK")
        .assert_lacks("403")
        .assert_lacks("424");
    f.propfind(
        "/dav/calendars/alice/default/",
        "0",
        r#"<C:schedule-calendar-transp/><I:calendar-color xmlns:I="http://apple.com/ns/ical/"/>"#,
    )
    .assert_contains("<C:transparent/>")
    .assert_contains(">#1BADF8FF</");
}

/// A `DAV:` property RFC 4918 does not define is a dead property like any other; the ones it
/// defines as protected stay refused.
#[test]
fn unknown_dav_namespace_property_is_dead_and_defined_ones_stay_protected() {
    let f = fixture();
    let set = |prop: &str| {
        format!(
            r#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>{prop}</D:prop></D:set></D:propertyupdate>"#
        )
    };
    let cal = "/dav/calendars/alice/default/";
    f.req(
        "PROPPATCH",
        cal,
        &[],
        &set("<D:x-client-note>n1</D:x-client-note>"),
    )
    .assert_status(207)
    .assert_contains("HTTP/1.1 200 OK");
    f.propfind(cal, "0", "<D:x-client-note/>")
        .assert_contains("<D:x-client-note>n1</D:x-client-note>");
    for protected in [
        "<D:creationdate>x</D:creationdate>",
        "<D:supportedlock/>",
        "<D:quota-used-bytes>1</D:quota-used-bytes>",
        "<C:max-resource-size xmlns:C=\"urn:ietf:params:xml:ns:caldav\">1</C:max-resource-size>",
    ] {
        f.req("PROPPATCH", cal, &[], &set(protected))
            .assert_status(207)
            .assert_contains("cannot-modify-protected-property");
    }
}

/// macOS Contacts stores the "Me" card as `CS:me-card` on the address book home; refusing it
/// can crash old versions (sabre.io "carddav-me-card").
#[test]
fn me_card_on_the_address_book_home_is_stored() {
    let f = fixture();
    let home = "/dav/addressbooks/alice/";
    let body = r#"<?xml version="1.0" encoding="UTF-8"?><A:propertyupdate xmlns:A="DAV:"><A:set><A:prop><C:me-card xmlns:C="http://calendarserver.org/ns/"><A:href>/dav/addressbooks/alice/default/me.vcf</A:href></C:me-card></A:prop></A:set></A:propertyupdate>"#;
    f.req("PROPPATCH", home, &[("content-type", "text/xml")], body)
        .assert_status(207)
        .assert_contains("HTTP/1.1 200 OK");
    f.propfind(home, "0", "<CS:me-card/>")
        .assert_contains("/dav/addressbooks/alice/default/me.vcf</D:href>");
}
