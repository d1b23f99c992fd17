//! Shared helpers for the integration tests: the real `davlite` binary on a free loopback port
//! with a fresh data directory, and a small blocking HTTP/1.1 client.
//!
//! ```no_run
//! let server = davlite_tests::TestServer::start();
//! let resp = server.request("PROPFIND", "/dav/").header("Depth", "0").send();
//! assert_eq!(resp.status, 207);
//! ```
//!
//! The binary is `$DAVLITE_BIN` when set (scripts/test builds the release binary and sets it);
//! otherwise it is built once per test process with `cargo build -p davlite-server --bin davlite`
//! into the same target directory and profile as the running test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

/// How long a server may take to print its address (a debug build hashes a password slowly).
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// Path of the `davlite` binary under test.
pub fn davlite_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("DAVLITE_BIN") {
            return PathBuf::from(p);
        }
        let exe = std::env::current_exe().expect("test executable path");
        // <target>/<profile>/deps/<test binary>
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("test binary inside target/<profile>/deps");
        let target_dir = profile_dir.parent().expect("target directory");
        let profile = profile_dir
            .file_name()
            .and_then(|s| s.to_str())
            .unwrap_or("debug")
            .to_string();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "--quiet",
            "-p",
            "davlite-server",
            "--bin",
            "davlite",
            "--target-dir",
        ])
        .arg(target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
        match profile.as_str() {
            "debug" => {}
            "release" => {
                cmd.arg("--release");
            }
            other => {
                cmd.args(["--profile", other]);
            }
        }
        let status = cmd
            .status()
            .expect("running cargo to build the davlite binary");
        assert!(status.success(), "building the davlite binary failed");
        profile_dir.join(format!("davlite{}", std::env::consts::EXE_SUFFIX))
    })
    .clone()
}

/// Runs a `davlite` command (not `serve`) to completion.
pub fn davlite(args: &[&str], stdin: Option<&str>) -> Output {
    davlite_with_env(args, stdin, &[])
}

/// Runs a `davlite` command with extra environment variables (`DAVLITE_STORE`, ...).
pub fn davlite_with_env(args: &[&str], stdin: Option<&str>, env: &[(String, String)]) -> Output {
    let mut cmd = Command::new(davlite_bin());
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("DAVLITE_DATA")
        .env_remove("DAVLITE_STORE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn davlite");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("wait for davlite")
}

/// Options for starting a server.
#[derive(Default)]
pub struct ServerBuilder {
    args: Vec<String>,
    env: Vec<(String, String)>,
    data: Option<Arc<tempfile::TempDir>>,
    credentials: Option<(String, String)>,
    tls: bool,
}

impl ServerBuilder {
    /// An extra argument to `davlite serve`.
    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }

    /// An environment variable for the server process (`DAVLITE_MAX_BODY_BYTES`, ...).
    pub fn env(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }

    /// The user to log in as when the server will not print one (another node already created
    /// the first user of a shared store).
    pub fn credentials(mut self, user: &str, password: &str) -> Self {
        self.credentials = Some((user.to_string(), password.to_string()));
        self
    }

    /// Keep the store in this PostgreSQL database (`DAVLITE_STORE`) instead of redb; the CLI
    /// helpers of the started server ([`TestServer::davlite`]) use it too.
    pub fn store(self, url: impl Into<String>) -> Self {
        self.env("DAVLITE_STORE", url)
    }

    /// Serve from this directory (prepared with `davlite user add ...`) instead of a fresh one.
    pub fn data_dir(mut self, dir: tempfile::TempDir) -> Self {
        self.data = Some(Arc::new(dir));
        self
    }

    /// Serve HTTPS with this certificate and key (PEM files); the test client then needs TLS.
    pub fn tls(mut self, cert: &Path, key: &Path) -> Self {
        self.tls = true;
        self.arg("--tls-cert")
            .arg(cert.display().to_string())
            .arg("--tls-key")
            .arg(key.display().to_string())
    }

    pub fn start(self) -> TestServer {
        let data = self
            .data
            .unwrap_or_else(|| Arc::new(tempfile::tempdir().expect("temp data dir")));
        let mut cmd = Command::new(davlite_bin());
        cmd.arg("serve")
            .arg("--data")
            .arg(data.path())
            .arg("--listen")
            .arg("127.0.0.1:0")
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env_remove("DAVLITE_DATA")
            .env_remove("DAVLITE_LISTEN")
            .env_remove("DAVLITE_CONFIG")
            .env_remove("DAVLITE_STORE")
            .env("RUST_LOG", "info");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn davlite serve");
        let stdout = Arc::new(Mutex::new(Vec::<String>::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel::<String>();
        let out = child.stdout.take().unwrap();
        let lines = stdout.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line.clone());
                let _ = tx.send(line);
            }
        });
        let err = child.stderr.take().unwrap();
        let log = stderr.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(err);
            let mut line = String::new();
            while r.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                log.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        let mut credentials = self.credentials;
        let mut user = None;
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match rx.recv_timeout(left) {
                Ok(l) => l,
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "davlite serve did not start; stdout: {:?}\nstderr: {}",
                        stdout.lock().unwrap(),
                        stderr.lock().unwrap()
                    );
                }
            };
            if let Some(u) = line.trim().strip_prefix("user:") {
                user = Some(u.trim().to_string());
            }
            if let (Some(p), Some(u)) = (line.trim().strip_prefix("password:"), &user) {
                credentials = Some((u.clone(), p.trim().to_string()));
            }
            if let Some(rest) = line.split("listening on ").nth(1) {
                let url = rest.split_whitespace().next().unwrap();
                let hostport = url.split("://").nth(1).unwrap().trim_end_matches('/');
                break hostport.parse::<SocketAddr>().expect("printed address");
            }
        };
        TestServer {
            child: Some(child),
            addr,
            data,
            credentials,
            stdout,
            stderr,
            tls: self.tls,
            args: self.args,
            env: self.env,
        }
    }
}

