//! PRECONDITIONS.md "Reports and PROPFIND": every row that the DAV layer can produce.

use crate::common;
use common::*;

fn cal_query(filter: &str) -> String {
    format!(
        r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter>{filter}</C:filter></C:calendar-query>"#
    )
}

fn card_query(filter: &str, limit: &str) -> String {
    format!(
        r#"<CR:addressbook-query xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/></D:prop><CR:filter>{filter}</CR:filter>{limit}</CR:addressbook-query>"#
    )
}

#[track_caller]
fn refused(
    f: &Fixture,
    uri: &str,
    depth: Option<&str>,
    body: &str,
    status: u16,
    element: &str,
) -> Resp {
    let before = f.state();
    let r = f.report(uri, depth, body);
    r.assert_status(status).assert_contains(element);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/xml")
    );
    assert_eq!(f.state(), before);
    r
}

#[test]
fn body_not_well_formed_is_400() {
    let f = fixture();
    for body in [
        "<D:propfind xmlns:D=\"DAV:\"><D:prop>",
        "not xml",
        "<a><b></a></b>",
    ] {
        f.req("PROPFIND", CAL, &[("depth", "0")], body)
            .assert_status(400);
        f.report(CAL, Some("1"), body).assert_status(400);
    }
    f.req("PROPPATCH", CAL, &[], "<D:propertyupdate")
        .assert_status(400);
}

