//! Accounts on a running server: per-user quotas (507 `D:quota-not-exceeded`, RFC 4331
//! properties, changed with `davlite user set` without a restart) and app passwords (`davlite
//! user token add|list|revoke`).

use std::time::{Duration, Instant};

use davlite_tests::{Response, TestServer};

fn event(uid: &str, pad: usize) -> String {
    let mut s = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite//accounts//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260102T100000Z\r\nDTEND:20260102T110000Z\r\nSUMMARY:{uid}\r\n"
    );
    for _ in 0..pad / 64 {
        s.push_str(&format!("X-PAD:{}\r\n", "p".repeat(56)));
    }
    s.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    s
}

fn put(server: &TestServer, user: &str, pw: &str, name: &str, body: &str) -> Response {
    server
        .anonymous("PUT", &format!("/dav/calendars/{user}/default/{name}"))
        .basic_auth(user, pw)
        .header("Content-Type", "text/calendar")
        .body(body.as_bytes().to_vec())
        .send()
}

fn get(server: &TestServer, user: &str, pw: &str, name: &str) -> Response {
    server
        .anonymous("GET", &format!("/dav/calendars/{user}/default/{name}"))
        .basic_auth(user, pw)
        .send()
}

fn quota_props(server: &TestServer, user: &str, pw: &str) -> String {
    let r = server
        .anonymous("PROPFIND", &format!("/dav/calendars/{user}/default/"))
        .basic_auth(user, pw)
        .header("Depth", "0")
        .header("Content-Type", "application/xml")
        .body(
            r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:quota-used-bytes/><D:quota-available-bytes/></D:prop></D:propfind>"#,
        )
        .send();
    assert_eq!(r.status, 207, "{}", r.text());
    r.text()
}

fn members(server: &TestServer, user: &str, pw: &str) -> usize {
    let r = server
        .anonymous("PROPFIND", &format!("/dav/calendars/{user}/default/"))
        .basic_auth(user, pw)
        .header("Depth", "1")
        .send();
    assert_eq!(r.status, 207, "{}", r.text());
    r.text().matches("<D:response>").count() - 1
}

