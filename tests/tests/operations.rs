//! Operations (issue 15): `GET /metrics` and online backups with `davlite backup` while the
//! server keeps accepting writes, restored byte for byte with `davlite restore`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use davlite_tests::{Request, TestServer, davlite};

fn event(uid: &str, pad: usize) -> String {
    // DESCRIPTION lines folded at 75 octets, so larger bodies stay valid iCalendar.
    let mut desc = String::new();
    let text = "x".repeat(pad);
    for (i, chunk) in text.as_bytes().chunks(60).enumerate() {
        desc.push_str(if i == 0 { "DESCRIPTION:" } else { " " });
        desc.push_str(std::str::from_utf8(chunk).unwrap());
        desc.push_str("\r\n");
    }
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite tests//ops//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:20240101T000000Z\r\nDTSTART:20240301T100000Z\r\nDTEND:20240301T110000Z\r\n\
         SUMMARY:{uid}\r\n{desc}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn ok(out: &std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `name{labels}` -> value, for every sample line.
fn samples(text: &str) -> HashMap<String, f64> {
    let mut out = HashMap::new();
    for line in text.lines() {
        if line.starts_with('#') || line.is_empty() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let kind = rest.split_whitespace().nth(1).unwrap();
                assert!(
                    ["counter", "gauge", "histogram"].contains(&kind),
                    "type {kind}"
                );
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("series and value");
        let v: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("value of {line:?}"));
        assert!(
            out.insert(series.to_string(), v).is_none(),
            "series twice: {series}"
        );
    }
    out
}

fn get(m: &HashMap<String, f64>, series: &str) -> f64 {
    m.get(series).copied().unwrap_or(0.0)
}

fn scrape(server: &TestServer) -> (String, HashMap<String, f64>) {
    let resp = server.anonymous("GET", "/metrics").send();
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(
        resp.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = resp.text();
    let m = samples(&text);
    (text, m)
}

#[test]
fn metrics_count_requests_and_name_no_user_or_path() {
    let server = TestServer::builder().arg("--metrics").start();
    server.add_user("zebra-keeper", "stripes-and-more");
    let (_, before) = scrape(&server);

    let coll = format!("/dav/calendars/{}/default", server.user());
    for i in 0..3 {
        let resp = server
            .request("PUT", &format!("{coll}/secret-name-{i}.ics"))
            .header("Content-Type", "text/calendar")
            .body(event(&format!("secret-uid-{i}"), 10))
            .send();
        assert_eq!(resp.status, 201, "{}", resp.text());
    }
    for i in 0..2 {
        let resp = server
            .request("GET", &format!("{coll}/secret-name-{i}.ics"))
            .send();
        assert_eq!(resp.status, 200);
    }
    assert_eq!(
        server
            .request("GET", &format!("{coll}/missing.ics"))
            .send()
            .status,
        404
    );
    // A wrong password is an authentication failure; no credentials at all is the usual
    // first challenge, not a failure.
    let wrong = server
        .anonymous("GET", &format!("{coll}/secret-name-0.ics"))
        .basic_auth("zebra-keeper", "wrong-password")
        .send();
    assert_eq!(wrong.status, 401);
    assert_eq!(server.anonymous("PROPFIND", "/dav/").send().status, 401);
    let zebra = server
        .anonymous("PROPFIND", "/dav/calendars/zebra-keeper/")
        .basic_auth("zebra-keeper", "stripes-and-more")
        .header("Depth", "1")
        .send();
    assert_eq!(zebra.status, 207);

    let (text, after) = scrape(&server);
    let delta = |s: &str| get(&after, s) - get(&before, s);
    assert_eq!(
        delta("davlite_http_requests_total{method=\"PUT\",status=\"201\"}"),
        3.0
    );
    // Two GETs and the first scrape (a scrape is counted once its answer is ready, so the
    // second one is not in its own output).
    assert_eq!(
        delta("davlite_http_requests_total{method=\"GET\",status=\"200\"}"),
        3.0
    );
    assert_eq!(
        delta("davlite_http_requests_total{method=\"GET\",status=\"404\"}"),
        1.0
    );
    assert_eq!(
        delta("davlite_http_requests_total{method=\"GET\",status=\"401\"}"),
        1.0
    );
    assert_eq!(
        delta("davlite_http_requests_total{method=\"PROPFIND\",status=\"401\"}"),
        1.0
    );
    assert_eq!(
        delta("davlite_http_requests_total{method=\"PROPFIND\",status=\"207\"}"),
        1.0
    );
    assert_eq!(
        delta("davlite_auth_failures_total{reason=\"bad_credentials\"}"),
        1.0
    );
    assert_eq!(
        delta("davlite_auth_failures_total{reason=\"throttled\"}"),
        0.0
    );

    // Latency histogram of PUT: three observations, cumulative buckets ending at the count.
    assert_eq!(
        delta("davlite_http_request_duration_seconds_count{method=\"PUT\"}"),
        3.0
    );
    let mut last = 0.0;
    let mut buckets = 0;
    for line in text.lines() {
        if let Some(rest) =
            line.strip_prefix("davlite_http_request_duration_seconds_bucket{method=\"PUT\",le=\"")
        {
            let v: f64 = rest.rsplit_once(' ').unwrap().1.parse().unwrap();
            assert!(v >= last, "buckets are cumulative: {line}");
            last = v;
            buckets += 1;
        }
    }
    assert!(buckets > 5);
    assert_eq!(
        last,
        get(
            &after,
            "davlite_http_request_duration_seconds_count{method=\"PUT\"}"
        )
    );

    // The store: three more objects (zebra-keeper's homes were made at its first login: two
    // homes, their default calendar and address book, and the scheduling inbox), and the writes
    // went through group commits.
    assert_eq!(delta("davlite_store_objects"), 3.0);
    assert_eq!(delta("davlite_store_collections"), 5.0);
    assert!(delta("davlite_store_commits_total") >= 3.0);
    assert!(delta("davlite_store_commit_batch_requests_sum") >= 3.0);
    assert_eq!(
        get(&after, "davlite_store_commit_batch_requests_count"),
        get(&after, "davlite_store_commits_total")
    );
    assert!(get(&after, "davlite_store_commit_duration_seconds_count") >= 3.0);
    assert!(get(&after, "davlite_store_file_bytes") > 0.0);
    assert!(get(&after, "davlite_http_connections_open") >= 1.0);
    assert!(get(&after, "davlite_http_connections_total") >= 10.0);

    // Nothing that names a user, a resource or a credential; no sample names a path (the help
    // texts may say "calendars").
    for secret in [
        server.user(),
        "zebra",
        "stripes",
        "wrong-password",
        server.password(),
        "secret",
    ] {
        assert!(!text.contains(secret), "{secret:?} in the metrics:\n{text}");
    }
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        for path_part in ["/dav", "calendars", "default", ".ics", "/"] {
            assert!(!line.contains(path_part), "{path_part:?} in {line:?}");
        }
    }

    // An idle connection is counted while it is open.
    let idle = std::net::TcpStream::connect(server.addr).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, m) = scrape(&server);
        // The idle connection and the scrape's own.
        if get(&m, "davlite_http_connections_open") >= 2.0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "open connections never reached 2"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(idle);

    // Access: direct loopback clients only, without credentials; a request that came through a
    // proxy (which connects from loopback too) is refused, and only GET and HEAD are served.
    let proxied = server
        .anonymous("GET", "/metrics")
        .header("X-Forwarded-For", "203.0.113.7")
        .send();
    assert_eq!(proxied.status, 403);
    assert_eq!(server.anonymous("POST", "/metrics").send().status, 405);
    let head = server.anonymous("HEAD", "/metrics").send();
    assert_eq!(head.status, 200);
}