#[test]
fn unsupported_report_is_403_supported_report() {
    let f = fixture();
    refused(
        &f,
        BOOK,
        Some("1"),
        &cal_query(r#"<C:comp-filter name="VCALENDAR"/>"#),
        403,
        "<D:supported-report/>",
    );
    refused(
        &f,
        CAL,
        Some("1"),
        &card_query("", ""),
        403,
        "<D:supported-report/>",
    );
    refused(
        &f,
        CAL,
        Some("0"),
        r#"<X:custom xmlns:X="urn:x"/>"#,
        403,
        "<D:supported-report/>",
    );
    refused(
        &f,
        "/dav/principals/alice/",
        Some("0"),
        &sync_body("", "<D:getetag/>"),
        403,
        "<D:supported-report/>",
    );
}

#[test]
fn propfind_infinite_or_missing_depth_on_a_collection_is_propfind_finite_depth() {
    let f = fixture();
    for h in [vec![("depth", "infinity")], vec![]] {
        let r = f.req("PROPFIND", CAL, &h, "");
        r.assert_status(403)
            .assert_contains("<D:propfind-finite-depth/>");
    }
    // On an object no Depth is harmless.
    f.put_event(&format!("{CAL}a.ics"), "a", &[])
        .assert_status(201);
    f.req("PROPFIND", &format!("{CAL}a.ics"), &[], "")
        .assert_status(207);
}

#[test]
fn filter_on_what_we_cannot_filter_is_supported_filter() {
    let f = fixture();
    let r = refused(
        &f,
        CAL,
        Some("1"),
        &cal_query(
            r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match collation="i;ascii-casemap"><C:weird/>x</C:text-match><X:unknown xmlns:X="urn:x"/></C:prop-filter></C:comp-filter></C:comp-filter>"#,
        ),
        403,
        "<C:supported-filter>",
    );
    assert!(r.body.contains("xmlns:C=\"urn:ietf:params:xml:ns:caldav\""));
    refused(
        &f,
        BOOK,
        Some("1"),
        &card_query(
            r#"<CR:prop-filter name="FN"><X:unknown xmlns:X="urn:x"/></CR:prop-filter>"#,
            "",
        ),
        403,
        "<CR:supported-filter>",
    );
}

/// RFC 4791 §9.9 allows a time-range on VEVENT, VTODO, VJOURNAL, VFREEBUSY and VALARM only;
/// one on VCALENDAR or VTIMEZONE is a malformed filter.
#[test]
fn time_range_where_rfc_4791_defines_none_is_valid_filter() {
    let f = fixture();
    for filter in [
        r#"<C:comp-filter name="VCALENDAR"><C:time-range start="20240101T000000Z" end="20240201T000000Z"/></C:comp-filter>"#,
        r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VTIMEZONE"><C:time-range start="20240101T000000Z" end="20240201T000000Z"/></C:comp-filter></C:comp-filter>"#,
    ] {
        refused(
            &f,
            CAL,
            Some("1"),
            &cal_query(filter),
            403,
            "<C:valid-filter",
        );
    }
}

#[test]
fn malformed_filters_are_valid_filter() {
    let f = fixture();
    for filter in [
        r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20240105T000000Z" end="20240101T000000Z"/></C:comp-filter></C:comp-filter>"#,
        r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20240105T000000Z" end="20240105T000000Z"/></C:comp-filter></C:comp-filter>"#,
        r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20240101T000000"/></C:comp-filter></C:comp-filter>"#,
        r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:comp-filter name="VCALENDAR"/></C:comp-filter></C:comp-filter>"#,
    ] {
        refused(
            &f,
            CAL,
            Some("1"),
            &cal_query(filter),
            403,
            "<C:valid-filter/>",
        );
    }
}

#[test]
fn query_time_range_outside_min_max_date_time_is_refused() {
    let f = fixture();
    let store = f.dav.store();
    let mut limits = store
        .collection("calendars/alice/default")
        .unwrap()
        .unwrap()
        .limits;
    limits.min_date = Some(1_672_531_200); // 2023-01-01
    limits.max_date = Some(1_735_689_600); // 2025-01-01
    store
        .update_collection("calendars/alice/default", vec![], Some(limits))
        .unwrap();
    let range = |s: &str, e: &str| {
        cal_query(&format!(
            r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="{s}" end="{e}"/></C:comp-filter></C:comp-filter>"#
        ))
    };
    refused(
        &f,
        CAL,
        Some("1"),
        &range("20200101T000000Z", "20210101T000000Z"),
        403,
        "<C:min-date-time/>",
    );
    refused(
        &f,
        CAL,
        Some("1"),
        &range("20300101T000000Z", "20310101T000000Z"),
        403,
        "<C:max-date-time/>",
    );
    f.report(
        CAL,
        Some("1"),
        &range("20240101T000000Z", "20240201T000000Z"),
    )
    .assert_status(207);
}

#[test]
fn unknown_collation_is_supported_collation() {
    let f = fixture();
    refused(
        &f,
        CAL,
        Some("1"),
        &cal_query(
            r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match collation="x;klingon">x</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter>"#,
        ),
        403,
        "<C:supported-collation",
    );
    refused(
        &f,
        BOOK,
        Some("1"),
        &card_query(
            r#"<CR:prop-filter name="FN"><CR:text-match collation="x;klingon">x</CR:text-match></CR:prop-filter>"#,
            "",
        ),
        403,
        "<CR:supported-collation",
    );
}

#[test]
fn addressbook_query_cut_short_by_client_limit_is_207_with_507_for_the_request_uri() {
    let f = fixture();
    for i in 0..5 {
        f.put_card(&format!("{BOOK}{i}.vcf"), &format!("q{i}"), &[])
            .assert_status(201);
    }
    let body = card_query("", "<CR:limit><CR:nresults>2</CR:nresults></CR:limit>");
    let r = f.report(BOOK, Some("1"), &body);
    r.assert_status(207);
    let members: Vec<_> = r.hrefs().into_iter().filter(|h| h != BOOK).collect();
    assert_eq!(members.len(), 2, "{}", r.body);
    let own = r.response(BOOK);
    assert!(own.contains("HTTP/1.1 507 Insufficient Storage"), "{own}");
    assert!(
        own.contains("<D:number-of-matches-within-limits/>"),
        "{own}"
    );
}

#[test]
fn sync_cut_short_continues_without_loss_or_repeat() {
    let f = fixture();
    for i in 0..7 {
        f.put_event(&format!("{CAL}{i}.ics"), &format!("s{i}"), &[])
            .assert_status(201);
    }
    let limited = |token: &str| {
        sync_body(token, "<D:getetag/>").replace(
            "<D:prop>",
            "<D:limit><D:nresults>3</D:nresults></D:limit><D:prop>",
        )
    };
    let mut token = String::new();
    let mut seen = Vec::new();
    let mut last_of_zero = String::new();
    loop {
        let r = f.report(CAL, Some("0"), &limited(&token));
        r.assert_status(207);
        let members: Vec<_> = r.hrefs().into_iter().filter(|h| h != CAL).collect();
        assert!(members.len() <= 3);
        if members.contains(&format!("{CAL}0.ics")) {
            last_of_zero = r.response(&format!("{CAL}0.ics"));
        }
        seen.extend(members);
        token = sync_token(&r.body);
        if !r.body.contains("507 Insufficient Storage") {
            break;
        }
        // A deletion during paging of an already delivered member must still reach the client.
        if seen.len() == 3 {
            f.req("DELETE", &format!("{CAL}0.ics"), &[], "")
                .assert_status(204);
        }
    }
    let mut uniq = seen.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), 7, "{seen:?}");
    assert!(last_of_zero.contains("404 Not Found"), "{last_of_zero}");
    // Nothing is left over: the next delta is empty.
    let r = f.report(CAL, Some("0"), &sync_body(&token, "<D:getetag/>"));
    r.assert_status(207);
    assert!(r.responses().is_empty(), "{}", r.body);
}

