//! What Evolution (evolution-data-server) sends (shared/clients/evolution.md) and needs back.

use crate::common;
use common::*;

const EDS_CT: &str = "text/calendar; charset=\"utf-8\"";

fn eds_sync(token: &str) -> String {
    let tok = if token.is_empty() {
        "<sync-token/>".to_string()
    } else {
        format!("<sync-token>{token}</sync-token>")
    };
    format!(
        r#"<sync-collection xmlns="DAV:">{tok}<sync-level>1</sync-level><prop><getetag/></prop></sync-collection>"#
    )
}

#[test]
fn evolution_put_prefer_minimal() {
    let f = fixture();
    let uri = format!("{CAL}eds%40uid.ics");
    let r = f.req(
        "PUT",
        &uri,
        &[
            ("content-type", EDS_CT),
            ("if-none-match", "*"),
            ("prefer", "return=minimal"),
        ],
        &event("eds@uid", "20240105T100000Z"),
    );
    r.assert_status(201);
    assert!(r.body.is_empty(), "{}", r.body);
    let etag = r.etag();
    assert!(
        !etag.starts_with("W/"),
        "a strong ETag lets EDS keep its own copy"
    );
    let u = f.req(
        "PUT",
        &uri,
        &[
            ("content-type", EDS_CT),
            ("if-match", &etag),
            ("prefer", "return=minimal"),
        ],
        &event("eds@uid", "20240106T100000Z"),
    );
    u.assert_status(204);
    assert!(u.body.is_empty());
    // The ETag is returned only because the stored bytes are the bytes sent.
    let g = f.req("GET", &uri, &[], "");
    assert_eq!(g.body, event("eds@uid", "20240106T100000Z"));
    assert_eq!(g.etag(), u.etag());
}

#[test]
fn evolution_quoted_charset_in_request_content_types() {
    let f = fixture();
    f.req(
        "PUT",
        &format!("{BOOK}q.vcf"),
        &[("content-type", "text/vcard; charset=\"utf-8\"")],
        &vcard("q", "Q"),
    )
    .assert_status(201);
    let r = f.req(
        "PROPFIND",
        CAL,
        &[("depth", "0"), ("content-type", "application/xml; charset=\"utf-8\"")],
        r#"<propfind xmlns="DAV:" xmlns:CS="http://calendarserver.org/ns/"><prop><CS:getctag/><supported-report-set/></prop></propfind>"#,
    );
    r.assert_status(207).assert_contains("<D:sync-collection/>");
}

#[test]
fn evolution_sync_token_contains_colon_or_slash() {
    let f = fixture();
    f.req(
        "PUT",
        &format!("{CAL}a.ics"),
        &[("content-type", EDS_CT)],
        &event("a", "20240105T100000Z"),
    )
    .assert_status(201);
    let r = f.report(CAL, Some("0"), &eds_sync(""));
    r.assert_status(207);
    let t = sync_token(&r.body);
    assert!(t.contains(':') || t.contains('/'), "{t}");
    let again = f.report(CAL, Some("0"), &eds_sync(&t));
    again.assert_status(207);
    assert!(
        again.responses().is_empty(),
        "no change, empty delta: {}",
        again.body
    );
    assert_eq!(sync_token(&again.body), t);
}

