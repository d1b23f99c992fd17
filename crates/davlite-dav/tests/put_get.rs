//! PUT, GET, DELETE and the conditional-request rows of PRECONDITIONS.md, over a real store file.

use crate::common;
use common::*;

#[test]
fn create_with_if_none_match_star_then_again_is_412_with_etag() {
    let f = fixture();
    let uri = format!("{CAL}a.ics");
    let r = f.put_event(&uri, "a", &[("if-none-match", "*")]);
    r.assert_status(201);
    let etag = r.etag();
    assert!(
        etag.starts_with('"') && !etag.starts_with("W/"),
        "strong etag: {etag}"
    );
    let again = f.put_event(&uri, "a", &[("if-none-match", "*")]);
    again.assert_status(412);
    assert_eq!(again.etag(), etag);
}

#[test]
fn get_is_byte_exact_with_validators() {
    let f = fixture();
    let uri = format!("{CAL}a.ics");
    let body = event("a", "20240105T100000Z").replace("\r\n", "\n");
    let put = f.req("PUT", &uri, &[("content-type", "text/calendar")], &body);
    put.assert_status(201);
    let get = f.req("GET", &uri, &[], "");
    get.assert_status(200);
    assert_eq!(get.body, body, "bytes served exactly as stored");
    assert_eq!(get.etag(), put.etag());
    assert!(
        get.header("last-modified")
            .is_some_and(|v| v.ends_with("GMT"))
    );
    assert!(
        get.header("content-type")
            .unwrap()
            .starts_with("text/calendar")
    );
    let head = f.req("HEAD", &uri, &[], "");
    head.assert_status(200);
    assert!(head.body.is_empty());
    let nm = f.req("GET", &uri, &[("if-none-match", &put.etag())], "");
    nm.assert_status(304);
    assert_eq!(nm.etag(), put.etag());
}

#[test]
fn update_with_if_match_and_stale_if_match() {
    let f = fixture();
    let uri = format!("{CAL}a.ics");
    let e1 = f.put_event(&uri, "a", &[]).etag();
    let r = f.req(
        "PUT",
        &uri,
        &[("content-type", "text/calendar"), ("if-match", &e1)],
        &event("a", "20240106T100000Z"),
    );
    r.assert_status(204);
    let e2 = r.etag();
    assert_ne!(e1, e2);
    let stale = f.req(
        "PUT",
        &uri,
        &[("content-type", "text/calendar"), ("if-match", &e1)],
        &event("a", "20240107T100000Z"),
    );
    stale.assert_status(412);
    assert_eq!(stale.etag(), e2, "412 carries the current etag");
    let weak = format!("W/{e2}");
    f.req(
        "PUT",
        &uri,
        &[("content-type", "text/calendar"), ("if-match", &weak)],
        &event("a", "20240107T100000Z"),
    )
    .assert_status(412);
    // A retried update whose answer was lost: stale If-Match, byte-identical body -> success.
    let retry = f.req(
        "PUT",
        &uri,
        &[("content-type", "text/calendar"), ("if-match", &e1)],
        &event("a", "20240106T100000Z"),
    );
    assert!(
        retry.status == 204 || retry.status == 200,
        "{}",
        retry.status
    );
    assert_eq!(retry.etag(), e2);
}

#[test]
fn if_match_on_missing_put_is_412_and_on_missing_delete_is_404() {
    let f = fixture();
    f.put_event(&format!("{CAL}none.ics"), "n", &[("if-match", "\"abc\"")])
        .assert_status(412);
    f.req(
        "DELETE",
        &format!("{CAL}none.ics"),
        &[("if-match", "\"abc\"")],
        "",
    )
    .assert_status(404);
}