#[test]
fn invalid_sync_tokens_are_403_valid_sync_token_xml() {
    let f = fixture();
    f.put_event(&format!("{CAL}a.ics"), "a", &[])
        .assert_status(201);
    let book_token = sync_token(
        &f.report(BOOK, Some("0"), &sync_body("", "<D:getetag/>"))
            .body,
    );
    for t in [
        "garbage",
        "urn:davlite:sync:x:y",
        book_token.as_str(),
        "urn:davlite:sync:3:999999",
    ] {
        let r = refused(
            &f,
            CAL,
            Some("0"),
            &sync_body(t, "<D:getetag/>"),
            403,
            "<D:valid-sync-token/>",
        );
        assert!(r.body.contains("xmlns:D=\"DAV:\""));
    }
    // Older than a raised floor.
    let t0 = sync_token(
        &f.report(CAL, Some("0"), &sync_body("", "<D:getetag/>"))
            .body,
    );
    f.req("DELETE", &format!("{CAL}a.ics"), &[], "")
        .assert_status(204);
    f.put_event(&format!("{CAL}b.ics"), "b", &[])
        .assert_status(201);
    let seq = f
        .dav
        .store()
        .collection("calendars/alice/default")
        .unwrap()
        .unwrap()
        .seq;
    f.dav
        .store()
        .prune_changes("calendars/alice/default", seq)
        .unwrap();
    refused(
        &f,
        CAL,
        Some("0"),
        &sync_body(&t0, "<D:getetag/>"),
        403,
        "<D:valid-sync-token/>",
    );
}

#[test]
fn sync_depth_0_1_or_none_served_and_infinity_with_level_1_is_400() {
    let f = fixture();
    f.put_event(&format!("{CAL}a.ics"), "a", &[])
        .assert_status(201);
    for d in [Some("0"), Some("1"), None] {
        let r = f.report(CAL, d, &sync_body("", "<D:getetag/>"));
        r.assert_status(207);
        r.response(&format!("{CAL}a.ics"));
        let no_level = sync_body("", "<D:getetag/>").replace("<D:sync-level>1</D:sync-level>", "");
        f.report(CAL, d, &no_level).assert_status(207);
    }
    let before = f.state();
    f.report(CAL, Some("infinity"), &sync_body("", "<D:getetag/>"))
        .assert_status(400);
    assert_eq!(f.state(), before);
}

#[test]
fn multiget_href_outside_or_unknown_is_404_inside_the_207() {
    let f = fixture();
    f.put_event(&format!("{CAL}a.ics"), "a", &[])
        .assert_status(201);
    let body = format!(
        r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><D:href>{CAL}a.ics</D:href><D:href>{CAL}missing.ics</D:href><D:href>{BOOK}x.vcf</D:href><D:href>/elsewhere/x.ics</D:href><D:href>http://other.example/dav/calendars/alice/default/a.ics</D:href></C:calendar-multiget>"#
    );
    let r = f.report(CAL, Some("1"), &body);
    r.assert_status(207);
    assert_eq!(r.responses().len(), 5, "{}", r.body);
    assert!(r.response(&format!("{CAL}a.ics")).contains("200 OK"));
    for h in [
        format!("{CAL}missing.ics"),
        format!("{BOOK}x.vcf"),
        "/elsewhere/x.ics".into(),
    ] {
        assert!(r.response(&h).contains("HTTP/1.1 404 Not Found"), "{h}");
    }
}

#[test]
fn get_with_an_accept_we_cannot_produce_is_406_supported_address_data_conversion() {
    let f = fixture();
    let uri = format!("{BOOK}a.vcf");
    f.put_card(&uri, "a", &[]).assert_status(201);
    let r = f.req("GET", &uri, &[("accept", "text/vcard; version=2.1")], "");
    r.assert_status(406)
        .assert_contains("<CR:supported-address-data-conversion/>");
    f.req("GET", &uri, &[("accept", "text/vcard; version=3.0")], "")
        .assert_status(200);
    f.req("GET", &uri, &[("accept", "text/vcard")], "")
        .assert_status(200);
    f.req("GET", &uri, &[("accept", "*/*")], "")
        .assert_status(200);
}

