//! Principals and free-busy between users of one running server: calendar user addresses from
//! `davlite user add|set --email/--displayname`, the principal reports of RFC 3744 §9, the
//! scheduling inbox and outbox (RFC 6638 §2), and free-busy by POST to the outbox (RFC 6638
//! §5). Guards: a user finds the others but reads nothing of theirs; busy time is exact, leaves
//! out transparent calendars and events, and reads floating times in the calendar's zone.

use davlite_tests::{Response, TestServer};

const DAV_NS: &str = r#"xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/""#;

/// A server with alice and bob (with addresses and display names) and carol (with neither).
fn three_users() -> TestServer {
    let server = TestServer::start();
    for args in [
        &[
            "user",
            "add",
            "alice",
            "--password",
            "alice-pw",
            "--email",
            "alice@example.com",
            "--displayname",
            "Alice Liddell",
        ][..],
        &[
            "user",
            "add",
            "bob",
            "--password",
            "bob-pw",
            "--email",
            "bob@example.com",
            "--email",
            "robert@example.org",
            "--displayname",
            "Bob Builder",
        ][..],
        &["user", "add", "carol", "--password", "carol-pw"][..],
    ] {
        let out = server.davlite(args, None);
        assert!(
            out.status.success(),
            "davlite {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    server
}

fn pw(user: &str) -> String {
    format!("{user}-pw")
}

fn send(
    server: &TestServer,
    user: &str,
    method: &str,
    path: &str,
    depth: &str,
    body: &str,
) -> Response {
    let mut req = server
        .anonymous(method, path)
        .basic_auth(user, &pw(user))
        .header("Content-Type", "application/xml; charset=utf-8");
    if !depth.is_empty() {
        req = req.header("Depth", depth);
    }
    req.body(body.as_bytes().to_vec()).send()
}

fn propfind(server: &TestServer, user: &str, path: &str, depth: &str, props: &str) -> Response {
    send(
        server,
        user,
        "PROPFIND",
        path,
        depth,
        &format!("<D:propfind {DAV_NS}><D:prop>{props}</D:prop></D:propfind>"),
    )
}

/// The `<D:response>` elements of a multistatus, each as text.
fn responses(body: &str) -> Vec<String> {
    body.split("<D:response>")
        .skip(1)
        .map(|r| r.split("</D:response>").next().unwrap_or("").to_string())
        .collect()
}

/// The hrefs (first `<D:href>` of each response) of a multistatus.
fn response_hrefs(body: &str) -> Vec<String> {
    responses(body)
        .iter()
        .filter_map(|r| {
            let start = r.find("<D:href>")? + 8;
            let end = r[start..].find("</D:href>")? + start;
            Some(r[start..end].to_string())
        })
        .collect()
}

fn put_event(server: &TestServer, user: &str, path: &str, body: &str) {
    let r = server
        .anonymous("PUT", path)
        .basic_auth(user, &pw(user))
        .header("Content-Type", "text/calendar")
        .body(body.as_bytes().to_vec())
        .send();
    assert_eq!(r.status, 201, "PUT {path}: {}", r.text());
}

fn event(uid: &str, start: &str, end: &str, extra: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite//principals//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:{uid}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn freebusy_request(organizer: &str, attendees: &[&str], extra: &str) -> String {
    let mut s = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite//principals//EN\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\nUID:fb-request-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260302T000000Z\r\nDTEND:20260303T000000Z\r\n",
    );
    if !organizer.is_empty() {
        s.push_str(&format!("ORGANIZER:{organizer}\r\n"));
    }
    for a in attendees {
        s.push_str(&format!("ATTENDEE;CUTYPE=INDIVIDUAL:{a}\r\n"));
    }
    s.push_str(extra);
    s.push_str("END:VFREEBUSY\r\nEND:VCALENDAR\r\n");
    s
}

fn post_outbox(server: &TestServer, user: &str, outbox_of: &str, body: &str) -> Response {
    server
        .anonymous("POST", &format!("/dav/calendars/{outbox_of}/outbox/"))
        .basic_auth(user, &pw(user))
        .header("Content-Type", "text/calendar; charset=utf-8")
        .header("Originator", &format!("mailto:{user}@example.com"))
        .body(body.as_bytes().to_vec())
        .send()
}

/// The `C:response` of `recipient` in a schedule-response.
fn schedule_item(body: &str, recipient: &str) -> String {
    body.split("<C:response>")
        .skip(1)
        .map(|r| r.split("</C:response>").next().unwrap_or(""))
        .find(|r| r.contains(&format!("<D:href>{recipient}</D:href>")))
        .unwrap_or_else(|| panic!("no response for {recipient} in {body}"))
        .to_string()
}

/// The FREEBUSY lines of a response's calendar-data (CRs are escaped in XML as `&#13;`).
fn busy_lines(item: &str) -> Vec<String> {
    item.replace("&#13;", "")
        .lines()
        .filter(|l| l.starts_with("FREEBUSY"))
        .map(str::to_string)
        .collect()
}

#[test]
fn principal_carries_addresses_type_name_and_scheduling_urls() {
    let server = three_users();
    let r = propfind(
        &server,
        "alice",
        "/dav/principals/alice/",
        "0",
        "<C:calendar-user-address-set/><C:calendar-user-type/><D:displayname/><D:principal-URL/>\
         <D:principal-collection-set/><C:schedule-inbox-URL/><C:schedule-outbox-URL/>\
         <C:schedule-default-calendar-URL/><C:calendar-home-set/>",
    );
    assert_eq!(r.status, 207, "{}", r.text());
    let t = r.text();
    for expected in [
        "<C:calendar-user-address-set><D:href>mailto:alice@example.com</D:href><D:href>/dav/principals/alice/</D:href></C:calendar-user-address-set>",
        "<C:calendar-user-type>INDIVIDUAL</C:calendar-user-type>",
        "<D:displayname>Alice Liddell</D:displayname>",
        "<D:principal-URL><D:href>/dav/principals/alice/</D:href></D:principal-URL>",
        "<D:principal-collection-set><D:href>/dav/principals/</D:href></D:principal-collection-set>",
        "<C:schedule-inbox-URL><D:href>/dav/calendars/alice/inbox/</D:href></C:schedule-inbox-URL>",
        "<C:schedule-outbox-URL><D:href>/dav/calendars/alice/outbox/</D:href></C:schedule-outbox-URL>",
        "<C:schedule-default-calendar-URL><D:href>/dav/calendars/alice/default/</D:href></C:schedule-default-calendar-URL>",
    ] {
        assert!(t.contains(expected), "{expected} missing in {t}");
    }
    assert!(!t.contains("404 Not Found"), "{t}");

    // Several addresses keep their order; a user without any has only the principal URL.
    let r = propfind(
        &server,
        "bob",
        "/dav/principals/bob/",
        "0",
        "<C:calendar-user-address-set/>",
    );
    assert!(r.text().contains("<D:href>mailto:bob@example.com</D:href><D:href>mailto:robert@example.org</D:href><D:href>/dav/principals/bob/</D:href>"), "{}", r.text());
    let r = propfind(
        &server,
        "carol",
        "/dav/principals/carol/",
        "0",
        "<C:calendar-user-address-set/><D:displayname/>",
    );
    assert!(r.text().contains("<C:calendar-user-address-set><D:href>/dav/principals/carol/</D:href></C:calendar-user-address-set>"), "{}", r.text());
    assert!(
        r.text().contains("<D:displayname>carol</D:displayname>"),
        "{}",
        r.text()
    );

    // principal-collection-set where clients look for it: the home and a calendar.
    for path in ["/dav/calendars/alice/", "/dav/calendars/alice/default/"] {
        let r = propfind(&server, "alice", path, "0", "<D:principal-collection-set/>");
        assert!(
            r.text()
                .contains("<D:principal-collection-set><D:href>/dav/principals/</D:href>"),
            "{path}: {}",
            r.text()
        );
    }

    // The inbox and outbox answer PROPFIND as what they are, never as calendars, and the home
    // listing shows them.
    for (path, kind) in [
        ("/dav/calendars/alice/inbox/", "<C:schedule-inbox/>"),
        ("/dav/calendars/alice/outbox/", "<C:schedule-outbox/>"),
    ] {
        let r = propfind(
            &server,
            "alice",
            path,
            "0",
            "<D:resourcetype/><C:supported-calendar-component-set/>",
        );
        assert_eq!(r.status, 207, "{path}: {}", r.text());
        let t = r.text();
        assert!(t.contains(kind) && !t.contains("<C:calendar/>"), "{t}");
        assert!(t.contains(r#"<C:comp name="VEVENT"/>"#), "{t}");
    }
    let r = propfind(
        &server,
        "alice",
        "/dav/calendars/alice/",
        "1",
        "<D:resourcetype/>",
    );
    let hrefs = response_hrefs(&r.text());
    for h in [
        "/dav/calendars/alice/inbox/",
        "/dav/calendars/alice/outbox/",
    ] {
        assert!(hrefs.contains(&h.to_string()), "{h} not in {hrefs:?}");
    }
    let r = propfind(
        &server,
        "alice",
        "/dav/calendars/alice/inbox/",
        "0",
        "<C:schedule-default-calendar-URL/>",
    );
    assert!(
        r.text()
            .contains("<D:href>/dav/calendars/alice/default/</D:href>"),
        "{}",
        r.text()
    );

    // Implicit scheduling is advertised (tests/tests/scheduling.rs shows it works).
    let r = send(
        &server,
        "alice",
        "OPTIONS",
        "/dav/principals/alice/",
        "",
        "",
    );
    let dav = r.header("DAV").unwrap_or("").to_string();
    assert!(
        dav.contains("calendar-access")
            && dav.contains("calendar-auto-schedule")
            && !dav.contains("calendar-schedule,"),
        "{dav}"
    );
    // The outbox takes POST.
    let r = send(
        &server,
        "alice",
        "OPTIONS",
        "/dav/calendars/alice/outbox/",
        "",
        "",
    );
    assert!(
        r.header("Allow").unwrap_or("").contains("POST"),
        "{:?}",
        r.headers
    );
}

#[test]
fn user_set_changes_addresses_and_name_on_a_running_server() {
    let server = three_users();
    let out = server.davlite(
        &[
            "user",
            "set",
            "carol",
            "--email",
            "carol@example.net",
            "--displayname",
            "Carol C",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // An address another user has is refused, and nothing changes.
    let out = server.davlite(
        &["user", "set", "carol", "--email", "BOB@example.com"],
        None,
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bob"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let r = propfind(
            &server,
            "alice",
            "/dav/principals/carol/",
            "0",
            "<C:calendar-user-address-set/><D:displayname/>",
        );
        let t = r.text();
        if t.contains("<D:href>mailto:carol@example.net</D:href>")
            && t.contains("<D:displayname>Carol C</D:displayname>")
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not applied: {t}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let out = server.davlite(&["user", "set", "carol", "--no-email"], None);
    assert!(out.status.success());
    let text = std::fs::read_to_string(server.data_dir().join("users.toml")).unwrap();
    assert!(
        !text.contains("carol@example.net") && text.contains("Carol C"),
        "{text}"
    );
}

#[test]
fn property_search_finds_other_users_by_name_and_address() {
    let server = three_users();
    let search = |user: &str, path: &str, depth: &str, body: &str| {
        let r = send(&server, user, "REPORT", path, depth, body);
        assert_eq!(r.status, 207, "{body}: {}", r.text());
        r
    };
    // Apple's attendee lookup: anyof over several properties, no Depth header.
    let apple = |text: &str| {
        format!(
            "<D:principal-property-search {DAV_NS} test=\"anyof\">\
             <D:property-search><D:prop><D:displayname/></D:prop><D:match match-type=\"starts-with\">{text}</D:match></D:property-search>\
             <D:property-search><D:prop><CS:email-address-set/></D:prop><D:match match-type=\"starts-with\">{text}</D:match></D:property-search>\
             <D:prop><C:calendar-user-address-set/><D:displayname/><C:calendar-user-type/><D:principal-URL/></D:prop>\
             </D:principal-property-search>"
        )
    };
    let r = search("alice", "/dav/principals/", "", &apple("bob"));
    assert_eq!(
        response_hrefs(&r.text()),
        ["/dav/principals/bob/"],
        "{}",
        r.text()
    );
    assert!(
        r.text()
            .contains("<D:displayname>Bob Builder</D:displayname>")
    );
    assert!(
        r.text()
            .contains("<D:href>mailto:robert@example.org</D:href>")
    );
    // By the second address, in another case: anyof lets the e-mail search alone match.
    let r = search("alice", "/dav/principals/", "0", &apple("ROBERT@"));
    assert_eq!(
        response_hrefs(&r.text()),
        ["/dav/principals/bob/"],
        "{}",
        r.text()
    );
    // Caseless substring of the display name, default match type, from the DAV root.
    let body = format!(
        "<D:principal-property-search {DAV_NS}><D:property-search><D:prop><D:displayname/></D:prop>\
         <D:match>LIDDELL</D:match></D:property-search><D:prop><D:displayname/></D:prop>\
         </D:principal-property-search>"
    );
    let r = search("bob", "/dav/", "0", &body);
    assert_eq!(
        response_hrefs(&r.text()),
        ["/dav/principals/alice/"],
        "{}",
        r.text()
    );
    // allof (the default): both searches must hold, so nobody is both Bob and Alice.
    let body = format!(
        "<D:principal-property-search {DAV_NS}>\
         <D:property-search><D:prop><D:displayname/></D:prop><D:match>bob</D:match></D:property-search>\
         <D:property-search><D:prop><C:calendar-user-address-set/></D:prop><D:match>alice</D:match></D:property-search>\
         <D:prop><D:displayname/></D:prop></D:principal-property-search>"
    );
    let r = search("alice", "/dav/principals/", "0", &body);
    assert!(response_hrefs(&r.text()).is_empty(), "{}", r.text());
    // Evolution: on a calendar, the bare address, apply-to-principal-collection-set: exactly one.
    let body = format!(
        "<D:principal-property-search {DAV_NS}><D:apply-to-principal-collection-set/>\
         <D:property-search><D:prop><C:calendar-user-address-set/></D:prop><D:match>bob@example.com</D:match></D:property-search>\
         <D:prop><D:displayname/></D:prop></D:principal-property-search>"
    );
    let r = search("alice", "/dav/calendars/alice/default/", "0", &body);
    assert_eq!(
        response_hrefs(&r.text()),
        ["/dav/principals/bob/"],
        "{}",
        r.text()
    );
    // Thunderbird: Depth 1, by home path, asking for the scheduling URLs.
    let body = format!(
        "<D:principal-property-search {DAV_NS}><D:property-search><D:prop><C:calendar-home-set/></D:prop>\
         <D:match>/dav/calendars/carol</D:match></D:property-search><D:prop><C:calendar-home-set/>\
         <C:calendar-user-address-set/><C:schedule-inbox-URL/><C:schedule-outbox-URL/></D:prop>\
         </D:principal-property-search>"
    );
    let r = search("alice", "/dav/principals/", "1", &body);
    assert_eq!(
        response_hrefs(&r.text()),
        ["/dav/principals/carol/"],
        "{}",
        r.text()
    );
    assert!(
        r.text()
            .contains("<D:href>/dav/calendars/carol/outbox/</D:href>")
    );
    // python-caldav's body: the wanted properties as siblings of an empty prop; all principals.
    let body = format!(
        "<D:principal-property-search {DAV_NS}><D:prop/><C:calendar-home-set/><D:displayname/></D:principal-property-search>"
    );
    let r = search("carol", "/", "0", &body);
    let hrefs = response_hrefs(&r.text());
    for u in ["admin", "alice", "bob", "carol"] {
        assert!(
            hrefs.contains(&format!("/dav/principals/{u}/")),
            "{u}: {hrefs:?}"
        );
    }
    assert!(r.text().contains(
        "<C:calendar-home-set><D:href>/dav/calendars/bob/</D:href></C:calendar-home-set>"
    ));
    // Nothing of anyone's data comes with a hit.
    assert!(!r.text().contains("/default/"), "{}", r.text());

    let r = send(
        &server,
        "alice",
        "REPORT",
        "/dav/principals/",
        "0",
        r#"<D:principal-search-property-set xmlns:D="DAV:"/>"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    for p in [
        "<D:displayname/>",
        "<C:calendar-user-address-set/>",
        "<CS:email-address-set/>",
    ] {
        assert!(r.text().contains(p), "{p}: {}", r.text());
    }
    // Principal reports are listed where they belong.
    let r = propfind(
        &server,
        "alice",
        "/dav/principals/",
        "0",
        "<D:supported-report-set/>",
    );
    assert!(
        r.text().contains("<D:principal-property-search/>"),
        "{}",
        r.text()
    );
}

#[test]
fn principal_match_self_and_owner() {
    let server = three_users();
    let body = format!(
        "<D:principal-match {DAV_NS}><D:self/><D:prop><D:displayname/></D:prop></D:principal-match>"
    );
    let r = send(&server, "bob", "REPORT", "/dav/principals/", "0", &body);
    assert_eq!(r.status, 207, "{}", r.text());
    assert_eq!(response_hrefs(&r.text()), ["/dav/principals/bob/"]);
    assert!(
        r.text()
            .contains("<D:displayname>Bob Builder</D:displayname>")
    );
    // On another user's principal, self matches nothing.
    let r = send(
        &server,
        "bob",
        "REPORT",
        "/dav/principals/alice/",
        "0",
        &body,
    );
    assert!(response_hrefs(&r.text()).is_empty(), "{}", r.text());

    let body = format!(
        "<D:principal-match {DAV_NS}><D:principal-property><D:owner/></D:principal-property>\
         <D:prop><D:resourcetype/></D:prop></D:principal-match>"
    );
    let r = send(
        &server,
        "alice",
        "REPORT",
        "/dav/calendars/alice/",
        "0",
        &body,
    );
    assert_eq!(r.status, 207, "{}", r.text());
    let hrefs = response_hrefs(&r.text());
    assert!(
        hrefs.contains(&"/dav/calendars/alice/default/".to_string()),
        "{hrefs:?}"
    );
    assert!(
        hrefs.iter().all(|h| h.starts_with("/dav/calendars/alice/")),
        "{hrefs:?}"
    );
    // From the DAV root: the user's own collections only.
    let r = send(&server, "alice", "REPORT", "/dav/", "0", &body);
    let hrefs = response_hrefs(&r.text());
    assert!(
        hrefs.contains(&"/dav/addressbooks/alice/default/".to_string()),
        "{hrefs:?}"
    );
    assert!(!hrefs.iter().any(|h| h.contains("/bob/")), "{hrefs:?}");
    // Depth other than 0 is refused (RFC 3744 §9.3).
    let r = send(&server, "alice", "REPORT", "/dav/principals/", "1", &body);
    assert_eq!(r.status, 400, "{}", r.text());
}

#[test]
fn another_user_sees_the_principal_but_nothing_it_owns() {
    let server = three_users();
    put_event(
        &server,
        "alice",
        "/dav/calendars/alice/default/secret.ics",
        &event(
            "secret-uid",
            "20260302T100000Z",
            "20260302T110000Z",
            "DESCRIPTION:the-secret\r\n",
        ),
    );
    let r = propfind(
        &server,
        "bob",
        "/dav/principals/alice/",
        "0",
        "<D:displayname/><C:calendar-user-address-set/>",
    );
    assert_eq!(r.status, 207, "{}", r.text());
    assert!(
        r.text()
            .contains("<D:displayname>Alice Liddell</D:displayname>")
    );
    assert!(r.text().contains("mailto:alice@example.com"));
    // Her default calendar stays hers, even to the one who knows her.
    let r = propfind(
        &server,
        "bob",
        "/dav/principals/alice/",
        "0",
        "<C:schedule-default-calendar-URL/>",
    );
    assert!(
        !r.text().contains("/dav/calendars/alice/default/"),
        "{}",
        r.text()
    );
    for (method, path, depth) in [
        ("PROPFIND", "/dav/calendars/alice/", "1"),
        ("PROPFIND", "/dav/calendars/alice/default/", "1"),
        ("PROPFIND", "/dav/calendars/alice/inbox/", "0"),
        ("PROPFIND", "/dav/calendars/alice/outbox/", "0"),
        ("GET", "/dav/calendars/alice/default/secret.ics", ""),
    ] {
        let r = send(&server, "bob", method, path, depth, "");
        assert!(
            r.status == 403 || r.status == 404,
            "{method} {path}: {} {}",
            r.status,
            r.text()
        );
        assert!(!r.text().contains("the-secret"), "{method} {path}");
    }
    // Bob cannot ask for free time through alice's outbox.
    let r = post_outbox(
        &server,
        "bob",
        "alice",
        &freebusy_request(
            "mailto:alice@example.com",
            &["mailto:alice@example.com"],
            "",
        ),
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text().contains("need-privileges") && r.text().contains("schedule-send-freebusy"),
        "{}",
        r.text()
    );
    assert!(!r.text().contains("FREEBUSY"), "{}", r.text());
    // A principal the server does not have is not shown.
    let r = propfind(
        &server,
        "bob",
        "/dav/principals/nobody/",
        "0",
        "<D:displayname/>",
    );
    assert_eq!(r.status, 403, "{}", r.text());
}

#[test]
fn outbox_free_busy_is_exact_and_honours_transparency_and_zones() {
    let server = three_users();
    // alice: busy 10:00-11:00.
    put_event(
        &server,
        "alice",
        "/dav/calendars/alice/default/a1.ics",
        &event("a1", "20260302T100000Z", "20260302T110000Z", ""),
    );
    // bob: two busy events, one transparent event, one cancelled event, an event on another
    // day, a floating event in a Europe/Berlin calendar, and a transparent calendar.
    let bob_cal = "/dav/calendars/bob/default/";
    put_event(
        &server,
        "bob",
        &format!("{bob_cal}b1.ics"),
        &event("b1", "20260302T090000Z", "20260302T093000Z", ""),
    );
    put_event(
        &server,
        "bob",
        &format!("{bob_cal}b2.ics"),
        &event("b2", "20260302T130000Z", "20260302T140000Z", ""),
    );
    put_event(
        &server,
        "bob",
        &format!("{bob_cal}b3.ics"),
        &event(
            "b3",
            "20260302T150000Z",
            "20260302T160000Z",
            "TRANSP:TRANSPARENT\r\n",
        ),
    );
    put_event(
        &server,
        "bob",
        &format!("{bob_cal}b4.ics"),
        &event(
            "b4",
            "20260302T170000Z",
            "20260302T180000Z",
            "STATUS:CANCELLED\r\n",
        ),
    );
    put_event(
        &server,
        "bob",
        &format!("{bob_cal}b5.ics"),
        &event("b5", "20260304T090000Z", "20260304T100000Z", ""),
    );
    let mk = send(
        &server,
        "bob",
        "MKCALENDAR",
        "/dav/calendars/bob/berlin/",
        "",
        &format!(
            "<C:mkcalendar {DAV_NS}><D:set><D:prop><C:calendar-timezone-id>Europe/Berlin</C:calendar-timezone-id></D:prop></D:set></C:mkcalendar>"
        ),
    );
    assert_eq!(mk.status, 201, "{}", mk.text());
    // Floating 12:00 in Berlin (UTC+1 in March) is 11:00Z.
    put_event(
        &server,
        "bob",
        "/dav/calendars/bob/berlin/f1.ics",
        &event("f1", "20260302T120000", "20260302T123000", ""),
    );
    let mk = send(
        &server,
        "bob",
        "MKCALENDAR",
        "/dav/calendars/bob/holidays/",
        "",
        &format!(
            "<C:mkcalendar {DAV_NS}><D:set><D:prop><C:schedule-calendar-transp><C:transparent/></C:schedule-calendar-transp></D:prop></D:set></C:mkcalendar>"
        ),
    );
    assert_eq!(mk.status, 201, "{}", mk.text());
    put_event(
        &server,
        "bob",
        "/dav/calendars/bob/holidays/h1.ics",
        &event("h1", "20260302T200000Z", "20260302T210000Z", ""),
    );

    let r = post_outbox(
        &server,
        "alice",
        "alice",
        &freebusy_request(
            "mailto:ALICE@example.com",
            &[
                "mailto:alice@example.com",
                "mailto:Robert@Example.org",
                "/dav/principals/carol/",
                "mailto:nobody@example.com",
            ],
            "",
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("Content-Type").unwrap_or("").contains("xml"));
    let t = r.text();
    assert!(t.contains("<C:schedule-response"), "{t}");
    assert_eq!(t.matches("<C:response>").count(), 4, "{t}");

    let alice = schedule_item(&t, "mailto:alice@example.com");
    assert!(
        alice.contains("<C:request-status>2.0;Success</C:request-status>"),
        "{alice}"
    );
    assert_eq!(
        busy_lines(&alice),
        ["FREEBUSY;FBTYPE=BUSY:20260302T100000Z/20260302T110000Z"]
    );
    assert!(
        alice.contains("METHOD:REPLY") && alice.contains("UID:fb-request-1"),
        "{alice}"
    );

    let bob = schedule_item(&t, "mailto:Robert@Example.org");
    assert!(
        bob.contains("<C:request-status>2.0;Success</C:request-status>"),
        "{bob}"
    );
    assert_eq!(
        busy_lines(&bob),
        [
            "FREEBUSY;FBTYPE=BUSY:20260302T090000Z/20260302T093000Z",
            "FREEBUSY;FBTYPE=BUSY:20260302T110000Z/20260302T113000Z",
            "FREEBUSY;FBTYPE=BUSY:20260302T130000Z/20260302T140000Z",
        ],
        "{bob}"
    );
    assert!(bob.contains("ATTENDEE:mailto:Robert@Example.org"), "{bob}");

    let carol = schedule_item(&t, "/dav/principals/carol/");
    assert!(
        carol.contains("<C:request-status>2.0;Success</C:request-status>"),
        "{carol}"
    );
    assert!(busy_lines(&carol).is_empty(), "{carol}");

    let nobody = schedule_item(&t, "mailto:nobody@example.com");
    assert!(nobody.contains("<C:request-status>3.7;"), "{nobody}");
    assert!(!nobody.contains("calendar-data"), "{nobody}");
    // Each response holds only recipient, request-status and calendar-data (python-caldav).
    for item in [&alice, &bob, &carol, &nobody] {
        let stripped = item
            .replace("<C:recipient>", "")
            .replace("<C:request-status>", "")
            .replace("<C:calendar-data>", "");
        assert!(
            !stripped.contains("<C:") && !stripped.contains("<D:responsedescription"),
            "{item}"
        );
    }

    // Apple's mask: the event being moved does not count against its own new slot.
    let r = post_outbox(
        &server,
        "alice",
        "alice",
        &freebusy_request(
            "",
            &["mailto:alice@example.com"],
            "X-CALENDARSERVER-MASK-UID:a1\r\n",
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        busy_lines(&schedule_item(&r.text(), "mailto:alice@example.com")).is_empty(),
        "{}",
        r.text()
    );
}

#[test]
fn outbox_refuses_what_it_cannot_answer() {
    let server = three_users();
    // ORGANIZER must be the outbox owner.
    let r = post_outbox(
        &server,
        "alice",
        "alice",
        &freebusy_request("mailto:bob@example.com", &["mailto:bob@example.com"], ""),
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("organizer-allowed"), "{}", r.text());
    // No attendee.
    let r = post_outbox(
        &server,
        "alice",
        "alice",
        &freebusy_request("mailto:alice@example.com", &[], ""),
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("recipient-specified"), "{}", r.text());
    // Not a free-busy request.
    let body = event("x", "20260302T100000Z", "20260302T110000Z", "")
        .replace("VERSION:2.0\r\n", "VERSION:2.0\r\nMETHOD:REQUEST\r\n");
    let r = post_outbox(&server, "alice", "alice", &body);
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text().contains("valid-scheduling-message"),
        "{}",
        r.text()
    );
    // Not iCalendar at all.
    let r = server
        .anonymous("POST", "/dav/calendars/alice/outbox/")
        .basic_auth("alice", "alice-pw")
        .header("Content-Type", "application/xml")
        .body(b"<x/>".to_vec())
        .send();
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("supported-calendar-data"), "{}", r.text());
    // A calendar takes POST for sharing only: XML that is not a share request is malformed,
    // and any other body is a type it does not take.
    let r = send(
        &server,
        "alice",
        "POST",
        "/dav/calendars/alice/default/",
        "",
        "",
    );
    assert_eq!(r.status, 400, "{}", r.text());
    let r = server
        .anonymous("POST", "/dav/calendars/alice/default/")
        .basic_auth("alice", "alice-pw")
        .header("Content-Type", "text/calendar")
        .body(body.clone().into_bytes())
        .send();
    assert_eq!(r.status, 415, "{}", r.text());
    // POST on an object is 405, and its Allow does not offer POST.
    let r = server
        .anonymous("PUT", "/dav/calendars/alice/default/x.ics")
        .basic_auth("alice", "alice-pw")
        .header("Content-Type", "text/calendar")
        .body(event("x", "20260302T100000Z", "20260302T110000Z", "").into_bytes())
        .send();
    assert_eq!(r.status, 201, "{}", r.text());
    let r = send(
        &server,
        "alice",
        "POST",
        "/dav/calendars/alice/default/x.ics",
        "",
        "",
    );
    assert_eq!(r.status, 405, "{}", r.text());
    assert!(!r.header("Allow").unwrap_or("").contains("POST"));
    // The inbox and outbox cannot be replaced or removed.
    let r = send(
        &server,
        "alice",
        "DELETE",
        "/dav/calendars/alice/inbox/",
        "",
        "",
    );
    assert_eq!(r.status, 403, "{}", r.text());
    let r = send(
        &server,
        "alice",
        "MKCALENDAR",
        "/dav/calendars/alice/outbox/",
        "",
        "",
    );
    assert_eq!(r.status, 403, "{}", r.text());
}