#[test]
fn metrics_are_off_by_default_and_then_metrics_is_an_ordinary_path() {
    let server = TestServer::start();
    // Without --metrics nothing is special about /metrics: authentication first, as for every
    // path, then 404 (it is outside the DAV tree).
    assert_eq!(server.anonymous("GET", "/metrics").send().status, 401);
    let resp = server.request("GET", "/metrics").send();
    assert_eq!(resp.status, 404);
    assert!(!resp.text().contains("davlite_http_requests_total"));

    // DAVLITE_METRICS=true is the same as --metrics.
    let by_env = TestServer::builder().env("DAVLITE_METRICS", "true").start();
    scrape(&by_env);
}

/// One write as a client saw it.
struct Write {
    name: String,
    body: String,
    sent: Instant,
    acked: Option<(Instant, String)>,
}

#[test]
fn backup_while_clients_write_restores_every_acknowledged_write() {
    let preload: usize = std::env::var("DAVLITE_BACKUP_OBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let server = TestServer::start();
    let (user, password) = (server.user().to_string(), server.password().to_string());
    let mut server = server;
    server.terminate();
    // Preload with `davlite import` (one file, one object per UID) while the server is stopped.
    let work = tempfile::tempdir().unwrap();
    let ics = work.path().join("preload.ics");
    {
        let mut text =
            String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite tests//ops//EN\r\n");
        for i in 0..preload {
            let one = event(&format!("preload-{i}"), 600);
            let start = one.find("BEGIN:VEVENT").unwrap();
            let end = one.find("END:VCALENDAR").unwrap();
            text.push_str(&one[start..end]);
        }
        text.push_str("END:VCALENDAR\r\n");
        std::fs::write(&ics, text).unwrap();
    }
    let t = Instant::now();
    ok(
        &server.davlite(
            &[
                "import",
                "--user",
                &user,
                "--collection",
                "default",
                ics.to_str().unwrap(),
            ],
            None,
        ),
        "import",
    );
    eprintln!("preloaded {preload} events in {:?}", t.elapsed());
    let server = server.restart();
    let coll = format!("/dav/calendars/{user}/default");

    // Four clients create events as fast as the server acknowledges them.
    let stop = Arc::new(AtomicBool::new(false));
    let log: Arc<Mutex<Vec<Write>>> = Arc::new(Mutex::new(Vec::new()));
    let mut clients = Vec::new();
    for c in 0..4 {
        let (stop, log, addr) = (stop.clone(), log.clone(), server.addr);
        let (user, password, coll) = (user.clone(), password.clone(), coll.clone());
        clients.push(std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let name = format!("w{c}-{i}.ics");
                let body = event(&format!("w{c}-{i}"), 200);
                let sent = Instant::now();
                let resp = Request::new(addr, "PUT", &format!("{coll}/{name}"))
                    .basic_auth(&user, &password)
                    .header("Content-Type", "text/calendar")
                    .header("If-None-Match", "*")
                    .body(body.clone())
                    .send();
                let acked = (resp.status == 201)
                    .then(|| (Instant::now(), resp.header("etag").unwrap().to_string()));
                assert!(
                    acked.is_some(),
                    "PUT {name}: {} {}",
                    resp.status,
                    resp.text()
                );
                log.lock().unwrap().push(Write {
                    name,
                    body,
                    sent,
                    acked,
                });
                i += 1;
            }
        }));
    }
    while log.lock().unwrap().len() < 100 {
        std::thread::sleep(Duration::from_millis(5));
    }

    let dump = work.path().join("online.dump");
    let t0 = Instant::now();
    let out = server.davlite(&["backup", "--to", dump.to_str().unwrap()], None);
    let t1 = Instant::now();
    let summary = ok(&out, "backup");
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    assert!(summary.contains("by the running server"), "{summary}");
    let writes = std::mem::take(&mut *log.lock().unwrap());

    // Writes kept flowing: requests sent after the backup started were acknowledged before it
    // ended. The longest gap between acknowledgements during the backup is the write stall.
    let mut acks: Vec<Instant> = writes
        .iter()
        .filter_map(|w| Some(w.acked.as_ref()?.0))
        .collect();
    acks.sort();
    let during = writes
        .iter()
        .filter(|w| w.sent >= t0 && w.acked.as_ref().is_some_and(|(a, _)| *a <= t1))
        .count();
    let mut stall = Duration::ZERO;
    let mut prev = t0;
    for a in acks.iter().filter(|a| **a > t0) {
        stall = stall.max(a.saturating_duration_since(prev));
        prev = *a;
        if *a > t1 {
            break;
        }
    }
    let latencies = |from: Instant, to: Instant| {
        let mut l: Vec<Duration> = writes
            .iter()
            .filter(|w| w.sent >= from && w.sent <= to)
            .filter_map(|w| Some(w.acked.as_ref()?.0 - w.sent))
            .collect();
        l.sort();
        l
    };
    let before = latencies(t0 - Duration::from_secs(1), t0);
    let within = latencies(t0, t1);
    let pct = |l: &[Duration], p: f64| {
        l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    eprintln!(
        "backup: {:?} wall (the CLI's view); {}",
        t1 - t0,
        summary.trim()
    );
    eprintln!(
        "writes: {} in total, {during} sent and acknowledged during the backup; longest gap between acknowledgements during it {stall:?}",
        writes.len()
    );
    eprintln!(
        "PUT latency p50/p99/max: before {:?}/{:?}/{:?} ({} writes), during {:?}/{:?}/{:?} ({} writes)",
        pct(&before, 0.5),
        pct(&before, 0.99),
        before.last().copied().unwrap_or_default(),
        before.len(),
        pct(&within, 0.5),
        pct(&within, 0.99),
        within.last().copied().unwrap_or_default(),
        within.len()
    );
    assert!(
        during > 0,
        "no write was acknowledged while the backup ran ({:?})",
        t1 - t0
    );

    // Restore into a new directory: it verifies clean, and dumping it again gives the same
    // bytes (every collection, object and user came back exactly).
    let restored = tempfile::tempdir().unwrap();
    let rdata = restored.path().to_str().unwrap().to_string();
    let t = Instant::now();
    ok(
        &davlite(&["restore", dump.to_str().unwrap(), "--data", &rdata], None),
        "restore",
    );
    eprintln!("restore: {:?}", t.elapsed());
    let verify = ok(&davlite(&["verify", "--data", &rdata], None), "verify");
    assert!(
        verify.contains("ok: every record is consistent"),
        "{verify}"
    );
    let again = work.path().join("again.dump");
    ok(
        &davlite(
            &[
                "export",
                "--dump",
                again.to_str().unwrap(),
                "--data",
                &rdata,
            ],
            None,
        ),
        "export --dump of the restored store",
    );
    assert!(
        std::fs::read(&again).unwrap() == std::fs::read(&dump).unwrap(),
        "the restored store dumps to different bytes"
    );

    // Serve the restored store: every write acknowledged before the backup started is there,
    // byte for byte with its ETag; nothing sent after the backup ended is.
    let copy = TestServer::builder().data_dir(restored).start();
    let mut present = 0;
    for w in &writes {
        let resp = Request::new(copy.addr, "GET", &format!("{coll}/{}", w.name))
            .basic_auth(&user, &password)
            .send();
        let acked_before = w.acked.as_ref().filter(|(a, _)| *a < t0);
        if let Some((_, etag)) = acked_before {
            assert_eq!(
                resp.status, 200,
                "{} acknowledged before the backup",
                w.name
            );
            assert_eq!(resp.body, w.body.as_bytes(), "{}", w.name);
            assert_eq!(resp.header("etag"), Some(etag.as_str()));
        }
        if w.sent > t1 {
            assert_eq!(resp.status, 404, "{} was sent after the backup", w.name);
        }
        if resp.status == 200 {
            present += 1;
        }
    }
    let objects = object_count(&verify);
    assert_eq!(objects, preload + present, "{verify}");
    let size = std::fs::metadata(&dump).unwrap().len();
    eprintln!(
        "restored {objects} objects ({preload} preloaded, {present} of {} client writes); dump {size} bytes",
        writes.len()
    );
}