#[test]
fn malformed_conditionals_are_400() {
    let f = fixture();
    f.put_event(&format!("{CAL}x.ics"), "x", &[("if-match", "*, \"a\"")])
        .assert_status(400);
    f.put_event(&format!("{CAL}x.ics"), "x", &[("if-none-match", "garbage")])
        .assert_status(400);
    f.req("GET", &format!("{CAL}x.ics"), &[], "")
        .assert_status(404);
}

#[test]
fn uid_conflict_is_403_with_holder_href_and_store_unchanged() {
    let f = fixture();
    f.put_event(&format!("{CAL}one.ics"), "same", &[])
        .assert_status(201);
    let r = f.put_event(&format!("{CAL}two.ics"), "same", &[]);
    r.assert_status(403)
        .assert_contains("<C:no-uid-conflict>")
        .assert_contains(&format!("<D:href>{CAL}one.ics</D:href>"));
    assert_eq!(
        r.header("content-type"),
        Some("application/xml; charset=utf-8")
    );
    f.req("GET", &format!("{CAL}two.ics"), &[], "")
        .assert_status(404);
}

#[test]
fn update_changing_uid_names_itself() {
    let f = fixture();
    let uri = format!("{CAL}one.ics");
    f.put_event(&uri, "u1", &[]).assert_status(201);
    f.put_event(&uri, "u2", &[])
        .assert_status(403)
        .assert_contains(&format!("<D:href>{CAL}one.ics</D:href>"));
}

#[test]
fn delete_then_recreate_same_uid_loops() {
    let f = fixture();
    let uri = format!("{CAL}loop.ics");
    for _ in 0..5 {
        f.put_event(&uri, "loop", &[("if-none-match", "*")])
            .assert_status(201);
        f.req("DELETE", &uri, &[], "").assert_status(204);
        f.put_event(
            &format!("{CAL}other.ics"),
            "loop",
            &[("if-none-match", "*")],
        )
        .assert_status(201);
        f.req("DELETE", &format!("{CAL}other.ics"), &[], "")
            .assert_status(204);
    }
    f.req("DELETE", &uri, &[], "").assert_status(404);
}

#[test]
fn invalid_body_is_403_valid_calendar_data_but_stale_if_match_wins() {
    let f = fixture();
    let uri = format!("{CAL}a.ics");
    f.req(
        "PUT",
        &uri,
        &[("content-type", "text/calendar")],
        "BEGIN:VCALENDAR\r\nnot ical",
    )
    .assert_status(403)
    .assert_contains("valid-calendar-data");
    let e = f.put_event(&uri, "a", &[]).etag();
    let _ = e;
    f.req(
        "PUT",
        &uri,
        &[("content-type", "text/calendar"), ("if-match", "\"0000\"")],
        "garbage",
    )
    .assert_status(412);
}

#[test]
fn calendar_object_rules_are_valid_calendar_object_resource() {
    let f = fixture();
    let with_method = event("m", "20240105T100000Z").replace(
        "PRODID:-//test//EN\r\n",
        "PRODID:-//test//EN\r\nMETHOD:REQUEST\r\n",
    );
    f.req(
        "PUT",
        &format!("{CAL}m.ics"),
        &[("content-type", "text/calendar")],
        &with_method,
    )
    .assert_status(403)
    .assert_contains("valid-calendar-object-resource");
}

#[test]
fn wrong_media_type_is_403_supported_calendar_data() {
    let f = fixture();
    f.req(
        "PUT",
        &format!("{CAL}a.ics"),
        &[("content-type", "text/plain")],
        &event("a", "20240105T100000Z"),
    )
    .assert_status(403)
    .assert_contains("supported-calendar-data");
    f.req(
        "PUT",
        &format!("{BOOK}a.vcf"),
        &[("content-type", "text/calendar")],
        &vcard("a", "A"),
    )
    .assert_status(403)
    .assert_contains("supported-address-data");
}

