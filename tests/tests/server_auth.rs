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

    let out = davlite(&["user", "remove", "bob", "--data", data], None);
    assert!(out.status.success());
    wait_until(|| !ok("bob", "pw-bob"));
    let list = davlite(&["user", "list", "--data", data], None);
    assert_eq!(
        stdout(&list).lines().collect::<Vec<_>>(),
        ["alice", "carol"]
    );
    assert!(
        !davlite(&["user", "remove", "bob", "--data", data], None)
            .status
            .success()
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
