//! `davlite serve` and `davlite user`: first start, user management, Basic auth, throttling and
//! the well-known redirects, against the real binary on loopback.

use std::time::{Duration, Instant};

use davlite_tests::{Request, TestServer, davlite};

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn first_start_creates_a_user_prints_its_password_once_and_keeps_only_a_hash() {
    let server = TestServer::start();
    let out = server.stdout().join("\n");
    assert_eq!(server.user(), "admin");
    assert!(server.password().len() >= 16, "{out}");
    assert!(
        out.contains(&format!("http://{}/", server.addr)),
        "URL for clients missing: {out}"
    );
    let users = std::fs::read_to_string(server.data_dir().join("users.toml")).unwrap();
    assert!(users.contains("$argon2id$"), "{users}");
    assert!(!users.contains(server.password()));
    assert!(server.data_dir().join("davlite.redb").exists());

    // The printed credentials work.
    let resp = server
        .request("PROPFIND", "/dav/")
        .header("Depth", "0")
        .send();
    assert_ne!(resp.status, 401);

    // A second start finds the user and prints no password; the logs never held it.
    let password = server.password().to_string();
    let server = server.restart();
    let out = server.stdout().join("\n");
    assert!(!out.contains("password:"), "{out}");
    assert!(!server.logs().contains(&password));
    assert_ne!(server.request("GET", "/dav/").send().status, 401);
}

