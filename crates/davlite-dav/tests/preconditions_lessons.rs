//! PRECONDITIONS.md "Lessons from other servers' bug trackers": each one a test.

use crate::common;
use common::*;
use davlite_dav::DavConfig;

#[test]
fn precondition_failures_of_caldav_are_never_412() {
    let f = fixture();
    f.put_event(&format!("{CAL}a.ics"), "a", &[])
        .assert_status(201);
    let etag = f.req("GET", &format!("{CAL}a.ics"), &[], "").etag();
    let ics = ("content-type", "text/calendar");
    // UID conflict, invalid data, wrong media type, wrong component: 403 even on an If-Match update.
    type Case<'a> = (String, Vec<(&'a str, &'a str)>, String);
    let cases: Vec<Case> = vec![
        (
            format!("{CAL}b.ics"),
            vec![ics, ("if-none-match", "*")],
            event("a", "20240105T100000Z"),
        ),
        (
            format!("{CAL}a.ics"),
            vec![ics, ("if-match", etag.as_str())],
            "BEGIN:VCALENDAR\r\nbroken".into(),
        ),
        (
            format!("{CAL}a.ics"),
            vec![("content-type", "text/plain"), ("if-match", etag.as_str())],
            "x".into(),
        ),
        (
            format!("{CAL}a.ics"),
            vec![ics, ("if-match", etag.as_str())],
            event("other-uid", "20240105T100000Z"),
        ),
    ];
    for (uri, h, body) in cases {
        let r = f.req("PUT", &uri, &h, &body);
        assert_eq!(r.status, 403, "{uri} {h:?}: {}", r.body);
    }
}

#[test]
fn a_deleted_uid_is_free_again_at_once() {
    let f = fixture();
    let uri = format!("{CAL}loop.ics");
    let token = sync_token(
        &f.report(CAL, Some("0"), &sync_body("", "<D:getetag/>"))
            .body,
    );
    for _ in 0..5 {
        let etag = f
            .put_event(&uri, "loop-uid", &[("if-none-match", "*")])
            .etag();
        f.req("DELETE", &uri, &[("if-match", &etag)], "")
            .assert_status(204);
        // Also under another name: the tombstone holds no UID.
        let other = format!("{CAL}other.ics");
        let etag = f
            .put_event(&other, "loop-uid", &[("if-none-match", "*")])
            .etag();
        f.req("DELETE", &other, &[("if-match", &etag)], "")
            .assert_status(204);
    }
    let r = f.report(CAL, Some("0"), &sync_body(&token, "<D:getetag/>"));
    r.assert_status(207);
    assert_eq!(r.responses().len(), 2, "one entry per name: {}", r.body);
}

#[test]
fn pruned_log_never_yields_a_partial_delta_and_twice_no_change_is_empty() {
    let f = fixture();
    f.put_event(&format!("{CAL}a.ics"), "a", &[])
        .assert_status(201);
    let r = f.report(CAL, Some("0"), &sync_body("", "<D:getetag/>"));
    let t = sync_token(&r.body);
    let again = f.report(CAL, Some("0"), &sync_body(&t, "<D:getetag/>"));
    assert!(again.responses().is_empty());
    assert_eq!(
        sync_token(&again.body),
        t,
        "the current token is always returned"
    );
    f.req("DELETE", &format!("{CAL}a.ics"), &[], "")
        .assert_status(204);
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
    let r = f.report(CAL, Some("0"), &sync_body(&t, "<D:getetag/>"));
    r.assert_status(403)
        .assert_contains("<D:valid-sync-token/>");
    // A fresh initial sync still works and gives a token that is valid.
    let fresh = f.report(CAL, Some("0"), &sync_body("", "<D:getetag/>"));
    fresh.assert_status(207);
    f.report(
        CAL,
        Some("0"),
        &sync_body(&sync_token(&fresh.body), "<D:getetag/>"),
    )
    .assert_status(207);
}

