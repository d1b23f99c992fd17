//! `davlite serve` on PostgreSQL (`--store`), against a real cluster the test starts in a
//! temporary directory: the DAV flows clients depend on, then two server processes on one
//! database behaving as one server (one winner of a UID race, tokens valid across nodes,
//! writes visible at once, a password change reaching the other node), and a whole-store dump
//! moved from redb to PostgreSQL and back byte-exact.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use davlite_testkit::postgres::PgCluster;
use davlite_tests::{Response, TestServer};

static CLUSTER: LazyLock<PgCluster> = LazyLock::new(PgCluster::start);
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

/// A fresh database for one test, as a `--store` value.
pub(crate) fn database() -> String {
    let name = format!("srv_{}", NEXT_DB.fetch_add(1, Ordering::Relaxed));
    CLUSTER.create_database(&name);
    format!("postgres:{}", CLUSTER.url_for(&name))
}

fn event(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240105T100000Z\r\nDTEND:20240105T110000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn put(server: &TestServer, path: &str, body: &str, cond: Option<(&str, &str)>) -> Response {
    let mut r = server
        .request("PUT", path)
        .header("Content-Type", "text/calendar; charset=utf-8");
    if let Some((k, v)) = cond {
        r = r.header(k, v);
    }
    r.body(body.to_string()).send()
}

fn report(server: &TestServer, path: &str, depth: &str, body: &str) -> Response {
    server
        .request("REPORT", path)
        .header("Depth", depth)
        .header("Content-Type", "application/xml; charset=utf-8")
        .body(body.to_string())
        .send()
}

fn sync(server: &TestServer, cal: &str, token: &str) -> Response {
    report(
        server,
        cal,
        "1",
        &format!(
            r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
        ),
    )
}

fn token_of(r: &Response) -> String {
    let t = r.text();
    let after = t.split("sync-token>").nth(1).expect("a sync-token");
    after.split('<').next().unwrap().to_string()
}

fn hrefs(r: &Response) -> Vec<String> {
    r.text()
        .split("<D:href>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_string())
        .collect()
}

#[test]
fn discovery_crud_sync_multiget_and_query_on_postgres() {
    let server = TestServer::builder().store(database()).start();
    let user = server.user().to_string();

    // Discovery, as a client does it: well-known, principal, calendar home.
    let r = server.request("PROPFIND", "/.well-known/caldav").send();
    assert!(matches!(r.status, 301 | 302 | 307 | 308), "{}", r.status);
    let r = server
        .request("PROPFIND", "/dav/")
        .header("Depth", "0")
        .body(r#"<D:propfind xmlns:D="DAV:"><D:prop><D:current-user-principal/></D:prop></D:propfind>"#)
        .send();
    assert_eq!(r.status, 207, "{}\n{}", r.text(), server.logs());
    assert!(
        r.text().contains(&format!("/dav/principals/{user}/")),
        "{}",
        r.text()
    );
    let r = server
        .request("PROPFIND", &format!("/dav/principals/{user}/"))
        .header("Depth", "0")
        .body(r#"<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-home-set/></D:prop></D:propfind>"#)
        .send();
    assert_eq!(r.status, 207, "{}", r.text());
    assert!(
        r.text().contains(&format!("/dav/calendars/{user}/")),
        "{}",
        r.text()
    );

    let cal = format!("/dav/calendars/{user}/default/");
    let initial = sync(&server, &cal, "");
    assert_eq!(initial.status, 207, "{}\n{}", initial.text(), server.logs());
    let t0 = token_of(&initial);

    // PUT, GET byte-exact with the same ETag, conditional refusals.
    let body = event("pg-1", "first");
    let r = put(
        &server,
        &format!("{cal}a.ics"),
        &body,
        Some(("If-None-Match", "*")),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let etag = r.header("ETag").expect("ETag on create").to_string();
    let r = server.request("GET", &format!("{cal}a.ics")).send();
    assert_eq!((r.status, r.text()), (200, body.clone()));
    assert_eq!(r.header("ETag"), Some(etag.as_str()));
    let r = put(
        &server,
        &format!("{cal}a.ics"),
        &body,
        Some(("If-None-Match", "*")),
    );
    assert_eq!(r.status, 412, "{}", r.text());
    let r = put(&server, &format!("{cal}b.ics"), &event("pg-1", "dup"), None);
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text().contains("no-uid-conflict") && r.text().contains("a.ics"),
        "{}",
        r.text()
    );
    let r = put(
        &server,
        &format!("{cal}a.ics"),
        &event("pg-1", "second"),
        Some(("If-Match", "\"0000\"")),
    );
    assert_eq!(r.status, 412);
    let r = put(
        &server,
        &format!("{cal}a.ics"),
        &event("pg-1", "second"),
        Some(("If-Match", &etag)),
    );
    assert_eq!(r.status, 204, "{}", r.text());
    for i in 0..5 {
        let r = put(
            &server,
            &format!("{cal}e{i}.ics"),
            &event(&format!("pg-e{i}"), "x"),
            None,
        );
        assert_eq!(r.status, 201);
    }

    // Incremental sync lists exactly the changes since the token.
    let r = sync(&server, &cal, &t0);
    assert_eq!(r.status, 207, "{}", r.text());
    let listed = hrefs(&r);
    assert_eq!(listed.len(), 6, "{listed:?}");
    let t1 = token_of(&r);
    let r = server.request("DELETE", &format!("{cal}e0.ics")).send();
    assert_eq!(r.status, 204);
    let r = sync(&server, &cal, &t1);
    assert!(
        r.text().contains("e0.ics") && r.text().contains("404"),
        "{}",
        r.text()
    );
    assert_eq!(hrefs(&r).len(), 1, "{}", r.text());

    // Multiget and a time-range query.
    let r = report(
        &server,
        &cal,
        "1",
        &format!(
            r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop><D:href>{cal}a.ics</D:href><D:href>{cal}e1.ics</D:href><D:href>{cal}missing.ics</D:href></C:calendar-multiget>"#
        ),
    );
    assert_eq!(r.status, 207, "{}", r.text());
    assert!(
        r.text().contains("SUMMARY:second") && r.text().contains("pg-e1"),
        "{}",
        r.text()
    );
    assert!(r.text().contains("404"), "{}", r.text());
    let query = |start: &str, end: &str| {
        report(
            &server,
            &cal,
            "1",
            &format!(
                r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="{start}" end="{end}"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#
            ),
        )
    };
    let r = query("20240105T000000Z", "20240106T000000Z");
    assert_eq!(r.status, 207, "{}", r.text());
    assert_eq!(hrefs(&r).len(), 5, "{}", r.text());
    let r = query("20240201T000000Z", "20240202T000000Z");
    assert_eq!(hrefs(&r).len(), 0, "{}", r.text());

    // verify on the live database is clean.
    let out = server.davlite(&["verify"], None);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Seed 000: a client re-creates (If-None-Match: *) an event it already created, under another
/// URL prefix than the one the server answers with. The 412 must name the object as the client
/// addressed it, and nothing may be lost or duplicated.
#[test]
fn seed_000_alias_flow_on_postgres() {
    let server = TestServer::builder()
        .store(database())
        .arg("--alias")
        .arg("/caldav.php/")
        .start();
    let user = server.user().to_string();
    let under_alias = format!("/caldav.php/calendars/{user}/default/");
    let canonical = format!("/dav/calendars/{user}/default/");
    let body = event("seed-000", "meeting");
    let r = put(
        &server,
        &format!("{under_alias}m.ics"),
        &body,
        Some(("If-None-Match", "*")),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    // The retry after a lost answer, under the canonical prefix this time.
    let r = put(
        &server,
        &format!("{canonical}m.ics"),
        &body,
        Some(("If-None-Match", "*")),
    );
    assert_eq!(r.status, 412, "{}", r.text());
    assert!(
        r.text().contains(&format!("{canonical}m.ics")),
        "{}",
        r.text()
    );
    // A sync under the alias answers hrefs under the alias, and the event is there once.
    let r = sync(&server, &under_alias, "");
    assert_eq!(r.status, 207, "{}", r.text());
    let listed: Vec<_> = hrefs(&r)
        .into_iter()
        .filter(|h| h.ends_with(".ics"))
        .collect();
    assert_eq!(listed, vec![format!("{under_alias}m.ics")], "{}", r.text());
    let r = server.request("GET", &format!("{under_alias}m.ics")).send();
    assert_eq!(r.text(), body);
}

#[test]
fn two_nodes_on_one_database_behave_as_one_server() {
    let db = database();
    let a = TestServer::builder().store(db.clone()).start();
    let (user, password) = (a.user().to_string(), a.password().to_string());
    let b = TestServer::builder()
        .store(db.clone())
        .credentials(&user, &password)
        .start();
    let cal = format!("/dav/calendars/{user}/default/");

    // Written on A, read on B at once.
    let body = event("visible", "on both");
    let r = put(&a, &format!("{cal}v.ics"), &body, None);
    assert_eq!(r.status, 201, "{}", r.text());
    let etag = r.header("ETag").unwrap().to_string();
    let r = b.request("GET", &format!("{cal}v.ics")).send();
    assert_eq!((r.status, r.text()), (200, body));
    assert_eq!(r.header("ETag"), Some(etag.as_str()));

    // A token from A is valid on B, and B's incremental sync lists exactly the changes.
    let token = token_of(&sync(&a, &cal, ""));
    for i in 0..3 {
        assert_eq!(
            put(
                &a,
                &format!("{cal}n{i}.ics"),
                &event(&format!("n{i}"), "x"),
                None
            )
            .status,
            201
        );
    }
    let r = sync(&b, &cal, &token);
    assert_eq!(r.status, 207, "{}", r.text());
    let mut listed = hrefs(&r);
    listed.sort();
    assert_eq!(
        listed,
        (0..3).map(|i| format!("{cal}n{i}.ics")).collect::<Vec<_>>(),
        "{}",
        r.text()
    );

    // Sixteen clients, half on each node, create the same UID under different names at once:
    // exactly one wins, the others are told who holds it.
    let servers = [&a, &b];
    let results: Vec<(u16, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let server = servers[i % 2];
                let cal = cal.clone();
                s.spawn(move || {
                    let r = put(
                        server,
                        &format!("{cal}race-{i}.ics"),
                        &event("raced", &format!("client {i}")),
                        Some(("If-None-Match", "*")),
                    );
                    (r.status, r.text())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<_> = results.iter().filter(|(s, _)| *s == 201).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for (status, text) in &results {
        match status {
            201 => {}
            403 => assert!(
                text.contains("no-uid-conflict") && text.contains("race-"),
                "{text}"
            ),
            other => panic!("unexpected {other}: {text}"),
        }
    }

    // A password changed through node A's CLI is in force on node B within 2 s.
    let out = a.davlite(
        &["user", "passwd", &user, "--password", "new-secret-pw"],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let start = Instant::now();
    loop {
        let old = b.request("GET", &format!("{cal}v.ics")).send();
        let new = b
            .anonymous("GET", &format!("{cal}v.ics"))
            .basic_auth(&user, "new-secret-pw")
            .send();
        if old.status == 401 && new.status == 200 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "node B still answers {} to the old password and {} to the new one",
            old.status,
            new.status
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_redb_dump_restored_into_postgres_dumps_back_byte_exact() {
    // Some data on the embedded store.
    let redb = TestServer::start();
    let user = redb.user().to_string();
    let cal = format!("/dav/calendars/{user}/default/");
    for i in 0..20 {
        let r = put(
            &redb,
            &format!("{cal}d{i}.ics"),
            &event(&format!("dump-{i}"), &format!("n{i}")),
            None,
        );
        assert_eq!(r.status, 201);
    }
    redb.add_user("bob", "bob-password");
    let r = redb
        .anonymous("PUT", "/dav/addressbooks/bob/default/c.vcf")
        .basic_auth("bob", "bob-password")
        .header("Content-Type", "text/vcard")
        .body("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:card-1\r\nFN:Card\r\nEND:VCARD\r\n")
        .send();
    assert_eq!(r.status, 201, "{}", r.text());
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.dump");
    let out = redb.davlite(&["backup", "--to", first.to_str().unwrap()], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Restore into an empty PostgreSQL database, dump again: the same bytes.
    let db = database();
    let env = vec![("DAVLITE_STORE".to_string(), db.clone())];
    let data = dir.path().join("pg-node");
    let data = data.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--data", data]);
        let out = davlite_tests::davlite_with_env(&all, None, &env);
        assert!(
            out.status.success(),
            "davlite {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["restore", first.to_str().unwrap()]);
    let second = dir.path().join("second.dump");
    run(&["export", "--dump", second.to_str().unwrap()]);
    run(&["verify"]);
    let (a, b) = (
        std::fs::read(&first).unwrap(),
        std::fs::read(&second).unwrap(),
    );
    assert!(a.len() > 1000);
    assert!(
        a == b,
        "the dumps differ ({} vs {} bytes)",
        a.len(),
        b.len()
    );

    // And a server on that database serves what the redb one held, to the same passwords.
    let pg = TestServer::builder()
        .store(db)
        .credentials(&user, redb.password())
        .start();
    let r = pg.request("GET", &format!("{cal}d7.ics")).send();
    assert_eq!(r.status, 200);
    assert!(r.text().contains("SUMMARY:n7"));
    let r = pg
        .anonymous("GET", "/dav/addressbooks/bob/default/c.vcf")
        .basic_auth("bob", "bob-password")
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
}

/// Listings longer than one chunk are streamed: the last chunk, and with it the read snapshot,
/// is dropped by the HTTP server on an async worker, where the blocking driver must not talk to
/// the database. Before the fix every such answer was cut (the driver panicked in the
/// snapshot's drop) and the next request on that pooled connection failed with "a transaction
/// is already in progress". Concurrent streamed PROPFIND, sync and query answers must all be
/// complete, and writes on the same pool must keep working afterwards.
#[test]
fn streamed_listings_on_postgres_are_complete_and_leave_the_pool_healthy() {
    let server = TestServer::builder().store(database()).start();
    let cal = format!("/dav/calendars/{}/default/", server.user());
    const N: usize = 150;
    for i in 0..N {
        let r = put(
            &server,
            &format!("{cal}s{i}.ics"),
            &event(&format!("stream-{i}"), "x"),
            Some(("If-None-Match", "*")),
        );
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let query = r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter></C:calendar-query>"#;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let (server, cal) = (&server, &cal);
                s.spawn(move || {
                    for round in 0..3 {
                        let r = match (t + round) % 3 {
                            0 => server
                                .request("PROPFIND", cal)
                                .header("Depth", "1")
                                .body(r#"<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>"#)
                                .send(),
                            1 => sync(server, cal, ""),
                            _ => report(server, cal, "1", query),
                        };
                        assert_eq!(r.status, 207, "{}", server.logs());
                        let n = hrefs(&r).iter().filter(|h| h.ends_with(".ics")).count();
                        assert_eq!(n, N, "a streamed answer was cut:\n{}", server.logs());
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("client thread");
        }
    });
    // Every pooled connection is usable: more writes than the pool has connections.
    for i in 0..40 {
        let r = server.request("DELETE", &format!("{cal}s{i}.ics")).send();
        assert_eq!(r.status, 204, "{}\n{}", r.text(), server.logs());
    }
    let r = server.request("DELETE", &cal).send();
    assert_eq!(r.status, 204, "{}\n{}", r.text(), server.logs());
    assert!(
        !server.logs().contains("panicked"),
        "the server panicked:\n{}",
        server.logs()
    );
}
