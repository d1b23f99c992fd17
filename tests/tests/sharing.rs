//! Sharing a calendar between users of one running server: the CalendarServer `CS:share` POST
//! (Apple Calendar), the sharee's home listing the collection under `<name>~<owner>`, what
//! `current-user-privilege-set`, `CS:invite` and `DAV:acl` tell clients, read-only shares
//! refusing writes with `need-privileges`, read-write shares writing through the owner's
//! collection with the same UID check, leaving and re-accepting, revoking at once, nobody else
//! reaching anything, and `davlite share` from the command line.

use davlite_tests::{Response, TestServer};

const NS: &str = r#"xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/""#;

fn users() -> TestServer {
    users_on(TestServer::builder())
}

fn users_on(builder: davlite_tests::ServerBuilder) -> TestServer {
    let server = builder.start();
    for (name, email) in [
        ("alice", Some("alice@example.com")),
        ("bob", Some("bob@example.com")),
        ("carol", None),
    ] {
        let pw = format!("{name}-pw");
        let mut args = vec!["user", "add", name, "--password", &pw];
        if let Some(e) = email {
            args.extend(["--email", e]);
        }
        let out = server.davlite(&args, None);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    signed_in(&server);
    server
}

/// Signs each user in once, so their homes exist (and the server has loaded its users).
fn signed_in(server: &TestServer) {
    server.wait_for_users(&[
        ("alice", "alice-pw"),
        ("bob", "bob-pw"),
        ("carol", "carol-pw"),
    ]);
}

fn req(server: &TestServer, user: &str, method: &str, path: &str) -> davlite_tests::Request {
    server
        .anonymous(method, path)
        .basic_auth(user, &format!("{user}-pw"))
}

fn event(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:20260101T000000Z\r\nDTSTART:20260301T100000Z\r\nDTEND:20260301T110000Z\r\n\
         SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn put(server: &TestServer, user: &str, path: &str, body: &str) -> Response {
    req(server, user, "PUT", path)
        .header("Content-Type", "text/calendar; charset=utf-8")
        .header("If-None-Match", "*")
        .body(body.to_string())
        .send()
}

fn propfind(server: &TestServer, user: &str, path: &str, depth: &str, props: &str) -> Response {
    req(server, user, "PROPFIND", path)
        .header("Depth", depth)
        .header("Content-Type", "application/xml")
        .body(format!(
            r#"<?xml version="1.0"?><D:propfind {NS}><D:prop>{props}</D:prop></D:propfind>"#
        ))
        .send()
}

fn share(server: &TestServer, path: &str, set: &str) -> Response {
    req(server, "alice", "POST", path)
        .header("Content-Type", "application/xml; charset=utf-8")
        .body(format!(
            r#"<?xml version="1.0"?><CS:share {NS}>{set}</CS:share>"#
        ))
        .send()
}

/// Bob's sync-collection of his calendar home from `token` (empty: initial): the answer and
/// its new token.
fn home_sync(server: &TestServer, token: &str) -> (String, String) {
    let r = req(server, "bob", "REPORT", "/dav/calendars/bob/")
        .body(format!(
            r#"<D:sync-collection {NS}><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
        ))
        .send();
    assert_eq!(r.status, 207, "{}", r.text());
    let t = r.text();
    let tok = t
        .split("<D:sync-token>")
        .nth(1)
        .and_then(|x| x.split("</D:sync-token>").next())
        .unwrap_or_else(|| panic!("no token: {t}"))
        .to_string();
    (t, tok)
}

/// The `<D:response>` of `href` in a multistatus `t`.
fn entry<'a>(t: &'a str, href: &str) -> Option<&'a str> {
    let at = t.find(&format!("<D:href>{href}</D:href>"))?;
    Some(&t[at..t[at..].find("</D:response>").map_or(t.len(), |e| at + e)])
}

const WORK: &str = "/dav/calendars/alice/work/";
const BOB_WORK: &str = "/dav/calendars/bob/work~alice/";

