//! What DAVx5 (dav4jvm) sends (shared/clients/davx5.md) and what it needs back.

use crate::common;
use common::*;

const ROOT_BODY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<propfind xmlns="DAV:" xmlns:CAL="urn:ietf:params:xml:ns:caldav" xmlns:A="http://apple.com/ns/ical/">
  <prop>
    <resourcetype/>
    <displayname/>
    <current-user-principal/>
    <current-user-privilege-set/>
    <CAL:calendar-home-set/>
    <CAL:supported-calendar-component-set/>
    <A:calendar-color/>
    <CAL:calendar-description/>
    <CAL:calendar-timezone/>
  </prop>
</propfind>"#;

const HOME_BODY: &str = r#"<propfind xmlns="DAV:" xmlns:CAL="urn:ietf:params:xml:ns:caldav"
          xmlns:A="http://apple.com/ns/ical/" xmlns:CS="http://calendarserver.org/ns/"
          xmlns:P="https://bitfire.at/webdav-push">
  <prop>
    <current-user-privilege-set/>
    <displayname/>
    <owner/>
    <resourcetype/>
    <P:transports/>
    <P:topic/>
    <A:calendar-color/>
    <CAL:calendar-description/>
    <CAL:calendar-timezone/>
    <CAL:calendar-timezone-id/>
    <CAL:supported-calendar-component-set/>
    <CS:source/>
  </prop>
</propfind>"#;

const CAPS_BODY: &str = r#"<propfind xmlns="DAV:" xmlns:CAL="urn:ietf:params:xml:ns:caldav"
          xmlns:CARD="urn:ietf:params:xml:ns:carddav" xmlns:CS="http://calendarserver.org/ns/">
  <prop>
    <supported-report-set/>
    <sync-token/>
    <CS:getctag/>
    <CAL:max-resource-size/>
    <CARD:max-resource-size/>
    <CARD:supported-address-data/>
  </prop>
</propfind>"#;

fn davx5_sync(token: &str) -> String {
    let tok = if token.is_empty() {
        "<sync-token/>".to_string()
    } else {
        format!("<sync-token>{token}</sync-token>")
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sync-collection xmlns="DAV:">{tok}<sync-level>1</sync-level><prop><getetag/><resourcetype/></prop></sync-collection>"#
    )
}

#[test]
fn davx5_propfind_on_root_first_finds_current_user_principal() {
    let f = fixture();
    let r = f.propfind_body("/", "0", ROOT_BODY, &[]);
    r.assert_status(207)
        .assert_contains("<D:current-user-principal><D:href>/dav/principals/alice/</D:href></D:current-user-principal>");
    // The calendar-only properties are unknown on `/`: 404 propstat, never an error.
    r.assert_contains("HTTP/1.1 404 Not Found");
}

#[test]
fn davx5_options_on_principal_advertise_calendar_access_and_addressbook() {
    let f = fixture();
    let r = f.req("OPTIONS", "/dav/principals/alice/", &[], "");
    assert!((200..300).contains(&r.status));
    let dav = r.header("dav").expect("DAV header");
    for class in ["1", "3", "calendar-access", "addressbook"] {
        assert!(
            dav.split(',').any(|c| c.trim() == class),
            "{class} in {dav}"
        );
    }
}

#[test]
fn davx5_home_listing_has_privileges_owner_and_component_set() {
    let f = fixture();
    let r = f.propfind_body("/dav/calendars/alice/", "1", HOME_BODY, &[]);
    r.assert_status(207);
    let cal = r.response(CAL);
    for p in [
        "<D:read/>",
        "<D:write/>",
        "<D:write-content/>",
        "<D:bind/>",
        "<D:unbind/>",
    ] {
        assert!(cal.contains(p), "{p}: {cal}");
    }
    assert!(
        cal.contains("<D:owner><D:href>/dav/principals/alice/</D:href></D:owner>"),
        "{cal}"
    );
    assert!(
        cal.contains("<C:comp name=\"VEVENT\"/>") && cal.contains("<C:comp name=\"VTODO\"/>"),
        "{cal}"
    );
    assert!(cal.find("HTTP/1.1 200 OK").unwrap() < cal.find("HTTP/1.1 404 Not Found").unwrap());
}

#[test]
fn davx5_capabilities_advertise_sync_collection_and_vcard_versions() {
    let f = fixture();
    let r = f.propfind_body(BOOK, "0", CAPS_BODY, &[]);
    r.assert_status(207)
        .assert_contains("<D:sync-collection/>")
        .assert_contains("<CS:getctag>")
        .assert_contains("<CR:supported-address-data>");
    let token = element_text(&r.body, "D:sync-token").unwrap();
    assert_eq!(Some(token), element_text(&r.body, "CS:getctag"));
}

