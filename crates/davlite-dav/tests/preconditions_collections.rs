//! PRECONDITIONS.md "Collections": MKCOL, MKCALENDAR, PROPPATCH refusals and collection DELETE.

use crate::common;
use common::*;

const MKCAL_BAD_PROP: &str = r#"<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>X</D:displayname><D:getetag>"x"</D:getetag></D:prop></D:set></C:mkcalendar>"#;

#[test]
fn mkcol_on_existing_resource_is_405_with_allow() {
    let f = fixture();
    f.put_event(&format!("{CAL}a.ics"), "a", &[])
        .assert_status(201);
    let before = f.state();
    for uri in [
        CAL.to_string(),
        format!("{CAL}a.ics"),
        "/dav/calendars/alice/".to_string(),
    ] {
        let r = f.req("MKCOL", &uri, &[], "");
        r.assert_status(405);
        let allow = r.header("allow").expect("Allow");
        assert!(!allow.contains("MKCOL"), "{allow}");
    }
    assert_eq!(f.state(), before);
}

#[test]
fn mkcalendar_on_existing_resource_is_403_resource_must_be_null() {
    let f = fixture();
    let before = f.state();
    let r = f.req("MKCALENDAR", CAL, &[], "");
    r.assert_status(403)
        .assert_contains("<D:resource-must-be-null/>");
    assert_eq!(f.state(), before);
}

#[test]
fn missing_parent_is_409() {
    let f = fixture();
    let before = f.state();
    f.req("MKCOL", "/dav/calendars/alice/a/b/", &[], "")
        .assert_status(409);
    f.req("MKCALENDAR", "/dav/calendars/alice/a/b/", &[], "")
        .assert_status(409);
    assert_eq!(f.state(), before);
}

#[test]
fn calendar_or_book_inside_another_is_location_ok() {
    let f = fixture();
    let before = f.state();
    f.req("MKCALENDAR", &format!("{CAL}inner/"), &[], "")
        .assert_status(403)
        .assert_contains("<C:calendar-collection-location-ok/>");
    let mk_book = r#"<D:mkcol xmlns:D="DAV:"><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook xmlns:CR="urn:ietf:params:xml:ns:carddav"/></D:resourcetype></D:prop></D:set></D:mkcol>"#;
    f.req(
        "MKCOL",
        &format!("{BOOK}inner/"),
        &[("content-type", "application/xml")],
        mk_book,
    )
    .assert_status(403)
    .assert_contains("<CR:addressbook-collection-location-ok/>");
    let mk_cal = r#"<D:mkcol xmlns:D="DAV:"><D:set><D:prop><D:resourcetype><D:collection/><C:calendar xmlns:C="urn:ietf:params:xml:ns:caldav"/></D:resourcetype></D:prop></D:set></D:mkcol>"#;
    f.req(
        "MKCOL",
        &format!("{CAL}inner/"),
        &[("content-type", "application/xml")],
        mk_cal,
    )
    .assert_status(403)
    .assert_contains("<C:calendar-collection-location-ok/>");
    assert_eq!(f.state(), before);
}

#[test]
fn mkcol_body_we_do_not_understand_is_415() {
    let f = fixture();
    let before = f.state();
    for (ct, body) in [
        ("application/xml", "this is not xml"),
        (
            "application/xml",
            r#"<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>"#,
        ),
        ("text/plain", "hello"),
    ] {
        f.req(
            "MKCOL",
            "/dav/calendars/alice/new/",
            &[("content-type", ct)],
            body,
        )
        .assert_status(415);
        f.req(
            "MKCALENDAR",
            "/dav/calendars/alice/new/",
            &[("content-type", ct)],
            body,
        )
        .assert_status(415);
    }
    assert_eq!(f.state(), before);
}

#[test]
fn extended_mkcol_with_bad_resourcetype_is_403_mkcol_response_with_424s() {
    let f = fixture();
    let before = f.state();
    let body = r#"<D:mkcol xmlns:D="DAV:"><D:set><D:prop><D:resourcetype><D:collection/><X:weird xmlns:X="urn:x"/></D:resourcetype><D:displayname>W</D:displayname></D:prop></D:set></D:mkcol>"#;
    let r = f.req(
        "MKCOL",
        "/dav/calendars/alice/w/",
        &[("content-type", "application/xml")],
        body,
    );
    r.assert_status(403)
        .assert_contains("<D:mkcol-response")
        .assert_contains("<D:valid-resourcetype/>")
        .assert_contains("HTTP/1.1 403 Forbidden")
        .assert_contains("HTTP/1.1 424 Failed Dependency");
    let propstats: Vec<&str> = r.body.split("<D:propstat>").skip(1).collect();
    let forbidden = propstats
        .iter()
        .find(|p| p.contains("403 Forbidden"))
        .unwrap();
    assert!(
        forbidden.contains("<D:resourcetype") && forbidden.contains("<D:valid-resourcetype/>"),
        "{forbidden}"
    );
    assert!(!forbidden.contains("displayname"), "{forbidden}");
    let failed = propstats
        .iter()
        .find(|p| p.contains("424 Failed Dependency"))
        .unwrap();
    assert!(
        failed.contains("<D:displayname") && !failed.contains("resourcetype"),
        "{failed}"
    );
    assert_eq!(f.state(), before);
    f.req("PROPFIND", "/dav/calendars/alice/w/", &[("depth", "0")], "")
        .assert_status(404);
}

