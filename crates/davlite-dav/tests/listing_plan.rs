//! Listings of many members are written from a per-request plan (src/plan.rs) unless an object
//! of the collection has a dead property that the request could name. Both ways must write the
//! same bytes: each request here is answered once by the plan, then again after a dead property
//! on one object forces the general path, and every other member's response must not change.

use crate::common;
use common::*;

/// More members than fit in one 64 KiB chunk, names that need percent-encoding among them.
fn filled() -> Fixture {
    let f = fast_fixture();
    for i in 0..400 {
        let name = if i % 50 == 0 {
            format!("{CAL}odd name & {i}.ics")
        } else {
            format!("{CAL}e{i:03}.ics")
        };
        let uri = name.replace(' ', "%20").replace('&', "%26");
        f.put_event(&uri, &format!("uid-{i}"), &[])
            .assert_status(201);
    }
    f
}

const FORCED: &str = "e007.ics";

/// Sets a dead property on one object, which takes the collection off the plan.
fn force_general_path(f: &Fixture) {
    let body = r#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:X="urn:x-test:"><D:set><D:prop><X:color>red</X:color></D:prop></D:set></D:propertyupdate>"#;
    f.req("PROPPATCH", &format!("{CAL}{FORCED}"), &[], body)
        .assert_status(207)
        .assert_contains("200 OK");
}

fn others(r: &Resp) -> Vec<String> {
    r.responses()
        .into_iter()
        .filter(|x| !x.contains(FORCED))
        .collect()
}

fn report(f: &Fixture, body: &str, headers: &[(&str, &str)]) -> Resp {
    let mut h = vec![("depth", "1"), ("content-type", "application/xml")];
    h.extend_from_slice(headers);
    f.req("REPORT", CAL, &h, body)
}

const PROPS: &str = "<D:getetag/><D:getcontenttype/><D:getcontentlength/><D:getlastmodified/><D:resourcetype/><D:owner/><D:displayname/><X:color xmlns:X=\"urn:x-test:\"/><D:current-user-privilege-set/><D:supported-report-set/><C:calendar-data/><D:sync-token/>";

#[test]
fn plan_and_general_path_write_the_same_bytes() {
    let f = filled();
    let propfind = |f: &Fixture, props: &str, prefer: Option<&str>| {
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">{props}</D:propfind>"#
        );
        let mut h = vec![("depth", "1"), ("content-type", "application/xml")];
        if let Some(p) = prefer {
            h.push(("prefer", p));
        }
        f.req("PROPFIND", CAL, &h, &body)
    };
    let multiget = {
        let mut hrefs = String::new();
        for i in (0..400).step_by(3) {
            hrefs.push_str(&format!("<D:href>{CAL}e{i:03}.ics</D:href>"));
        }
        hrefs.push_str(&format!("<D:href>{CAL}odd%20name%20%26%20100.ics</D:href>"));
        hrefs.push_str(&format!("<D:href>{CAL}missing.ics</D:href>"));
        format!(
            r#"<?xml version="1.0"?><C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>{PROPS}</D:prop>{hrefs}</C:calendar-multiget>"#
        )
    };
    let query = |filter: &str| {
        format!(
            r#"<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>{PROPS}</D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">{filter}</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#
        )
    };
    // Decided by the instance index, and by the evaluator on each body.
    let week = query(r#"<C:time-range start="20240101T000000Z" end="20240108T000000Z"/>"#);
    let text = query(
        r#"<C:prop-filter name="SUMMARY"><C:text-match collation="i;ascii-casemap">test</C:text-match></C:prop-filter>"#,
    );
    let sync = sync_body("", PROPS);
    let sync_etag = sync_body("", "<D:getetag/><X:color xmlns:X=\"urn:x-test:\"/>");
    let run = |f: &Fixture| -> Vec<Resp> {
        vec![
            propfind(f, &format!("<D:prop>{PROPS}</D:prop>"), None),
            propfind(
                f,
                &format!("<D:prop>{PROPS}</D:prop>"),
                Some("return=minimal"),
            ),
            propfind(f, "<D:allprop/>", None),
            propfind(
                f,
                "<D:allprop/><D:include><D:supported-report-set/><D:getetag/></D:include>",
                None,
            ),
            propfind(
                f,
                "<D:prop><X:color xmlns:X=\"urn:x-test:\"/></D:prop>",
                None,
            ),
            propfind(
                f,
                "<D:prop><X:color xmlns:X=\"urn:x-test:\"/></D:prop>",
                Some("return=minimal"),
            ),
            report(f, &multiget, &[]),
            report(f, &multiget, &[("prefer", "return=minimal")]),
            report(f, &week, &[]),
            report(f, &text, &[("prefer", "return=minimal")]),
            report(f, &sync, &[]),
            report(f, &sync_etag, &[]),
        ]
    };
    let before = f.dav.plans_built();
    let planned = run(&f);
    let built = f.dav.plans_built() - before;
    assert!(built >= 12, "only {built} of 12 answers were planned");
    force_general_path(&f);
    let before = f.dav.plans_built();
    let general = run(&f);
    assert!(
        f.dav.plans_built() == before,
        "the general path was not taken"
    );
    for (i, (p, g)) in planned.iter().zip(&general).enumerate() {
        assert_eq!((p.status, g.status), (207, 207), "request {i}");
        let (p, g) = (others(p), others(g));
        assert!(p.len() > 100, "request {i}: {} responses", p.len());
        assert_eq!(p.len(), g.len(), "request {i}");
        for (a, b) in p.iter().zip(&g) {
            assert_eq!(a, b, "request {i}");
        }
    }
    // The forced object shows its property on the general path.
    let forced = general[4].response(&format!("{CAL}{FORCED}"));
    assert!(forced.contains(">red</"), "{forced}");
}

#[test]
fn a_planned_listing_is_complete_across_chunks() {
    let f = filled();
    let r = f.propfind(CAL, "1", "<D:getetag/>");
    r.assert_status(207);
    assert!(
        r.body.len() > 64 * 1024,
        "{} bytes: one chunk only",
        r.body.len()
    );
    let hrefs = r.hrefs();
    assert_eq!(hrefs.len(), 401);
    let mut members = hrefs[1..].to_vec();
    let sorted = {
        let mut s = members.clone();
        s.sort();
        s
    };
    assert_eq!(members, sorted, "members in name order");
    members.dedup();
    assert_eq!(members.len(), 400);
    assert!(r.body.ends_with("</D:multistatus>"));
    assert!(
        hrefs.contains(&format!("{CAL}odd%20name%20&amp;%20100.ics"))
            || r.body.contains("odd%20name%20%26%20100.ics")
    );
}
