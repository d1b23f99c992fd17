//! The Python `caldav` library (calendars) and plain `requests` (contacts) against the real
//! server: tests/python/caldav_client.py does the work and checks every answer; this test starts
//! the server, runs it, and fails with its output when any check does not hold.

use std::process::Command;

use davlite_tests::{TestServer, davlite};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/caldav_client.py");

/// The interpreter with scripts/requirements-test.txt installed: scripts/test makes a virtualenv
/// and exports `DAVLITE_PYTHON`; without it, `python3` from `PATH`.
fn python() -> String {
    std::env::var("DAVLITE_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

#[test]
fn python_caldav_end_to_end() {
    // Both packages come from scripts/requirements-test.txt; their absence is a setup error.
    let probe = Command::new(python())
        .args(["-c", "import caldav, requests; print(caldav.__version__)"])
        .output();
    match &probe {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "{} cannot import caldav/requests ({}); run scripts/test, which installs \
             scripts/requirements-test.txt and sets DAVLITE_PYTHON",
            python(),
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => panic!("cannot run {} ({e}); run scripts/test", python()),
    }

    let (user, password) = ("pyclient", "pyclient-password-1");
    let dir = tempfile::tempdir().expect("temp data dir");
    let data = dir.path().display().to_string();
    let out = davlite(
        &["user", "add", user, "--password", password, "--data", &data],
        None,
    );
    assert!(
        out.status.success(),
        "user add failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = TestServer::builder().data_dir(dir).start();

    let run = Command::new(python())
        .arg(SCRIPT)
        .arg(server.url("/"))
        .args([user, password])
        .output()
        .expect("run caldav_client.py");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    println!("{stdout}{stderr}");
    assert!(
        run.status.success() && stdout.contains("all checks passed"),
        "caldav_client.py failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}\nserver logs (tail):\n{}",
        run.status,
        tail(&server.logs(), 40)
    );
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// python-caldav's principal calls: `principal()`, `calendar_user_address_set()`,
/// `principals(name=)` / `search_principals()` (principal-property-search), the scheduling
/// inbox and outbox, and `freebusy_request` against another user's real busy time.
#[test]
fn python_caldav_principals_and_free_busy() {
    const PRINCIPALS_SCRIPT: &str =
        concat!(env!("CARGO_MANIFEST_DIR"), "/python/caldav_principals.py");
    let dir = tempfile::tempdir().expect("temp data dir");
    let data = dir.path().display().to_string();
    for (user, pw, email) in [
        ("pyalice", "pyalice-pw", "pyalice@example.com"),
        ("pybob", "pybob-pw", "pybob@example.com"),
    ] {
        let out = davlite(
            &[
                "user",
                "add",
                user,
                "--password",
                pw,
                "--email",
                email,
                "--data",
                &data,
            ],
            None,
        );
        assert!(
            out.status.success(),
            "user add failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let server = TestServer::builder().data_dir(dir).start();
    let put = server
        .anonymous("PUT", "/dav/calendars/pybob/default/busy.ics")
        .basic_auth("pybob", "pybob-pw")
        .header("Content-Type", "text/calendar")
        .body(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:busy\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260302T100000Z\r\nDTEND:20260302T110000Z\r\nSUMMARY:busy\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        )
        .send();
    assert_eq!(put.status, 201, "{}", put.text());

    let run = Command::new(python())
        .arg(PRINCIPALS_SCRIPT)
        .arg(server.url("/"))
        .args([
            "pyalice",
            "pyalice-pw",
            "pybob",
            "pybob@example.com",
            "pybob-pw",
        ])
        .output()
        .expect("run caldav_principals.py");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    println!("{stdout}{stderr}");
    assert!(
        run.status.success() && stdout.contains("all checks passed"),
        "caldav_principals.py failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}\nserver logs (tail):\n{}",
        run.status,
        tail(&server.logs(), 40)
    );
}
