//! Limits of `davlite serve`: what one client can cost the server. Raw sockets, so the tests
//! control exactly what is sent and when.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use davlite_tests::{TestServer, base64, read_response};

fn auth_header(server: &TestServer) -> String {
    format!(
        "Authorization: Basic {}\r\n",
        base64(format!("{}:{}", server.user(), server.password()).as_bytes())
    )
}

fn connect(server: &TestServer) -> TcpStream {
    let s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

/// Warms the credential cache so that timing-sensitive requests skip the argon2 verification.
fn login(server: &TestServer) {
    assert_ne!(server.request("GET", "/dav/").send().status, 401);
}

#[test]
fn oversized_body_gets_413_before_it_is_sent() {
    let server = TestServer::builder()
        .env("DAVLITE_MAX_BODY_BYTES", "1000")
        .start();
    login(&server);
    let mut s = connect(&server);
    // Announce a gigabyte, send ten bytes, and wait: the answer must come without the rest.
    let head = format!(
        "PUT /dav/calendars/{u}/x.ics HTTP/1.1\r\nHost: x\r\n{}Content-Type: text/calendar\r\nContent-Length: 1000000000\r\n\r\n0123456789",
        auth_header(&server),
        u = server.user()
    );
    s.write_all(head.as_bytes()).unwrap();
    let resp = read_response(&mut s).unwrap();
    assert_eq!(resp.status, 413);
    assert_eq!(resp.header("connection"), Some("close"));
}

#[test]
fn oversized_chunked_body_gets_413_once_the_limit_is_passed() {
    let server = TestServer::builder()
        .env("DAVLITE_MAX_BODY_BYTES", "1000")
        .start();
    login(&server);
    let mut s = connect(&server);
    let head = format!(
        "PUT /dav/x HTTP/1.1\r\nHost: x\r\n{}Transfer-Encoding: chunked\r\n\r\n",
        auth_header(&server)
    );
    s.write_all(head.as_bytes()).unwrap();
    // 1,200 bytes in chunks, the body never terminated: only counting can find it too large.
    for _ in 0..3 {
        s.write_all(format!("190\r\n{}\r\n", "a".repeat(400)).as_bytes())
            .unwrap();
    }
    let resp = read_response(&mut s).unwrap();
    assert_eq!(resp.status, 413);

    // A body within the limit is passed on (whatever the handler then says, it is not 413).
    let ok = server.request("PUT", "/dav/y").body(vec![b'a'; 900]).send();
    assert_ne!(ok.status, 413);
}

#[test]
fn huge_header_gets_431_and_long_uri_414() {
    let server = TestServer::builder()
        .env("DAVLITE_MAX_HEADER_BYTES", "4096")
        .env("DAVLITE_MAX_URI_BYTES", "2048")
        .start();
    let big = "x".repeat(6000);
    let resp = server
        .request("GET", "/dav/")
        .header("X-Filler", &big)
        .send();
    assert_eq!(resp.status, 431);
    let resp = server
        .request("GET", &format!("/dav/{}", "a".repeat(3000)))
        .send();
    assert_eq!(resp.status, 414);
    // Just under the limits is fine.
    let resp = server
        .request("GET", &format!("/dav/{}", "a".repeat(1900)))
        .header("X-Filler", &"x".repeat(1500))
        .send();
    assert!(resp.status != 414 && resp.status != 431, "{}", resp.status);
}

#[test]
fn slow_clients_are_cut_off() {
    let server = TestServer::builder()
        .env("DAVLITE_HEADER_TIMEOUT_SECS", "1")
        .env("DAVLITE_BODY_TIMEOUT_SECS", "1")
        .start();
    login(&server);

    // A head that never completes: the connection is closed after the head timeout.
    let mut s = connect(&server);
    s.write_all(b"GET /dav/ HTTP/1.1\r\nHost: x\r\n").unwrap();
    let t = Instant::now();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(10),
        "{waited:?}"
    );
    assert!(!String::from_utf8_lossy(&buf).contains(" 200 "));

    // An idle kept-alive connection is closed too.
    let mut s = connect(&server);
    let t = Instant::now();
    let _ = s.read_to_end(&mut buf);
    assert!(t.elapsed() < Duration::from_secs(10));

    // A body that stops half way: 408 after the body timeout.
    let mut s = connect(&server);
    let head = format!(
        "PUT /dav/x HTTP/1.1\r\nHost: x\r\n{}Content-Length: 100\r\n\r\n0123456789",
        auth_header(&server)
    );
    s.write_all(head.as_bytes()).unwrap();
    let t = Instant::now();
    let resp = read_response(&mut s).unwrap();
    assert_eq!(resp.status, 408);
    assert!(t.elapsed() >= Duration::from_millis(800));

    // Meanwhile the server serves others.
    assert_ne!(server.request("GET", "/dav/").send().status, 401);
}