#[test]
fn vcards_put_get_and_refusals() {
    let f = fixture();
    let uri = format!("{BOOK}a.vcf");
    f.req(
        "PUT",
        &uri,
        &[("content-type", "text/vcard; charset=\"utf-8\"")],
        &vcard("a", "Ann"),
    )
    .assert_status(201);
    f.req("GET", &uri, &[], "")
        .assert_status(200)
        .assert_contains("FN:Ann");
    f.req(
        "PUT",
        &format!("{BOOK}b.vcf"),
        &[("content-type", "text/vcard")],
        &vcard("a", "Ann"),
    )
    .assert_status(403)
    .assert_contains("<CR:no-uid-conflict>");
    f.req(
        "PUT",
        &format!("{BOOK}c.vcf"),
        &[("content-type", "text/vcard")],
        "BEGIN:VCARD\r\nVERSION:3.0\r\nEND:VCARD\r\n",
    )
    .assert_status(403)
    .assert_contains("valid-address-data");
    f.req(
        "PUT",
        &format!("{BOOK}d.vcf"),
        &[("content-type", "text/x-vlist")],
        &vcard("d", "D"),
    )
    .assert_status(403)
    .assert_contains("supported-address-data");
}

#[test]
fn put_on_collection_is_405_with_allow_and_missing_parent_is_409() {
    let f = fixture();
    let r = f.put_event(CAL, "a", &[]);
    r.assert_status(405);
    assert!(r.header("allow").is_some());
    f.put_event("/dav/calendars/alice/nope/a.ics", "a", &[])
        .assert_status(409);
}

#[test]
fn other_users_home_is_forbidden() {
    let f = fixture();
    f.put_event("/dav/calendars/bob/default/a.ics", "a", &[])
        .assert_status(403)
        .assert_contains("need-privileges");
    f.propfind("/dav/calendars/bob/default/", "0", "<D:getetag/>")
        .assert_status(403);
    f.propfind("/dav/principals/bob/", "0", "<D:displayname/>")
        .assert_status(403);
}

#[test]
fn hostile_hrefs_are_400_and_store_untouched() {
    let f = fixture();
    for p in [
        "/dav/calendars/alice/default/..%2f..%2fx.ics",
        "/dav/calendars/alice/default/a%00.ics",
        "/dav/calendars/alice/../bob/default/x.ics",
    ] {
        f.put_event(p, "h", &[]).assert_status(400);
    }
    let r = f.propfind(CAL, "1", "<D:getetag/>");
    assert_eq!(
        r.hrefs().len(),
        1,
        "only the collection itself: {:?}",
        r.hrefs()
    );
}

#[test]
fn unauthenticated_is_401_with_basic_challenge() {
    let f = fixture();
    let r = f.req_as(None, "PROPFIND", "/dav/", &[("depth", "0")], b"");
    r.assert_status(401);
    assert!(
        r.header("www-authenticate")
            .unwrap()
            .starts_with("Basic realm=")
    );
}

#[test]
fn unknown_method_is_501() {
    let f = fixture();
    f.req("FROBNICATE", CAL, &[], "").assert_status(501);
}

#[test]
fn require_if_match_policy_answers_428() {
    let f = fixture_with(davlite_dav::DavConfig {
        require_if_match: true,
        ..Default::default()
    });
    let uri = format!("{CAL}a.ics");
    f.put_event(&uri, "a", &[]).assert_status(201);
    f.put_event(&uri, "a", &[]).assert_status(428);
}

#[test]
fn whole_calendar_get_merges_objects() {
    let f = fixture();
    f.put_event(&format!("{CAL}a.ics"), "a", &[])
        .assert_status(201);
    f.put_event(&format!("{CAL}b.ics"), "b", &[])
        .assert_status(201);
    let r = f.req("GET", CAL, &[], "");
    r.assert_status(200)
        .assert_contains("UID:a")
        .assert_contains("UID:b");
    assert_eq!(r.body.matches("BEGIN:VCALENDAR").count(), 1);
    assert_eq!(r.body.matches("BEGIN:VEVENT").count(), 2);
}