#[test]
fn a_shared_calendar_reaches_the_sharee_with_exactly_the_granted_rights() {
    let server = users();
    let r = req(&server, "alice", "MKCALENDAR", WORK).send();
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        put(
            &server,
            "alice",
            &format!("{WORK}e1.ics"),
            &event("e1", "Plan")
        )
        .status,
        201
    );

    // Nothing shared yet: neither path reaches it for bob.
    for p in [format!("{BOB_WORK}e1.ics"), format!("{WORK}e1.ics")] {
        assert_eq!(req(&server, "bob", "GET", &p).send().status, 403, "{p}");
    }
    let opts = req(&server, "alice", "OPTIONS", WORK).send();
    assert!(
        opts.header("dav")
            .unwrap_or("")
            .contains("calendarserver-sharing")
    );
    let modes = propfind(&server, "alice", WORK, "0", "<CS:allowed-sharing-modes/>");
    assert!(modes.text().contains("can-be-shared"), "{}", modes.text());

    let (_, before_share) = home_sync(&server, "");

    // Read-only, to bob by his address (Apple's request shape).
    let r = share(
        &server,
        WORK,
        "<CS:set><D:href>mailto:bob@example.com</D:href><CS:common-name>Bob</CS:common-name>\
         <CS:summary>Team</CS:summary><CS:read/></CS:set>",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let owner_view = propfind(
        &server,
        "alice",
        WORK,
        "0",
        "<D:resourcetype/><CS:invite/><D:acl/>",
    )
    .text();
    assert!(owner_view.contains("shared-owner"), "{owner_view}");
    assert!(
        owner_view.contains("mailto:bob@example.com") && owner_view.contains("invite-accepted"),
        "{owner_view}"
    );
    assert!(
        owner_view.contains("/dav/principals/bob/"),
        "acl names bob: {owner_view}"
    );

    // Apple finds new shares by syncing the home: the bound calendar is reported.
    let (t, _) = home_sync(&server, &before_share);
    let e = entry(&t, BOB_WORK).unwrap_or_else(|| panic!("share not reported: {t}"));
    assert!(e.contains("<D:propstat>"), "{e}");

    // Bob's home lists it under his own path, marked shared, owned by alice, read-only.
    let home = propfind(
        &server,
        "bob",
        "/dav/calendars/bob/",
        "1",
        "<D:resourcetype/><D:owner/><D:current-user-privilege-set/><CS:shared-url/>",
    );
    assert_eq!(home.status, 207);
    let t = home.text();
    let bound = entry(&t, BOB_WORK).unwrap_or_else(|| panic!("home does not list the share: {t}"));
    assert!(
        bound.contains("shared") && !bound.contains("shared-owner"),
        "{bound}"
    );
    assert!(bound.contains("/dav/principals/alice/"), "owner: {bound}");
    assert!(bound.contains(WORK), "shared-url: {bound}");
    assert!(
        bound.contains("<D:read/>") && !bound.contains("write"),
        "{bound}"
    );

    // Reading works through the bound path, hrefs stay in bob's namespace.
    let got = req(&server, "bob", "GET", &format!("{BOB_WORK}e1.ics")).send();
    assert_eq!(got.status, 200);
    assert_eq!(got.text(), event("e1", "Plan"));
    let mg = req(&server, "bob", "REPORT", BOB_WORK)
        .header("Depth", "1")
        .body(format!(
            r#"<C:calendar-multiget {NS}><D:prop><D:getetag/></D:prop><D:href>{BOB_WORK}e1.ics</D:href></C:calendar-multiget>"#
        ))
        .send();
    assert_eq!(mg.status, 207);
    assert!(
        mg.text().contains(&format!("{BOB_WORK}e1.ics")) && mg.text().contains("200 OK"),
        "{}",
        mg.text()
    );
    let sync = req(&server, "bob", "REPORT", BOB_WORK)
        .body(format!(
            r#"<D:sync-collection {NS}><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
        ))
        .send();
    assert_eq!(sync.status, 207);
    assert!(
        sync.text().contains(&format!("{BOB_WORK}e1.ics")),
        "{}",
        sync.text()
    );

    // Read-only: writes are refused with need-privileges, nothing written.
    let w = put(
        &server,
        "bob",
        &format!("{BOB_WORK}e2.ics"),
        &event("e2", "Mine"),
    );
    assert_eq!(w.status, 403);
    assert!(w.text().contains("need-privileges"), "{}", w.text());
    assert_eq!(
        req(&server, "bob", "DELETE", &format!("{BOB_WORK}e1.ics"))
            .send()
            .status,
        403
    );
    assert_eq!(
        req(&server, "alice", "GET", &format!("{WORK}e2.ics"))
            .send()
            .status,
        404
    );

    // Name and colour are bob's own, even read-only: his view changes, alice's does not.
    let pp = req(&server, "bob", "PROPPATCH", BOB_WORK)
        .body(format!(r#"<D:propertyupdate {NS} xmlns:A="http://apple.com/ns/ical/"><D:set><D:prop><D:displayname>Alice's plans</D:displayname><A:calendar-color>#FF0000FF</A:calendar-color></D:prop></D:set></D:propertyupdate>"#))
        .send();
    assert_eq!(pp.status, 207, "{}", pp.text());
    assert!(
        pp.text().contains("200 OK") && !pp.text().contains("403"),
        "{}",
        pp.text()
    );
    let props = "<D:displayname/><A:calendar-color xmlns:A=\"http://apple.com/ns/ical/\"/>";
    let bob_view = propfind(&server, "bob", BOB_WORK, "0", props).text();
    assert!(
        bob_view.contains("Alice&apos;s plans") || bob_view.contains("Alice's plans"),
        "{bob_view}"
    );
    assert!(bob_view.contains("#FF0000FF"), "{bob_view}");
    let bob_home = propfind(&server, "bob", "/dav/calendars/bob/", "1", props).text();
    let listed = entry(&bob_home, BOB_WORK).unwrap_or_else(|| panic!("{bob_home}"));
    assert!(listed.contains("#FF0000FF"), "{listed}");
    let alice_view = propfind(&server, "alice", WORK, "0", props).text();
    assert!(
        !alice_view.contains("plans") && !alice_view.contains("#FF0000FF"),
        "{alice_view}"
    );

    // Read-write: bob writes into alice's calendar; the UID check is the collection's.
    assert_eq!(
        share(
            &server,
            WORK,
            "<CS:set><D:href>/dav/principals/bob/</D:href><CS:read-write/></CS:set>"
        )
        .status,
        200
    );
    let cups = propfind(
        &server,
        "bob",
        BOB_WORK,
        "0",
        "<D:current-user-privilege-set/>",
    )
    .text();
    assert!(
        cups.contains("write-content") && cups.contains("bind"),
        "{cups}"
    );
    assert_eq!(
        put(
            &server,
            "bob",
            &format!("{BOB_WORK}e2.ics"),
            &event("e2", "Mine")
        )
        .status,
        201
    );
    assert_eq!(
        req(&server, "alice", "GET", &format!("{WORK}e2.ics"))
            .send()
            .text(),
        event("e2", "Mine")
    );
    let dup = put(
        &server,
        "bob",
        &format!("{BOB_WORK}other.ics"),
        &event("e1", "Again"),
    );
    assert!(matches!(dup.status, 403 | 409), "{}", dup.status);
    assert!(
        dup.text().contains("no-uid-conflict") && dup.text().contains(&format!("{BOB_WORK}e1.ics")),
        "{}",
        dup.text()
    );
    // Invitations in alice's calendar are alice's to organize: bob as ORGANIZER is refused.
    let invite = event("e4", "Bob's meeting").replace(
        "SUMMARY:",
        "ORGANIZER:mailto:bob@example.com\r\nATTENDEE:mailto:bob@example.com\r\n\
         ATTENDEE;RSVP=TRUE:/dav/principals/carol/\r\nSUMMARY:",
    );
    let r = put(&server, "bob", &format!("{BOB_WORK}e4.ics"), &invite);
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("valid-organizer"), "{}", r.text());
    assert_eq!(
        req(&server, "alice", "GET", &format!("{WORK}e4.ics"))
            .send()
            .status,
        404
    );
    // The collection itself stays alice's: no PROPPATCH, and MOVE of a member out into bob's
    // own calendar is fine but not into carol's.
    let pp = req(&server, "bob", "PROPPATCH", BOB_WORK)
        .body(format!(r#"<D:propertyupdate {NS} xmlns:X="urn:x"><D:set><D:prop><X:note>x</X:note><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>"#))
        .send();
    assert_eq!(pp.status, 403);
    let mv = req(&server, "bob", "COPY", &format!("{BOB_WORK}e2.ics"))
        .header(
            "Destination",
            &server.url("/dav/calendars/carol/default/e2.ics"),
        )
        .send();
    assert_eq!(mv.status, 403);

    // A copy of a shared calendar is shared with nobody; a shared calendar does not move.
    let cp = req(&server, "alice", "COPY", WORK)
        .header(
            "Destination",
            &server.url("/dav/calendars/alice/work-copy/"),
        )
        .send();
    assert_eq!(cp.status, 201, "{}", cp.text());
    assert_eq!(
        req(
            &server,
            "bob",
            "GET",
            "/dav/calendars/bob/work-copy~alice/e1.ics"
        )
        .send()
        .status,
        403
    );
    let mv = req(&server, "alice", "MOVE", WORK)
        .header("Destination", &server.url("/dav/calendars/alice/moved/"))
        .send();
    assert_eq!(mv.status, 403);
    assert!(mv.text().contains("valid-request"), "{}", mv.text());

    // Carol reaches nothing, by any path.
    for p in [
        format!("{WORK}e1.ics"),
        format!("{BOB_WORK}e1.ics"),
        "/dav/calendars/carol/work~alice/e1.ics".to_string(),
    ] {
        // 403, or 404 where the path names nothing for her (bob's view of it is bob's).
        let r = req(&server, "carol", "GET", &p).send();
        assert!(matches!(r.status, 403 | 404), "{p}: {}", r.status);
        assert!(!r.text().contains("BEGIN:VCALENDAR"), "{p}");
    }

    // Bob leaves (DELETE of his view): alice's data stays, bob loses access.
    assert_eq!(req(&server, "bob", "DELETE", BOB_WORK).send().status, 204);
    assert_eq!(
        req(&server, "alice", "GET", &format!("{WORK}e1.ics"))
            .send()
            .status,
        200
    );
    assert_eq!(
        req(&server, "bob", "GET", &format!("{BOB_WORK}e1.ics"))
            .send()
            .status,
        403
    );
    let home = propfind(
        &server,
        "bob",
        "/dav/calendars/bob/",
        "1",
        "<D:resourcetype/>",
    )
    .text();
    assert!(!home.contains(BOB_WORK), "{home}");
    assert!(
        propfind(&server, "alice", WORK, "0", "<CS:invite/>")
            .text()
            .contains("invite-declined")
    );

    // ...and comes back by an invite reply to his home.
    let reply = req(&server, "bob", "POST", "/dav/calendars/bob/")
        .header("Content-Type", "application/xml")
        .body(format!(
            r#"<CS:invite-reply {NS}><D:href>mailto:bob@example.com</D:href><CS:invite-accepted/><CS:hosturl><D:href>{WORK}</D:href></CS:hosturl><CS:in-reply-to>x</CS:in-reply-to></CS:invite-reply>"#
        ))
        .send();
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(reply.text().contains(BOB_WORK), "{}", reply.text());
    assert_eq!(
        req(&server, "bob", "GET", &format!("{BOB_WORK}e1.ics"))
            .send()
            .status,
        200
    );
    let bogus = req(&server, "carol", "POST", "/dav/calendars/carol/")
        .header("Content-Type", "application/xml")
        .body(format!(
            r#"<CS:invite-reply {NS}><D:href>x</D:href><CS:invite-accepted/><CS:hosturl><D:href>{WORK}</D:href></CS:hosturl></CS:invite-reply>"#
        ))
        .send();
    assert_eq!(bogus.status, 403);
    assert!(bogus.text().contains("invalid-share"), "{}", bogus.text());

    // Only the owner shares; an unknown sharee changes nothing.
    let r = req(&server, "bob", "POST", BOB_WORK)
        .header("Content-Type", "application/xml")
        .body(format!(r#"<CS:share {NS}><CS:set><D:href>/dav/principals/carol/</D:href><CS:read/></CS:set></CS:share>"#))
        .send();
    assert_eq!(r.status, 403);
    let r = share(
        &server,
        WORK,
        "<CS:set><D:href>mailto:nobody@example.com</D:href><CS:read/></CS:set>",
    );
    assert_eq!(r.status, 403);
    assert!(r.text().contains("valid-request"), "{}", r.text());

    // Revoked: refused by the very next request, and gone from bob's next home sync.
    let (_, before_revoke) = home_sync(&server, "");
    assert_eq!(
        share(
            &server,
            WORK,
            "<CS:remove><D:href>mailto:bob@example.com</D:href></CS:remove>"
        )
        .status,
        200
    );
    assert_eq!(
        req(&server, "bob", "GET", &format!("{BOB_WORK}e1.ics"))
            .send()
            .status,
        403
    );
    assert_eq!(
        put(
            &server,
            "bob",
            &format!("{BOB_WORK}e3.ics"),
            &event("e3", "Late")
        )
        .status,
        403
    );
    assert!(
        !propfind(&server, "alice", WORK, "0", "<D:resourcetype/>")
            .text()
            .contains("shared-owner")
    );
    let (t, _) = home_sync(&server, &before_revoke);
    let e = entry(&t, BOB_WORK).unwrap_or_else(|| panic!("revoke not reported: {t}"));
    assert!(e.contains("404") && !e.contains("<D:propstat>"), "{e}");

    // Shared again, then deleted by its owner: bob's next home sync reports it gone.
    let r = share(
        &server,
        WORK,
        "<CS:set><D:href>mailto:bob@example.com</D:href><CS:read/></CS:set>",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let (t, before_delete) = home_sync(&server, "");
    assert!(entry(&t, BOB_WORK).is_some(), "{t}");
    // The name bob gave it went with the revoked share.
    let bob_view = propfind(&server, "bob", BOB_WORK, "0", "<D:displayname/>").text();
    assert!(!bob_view.contains("plans"), "{bob_view}");
    assert_eq!(req(&server, "alice", "DELETE", WORK).send().status, 204);
    let (t, _) = home_sync(&server, &before_delete);
    let e = entry(&t, BOB_WORK).unwrap_or_else(|| panic!("deletion not reported: {t}"));
    assert!(e.contains("404") && !e.contains("<D:propstat>"), "{e}");
}

#[test]
fn davlite_share_on_the_command_line() {
    let mut server = users();
    assert_eq!(
        req(&server, "alice", "MKCOL", "/dav/addressbooks/alice/team/")
            .body(format!(r#"<D:mkcol {NS} xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>"#))
            .send()
            .status,
        201
    );
    server.terminate();
    let out = server.davlite(
        &[
            "share",
            "add",
            "addressbooks/alice/team",
            "carol",
            "--read-write",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("addressbooks/carol/team~alice"));
    let list = server.davlite(&["share", "list"], None);
    assert_eq!(
        String::from_utf8_lossy(&list.stdout),
        "addressbooks/alice/team\tcarol\tread-write\n"
    );
    for bad in [
        &["share", "add", "addressbooks/alice/team", "nobody"][..],
        &["share", "add", "addressbooks/alice/team", "alice"],
        &["share", "add", "calendars/alice", "carol"],
        &["share", "remove", "addressbooks/alice/team", "bob"],
    ] {
        let out = server.davlite(bad, None);
        assert!(!out.status.success(), "{bad:?} succeeded");
        assert!(!out.stderr.is_empty());
    }
    let server = server.restart();
    let home = propfind(
        &server,
        "carol",
        "/dav/addressbooks/carol/",
        "1",
        "<D:resourcetype/>",
    )
    .text();
    assert!(
        home.contains("/dav/addressbooks/carol/team~alice/"),
        "{home}"
    );
    let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c1\r\nFN:Carl\r\nN:;Carl;;;\r\nEND:VCARD\r\n";
    let r = req(
        &server,
        "carol",
        "PUT",
        "/dav/addressbooks/carol/team~alice/c1.vcf",
    )
    .header("Content-Type", "text/vcard")
    .body(card)
    .send();
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        req(
            &server,
            "alice",
            "GET",
            "/dav/addressbooks/alice/team/c1.vcf"
        )
        .send()
        .text(),
        card
    );
}

/// Two server nodes on one PostgreSQL database: a share made on one reaches the sharee on the
/// other, a revoke there is refused by the very next request, and a sharee accepting over and
/// over on one node while the owner shares and revokes on the other never ends up holding a
/// share the owner revoked last (the answer is written only if the grant is still the one
/// read, in the same transaction).
#[test]
fn sharing_across_two_postgresql_nodes() {
    let db = crate::postgres::database();
    let a = users_on(TestServer::builder().store(db.clone()));
    let b = TestServer::builder()
        .store(db)
        .credentials(a.user(), a.password())
        .start();
    signed_in(&b);
    assert_eq!(req(&a, "alice", "MKCALENDAR", WORK).send().status, 201);
    assert_eq!(
        put(&a, "alice", &format!("{WORK}e1.ics"), &event("e1", "Plan")).status,
        201
    );
    let set = "<CS:set><D:href>mailto:bob@example.com</D:href><CS:read/></CS:set>";
    let unset = "<CS:remove><D:href>mailto:bob@example.com</D:href></CS:remove>";
    assert_eq!(share(&a, WORK, set).status, 200);
    let bob_get = |node: &TestServer| {
        req(node, "bob", "GET", &format!("{BOB_WORK}e1.ics"))
            .send()
            .status
    };
    assert_eq!(bob_get(&b), 200);
    assert_eq!(share(&a, WORK, unset).status, 200);
    assert_eq!(bob_get(&b), 403);

    let accept = |node: &TestServer| {
        req(node, "bob", "POST", "/dav/calendars/bob/")
            .header("Content-Type", "application/xml")
            .body(format!(
                r#"<CS:invite-reply {NS}><D:href>mailto:bob@example.com</D:href><CS:invite-accepted/><CS:hosturl><D:href>{WORK}</D:href></CS:hosturl><CS:in-reply-to>x</CS:in-reply-to></CS:invite-reply>"#
            ))
            .send()
            .status
    };
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..20 {
                assert_eq!(share(&a, WORK, set).status, 200);
                assert_eq!(share(&a, WORK, unset).status, 200);
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        s.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let status = accept(&b);
                assert!(matches!(status, 200 | 403 | 503), "{status}");
            }
        });
    });
    // The owner's last word was a revoke: no node lets bob in, and his home lists nothing.
    assert_eq!(bob_get(&a), 403);
    assert_eq!(bob_get(&b), 403);
    assert_eq!(accept(&b), 403);
    let home = propfind(&b, "bob", "/dav/calendars/bob/", "1", "<D:resourcetype/>").text();
    assert!(!home.contains(BOB_WORK), "{home}");
}
