//! MKCOL, MKCALENDAR, COPY, MOVE, DELETE of collections, and the collection rows of
//! PRECONDITIONS.md.

use crate::common;
use common::*;

const MKCAL: &str = r#"<?xml version="1.0"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:I="http://apple.com/ns/ical/"><D:set><D:prop><D:displayname>Work</D:displayname><I:calendar-color symbolic-color="red">#FF0000FF</I:calendar-color><I:calendar-order>2</I:calendar-order><C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>"#;

#[test]
fn mkcalendar_with_apple_properties_then_listed() {
    let f = fixture();
    f.req(
        "MKCALENDAR",
        "/dav/calendars/alice/work/",
        &[("content-type", "application/xml")],
        MKCAL,
    )
    .assert_status(201);
    let r = f.propfind(
        "/dav/calendars/alice/",
        "1",
        r#"<D:displayname/><I:calendar-color xmlns:I="http://apple.com/ns/ical/"/><C:supported-calendar-component-set/>"#,
    );
    r.assert_contains("/dav/calendars/alice/work/")
        .assert_contains("<D:displayname>Work</D:displayname>")
        .assert_contains("symbolic-color=\"red\"")
        .assert_contains("<C:comp name=\"VTODO\"/>");
    // The component set is enforced.
    f.put_event("/dav/calendars/alice/work/e.ics", "e", &[])
        .assert_status(403)
        .assert_contains("supported-calendar-component");
    // MKCALENDAR on an existing resource.
    f.req("MKCALENDAR", "/dav/calendars/alice/work/", &[], "")
        .assert_status(403)
        .assert_contains("resource-must-be-null");
    // MKCOL on an existing resource: 405 with Allow.
    let r = f.req("MKCOL", "/dav/calendars/alice/work/", &[], "");
    r.assert_status(405);
    assert!(r.header("allow").is_some());
}

