//! The web page of `davlite serve`: in a real headless browser (Debian's chromium, driven by
//! chromedriver over WebDriver) the way a person uses it, keyboard included, at desktop and phone
//! sizes with screenshots checked and kept under `<target>/web-screenshots/`; and over plain HTTP
//! the properties a browser cannot show: DAV clients still get DAV, forged and token-less POSTs
//! are refused, cookies carry their attributes, sign-in failures are throttled.
//!
//! The browser tests fail, never skip, when chromium or chromedriver is missing: scripts/test
//! installs both (`DAVLITE_CHROMIUM` / `DAVLITE_CHROMEDRIVER` point elsewhere).

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use davlite_tests::{Request, Response, TestServer};
use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn tool(var: &str, candidates: &[&str]) -> PathBuf {
    if let Some(p) = std::env::var_os(var) {
        return PathBuf::from(p);
    }
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!(
                "the web page's browser test needs {} (set {var}, or install Debian's chromium \
                 and chromium-driver: scripts/test does)",
                candidates.join(" or ")
            )
        })
}

/// chromedriver on a free loopback port with one headless chromium session; both end on drop.
struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
}

impl Browser {
    fn start() -> Browser {
        let chromium = tool(
            "DAVLITE_CHROMIUM",
            &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        );
        let chromedriver = tool(
            "DAVLITE_CHROMEDRIVER",
            &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"],
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", chromedriver.display()));
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut browser = Browser {
            driver,
            addr,
            session: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Request::new(addr, "GET", "/status").try_send().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.display().to_string(),
                // Root (CI) needs --no-sandbox; a fresh profile per session keeps tests apart.
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,800",
                         "--no-first-run", "--hide-scrollbars"]
            }
        }}});
        let v = browser.call("POST", "/session", Some(caps));
        browser.session = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {v}"))
            .to_string();
        browser
    }

    /// One WebDriver command; returns its `value`, panics on an error answer.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let mut req = Request::new(self.addr, method, path)
            .header("Content-Type", "application/json; charset=utf-8");
        if let Some(b) = body {
            req = req.body(b.to_string());
        } else if method == "POST" {
            req = req.body("{}");
        }
        let resp = req.send();
        let v: Value = serde_json::from_slice(&resp.body)
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}: {}", resp.text()));
        assert!(
            resp.status == 200,
            "WebDriver {method} {path} answered {}: {v}",
            resp.status
        );
        v["value"].clone()
    }

    fn s(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    fn goto(&self, url: &str) {
        self.call("POST", &self.s("/url"), Some(json!({ "url": url })));
    }

    fn url(&self) -> String {
        self.call("GET", &self.s("/url"), None)
            .as_str()
            .unwrap()
            .to_string()
    }

    fn source(&self) -> String {
        self.call("GET", &self.s("/source"), None)
            .as_str()
            .unwrap()
            .to_string()
    }

    fn try_find(&self, css: &str) -> Option<String> {
        let v = self.call(
            "POST",
            &self.s("/elements"),
            Some(json!({"using": "css selector", "value": css})),
        );
        v.as_array()?
            .first()
            .and_then(|e| e[ELEMENT].as_str().map(str::to_string))
    }

    /// Waits up to 10 s for an element (pages load and scripts replace them asynchronously).
    fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(e) = self.try_find(css) {
                return e;
            }
            assert!(
                Instant::now() < deadline,
                "no element {css} on {}:\n{}",
                self.url(),
                self.source()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_text(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.source().contains(text) {
            assert!(
                Instant::now() < deadline,
                "{text:?} never appeared on {}:\n{}",
                self.url(),
                self.source()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.call(
            "POST",
            &self.s(&format!("/element/{e}/value")),
            Some(json!({ "text": text })),
        );
    }

    fn click(&self, css: &str) {
        let e = self.find(css);
        self.call("POST", &self.s(&format!("/element/{e}/click")), None);
    }

    fn text(&self, css: &str) -> String {
        let e = self.find(css);
        self.call("GET", &self.s(&format!("/element/{e}/text")), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn property(&self, css: &str, name: &str) -> String {
        let e = self.find(css);
        self.call(
            "GET",
            &self.s(&format!("/element/{e}/property/{name}")),
            None,
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    fn script(&self, js: &str) -> Value {
        self.call(
            "POST",
            &self.s("/execute/sync"),
            Some(json!({"script": js, "args": []})),
        )
    }

    /// Makes the viewport exactly `width` x `height` CSS pixels at scale 1 (a phone: `mobile`).
    fn viewport(&self, width: u32, height: u32, mobile: bool) {
        self.call(
            "POST",
            &self.s("/goog/cdp/execute"),
            Some(
                json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": {
                    "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile
                }}),
            ),
        );
    }

    /// Takes a screenshot, checks it (a PNG of the viewport's size, not one flat colour) and
    /// keeps it for a human under `<target>/web-screenshots/NAME.png`.
    fn screenshot(&self, name: &str, width: u32, height: u32) {
        let v = self.call("GET", &self.s("/screenshot"), None);
        let png = <base64ct::Base64 as base64ct::Encoding>::decode_vec(v.as_str().unwrap())
            .expect("screenshot is base64");
        let decoder = png::Decoder::new(std::io::Cursor::new(&png));
        let mut reader = decoder.read_info().expect("screenshot is a PNG");
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).expect("screenshot decodes");
        assert_eq!(
            (info.width, info.height),
            (width, height),
            "screenshot {name} has the viewport's size"
        );
        let channels = info.color_type.samples();
        let pixels = &buf[..info.buffer_size()];
        let mut colours = std::collections::HashSet::new();
        for px in pixels.chunks(channels) {
            colours.insert(px.to_vec());
            if colours.len() > 32 {
                break;
            }
        }
        assert!(
            colours.len() > 32,
            "screenshot {name} is nearly blank ({} colours)",
            colours.len()
        );
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), &png).unwrap();
    }

    fn cookies(&self) -> Vec<Value> {
        self.call("GET", &self.s("/cookie"), None)
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ =
                Request::new(self.addr, "DELETE", &format!("/session/{}", self.session)).try_send();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// `<target>/web-screenshots`, beside the profile directory holding this test binary.
fn screenshot_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors()
        .nth(3)
        .unwrap_or(Path::new("target"))
        .join("web-screenshots")
}

fn sign_in_with_keyboard(b: &Browser, server: &TestServer) {
    b.goto(&server.url("/"));
    b.find("form[action='/_web/login']");
    b.type_into("#user", server.user());
    // Return in the password field submits the form, as for a person at a keyboard.
    b.type_into("#password", &format!("{}\u{E007}", server.password()));
    b.wait_text("Your calendars and address books");
}

const EVENT: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite//web test//EN\r\n\
BEGIN:VEVENT\r\nUID:web-import-1@example.org\r\nDTSTAMP:20250101T000000Z\r\n\
DTSTART:20250102T100000Z\r\nDTEND:20250102T110000Z\r\nSUMMARY:Imported\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nSUMMARY:no uid and no dtstamp\r\nDTSTART:20250103T100000Z\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

#[test]
fn browser_signs_in_creates_imports_deletes_and_signs_out() {
    let server = TestServer::start();
    let b = Browser::start();
    sign_in_with_keyboard(&b, &server);

    // The list names the default collections with the exact URL to give an app.
    let url = b.property("#url-calendars-default", "value");
    assert_eq!(
        url,
        format!(
            "http://{}/dav/calendars/{}/default/",
            server.addr,
            server.user()
        )
    );
    assert!(b.source().contains("<svg class=\"qr\""), "QR code missing");

    // The session cookie is HttpOnly and SameSite=Strict (not Secure over plain HTTP).
    let cookies = b.cookies();
    let session = cookies
        .iter()
        .find(|c| c["name"] == "davlite_session")
        .unwrap_or_else(|| panic!("no session cookie in {cookies:?}"));
    assert_eq!(session["httpOnly"], true, "{session}");
    assert_eq!(session["sameSite"], "Strict", "{session}");
    assert_eq!(session["path"], "/", "{session}");

    // Create a calendar whose name is markup: it shows as text, and DAV sees it.
    let hostile = "<script>alert(1)</script> Team";
    b.find("#new-dn");
    b.type_into("#new-dn", hostile);
    b.click("form.create button[type=submit]");
    b.wait_text("Created “");
    let name = b
        .text(".coll[data-name^='script'] .dn")
        .replace('\u{a0}', " ");
    assert_eq!(name, hostile, "the display name is shown as text");
    assert_eq!(
        b.script("return document.querySelectorAll('main script').length;"),
        0
    );
    let slug = "script-alert-1-script-team";
    let resp = server
        .request("PROPFIND", &format!("/dav/calendars/{}/{slug}/", server.user()))
        .header("Depth", "0")
        .body("<?xml version=\"1.0\"?><propfind xmlns=\"DAV:\"><prop><displayname/><resourcetype/></prop></propfind>")
        .send();
    assert_eq!(resp.status, 207, "{}", resp.text());
    let text = resp.text();
    assert!(
        text.contains("&lt;script&gt;alert(1)&lt;/script&gt; Team"),
        "{text}"
    );
    assert!(text.contains("calendar"), "{text}");

    // Import a small file into it: one event stored, one refused with the reason.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("two.ics");
    std::fs::write(&file, EVENT).unwrap();
    let card = format!(".coll[data-name='{slug}']");
    b.click(&format!("{card} details:nth-of-type(3) summary"));
    b.type_into(
        &format!("{card} input[type=file]"),
        &file.display().to_string(),
    );
    b.click(&format!("{card} form.import button[type=submit]"));
    b.wait_text("Refused");
    let report = b.text("ul.report");
    assert!(report.contains("1 created"), "{report}");
    assert!(report.contains("1 refused"), "{report}");
    assert!(b.text("table").contains("two.ics"));
    let resp = server
        .request(
            "GET",
            &format!(
                "/dav/calendars/{}/{slug}/web-import-1@example.org.ics",
                server.user()
            ),
        )
        .send();
    assert_eq!(resp.status, 200, "the imported event is served over DAV");

    // Delete it, through the confirmation page.
    b.goto(&server.url("/_web/"));
    b.click(&format!("{card} a.danger"));
    b.wait_text("cannot be undone");
    assert!(b.url().contains("/_web/delete?"));
    b.click("form[action='/_web/delete'] button.danger");
    b.wait_text("Deleted");
    assert!(b.try_find(&card).is_none());
    let resp = server
        .request(
            "PROPFIND",
            &format!("/dav/calendars/{}/{slug}/", server.user()),
        )
        .header("Depth", "0")
        .send();
    assert_eq!(resp.status, 404);

    // Sign out: back to the sign-in form, and the old page needs a new sign-in.
    b.click("form[action='/_web/logout'] button");
    b.find("form[action='/_web/login']");
    b.goto(&server.url("/_web/"));
    b.find("form[action='/_web/login']");
}

#[test]
fn screenshots_of_sign_in_list_and_admin_at_desktop_and_phone_size() {
    let server = TestServer::start();
    let b = Browser::start();
    let no_overflow = "return document.documentElement.scrollWidth <= window.innerWidth;";
    for (label, w, h, mobile) in [("desktop", 1280, 800, false), ("phone", 390, 844, true)] {
        b.viewport(w, h, mobile);
        b.goto(&server.url("/"));
        b.find("#user");
        b.screenshot(&format!("login-{label}"), w, h);
        sign_in_with_keyboard(&b, &server);
        b.screenshot(&format!("list-{label}"), w, h);
        assert_eq!(
            b.script(no_overflow),
            true,
            "list page scrolls sideways at {label}"
        );
        b.click("nav a[href='/_web/admin']");
        b.wait_text("Administration");
        b.find("dl.status");
        assert!(b.text("dl.status").contains(env!("CARGO_PKG_VERSION")));
        b.screenshot(&format!("admin-{label}"), w, h);
        assert_eq!(
            b.script(no_overflow),
            true,
            "admin page scrolls sideways at {label}"
        );
        b.click("form[action='/_web/logout'] button");
        b.find("form[action='/_web/login']");
    }
}

/// Signs in over plain HTTP; returns the session cookie and the page's CSRF token.
fn http_sign_in(server: &TestServer) -> (String, String) {
    http_sign_in_as(server, server.user(), server.password())
}

fn http_sign_in_as(server: &TestServer, user: &str, password: &str) -> (String, String) {
    let page = server
        .anonymous("GET", "/")
        .header("Accept", "text/html")
        .send();
    let login_cookie = cookie_pair(&page, "davlite_login");
    let token = csrf(&page.text());
    let resp = server
        .anonymous("POST", "/_web/login")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Cookie", &login_cookie)
        .body(format!("csrf={token}&user={user}&password={password}"))
        .send();
    assert_eq!(resp.status, 303, "{}", resp.text());
    let session = cookie_pair(&resp, "davlite_session");
    let home = server
        .anonymous("GET", "/_web/")
        .header("Cookie", &session)
        .send();
    assert_eq!(home.status, 200);
    (session, csrf(&home.text()))
}

fn cookie_pair(resp: &Response, name: &str) -> String {
    resp.headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.split(';').next().unwrap().to_string())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {:?}", resp.headers))
}

fn csrf(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a CSRF field")
        .to_string()
}

#[test]
fn dav_clients_keep_getting_dav_and_browsers_get_a_locked_down_page() {
    let server = TestServer::start();
    // No text/html in Accept: the DAV answer, as before.
    for accept in [None, Some("*/*"), Some("text/calendar")] {
        let mut req = server.anonymous("GET", "/");
        if let Some(a) = accept {
            req = req.header("Accept", a);
        }
        assert_eq!(req.send().status, 401, "Accept {accept:?}");
    }
    let propfind = server
        .request("PROPFIND", "/dav/calendars/admin/default/")
        .header("Depth", "0")
        .header("Accept", "text/html")
        .send();
    assert_eq!(propfind.status, 207);
    // A browser: the sign-in page with its security headers.
    for path in ["/", "/dav/calendars/admin/default/"] {
        let page = server
            .anonymous("GET", path)
            .header("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .send();
        assert_eq!(page.status, 200, "{path}");
        assert!(
            page.header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
        let csp = page.header("content-security-policy").unwrap();
        for part in [
            "default-src 'none'",
            "script-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(part), "{csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(page.header("x-frame-options"), Some("DENY"));
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
        let cookie = page.header("set-cookie").unwrap();
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(cookie.contains(attr), "{cookie}");
        }
        assert!(!cookie.contains("Secure"), "no TLS here: {cookie}");
    }
    let (session, _) = http_sign_in(&server);
    let home = server
        .anonymous("GET", "/_web/")
        .header("Cookie", &session)
        .send();
    assert!(home.text().contains("/dav/addressbooks/admin/default/"));
    // The page's assets come from the binary.
    for asset in ["/_web/app.css", "/_web/app.js"] {
        assert_eq!(server.anonymous("GET", asset).send().status, 200, "{asset}");
    }
}

#[test]
fn posts_without_the_token_or_from_another_site_are_refused() {
    let server = TestServer::start();
    let (session, token) = http_sign_in(&server);
    let create = |body: String, extra: &[(&str, &str)]| {
        let mut req = server
            .anonymous("POST", "/_web/create")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Cookie", &session);
        for (k, v) in extra {
            req = req.header(k, v);
        }
        req.body(body).send()
    };
    let exists = |slug: &str| {
        server
            .request("PROPFIND", &format!("/dav/calendars/admin/{slug}/"))
            .header("Depth", "0")
            .send()
            .status
            == 207
    };
    assert_eq!(
        create("kind=calendars&displayname=NoToken".into(), &[]).status,
        403
    );
    assert_eq!(
        create("csrf=0000&kind=calendars&displayname=NoToken".into(), &[]).status,
        403
    );
    assert!(!exists("notoken"));
    let forged = format!("csrf={token}&kind=calendars&displayname=Forged");
    assert_eq!(
        create(forged.clone(), &[("Origin", "https://evil.example")]).status,
        403
    );
    assert_eq!(
        create(forged.clone(), &[("Sec-Fetch-Site", "cross-site")]).status,
        403
    );
    assert!(!exists("forged"));
    // A GET never changes anything.
    let get = server
        .anonymous("GET", "/_web/create?kind=calendars&displayname=ByGet")
        .header("Cookie", &session)
        .send();
    assert_eq!(get.status, 404);
    // With the token, from our own origin: created.
    let origin = format!("http://{}", server.addr);
    let ok = create(
        format!("csrf={token}&kind=calendars&displayname=Fine"),
        &[("Origin", &origin), ("Sec-Fetch-Site", "same-origin")],
    );
    assert_eq!(ok.status, 303);
    assert!(exists("fine"));
    // The sign-in form has its own token: a login POST without it signs nobody in.
    let login = server
        .anonymous("POST", "/_web/login")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("user=admin&password={}", server.password()))
        .send();
    assert_ne!(login.status, 303);
    assert!(
        login
            .header("set-cookie")
            .is_none_or(|c| !c.contains("davlite_session="))
    );
}

#[test]
fn web_sign_in_failures_are_throttled_like_basic_auth() {
    let server = TestServer::builder()
        .env("DAVLITE_AUTH_MAX_FAILURES_PER_USER", "3")
        .start();
    let page = server
        .anonymous("GET", "/")
        .header("Accept", "text/html")
        .send();
    let cookie = cookie_pair(&page, "davlite_login");
    let token = csrf(&page.text());
    let attempt = |password: &str| {
        server
            .anonymous("POST", "/_web/login")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Cookie", &cookie)
            .body(format!("csrf={token}&user=admin&password={password}"))
            .send()
    };
    for _ in 0..3 {
        assert_eq!(attempt("wrong").status, 401);
    }
    let limited = attempt(server.password());
    assert_eq!(limited.status, 429, "{}", limited.text());
    assert!(limited.header("retry-after").is_some());
    // The same pair over Basic auth is throttled too: one counter.
    let basic = server
        .anonymous("PROPFIND", "/dav/")
        .basic_auth("admin", "wrong-again")
        .header("Depth", "0")
        .send();
    assert_eq!(basic.status, 429);
}

/// A form POST of the signed-in session.
fn web_post(server: &TestServer, session: &str, path: &str, body: String) -> Response {
    server
        .anonymous("POST", path)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Cookie", session)
        .body(body)
        .send()
}

#[test]
fn rename_and_recolour_reach_dav() {
    let server = TestServer::start();
    let (session, token) = http_sign_in(&server);
    let resp = web_post(
        &server,
        &session,
        "/_web/update",
        format!(
            "csrf={token}&kind=addressbooks&name=default&displayname=Family+%26+friends&color=%2300aa11"
        ),
    );
    assert_eq!(resp.status, 303);
    let text = server
        .request("PROPFIND", "/dav/addressbooks/admin/default/")
        .header("Depth", "0")
        .body(
            "<?xml version=\"1.0\"?><propfind xmlns=\"DAV:\"><prop><displayname/>\
               <calendar-color xmlns=\"http://apple.com/ns/ical/\"/></prop></propfind>",
        )
        .send()
        .text();
    assert!(text.contains("Family &amp; friends"), "{text}");
    assert!(text.contains("#00aa11"), "{text}");
    let home = server
        .anonymous("GET", "/_web/")
        .header("Cookie", &session)
        .send()
        .text();
    assert!(home.contains("Saved “Family &amp; friends”"), "{home}");
    assert!(home.contains("fill=\"#00aa11\""));
}

#[test]
fn admins_add_reset_limit_and_remove_users_others_cannot() {
    let server = TestServer::start();
    let (session, token) = http_sign_in(&server);
    let added = web_post(
        &server,
        &session,
        "/_web/admin/add",
        format!("csrf={token}&user=carol&quota=5000"),
    );
    assert_eq!(added.status, 200, "{}", added.text());
    let page = added.text();
    let password = page
        .split("id=\"pw\" readonly value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the new password, shown once")
        .to_string();
    assert_eq!(password.len(), 20);
    // Carol logs in over DAV with it, has her homes, and her quota holds.
    let propfind = |pw: &str| {
        Request::new(server.addr, "PROPFIND", "/dav/calendars/carol/default/")
            .basic_auth("carol", pw)
            .header("Depth", "0")
            .send()
            .status
    };
    assert_eq!(propfind(&password), 207);
    let users = std::fs::read_to_string(server.data_dir().join("users.toml")).unwrap();
    assert!(users.contains("quota = 5000"), "{users}");
    assert!(!users.contains(&password));

    // Carol is no admin: her session gets 403 on the admin pages and actions.
    let carol = {
        let page = server
            .anonymous("GET", "/")
            .header("Accept", "text/html")
            .send();
        let resp = server
            .anonymous("POST", "/_web/login")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Cookie", &cookie_pair(&page, "davlite_login"))
            .body(format!(
                "csrf={}&user=carol&password={password}",
                csrf(&page.text())
            ))
            .send();
        cookie_pair(&resp, "davlite_session")
    };
    let carol_home = server
        .anonymous("GET", "/_web/")
        .header("Cookie", &carol)
        .send()
        .text();
    assert!(
        !carol_home.contains("/_web/admin\""),
        "no admin link for carol"
    );
    let carol_token = csrf(&carol_home);
    assert_eq!(
        server
            .anonymous("GET", "/_web/admin")
            .header("Cookie", &carol)
            .send()
            .status,
        403
    );
    assert_eq!(
        web_post(
            &server,
            &carol,
            "/_web/admin/add",
            format!("csrf={carol_token}&user=mallory")
        )
        .status,
        403
    );

    // The admin page lists both users and the status panel.
    let admin_page = server
        .anonymous("GET", "/_web/admin")
        .header("Cookie", &session)
        .send()
        .text();
    assert!(admin_page.contains(">carol<") && admin_page.contains("Uptime"));

    // A reset password replaces the old one and ends carol's web session.
    let reset = web_post(
        &server,
        &session,
        "/_web/admin/passwd",
        format!("csrf={token}&user=carol"),
    );
    assert_eq!(reset.status, 200);
    let new_password = reset
        .text()
        .split("id=\"pw\" readonly value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    assert_ne!(new_password, password);
    assert_eq!(propfind(&password), 401);
    assert_eq!(propfind(&new_password), 207);
    let after = server
        .anonymous("GET", "/_web/")
        .header("Cookie", &carol)
        .send();
    assert!(
        after.text().contains("action=\"/_web/login\""),
        "carol's session ended with her password"
    );

    // Remove, through the confirmation: the login is gone, the data moved aside.
    let unconfirmed = web_post(
        &server,
        &session,
        "/_web/admin/remove",
        format!("csrf={token}&user=carol"),
    );
    assert_eq!(unconfirmed.status, 303);
    assert_eq!(
        propfind(&new_password),
        207,
        "not removed without confirmation"
    );
    let removed = web_post(
        &server,
        &session,
        "/_web/admin/remove",
        format!("csrf={token}&user=carol&confirm=yes"),
    );
    assert_eq!(removed.status, 303);
    assert_eq!(propfind(&new_password), 401);
    let users = std::fs::read_to_string(server.data_dir().join("users.toml")).unwrap();
    assert!(!users.contains("carol"), "{users}");
    // An admin cannot remove themselves.
    web_post(
        &server,
        &session,
        "/_web/admin/remove",
        format!("csrf={token}&user=admin&confirm=yes"),
    );
    assert_ne!(
        server
            .request("PROPFIND", "/dav/")
            .header("Depth", "0")
            .send()
            .status,
        401
    );
}

#[test]
fn admin_flag_is_set_and_cleared_from_the_command_line() {
    let server = TestServer::start();
    let users = || std::fs::read_to_string(server.data_dir().join("users.toml")).unwrap();
    // The first user is an administrator.
    assert!(users().contains("admin = true"), "{}", users());
    let dir = server.data_dir().display().to_string();
    let out = davlite_tests::davlite(
        &[
            "user",
            "add",
            "dave",
            "--password",
            "pw-dave",
            "--admin",
            "--data",
            &dir,
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(users().matches("admin = true").count(), 2, "{}", users());
    let out = davlite_tests::davlite(&["user", "set", "dave", "--no-admin", "--data", &dir], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(users().matches("admin = true").count(), 1, "{}", users());
}

/// A calendar another user shares appears on the sharee's page under the name their apps see,
/// marked with its owner and read-only, without an import form; it downloads, and "Leave"
/// ends the share while the owner's data stays.
#[test]
fn shared_calendars_are_listed_downloaded_and_left() {
    let server = TestServer::start();
    let out = server.davlite(&["user", "add", "bob", "--password", "bob-pw"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.wait_for_users(&[("bob", "bob-pw")]);
    let owner = server.user().to_string();
    let team = format!("/dav/calendars/{owner}/team/");
    assert_eq!(server.request("MKCALENDAR", &team).send().status, 201);
    let ev = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:w1\r\n\
              DTSTAMP:20260101T000000Z\r\nDTSTART:20260301T100000Z\r\nSUMMARY:Standup\r\n\
              END:VEVENT\r\nEND:VCALENDAR\r\n";
    let put = server
        .request("PUT", &format!("{team}w1.ics"))
        .header("Content-Type", "text/calendar")
        .body(ev.as_bytes().to_vec())
        .send();
    assert_eq!(put.status, 201);
    let share = server
        .request("POST", &team)
        .header("Content-Type", "application/xml")
        .body(
            "<CS:share xmlns:D=\"DAV:\" xmlns:CS=\"http://calendarserver.org/ns/\"><CS:set>\
             <D:href>/dav/principals/bob/</D:href><CS:read/></CS:set></CS:share>"
                .as_bytes()
                .to_vec(),
        )
        .send();
    assert_eq!(share.status, 200, "{}", share.text());

    let (session, token) = http_sign_in_as(&server, "bob", "bob-pw");
    let page = |s: &str| server.anonymous("GET", s).header("Cookie", &session).send();
    let home = page("/_web/").text();
    let name = format!("team~{owner}");
    let at = home
        .find(&format!("data-name=\"{name}\""))
        .unwrap_or_else(|| panic!("shared calendar not listed: {home}"));
    let card = &home[at..at + home[at..].find("</article>").unwrap()];
    assert!(
        card.contains(&format!("shared by {owner}, read-only")),
        "{card}"
    );
    assert!(
        card.contains(&format!("/dav/calendars/bob/{name}/")),
        "{card}"
    );
    assert!(!card.contains("action=\"/_web/import\""), "{card}");
    assert!(card.contains("Leave…"), "{card}");
    let export = page(&format!("/_web/export?kind=calendars&name={name}"));
    assert_eq!(export.status, 200);
    assert!(
        export.text().contains("SUMMARY:Standup"),
        "{}",
        export.text()
    );
    // Another user's collection by a forged name is not there.
    assert_eq!(
        page(&format!("/_web/export?kind=calendars&name=default~{owner}")).status,
        404
    );
    assert!(
        page(&format!("/_web/delete?kind=calendars&name={name}"))
            .text()
            .contains("Leave")
    );
    let left = web_post(
        &server,
        &session,
        "/_web/delete",
        format!("csrf={token}&kind=calendars&name={name}&confirm=yes"),
    );
    assert_eq!(left.status, 303);
    let home = page("/_web/").text();
    assert!(home.contains(&format!("Left {name}.")), "{home}");
    assert!(!home.contains(&format!("data-name=\"{name}\"")), "{home}");
    assert_eq!(
        server
            .request("GET", &format!("{team}w1.ics"))
            .send()
            .status,
        200
    );
}