#[test]
fn control_socket_is_private_and_backup_works_without_a_server() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};

    let server = TestServer::start();
    let sock = server.data_dir().join("davlite.sock");
    let meta = std::fs::metadata(&sock).expect("serve creates the control socket");
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let put = server
        .request(
            "PUT",
            &format!("/dav/calendars/{}/default/a.ics", server.user()),
        )
        .header("Content-Type", "text/calendar")
        .body(event("a", 10))
        .send();
    assert_eq!(put.status, 201);
    let work = tempfile::tempdir().unwrap();
    let online = work.path().join("online.dump");
    let out = ok(
        &server.davlite(&["backup", "--to", online.to_str().unwrap()], None),
        "online backup",
    );
    assert!(out.contains("by the running server"), "{out}");
    assert_eq!(
        std::fs::metadata(&online).unwrap().permissions().mode() & 0o777,
        0o600,
        "a dump holds password hashes"
    );
    let record = std::fs::read_to_string(server.data_dir().join("last-backup.json")).unwrap();
    assert!(record.contains("\"finished_unix\""), "{record}");

    // A clean stop removes the socket; then `backup` opens the store itself.
    let mut server = server;
    assert!(server.terminate().success());
    assert!(!sock.exists(), "the socket outlived the server");
    let offline = work.path().join("offline.dump");
    let out = ok(
        &server.davlite(&["backup", "--to", offline.to_str().unwrap()], None),
        "offline backup",
    );
    assert!(out.contains("from the store directly"), "{out}");
    assert!(std::fs::read(&offline).unwrap() == std::fs::read(&online).unwrap());

    // A killed server leaves its socket behind; nobody answers on it, so `backup` opens the
    // store, and the next start replaces the socket.
    let mut server = server.restart();
    server.kill();
    assert!(sock.exists());
    let after_kill = work.path().join("after-kill.dump");
    let out = ok(
        &server.davlite(&["backup", "--to", after_kill.to_str().unwrap()], None),
        "backup after a kill",
    );
    assert!(out.contains("from the store directly"), "{out}");
    let server = server.restart();
    let out = ok(
        &server.davlite(&["backup", "--to", after_kill.to_str().unwrap()], None),
        "online backup after a restart",
    );
    assert!(out.contains("by the running server"), "{out}");
    restore_and_verify(&after_kill);
}