#[test]
fn mkcalendar_with_a_property_it_cannot_set_is_207_and_creates_nothing() {
    let f = fixture();
    let before = f.state();
    let r = f.req(
        "MKCALENDAR",
        "/dav/calendars/alice/bad/",
        &[("content-type", "application/xml")],
        MKCAL_BAD_PROP,
    );
    r.assert_status(207)
        .assert_contains("HTTP/1.1 424 Failed Dependency");
    assert!(r.body.contains("HTTP/1.1 403 Forbidden") || r.body.contains("HTTP/1.1 409 Conflict"));
    assert_eq!(f.state(), before);
}

#[test]
fn proppatch_of_protected_property_is_207_403_cannot_modify_and_424_rest() {
    let f = fixture();
    let before = f.state();
    for prot in [
        "<D:getetag>\"x\"</D:getetag>",
        "<D:sync-token>x</D:sync-token>",
        "<D:resourcetype><D:collection/></D:resourcetype>",
        "<CS:getctag xmlns:CS=\"http://calendarserver.org/ns/\">x</CS:getctag>",
    ] {
        let body = format!(
            r#"<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>New</D:displayname>{prot}</D:prop></D:set></D:propertyupdate>"#
        );
        let r = f.req(
            "PROPPATCH",
            CAL,
            &[("content-type", "application/xml")],
            &body,
        );
        r.assert_status(207)
            .assert_contains("HTTP/1.1 403 Forbidden")
            .assert_contains("<D:cannot-modify-protected-property/>")
            .assert_contains("HTTP/1.1 424 Failed Dependency");
        // The element sits in the propstat of the refused property.
        let ps = r
            .body
            .split("<D:propstat>")
            .find(|p| p.contains("403 Forbidden"))
            .unwrap();
        assert!(
            ps.contains("<D:error><D:cannot-modify-protected-property/></D:error>"),
            "{ps}"
        );
        assert!(!ps.contains("displayname"), "{ps}");
        assert_eq!(f.state(), before, "nothing applied");
    }
    f.propfind(CAL, "0", "<D:displayname/>")
        .assert_contains("<D:displayname>Calendar</D:displayname>");
}

#[test]
fn delete_of_a_collection_removes_its_members_at_once() {
    let f = fixture();
    f.req("MKCALENDAR", "/dav/calendars/alice/gone/", &[], "")
        .assert_status(201);
    for i in 0..5 {
        f.put_event(
            &format!("/dav/calendars/alice/gone/{i}.ics"),
            &format!("g{i}"),
            &[],
        )
        .assert_status(201);
    }
    let home_token = sync_token(
        &f.report(
            "/dav/calendars/alice/",
            Some("0"),
            &sync_body("", "<D:resourcetype/>"),
        )
        .body,
    );
    f.req("DELETE", "/dav/calendars/alice/gone/", &[], "")
        .assert_status(204);
    assert!(
        f.dav
            .store()
            .collection("calendars/alice/gone")
            .unwrap()
            .is_none()
    );
    f.req("GET", "/dav/calendars/alice/gone/0.ics", &[], "")
        .assert_status(404);
    let usage = f.dav.store().usage("alice").unwrap().0;
    assert_eq!(usage, 0);
    let d = f.report(
        "/dav/calendars/alice/",
        Some("0"),
        &sync_body(&home_token, "<D:resourcetype/>"),
    );
    assert!(
        d.response("/dav/calendars/alice/gone/")
            .contains("404 Not Found")
    );
    // The UIDs are free again in a new calendar of the same name.
    f.req("MKCALENDAR", "/dav/calendars/alice/gone/", &[], "")
        .assert_status(201);
    f.put_event(
        "/dav/calendars/alice/gone/0.ics",
        "g0",
        &[("if-none-match", "*")],
    )
    .assert_status(201);
}
