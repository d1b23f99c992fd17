//! What vdirsyncer sends (shared/clients/vdirsyncer.md) and what it needs back.

use crate::common;
use common::*;

#[test]
fn vdirsyncer_multiget_missing_href_is_404_not_abort() {
    let f = fixture();
    let a = f.put_event(&format!("{CAL}a.ics"), "a", &[("if-none-match", "*")]);
    let body = format!(
        r#"<C:calendar-multiget xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <prop>
    <getetag/>
    <C:calendar-data/>
  </prop>
  <href>{CAL}a.ics</href>
  <href>{CAL}gone.ics</href>
  <href>/dav/calendars/alice/other/x.ics</href>
  <href>/dav/calendars/bob/default/b.ics</href>
</C:calendar-multiget>"#
    );
    let r = f.report(CAL, None, &body);
    r.assert_status(207);
    assert_eq!(r.responses().len(), 4, "{}", r.body);
    assert!(r.response(&format!("{CAL}a.ics")).contains(&a.etag()));
    for h in [
        format!("{CAL}gone.ics"),
        "/dav/calendars/alice/other/x.ics".to_string(),
        "/dav/calendars/bob/default/b.ics".to_string(),
    ] {
        let resp = r.response(&h);
        assert!(
            resp.contains("<D:status>HTTP/1.1 404 Not Found</D:status>"),
            "{resp}"
        );
        assert!(!resp.contains("BEGIN:VCALENDAR"));
    }
}

#[test]
fn vdirsyncer_address_data_with_capitalised_content_type_attribute() {
    let f = fixture();
    f.put_card(&format!("{BOOK}a.vcf"), "a", &[("if-none-match", "*")])
        .assert_status(201);
    let body = format!(
        r#"<C:addressbook-multiget xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <prop>
    <getetag/>
    <C:address-data Content-Type="text/vcard"/>
  </prop>
  <href>{BOOK}a.vcf</href>
</C:addressbook-multiget>"#
    );
    let r = f.report(BOOK, None, &body);
    r.assert_status(207);
    assert!(
        r.response(&format!("{BOOK}a.vcf")).contains("UID:a"),
        "{}",
        r.body
    );
}

#[test]
fn vdirsyncer_extended_mkcol_creates_a_calendar() {
    let f = fixture();
    let body = r#"<mkcol xmlns="DAV:">
  <set><prop><resourcetype><collection/><C:calendar xmlns:C="urn:ietf:params:xml:ns:caldav"/></resourcetype></prop></set>
</mkcol>"#;
    f.req(
        "MKCOL",
        "/dav/calendars/alice/vdir/",
        &[("content-type", "application/xml")],
        body,
    )
    .assert_status(201);
    let r = f.propfind_body(
        "/dav/calendars/alice/",
        "1",
        r#"<propfind xmlns="DAV:"><prop><resourcetype/></prop></propfind>"#,
        &[],
    );
    assert!(
        r.response("/dav/calendars/alice/vdir/")
            .contains("<C:calendar/>")
    );
    f.put_event(
        "/dav/calendars/alice/vdir/e.ics",
        "e",
        &[("if-none-match", "*")],
    )
    .assert_status(201);
}

#[test]
fn vdirsyncer_listing_depth1_then_query_with_range() {
    let f = fixture();
    let put = f.put_event(&format!("{CAL}l.ics"), "l", &[("if-none-match", "*")]);
    let body = r#"<propfind xmlns="DAV:"><prop><resourcetype/><getcontenttype/><getetag/></prop></propfind>"#;
    let r = f.propfind_body(CAL, "1", body, &[]);
    r.assert_status(207);
    let resp = r.response(&format!("{CAL}l.ics"));
    assert!(resp.contains(&format!("<D:getetag>{}</D:getetag>", put.etag())));
    let q = r#"<C:calendar-query xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <prop><getcontenttype/><getetag/></prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20240101T000000Z" end="20250101T000000Z"/></C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"#;
    let r = f.report(CAL, Some("1"), q);
    r.assert_status(207);
    assert_eq!(r.hrefs(), vec![format!("{CAL}l.ics")]);
}

#[test]
fn vdirsyncer_put_if_none_match_then_if_match_update_and_delete() {
    let f = fixture();
    let uri = format!("{CAL}v.ics");
    let etag = f.put_event(&uri, "v", &[("if-none-match", "*")]).etag();
    let upd = f.req(
        "PUT",
        &uri,
        &[("content-type", "text/calendar"), ("if-match", &etag)],
        &event("v", "20240201T100000Z"),
    );
    upd.assert_status(204);
    // A stale retried update with the exact same bytes: 2xx with the current ETag, no new change.
    let before = f.state();
    let retry = f.req(
        "PUT",
        &uri,
        &[("content-type", "text/calendar"), ("if-match", &etag)],
        &event("v", "20240201T100000Z"),
    );
    assert!((200..300).contains(&retry.status), "{}", retry.status);
    assert_eq!(retry.etag(), upd.etag());
    assert_eq!(f.state(), before);
    f.req("DELETE", &uri, &[("if-match", &upd.etag())], "")
        .assert_status(204);
}
