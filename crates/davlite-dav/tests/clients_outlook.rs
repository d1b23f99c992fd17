//! What the Outlook CalDav Synchronizer sends (shared/clients/outlook-caldav-synchronizer.md) and
//! what it needs back: above all, hrefs in exactly the path form it used (seed 000).

use crate::common;
use common::*;
use davlite_dav::DavConfig;

fn mounted() -> Fixture {
    fixture_with(DavConfig {
        base: "/caldav.php/".into(),
        aliases: vec!["/caldav/".into()],
        ..DavConfig::default()
    })
}

const LISTING: &str = r#"<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:E="http://apple.com/ns/ical/">
  <D:prop>
    <D:resourcetype/>
    <D:displayname/>
    <E:calendar-color/>
    <C:supported-calendar-component-set/>
  </D:prop>
</D:propfind>"#;

fn query(start: &str, end: &str) -> String {
    format!(
        r#"<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop xmlns:D="DAV:"><D:getetag/></D:prop>
  <C:filter>
    <C:comp-filter name="VCALENDAR">
      <C:comp-filter name="VEVENT">
        <C:time-range start="{start}" end="{end}"/>
      </C:comp-filter>
    </C:comp-filter>
  </C:filter>
</C:calendar-query>"#
    )
}

#[test]
fn outlook_calendar_listing_has_displayname_and_component_set() {
    let f = fixture();
    let r = f.propfind_body("/dav/calendars/alice/", "1", LISTING, &[]);
    r.assert_status(207);
    let cal = r.response(CAL);
    assert!(
        cal.contains("<D:displayname>Calendar</D:displayname>"),
        "{cal}"
    );
    assert!(
        cal.contains("<C:supported-calendar-component-set>"),
        "{cal}"
    );
}

#[test]
fn outlook_principal_and_owner_hrefs_are_path_absolute() {
    let f = mounted();
    let body = r#"<D:propfind xmlns:D="DAV:"><D:prop><D:current-user-principal/><D:principal-URL/><D:resourcetype/><D:owner/></D:prop></D:propfind>"#;
    let r = f.propfind_body("/caldav/calendars/alice/default/", "0", body, &[]);
    r.assert_status(207)
        .assert_contains("<D:current-user-principal><D:href>/caldav/principals/alice/</D:href>")
        .assert_contains("<D:owner><D:href>/caldav/principals/alice/</D:href></D:owner>");
}

#[test]
fn outlook_hrefs_keep_the_put_prefix_under_an_alias() {
    let f = mounted();
    let cal = "/caldav/calendars/alice/default/";
    let put = f.req(
        "PUT",
        &format!("{cal}040000008200E00074C5B7101A82E008.ics"),
        &[("content-type", "text/calendar"), ("if-none-match", "*")],
        &event("040000008200E00074C5B7101A82E008", "20260105T100000Z"),
    );
    put.assert_status(201);
    let r = f.report(
        cal,
        Some("1"),
        &query("20260101T000000Z", "20270101T000000Z"),
    );
    r.assert_status(207);
    assert_eq!(
        r.hrefs(),
        vec![format!("{cal}040000008200E00074C5B7101A82E008.ics")]
    );
    assert!(!r.body.contains("caldav.php"));
    let sync = f.report(cal, Some("0"), &sync_body("", "<D:getetag/>"));
    assert_eq!(
        sync.hrefs(),
        vec![format!("{cal}040000008200E00074C5B7101A82E008.ics")]
    );
}

#[test]
fn outlook_create_412_only_for_existing_target_and_precondition_is_403() {
    let f = fixture();
    let uri = format!("{CAL}o.ics");
    let etag = f.put_event(&uri, "o", &[("if-none-match", "*")]).etag();
    let again = f.put_event(&uri, "o", &[("if-none-match", "*")]);
    again.assert_status(412);
    assert_eq!(again.etag(), etag);
    // A CalDAV precondition is never a 412: Outlook treats a 412 on update as "not found".
    let before = f.state();
    let r = f.req(
        "PUT",
        &uri,
        &[("content-type", "text/calendar"), ("if-match", &etag)],
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:o\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240105T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    );
    r.assert_status(403)
        .assert_contains("valid-calendar-object-resource");
    assert_eq!(f.state(), before);
}

