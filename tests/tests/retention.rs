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

#[test]
fn old_deletions_are_pruned_and_old_tokens_resync() {
    let server = TestServer::builder()
        .env("DAVLITE_SYNC_KEEP_DELETIONS", "2")
        .start();
    let cal = format!("/dav/calendars/{}/default/", server.user());
    let put = |name: &str| {
        let r = server
            .request("PUT", &format!("{cal}{name}.ics"))
            .header("Content-Type", "text/calendar")
            .body(event(name))
            .send();
        assert_eq!(r.status, 201, "{}", r.text());
    };
    for i in 0..6 {
        put(&format!("e{i}"));
    }
    let old = token_of(&sync(&server, &cal, ""));
    for i in 0..5 {
        let r = server.request("DELETE", &format!("{cal}e{i}.ics")).send();
        assert_eq!(r.status, 204);
    }
    let recent = token_of(&sync(&server, &cal, ""));
    server.request("DELETE", &format!("{cal}e5.ics")).send();
    // The policy runs at start: restart, keeping the newest 2 of the 6 deletions.
    let server = server.restart();
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
    assert!(
        server.logs().contains("old deletions pruned"),
        "{}",
        server.logs()
    );
}