#[test]
fn user_add_list_passwd_remove() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();

    let out = davlite(
        &[
            "user",
            "add",
            "alice",
            "--password",
            "pw-alice",
            "--data",
            data,
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = davlite(
        &["user", "add", "bob", "--password-stdin", "--data", data],
        Some("pw-bob\n"),
    );
    assert!(out.status.success());
    let out = davlite(&["user", "add", "carol", "--data", data], None);
    assert!(out.status.success());
    let generated = stdout(&out)
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .map(str::to_string)
        .expect("generated password printed");
    assert!(generated.len() >= 16);

    let dup = davlite(
        &["user", "add", "alice", "--password", "x", "--data", data],
        None,
    );
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    let bad = davlite(
        &["user", "add", "../evil", "--password", "x", "--data", data],
        None,
    );
    assert!(!bad.status.success());

    let list = davlite(&["user", "list", "--data", data], None);
    assert_eq!(
        stdout(&list).lines().collect::<Vec<_>>(),
        ["alice", "bob", "carol"]
    );

    let data = data.to_string();
    let data = data.as_str();
    let server = TestServer::builder().data_dir(dir).start();
    let ok = |u: &str, p: &str| {
        Request::new(server.addr, "GET", "/dav/")
            .basic_auth(u, p)
            .send()
            .status
            != 401
    };
    assert!(ok("alice", "pw-alice"));
    assert!(ok("bob", "pw-bob"));
    assert!(ok("carol", &generated));
    assert!(!ok("alice", "pw-bob"));

    // passwd while the server runs: the old password stops working (even though it is cached),
    // the new one works, within a couple of seconds.
    let out = davlite(
        &[
            "user",
            "passwd",
            "alice",
            "--password",
            "pw-alice-2",
            "--data",
            data,
        ],
        None,
    );
    assert!(out.status.success());
    wait_until(|| !ok("alice", "pw-alice"));
    assert!(ok("alice", "pw-alice-2"));

    // remove while the server holds the store: refused, and bob keeps his login and data.
    let out = davlite(&["user", "remove", "bob", "--data", data], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("davlite serve") && err.contains("bob was not removed"),
        "{err}"
    );
    assert!(ok("bob", "pw-bob"));
    let list = davlite(&["user", "list", "--data", data], None);
    assert_eq!(
        stdout(&list).lines().collect::<Vec<_>>(),
        ["alice", "bob", "carol"]
    );

    let mut server = server;
    assert!(server.terminate().success());
    let out = davlite(&["user", "remove", "bob", "--data", data], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = davlite(&["user", "remove", "bob", "--data", data], None);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("bob"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let server = server.restart();
    let ok = |u: &str, p: &str| {
        Request::new(server.addr, "GET", "/dav/")
            .basic_auth(u, p)
            .send()
            .status
            != 401
    };
    assert!(!ok("bob", "pw-bob"));
    assert!(ok("carol", &generated));
    let list = davlite(&["user", "list", "--data", data], None);
    assert_eq!(
        stdout(&list).lines().collect::<Vec<_>>(),
        ["alice", "carol"]
    );
    assert!(
        !davlite(
            &[
                "user",
                "passwd",
                "nobody",
                "--password",
                "x",
                "--data",
                data
            ],
            None
        )
        .status
        .success()
    );
    drop(server);
}

fn wait_until(mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(
            Instant::now() < deadline,
            "condition not reached within 10 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn missing_or_wrong_credentials_get_401_with_a_basic_challenge() {
    let server = TestServer::start();
    for req in [
        server.anonymous("PROPFIND", "/dav/").header("Depth", "0"),
        server.anonymous("GET", "/"),
        server.anonymous("OPTIONS", "/dav/"),
        server
            .anonymous("GET", "/dav/")
            .basic_auth(server.user(), "wrong"),
        server
            .anonymous("GET", "/dav/")
            .basic_auth("nobody", server.password()),
        server
            .anonymous("GET", "/dav/")
            .header("Authorization", "Bearer abc"),
        server
            .anonymous("GET", "/dav/")
            .header("Authorization", "Basic !!notbase64"),
    ] {
        let resp = req.send();
        assert_eq!(resp.status, 401);
        let challenge = resp.header("www-authenticate").expect("WWW-Authenticate");
        assert!(challenge.starts_with("Basic realm=\""), "{challenge}");
    }
    assert!(
        !server.logs().contains("wrong"),
        "a password reached the logs"
    );
}

#[test]
fn failed_logins_are_throttled_per_user_and_per_address() {
    let server = TestServer::builder()
        .env("DAVLITE_AUTH_MAX_FAILURES_PER_USER", "3")
        .env("DAVLITE_AUTH_MAX_FAILURES_PER_ADDR", "6")
        .start();
    server.add_user("victim", "right-pw");
    let attempt = |u: &str, p: &str| server.anonymous("GET", "/dav/").basic_auth(u, p).send();

    // The real user logged in before the attack: their cached credentials keep working.
    assert_ne!(server.request("GET", "/dav/").send().status, 401);
    for _ in 0..3 {
        assert_eq!(attempt("victim", "guess").status, 401);
    }
    let limited = attempt("victim", "guess");
    assert_eq!(limited.status, 429);
    assert!(
        limited
            .header("retry-after")
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|s| s > 0)
    );
    // Even the right password is refused while the name is throttled (no argon2 work for it).
    assert_eq!(attempt("victim", "right-pw").status, 429);

    // Per address: three more failures on other names from 127.0.0.1 reach the address limit.
    for name in ["x1", "x2", "x3"] {
        assert_eq!(attempt(name, "guess").status, 401);
    }
    assert_eq!(attempt("x4", "guess").status, 429);
    // Already verified credentials still pass.
    assert_ne!(server.request("GET", "/dav/").send().status, 429);
}

#[test]
fn well_known_redirects_any_method_with_or_without_credentials() {
    let server = TestServer::start();
    for path in [
        "/.well-known/caldav",
        "/.well-known/carddav",
        "/.well-known/caldav/",
    ] {
        for method in ["GET", "PROPFIND", "OPTIONS", "HEAD", "REPORT"] {
            let variants = [
                server.anonymous(method, path),
                server.request(method, path),
                server
                    .anonymous(method, path)
                    .basic_auth(server.user(), "wrong"),
            ];
            for req in variants {
                let resp = req.send();
                assert_eq!(resp.status, 301, "{method} {path}");
                assert_eq!(resp.header("location"), Some("/dav/"), "{method} {path}");
            }
        }
    }
}

#[test]
fn well_known_follows_the_configured_base() {
    let server = TestServer::builder().arg("--base").arg("/cal/").start();
    let resp = server.anonymous("PROPFIND", "/.well-known/carddav").send();
    assert_eq!(resp.status, 301);
    assert_eq!(resp.header("location"), Some("/cal/"));
}

#[test]
fn flags_win_over_environment_which_wins_over_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("davlite.toml");
    std::fs::write(&cfg, "base = \"/from-file/\"\nmax_uri_bytes = 100\n").unwrap();
    let cfg = cfg.to_str().unwrap();

    let from_file = TestServer::builder().arg("--config").arg(cfg).start();
    assert_eq!(
        from_file
            .anonymous("GET", "/.well-known/caldav")
            .send()
            .header("location"),
        Some("/from-file/")
    );
    assert_eq!(
        from_file
            .request("GET", &format!("/dav/{}", "a".repeat(120)))
            .send()
            .status,
        414
    );

    let from_env = TestServer::builder()
        .arg("--config")
        .arg(cfg)
        .env("DAVLITE_BASE", "/from-env/")
        .start();
    assert_eq!(
        from_env
            .anonymous("GET", "/.well-known/caldav")
            .send()
            .header("location"),
        Some("/from-env/")
    );

    let from_flag = TestServer::builder()
        .env("DAVLITE_CONFIG", cfg)
        .env("DAVLITE_BASE", "/from-env/")
        .arg("--base")
        .arg("/from-flag")
        .start();
    assert_eq!(
        from_flag
            .anonymous("GET", "/.well-known/caldav")
            .send()
            .header("location"),
        Some("/from-flag/")
    );

    let bad = davlite(
        &[
            "serve",
            "--config",
            cfg,
            "--listen",
            "not-an-address",
            "--data",
            dir.path().to_str().unwrap(),
        ],
        None,
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("listen"));
}

/// A request for `user` with `X-Forwarded-For: xff` (a client behind the trusted proxy when the
/// server trusts 127.0.0.1, a spoofing attempt when it does not).
fn login_from(server: &TestServer, user: &str, pw: &str, xff: &str) -> u16 {
    server
        .anonymous("PROPFIND", "/dav/")
        .header("Depth", "0")
        .header("X-Forwarded-For", xff)
        .basic_auth(user, pw)
        .send()
        .status
}

#[test]
fn failures_from_one_address_never_lock_the_right_password_out_from_another() {
    let server = TestServer::builder()
        .env("DAVLITE_TRUSTED_PROXIES", "127.0.0.1")
        .env("DAVLITE_AUTH_MAX_FAILURES_PER_USER", "3")
        .env("DAVLITE_AUTH_MAX_FAILURES_PER_ADDR", "6")
        .start();
    // The victim has never logged in: nothing is cached (as after a restart).
    server.add_user("victim", "right-pw");
    let attacker = "203.0.113.66";
    for _ in 0..3 {
        assert_eq!(login_from(&server, "victim", "guess", attacker), 401);
    }
    let limited = server
        .anonymous("PROPFIND", "/dav/")
        .header("X-Forwarded-For", attacker)
        .basic_auth("victim", "guess")
        .send();
    assert_eq!(limited.status, 429);
    assert!(
        limited
            .header("retry-after")
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|s| s > 0)
    );
    // From the attacked address even the right password waits (no argon2 work there)...
    assert_eq!(login_from(&server, "victim", "right-pw", attacker), 429);
    // ...but the name is not locked: the real user, elsewhere, logs in.
    assert_eq!(
        login_from(&server, "victim", "right-pw", "198.51.100.7"),
        207
    );
    // A proxy chain: the client wrote the left part; the rightmost untrusted hop counts.
    assert_eq!(
        login_from(
            &server,
            "victim",
            "guess",
            &format!("{attacker}, 198.51.100.9")
        ),
        401
    );
    // Verified once, the right password is cached and passes anywhere, the attacked address too.
    assert_eq!(
        login_from(
            &server,
            "victim",
            "right-pw",
            &format!("10.1.1.1, {attacker}")
        ),
        207
    );

    // Per address: other names from the attacker reach the address limit, only there.
    for name in ["x1", "x2", "x3"] {
        assert_eq!(login_from(&server, name, "guess", attacker), 401);
    }
    assert_eq!(login_from(&server, "x4", "guess", attacker), 429);
    assert_eq!(login_from(&server, "x4", "guess", "198.51.100.8"), 401);

    // The request log names the client, not the proxy.
    let logs = server.logs();
    assert!(logs.contains("client=198.51.100.7"), "{logs}");
    assert!(logs.contains("client=203.0.113.66"), "{logs}");
}

#[test]
fn forwarded_headers_from_an_untrusted_peer_cannot_escape_throttling() {
    // Nobody is trusted (the default): a client picking its own X-Forwarded-For or Forwarded
    // is still the one address 127.0.0.1.
    let server = TestServer::builder()
        .env("DAVLITE_AUTH_MAX_FAILURES_PER_USER", "3")
        .env("DAVLITE_AUTH_MAX_FAILURES_PER_ADDR", "100")
        .start();
    server.add_user("victim", "right-pw");
    for i in 1..=3 {
        assert_eq!(
            login_from(&server, "victim", "guess", &format!("192.0.2.{i}")),
            401
        );
    }
    assert_eq!(login_from(&server, "victim", "guess", "192.0.2.4"), 429);
    let forwarded = server
        .anonymous("PROPFIND", "/dav/")
        .header("Forwarded", "for=192.0.2.5")
        .basic_auth("victim", "guess")
        .send();
    assert_eq!(forwarded.status, 429);
    // The right password from the throttled peer waits too, whatever it claims.
    assert_eq!(login_from(&server, "victim", "right-pw", "192.0.2.6"), 429);
    let logs = server.logs();
    assert!(logs.contains("client=127.0.0.1"), "{logs}");
    assert!(!logs.contains("client=192.0.2."), "{logs}");
}

fn event(uid: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite//auth//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260102T100000Z\r\nSUMMARY:secret of {uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

const CARD: &str =
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:card-1\r\nFN:Old Friend\r\nN:Friend;Old;;;\r\nEND:VCARD\r\n";

/// alice (password `old-pw`) with an event, a contact and a second calendar, and bob; the server
/// is running.
fn server_with_old_alice() -> TestServer {
    let server = TestServer::start();
    server.add_user("alice", "old-pw");
    server.add_user("bob", "bob-pw");
    let as_alice = |m: &str, p: &str| server.anonymous(m, p).basic_auth("alice", "old-pw");
    let r = as_alice("PUT", "/dav/calendars/alice/default/old.ics")
        .header("Content-Type", "text/calendar")
        .body(event("old-event"))
        .send();
    assert_eq!(r.status, 201, "{}", r.text());
    let r = as_alice("PUT", "/dav/addressbooks/alice/default/card.vcf")
        .header("Content-Type", "text/vcard")
        .body(CARD)
        .send();
    assert_eq!(r.status, 201, "{}", r.text());
    let r = as_alice("MKCALENDAR", "/dav/calendars/alice/work/").send();
    assert_eq!(r.status, 201, "{}", r.text());
    server
}

/// What the new alice (`new-pw`) finds: fresh default homes, none of the old data.
fn assert_fresh_alice(server: &TestServer) {
    let as_alice = |m: &str, p: &str| server.anonymous(m, p).basic_auth("alice", "new-pw");
    assert_eq!(
        server
            .anonymous("PROPFIND", "/dav/")
            .basic_auth("alice", "old-pw")
            .send()
            .status,
        401
    );
    for path in [
        "/dav/calendars/alice/default/old.ics",
        "/dav/addressbooks/alice/default/card.vcf",
    ] {
        assert_eq!(as_alice("GET", path).send().status, 404, "{path}");
    }
    let cal = as_alice("PROPFIND", "/dav/calendars/alice/default/")
        .header("Depth", "1")
        .send();
    assert_eq!(cal.status, 207, "{}", cal.text());
    assert_eq!(
        cal.text().matches("<D:response>").count(),
        1,
        "{}",
        cal.text()
    );
    let cards = as_alice("PROPFIND", "/dav/addressbooks/alice/default/")
        .header("Depth", "1")
        .send();
    assert_eq!(cards.status, 207, "{}", cards.text());
    assert_eq!(cards.text().matches("<D:response>").count(), 1);
    // The home holds the default calendar only; its usage is the new user's (none).
    let home = as_alice("PROPFIND", "/dav/calendars/alice/")
        .header("Depth", "1")
        .header("Content-Type", "application/xml")
        .body(
            r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:quota-used-bytes/></D:prop></D:propfind>"#,
        )
        .send();
    assert_eq!(home.status, 207, "{}", home.text());
    let text = home.text();
    assert!(!text.contains("/work/"), "{text}");
    assert!(text.contains("/dav/calendars/alice/default/"), "{text}");
    assert!(
        text.contains("<D:quota-used-bytes>0</D:quota-used-bytes>"),
        "{text}"
    );
    // Nothing of the old user shows in the shared listings either.
    for tree in ["/dav/calendars/", "/dav/addressbooks/"] {
        let list = as_alice("PROPFIND", tree).header("Depth", "1").send();
        assert_eq!(list.status, 207);
        assert!(!list.text().contains(".removed"), "{}", list.text());
    }
}

#[test]
fn user_remove_delete_data_then_add_gives_fresh_empty_homes() {
    let mut server = server_with_old_alice();
    // The server holds the store: refused, nothing removed.
    let refused = server.davlite(&["user", "remove", "alice", "--delete-data"], None);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("alice was not removed"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(stdout(&server.davlite(&["user", "list"], None)).contains("alice"));

    assert!(server.terminate().success());
    let out = server.davlite(&["user", "remove", "alice", "--delete-data"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).contains("deleted"), "{}", stdout(&out));
    let out = server.davlite(&["user", "add", "alice", "--password", "new-pw"], None);
    assert!(out.status.success());
    let verify = server.davlite(&["verify"], None);
    assert!(verify.status.success(), "{}", stdout(&verify));

    let server = server.restart();
    assert_fresh_alice(&server);
    // bob is untouched.
    let bob = server
        .anonymous("PROPFIND", "/dav/calendars/bob/default/")
        .basic_auth("bob", "bob-pw")
        .header("Depth", "0")
        .send();
    assert_eq!(bob.status, 207);
}

#[test]
fn user_remove_moves_data_aside_where_no_user_reaches_it() {
    let mut server = server_with_old_alice();
    assert!(server.terminate().success());
    let out = server.davlite(&["user", "remove", "alice"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    // "moved calendars/alice to <where>"
    let moved_to = |home: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("moved {home} to ")))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("where {home} went: {text}"))
    };
    let (cal_aside, book_aside) = (moved_to("calendars/alice"), moved_to("addressbooks/alice"));
    let out = server.davlite(&["user", "add", "alice", "--password", "new-pw"], None);
    assert!(out.status.success());
    let verify = server.davlite(&["verify"], None);
    assert!(verify.status.success(), "{}", stdout(&verify));

    let mut server = server.restart();
    assert_fresh_alice(&server);
    // The kept data is there, but no user reaches it: not the new alice, not bob.
    for (user, pw) in [("alice", "new-pw"), ("bob", "bob-pw")] {
        for path in [
            format!("/dav/{cal_aside}/default/old.ics"),
            format!("/dav/{book_aside}/default/card.vcf"),
        ] {
            let r = server.anonymous("GET", &path).basic_auth(user, pw).send();
            assert_eq!(r.status, 403, "{user} {path}: {}", r.text());
        }
        let r = server
            .anonymous("PROPFIND", &format!("/dav/{cal_aside}/"))
            .basic_auth(user, pw)
            .header("Depth", "1")
            .send();
        assert_eq!(r.status, 403, "{user}: {}", r.text());
        assert!(!r.text().contains("old.ics"));
    }
    assert!(server.terminate().success());
    // Named so that no user name can match (users::validate_name refuses a leading dot).
    let aside = cal_aside
        .strip_prefix("calendars/")
        .filter(|a| a.starts_with(".removed-alice-"))
        .unwrap_or_else(|| panic!("{cal_aside}"))
        .to_string();
    assert_eq!(book_aside, format!("addressbooks/{aside}"));
    // The administrator can still read it back.
    let export = server.davlite(
        &["export", "--user", &aside, "--collection", "default"],
        None,
    );
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    assert!(
        stdout(&export).contains("UID:old-event"),
        "{}",
        stdout(&export)
    );
    let verify = server.davlite(&["verify"], None);
    assert!(verify.status.success(), "{}", stdout(&verify));
}
