//! PRECONDITIONS.md "COPY and MOVE": every row, with an unchanged store after each refusal.

use crate::common;
use common::*;

const CAL2: &str = "/dav/calendars/alice/two/";

fn setup() -> Fixture {
    let f = fixture();
    f.req("MKCALENDAR", CAL2, &[], "").assert_status(201);
    f.put_event(&format!("{CAL}a.ics"), "a", &[])
        .assert_status(201);
    f.put_card(&format!("{BOOK}c.vcf"), "c", &[])
        .assert_status(201);
    f
}

#[track_caller]
fn refused(f: &Fixture, m: &str, src: &str, headers: &[(&str, &str)], status: u16) -> Resp {
    let before = f.state();
    let r = f.req(m, src, headers, "");
    r.assert_status(status);
    assert_eq!(f.state(), before, "{m} changed the store");
    r
}

#[test]
fn missing_destination_is_400_and_foreign_server_is_502() {
    let f = setup();
    for m in ["COPY", "MOVE"] {
        refused(&f, m, &format!("{CAL}a.ics"), &[], 400);
        refused(
            &f,
            m,
            &format!("{CAL}a.ics"),
            &[(
                "destination",
                "https://elsewhere.example/dav/calendars/alice/two/a.ics",
            )],
            502,
        );
    }
    // The same host by absolute URL is fine.
    f.req(
        "COPY",
        &format!("{CAL}a.ics"),
        &[(
            "destination",
            "http://localhost/dav/calendars/alice/two/a.ics",
        )],
        "",
    )
    .assert_status(201);
}

#[test]
fn existing_destination_with_overwrite_f_is_412() {
    let f = setup();
    f.put_event(&format!("{CAL2}a.ics"), "a", &[])
        .assert_status(201);
    for m in ["COPY", "MOVE"] {
        refused(
            &f,
            m,
            &format!("{CAL}a.ics"),
            &[("destination", &format!("{CAL2}a.ics")), ("overwrite", "F")],
            412,
        );
    }
    f.req(
        "COPY",
        &format!("{CAL}a.ics"),
        &[("destination", &format!("{CAL2}a.ics")), ("overwrite", "T")],
        "",
    )
    .assert_status(204);
}

#[test]
fn object_into_the_other_kind_of_collection_is_supported_data() {
    let f = setup();
    for m in ["COPY", "MOVE"] {
        refused(
            &f,
            m,
            &format!("{CAL}a.ics"),
            &[("destination", &format!("{BOOK}a.ics"))],
            403,
        )
        .assert_contains("<CR:supported-address-data/>");
        refused(
            &f,
            m,
            &format!("{BOOK}c.vcf"),
            &[("destination", &format!("{CAL}c.vcf"))],
            403,
        )
        .assert_contains("<C:supported-calendar-data/>");
    }
}

#[test]
fn calendar_or_book_collection_moved_inside_another_is_location_ok() {
    let f = setup();
    for m in ["COPY", "MOVE"] {
        refused(&f, m, CAL2, &[("destination", &format!("{CAL}two/"))], 403)
            .assert_contains("<C:calendar-collection-location-ok/>");
    }
    let mk = r#"<D:mkcol xmlns:D="DAV:"><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook xmlns:CR="urn:ietf:params:xml:ns:carddav"/></D:resourcetype></D:prop></D:set></D:mkcol>"#;
    f.req(
        "MKCOL",
        "/dav/addressbooks/alice/b2/",
        &[("content-type", "application/xml")],
        mk,
    )
    .assert_status(201);
    for m in ["COPY", "MOVE"] {
        refused(
            &f,
            m,
            "/dav/addressbooks/alice/b2/",
            &[("destination", &format!("{BOOK}b2/"))],
            403,
        )
        .assert_contains("<CR:addressbook-collection-location-ok/>");
    }
}

