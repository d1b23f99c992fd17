//! Implicit scheduling between users of one running server (RFC 6638 §3-§4, §8): an organizer's
//! PUT delivers REQUESTs (attendee copy in the default calendar + message in the inbox), an
//! attendee's PARTSTAT change delivers a REPLY that updates the organizer's copy, removal and
//! DELETE deliver CANCELs, SCHEDULE-AGENT=CLIENT means no delivery, Schedule-Tag and
//! If-Schedule-Tag-Match behave as §3.2.10 says, and an organizer and an attendee writing at
//! the same time never leave the two copies disagreeing or a message without its change.
//!
//! Three users: alice and bob with e-mail addresses, carol with none (she is invited by her
//! principal URL), plus an attendee on another server.

use davlite_tests::{Response, TestServer};

const NS: &str = r#"xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav""#;

fn users() -> TestServer {
    users_on(TestServer::builder())
}

fn users_on(builder: davlite_tests::ServerBuilder) -> TestServer {
    let server = builder.start();
    for args in [
        &[
            "user",
            "add",
            "alice",
            "--password",
            "alice-pw",
            "--email",
            "alice@example.com",
        ][..],
        &[
            "user",
            "add",
            "bob",
            "--password",
            "bob-pw",
            "--email",
            "bob@example.com",
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
    // A server on PostgreSQL learns of users added beside it by polling (every 500 ms).
    wait_for_users(&server);
    server
}

/// Waits until every test user can sign in on `server` (at most 10 s).
fn wait_for_users(server: &TestServer) {
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

fn put(server: &TestServer, user: &str, path: &str, body: &str, hdr: &[(&str, &str)]) -> Response {
    let mut r =
        req(server, user, "PUT", path).header("Content-Type", "text/calendar; charset=utf-8");
    for (k, v) in hdr {
        r = r.header(k, v);
    }
    r.body(body.as_bytes().to_vec()).send()
}

fn get(server: &TestServer, user: &str, path: &str) -> Response {
    req(server, user, "GET", path).send()
}

/// Unfolded content lines of an iCalendar text.
fn lines(ical: &str) -> Vec<String> {
    ical.replace("\r\n ", "")
        .lines()
        .map(str::to_string)
        .collect()
}

/// The ATTENDEE line for `addr` (case-insensitive match of the value).
fn attendee(ical: &str, addr: &str) -> String {
    lines(ical)
        .into_iter()
        .find(|l| {
            l.starts_with("ATTENDEE")
                && l.to_ascii_lowercase().ends_with(&addr.to_ascii_lowercase())
        })
        .unwrap_or_else(|| panic!("no ATTENDEE {addr} in\n{ical}"))
}

/// Hrefs of the members listed by a Depth 1 PROPFIND (the collection itself left out).
fn members(server: &TestServer, user: &str, coll: &str) -> Vec<String> {
    let r = req(server, user, "PROPFIND", coll)
        .header("Depth", "1")
        .header("Content-Type", "application/xml")
        .body(format!(
            "<D:propfind {NS}><D:prop><D:getetag/></D:prop></D:propfind>"
        ))
        .send();
    assert_eq!(r.status, 207, "PROPFIND {coll}: {}", r.text());
    r.text()
        .split("<D:href>")
        .skip(1)
        .filter_map(|s| s.split("</D:href>").next())
        .filter(|h| *h != coll)
        .map(str::to_string)
        .collect()
}

/// The bodies of every member of a collection.
fn bodies(server: &TestServer, user: &str, coll: &str) -> Vec<String> {
    members(server, user, coll)
        .iter()
        .map(|h| {
            let r = get(server, user, h);
            assert_eq!(r.status, 200, "GET {h}");
            r.text()
        })
        .collect()
}

fn inbox(server: &TestServer, user: &str) -> Vec<String> {
    bodies(server, user, &format!("/dav/calendars/{user}/inbox/"))
}

fn with_method<'a>(msgs: &'a [String], method: &str) -> Vec<&'a String> {
    msgs.iter()
        .filter(|m| lines(m).iter().any(|l| *l == format!("METHOD:{method}")))
        .collect()
}

/// The one copy of an event in a user's default calendar: (href, body, schedule tag).
fn copy(server: &TestServer, user: &str) -> (String, String, String) {
    let m = members(server, user, &format!("/dav/calendars/{user}/default/"));
    assert_eq!(m.len(), 1, "{user}'s calendar: {m:?}");
    let r = get(server, user, &m[0]);
    assert_eq!(r.status, 200);
    let tag = r
        .header("Schedule-Tag")
        .expect("Schedule-Tag on GET")
        .to_string();
    (m[0].clone(), r.text(), tag)
}

const ALICE_EVENT: &str = "/dav/calendars/alice/default/meeting.ics";

fn meeting(summary: &str, start: &str, attendees: &[&str]) -> String {
    let mut s = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite//scheduling test//EN\r\nBEGIN:VEVENT\r\n\
         UID:meeting-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\nDTEND:20260310T230000Z\r\n\
         SUMMARY:{summary}\r\nORGANIZER;CN=Alice:mailto:alice@example.com\r\n\
         ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com\r\n"
    );
    for a in attendees {
        s.push_str(&format!("ATTENDEE;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:{a}\r\n"));
    }
    s.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    s
}

