//! What Thunderbird's calendar and its CardDAV address book send (shared/clients/thunderbird.md)
//! and what they need back.

use crate::common;
use common::*;

const TB_UA: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.5.0";

fn tb_cal_sync(token: &str) -> String {
    let tok = if token.is_empty() {
        "<sync-token/>".to_string()
    } else {
        format!("<sync-token>{token}</sync-token>")
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<sync-collection xmlns="DAV:">
  {tok}
  <sync-level>1</sync-level>
  <prop><getcontenttype/><getetag/></prop>
</sync-collection>"#
    )
}

fn tb_book_sync(token: &str) -> String {
    format!(
        r#"<sync-collection xmlns="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/" xmlns:d="DAV:">
  <sync-token>{token}</sync-token>
  <sync-level>1</sync-level>
  <prop><getetag/><card:address-data/></prop>
</sync-collection>"#
    )
}

#[test]
fn thunderbird_calendar_parent_options_is_2xx() {
    let f = fixture();
    for uri in ["/dav/calendars/alice/", CAL, "/dav/calendars/alice"] {
        let r = f.req("OPTIONS", uri, &[("user-agent", TB_UA)], "");
        assert!((200..300).contains(&r.status), "{uri}: {}", r.status);
        assert!(r.header("dav").unwrap().contains("calendar-access"));
    }
}

#[test]
fn thunderbird_calendar_sync_depth1_members_have_getcontenttype_component() {
    let f = fixture();
    let put = f.put_event(
        &format!("{CAL}tb_one.ics"),
        "tb one",
        &[("if-none-match", "*")],
    );
    put.assert_status(201);
    let r = f.report(CAL, Some("1"), &tb_cal_sync(""));
    r.assert_status(207);
    let resp = r.response(&format!("{CAL}tb_one.ics"));
    let ct = element_text(&resp, "D:getcontenttype").expect("getcontenttype");
    assert!(ct.starts_with("text/calendar"), "{ct}");
    assert!(ct.to_ascii_lowercase().contains("charset=utf-8"), "{ct}");
    assert!(ct.to_ascii_lowercase().contains("component=vevent"), "{ct}");
    assert!(resp.contains(&format!("<D:getetag>{}</D:getetag>", put.etag())));
    // No member is a bare collection href with 200: TB would ignore it, but nothing else may
    // carry a non-404 status without content type.
    for resp in r.responses() {
        assert!(
            resp.contains("text/calendar") || resp.contains("404 Not Found"),
            "{resp}"
        );
    }
}

#[test]
fn thunderbird_calendar_propfind_depth1_listing_has_text_calendar_members() {
    let f = fixture();
    f.put_event(&format!("{CAL}x.ics"), "x", &[])
        .assert_status(201);
    let r = f.propfind(CAL, "1", "<D:getcontenttype/><D:resourcetype/><D:getetag/>");
    r.assert_status(207);
    let resp = r.response(&format!("{CAL}x.ics"));
    assert!(
        element_text(&resp, "D:getcontenttype")
            .unwrap()
            .starts_with("text/calendar")
    );
}

#[test]
fn thunderbird_calendar_multiget_depth1_with_reencoded_segments() {
    let f = fixture();
    f.dav.provision_user("carol@example.com").unwrap();
    let put = f.req_as(
        Some("carol@example.com"),
        "PUT",
        "/dav/calendars/carol@example.com/default/abc.ics",
        &[
            ("content-type", "text/calendar; charset=utf-8"),
            ("if-none-match", "*"),
        ],
        event("abc", "20240105T100000Z").as_bytes(),
    );
    put.assert_status(201);
    let href = "/dav/calendars/carol%40example.com/default/abc.ics";
    let body = format!(
        r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop><D:href>{href}</D:href></C:calendar-multiget>"#
    );
    let r = f.req_as(
        Some("carol@example.com"),
        "REPORT",
        "/dav/calendars/carol%40example.com/default/",
        &[("depth", "1"), ("content-type", "text/xml")],
        body.as_bytes(),
    );
    assert_eq!(r.status, 207, "{}", r.body);
    let resp = r.response(href);
    assert!(resp.contains("UID:abc"), "{resp}");
    assert!(resp.contains(&put.etag()), "{resp}");
}