#[test]
fn connections_beyond_the_limit_wait_for_a_free_slot() {
    let server = TestServer::builder()
        .env("DAVLITE_MAX_CONNECTIONS", "1")
        .start();
    login(&server);
    // First connection: one request answered, then kept open (keep-alive).
    let mut a = connect(&server);
    let req = format!(
        "GET /dav/ HTTP/1.1\r\nHost: x\r\n{}\r\n",
        auth_header(&server)
    );
    a.write_all(req.as_bytes()).unwrap();
    let first = read_response(&mut a).unwrap();
    assert_ne!(first.status, 401);

    // Second connection: accepted by the kernel, but not served while the first one is open.
    let mut b = connect(&server);
    b.write_all(
        format!(
            "GET /dav/ HTTP/1.1\r\nHost: x\r\n{}Connection: close\r\n\r\n",
            auth_header(&server)
        )
        .as_bytes(),
    )
    .unwrap();
    b.set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    let mut byte = [0u8; 1];
    let early = b.read(&mut byte);
    assert!(
        early.is_err(),
        "second connection was served while the first held the only slot"
    );

    drop(a);
    b.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let resp = read_response(&mut b).unwrap();
    assert_ne!(resp.status, 401);
}

#[test]
fn a_panicking_request_gets_500_and_the_server_keeps_serving() {
    let server = TestServer::builder()
        .env("DAVLITE_DEBUG_PANIC_PATH", "/dav/boom")
        .start();
    for _ in 0..3 {
        // GET runs the handler on the async worker, PUT on the blocking pool: both are caught.
        let resp = server.request("GET", "/dav/boom").send();
        assert_eq!(resp.status, 500);
        let resp = server.request("PUT", "/dav/boom").body("x").send();
        assert_eq!(resp.status, 500);
        let other = server.request("GET", "/dav/").send();
        assert!(
            other.status != 500 && other.status != 401,
            "{}",
            other.status
        );
    }
    let logs = server.logs();
    assert!(logs.contains("handler panicked"), "{logs}");
    assert!(
        logs.contains("path=\"/dav/boom\"") || logs.contains("path=/dav/boom"),
        "{logs}"
    );
}

#[test]
fn every_request_is_logged_with_method_path_status_and_duration_but_no_secret() {
    let server = TestServer::start();
    let resp = server
        .request("PROPFIND", "/dav/")
        .header("Depth", "0")
        .body("<propfind xmlns=\"DAV:\"><allprop/></propfind>")
        .send();
    let status = resp.status;
    let _ = server.anonymous("GET", "/.well-known/caldav").send();
    // Give the log line a moment to cross the pipe.
    std::thread::sleep(Duration::from_millis(300));
    let logs = server.logs();
    let line = logs
        .lines()
        .find(|l| l.contains("PROPFIND"))
        .expect("PROPFIND logged");
    assert!(
        line.contains(&format!("status={status}"))
            && line.contains("/dav/")
            && line.contains("ms="),
        "{line}"
    );
    assert!(
        logs.lines()
            .any(|l| l.contains("/.well-known/caldav") && l.contains("status=301"))
    );
    assert!(!logs.contains(server.password()));
    assert!(!logs.contains("allprop"), "a request body reached the logs");
}
