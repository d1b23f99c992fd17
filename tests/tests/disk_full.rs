//! A full disk: the server answers 507 with `DAV:sufficient-disk-space` (RFC 4331 §6), never
//! 500, and loses nothing. The store keeps a free-space reserve (`min_free_bytes`) so that
//! writes are refused before the disk is actually full and deletions still work; when the disk
//! fills up anyway (no reserve), the I/O error is a 507 as well, the failed write was never
//! acknowledged, and the store reopens itself once there is room again.
//!
//! Each test mounts its own small tmpfs (this needs root, as CI runs; anything else is a setup
//! error, not a skip).

use std::path::Path;
use std::process::Command;

use davlite_tests::{Response, TestServer};

/// A tmpfs of a fixed size, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "the disk-full tests mount a tmpfs and need root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// An event of about `kb` KiB (padding in an X- property, folded lines).
fn event(uid: &str, kb: usize) -> String {
    let mut s = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240105T100000Z\r\nSUMMARY:{uid}\r\n"
    );
    for i in 0..(kb * 1024 / 72) {
        s.push_str(&format!("X-PAD-{i:05}:{}\r\n", "p".repeat(60)));
    }
    s.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    s
}

fn put(server: &TestServer, path: &str, body: &str) -> Response {
    server
        .request("PUT", path)
        .header("Content-Type", "text/calendar")
        .body(body.to_string())
        .send()
}

/// Fills the calendar until the server refuses; returns what was acknowledged and the refusal.
fn fill(server: &TestServer, cal: &str, kb: usize) -> (Vec<(String, String, String)>, Response) {
    let mut acked = Vec::new();
    for i in 0..2000 {
        let name = format!("{cal}fill-{i}.ics");
        let body = event(&format!("fill-{i}"), kb);
        let r = put(server, &name, &body);
        match r.status {
            201 => acked.push((name, body, r.header("ETag").unwrap().to_string())),
            _ => return (acked, r),
        }
    }
    panic!("the disk never filled up");
}

fn assert_all_there(server: &TestServer, acked: &[(String, String, String)]) {
    for (name, body, etag) in acked {
        let r = server.request("GET", name).send();
        assert_eq!(r.status, 200, "{name} lost");
        assert!(r.body == body.as_bytes(), "{name} changed");
        assert_eq!(r.header("ETag"), Some(etag.as_str()), "{name}");
    }
}

#[test]
fn below_the_reserve_writes_get_507_deletes_still_work_and_nothing_is_lost() {
    let fs = Tmpfs::mount("12m");
    let server = TestServer::builder()
        .data_dir(tempfile::tempdir_in(fs.path()).unwrap())
        .env("DAVLITE_MIN_FREE_BYTES", (3 << 20).to_string())
        .start();
    let cal = format!("/dav/calendars/{}/default/", server.user());
    let (acked, refusal) = fill(&server, &cal, 100);
    assert_eq!(refusal.status, 507, "{}", refusal.text());
    assert!(
        refusal.text().contains("sufficient-disk-space"),
        "{}",
        refusal.text()
    );
    assert!(
        acked.len() >= 20,
        "only {} writes before the reserve",
        acked.len()
    );
    // Refused again, the same way, and the refusals changed nothing.
    let again = put(&server, &format!("{cal}late.ics"), &event("late", 100));
    assert_eq!(again.status, 507);
    assert_all_there(&server, &acked);
    // Deletions still go through (they use the reserve).
    for (name, _, _) in &acked[..10] {
        let r = server.request("DELETE", name).send();
        assert_eq!(r.status, 204, "{name}: {}", r.text());
        assert_eq!(server.request("GET", name).send().status, 404);
    }
    // All of it survives a restart, and the store verifies clean.
    let mut server = server.restart();
    assert_all_there(&server, &acked[10..]);
    server.terminate();
    let out = server.davlite(&["verify"], None);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_disk_that_really_fills_up_answers_507_and_recovers_when_space_returns() {
    let fs = Tmpfs::mount("10m");
    // Something else on the same file system, to be removed later.
    let ballast = fs.path().join("ballast");
    std::fs::write(&ballast, vec![0u8; 3 << 20]).unwrap();
    let server = TestServer::builder()
        .data_dir(tempfile::tempdir_in(fs.path()).unwrap())
        .env("DAVLITE_MIN_FREE_BYTES", "0")
        .start();
    let cal = format!("/dav/calendars/{}/default/", server.user());
    let (acked, refusal) = fill(&server, &cal, 100);
    assert_eq!(refusal.status, 507, "{}", refusal.text());
    assert!(
        refusal.text().contains("sufficient-disk-space"),
        "{}",
        refusal.text()
    );
    assert!(!acked.is_empty());
    // Space comes back: the server serves reads and writes again without a restart.
    std::fs::remove_file(&ballast).unwrap();
    let mut ok = None;
    for i in 0..20 {
        let r = put(
            &server,
            &format!("{cal}after-{i}.ics"),
            &event(&format!("after-{i}"), 2),
        );
        if r.status == 201 {
            ok = Some(i);
            break;
        }
        assert!(matches!(r.status, 500 | 507), "{}: {}", r.status, r.text());
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(ok.is_some(), "writes did not resume once the disk had room");
    assert_all_there(&server, &acked);
    let server = server.restart();
    assert_all_there(&server, &acked);
}