#[test]
fn extended_mkcol_address_book_and_bad_resourcetype() {
    let f = fixture();
    let body = r#"<?xml version="1.0"?><D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype><D:displayname>Friends</D:displayname></D:prop></D:set></D:mkcol>"#;
    f.req(
        "MKCOL",
        "/dav/addressbooks/alice/friends/",
        &[("content-type", "application/xml")],
        body,
    )
    .assert_status(201);
    f.propfind("/dav/addressbooks/alice/friends/", "0", "<D:resourcetype/>")
        .assert_contains("<CR:addressbook/>");
    let bad = body.replace("<CR:addressbook/>", r#"<x:weird xmlns:x="urn:x"/>"#);
    let r = f.req(
        "MKCOL",
        "/dav/addressbooks/alice/weird/",
        &[("content-type", "application/xml")],
        &bad,
    );
    r.assert_status(403)
        .assert_contains("mkcol-response")
        .assert_contains("valid-resourcetype")
        .assert_contains("424");
    f.propfind("/dav/addressbooks/alice/weird/", "0", "<D:resourcetype/>")
        .assert_status(404);
    f.req("MKCOL", "/dav/addressbooks/alice/x/", &[], "<not-xml")
        .assert_status(415);
    f.req(
        "MKCOL",
        "/dav/addressbooks/alice/x/",
        &[],
        r#"<foo xmlns="urn:x"/>"#,
    )
    .assert_status(415);
}

#[test]
fn calendar_inside_calendar_is_refused_and_parent_missing_is_409() {
    let f = fixture();
    f.req("MKCALENDAR", "/dav/calendars/alice/default/inner/", &[], "")
        .assert_status(403)
        .assert_contains("calendar-collection-location-ok");
    f.req("MKCOL", "/dav/calendars/alice/nope/x/", &[], "")
        .assert_status(409);
}

#[test]
fn mkcalendar_with_protected_property_is_207_and_creates_nothing() {
    let f = fixture();
    let body = r#"<?xml version="1.0"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>X</D:displayname><D:getetag>nope</D:getetag></D:prop></D:set></C:mkcalendar>"#;
    f.req("MKCALENDAR", "/dav/calendars/alice/p/", &[], body)
        .assert_status(207)
        .assert_contains("403")
        .assert_contains("424");
    f.propfind("/dav/calendars/alice/p/", "0", "<D:resourcetype/>")
        .assert_status(404);
}

#[test]
fn delete_collection_removes_members() {
    let f = fixture();
    f.req("MKCALENDAR", "/dav/calendars/alice/tmp/", &[], "")
        .assert_status(201);
    f.put_event("/dav/calendars/alice/tmp/a.ics", "a", &[])
        .assert_status(201);
    f.req("DELETE", "/dav/calendars/alice/tmp/", &[], "")
        .assert_status(204);
    f.req("GET", "/dav/calendars/alice/tmp/a.ics", &[], "")
        .assert_status(404);
    // The UID is free again in a new calendar of the same name.
    f.req("MKCALENDAR", "/dav/calendars/alice/tmp/", &[], "")
        .assert_status(201);
    f.put_event("/dav/calendars/alice/tmp/b.ics", "a", &[])
        .assert_status(201);
}

#[test]
fn copy_and_move_objects() {
    let f = fixture();
    f.req("MKCALENDAR", "/dav/calendars/alice/two/", &[], "")
        .assert_status(201);
    f.put_event(&format!("{CAL}a.ics"), "a", &[])
        .assert_status(201);
    let dest = |p: &str| format!("http://localhost{p}");
    f.req(
        "COPY",
        &format!("{CAL}a.ics"),
        &[("destination", &dest("/dav/calendars/alice/two/a.ics"))],
        "",
    )
    .assert_status(201);
    // Same UID inside one collection under another name: conflict.
    f.req(
        "COPY",
        &format!("{CAL}a.ics"),
        &[("destination", &dest(&format!("{CAL}b.ics")))],
        "",
    )
    .assert_status(403)
    .assert_contains("no-uid-conflict");
    // Overwrite: F onto an existing resource.
    f.req(
        "COPY",
        &format!("{CAL}a.ics"),
        &[
            ("destination", &dest("/dav/calendars/alice/two/a.ics")),
            ("overwrite", "F"),
        ],
        "",
    )
    .assert_status(412);
    // A rename inside one collection is not a conflict.
    f.req(
        "MOVE",
        &format!("{CAL}a.ics"),
        &[("destination", &dest(&format!("{CAL}renamed.ics")))],
        "",
    )
    .assert_status(201);
    f.req("GET", &format!("{CAL}a.ics"), &[], "")
        .assert_status(404);
    f.req("GET", &format!("{CAL}renamed.ics"), &[], "")
        .assert_status(200);
    // Into an address book: wrong kind.
    f.req(
        "MOVE",
        &format!("{CAL}renamed.ics"),
        &[("destination", &dest(&format!("{BOOK}x.vcf")))],
        "",
    )
    .assert_status(403)
    .assert_contains("supported-address-data");
    // Missing parent, same source and destination, another server, no destination.
    f.req(
        "COPY",
        &format!("{CAL}renamed.ics"),
        &[("destination", &dest("/dav/calendars/alice/none/x.ics"))],
        "",
    )
    .assert_status(409);
    f.req(
        "COPY",
        &format!("{CAL}renamed.ics"),
        &[("destination", &dest(&format!("{CAL}renamed.ics")))],
        "",
    )
    .assert_status(403);
    f.req(
        "COPY",
        &format!("{CAL}renamed.ics"),
        &[("destination", "http://elsewhere.example/dav/x.ics")],
        "",
    )
    .assert_status(502);
    f.req("COPY", &format!("{CAL}renamed.ics"), &[], "")
        .assert_status(400);
}

#[test]
fn move_collection_and_copy_collection() {
    let f = fixture();
    f.req("MKCOL", "/dav/calendars/alice/files/", &[], "")
        .assert_status(201);
    f.req(
        "PUT",
        "/dav/calendars/alice/files/readme.txt",
        &[("content-type", "text/plain")],
        "hello",
    )
    .assert_status(201);
    f.req(
        "COPY",
        "/dav/calendars/alice/files/",
        &[("destination", "/dav/calendars/alice/files2/")],
        "",
    )
    .assert_status(201);
    f.req("GET", "/dav/calendars/alice/files2/readme.txt", &[], "")
        .assert_status(200)
        .assert_contains("hello");
    f.req(
        "MOVE",
        "/dav/calendars/alice/files2/",
        &[("destination", "/dav/calendars/alice/files3/")],
        "",
    )
    .assert_status(201);
    f.req("GET", "/dav/calendars/alice/files2/readme.txt", &[], "")
        .assert_status(404);
    f.req("GET", "/dav/calendars/alice/files3/readme.txt", &[], "")
        .assert_status(200);
    // A calendar moved inside another calendar.
    f.req("MKCALENDAR", "/dav/calendars/alice/c2/", &[], "")
        .assert_status(201);
    f.req(
        "MOVE",
        "/dav/calendars/alice/c2/",
        &[("destination", "/dav/calendars/alice/default/c2/")],
        "",
    )
    .assert_status(403)
    .assert_contains("calendar-collection-location-ok");
}

#[test]
fn options_advertise_dav_classes_everywhere() {
    let f = fixture();
    for uri in [
        "/dav/",
        "/dav/principals/alice/",
        "/dav/calendars/alice/",
        CAL,
        "/dav/calendars/alice/default/x.ics",
    ] {
        let r = f.req("OPTIONS", uri, &[], "");
        r.assert_status(200);
        let dav = r.header("dav").unwrap();
        assert!(
            dav.contains("calendar-access") && dav.contains("addressbook"),
            "{uri}: {dav}"
        );
    }
    let allow = f
        .req("OPTIONS", CAL, &[], "")
        .header("allow")
        .unwrap()
        .to_string();
    assert!(allow.contains("PUT") && allow.contains("DELETE") && allow.contains("REPORT"));
}

#[test]
fn dead_properties_on_objects_for_generic_webdav_clients() {
    let f = fixture();
    let uri = "/dav/calendars/alice/files-x/readme.txt";
    f.req("MKCOL", "/dav/calendars/alice/files-x/", &[], "")
        .assert_status(201);
    f.req("PUT", uri, &[("content-type", "text/plain")], "hello")
        .assert_status(201);
    let set = r#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://example.com/ns"><D:set><D:prop><Z:author>Ann</Z:author><Z:gone>x</Z:gone></D:prop></D:set><D:remove><D:prop><Z:gone/></D:prop></D:remove></D:propertyupdate>"#;
    f.req("PROPPATCH", uri, &[], set)
        .assert_status(207)
        .assert_contains("HTTP/1.1 200 OK");
    let r = f.propfind(
        uri,
        "0",
        r#"<Z:author xmlns:Z="http://example.com/ns"/><Z:gone xmlns:Z="http://example.com/ns"/>"#,
    );
    r.assert_contains(">Ann</")
        .assert_contains("HTTP/1.1 404 Not Found");
    f.req("PROPFIND", uri, &[("depth", "0")], "")
        .assert_status(207)
        .assert_contains(">Ann</");
    // The property follows a MOVE and dies with DELETE.
    let moved = "/dav/calendars/alice/files-x/moved.txt";
    f.req("MOVE", uri, &[("destination", moved)], "")
        .assert_status(201);
    f.propfind(moved, "0", r#"<Z:author xmlns:Z="http://example.com/ns"/>"#)
        .assert_contains(">Ann</");
    f.req("DELETE", moved, &[], "").assert_status(204);
    f.req("PUT", moved, &[("content-type", "text/plain")], "again")
        .assert_status(201);
    f.propfind(moved, "0", r#"<Z:author xmlns:Z="http://example.com/ns"/>"#)
        .assert_contains("HTTP/1.1 404 Not Found")
        .assert_lacks(">Ann</");
    // Protected live properties of objects stay refused.
    let bad = r#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:getetag>x</D:getetag></D:prop></D:set></D:propertyupdate>"#;
    f.req("PROPPATCH", moved, &[], bad)
        .assert_status(207)
        .assert_contains("cannot-modify-protected-property");
}