#[test]
fn thunderbird_book_discovery_status_lines_exact_and_200_first() {
    let f = fixture();
    let body = r#"<propfind xmlns="DAV:"><prop><resourcetype/><displayname/><current-user-principal/><current-user-privilege-set/></prop></propfind>"#;
    let r = f.propfind_body(
        "/dav/addressbooks/alice/",
        "1",
        body,
        &[("user-agent", TB_UA)],
    );
    r.assert_status(207);
    for resp in r.responses() {
        let first_status = element_text(&resp, "D:status").expect("status");
        assert_eq!(first_status, "HTTP/1.1 200 OK", "{resp}");
    }
    let book = r.response(BOOK);
    assert!(book.contains("<CR:addressbook/>"), "{book}");
    assert!(book.contains("<D:write-content/>"));
    // An unknown property puts the 404 propstat after the 200 one, byte-exact.
    let r = f.propfind(BOOK, "0", "<D:resourcetype/><X:unknown xmlns:X=\"urn:x\"/>");
    let resp = r.response(BOOK);
    let statuses: Vec<&str> = resp
        .split("<D:status>")
        .skip(1)
        .map(|s| &s[..s.find("</D:status>").unwrap()])
        .collect();
    assert_eq!(statuses, ["HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found"]);
    for href in r.hrefs() {
        assert_eq!(href, href.trim());
    }
}

#[test]
fn thunderbird_book_sync_depth1_with_address_data() {
    let f = fixture();
    // The address book PUTs without any condition, as Thunderbird does.
    let a = f.put_card(&format!("{BOOK}1.vcf"), "1", &[("user-agent", TB_UA)]);
    a.assert_status(201);
    let first = f.report(
        BOOK,
        Some("1"),
        &tb_book_sync("").replace("<sync-token></sync-token>", "<sync-token/>"),
    );
    first.assert_status(207);
    let resp = first.response(&format!("{BOOK}1.vcf"));
    assert!(resp.contains("<CR:address-data>BEGIN:VCARD"), "{resp}");
    assert!(resp.contains(&a.etag()));
    let token = sync_token(&first.body);

    let upd = f.req(
        "PUT",
        &format!("{BOOK}1.vcf"),
        &[
            ("content-type", "text/vcard; charset=utf-8"),
            ("user-agent", TB_UA),
        ],
        &vcard("1", "Renamed"),
    );
    upd.assert_status(204);
    let r = f.report(BOOK, Some("1"), &tb_book_sync(&token));
    r.assert_status(207);
    let resp = r.response(&format!("{BOOK}1.vcf"));
    assert!(resp.contains("FN:Renamed"), "{resp}");
    assert!(resp.contains(&upd.etag()));
    assert_eq!(element_text(&resp, "D:status").unwrap(), "HTTP/1.1 200 OK");
}

#[test]
fn thunderbird_book_put_and_delete_without_conditions_last_writer_wins() {
    let f = fixture();
    let uri = format!("{BOOK}lw.vcf");
    f.put_card(&uri, "lw", &[]).assert_status(201);
    f.req(
        "PUT",
        &uri,
        &[("content-type", "text/vcard")],
        &vcard("lw", "Second"),
    )
    .assert_status(204);
    let g = f.req("GET", &uri, &[], "");
    g.assert_status(200).assert_contains("FN:Second");
    f.req("DELETE", &uri, &[], "").assert_status(204);
    f.req("GET", &uri, &[], "").assert_status(404);
}