/// A running `davlite serve`; killed when dropped.
pub struct TestServer {
    child: Option<Child>,
    pub addr: SocketAddr,
    data: Arc<tempfile::TempDir>,
    credentials: Option<(String, String)>,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
    tls: bool,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl TestServer {
    /// A server with a fresh data directory; its first user's credentials are in [`Self::user`].
    pub fn start() -> TestServer {
        Self::builder().start()
    }

    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// Process id of the running server (for `/proc/<pid>/status` and the like).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("server running").id()
    }

    /// Resident memory of the running server in KiB (`VmRSS` of `/proc/<pid>/status`).
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.pid()).expect("VmRSS of the server")
    }

    /// The user created on first start (or kept across [`Self::restart`]).
    pub fn user(&self) -> &str {
        &self
            .credentials
            .as_ref()
            .expect("first-start credentials")
            .0
    }

    pub fn password(&self) -> &str {
        &self
            .credentials
            .as_ref()
            .expect("first-start credentials")
            .1
    }

    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// `http://127.0.0.1:PORT` + path.
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}://{}{}",
            if self.tls { "https" } else { "http" },
            self.addr,
            path
        )
    }

    /// What the server printed on stdout so far.
    pub fn stdout(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    /// The server's logs (stderr) so far.
    pub fn logs(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// A request with the first user's credentials.
    pub fn request(&self, method: &str, path: &str) -> Request {
        assert!(!self.tls, "use a TLS client for a TLS server");
        Request::new(self.addr, method, path).basic_auth(self.user(), self.password())
    }

    /// A request without credentials.
    pub fn anonymous(&self, method: &str, path: &str) -> Request {
        Request::new(self.addr, method, path)
    }

    /// Runs `davlite ARGS... --data <this server's data dir>`.
    pub fn davlite(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let data = self.data.path().display().to_string();
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--data", &data]);
        let env: Vec<(String, String)> = self
            .env
            .iter()
            .filter(|(k, _)| k == "DAVLITE_STORE")
            .cloned()
            .collect();
        davlite_with_env(&all, stdin, &env)
    }

    /// Adds a user with `davlite user add NAME --password PW`.
    pub fn add_user(&self, name: &str, password: &str) {
        let out = self.davlite(&["user", "add", name, "--password", password], None);
        assert!(
            out.status.success(),
            "user add failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Waits until each `(user, password)` can sign in (at most 10 s): a server on a shared
    /// store learns of users added by another process only when it next polls for them, and
    /// signing in once also creates the user's homes.
    pub fn wait_for_users(&self, users: &[(&str, &str)]) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        for (user, password) in users {
            while self
                .anonymous("PROPFIND", &format!("/dav/calendars/{user}/"))
                .basic_auth(user, password)
                .header("Depth", "0")
                .send()
                .status
                == 401
            {
                assert!(
                    std::time::Instant::now() < deadline,
                    "{user} cannot sign in on the server"
                );
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
    }

    /// Sends SIGTERM without waiting (see [`Self::wait_exit`]).
    pub fn send_sigterm(&self) {
        let child = self.child.as_ref().expect("server running");
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .expect("kill -TERM");
        assert!(status.success());
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(&mut self) -> ExitStatus {
        self.send_sigterm();
        self.wait_exit()
    }

    /// Waits (up to 60 s) for the process to exit after a signal.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("server running");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(s) = child.try_wait().expect("wait") {
                return s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!(
                    "davlite did not exit within 60 s of SIGTERM; logs:\n{}",
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: the process dies at once, mid-request and mid-commit, with no shutdown code run.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            // An error here means it is dead already (see `send_sigkill`).
            let _ = c.kill();
            c.wait().expect("wait after SIGKILL");
        }
    }

    /// Sends SIGKILL without waiting, from any thread (clients may still be talking to it);
    /// [`Self::kill`] then reaps it.
    pub fn send_sigkill(&self) {
        let child = self.child.as_ref().expect("server running");
        let status = Command::new("kill")
            .arg("-KILL")
            .arg(child.id().to_string())
            .status()
            .expect("kill -KILL");
        assert!(status.success());
    }

    /// [`TestServer::restart`] with one environment variable set to another value.
    pub fn restart_with_env(mut self, k: impl Into<String>, v: impl Into<String>) -> TestServer {
        let k = k.into();
        self.env.retain(|(name, _)| *name != k);
        self.env.push((k, v.into()));
        self.restart()
    }

    /// Stops (SIGTERM, unless already stopped or killed) and starts again on the same data directory and settings.
    pub fn restart(mut self) -> TestServer {
        if self.child.is_some() {
            let status = self.terminate();
            assert!(status.success(), "server exited with {status}");
        }
        let builder = ServerBuilder {
            args: std::mem::take(&mut self.args),
            env: std::mem::take(&mut self.env),
            data: Some(self.data.clone()),
            credentials: self.credentials.clone(),
            tls: self.tls,
        };
        builder.start()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `VmRSS` of a process in KiB, `None` when it is gone (or not on Linux).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// An HTTP/1.1 request over a fresh connection (`Connection: close`).
pub struct Request {
    addr: SocketAddr,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    pub fn new(addr: SocketAddr, method: &str, path: &str) -> Request {
        Request {
            addr,
            method: method.into(),
            path: path.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }

    pub fn basic_auth(self, user: &str, password: &str) -> Self {
        let v = format!("Basic {}", base64(format!("{user}:{password}").as_bytes()));
        self.header("Authorization", &v)
    }

    pub fn body(mut self, b: impl Into<Vec<u8>>) -> Self {
        self.body = b.into();
        self
    }

    /// The request's bytes as sent on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.method, self.path, self.addr
        );
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if !self.body.is_empty()
            || matches!(self.method.as_str(), "PUT" | "POST" | "PROPFIND" | "REPORT")
        {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// Sends and reads the whole answer; panics on I/O errors.
    pub fn send(self) -> Response {
        self.try_send()
            .unwrap_or_else(|e| panic!("request failed: {e}"))
    }

    pub fn try_send(self) -> std::io::Result<Response> {
        let mut s = TcpStream::connect(self.addr)?;
        s.set_read_timeout(Some(Duration::from_secs(120)))?;
        s.write_all(&self.to_bytes())?;
        read_response(&mut s)
    }
}

/// A parsed answer.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// First header of that name, case-insensitive.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Reads one response from any stream (plain or TLS): status line, headers, then the body by
/// Content-Length, chunked encoding, or until the connection closes.
pub fn read_response(s: &mut impl Read) -> std::io::Result<Response> {
    let mut r = BufReader::new(s);
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed before a response",
        ));
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("status line"))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').ok_or_else(|| bad("header line"))?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let resp = Response {
        status,
        headers,
        body: Vec::new(),
    };
    let mut body = Vec::new();
    if let Some(n) = resp.header("content-length") {
        let n: usize = n.parse().map_err(|_| bad("content-length"))?;
        body.resize(n, 0);
        r.read_exact(&mut body)?;
    } else if resp
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| bad("chunk size"))?;
            if size == 0 {
                // Trailers until the empty line.
                loop {
                    line.clear();
                    if r.read_line(&mut line)? == 0 || line.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            r.read_exact(&mut body[start..])?;
            line.clear();
            r.read_line(&mut line)?;
        }
    } else if status >= 200 && status != 204 && status != 304 {
        r.read_to_end(&mut body)?;
    }
    Ok(Response { body, ..resp })
}

/// Standard base64 with padding (for Basic credentials).
pub fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(super::base64(i.as_bytes()), o);
        }
    }
}