#[test]
fn outlook_multiget_all_hrefs_in_one_request() {
    let f = fast_fixture();
    let n = 3000;
    let mut hrefs = String::new();
    for i in 0..n {
        let uri = format!("{CAL}ev{i}.ics");
        f.put_event(&uri, &format!("ev{i}"), &[]).assert_status(201);
        hrefs.push_str(&format!("<D:href>{uri}</D:href>"));
    }
    let body = format!(
        r#"<C:calendar-multiget xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:D="DAV:"><D:prop><D:getetag/><D:displayname/><C:calendar-data/></D:prop>{hrefs}</C:calendar-multiget>"#
    );
    let r = f.report(CAL, Some("1"), &body);
    r.assert_status(207);
    assert_eq!(r.responses().len(), n);
    assert_eq!(r.body.matches("BEGIN:VCALENDAR").count(), n);
    // Every member is also listed by a calendar-query with no limit below real sizes.
    let q = f.report(
        CAL,
        Some("1"),
        &query("20240101T000000Z", "20250101T000000Z"),
    );
    q.assert_status(207);
    assert_eq!(q.responses().len(), n);
    assert!(!q.body.contains("507 Insufficient Storage"));
}

#[test]
fn outlook_sync_without_limit_is_never_truncated() {
    let f = fast_fixture();
    for i in 0..300 {
        f.put_event(&format!("{CAL}s{i}.ics"), &format!("s{i}"), &[])
            .assert_status(201);
    }
    let body = r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#;
    let r = f.report(CAL, Some("0"), body);
    r.assert_status(207);
    assert_eq!(r.responses().len(), 300);
    assert!(!r.body.contains("507 Insufficient Storage"));
}

#[test]
fn outlook_truncated_sync_507_href_is_spelled_as_requested() {
    let f = fixture();
    for i in 0..3 {
        f.put_event(&format!("{CAL}t{i}.ics"), &format!("t{i}"), &[])
            .assert_status(201);
    }
    let body = r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:limit><D:nresults>1</D:nresults></D:limit><D:prop><D:getetag/></D:prop></D:sync-collection>"#;
    for spelled in [
        "/dav/calendars/alice/default",
        "/dav/calendars/alice/default/",
        "/dav/calendars/%61lice/default/",
    ] {
        let r = f.report(spelled, Some("0"), body);
        r.assert_status(207);
        let own = r.response(spelled);
        assert!(own.contains("HTTP/1.1 507 Insufficient Storage"), "{own}");
        assert!(
            own.contains("<D:number-of-matches-within-limits/>"),
            "{own}"
        );
    }
}

#[test]
fn outlook_invalid_sync_token_is_403_not_409() {
    let f = fixture();
    let body = r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token>http://example/sync/123</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#;
    f.report(CAL, Some("0"), body)
        .assert_status(403)
        .assert_contains("<D:valid-sync-token/>");
}

#[test]
fn outlook_distribution_list_content_type_is_a_precondition_not_500() {
    let f = fixture();
    let before = f.state();
    let list = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:list1\r\nFN:Team\r\nN:Team;;;;\r\nX-ADDRESSBOOKSERVER-KIND:group\r\nEND:VCARD\r\n";
    let r = f.req(
        "PUT",
        &format!("{BOOK}list1.vcf"),
        &[("content-type", "text/x-vlist"), ("if-none-match", "*")],
        list,
    );
    assert!(
        r.status == 201 || r.status == 403,
        "{} {}",
        r.status,
        r.body
    );
    if r.status == 403 {
        r.assert_contains("<CR:supported-address-data/>");
        assert_eq!(f.state(), before);
    }
}

#[test]
fn outlook_no_redirects_for_collections_or_writes() {
    let f = fixture();
    let r = f.propfind("/dav/calendars/alice/default", "0", "<D:resourcetype/>");
    r.assert_status(207);
    assert_eq!(r.hrefs()[0], CAL, "canonical href with slash");
    let p = f.put_event(&format!("{CAL}r.ics"), "r", &[("if-none-match", "*")]);
    p.assert_status(201);
    assert!(p.header("location").is_none_or(|l| l.ends_with("r.ics")));
    f.req(
        "DELETE",
        &format!("{CAL}r.ics"),
        &[("if-match", &p.etag())],
        "",
    )
    .assert_status(204);
}