fn restore_and_verify(dump: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    ok(
        &davlite(&["restore", dump.to_str().unwrap(), "--data", data], None),
        "restore",
    );
    let verify = ok(&davlite(&["verify", "--data", data], None), "verify");
    assert_eq!(object_count(&verify), 1, "{verify}");
}

/// The object count in `davlite verify`'s summary ("..., N objects (B body bytes), ...").
fn object_count(verify: &str) -> usize {
    verify
        .split(", ")
        .find(|p| p.contains(" objects"))
        .and_then(|p| p.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("object count in {verify}"))
}

/// The long commands draw a progress bar on stderr (forced here: the test's stderr is a pipe,
/// where they draw none), each reaching 100% with the real count, while standard output and
/// the files they write stay exactly what they are without one.
#[test]
fn long_commands_show_progress_bars_on_stderr_only() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let data = data.to_str().unwrap();
    ok(
        &davlite(
            &[
                "user",
                "add",
                "pat",
                "--password",
                "pw-123456",
                "--data",
                data,
            ],
            None,
        ),
        "user add",
    );
    // 600 events: more than one step of verify's progress (every 256 objects).
    let mut ics = String::new();
    for i in 0..600 {
        let one = event(&format!("p{i}"), 10);
        let body = one
            .trim_start_matches(
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite tests//ops//EN\r\n",
            )
            .trim_end_matches("END:VCALENDAR\r\n");
        ics.push_str(body);
    }
    let ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite tests//ops//EN\r\n{ics}END:VCALENDAR\r\n"
    );
    let file = work.path().join("in.ics");
    std::fs::write(&file, ics).unwrap();
    let always = [("DAVLITE_PROGRESS".to_string(), "always".to_string())];
    let run = |args: &[&str], env: &[(String, String)]| {
        let out = davlite_tests::davlite_with_env(args, None, env);
        let stdout = ok(&out, &args.join(" "));
        (
            stdout,
            String::from_utf8_lossy(&out.stderr).into_owned(),
            out.stdout,
        )
    };
    let bar = |stderr: &str, label: &str, amount: &str| {
        let line = stderr
            .split(['\r', '\n'])
            .rfind(|l| l.starts_with(&format!("{label} [")))
            .unwrap_or_else(|| panic!("no {label} bar in {stderr:?}"));
        assert!(
            line.contains("100%") && line.contains(amount) && line.contains(&"#".repeat(30)),
            "{label}: {line:?}"
        );
    };

    let (_, err, _) = run(
        &[
            "import",
            "--data",
            data,
            "--user",
            "pat",
            "--collection",
            "default",
            file.to_str().unwrap(),
        ],
        &always,
    );
    bar(&err, "import", "600/600 objects");

    let exported = work.path().join("out.ics");
    let (_, err, _) = run(
        &[
            "export",
            "--data",
            data,
            "--user",
            "pat",
            "--collection",
            "default",
            "-o",
            exported.to_str().unwrap(),
        ],
        &always,
    );
    bar(&err, "export", "600/600 objects");
    let (_, err, stdout) = run(
        &[
            "export",
            "--data",
            data,
            "--user",
            "pat",
            "--collection",
            "default",
        ],
        &always,
    );
    bar(&err, "export", "600/600 objects");
    assert!(
        stdout == std::fs::read(&exported).unwrap(),
        "the bar stays out of the data"
    );

    let dump = work.path().join("all.dump");
    let (_, err, _) = run(
        &["export", "--data", data, "--dump", dump.to_str().unwrap()],
        &always,
    );
    bar(&err, "export", "600/600 objects");
    let (_, err, _) = run(&["verify", "--data", data], &always);
    bar(&err, "verify", "600/600 objects");
    assert!(
        err.contains("verify [") && err.matches("verify [").count() >= 2,
        "verify reports on its way, not only at the end: {err:?}"
    );
    let restored = work.path().join("restored");
    let (_, err, _) = run(
        &[
            "restore",
            dump.to_str().unwrap(),
            "--data",
            restored.to_str().unwrap(),
        ],
        &always,
    );
    let size = std::fs::metadata(&dump).unwrap().len() as f64 / (1024.0 * 1024.0);
    bar(&err, "restore", &format!("{size:.1} MiB / {size:.1} MiB"));
    let backup = work.path().join("b.dump");
    let (stdout, err, _) = run(
        &["backup", "--data", data, "--to", backup.to_str().unwrap()],
        &always,
    );
    assert!(stdout.contains("from the store directly"), "{stdout}");
    bar(&err, "backup", "600/600 objects");

    // Without a terminal (and without the variable) there is no bar, only the summary.
    let (stdout, err, _) = run(&["verify", "--data", restored.to_str().unwrap()], &[]);
    assert_eq!(object_count(&stdout), 600, "{stdout}");
    assert!(!err.contains('['), "no bar on a pipe: {err:?}");
}