#[test]
fn thunderbird_book_invalid_token_gets_400_and_calendar_gets_403() {
    let f = fixture();
    let r = f.report(BOOK, Some("1"), &tb_book_sync("http://example/sync/42"));
    r.assert_status(403)
        .assert_contains("<D:valid-sync-token/>");
    let r = f.req(
        "REPORT",
        BOOK,
        &[
            ("depth", "1"),
            ("content-type", "text/xml"),
            ("user-agent", TB_UA),
        ],
        &tb_book_sync("http://example/sync/42"),
    );
    r.assert_status(400)
        .assert_contains("<D:valid-sync-token/>");
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/xml")
    );
    let r = f.req(
        "REPORT",
        CAL,
        &[
            ("depth", "1"),
            ("content-type", "text/xml"),
            ("user-agent", TB_UA),
        ],
        &tb_cal_sync("http://example/sync/42"),
    );
    r.assert_status(403)
        .assert_contains("<D:valid-sync-token/>");
    // The compatibility switch off: 403 for Thunderbird too.
    let f = fixture_with(davlite_dav::DavConfig {
        thunderbird_sync_400: false,
        ..Default::default()
    });
    let r = f.req(
        "REPORT",
        BOOK,
        &[
            ("depth", "1"),
            ("content-type", "text/xml"),
            ("user-agent", TB_UA),
        ],
        &tb_book_sync("http://example/sync/42"),
    );
    r.assert_status(403);
}

/// The address book keeps hrefs exactly as the server wrote them and compares raw strings, so
/// PROPFIND, sync-collection and multiget must spell every member the same way.
#[test]
fn thunderbird_book_hrefs_spelled_identically_in_every_answer() {
    let f = fixture();
    let names = [
        "plain.vcf",
        "with%20space.vcf",
        "a%40b.vcf",
        "%C3%A9t%C3%A9.vcf",
        "x+y.vcf",
    ];
    for n in names {
        f.put_card(&format!("{BOOK}{n}"), n, &[]).assert_status(201);
    }
    let mut listed = f.propfind(BOOK, "1", "<D:getetag/>").hrefs();
    listed.retain(|h| h != BOOK);
    listed.sort();
    let s = f.report(
        BOOK,
        Some("1"),
        &tb_book_sync("").replace("<sync-token></sync-token>", "<sync-token/>"),
    );
    let mut synced = s.hrefs();
    synced.sort();
    assert_eq!(listed, synced);
    assert_eq!(listed.len(), names.len());
    let hrefs: String = listed
        .iter()
        .map(|h| format!("<d:href>{h}</d:href>"))
        .collect();
    let body = format!(
        r#"<card:addressbook-multiget xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:d="DAV:"><d:prop><d:getetag/></d:prop>{hrefs}</card:addressbook-multiget>"#
    );
    let mut got = f.report(BOOK, Some("1"), &body).hrefs();
    got.sort();
    assert_eq!(got, listed);
    for h in &listed {
        assert_eq!(h.trim(), h);
        assert!(!h.contains(' '), "{h}");
    }
}

#[test]
fn thunderbird_book_multiget_500_hrefs_depth1() {
    let f = fast_fixture();
    let mut hrefs = String::new();
    for i in 0..500 {
        let uri = format!("{BOOK}{i}.vcf");
        f.put_card(&uri, &format!("card-{i}"), &[])
            .assert_status(201);
        hrefs.push_str(&format!("<d:href>{uri}</d:href>"));
    }
    let body = format!(
        r#"<card:addressbook-multiget xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/" xmlns:d="DAV:"><d:prop><d:getetag/><card:address-data/></d:prop>{hrefs}</card:addressbook-multiget>"#
    );
    let r = f.report(BOOK, Some("1"), &body);
    r.assert_status(207);
    assert_eq!(r.responses().len(), 500);
    assert_eq!(r.body.matches("UID:card-").count(), 500);
}

#[test]
fn thunderbird_calendar_create_412_then_update_with_if_match() {
    let f = fixture();
    let uri = format!("{CAL}tb_two.ics");
    let etag = f
        .put_event(&uri, "tb two", &[("if-none-match", "*")])
        .etag();
    let r = f.put_event(&uri, "tb two", &[("if-none-match", "*")]);
    r.assert_status(412);
    assert_eq!(r.etag(), etag);
    f.req(
        "PUT",
        &uri,
        &[
            ("content-type", "text/calendar; charset=utf-8"),
            ("if-match", &etag),
        ],
        &event("tb two", "20240301T100000Z"),
    )
    .assert_status(204);
}
