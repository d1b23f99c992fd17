//! The sync log's retention policy (`sync_keep_deletions`): a server keeps a bounded number of
//! deletions per collection; a client whose token predates the kept ones gets 403
//! valid-sync-token and recovers with an initial sync, and newer tokens still get exact deltas.

use davlite_tests::TestServer;

fn sync(server: &TestServer, cal: &str, token: &str) -> davlite_tests::Response {
    server
        .request("REPORT", cal)
        .header("Depth", "1")
        .header("Content-Type", "application/xml")
        .body(format!(
            r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
        ))
        .send()
}

fn token_of(r: &davlite_tests::Response) -> String {
    let t = r.text();
    t.split("<D:sync-token>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string()
}

fn event(uid: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240105T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn put(server: &TestServer, cal: &str, name: &str) {
    let r = server
        .request("PUT", &format!("{cal}{name}.ics"))
        .header("Content-Type", "text/calendar")
        .body(event(name))
        .send();
    assert_eq!(r.status, 201, "{}", r.text());
}

fn delete(server: &TestServer, cal: &str, name: &str) {
    let r = server.request("DELETE", &format!("{cal}{name}.ics")).send();
    assert_eq!(r.status, 204, "{}", r.text());
}

#[test]
fn deletions_past_the_bound_are_pruned_as_they_happen_and_old_tokens_resync() {
    let server = TestServer::builder()
        .env("DAVLITE_SYNC_KEEP_DELETIONS", "2")
        .start();
    let cal = format!("/dav/calendars/{}/default/", server.user());
    for i in 0..6 {
        put(&server, &cal, &format!("e{i}"));
    }
    let old = token_of(&sync(&server, &cal, ""));
    for i in 0..5 {
        delete(&server, &cal, &format!("e{i}"));
    }
    let recent = token_of(&sync(&server, &cal, ""));
    delete(&server, &cal, "e5");
    // No restart, no timer: the newest 2 of the 6 deletions are all the log keeps now.
    let r = sync(&server, &cal, &old);
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("valid-sync-token"));
    // A token after the pruned deletions still gets exactly what came after it.
    let r = sync(&server, &cal, &recent);
    assert_eq!(r.status, 207, "{}", r.text());
    assert!(
        r.text().contains("e5.ics") && !r.text().contains("e3.ics"),
        "{}",
        r.text()
    );
    // The client's recovery: an initial sync, which lists the (empty) calendar.
    let r = sync(&server, &cal, "");
    assert_eq!(r.status, 207);
    assert!(!r.text().contains(".ics"));
}

#[test]
fn deletions_an_earlier_run_kept_are_pruned_at_start() {
    let server = TestServer::builder()
        .env("DAVLITE_SYNC_KEEP_DELETIONS", "0")
        .start();
    let cal = format!("/dav/calendars/{}/default/", server.user());
    for i in 0..6 {
        put(&server, &cal, &format!("e{i}"));
    }
    let old = token_of(&sync(&server, &cal, ""));
    for i in 0..6 {
        delete(&server, &cal, &format!("e{i}"));
    }
    // 0 keeps every deletion: the oldest token still gets its delta.
    let r = sync(&server, &cal, &old);
    assert_eq!(r.status, 207, "{}", r.text());
    assert!(r.text().contains("e0.ics"), "{}", r.text());
    // A lower bound applies to what the earlier run left, once the server is back.
    let server = server.restart_with_env("DAVLITE_SYNC_KEEP_DELETIONS", "2");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !server.logs().contains("old deletions pruned") {
        assert!(std::time::Instant::now() < deadline, "{}", server.logs());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let r = sync(&server, &cal, &old);
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("valid-sync-token"));
}