#[test]
fn davx5_sync_collection_depth0_initial_and_incremental() {
    let f = fixture();
    let a = f.put_card(&format!("{BOOK}a.vcf"), "a", &[("if-none-match", "*")]);
    a.assert_status(201);
    let r = f.report(BOOK, Some("0"), &davx5_sync(""));
    r.assert_status(207);
    assert_eq!(r.responses().len(), 1, "{}", r.body);
    assert!(r.response(&format!("{BOOK}a.vcf")).contains(&a.etag()));
    let t = sync_token(&r.body);
    f.req(
        "DELETE",
        &format!("{BOOK}a.vcf"),
        &[("if-match", &a.etag())],
        "",
    )
    .assert_status(204);
    let b = f.put_card(&format!("{BOOK}b.vcf"), "b", &[("if-none-match", "*")]);
    let r = f.report(BOOK, Some("0"), &davx5_sync(&t));
    r.assert_status(207);
    assert!(
        r.response(&format!("{BOOK}a.vcf"))
            .contains("<D:status>HTTP/1.1 404 Not Found</D:status>")
    );
    assert!(r.response(&format!("{BOOK}b.vcf")).contains(&b.etag()));
}

#[test]
fn davx5_invalid_sync_token_is_403_valid_sync_token_in_xml() {
    let f = fixture();
    let r = f.report(BOOK, Some("0"), &davx5_sync("urn:davlite:sync:999:1"));
    r.assert_status(403)
        .assert_contains("<D:valid-sync-token/>");
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/xml")
    );
}

#[test]
fn davx5_calendar_query_open_ended_start() {
    let f = fixture();
    let h = [("content-type", "text/calendar; charset=utf-8")];
    f.req(
        "PUT",
        &format!("{CAL}past.ics"),
        &h,
        &event("past", "20200105T100000Z"),
    )
    .assert_status(201);
    f.req(
        "PUT",
        &format!("{CAL}future.ics"),
        &h,
        &event("future", "20990105T100000Z"),
    )
    .assert_status(201);
    f.req(
        "PUT",
        &format!("{CAL}rec.ics"),
        &h,
        &weekly_event("rec", "20190107T080000Z"),
    )
    .assert_status(201);
    let body = r#"<CAL:calendar-query xmlns="DAV:" xmlns:CAL="urn:ietf:params:xml:ns:caldav">
  <prop><getetag/></prop>
  <CAL:filter>
    <CAL:comp-filter name="VCALENDAR">
      <CAL:comp-filter name="VEVENT">
        <CAL:time-range start="20260524T101500Z"/>
      </CAL:comp-filter>
    </CAL:comp-filter>
  </CAL:filter>
</CAL:calendar-query>"#;
    let r = f.report(CAL, Some("1"), body);
    r.assert_status(207);
    let hrefs = r.hrefs();
    assert!(hrefs.contains(&format!("{CAL}future.ics")));
    assert!(
        hrefs.contains(&format!("{CAL}rec.ics")),
        "weekly series reaches the range"
    );
    assert!(!hrefs.contains(&format!("{CAL}past.ics")));
    for resp in r.responses() {
        assert!(resp.contains("<D:getetag>\""), "{resp}");
    }
}

#[test]
fn davx5_multiget_ten_hrefs_with_encoded_at_sign() {
    let f = fixture();
    let mut hrefs = String::new();
    for i in 0..10 {
        let uid = format!("abc{i}@x");
        f.put_event(
            &format!("{CAL}abc{i}%40x.ics"),
            &uid,
            &[("if-none-match", "*")],
        )
        .assert_status(201);
        let sent = if i % 2 == 0 {
            format!("{CAL}abc{i}%40x.ics")
        } else {
            format!("{CAL}abc{i}@x.ics")
        };
        hrefs.push_str(&format!("<href>{sent}</href>"));
    }
    let body = format!(
        r#"<CAL:calendar-multiget xmlns="DAV:" xmlns:CAL="urn:ietf:params:xml:ns:caldav"><prop><getcontenttype/><getetag/><CAL:schedule-tag/><CAL:calendar-data/></prop>{hrefs}</CAL:calendar-multiget>"#
    );
    let r = f.report(CAL, None, &body);
    r.assert_status(207);
    assert_eq!(r.responses().len(), 10);
    for i in 0..10 {
        let spelled = if i % 2 == 0 {
            format!("{CAL}abc{i}%40x.ics")
        } else {
            format!("{CAL}abc{i}@x.ics")
        };
        let resp = r.response(&spelled);
        assert!(resp.contains(&format!("UID:abc{i}@x")), "{resp}");
        assert!(resp.contains("<D:getcontenttype>text/calendar"), "{resp}");
    }
}