#[test]
fn collection_without_trailing_slash_is_served_with_its_canonical_href() {
    let f = fixture();
    f.put_event(&format!("{CAL}a.ics"), "a", &[])
        .assert_status(201);
    let r = f.propfind("/dav/calendars/alice/default", "1", "<D:getetag/>");
    r.assert_status(207);
    assert_eq!(r.hrefs()[0], CAL);
    assert!(r.hrefs().contains(&format!("{CAL}a.ics")));
    let s = f.report(
        "/dav/calendars/alice/default",
        Some("0"),
        &sync_body("", "<D:getetag/>"),
    );
    s.assert_status(207);
    assert!(s.hrefs().contains(&format!("{CAL}a.ics")));
    f.req("OPTIONS", "/dav/calendars/alice/default", &[], "")
        .assert_status(200);
}

#[test]
fn require_if_match_policy_answers_428_never_412_and_is_off_by_default() {
    let f = fixture();
    let uri = format!("{CAL}a.ics");
    f.put_event(&uri, "a", &[]).assert_status(201);
    f.put_event(&uri, "a", &[]).assert_status(204);
    let f = fixture_with(DavConfig {
        require_if_match: true,
        ..DavConfig::default()
    });
    f.put_event(&uri, "a", &[]).assert_status(201);
    let before = f.state();
    f.put_event(&uri, "a", &[]).assert_status(428);
    assert_eq!(f.state(), before);
    let etag = f.req("GET", &uri, &[], "").etag();
    f.put_event(&uri, "a", &[("if-match", &etag)])
        .assert_status(204);
}

fn decoded(h: &str) -> String {
    percent_encoding::percent_decode_str(h)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

#[test]
fn special_names_and_uids_round_trip_through_put_propfind_multiget_and_sync() {
    let f = fixture();
    // (as PUT, other spellings a client may send, decoded name, UID)
    let names: [(&str, &[&str], &str, &str); 5] = [
        (
            "a%40b.ics",
            &["a@b.ics", "a%40b.ics"],
            "a@b.ics",
            "uid@example.com",
        ),
        (
            "x%2By%3Az.ics",
            &["x+y:z.ics", "x%2by%3az.ics"],
            "x+y:z.ics",
            "uid+plus:colon",
        ),
        (
            "with%20space.ics",
            &["with%20space.ics"],
            "with space.ics",
            "uid with space",
        ),
        (
            "%C3%BCml%C3%A4ut.ics",
            &["%c3%bcml%c3%a4ut.ics"],
            "ümläut.ics",
            "üid-ß",
        ),
        ("pct%2525.ics", &["pct%2525.ics"], "pct%25.ics", "uid%25"),
    ];
    for (enc, _, _, uid) in names {
        f.put_event(&format!("{CAL}{enc}"), uid, &[("if-none-match", "*")])
            .assert_status(201);
    }
    let listed: Vec<String> = f
        .propfind(CAL, "1", "<D:getetag/>")
        .hrefs()
        .iter()
        .map(|h| decoded(h))
        .collect();
    let synced: Vec<String> = f
        .report(CAL, Some("0"), &sync_body("", "<D:getetag/>"))
        .hrefs()
        .iter()
        .map(|h| decoded(h))
        .collect();
    for (_, _, name, _) in names {
        let h = format!("{CAL}{name}");
        assert!(listed.contains(&h), "{h}: {listed:?}");
        assert!(synced.contains(&h), "{h}: {synced:?}");
    }
    for (enc, others, _, uid) in names {
        for spelled in std::iter::once(&enc).chain(others.iter()) {
            let href = format!("{CAL}{spelled}");
            let body = format!(
                r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data/></D:prop><D:href>{href}</D:href></C:calendar-multiget>"#
            );
            let r = f.report(CAL, Some("1"), &body);
            let resp = r.response(&href);
            assert!(resp.contains(&format!("UID:{uid}")), "{href}: {resp}");
        }
    }
}