fn run_ok(server: &TestServer, args: &[&str]) -> String {
    let out = server.davlite(args, None);
    assert!(
        out.status.success(),
        "davlite {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Polls `f` until it holds, for at most `secs` seconds.
fn within(secs: f64, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs_f64(secs);
    loop {
        if f() {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn quota_refuses_with_507_reports_usage_and_changes_without_restart() {
    // A 10 KB default from the command line; "big" opts out with `--quota none`.
    let server = TestServer::builder()
        .arg("--quota-bytes")
        .arg("10240")
        .start();
    server.add_user("small", "small-pw");
    let out = server.davlite(
        &[
            "user",
            "add",
            "big",
            "--password",
            "big-pw",
            "--quota",
            "none",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // 3 KB objects: three fit in 10 KB, the fourth does not.
    let body = event("e0", 3000);
    let size = body.len();
    assert!(size * 3 <= 10240 && size * 4 > 10240, "{size}");
    for i in 0..3 {
        let r = put(
            &server,
            "small",
            "small-pw",
            &format!("e{i}.ics"),
            &event(&format!("e{i}"), 3000),
        );
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let refused = put(&server, "small", "small-pw", "e3.ics", &event("e3", 3000));
    assert_eq!(refused.status, 507, "{}", refused.text());
    assert!(
        refused.text().contains("quota-not-exceeded"),
        "{}",
        refused.text()
    );
    assert_eq!(get(&server, "small", "small-pw", "e3.ics").status, 404);
    assert_eq!(members(&server, "small", "small-pw"), 3);

    // COPY into another calendar of the same user grows usage: refused the same way.
    let mk = server
        .anonymous("MKCALENDAR", "/dav/calendars/small/other/")
        .basic_auth("small", "small-pw")
        .send();
    assert_eq!(mk.status, 201, "{}", mk.text());
    let copy = server
        .anonymous("COPY", "/dav/calendars/small/default/e0.ics")
        .basic_auth("small", "small-pw")
        .header(
            "Destination",
            &server.url("/dav/calendars/small/other/e0.ics"),
        )
        .send();
    assert_eq!(copy.status, 507, "{}", copy.text());
    assert!(copy.text().contains("quota-not-exceeded"));
    let copied = server
        .anonymous("GET", "/dav/calendars/small/other/e0.ics")
        .basic_auth("small", "small-pw")
        .send();
    assert_eq!(copied.status, 404);

    // RFC 4331: used and available, consistent with each other.
    let used: usize = (0..3).map(|i| event(&format!("e{i}"), 3000).len()).sum();
    let props = quota_props(&server, "small", "small-pw");
    assert!(
        props.contains(&format!("<D:quota-used-bytes>{used}</D:quota-used-bytes>")),
        "{props}"
    );
    assert!(
        props.contains(&format!(
            "<D:quota-available-bytes>{}</D:quota-available-bytes>",
            10240 - used
        )),
        "{props}"
    );

    // Another user is unaffected; without a quota there is no made-up available number.
    let large = event("large", 30_000);
    let r = put(&server, "big", "big-pw", "large.ics", &large);
    assert_eq!(r.status, 201, "{}", r.text());
    let props = quota_props(&server, "big", "big-pw");
    assert!(
        props.contains(&format!(
            "<D:quota-used-bytes>{}</D:quota-used-bytes>",
            large.len()
        )),
        "{props}"
    );
    assert!(!props.contains("<D:quota-available-bytes>"), "{props}");
    assert!(props.contains("404"), "{props}");

    // Raising the quota applies to the running server.
    run_ok(&server, &["user", "set", "small", "--quota", "100000"]);
    assert!(
        within(2.5, || put(
            &server,
            "small",
            "small-pw",
            "e3.ics",
            &event("e3", 3000)
        )
        .status
            == 201),
        "the raised quota did not apply within 2.5 s"
    );
    let props = quota_props(&server, "small", "small-pw");
    let used = used + event("e3", 3000).len();
    assert!(
        props.contains(&format!(
            "<D:quota-available-bytes>{}</D:quota-available-bytes>",
            100_000 - used
        )),
        "{props}"
    );
    // and back to the 10 KB default: over quota now, so growing is refused, shrinking is not
    run_ok(&server, &["user", "set", "small", "--quota", "default"]);
    // (a new name each time: an overwrite of the same size never grows usage)
    let mut n = 0;
    assert!(
        within(2.5, || {
            n += 1;
            let name = format!("late{n}");
            put(
                &server,
                "small",
                "small-pw",
                &format!("{name}.ics"),
                &event(&name, 100),
            )
            .status
                == 507
        }),
        "the default quota did not apply again within 2.5 s"
    );
    let del = server
        .anonymous("DELETE", "/dav/calendars/small/default/e3.ics")
        .basic_auth("small", "small-pw")
        .send();
    assert_eq!(del.status, 204);
}

fn token_from(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("token: "))
        .unwrap_or_else(|| panic!("no token in {stdout}"))
        .trim()
        .to_string()
}

#[test]
fn app_passwords_log_in_and_revoked_ones_stop_working() {
    let server = TestServer::start();
    server.add_user("alice", "alice-pw");
    server.add_user("bob", "bob-pw");
    let phone = token_from(&run_ok(
        &server,
        &["user", "token", "add", "alice", "--label", "phone"],
    ));
    let laptop = token_from(&run_ok(
        &server,
        &["user", "token", "add", "alice", "--label", "laptop"],
    ));
    assert_ne!(phone, laptop);
    let users_toml = std::fs::read_to_string(server.data_dir().join("users.toml")).unwrap();
    assert!(!users_toml.contains(&phone) && !users_toml.contains(&laptop));
    let list = run_ok(&server, &["user", "token", "list", "alice"]);
    assert!(list.contains("phone") && list.contains("laptop"), "{list}");

    let status = |user: &str, secret: &str| {
        server
            .anonymous("PROPFIND", &format!("/dav/calendars/{user}/"))
            .basic_auth(user, secret)
            .header("Depth", "0")
            .send()
            .status
    };
    assert_eq!(status("alice", &phone), 207);
    assert_eq!(status("alice", &laptop), 207);
    assert_eq!(status("alice", "alice-pw"), 207);
    // a token writes like the password
    let r = put(&server, "alice", &phone, "t.ics", &event("t", 64));
    assert_eq!(r.status, 201, "{}", r.text());
    // alice's tokens do not open bob's account
    assert_eq!(status("bob", &phone), 401);
    assert_eq!(status("bob", "bob-pw"), 207);

    run_ok(&server, &["user", "token", "revoke", "alice", "phone"]);
    assert!(
        within(2.5, || status("alice", &phone) == 401),
        "the revoked token still worked after 2.5 s"
    );
    assert_eq!(status("alice", &laptop), 207);
    assert_eq!(status("alice", "alice-pw"), 207);
    let list = run_ok(&server, &["user", "token", "list", "alice"]);
    assert!(!list.contains("phone") && list.contains("laptop"), "{list}");
    let out = server.davlite(&["user", "token", "revoke", "alice", "phone"], None);
    assert!(!out.status.success());
}

#[test]
fn backup_and_restore_keep_quotas_and_app_passwords() {
    let server = TestServer::start();
    server.add_user("carol", "carol-pw");
    run_ok(&server, &["user", "set", "carol", "--quota", "12345"]);
    let token = token_from(&run_ok(
        &server,
        &["user", "token", "add", "carol", "--label", "tablet"],
    ));
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("all.dump");
    run_ok(&server, &["backup", "--to", dump.to_str().unwrap()]);
    let restored = tempfile::tempdir().unwrap();
    let out = davlite_tests::davlite(
        &[
            "restore",
            dump.to_str().unwrap(),
            "--data",
            restored.path().to_str().unwrap(),
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = TestServer::builder().data_dir(restored).start();
    let r = again
        .anonymous("PROPFIND", "/dav/calendars/carol/default/")
        .basic_auth("carol", &token)
        .header("Depth", "0")
        .header("Content-Type", "application/xml")
        .body(
            r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/></D:prop></D:propfind>"#,
        )
        .send();
    assert_eq!(r.status, 207, "{}", r.text());
    assert!(
        r.text()
            .contains("<D:quota-available-bytes>12345</D:quota-available-bytes>"),
        "{}",
        r.text()
    );
}