/// RFC 6352 §6.3.2.1 / §10.4: a card is served in the version the client asks for. A 3.0 card
/// (Apple Contacts writes 3.0) reaches a 4.0 client (DAVx5) as 4.0 by GET and in a multiget,
/// and comes back as 3.0; the stored bytes and the ETag do not change.
#[test]
fn cards_are_converted_between_3_0_and_4_0_on_request() {
    let f = fixture();
    let uri = format!("{BOOK}apple.vcf");
    let v3 = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:apple-1\r\nFN:Ann Apple\r\nN:Apple;Ann;;;\r\nTEL;TYPE=CELL,PREF:+1 555 0100\r\nPHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ\r\nEND:VCARD\r\n";
    let etag = f
        .req(
            "PUT",
            &uri,
            &[("content-type", "text/vcard; charset=utf-8")],
            v3,
        )
        .assert_status(201)
        .etag();
    let four = f.req("GET", &uri, &[("accept", "text/vcard; version=4.0")], "");
    four.assert_status(200)
        .assert_contains("VERSION:4.0\r\n")
        .assert_contains("TEL;TYPE=CELL;PREF=1:+1 555 0100\r\n")
        .assert_contains("PHOTO:data:image/jpeg;base64,/9j/4AAQ\r\n");
    assert_eq!(four.etag(), etag);
    let multiget = format!(
        r#"<CR:addressbook-multiget xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><CR:address-data content-type="text/vcard" version="4.0"/></D:prop><D:href>{uri}</D:href></CR:addressbook-multiget>"#
    );
    f.report(BOOK, Some("1"), &multiget)
        .assert_status(207)
        .assert_contains("VERSION:4.0")
        .assert_contains("PREF=1");
    // Asked as 3.0, and unconverted by default: the stored bytes.
    assert_eq!(
        f.req("GET", &uri, &[("accept", "text/vcard; version=3.0")], "")
            .body,
        v3
    );
    assert_eq!(f.req("GET", &uri, &[], "").body, v3);
}

#[test]
fn sync_limit_we_cannot_honour_is_507_number_of_matches_within_limits() {
    let f = fixture();
    f.put_event(&format!("{CAL}a.ics"), "a", &[])
        .assert_status(201);
    let body = sync_body("", "<D:getetag/>").replace(
        "<D:prop>",
        "<D:limit><D:nresults>0</D:nresults></D:limit><D:prop>",
    );
    refused(
        &f,
        CAL,
        Some("0"),
        &body,
        507,
        "<D:number-of-matches-within-limits/>",
    );
}

fn small_query_limit() -> Fixture {
    fixture_with(davlite_dav::DavConfig {
        max_query_results: 3,
        ..davlite_dav::DavConfig::default()
    })
}

#[test]
fn calendar_query_matching_more_than_we_return_is_403_number_of_matches_within_limits() {
    let f = small_query_limit();
    for i in 0..4 {
        f.put_event(&format!("{CAL}{i}.ics"), &format!("m{i}"), &[])
            .assert_status(201);
    }
    refused(
        &f,
        CAL,
        Some("1"),
        &cal_query(
            r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter>"#,
        ),
        403,
        "<D:number-of-matches-within-limits/>",
    );
}

#[test]
fn addressbook_query_cut_short_by_our_limit_is_207_with_507() {
    let f = small_query_limit();
    for i in 0..5 {
        f.put_card(&format!("{BOOK}{i}.vcf"), &format!("o{i}"), &[])
            .assert_status(201);
    }
    let r = f.report(BOOK, Some("1"), &card_query("", ""));
    r.assert_status(207);
    assert_eq!(
        r.hrefs().iter().filter(|h| *h != BOOK).count(),
        3,
        "{}",
        r.body
    );
    assert!(r.response(BOOK).contains("507 Insufficient Storage"));
    // Exactly at the limit: no 507.
    f.req("DELETE", &format!("{BOOK}0.vcf"), &[], "")
        .assert_status(204);
    f.req("DELETE", &format!("{BOOK}1.vcf"), &[], "")
        .assert_status(204);
    let r = f.report(BOOK, Some("1"), &card_query("", ""));
    r.assert_status(207)
        .assert_lacks("507 Insufficient Storage");
    assert_eq!(r.responses().len(), 3);
}