#[test]
fn davx5_card_multiget_depth0_with_address_data_version() {
    let f = fixture();
    f.put_card(&format!("{BOOK}123.vcf"), "123", &[("if-none-match", "*")])
        .assert_status(201);
    let body = format!(
        r#"<CARD:addressbook-multiget xmlns="DAV:" xmlns:CARD="urn:ietf:params:xml:ns:carddav"><prop><getcontenttype/><getetag/><CARD:address-data content-type="text/vcard" version="3.0"/></prop><href>{BOOK}123.vcf</href></CARD:addressbook-multiget>"#
    );
    let r = f.report(BOOK, Some("0"), &body);
    r.assert_status(207);
    let resp = r.response(&format!("{BOOK}123.vcf"));
    assert!(resp.contains("UID:123"), "{resp}");
    assert!(resp.contains("<D:getcontenttype>text/vcard"), "{resp}");
}

#[test]
fn davx5_put_if_none_match_star_gives_201_strong_etag_equal_to_getetag() {
    let f = fixture();
    let uri = format!("{CAL}u1.ics");
    let put = f.put_event(&uri, "u1", &[("if-none-match", "*")]);
    put.assert_status(201);
    let etag = put.etag();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"), "{etag}");
    let p = f.propfind(&uri, "0", "<D:getetag/>");
    assert_eq!(element_text(&p.body, "D:getetag").unwrap(), etag);
    let again = f.put_event(&uri, "u1", &[("if-none-match", "*")]);
    again.assert_status(412);
    assert_eq!(again.etag(), etag);
}

#[test]
fn davx5_if_schedule_tag_match_is_treated_as_if_match() {
    let f = fixture();
    let uri = format!("{CAL}s.ics");
    let etag = f.put_event(&uri, "s", &[("if-none-match", "*")]).etag();
    let h = [
        ("content-type", "text/calendar; charset=utf-8"),
        ("if-schedule-tag-match", etag.as_str()),
    ];
    let upd = f.req("PUT", &uri, &h, &event("s", "20240201T100000Z"));
    upd.assert_status(204);
    let stale = f.req("PUT", &uri, &h, &event("s", "20240202T100000Z"));
    stale.assert_status(412);
    let before = f.state();
    f.req(
        "DELETE",
        &uri,
        &[("if-schedule-tag-match", etag.as_str())],
        "",
    )
    .assert_status(412);
    assert_eq!(f.state(), before);
    f.req(
        "DELETE",
        &uri,
        &[("if-schedule-tag-match", &upd.etag())],
        "",
    )
    .assert_status(204);
}

#[test]
fn davx5_uid_conflict_is_403_with_existing_href_not_409() {
    let f = fixture();
    f.put_event(
        &format!("{CAL}first.ics"),
        "same",
        &[("if-none-match", "*")],
    )
    .assert_status(201);
    let before = f.state();
    let r = f.put_event(
        &format!("{CAL}second.ics"),
        "same",
        &[("if-none-match", "*")],
    );
    r.assert_status(403)
        .assert_contains("<C:no-uid-conflict><D:href>/dav/calendars/alice/default/first.ics</D:href></C:no-uid-conflict>");
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/xml")
    );
    assert_eq!(f.state(), before);
}

#[test]
fn davx5_delete_of_missing_resource_is_404() {
    let f = fixture();
    f.req(
        "DELETE",
        &format!("{CAL}never.ics"),
        &[("if-match", "\"0123\"")],
        "",
    )
    .assert_status(404);
    f.req("DELETE", &format!("{BOOK}never.vcf"), &[], "")
        .assert_status(404);
}

#[test]
fn davx5_truncated_sync_carries_507_for_its_own_href_and_continues() {
    let f = fixture();
    for i in 0..5 {
        f.put_card(&format!("{BOOK}c{i}.vcf"), &format!("c{i}"), &[])
            .assert_status(201);
    }
    let body = r#"<sync-collection xmlns="DAV:"><sync-token/><sync-level>1</sync-level><limit><nresults>2</nresults></limit><prop><getetag/></prop></sync-collection>"#;
    let mut token = String::new();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..10 {
        let b = if token.is_empty() {
            body.to_string()
        } else {
            body.replace(
                "<sync-token/>",
                &format!("<sync-token>{token}</sync-token>"),
            )
        };
        let r = f.report(BOOK, Some("0"), &b);
        r.assert_status(207);
        let truncated = r.body.contains("507 Insufficient Storage");
        for h in r.hrefs() {
            if h != BOOK {
                assert!(seen.insert(h.clone()), "{h} repeated");
            }
        }
        if truncated {
            r.response(BOOK);
        }
        token = sync_token(&r.body);
        if !truncated {
            break;
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
}
