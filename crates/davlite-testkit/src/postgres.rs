//! A throwaway PostgreSQL cluster for tests: `initdb` in a fresh directory, the server listening
//! only on a unix socket in that directory (no TCP), trust authentication, `fsync` on. It runs
//! the installed binaries and nothing else, so this crate needs no database client.
//!
//! ```ignore
//! let pg = PgCluster::start();
//! pg.create_database("t1");
//! let url = pg.url_for("t1"); // "host=/tmp/davlite-pg-… user=postgres dbname=t1"
//! ```
//!
//! The server never outlives the test process: it is started under a small shell watchdog (in a
//! session of its own) that polls the test process and, once the process is gone, shuts the
//! server down (immediate mode) and removes the directory. That matters because a cluster kept in a `static LazyLock` is never
//! dropped. Dropping a [`PgCluster`] stops it at once the same way.
//!
//! initdb refuses to run as root; when the tests run as root, every server-side binary runs as
//! the `postgres` user through `runuser`, in a directory handed over to that user.
//!
//! A missing PostgreSQL installation is an error (a panic naming what was looked for), never a
//! silently skipped test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A running PostgreSQL server in a directory of its own; stopped and removed on drop.
pub struct PgCluster {
    bin: PathBuf,
    dir: PathBuf,
    as_postgres: bool,
    watchdog: Option<Child>,
}

impl std::fmt::Debug for PgCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgCluster").field("dir", &self.dir).finish()
    }
}

/// The `bin` directory of the newest PostgreSQL under `/usr/lib/postgresql/*/bin` (Debian's
/// layout), or the directory holding `initdb` on `PATH`.
pub fn find_bin() -> Option<PathBuf> {
    let mut best: Option<(u32, PathBuf)> = None;
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let major: u32 = name
                .split('.')
                .next()
                .and_then(|m| m.parse().ok())
                .unwrap_or(0);
            let bin = e.path().join("bin");
            if bin.join("initdb").is_file()
                && bin.join("postgres").is_file()
                && best.as_ref().is_none_or(|(m, _)| major > *m)
            {
                best = Some((major, bin));
            }
        }
    }
    if let Some((_, bin)) = best {
        return Some(bin);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .find(|d| d.join("initdb").is_file() && d.join("postgres").is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .is_some_and(|s| s.trim() == "0")
}

fn unique_dir() -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    std::env::temp_dir().join(format!(
        "davlite-pg-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

impl PgCluster {
    /// Initialises and starts a cluster; panics with the reason when it cannot (PostgreSQL not
    /// installed, initdb or the server failing, the server not ready within 60 s).
    pub fn start() -> PgCluster {
        let bin = find_bin().unwrap_or_else(|| {
            panic!(
                "PostgreSQL is not installed: no /usr/lib/postgresql/*/bin with initdb and \
                 postgres, and no initdb on PATH (apt-get install postgresql)"
            )
        });
        let as_postgres = is_root();
        let dir = unique_dir();
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let mut cluster = PgCluster {
            bin,
            dir,
            as_postgres,
            watchdog: None,
        };
        if as_postgres {
            let ok = Command::new("chown")
                .arg("postgres:")
                .arg(&cluster.dir)
                .status()
                .is_ok_and(|s| s.success());
            assert!(
                ok,
                "running as root, but cannot hand {} to the postgres user (is there one?)",
                cluster.dir.display()
            );
        }
        let data = cluster.data_dir();
        let out = cluster
            .server_cmd("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C"])
            // Only initdb skips its fsyncs (a crash loses nothing a test cares about); the
            // server runs with fsync on.
            .arg("--no-sync")
            .output()
            .unwrap_or_else(|e| panic!("cannot run initdb: {e}"));
        assert!(
            out.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        cluster.watchdog = Some(cluster.spawn_server());
        cluster.wait_ready();
        cluster
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The directory holding the server's unix socket (the `host` of a connection string).
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    /// A command running `tool` of the server's installation, as the postgres user when the
    /// tests run as root.
    fn server_cmd(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    /// Starts the server under a shell that polls this process: when the test process is gone
    /// (or the server exits), it shuts the server down immediately and removes the directory.
    fn spawn_server(&self) -> Child {
        let script = r#"
            "$PG_BIN/postgres" -D "$PG_DIR/data" -k "$PG_DIR" -c listen_addresses='' \
                -c fsync=on -c max_connections=300 -c shared_buffers=32MB \
                -c log_min_messages=warning -c logging_collector=off \
                >"$PG_DIR/server.log" 2>&1 &
            pg=$!
            while [ -d "/proc/$PG_PARENT" ] && kill -0 "$pg" 2>/dev/null; do sleep 0.5; done
            kill -QUIT "$pg" 2>/dev/null
            wait "$pg"
            rm -rf "$PG_DIR"
        "#;
        // In a session of its own (setsid), so that whatever kills the test's process group
        // when the test ends does not stop the watchdog before it has cleaned up.
        let mut cmd = Command::new("setsid");
        cmd.arg("-w");
        if self.as_postgres {
            cmd.args(["runuser", "-u", "postgres", "--"]);
        }
        cmd.args(["sh", "-c", script]);
        // runuser keeps the environment unless asked for a login shell.
        cmd.env("PG_BIN", &self.bin)
            .env("PG_DIR", &self.dir)
            .env("PG_PARENT", std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd.spawn()
            .unwrap_or_else(|e| panic!("cannot start the PostgreSQL server: {e}"))
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .arg("-h")
                .arg(&self.dir)
                .args(["-U", "postgres", "-d", "postgres", "-q"])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return;
            }
            if let Some(Ok(Some(status))) = self.watchdog.as_mut().map(|c| c.try_wait()) {
                panic!(
                    "the PostgreSQL server exited ({status}) before it was ready; see {}",
                    self.dir.join("server.log").display()
                );
            }
            assert!(
                Instant::now() < deadline,
                "the PostgreSQL server in {} was not ready within 60 s: {}",
                self.dir.display(),
                std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A connection string for the `postgres` database (libpq key=value form, which the Rust
    /// `postgres` crate also reads).
    pub fn url(&self) -> String {
        self.url_for("postgres")
    }

    /// A connection string for database `db`.
    pub fn url_for(&self, db: &str) -> String {
        format!("host={} user=postgres dbname={db}", self.dir.display())
    }

    /// Runs one SQL command in database `db` with psql; panics with psql's message on failure.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .arg("-h")
            .arg(&self.dir)
            .args(["-U", "postgres", "-d", db, "-X", "-q", "-A", "-t"])
            .args(["-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .unwrap_or_else(|e| panic!("cannot run psql: {e}"));
        assert!(
            out.status.success(),
            "psql {sql:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Creates an empty database `name` (from template0).
    pub fn create_database(&self, name: &str) {
        self.psql(
            "postgres",
            &format!("CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'"),
        );
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self
            .server_cmd("pg_ctl")
            .arg("stop")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "immediate", "-w", "-t", "30"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