#[test]
fn destination_holding_the_uid_is_no_uid_conflict_but_a_rename_is_not() {
    let f = setup();
    f.put_event(&format!("{CAL2}holder.ics"), "a", &[])
        .assert_status(201);
    for m in ["COPY", "MOVE"] {
        refused(&f, m, &format!("{CAL}a.ics"), &[("destination", &format!("{CAL2}new.ics"))], 403)
            .assert_contains("<C:no-uid-conflict><D:href>/dav/calendars/alice/two/holder.ics</D:href></C:no-uid-conflict>");
    }
    // A rename inside one collection keeps the UID in place: no conflict.
    f.req(
        "MOVE",
        &format!("{CAL}a.ics"),
        &[("destination", &format!("{CAL}renamed.ics"))],
        "",
    )
    .assert_status(201);
    f.req("GET", &format!("{CAL}renamed.ics"), &[], "")
        .assert_status(200);
    f.req("GET", &format!("{CAL}a.ics"), &[], "")
        .assert_status(404);
}

#[test]
fn missing_destination_parent_is_409_and_same_source_and_destination_is_403() {
    let f = setup();
    for m in ["COPY", "MOVE"] {
        refused(
            &f,
            m,
            &format!("{CAL}a.ics"),
            &[("destination", "/dav/calendars/alice/nope/a.ics")],
            409,
        );
        refused(
            &f,
            m,
            &format!("{CAL}a.ics"),
            &[("destination", &format!("{CAL}a.ics"))],
            403,
        );
        // The same resource in another spelling is still the same resource.
        refused(
            &f,
            m,
            &format!("{CAL}a.ics"),
            &[("destination", "/dav/calendars/alice/default/%61.ics")],
            403,
        );
    }
}

#[test]
fn success_is_201_new_or_204_replaced_in_one_step() {
    let f = setup();
    let src = format!("{CAL}a.ics");
    let etag = f.req("GET", &src, &[], "").etag();
    let r = f.req(
        "COPY",
        &src,
        &[("destination", &format!("{CAL2}a.ics"))],
        "",
    );
    r.assert_status(201);
    assert_eq!(f.req("GET", &format!("{CAL2}a.ics"), &[], "").etag(), etag);
    let t1 = sync_token(
        &f.report(CAL, Some("0"), &sync_body("", "<D:getetag/>"))
            .body,
    );
    let t2 = sync_token(
        &f.report(CAL2, Some("0"), &sync_body("", "<D:getetag/>"))
            .body,
    );
    f.put_event(&format!("{CAL}b.ics"), "b", &[])
        .assert_status(201);
    f.req(
        "MOVE",
        &format!("{CAL}b.ics"),
        &[("destination", &format!("{CAL2}a.ics"))],
        "",
    )
    .assert_status(204);
    // Source and destination logs both saw the move.
    let d1 = f.report(CAL, Some("0"), &sync_body(&t1, "<D:getetag/>"));
    assert!(
        d1.response(&format!("{CAL}b.ics"))
            .contains("404 Not Found"),
        "{}",
        d1.body
    );
    let d2 = f.report(CAL2, Some("0"), &sync_body(&t2, "<D:getetag/>"));
    assert!(d2.response(&format!("{CAL2}a.ics")).contains("200 OK"));
    f.req("GET", &format!("{CAL2}a.ics"), &[], "")
        .assert_contains("UID:b");
}

/// RFC 4791 §5.3.2.1 for COPY and MOVE onto an existing resource: the destination is replaced,
/// but when another resource of the destination collection holds the UID, the answer is
/// no-uid-conflict naming it, and nothing changes. Overwriting the holder itself is allowed.
#[test]
fn overwrite_of_an_existing_destination_still_checks_no_uid_conflict() {
    let f = setup();
    f.put_event(&format!("{CAL2}holder.ics"), "a", &[])
        .assert_status(201);
    f.put_event(&format!("{CAL2}other.ics"), "o", &[])
        .assert_status(201);
    for m in ["COPY", "MOVE"] {
        refused(
            &f,
            m,
            &format!("{CAL}a.ics"),
            &[
                ("destination", &format!("{CAL2}other.ics")),
                ("overwrite", "T"),
            ],
            403,
        )
        .assert_contains("<C:no-uid-conflict><D:href>/dav/calendars/alice/two/holder.ics</D:href></C:no-uid-conflict>");
    }
    f.req(
        "COPY",
        &format!("{CAL}a.ics"),
        &[
            ("destination", &format!("{CAL2}holder.ics")),
            ("overwrite", "T"),
        ],
        "",
    )
    .assert_status(204);
}