fn set_partstat(ical: &str, addr: &str, partstat: &str) -> String {
    lines(ical)
        .into_iter()
        .map(|l| {
            if l.starts_with("ATTENDEE") && l.to_ascii_lowercase().ends_with(addr) {
                let (head, value) = l.split_once(":mailto").or(l.split_once(":/")).unwrap();
                let params: Vec<&str> = head
                    .split(';')
                    .filter(|p| !p.starts_with("PARTSTAT=") && !p.starts_with("RSVP="))
                    .collect();
                let sep = if l.contains(":mailto") {
                    ":mailto"
                } else {
                    ":/"
                };
                format!("{};PARTSTAT={partstat}{sep}{value}", params.join(";"))
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
        + "\r\n"
}

#[test]
fn invitation_reaches_attendees_and_their_reply_reaches_the_organizer() {
    let server = users();
    let carol_url = "/dav/principals/carol/";
    // OPTIONS advertises server scheduling (Thunderbird, Apple and python-caldav look here).
    let o = req(&server, "alice", "OPTIONS", "/dav/principals/alice/").send();
    let dav = o.header("DAV").unwrap_or_default().to_string();
    assert!(dav.contains("calendar-auto-schedule"), "{dav}");
    assert!(!dav.contains("calendar-schedule,") && !dav.ends_with("calendar-schedule"));

    // Bob by an upper-case address, carol by her principal URL, dave elsewhere.
    let body = meeting(
        "Planning",
        "20260310T220000Z",
        &[
            "mailto:Bob@EXAMPLE.com",
            carol_url,
            "mailto:dave@elsewhere.example",
        ],
    );
    let r = put(&server, "alice", ALICE_EVENT, &body, &[]);
    assert_eq!(r.status, 201, "{}", r.text());
    let alice_tag = r
        .header("Schedule-Tag")
        .expect("Schedule-Tag on PUT")
        .to_string();
    assert!(
        r.header("ETag").is_none(),
        "stored bytes differ from the PUT: no ETag"
    );
    let stored = get(&server, "alice", ALICE_EVENT);
    assert_eq!(stored.header("Schedule-Tag"), Some(alice_tag.as_str()));
    let stored = stored.text();
    assert!(attendee(&stored, "mailto:bob@example.com").contains("SCHEDULE-STATUS=1.2"));
    assert!(attendee(&stored, carol_url).contains("SCHEDULE-STATUS=1.2"));
    assert!(attendee(&stored, "mailto:dave@elsewhere.example").contains("SCHEDULE-STATUS=3.7"));
    assert!(!attendee(&stored, "mailto:alice@example.com").contains("SCHEDULE-STATUS"));

    // Each local attendee: a copy in the default calendar, a REQUEST in the inbox.
    for user in ["bob", "carol"] {
        let (_, copy_body, _) = copy(&server, user);
        assert!(copy_body.contains("UID:meeting-1"), "{copy_body}");
        assert!(copy_body.contains("ORGANIZER;CN=Alice:mailto:alice@example.com"));
        assert!(!copy_body.contains("METHOD:"), "{copy_body}");
        assert!(!copy_body.contains("SCHEDULE-STATUS"), "{copy_body}");
        let msgs = inbox(&server, user);
        assert_eq!(msgs.len(), 1, "{user}: {msgs:?}");
        assert_eq!(with_method(&msgs, "REQUEST").len(), 1, "{msgs:?}");
        assert!(msgs[0].contains("UID:meeting-1"));
    }
    assert!(
        attendee(&copy(&server, "bob").1, "mailto:bob@example.com")
            .contains("PARTSTAT=NEEDS-ACTION")
    );
    // The inbox is a schedule-inbox, never a calendar.
    let p = req(&server, "bob", "PROPFIND", "/dav/calendars/bob/inbox/")
        .header("Depth", "0")
        .body(format!("<D:propfind {NS}><D:prop><D:resourcetype/><D:current-user-privilege-set/></D:prop></D:propfind>"))
        .send();
    assert_eq!(p.status, 207);
    assert!(
        p.text().contains("schedule-inbox") && !p.text().contains("<C:calendar/>"),
        "{}",
        p.text()
    );
    // Nobody else reads it.
    assert_eq!(
        req(&server, "alice", "PROPFIND", "/dav/calendars/bob/inbox/")
            .header("Depth", "1")
            .send()
            .status,
        403
    );
    assert!(inbox(&server, "alice").is_empty());

    // Bob accepts, conditioned on his copy's Schedule-Tag, as Apple and DAVx5 do.
    let (bob_href, bob_body, bob_tag) = copy(&server, "bob");
    let accepted = set_partstat(&bob_body, "mailto:bob@example.com", "ACCEPTED");
    let r = put(
        &server,
        "bob",
        &bob_href,
        &accepted,
        &[("If-Schedule-Tag-Match", &bob_tag)],
    );
    assert_eq!(r.status, 204, "{}", r.text());
    let bob_tag2 = r.header("Schedule-Tag").unwrap().to_string();
    let bob_stored = get(&server, "bob", &bob_href).text();
    assert!(
        lines(&bob_stored)
            .iter()
            .any(|l| l.starts_with("ORGANIZER") && l.contains("SCHEDULE-STATUS=1.2")),
        "{bob_stored}"
    );

    // The organizer's copy shows it; its Schedule-Tag did not change (RFC 6638 §3.2.10).
    let a = get(&server, "alice", ALICE_EVENT);
    assert_eq!(a.header("Schedule-Tag"), Some(alice_tag.as_str()));
    let bob_line = attendee(&a.text(), "mailto:bob@example.com");
    assert!(
        bob_line.contains("PARTSTAT=ACCEPTED") && bob_line.contains("SCHEDULE-STATUS=2.0"),
        "{bob_line}"
    );
    assert!(attendee(&a.text(), carol_url).contains("PARTSTAT=NEEDS-ACTION"));
    let replies = inbox(&server, "alice");
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(with_method(&replies, "REPLY").len(), 1);
    assert!(attendee(&replies[0], "mailto:bob@example.com").contains("PARTSTAT=ACCEPTED"));
    assert!(
        !replies[0].to_ascii_lowercase().contains(carol_url),
        "a REPLY names its sender only"
    );
    // The same PUT again changes nothing and delivers nothing more.
    let r = put(&server, "bob", &bob_href, &bob_stored, &[]);
    assert_eq!(r.status, 204);
    assert_eq!(inbox(&server, "alice").len(), 1);

    // A stale tag is refused and changes nothing.
    let r = put(
        &server,
        "alice",
        ALICE_EVENT,
        &body,
        &[("If-Schedule-Tag-Match", "\"not-the-tag\"")],
    );
    assert_eq!(r.status, 412);
    // The organizer's tag is still good after the merged reply: a SUMMARY edit goes through,
    // keeps bob's answer (the organizer's client still had NEEDS-ACTION) and reaches bob.
    let edited = meeting(
        "Planning (room 4)",
        "20260310T220000Z",
        &["mailto:Bob@EXAMPLE.com", carol_url],
    );
    let r = put(
        &server,
        "alice",
        ALICE_EVENT,
        &edited,
        &[("If-Schedule-Tag-Match", &alice_tag)],
    );
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(
        attendee(
            &get(&server, "alice", ALICE_EVENT).text(),
            "mailto:bob@example.com"
        )
        .contains("PARTSTAT=ACCEPTED")
    );
    let (_, bob_body, bob_tag3) = copy(&server, "bob");
    assert!(bob_body.contains("SUMMARY:Planning (room 4)"));
    assert!(attendee(&bob_body, "mailto:bob@example.com").contains("PARTSTAT=ACCEPTED"));
    assert_ne!(
        bob_tag3, bob_tag2,
        "an organizer change gives the attendee copy a new tag"
    );
    // Two messages about one UID sit side by side in bob's inbox.
    assert_eq!(with_method(&inbox(&server, "bob"), "REQUEST").len(), 2);
    // Dave was dropped: nobody here to tell, nothing delivered anywhere.
    // Bob's tag from before the organizer's change is stale now.
    let r = put(
        &server,
        "bob",
        &bob_href,
        &accepted,
        &[("If-Schedule-Tag-Match", &bob_tag2)],
    );
    assert_eq!(r.status, 412);

    // The inbox: its owner deletes messages, nobody writes into it.
    let msgs = members(&server, "bob", "/dav/calendars/bob/inbox/");
    assert_eq!(req(&server, "alice", "DELETE", &msgs[0]).send().status, 403);
    assert_eq!(req(&server, "bob", "DELETE", &msgs[0]).send().status, 204);
    assert_eq!(
        members(&server, "bob", "/dav/calendars/bob/inbox/").len(),
        1
    );
    let r = put(
        &server,
        "bob",
        "/dav/calendars/bob/inbox/forged.ics",
        &body,
        &[],
    );
    assert_eq!(r.status, 403);
}

#[test]
fn removing_an_attendee_or_deleting_the_event_cancels() {
    let server = users();
    let body = meeting(
        "Sync",
        "20260310T220000Z",
        &["mailto:bob@example.com", "/dav/principals/carol/"],
    );
    assert_eq!(put(&server, "alice", ALICE_EVENT, &body, &[]).status, 201);
    copy(&server, "bob");
    copy(&server, "carol");

    // Bob accepts; then alice moves the meeting: his answer is asked again.
    let (bob_href, bob_body, _) = copy(&server, "bob");
    let r = put(
        &server,
        "bob",
        &bob_href,
        &set_partstat(&bob_body, "mailto:bob@example.com", "ACCEPTED"),
        &[],
    );
    assert_eq!(r.status, 204);
    let moved = meeting(
        "Sync",
        "20260310T210000Z",
        &["mailto:bob@example.com", "/dav/principals/carol/"],
    );
    assert_eq!(put(&server, "alice", ALICE_EVENT, &moved, &[]).status, 204);
    assert!(
        attendee(&copy(&server, "bob").1, "mailto:bob@example.com")
            .contains("PARTSTAT=NEEDS-ACTION")
    );
    assert!(
        attendee(
            &get(&server, "alice", ALICE_EVENT).text(),
            "mailto:bob@example.com"
        )
        .contains("PARTSTAT=NEEDS-ACTION")
    );

    // Carol is dropped: her copy goes, a CANCEL arrives; bob keeps his.
    let without_carol = meeting("Sync", "20260310T210000Z", &["mailto:bob@example.com"]);
    assert_eq!(
        put(&server, "alice", ALICE_EVENT, &without_carol, &[]).status,
        204
    );
    assert!(members(&server, "carol", "/dav/calendars/carol/default/").is_empty());
    let carol_msgs = inbox(&server, "carol");
    assert_eq!(
        with_method(&carol_msgs, "CANCEL").len(),
        1,
        "{carol_msgs:?}"
    );
    copy(&server, "bob");

    // The organizer deletes the event: bob's copy goes, a CANCEL arrives.
    assert_eq!(
        req(&server, "alice", "DELETE", ALICE_EVENT).send().status,
        204
    );
    assert!(members(&server, "bob", "/dav/calendars/bob/default/").is_empty());
    let bob_msgs = inbox(&server, "bob");
    assert_eq!(with_method(&bob_msgs, "CANCEL").len(), 1, "{bob_msgs:?}");
    assert!(with_method(&bob_msgs, "CANCEL")[0].contains("UID:meeting-1"));
}

#[test]
fn attendee_deleting_their_copy_declines() {
    let server = users();
    let body = meeting("Sync", "20260310T220000Z", &["mailto:bob@example.com"]);
    assert_eq!(put(&server, "alice", ALICE_EVENT, &body, &[]).status, 201);
    let (bob_href, _, _) = copy(&server, "bob");
    assert_eq!(req(&server, "bob", "DELETE", &bob_href).send().status, 204);
    let a = get(&server, "alice", ALICE_EVENT).text();
    assert!(
        attendee(&a, "mailto:bob@example.com").contains("PARTSTAT=DECLINED"),
        "{a}"
    );
    assert_eq!(with_method(&inbox(&server, "alice"), "REPLY").len(), 1);
}

#[test]
fn schedule_agent_client_and_schedule_reply_f_deliver_nothing() {
    let server = users();
    let body = meeting("Mine to send", "20260310T220000Z", &[]).replace(
        "END:VEVENT",
        "ATTENDEE;SCHEDULE-AGENT=CLIENT:mailto:bob@example.com\r\nEND:VEVENT",
    );
    let r = put(&server, "alice", ALICE_EVENT, &body, &[]);
    assert_eq!(r.status, 201);
    // Stored exactly as sent (so the ETag is given), still a scheduling object.
    assert!(r.header("ETag").is_some());
    assert!(r.header("Schedule-Tag").is_some());
    assert_eq!(get(&server, "alice", ALICE_EVENT).text(), body);
    assert!(members(&server, "bob", "/dav/calendars/bob/default/").is_empty());
    assert!(inbox(&server, "bob").is_empty());

    // Evolution's DELETE with Schedule-Reply: F cancels nothing.
    let other = "/dav/calendars/alice/default/other.ics";
    let body = meeting("Quiet", "20260310T220000Z", &["mailto:bob@example.com"])
        .replace("meeting-1", "other-1");
    assert_eq!(put(&server, "alice", other, &body, &[]).status, 201);
    assert_eq!(inbox(&server, "bob").len(), 1);
    let r = req(&server, "alice", "DELETE", other)
        .header("Schedule-Reply", "F")
        .send();
    assert_eq!(r.status, 204);
    assert_eq!(inbox(&server, "bob").len(), 1, "no CANCEL");
    copy(&server, "bob");
}

/// The organizer edits the event while the attendee answers, over and over, at the same time.
/// Every write is all or nothing with what it delivers: afterwards both copies agree, and
/// each inbox holds exactly one message per write that changed the other side.
#[test]
fn organizer_and_attendee_writing_at_once_stay_consistent() {
    let server = users();
    writing_at_once(&server, &server);
}

/// The same race on PostgreSQL, the organizer on one node and the attendee on another, both on
/// one database: the batches are serialized by the database, not by one process.
#[test]
fn organizer_and_attendee_writing_at_once_on_two_postgresql_nodes() {
    let db = crate::postgres::database();
    let a = users_on(TestServer::builder().store(db.clone()));
    let b = TestServer::builder()
        .store(db)
        .credentials(a.user(), a.password())
        .start();
    wait_for_users(&b);
    writing_at_once(&a, &b);
}

fn writing_at_once(server: &TestServer, bob_server: &TestServer) {
    let body = meeting("v0", "20260310T220000Z", &["mailto:bob@example.com"]);
    assert_eq!(put(server, "alice", ALICE_EVENT, &body, &[]).status, 201);
    const ROUNDS: usize = 12;
    std::thread::scope(|s| {
        let org = s.spawn(|| {
            let mut ok = 0;
            for i in 1..=ROUNDS {
                let b = meeting(
                    &format!("v{i}"),
                    "20260310T220000Z",
                    &["mailto:bob@example.com"],
                );
                let r = put(server, "alice", ALICE_EVENT, &b, &[]);
                assert!(
                    r.status == 204 || r.status == 412 || r.status == 503,
                    "{}: {}",
                    r.status,
                    r.text()
                );
                if r.status == 204 {
                    ok += 1;
                }
            }
            ok
        });
        let att = s.spawn(|| {
            let mut ok = 0;
            let mut last = String::new();
            for i in 0..ROUNDS {
                let want = if i % 2 == 0 { "ACCEPTED" } else { "TENTATIVE" };
                loop {
                    let (href, b, tag) = copy(bob_server, "bob");
                    let r = put(
                        bob_server,
                        "bob",
                        &href,
                        &set_partstat(&b, "mailto:bob@example.com", want),
                        &[("If-Schedule-Tag-Match", &tag)],
                    );
                    // 503: the batch lost its retries to the other writer (nothing written,
                    // the client tries again), as for the organizer.
                    assert!(
                        r.status == 204 || r.status == 412 || r.status == 503,
                        "{}: {}",
                        r.status,
                        r.text()
                    );
                    if r.status == 204 {
                        ok += 1;
                        last = want.to_string();
                        break;
                    }
                }
            }
            (ok, last)
        });
        let org_ok = org.join().unwrap();
        let (att_ok, last) = att.join().unwrap();
        let a = get(server, "alice", ALICE_EVENT).text();
        let (_, b, _) = copy(server, "bob");
        let partstat = |ical: &str| {
            attendee(ical, "mailto:bob@example.com")
                .split(';')
                .find_map(|p| {
                    p.strip_prefix("PARTSTAT=")
                        .map(|v| v.split(':').next().unwrap().to_string())
                })
                .unwrap()
        };
        assert_eq!(partstat(&a), last, "organizer copy\n{a}");
        assert_eq!(partstat(&b), last, "attendee copy\n{b}");
        let summary = |ical: &str| {
            lines(ical)
                .into_iter()
                .find(|l| l.starts_with("SUMMARY:"))
                .unwrap()
        };
        assert_eq!(summary(&a), summary(&b));
        assert_eq!(with_method(&inbox(server, "alice"), "REPLY").len(), att_ok);
        assert_eq!(
            with_method(&inbox(server, "bob"), "REQUEST").len(),
            org_ok + 1
        );
        assert!(org_ok > 0 && att_ok == ROUNDS);
    });
}

/// The attendee copy is named after the UID; an unrelated object of the attendee's already
/// holding that name stays untouched and the copy gets another name.
#[test]
fn an_invitation_never_overwrites_an_attendee_object_of_that_name() {
    let server = users();
    let mine = meeting("bob's own", "20260310T220000Z", &[])
        .replace("UID:meeting-1", "UID:bob-own")
        .replace("ORGANIZER;CN=Alice:mailto:alice@example.com\r\n", "")
        .replace(
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com\r\n",
            "",
        );
    let own = "/dav/calendars/bob/default/meeting-1.ics";
    assert_eq!(put(&server, "bob", own, &mine, &[]).status, 201);
    let body = meeting("Sync", "20260310T220000Z", &["mailto:bob@example.com"]);
    assert_eq!(put(&server, "alice", ALICE_EVENT, &body, &[]).status, 201);
    assert_eq!(get(&server, "bob", own).text(), mine);
    let listed = members(&server, "bob", "/dav/calendars/bob/default/");
    assert_eq!(listed.len(), 2, "{listed:?}");
    let copy_href = listed.iter().find(|h| *h != own).unwrap();
    assert!(
        get(&server, "bob", copy_href)
            .text()
            .contains("UID:meeting-1")
    );
    assert!(
        attendee(
            &get(&server, "alice", ALICE_EVENT).text(),
            "mailto:bob@example.com"
        )
        .contains("SCHEDULE-STATUS=1.2")
    );
}
