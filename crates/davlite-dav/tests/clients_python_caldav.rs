//! python-caldav discovery (shared/clients/python-caldav.md): an unauthenticated GET of the
//! well-known URI, and 401 with a challenge before credentials are sent.

use crate::common;
use common::*;

#[test]
fn python_caldav_well_known_get_unauthenticated_is_301_same_origin() {
    let f = fixture();
    for m in ["GET", "HEAD", "OPTIONS", "PROPFIND"] {
        let r = f.req_as(None, m, "/.well-known/caldav", &[], b"");
        r.assert_status(301);
        let loc = r.header("location").unwrap();
        // Same origin: an absolute path (no scheme, no host).
        assert!(loc.starts_with('/') && !loc.starts_with("//"), "{loc}");
        assert!(!loc.contains("://"));
    }
}

#[test]
fn python_caldav_needs_401_with_www_authenticate_first() {
    let f = fixture();
    for (m, uri) in [
        ("PROPFIND", "/dav/"),
        ("GET", CAL),
        ("OPTIONS", "/dav/principals/alice/"),
        ("PUT", "/dav/calendars/alice/default/x.ics"),
    ] {
        let r = f.req_as(None, m, uri, &[], b"");
        r.assert_status(401);
        assert!(
            r.header("www-authenticate")
                .unwrap()
                .starts_with("Basic realm=")
        );
    }
    assert_eq!(
        f.dav.store().list("calendars/alice/default").unwrap().len(),
        0
    );
}

#[test]
fn python_caldav_propfind_base_url_gives_principal_and_home() {
    let f = fixture();
    let r = f.propfind("/dav/", "0", "<D:current-user-principal/>");
    r.assert_status(207)
        .assert_contains("/dav/principals/alice/");
    let r = f.propfind("/dav/principals/alice/", "0", "<C:calendar-home-set/>");
    r.assert_status(207)
        .assert_contains("<C:calendar-home-set><D:href>/dav/calendars/alice/</D:href>");
    let r = f.propfind(
        "/dav/calendars/alice/",
        "1",
        "<D:resourcetype/><D:displayname/><C:supported-calendar-component-set/><ICAL:calendar-color xmlns:ICAL=\"http://apple.com/ns/ical/\"/><CS:getctag/>",
    );
    r.assert_status(207);
    assert!(r.response(CAL).contains("<CS:getctag>"));
}