#[test]
fn evolution_hrefs_are_path_absolute_and_collections_end_in_slash() {
    let f = fixture();
    f.req(
        "PUT",
        &format!("{CAL}a.ics"),
        &[("content-type", EDS_CT)],
        &event("a", "20240105T100000Z"),
    )
    .assert_status(201);
    let body = r#"<propfind xmlns="DAV:" xmlns:CS="http://calendarserver.org/ns/" xmlns:C="urn:ietf:params:xml:ns:caldav"
          xmlns:IC="http://apple.com/ns/ical/">
  <prop>
    <resourcetype/><CS:source/><C:supported-calendar-component-set/><displayname/><getetag/><CS:getctag/>
    <getcontenttype/><getcontentlength/><creationdate/><getlastmodified/><C:calendar-description/>
    <IC:calendar-color/><IC:calendar-order/>
  </prop>
</propfind>"#;
    for uri in [
        "/dav/calendars/alice/",
        CAL,
        "/dav/principals/alice/",
        "/dav/",
    ] {
        let r = f.propfind_body(uri, "1", body, &[]);
        r.assert_status(207);
        for h in r.hrefs() {
            assert!(h.starts_with("/dav/"), "{h}");
            assert!(!h.contains("://"));
        }
        for resp in r.responses() {
            if resp.contains("<D:collection/>") {
                let h = element_text(&resp, "D:href").unwrap();
                assert!(h.ends_with('/'), "{h}");
            }
        }
    }
    let home = f.propfind_body("/dav/calendars/alice/", "1", body, &[]);
    let cal = home.response(CAL);
    assert!(
        cal.contains("<C:supported-calendar-component-set>"),
        "EDS drops calendars without it: {cal}"
    );
    assert!(cal.contains("<D:getlastmodified>"), "{cal}");
}

#[test]
fn evolution_options_on_every_calendar_and_book() {
    let f = fixture();
    for (uri, class) in [(CAL, "calendar-access"), (BOOK, "addressbook")] {
        let r = f.req("OPTIONS", uri, &[], "");
        assert!((200..300).contains(&r.status));
        assert!(r.header("dav").unwrap().contains(class));
        let allow = r.header("allow").unwrap();
        for m in ["PUT", "DELETE", "PROPFIND", "REPORT"] {
            assert!(allow.contains(m), "{m} in {allow}");
        }
    }
}

#[test]
fn evolution_calendar_query_with_range_then_without() {
    let f = fixture();
    f.req(
        "PUT",
        &format!("{CAL}in.ics"),
        &[("content-type", EDS_CT)],
        &event("in", "20260801T100000Z"),
    )
    .assert_status(201);
    f.req(
        "PUT",
        &format!("{CAL}out.ics"),
        &[("content-type", EDS_CT)],
        &event("out", "20270801T100000Z"),
    )
    .assert_status(201);
    let ranged = r#"<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:D="DAV:">
    <D:prop><D:getetag/></D:prop>
    <C:filter>
      <C:comp-filter name="VCALENDAR">
        <C:comp-filter name="VEVENT">
          <C:time-range start="20260718T000000Z" end="20260926T000000Z"/>
        </C:comp-filter>
      </C:comp-filter>
    </C:filter>
  </C:calendar-query>"#;
    let r = f.report(CAL, Some("1"), ranged);
    r.assert_status(207);
    assert_eq!(r.hrefs(), vec![format!("{CAL}in.ics")]);
    let all = r#"<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:D="DAV:"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter></C:calendar-query>"#;
    // EDS also sends REPORTs without Depth.
    let r = f.report(CAL, None, all);
    r.assert_status(207);
    let mut h = r.hrefs();
    h.sort();
    assert_eq!(h, vec![format!("{CAL}in.ics"), format!("{CAL}out.ics")]);
}

#[test]
fn evolution_uid_conflict_names_the_holder() {
    let f = fixture();
    f.req(
        "PUT",
        &format!("{CAL}one.ics"),
        &[("content-type", EDS_CT), ("if-none-match", "*")],
        &event("dup", "20240105T100000Z"),
    )
    .assert_status(201);
    let before = f.state();
    let r = f.req(
        "PUT",
        &format!("{CAL}two.ics"),
        &[
            ("content-type", EDS_CT),
            ("if-none-match", "*"),
            ("prefer", "return=minimal"),
        ],
        &event("dup", "20240105T100000Z"),
    );
    r.assert_status(403).assert_contains(
        "<C:no-uid-conflict><D:href>/dav/calendars/alice/default/one.ics</D:href>",
    );
    assert_eq!(f.state(), before);
}
