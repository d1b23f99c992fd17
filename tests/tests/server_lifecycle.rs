//! Shutdown, restart, TLS and per-user isolation of `davlite serve`.

use std::io::Write;
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use davlite_tests::{Request, TestServer, base64, read_response};
use tokio_rustls::rustls;

fn event(uid: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240102T100000Z\r\nDTEND:20240102T110000Z\r\nSUMMARY:{uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

#[test]
fn sigterm_finishes_writes_in_flight_and_a_restart_serves_them() {
    let server = TestServer::start();
    assert_ne!(server.request("GET", "/dav/").send().status, 401);
    let auth = format!(
        "Basic {}",
        base64(format!("{}:{}", server.user(), server.password()).as_bytes())
    );
    let n = 6;
    // Every writer sends its head and half of its body, then waits for the signal to be sent.
    let sent_half = Arc::new(Barrier::new(n + 1));
    let signalled = Arc::new(Barrier::new(n + 1));
    let mut writers = Vec::new();
    for i in 0..n {
        let (addr, auth, sent_half, signalled) = (
            server.addr,
            auth.clone(),
            sent_half.clone(),
            signalled.clone(),
        );
        let user = server.user().to_string();
        writers.push(std::thread::spawn(move || {
            let body = event(&format!("inflight-{i}"));
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            let head = format!(
                "PUT /dav/calendars/{user}/default/inflight-{i}.ics HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: text/calendar\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            s.write_all(head.as_bytes()).unwrap();
            let (a, b) = body.as_bytes().split_at(body.len() / 2);
            s.write_all(a).unwrap();
            sent_half.wait();
            signalled.wait();
            std::thread::sleep(Duration::from_millis(300));
            s.write_all(b).unwrap();
            (read_response(&mut s).unwrap(), body)
        }));
    }
    sent_half.wait();
    std::thread::sleep(Duration::from_millis(200));
    server.send_sigterm();
    signalled.wait();
    let mut bodies = Vec::new();
    for w in writers {
        let (resp, body) = w.join().unwrap();
        assert_eq!(
            resp.status,
            201,
            "an in-flight write was cut off by the shutdown: {}",
            resp.text()
        );
        assert!(resp.header("etag").is_some());
        bodies.push(body);
    }
    let mut server = server;
    let status = server.wait_exit();
    assert!(status.success(), "exit status {status}");
    let logs = server.logs();
    assert!(logs.contains("SIGTERM"), "{logs}");

    // Everything acknowledged is there after a restart.
    let server = server.restart();
    for (i, body) in bodies.iter().enumerate() {
        let resp = server
            .request(
                "GET",
                &format!("/dav/calendars/{}/default/inflight-{i}.ics", server.user()),
            )
            .send();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.text(), *body);
    }
}

#[test]
fn after_sigterm_no_new_connection_is_served() {
    let mut server = TestServer::start();
    let addr = server.addr;
    server.terminate();
    let r = Request::new(addr, "GET", "/dav/").try_send();
    assert!(
        r.is_err(),
        "a stopped server answered: {:?}",
        r.map(|r| r.status)
    );
}

#[test]
fn a_user_reaches_only_their_own_homes_and_reads_other_principals() {
    let server = TestServer::start();
    server.add_user("bob", "bob-pw");
    let bob = |m: &str, p: &str| Request::new(server.addr, m, p).basic_auth("bob", "bob-pw");
    let admin = server.user().to_string();
    assert_ne!(server.request("GET", "/dav/").send().status, 401);
    // bob's own space works.
    let own = bob("PUT", "/dav/calendars/bob/default/b.ics")
        .header("Content-Type", "text/calendar")
        .body(event("b"))
        .send();
    assert_eq!(own.status, 201, "{}", own.text());
    // admin's space does not.
    for (m, p) in [
        ("GET", format!("/dav/calendars/{admin}/default/")),
        ("PROPFIND", format!("/dav/calendars/{admin}/")),
        ("PROPFIND", format!("/dav/addressbooks/{admin}/default/")),
    ] {
        let resp = bob(m, &p).header("Depth", "0").send();
        assert_eq!(resp.status, 403, "{m} {p}");
    }
    // admin's principal is readable (users find each other to invite), its homes are not.
    let principal = bob("PROPFIND", &format!("/dav/principals/{admin}/"))
        .header("Depth", "0")
        .send();
    assert_eq!(principal.status, 207, "{}", principal.text());
    assert!(
        principal
            .text()
            .contains(&format!("<D:displayname>{admin}</D:displayname>"))
    );
    let put = bob("PUT", &format!("/dav/calendars/{admin}/default/x.ics"))
        .header("Content-Type", "text/calendar")
        .body(event("x"))
        .send();
    assert_eq!(put.status, 403);
    assert_eq!(
        server
            .request("GET", &format!("/dav/calendars/{admin}/default/x.ics"))
            .send()
            .status,
        404
    );
}

#[test]
fn tls_with_a_self_signed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    let server = TestServer::builder().tls(&cert, &key).start();
    assert!(server.url("/").starts_with("https://"));
    assert!(
        server
            .stdout()
            .iter()
            .any(|l| l.contains("https://127.0.0.1:"))
    );

    let mut roots = rustls::RootCertStore::empty();
    roots.add(ck.cert.der().clone()).unwrap();
    let config = Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth(),
    );
    let send = |req: Request| {
        let conn =
            rustls::ClientConnection::new(config.clone(), "localhost".try_into().unwrap()).unwrap();
        let tcp = TcpStream::connect(server.addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        tls.write_all(&req.to_bytes()).unwrap();
        read_response(&mut tls).unwrap()
    };
    let anon = send(Request::new(server.addr, "PROPFIND", "/dav/").header("Depth", "0"));
    assert_eq!(anon.status, 401);
    let authed = send(
        Request::new(server.addr, "PROPFIND", "/dav/")
            .header("Depth", "0")
            .basic_auth(server.user(), server.password()),
    );
    assert_eq!(authed.status, 207, "{}", authed.text());
    assert_eq!(
        send(Request::new(server.addr, "GET", "/.well-known/caldav")).status,
        301
    );

    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = Request::new(server.addr, "GET", "/dav/").try_send();
    assert!(
        plain.is_err() || plain.as_ref().is_ok_and(|r| r.status != 401),
        "{:?}",
        plain.map(|r| r.status)
    );
}

#[test]
fn json_log_format_writes_one_object_per_line_with_the_request_fields() {
    let server = TestServer::builder()
        .arg("--log-format")
        .arg("json")
        .start();
    let resp = server
        .request("PROPFIND", "/dav/")
        .header("Depth", "0")
        .send();
    assert_eq!(resp.status, 207);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let line = loop {
        let logs = server.logs();
        if let Some(l) = logs
            .lines()
            .find(|l| l.contains("\"PROPFIND\"") && l.contains("\"status\""))
        {
            break l.to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no request line in {logs}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let v: serde_json::Value = serde_json::from_str(&line).expect("a JSON object per line");
    assert_eq!(v["method"], "PROPFIND", "{line}");
    assert_eq!(v["path"], "/dav/", "{line}");
    assert_eq!(v["status"], 207, "{line}");
    assert_eq!(v["user"], server.user(), "{line}");
    assert_eq!(v["level"], "INFO", "{line}");
    assert!(v["timestamp"].is_string() && v["ms"].is_string(), "{line}");
    // Every line is JSON, the start-up ones included; no password anywhere.
    for l in server.logs().lines().filter(|l| !l.trim().is_empty()) {
        serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("{e}: {l}"));
    }
    assert!(!server.logs().contains(server.password()));
}