#[test]
fn address_data_we_cannot_produce_is_415_for_that_href_inside_the_207() {
    let f = fixture();
    f.put_card(&format!("{BOOK}a.vcf"), "a", &[])
        .assert_status(201);
    for attrs in [
        r#"content-type="application/vcard+json""#,
        r#"content-type="text/vcard" version="2.1""#,
    ] {
        let body = format!(
            r#"<CR:addressbook-multiget xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><CR:address-data {attrs}/></D:prop><D:href>{BOOK}a.vcf</D:href><D:href>{BOOK}missing.vcf</D:href></CR:addressbook-multiget>"#
        );
        let r = f.report(BOOK, Some("1"), &body);
        r.assert_status(207);
        let resp = r.response(&format!("{BOOK}a.vcf"));
        assert!(
            resp.contains("HTTP/1.1 415 Unsupported Media Type"),
            "{resp}"
        );
        assert!(
            resp.contains("<CR:supported-address-data-conversion/>"),
            "{resp}"
        );
        assert!(
            r.response(&format!("{BOOK}missing.vcf"))
                .contains("404 Not Found")
        );
    }
    // Versions we speak are served (as stored).
    let body = format!(
        r#"<CR:addressbook-multiget xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><CR:address-data content-type="text/vcard" version="4.0"/></D:prop><D:href>{BOOK}a.vcf</D:href></CR:addressbook-multiget>"#
    );
    f.report(BOOK, Some("1"), &body)
        .assert_status(207)
        .assert_contains("UID:a");
}

#[test]
fn home_sync_cut_short_pages_through_calendars_and_keeps_content_changes_pending() {
    let f = fixture();
    let home = "/dav/calendars/alice/";
    for n in ["c1", "c2", "c3"] {
        f.req("MKCALENDAR", &format!("{home}{n}/"), &[], "")
            .assert_status(201);
    }
    let limited = |token: &str| {
        sync_body(token, "<D:resourcetype/>").replace(
            "<D:prop>",
            "<D:limit><D:nresults>2</D:nresults></D:limit><D:prop>",
        )
    };
    let first = f.report(home, Some("1"), &limited(""));
    first.assert_status(207);
    assert!(first.response(home).contains("507 Insufficient Storage"));
    let t1 = sync_token(&first.body);
    // An event lands in c1 between the pages.
    f.put_event(&format!("{home}c1/e.ics"), "e", &[])
        .assert_status(201);
    let mut token = t1;
    let mut seen = Vec::new();
    for _ in 0..5 {
        let r = f.report(home, Some("1"), &limited(&token));
        r.assert_status(207);
        seen.extend(r.hrefs().into_iter().filter(|h| h != home));
        token = sync_token(&r.body);
        if !r.body.contains("507 Insufficient Storage") {
            break;
        }
    }
    let all: Vec<_> = first
        .hrefs()
        .into_iter()
        .filter(|h| h != home)
        .chain(seen.iter().cloned())
        .collect();
    for n in ["default", "c1", "c2", "c3"] {
        assert!(all.contains(&format!("{home}{n}/")), "{n}: {all:?}");
    }
    // c1 changed after the first page: it is reported again (or for the first time) later on.
    assert!(seen.contains(&format!("{home}c1/")), "{seen:?}");
    let r = f.report(home, Some("1"), &sync_body(&token, "<D:resourcetype/>"));
    assert!(r.responses().is_empty(), "{}", r.body);
}

/// RFC 6578 and RFC 4791 §7.10 define no precondition for these: a sync-level other than 1 or
/// infinite, and a free-busy-query whose time-range is missing or malformed, are 400.
#[test]
fn bad_sync_level_and_malformed_free_busy_range_are_400() {
    let f = fixture();
    for level in ["2", "x", ""] {
        let body = format!(
            r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>{level}</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
        );
        let before = f.state();
        let r = f.report(CAL, Some("1"), &body);
        assert_eq!(r.status, 400, "sync-level {level:?}: {}", r.body);
        assert_eq!(f.state(), before);
    }
    for range in [
        r#"<C:time-range start="20240201T000000Z" end="20240101T000000Z"/>"#,
        r#"<C:time-range start="20240101T000000" end="20240201T000000Z"/>"#,
        r#"<C:time-range start="yesterday"/>"#,
        "",
    ] {
        let body = format!(
            r#"<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">{range}</C:free-busy-query>"#
        );
        let r = f.report(CAL, Some("1"), &body);
        assert_eq!(r.status, 400, "free-busy {range:?}: {}", r.body);
    }
}
