//! `davlite sync` against real servers on loopback: davlite serve (also behind an alias and a
//! rewriting reverse proxy written here, replaying seed 000), Radicale and Xandikos from PyPI.
//! Guards: both sides hold the same items after a run, no UID twice, no edit lost without a
//! conflict record, a second run writes nothing, and a sync killed at any point converges.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use davlite_formats::ParsedObject;
use davlite_store::{CollectionKind, Limits, NewCollection, Options, Precondition, Store};
use davlite_testkit::Rng;
use davlite_tests::{Request, Response, TestServer, davlite_bin};

// ----- items -----

fn event(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite//sync test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn card(uid: &str, name: &str) -> String {
    format!("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\nEND:VCARD\r\n")
}

/// The SUMMARY (or FN) of an item's bytes.
fn summary_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .find_map(|l| l.strip_prefix("SUMMARY:").or_else(|| l.strip_prefix("FN:")))
        .unwrap_or("")
        .trim()
        .to_string()
}

fn uid_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .find_map(|l| l.strip_prefix("UID:"))
        .unwrap_or("")
        .trim()
        .to_string()
}

// ----- the local side -----

/// A local data directory synced with `davlite sync`.
struct Local {
    dir: tempfile::TempDir,
    user: String,
}

impl Local {
    fn new(user: &str) -> Local {
        Local {
            dir: tempfile::tempdir().unwrap(),
            user: user.to_string(),
        }
    }

    fn data(&self) -> &Path {
        self.dir.path()
    }

    fn store(&self) -> Store {
        Store::open(self.data().join("davlite.redb"), Options::default()).expect("open local store")
    }

    fn cal(&self, name: &str) -> String {
        format!("calendars/{}/{name}", self.user)
    }

    fn command(&self, url: &str, password: &str, extra: &[&str]) -> Command {
        let mut cmd = Command::new(davlite_bin());
        cmd.arg("sync")
            .arg("--data")
            .arg(self.data())
            .args([
                "--url",
                url,
                "--user",
                &self.user,
                "--password-stdin",
                "--json",
            ])
            .args(extra)
            .env_remove("DAVLITE_STORE")
            .env_remove("DAVLITE_DATA")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let _ = password;
        cmd
    }

    fn spawn(&self, url: &str, password: &str, extra: &[&str]) -> Child {
        let mut child = self
            .command(url, password, extra)
            .spawn()
            .expect("spawn davlite sync");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
        child
    }

    /// Runs `davlite sync --json`, asserts it succeeded, returns the summary.
    fn sync(&self, url: &str, password: &str, extra: &[&str]) -> serde_json::Value {
        let out = self.spawn(url, password, extra).wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "davlite sync failed: {}\nstdout: {stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("summary {stdout:?}: {e}"))
    }

    fn put(&self, coll: &str, name: &str, body: &str) {
        let store = self.store();
        let obj = if coll.starts_with("addressbooks/") {
            ParsedObject::vcard(body.as_bytes().to_vec())
        } else {
            ParsedObject::calendar(body.as_bytes().to_vec())
        }
        .unwrap();
        store.put(coll, name, obj, Precondition::None).unwrap();
    }

    /// UID -> bytes of a local collection (panics on a UID twice).
    fn items(&self, coll: &str) -> BTreeMap<String, Vec<u8>> {
        let store = self.store();
        let reader = store.read().unwrap();
        let mut out = BTreeMap::new();
        for (name, _) in reader.list(coll).unwrap_or_default() {
            let (_, bytes) = reader.get(coll, &name).unwrap().unwrap();
            let uid = uid_of(&bytes);
            assert!(
                out.insert(uid.clone(), bytes).is_none(),
                "UID {uid} twice in {coll}"
            );
        }
        out
    }

    fn seq(&self, coll: &str) -> u64 {
        self.store().collection(coll).unwrap().unwrap().seq
    }
}

// ----- the remote side, over plain HTTP -----

#[derive(Clone)]
struct Remote {
    addr: SocketAddr,
    user: String,
    password: String,
}

impl Remote {
    fn of(server: &TestServer) -> Remote {
        Remote {
            addr: server.addr,
            user: server.user().to_string(),
            password: server.password().to_string(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn req(&self, method: &str, path: &str) -> Request {
        Request::new(self.addr, method, path).basic_auth(&self.user, &self.password)
    }

    fn put(&self, path: &str, body: &str) -> Response {
        let ctype = if body.starts_with("BEGIN:VCARD") {
            "text/vcard"
        } else {
            "text/calendar"
        };
        let r = self
            .req("PUT", path)
            .header("Content-Type", ctype)
            .body(body.as_bytes().to_vec())
            .send();
        assert!(
            (200..300).contains(&r.status),
            "PUT {path}: {} {}",
            r.status,
            r.text()
        );
        r
    }

    fn delete(&self, path: &str) {
        let r = self.req("DELETE", path).send();
        assert!(
            (200..300).contains(&r.status),
            "DELETE {path}: {}",
            r.status
        );
    }

    /// Hrefs (as sent) of the members of a collection.
    fn hrefs(&self, coll: &str) -> Vec<String> {
        let r = self
            .req("PROPFIND", coll)
            .header("Depth", "1")
            .header("Content-Type", "application/xml")
            .body(
                r#"<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>"#,
            )
            .send();
        assert_eq!(r.status, 207, "PROPFIND {coll}: {}", r.text());
        let text = r.text();
        let mut out = Vec::new();
        for seg in text.split("href>").skip(1) {
            if seg.starts_with('<') {
                continue;
            }
            let Some(h) = seg.split("</").next() else {
                continue;
            };
            let path = match h.find("://") {
                Some(i) => h[i + 3..]
                    .find('/')
                    .map(|j| h[i + 3 + j..].to_string())
                    .unwrap_or_default(),
                None => h.to_string(),
            };
            if !path.ends_with('/') {
                out.push(path);
            }
        }
        out
    }

    /// UID -> bytes of a remote collection (panics on a UID twice).
    fn items(&self, coll: &str) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        for h in self.hrefs(coll) {
            let r = self.req("GET", &h).send();
            assert_eq!(r.status, 200, "GET {h}");
            let uid = uid_of(&r.body);
            assert!(
                out.insert(uid.clone(), r.body).is_none(),
                "UID {uid} twice on the server in {coll}"
            );
        }
        out
    }

    fn sync_token(&self, coll: &str) -> String {
        let r = self
            .req("PROPFIND", coll)
            .header("Depth", "0")
            .header("Content-Type", "application/xml")
            .body(r#"<?xml version="1.0"?><propfind xmlns="DAV:"><prop><sync-token/></prop></propfind>"#)
            .send();
        let t = r.text();
        let start = t.find("sync-token>").expect("sync-token") + "sync-token>".len();
        t[start..].split("</").next().unwrap().to_string()
    }
}

fn counts(s: &serde_json::Value) -> [u64; 6] {
    [
        s["fetched"].as_u64().unwrap(),
        s["deleted_local"].as_u64().unwrap(),
        s["pushed"].as_u64().unwrap(),
        s["deleted_remote"].as_u64().unwrap(),
        s["conflicts"].as_u64().unwrap(),
        s["errors"].as_array().unwrap().len() as u64,
    ]
}

fn assert_no_writes(s: &serde_json::Value) {
    assert_eq!(
        counts(s),
        [0; 6],
        "a run without changes did something: {s}"
    );
}

fn davlite_remote() -> (TestServer, Remote, String) {
    let server = TestServer::start();
    let remote = Remote::of(&server);
    let coll = format!("/dav/calendars/{}/default/", remote.user);
    (server, remote, coll)
}

/// Both sides hold the same items, byte for byte.
fn assert_same(local: &Local, lcoll: &str, remote: &Remote, rcoll: &str) {
    let l = local.items(lcoll);
    let r = remote.items(rcoll);
    assert_eq!(
        l.keys().collect::<Vec<_>>(),
        r.keys().collect::<Vec<_>>(),
        "local and remote hold different UIDs"
    );
    for (uid, lb) in &l {
        assert_eq!(
            String::from_utf8_lossy(lb),
            String::from_utf8_lossy(&r[uid]),
            "item {uid} differs"
        );
    }
}

// ----- tests -----

#[test]
fn sync_both_ways_then_a_second_run_writes_nothing() {
    let (_server, remote, coll) = davlite_remote();
    remote.put(&format!("{coll}r1.ics"), &event("r1", "remote one"));
    remote.put(&format!("{coll}r2.ics"), &event("r2", "remote two"));
    let card_home = format!("/dav/addressbooks/{}/default/", remote.user);
    remote.put(&format!("{card_home}c1.vcf"), &card("c1", "Carol"));
    let local = Local::new(&remote.user);
    // The local user exists before the first sync, with an item of its own.
    local.sync(&remote.url("/"), &remote.password, &[]);
    local.put(&local.cal("default"), "l1.ics", &event("l1", "local one"));

    let s = local.sync(&remote.url("/"), &remote.password, &[]);
    assert_eq!(s["pushed"], 1, "{s}");
    assert_same(&local, &local.cal("default"), &remote, &coll);
    assert_eq!(local.items(&local.cal("default")).len(), 3);
    assert_eq!(
        local
            .items(&format!("addressbooks/{}/default", remote.user))
            .len(),
        1
    );

    let token = remote.sync_token(&coll);
    let seq = local.seq(&local.cal("default"));
    let s = local.sync(&remote.url("/"), &remote.password, &[]);
    assert_no_writes(&s);
    assert_eq!(
        remote.sync_token(&coll),
        token,
        "the second run wrote to the server"
    );
    assert_eq!(
        local.seq(&local.cal("default")),
        seq,
        "the second run wrote locally"
    );

    // Deletions and updates travel both ways too.
    remote.delete(&format!("{coll}r1.ics"));
    local.put(
        &local.cal("default"),
        "r2.ics",
        &event("r2", "remote two, edited here"),
    );
    let s = local.sync(&remote.url("/"), &remote.password, &[]);
    assert_eq!(
        (s["deleted_local"].as_u64(), s["pushed"].as_u64()),
        (Some(1), Some(1)),
        "{s}"
    );
    assert_same(&local, &local.cal("default"), &remote, &coll);
    let store = local.store();
    store
        .delete(&local.cal("default"), "l1.ics", Precondition::None)
        .unwrap();
    drop(store);
    let s = local.sync(&remote.url("/"), &remote.password, &[]);
    assert_eq!(s["deleted_remote"], 1, "{s}");
    assert_same(&local, &local.cal("default"), &remote, &coll);
    assert_eq!(remote.items(&coll).keys().collect::<Vec<_>>(), vec!["r2"]);
    assert_no_writes(&local.sync(&remote.url("/"), &remote.password, &[]));

    // The synced store is an ordinary one: a file imported into it is pushed by the next run.
    let file = local.data().join("more.ics");
    std::fs::write(&file, event("i1", "imported")).unwrap();
    let out = Command::new(davlite_bin())
        .args(["import", "--data"])
        .arg(local.data())
        .args(["--user", &local.user, "--collection", "default"])
        .arg(&file)
        .env_remove("DAVLITE_STORE")
        .env_remove("DAVLITE_DATA")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = local.sync(&remote.url("/"), &remote.password, &[]);
    assert_eq!(s["pushed"], 1, "{s}");
    assert!(remote.items(&coll).contains_key("i1"));
}

/// Stores synced by davlite before the sync state became one property per item hold it as
/// three (`href`, `etag`, `base`): read as before (nothing is fetched or pushed again), and
/// replaced by the one property when an item's state is next written.
#[test]
fn sync_reads_the_three_property_state_of_earlier_stores() {
    use davlite_sync::state::ItemState;
    let (_server, remote, coll) = davlite_remote();
    remote.put(&format!("{coll}r1.ics"), &event("r1", "remote one"));
    remote.put(&format!("{coll}r2.ics"), &event("r2", "remote two"));
    let local = Local::new(&remote.user);
    let s = local.sync(&remote.url("/"), &remote.password, &[]);
    assert_eq!(s["fetched"], 2, "{s}");
    let cal = local.cal("default");
    let key = |k: &str| format!("{{urn:davlite:sync}}{k}");
    let store = local.store();
    for (name, _) in store.read().unwrap().list(&cal).unwrap() {
        let props = store.read().unwrap().object_props(&cal, &name).unwrap();
        let st = ItemState::read(&props).expect("synced item has a state");
        let old_form = vec![
            (key("item"), None),
            (key("href"), Some(st.href.into_bytes())),
            (key("etag"), Some(st.etag.into_bytes())),
            (key("base"), Some(st.base.to_string().into_bytes())),
        ];
        store
            .update_object_props(&cal, &name, old_form, Precondition::None)
            .unwrap();
    }
    drop(store);
    assert_no_writes(&local.sync(&remote.url("/"), &remote.password, &[]));

    // Changed on either side, each travels once, without a conflict.
    remote.put(
        &format!("{coll}r1.ics"),
        &event("r1", "remote one, edited there"),
    );
    local.put(&cal, "r2.ics", &event("r2", "remote two, edited here"));
    let s = local.sync(&remote.url("/"), &remote.password, &[]);
    assert_eq!(counts(&s), [1, 0, 1, 0, 0, 0], "{s}");
    assert_same(&local, &cal, &remote, &coll);
    let store = local.store();
    for name in ["r1.ics", "r2.ics"] {
        let props = store.read().unwrap().object_props(&cal, name).unwrap();
        let mut keys: Vec<&String> = props.keys().collect();
        keys.sort();
        assert_eq!(keys, vec![&key("item")], "{name}: the old form is replaced");
    }
    drop(store);
    assert_no_writes(&local.sync(&remote.url("/"), &remote.password, &[]));
}

/// A collection's name and colour travel both ways: set on the server they arrive here, changed
/// here they reach the server, changed there they come back, and a run with nothing changed
/// writes neither side.
#[test]
fn sync_collection_names_and_colours_travel_both_ways() {
    let (server, remote, coll) = davlite_remote();
    let proppatch = |body: &str| {
        let r = remote
            .req("PROPPATCH", &coll)
            .header("Content-Type", "application/xml")
            .body(format!(
                r#"<D:propertyupdate xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/"><D:set><D:prop>{body}</D:prop></D:set></D:propertyupdate>"#
            ))
            .send();
        assert_eq!(r.status, 207, "{}", r.text());
    };
    let remote_props = || {
        remote
            .req("PROPFIND", &coll)
            .header("Depth", "0")
            .body(
                r#"<D:propfind xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/"><D:prop><D:displayname/><A:calendar-color/></D:prop></D:propfind>"#,
            )
            .send()
            .text()
    };
    proppatch("<D:displayname>Work</D:displayname><A:calendar-color>#112233FF</A:calendar-color>");
    let local = Local::new(&remote.user);
    let lcoll = local.cal("default");
    let local_prop = |clark: &str| {
        let c = local.store().collection(&lcoll).unwrap().unwrap();
        c.props
            .get(clark)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default()
    };
    local.sync(&remote.url("/"), &remote.password, &[]);
    assert!(local_prop("{DAV:}displayname").contains(">Work<"));
    assert!(local_prop("{http://apple.com/ns/ical/}calendar-color").contains("#112233FF"));

    // Renamed here: the server gets the new name, the colour stays.
    local
        .store()
        .update_collection(
            &lcoll,
            vec![(
                "{DAV:}displayname".into(),
                Some(br#"<D:displayname xmlns:D="DAV:">Work (laptop)</D:displayname>"#.to_vec()),
            )],
            None,
        )
        .unwrap();
    let s = local.sync(&remote.url("/"), &remote.password, &[]);
    assert_eq!(s["errors"].as_array().map(Vec::len), Some(0), "{s}");
    let t = remote_props();
    assert!(
        t.contains("Work (laptop)") && t.contains("#112233FF"),
        "{t}"
    );
    assert!(local_prop("{DAV:}displayname").contains("Work (laptop)"));

    // Renamed there: it comes back.
    proppatch("<D:displayname>Office</D:displayname>");
    local.sync(&remote.url("/"), &remote.password, &[]);
    assert!(local_prop("{DAV:}displayname").contains(">Office<"));
    assert!(remote_props().contains("Office"));

    // Nothing changed: neither side is written (no PROPPATCH reaches the server).
    let rules = Arc::new(Rules::default());
    let (proxy, _stop) = start_proxy(server.addr, rules.clone());
    let before = local.store().collection(&lcoll).unwrap().unwrap().props;
    assert_no_writes(&local.sync(&format!("http://{proxy}/"), &remote.password, &[]));
    let seen = rules.seen.lock().unwrap().clone();
    assert!(!seen.is_empty());
    assert!(
        seen.iter().all(|m| m != "PROPPATCH" && m != "PUT"),
        "{seen:?}"
    );
    assert_eq!(
        local.store().collection(&lcoll).unwrap().unwrap().props,
        before
    );
}

impl Local {
    /// A local calendar or address book (by `top`: "calendars" / "addressbooks") made by the
    /// app, never synced, with a display name.
    fn make(&self, top: &str, name: &str, displayname: &str) -> String {
        let path = format!("{top}/{}/{name}", self.user);
        let calendar = top == "calendars";
        let xml = format!(
            r#"<D:displayname xmlns:D="DAV:">{}</D:displayname>"#,
            displayname.replace('&', "&amp;")
        );
        self.store()
            .create_collection(
                &path,
                NewCollection {
                    kind: if calendar {
                        CollectionKind::Calendar
                    } else {
                        CollectionKind::AddressBook
                    },
                    owner: self.user.clone(),
                    limits: Limits {
                        components: if calendar {
                            davlite_formats::ComponentSet::ALL_CALENDAR
                        } else {
                            davlite_formats::ComponentSet::NONE
                        },
                        ..Limits::default()
                    },
                    props: vec![("{DAV:}displayname".into(), xml.into_bytes())],
                },
            )
            .unwrap();
        path
    }
}

#[test]
fn sync_creates_missing_remote_collections_only_on_request() {
    let (_server, remote, _) = davlite_remote();
    let local = Local::new(&remote.user);
    local.sync(&remote.url("/"), &remote.password, &[]);
    let travel = local.make("calendars", "travel", "Travel & trips");
    local.put(&travel, "t1.ics", &event("t1", "flight"));
    local.put(&travel, "t2.ics", &event("t2", "hotel"));
    let friends = local.make("addressbooks", "friends", "Friends");
    local.put(&friends, "f1.vcf", &card("f1", "Frank"));
    let rtravel = format!("/dav/calendars/{}/travel/", remote.user);
    let rfriends = format!("/dav/addressbooks/{}/friends/", remote.user);
    let exists = |path: &str| {
        remote
            .req("PROPFIND", path)
            .header("Depth", "0")
            .body(Vec::new())
            .send()
            .status
            == 207
    };

    // Without the flag a sync never adds collections to the account.
    let s = local.sync(&remote.url("/"), &remote.password, &[]);
    assert_eq!(s["created_remote"], 0, "{s}");
    assert!(!exists(&rtravel) && !exists(&rfriends));

    let s = local.sync(&remote.url("/"), &remote.password, &["--create-remote"]);
    assert_eq!(
        (s["created_remote"].as_u64(), s["pushed"].as_u64()),
        (Some(2), Some(3)),
        "{s}"
    );
    assert_eq!(s["errors"].as_array().map(Vec::len), Some(0), "{s}");
    assert_same(&local, &travel, &remote, &rtravel);
    assert_eq!(remote.items(&rfriends).len(), 1);
    let name = remote
        .req("PROPFIND", &rtravel)
        .header("Depth", "0")
        .body(r#"<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:propfind>"#)
        .send()
        .text();
    assert!(name.contains("Travel &amp; trips"), "{name}");
    let s = local.sync(&remote.url("/"), &remote.password, &["--create-remote"]);
    assert_no_writes(&s);
    assert_eq!(s["created_remote"], 0, "{s}");

    // Deleted on the server after it was synced: that was someone's decision, not undone.
    remote.delete(&rtravel);
    let s = local.sync(&remote.url("/"), &remote.password, &["--create-remote"]);
    assert_eq!(s["created_remote"], 0, "{s}");
    assert!(!exists(&rtravel));
}

// ----- a rewriting reverse proxy -----

/// What the proxy does to traffic.
#[derive(Default)]
struct Rules {
    /// Request path prefixes rewritten (`/caldav/` -> `/caldav.php/`), as a NAS does.
    prefix: Option<(String, String)>,
    /// Rewrite PUT bodies (a new PRODID, an added property) and drop the ETag of PUT answers.
    rewrite_puts: bool,
    /// Leave out of listings (PROPFIND and REPORT answers) every `<response>` containing this.
    hide: Mutex<Option<String>>,
    /// Cut the answers of these requests (a method, a label of `seen`, or a REPORT's kind such
    /// as `multiget`) halfway through (headers and body), after the server has acted on them:
    /// a connection dropped mid-answer.
    cut: Mutex<Vec<String>>,
    /// Answer this many of the next PUTs 503 with `Retry-After: 1`, without passing them on.
    busy_puts: AtomicUsize,
    /// Answer every sync-collection REPORT 501, as a server without RFC 6578 does.
    no_sync: bool,
    /// Answer 400 to a sync-collection REPORT that asks for the members' bodies.
    refuse_listed_bodies: bool,
    /// Take the bodies out of what a sync-collection REPORT asks for, so the server answers
    /// without them (as one that does not list bodies answers 404 for the property).
    strip_listed_bodies: bool,
    /// The method of every request seen, in order; a REPORT as `REPORT <what>`
    /// ([`report_kind`]).
    seen: Mutex<Vec<String>>,
}

fn start_proxy(upstream: SocketAddr, rules: Arc<Rules>) -> (SocketAddr, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            if stop2.load(Ordering::Relaxed) {
                break;
            }
            let Ok(conn) = conn else { continue };
            let rules = rules.clone();
            std::thread::spawn(move || {
                let _ = proxy_conn(conn, upstream, &rules);
            });
        }
    });
    (addr, stop)
}

/// What a REPORT body asks: `multiget`, `sync-collection`, `sync-collection with bodies`, or
/// `other`.
fn report_kind(body: &[u8]) -> &'static str {
    let text = String::from_utf8_lossy(body);
    let data = text.contains("calendar-data") || text.contains("address-data");
    if text.contains("multiget") {
        "multiget"
    } else if text.contains("sync-collection") {
        if data {
            "sync-collection with bodies"
        } else {
            "sync-collection"
        }
    } else {
        "other"
    }
}

/// `text` without its empty `calendar-data` and `address-data` elements.
fn strip_data_props(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('<') {
        let end = rest[i..].find('>').map_or(rest.len(), |j| i + j + 1);
        let tag = &rest[i..end];
        out.push_str(&rest[..i]);
        if !(tag.ends_with("/>") && (tag.contains("calendar-data") || tag.contains("address-data")))
        {
            out.push_str(tag);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn proxy_conn(conn: TcpStream, upstream: SocketAddr, rules: &Rules) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut out = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let mut path = parts.next().unwrap_or("/").to_string();
        let mut headers = Vec::new();
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim_end().to_string();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                } else if !k.eq_ignore_ascii_case("connection") && !k.eq_ignore_ascii_case("host") {
                    headers.push(h.clone());
                }
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body)?;
        let label = match method.as_str() {
            "REPORT" => format!("REPORT {}", report_kind(&body)),
            _ => method.clone(),
        };
        rules.seen.lock().unwrap().push(label.clone());
        if rules.refuse_listed_bodies && label == "REPORT sync-collection with bodies" {
            out.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")?;
            continue;
        }
        if rules.strip_listed_bodies && label == "REPORT sync-collection with bodies" {
            body = strip_data_props(&String::from_utf8_lossy(&body)).into_bytes();
        }
        if rules.no_sync && label.starts_with("REPORT sync-collection") {
            out.write_all(b"HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n\r\n")?;
            continue;
        }
        if method == "PUT"
            && rules
                .busy_puts
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            out.write_all(
                b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n",
            )?;
            continue;
        }
        if let Some((from, to)) = &rules.prefix {
            if let Some(rest) = path.strip_prefix(from.as_str()) {
                path = format!("{to}{rest}");
            }
        }
        if rules.rewrite_puts && method == "PUT" {
            let text = String::from_utf8_lossy(&body)
                .replace(
                    "PRODID:-//davlite//sync test//EN",
                    "PRODID:-//rewriting proxy//EN",
                )
                .replace("END:VEVENT", "X-REWRITTEN:yes\r\nEND:VEVENT");
            body = text.into_bytes();
        }
        let mut up = TcpStream::connect(upstream)?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {upstream}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for h in &headers {
            head.push_str(h);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        up.write_all(head.as_bytes())?;
        up.write_all(&body)?;
        let resp = davlite_tests::read_response(&mut up)?;
        let mut rbody = resp.body.clone();
        if let Some(hide) = rules.hide.lock().unwrap().clone() {
            if matches!(method.as_str(), "PROPFIND" | "REPORT")
                && resp.status == 207
                && !String::from_utf8_lossy(&body).contains("multiget")
            {
                let text = String::from_utf8_lossy(&rbody).into_owned();
                let mut kept = String::new();
                let mut rest = text.as_str();
                while let Some(i) = rest.find("<D:response>") {
                    kept.push_str(&rest[..i]);
                    let end = rest[i..]
                        .find("</D:response>")
                        .map(|j| i + j + "</D:response>".len())
                        .unwrap_or(rest.len());
                    if !rest[i..end].contains(&hide) {
                        kept.push_str(&rest[i..end]);
                    }
                    rest = &rest[end..];
                }
                kept.push_str(rest);
                rbody = kept.into_bytes();
            }
        }
        let cut = rules.cut.lock().unwrap().iter().any(|c| {
            *c == method || *c == label || label.strip_prefix("REPORT ") == Some(c.as_str())
        });
        let mut h = format!("HTTP/1.1 {} X\r\n", resp.status);
        for (k, v) in &resp.headers {
            let k_l = k.to_ascii_lowercase();
            if matches!(
                k_l.as_str(),
                "content-length" | "transfer-encoding" | "connection"
            ) {
                continue;
            }
            if rules.rewrite_puts && method == "PUT" && k_l == "etag" {
                continue;
            }
            h.push_str(&format!("{k}: {v}\r\n"));
        }
        h.push_str(&format!("Content-Length: {}\r\n\r\n", rbody.len()));
        if cut {
            // Half of the whole answer, headers included: an answer with an empty body (a PUT's
            // 201) is cut too, instead of arriving whole before the close (which a client may
            // or may not notice, depending on whether it reuses the connection).
            let mut whole = h.into_bytes();
            whole.extend_from_slice(&rbody);
            out.write_all(&whole[..whole.len() / 2])?;
            return Ok(());
        }
        out.write_all(h.as_bytes())?;
        out.write_all(&rbody)?;
    }
}

/// Seed 000: the account is configured as `/caldav/`, the server answers under
/// `/caldav.php/`. Every href is the server's; nothing disappears, nothing is created twice,
/// and no 412 loop follows.
#[test]
fn sync_alias_prefix_seed_000() {
    let server = TestServer::builder()
        .arg("--alias")
        .arg("/caldav.php/")
        .start();
    let remote = Remote::of(&server);
    let rules = Arc::new(Rules {
        prefix: Some(("/caldav/".into(), "/caldav.php/".into())),
        ..Rules::default()
    });
    let (proxy, _stop) = start_proxy(server.addr, rules);
    let url = format!("http://{proxy}/caldav/");
    let coll = format!("/dav/calendars/{}/default/", remote.user);
    remote.put(&format!("{coll}r1.ics"), &event("r1", "remote"));
    let local = Local::new(&remote.user);
    let s = local.sync(&url, &remote.password, &[]);
    assert_eq!(s["fetched"], 1, "{s}");
    local.put(&local.cal("default"), "l1.ics", &event("l1", "local"));
    let s = local.sync(&url, &remote.password, &[]);
    assert_eq!(counts(&s), [0, 0, 1, 0, 0, 0], "{s}");
    // The state holds the server's spelling of the href.
    let store = local.store();
    let props = store
        .read()
        .unwrap()
        .object_props(&local.cal("default"), "l1.ics")
        .unwrap();
    let href = davlite_sync::state::ItemState::read(&props).unwrap().href;
    assert!(href.starts_with("/caldav.php/"), "stored href {href}");
    drop(store);
    assert_same(&local, &local.cal("default"), &remote, &coll);
    assert_no_writes(&local.sync(&url, &remote.password, &[]));
    local.put(
        &local.cal("default"),
        "l1.ics",
        &event("l1", "local, edited"),
    );
    let s = local.sync(&url, &remote.password, &[]);
    assert_eq!(counts(&s), [0, 0, 1, 0, 0, 0], "{s}");
    assert_same(&local, &local.cal("default"), &remote, &coll);
}

/// A create the engine made whose answer it never recorded (killed after the PUT): the
/// retried `If-None-Match: *` PUT gets 412; the engine reads the member, finds its own UID and
/// content, and adopts it: no error, no copy, no conflict.
#[test]
fn sync_adopts_own_create_on_412() {
    let (server, remote, coll) = davlite_remote();
    let rules = Arc::new(Rules::default());
    let (proxy, _stop) = start_proxy(server.addr, rules.clone());
    let url = format!("http://{proxy}/");
    let local = Local::new(&remote.user);
    local.sync(&url, &remote.password, &[]);
    let body = event("mine", "made here");
    local.put(&local.cal("default"), "mine.ics", &body);
    // The earlier run's PUT reached the server; the listing does not show it yet.
    remote.put(&format!("{coll}mine.ics"), &body);
    *rules.hide.lock().unwrap() = Some("mine.ics".into());
    let s = local.sync(&url, &remote.password, &[]);
    assert_eq!(s["conflicts"], 0, "{s}");
    assert_eq!(s["errors"].as_array().unwrap().len(), 0, "{s}");
    *rules.hide.lock().unwrap() = None;
    assert_same(&local, &local.cal("default"), &remote, &coll);
    assert!(
        local
            .store()
            .collection(&format!("{}-conflicts", local.cal("default")))
            .unwrap()
            .is_none()
    );
    assert_no_writes(&local.sync(&url, &remote.password, &[]));
}

/// `no-uid-conflict` naming the holder: the local item is adopted as the server's member
/// instead of being created twice or dropped.
#[test]
fn sync_adopts_no_uid_conflict_holder() {
    let (server, remote, coll) = davlite_remote();
    let rules = Arc::new(Rules::default());
    let (proxy, _stop) = start_proxy(server.addr, rules.clone());
    let url = format!("http://{proxy}/");
    let local = Local::new(&remote.user);
    local.sync(&url, &remote.password, &[]);
    let body = event("shared", "same item");
    remote.put(&format!("{coll}server-name.ics"), &body);
    local.put(&local.cal("default"), "local-name.ics", &body);
    *rules.hide.lock().unwrap() = Some("server-name.ics".into());
    let s = local.sync(&url, &remote.password, &[]);
    assert_eq!(s["errors"].as_array().unwrap().len(), 0, "{s}");
    assert_eq!(s["conflicts"], 0, "{s}");
    *rules.hide.lock().unwrap() = None;
    assert_same(&local, &local.cal("default"), &remote, &coll);
    assert_eq!(remote.hrefs(&coll).len(), 1);
    let store = local.store();
    let names: Vec<String> = store
        .read()
        .unwrap()
        .list(&local.cal("default"))
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, vec!["server-name.ics".to_string()]);
    drop(store);
    assert_no_writes(&local.sync(&url, &remote.password, &[]));
}

/// A server that rewrites what it is sent and gives no ETag on PUT: the engine takes the
/// server's version as the new baseline; the next run neither pushes nor fetches.
#[test]
fn sync_server_rewrites_bodies() {
    let (server, remote, coll) = davlite_remote();
    let rules = Arc::new(Rules {
        rewrite_puts: true,
        ..Rules::default()
    });
    let (proxy, _stop) = start_proxy(server.addr, rules);
    let url = format!("http://{proxy}/");
    let local = Local::new(&remote.user);
    local.sync(&url, &remote.password, &[]);
    for i in 0..5 {
        local.put(
            &local.cal("default"),
            &format!("e{i}.ics"),
            &event(&format!("e{i}"), "x"),
        );
    }
    let s = local.sync(&url, &remote.password, &[]);
    assert_eq!(
        (s["pushed"].as_u64(), s["rewritten"].as_u64()),
        (Some(5), Some(5)),
        "{s}"
    );
    assert_same(&local, &local.cal("default"), &remote, &coll);
    assert!(
        local
            .items(&local.cal("default"))
            .values()
            .all(|b| String::from_utf8_lossy(b).contains("X-REWRITTEN"))
    );
    assert_no_writes(&local.sync(&url, &remote.password, &[]));
}

/// A sync token the server no longer knows: a full listing, nothing lost, nothing doubled.
#[test]
fn sync_invalid_token_resyncs_fully() {
    let (_server, remote, coll) = davlite_remote();
    let local = Local::new(&remote.user);
    remote.put(&format!("{coll}a.ics"), &event("a", "a"));
    remote.put(&format!("{coll}b.ics"), &event("b", "b"));
    local.sync(&remote.url("/"), &remote.password, &[]);
    let store = local.store();
    store
        .update_collection(
            &local.cal("default"),
            vec![(
                "{urn:davlite:sync}token".into(),
                Some(b"http://bogus/ns/sync/999999".to_vec()),
            )],
            None,
        )
        .unwrap();
    drop(store);
    remote.put(&format!("{coll}c.ics"), &event("c", "c"));
    remote.delete(&format!("{coll}a.ics"));
    local.put(&local.cal("default"), "d.ics", &event("d", "d"));
    let s = local.sync(&remote.url("/"), &remote.password, &[]);
    assert_eq!(s["errors"].as_array().unwrap().len(), 0, "{s}");
    assert_same(&local, &local.cal("default"), &remote, &coll);
    assert_eq!(
        local
            .items(&local.cal("default"))
            .keys()
            .collect::<Vec<_>>(),
        vec!["b", "c", "d"]
    );
    assert_no_writes(&local.sync(&remote.url("/"), &remote.password, &[]));
}

/// Changed on both sides: the policy picks the winner and the loser is kept, with a fresh
/// UID, in the conflicts collection, and reported.
#[test]
fn sync_conflict_keeps_the_loser() {
    let (_server, remote, coll) = davlite_remote();
    let local = Local::new(&remote.user);
    remote.put(&format!("{coll}x.ics"), &event("x", "original"));
    remote.put(&format!("{coll}y.ics"), &event("y", "original"));
    local.sync(&remote.url("/"), &remote.password, &[]);
    remote.put(&format!("{coll}x.ics"), &event("x", "server edit"));
    local.put(&local.cal("default"), "x.ics", &event("x", "local edit"));
    let s = local.sync(&remote.url("/"), &remote.password, &[]);
    assert_eq!(s["conflicts"], 1, "{s}");
    let loser = s["conflict_details"][0]["loser_copy"]
        .as_str()
        .unwrap()
        .to_string();
    let conflicts = format!("{}-conflicts", local.cal("default"));
    assert!(loser.starts_with(&conflicts), "{loser}");
    let kept = local.items(&conflicts);
    assert_eq!(kept.len(), 1);
    assert_eq!(summary_of(kept.values().next().unwrap()), "local edit");
    assert_eq!(
        summary_of(&local.items(&local.cal("default"))["x"]),
        "server edit"
    );
    assert_same(&local, &local.cal("default"), &remote, &coll);
    assert_no_writes(&local.sync(&remote.url("/"), &remote.password, &[]));

    // Local wins: the server gets the local edit, the server's edit is kept.
    remote.put(&format!("{coll}y.ics"), &event("y", "server edit"));
    local.put(&local.cal("default"), "y.ics", &event("y", "local edit"));
    let s = local.sync(&remote.url("/"), &remote.password, &["--conflict", "local"]);
    assert_eq!(
        (s["conflicts"].as_u64(), s["pushed"].as_u64()),
        (Some(1), Some(1)),
        "{s}"
    );
    assert_eq!(summary_of(&remote.items(&coll)["y"]), "local edit");
    assert!(
        local
            .items(&conflicts)
            .values()
            .any(|b| summary_of(b) == "server edit")
    );
    assert_same(&local, &local.cal("default"), &remote, &coll);
}

/// The sync state is invisible to and unforgeable by clients of `davlite serve` on the synced
/// data directory.
#[test]
fn sync_state_is_hidden_from_dav_clients() {
    let (_server, remote, coll) = davlite_remote();
    remote.put(&format!("{coll}a.ics"), &event("a", "a"));
    let local = Local::new(&remote.user);
    let out = davlite_tests::davlite(
        &[
            "user",
            "add",
            &remote.user,
            "--password",
            "pw",
            "--data",
            local.data().to_str().unwrap(),
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    local.sync(&remote.url("/"), &remote.password, &[]);
    // Serve the synced directory itself.
    let mut cmd = Command::new(davlite_bin());
    let mut child = cmd
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(local.data())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr: SocketAddr = loop {
        let l = lines.next().expect("serve output").unwrap();
        if let Some(rest) = l.split("listening on ").nth(1) {
            break rest
                .split("://")
                .nth(1)
                .unwrap()
                .trim_end_matches('/')
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches('/')
                .parse()
                .unwrap();
        }
    };
    let r = Remote {
        addr,
        user: remote.user.clone(),
        password: "pw".into(),
    };
    let lcoll = format!("/dav/calendars/{}/default/", remote.user);
    for (path, depth) in [(lcoll.clone(), "1"), (format!("{lcoll}a.ics"), "0")] {
        let resp = r
            .req("PROPFIND", &path)
            .header("Depth", depth)
            .header("Content-Type", "application/xml")
            .body(r#"<?xml version="1.0"?><propfind xmlns="DAV:"><allprop/></propfind>"#)
            .send();
        assert_eq!(resp.status, 207);
        assert!(
            !resp.text().contains("urn:davlite:sync"),
            "state shown: {}",
            resp.text()
        );
        let resp = r
            .req("PROPFIND", &path)
            .header("Depth", "0")
            .header("Content-Type", "application/xml")
            .body(r#"<?xml version="1.0"?><propfind xmlns="DAV:"><prop><s:href xmlns:s="urn:davlite:sync"/></prop></propfind>"#)
            .send();
        assert!(
            resp.text().contains("404"),
            "state readable: {}",
            resp.text()
        );
        let resp = r
            .req("PROPPATCH", &path)
            .header("Content-Type", "application/xml")
            .body(r#"<?xml version="1.0"?><propertyupdate xmlns="DAV:"><set><prop><s:base xmlns:s="urn:davlite:sync">00</s:base></prop></set></propertyupdate>"#)
            .send();
        assert!(
            resp.status == 403 || resp.text().contains(" 403 "),
            "state writable: {} {}",
            resp.status,
            resp.text()
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The connection dropped mid-answer, during the pull (every multiget answer cut, so the retries
/// fail too) and during the push (PUT answers cut after the server stored the item): each run
/// fails with the reason, and the next one converges with nothing lost or doubled.
#[test]
fn sync_survives_connections_dropped_mid_answer() {
    let (server, remote, coll) = davlite_remote();
    let rules = Arc::new(Rules::default());
    let (proxy, _stop) = start_proxy(server.addr, rules.clone());
    let url = format!("http://{proxy}/");
    let local = Local::new(&remote.user);
    local.sync(&url, &remote.password, &[]);
    for i in 0..5 {
        remote.put(
            &format!("{coll}r{i}.ics"),
            &event(&format!("r{i}"), &format!("remote {i}")),
        );
        local.put(
            &local.cal("default"),
            &format!("l{i}.ics"),
            &event(&format!("l{i}"), &format!("local {i}")),
        );
    }
    let failing = |what: &str| {
        *rules.cut.lock().unwrap() = vec![what.to_string()];
        let out = local
            .spawn(&url, &remote.password, &[])
            .wait_with_output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.status.success(), "a cut {what} went unnoticed: {text}");
        assert!(text.contains("connection failed"), "unclear error: {text}");
        rules.cut.lock().unwrap().clear();
    };
    failing("multiget");
    assert_eq!(remote.items(&coll).len(), 5, "pushed despite a failed pull");
    failing("PUT");
    assert!(remote.items(&coll).len() > 5, "no PUT reached the server");

    let s = local.sync(&url, &remote.password, &[]);
    assert_eq!(s["conflicts"], 0, "{s}");
    assert_same(&local, &local.cal("default"), &remote, &coll);
    assert_eq!(local.items(&local.cal("default")).len(), 10);
    assert_no_writes(&local.sync(&url, &remote.password, &[]));
}

/// A first sync takes the bodies from the sync-collection listing itself: one REPORT per
/// collection and no multiget. A server that refuses bodies in a listing (any answer but 207),
/// or whose listing with bodies never arrives whole (as one past the client's size limit or
/// time), is asked again for the plain listing; one that leaves them out gets multigets for
/// the members without. Each way everything arrives, and the next run writes nothing.
#[test]
fn sync_first_listing_brings_the_bodies_or_falls_back_to_multigets() {
    let (server, remote, coll) = davlite_remote();
    for i in 0..150 {
        remote.put(
            &format!("{coll}e{i}.ics"),
            &event(&format!("e{i}"), &format!("event {i}")),
        );
    }
    let cases = [
        (false, false, false, 0),
        (true, false, false, 2),
        (false, true, false, 2),
        (false, false, true, 2),
    ];
    for (refuse, strip, cut, multigets) in cases {
        let rules = Arc::new(Rules {
            refuse_listed_bodies: refuse,
            strip_listed_bodies: strip,
            cut: Mutex::new(if cut {
                vec!["REPORT sync-collection with bodies".to_string()]
            } else {
                Vec::new()
            }),
            ..Rules::default()
        });
        let (s, seen) = first_sync_through(&server, &remote, &coll, 150, rules);
        let count = |what: &str| seen.iter().filter(|m| *m == what).count();
        let case = format!("refuse {refuse} strip {strip} cut {cut}: {seen:?}");
        assert_eq!(count("REPORT multiget"), multigets, "{case}");
        // Every collection's listing asked for the bodies; a refused or cut one was asked
        // again without.
        let collections = s["collections"].as_u64().unwrap() as usize;
        assert!(
            count("REPORT sync-collection with bodies") >= collections,
            "{case}"
        );
        assert_eq!(
            count("REPORT sync-collection"),
            if refuse || cut { collections } else { 0 },
            "{case}"
        );
    }
}

/// A first sync of the `n` events of `remote`'s calendar `coll` through a proxy keeping
/// `rules`: every event arrives, as the server holds it, and the next run writes nothing.
/// Returns the first run's summary and the requests the proxy saw.
fn first_sync_through(
    server: &TestServer,
    remote: &Remote,
    coll: &str,
    n: usize,
    rules: Arc<Rules>,
) -> (serde_json::Value, Vec<String>) {
    let (proxy, _stop) = start_proxy(server.addr, rules.clone());
    let url = format!("http://{proxy}/");
    let local = Local::new(&remote.user);
    let s = local.sync(&url, &remote.password, &[]);
    assert_eq!(s["errors"].as_array().unwrap().len(), 0, "{s}");
    assert_eq!(s["fetched"], n, "{s}");
    assert_eq!(local.items(&local.cal("default")).len(), n);
    assert_same(&local, &local.cal("default"), remote, coll);
    let seen = rules.seen.lock().unwrap().clone();
    assert_no_writes(&local.sync(&url, &remote.password, &[]));
    (s, seen)
}

/// A first listing with bodies that breaks off after its first members were stored (it is
/// walked, and its members written, as it arrives): what was stored stays, with its state; the
/// listing is asked again without bodies and only the rest is fetched, every member once.
#[test]
fn sync_first_listing_cut_midway_keeps_what_it_stored() {
    let (server, remote, coll) = davlite_remote();
    for i in 0..600 {
        remote.put(
            &format!("{coll}e{i}.ics"),
            &event(&format!("e{i}"), &format!("event {i}")),
        );
    }
    let rules = Arc::new(Rules {
        cut: Mutex::new(vec!["REPORT sync-collection with bodies".to_string()]),
        ..Rules::default()
    });
    let (_, seen) = first_sync_through(&server, &remote, &coll, 600, rules);
    let count = |what: &str| seen.iter().filter(|m| *m == what).count();
    // The cut comes about 300 members in. The chunks of 100 read before it are stored (the
    // walk's error comes after them), and only the rest is fetched by multiget, 100 at a time:
    // fewer than the 6 multigets that all 600 would take.
    let multigets = count("REPORT multiget");
    assert!(
        (1..6).contains(&multigets),
        "{multigets} multigets: {seen:?}"
    );
}

/// Against a server without sync-collection (full listings every run), an item deleted here
/// is deleted there, exactly the version last synced: not fetched back as if new. An item
/// deleted here but changed there since comes back with the server's version.
#[test]
fn sync_local_deletes_reach_a_server_without_sync_collection() {
    let (server, remote, coll) = davlite_remote();
    let rules = Arc::new(Rules {
        no_sync: true,
        ..Rules::default()
    });
    let (proxy, _stop) = start_proxy(server.addr, rules);
    let url = format!("http://{proxy}/");
    for i in 1..=3 {
        remote.put(
            &format!("{coll}r{i}.ics"),
            &event(&format!("r{i}"), "remote"),
        );
    }
    let local = Local::new(&remote.user);
    local.sync(&url, &remote.password, &[]);
    assert_eq!(local.items(&local.cal("default")).len(), 3);

    let store = local.store();
    for name in ["r1.ics", "r2.ics"] {
        store
            .delete(&local.cal("default"), name, Precondition::None)
            .unwrap();
    }
    drop(store);
    // r2 changes on the server after the last sync: that change must not be deleted unseen.
    let r2 = format!("{coll}r2.ics");
    let etag = remote
        .req("GET", &r2)
        .send()
        .header("etag")
        .unwrap()
        .to_string();
    let r = remote
        .req("PUT", &r2)
        .header("Content-Type", "text/calendar")
        .header("If-Match", &etag)
        .body(event("r2", "edited there"))
        .send();
    assert_eq!(r.status, 204, "{}", r.text());

    let s = local.sync(&url, &remote.password, &[]);
    assert_eq!(s["deleted_remote"], 1, "{s}");
    assert_eq!(s["errors"].as_array().map(Vec::len), Some(0), "{s}");
    let remote_items = remote.items(&coll);
    assert_eq!(
        remote_items.keys().collect::<Vec<_>>(),
        vec!["r2", "r3"],
        "r1 deleted there, r2 kept"
    );
    assert_eq!(summary_of(&remote_items["r2"]), "edited there");
    assert_same(&local, &local.cal("default"), &remote, &coll);
    assert_no_writes(&local.sync(&url, &remote.password, &[]));
}

/// An item the application renames here (a store MOVE) ends up under its new name there too:
/// the old member deleted, the new one created, no copy lost or doubled.
#[test]
fn sync_pushes_a_local_rename() {
    let (_server, remote, coll) = davlite_remote();
    remote.put(&format!("{coll}old.ics"), &event("mv1", "moving"));
    let local = Local::new(&remote.user);
    local.sync(&remote.url("/"), &remote.password, &[]);
    let lcoll = local.cal("default");
    local
        .store()
        .move_object(
            (&lcoll, "old.ics"),
            (&lcoll, "new.ics"),
            false,
            Precondition::None,
        )
        .unwrap();
    let s = local.sync(&remote.url("/"), &remote.password, &[]);
    assert_eq!(s["errors"].as_array().map(Vec::len), Some(0), "{s}");
    let hrefs = remote.hrefs(&coll);
    assert!(
        hrefs.iter().any(|h| h.ends_with("/new.ics"))
            && !hrefs.iter().any(|h| h.ends_with("/old.ics")),
        "{hrefs:?}"
    );
    assert_same(&local, &lcoll, &remote, &coll);
    assert_no_writes(&local.sync(&remote.url("/"), &remote.password, &[]));
}

/// A server that answers 503 with `Retry-After` is waited for and asked again: the run ends
/// with everything pushed and no error.
#[test]
fn sync_waits_out_a_busy_server() {
    let (server, remote, coll) = davlite_remote();
    let rules = Arc::new(Rules::default());
    let (proxy, _stop) = start_proxy(server.addr, rules.clone());
    let url = format!("http://{proxy}/");
    let local = Local::new(&remote.user);
    local.sync(&url, &remote.password, &[]);
    for i in 0..3 {
        local.put(
            &local.cal("default"),
            &format!("b{i}.ics"),
            &event(&format!("b{i}"), "busy"),
        );
    }
    rules.busy_puts.store(2, Ordering::SeqCst);
    let started = std::time::Instant::now();
    let s = local.sync(&url, &remote.password, &[]);
    assert_eq!(s["pushed"], 3, "{s}");
    assert_eq!(s["errors"].as_array().map(Vec::len), Some(0), "{s}");
    assert_eq!(rules.busy_puts.load(Ordering::SeqCst), 0);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(2),
        "Retry-After not waited for"
    );
    assert_same(&local, &local.cal("default"), &remote, &coll);
}

// ----- TLS -----

/// `davlite serve` with a self-signed certificate made here; returns the server, the PEM file of
/// its certificate (what `--ca-file` is given) and the directory holding both.
fn tls_server() -> (TestServer, std::path::PathBuf, tempfile::TempDir) {
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
    (server, cert, dir)
}

/// A sync over https, the server's certificate trusted through `--ca-file`: what one store
/// pushes, another fetches byte for byte, and a second run writes nothing.
#[test]
fn sync_over_https_with_the_servers_own_certificate() {
    let (server, cert, _dir) = tls_server();
    let url = server.url("/");
    let ca = ["--ca-file", cert.to_str().unwrap()];
    let a = Local::new(server.user());
    a.sync(&url, server.password(), &ca);
    for i in 0..3 {
        a.put(
            &a.cal("default"),
            &format!("e{i}.ics"),
            &event(&format!("e{i}"), &format!("over tls {i}")),
        );
    }
    let s = a.sync(&url, server.password(), &ca);
    assert_eq!(counts(&s), [0, 0, 3, 0, 0, 0], "{s}");

    let b = Local::new(server.user());
    let s = b.sync(&url, server.password(), &ca);
    assert_eq!(s["fetched"], 3, "{s}");
    assert_eq!(a.items(&a.cal("default")), b.items(&b.cal("default")));
    assert_no_writes(&a.sync(&url, server.password(), &ca));
}

/// Without the CA file the self-signed certificate is refused: the run fails with a message
/// that names the certificate problem and the way out, and nothing moves either way.
#[test]
fn sync_over_https_refuses_an_untrusted_certificate() {
    let (server, cert, _dir) = tls_server();
    let url = server.url("/");
    let ca = ["--ca-file", cert.to_str().unwrap()];
    let a = Local::new(server.user());
    a.sync(&url, server.password(), &ca);
    a.put(
        &a.cal("default"),
        "on-server.ics",
        &event("on-server", "remote"),
    );
    assert_eq!(a.sync(&url, server.password(), &ca)["pushed"], 1);

    let c = Local::new(server.user());
    let run = |c: &Local| {
        let out = c
            .spawn(&url, server.password(), &[])
            .wait_with_output()
            .unwrap();
        assert!(
            !out.status.success(),
            "an untrusted certificate was accepted"
        );
        assert!(
            out.stdout.is_empty(),
            "a summary was printed: {:?}",
            out.stdout
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = run(&c);
    assert!(
        err.contains("invalid peer certificate") && err.contains("--ca-file"),
        "unclear error: {err}"
    );
    c.put(
        &c.cal("default"),
        "local-only.ics",
        &event("local-only", "local"),
    );
    run(&c);
    // Nothing fetched, nothing pushed.
    assert_eq!(
        c.items(&c.cal("default")).into_keys().collect::<Vec<_>>(),
        vec!["local-only".to_string()]
    );
    let s = a.sync(&url, server.password(), &ca);
    assert_no_writes(&s);
    assert_eq!(a.items(&a.cal("default")).len(), 1);
}

// ----- third-party servers -----

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn python() -> String {
    std::env::var("DAVLITE_PYTHON").expect(
        "DAVLITE_PYTHON: run scripts/test, which installs Radicale and Xandikos into a venv",
    )
}

/// A Python server on loopback, killed when dropped.
struct PyServer {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for PyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_py(args: &[&str], dir: tempfile::TempDir, port: u16) -> PyServer {
    let child = Command::new(python())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{} {args:?}: {e}", python()));
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut server = PyServer {
        child,
        addr,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(addr).is_err() {
        if let Ok(Some(status)) = server.child.try_wait() {
            let mut err = String::new();
            let _ = server.child.stderr.take().unwrap().read_to_string(&mut err);
            panic!("{args:?} exited with {status}: {err}");
        }
        assert!(Instant::now() < deadline, "{args:?} did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

fn radicale() -> PyServer {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let folder = dir.path().join("collections").display().to_string();
    let hosts = format!("127.0.0.1:{port}");
    start_py(
        &[
            "-m",
            "radicale",
            "--storage-filesystem-folder",
            &folder,
            "--server-hosts",
            &hosts,
            "--auth-type",
            "none",
            "--rights-type",
            "owner_only",
        ],
        dir,
        port,
    )
}

fn xandikos() -> PyServer {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let d = dir.path().display().to_string();
    start_py(
        &[
            "-m",
            "xandikos",
            "--defaults",
            "-d",
            &d,
            "-l",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ],
        dir,
        port,
    )
}

/// One round trip with a third-party server: a member made there and one made here end up on
/// both sides, then a second run does nothing.
fn round_trip(remote: &Remote, coll: &str, local: &Local, lname: &str) {
    remote.put(
        &format!("{coll}there.ics"),
        &event("there", "made on the server"),
    );
    let s = local.sync(&remote.url("/"), &remote.password, &[]);
    assert!(s["fetched"].as_u64().unwrap() >= 1, "{s}");
    local.put(&local.cal(lname), "here.ics", &event("here", "made here"));
    let s = local.sync(&remote.url("/"), &remote.password, &[]);
    assert_eq!(s["pushed"], 1, "{s}");
    assert_same(local, &local.cal(lname), remote, coll);
    assert_no_writes(&local.sync(&remote.url("/"), &remote.password, &[]));
    // An edit on each side and a delete travel too.
    remote.put(
        &format!("{coll}there.ics"),
        &event("there", "edited on the server"),
    );
    local.put(&local.cal(lname), "here.ics", &event("here", "edited here"));
    let s = local.sync(&remote.url("/"), &remote.password, &[]);
    assert_eq!(
        (
            s["fetched"].as_u64(),
            s["pushed"].as_u64(),
            s["conflicts"].as_u64()
        ),
        (Some(1), Some(1), Some(0)),
        "{s}"
    );
    assert_same(local, &local.cal(lname), remote, coll);
    assert_eq!(summary_of(&remote.items(coll)["here"]), "edited here");
    assert_eq!(
        summary_of(&local.items(&local.cal(lname))["there"]),
        "edited on the server"
    );
    assert_no_writes(&local.sync(&remote.url("/"), &remote.password, &[]));
}

#[test]
fn sync_with_radicale() {
    let server = radicale();
    let remote = Remote {
        addr: server.addr,
        user: "alice".into(),
        password: "any".into(),
    };
    let r = remote
        .req("MKCALENDAR", "/alice/work/")
        .body(Vec::new())
        .send();
    assert!(
        (200..300).contains(&r.status),
        "MKCALENDAR: {} {}",
        r.status,
        r.text()
    );
    let local = Local::new("alice");
    round_trip(&remote, "/alice/work/", &local, "work");
    // A calendar made here reaches Radicale's home when asked for, items and all.
    let family = local.make("calendars", "family", "Family");
    local.put(&family, "fam.ics", &event("fam", "dinner"));
    let s = local.sync(&remote.url("/"), &remote.password, &["--create-remote"]);
    assert!(s["created_remote"].as_u64() >= Some(1), "{s}");
    assert_eq!(s["errors"].as_array().map(Vec::len), Some(0), "{s}");
    assert_same(&local, &family, &remote, "/alice/family/");
}

#[test]
fn sync_with_xandikos() {
    let server = xandikos();
    let remote = Remote {
        addr: server.addr,
        user: "alice".into(),
        password: "any".into(),
    };
    let local = Local::new("alice");
    round_trip(&remote, "/user/calendars/calendar/", &local, "calendar");
}

// ----- randomized rounds and crashes -----

/// Random creates, updates and deletes on both sides between syncs. After each sync both
/// sides are equal with no UID twice, and every edit of the round is in the calendar or in the
/// conflicts collection.
#[test]
fn sync_randomized_rounds() {
    let seed = std::env::var("DAVLITE_SYNC_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_0013u64);
    let mut rng = Rng::new(seed);
    let (_server, remote, coll) = davlite_remote();
    let local = Local::new(&remote.user);
    let url = remote.url("/");
    local.sync(&url, &remote.password, &[]);
    let lcoll = local.cal("default");
    let conflicts = format!("{lcoll}-conflicts");
    let mut next = 0u32;
    for round in 0..8 {
        let uids: Vec<String> = local.items(&lcoll).keys().cloned().collect();
        let mut edits: Vec<(String, String)> = Vec::new(); // (uid, summary) that must survive
        let mut deleted: Vec<String> = Vec::new();
        let mut touched_local = std::collections::HashSet::new();
        let mut touched_remote = std::collections::HashSet::new();
        for _ in 0..12 {
            next += 1;
            let on_local = rng.below(2) == 0;
            let op = if uids.is_empty() { 0 } else { rng.below(3) };
            let uid = if op == 0 {
                format!("u{next}")
            } else {
                uids[rng.below(uids.len())].clone()
            };
            let touched = if on_local {
                &mut touched_local
            } else {
                &mut touched_remote
            };
            if !touched.insert(uid.clone()) {
                continue;
            }
            let summary = format!(
                "edit {next} round {round} {}",
                if on_local { "here" } else { "there" }
            );
            match (op, on_local) {
                (0 | 1, true) => {
                    local.put(&lcoll, &format!("{uid}.ics"), &event(&uid, &summary));
                    edits.push((uid, summary));
                }
                (0 | 1, false) => {
                    remote.put(&format!("{coll}{uid}.ics"), &event(&uid, &summary));
                    edits.push((uid, summary));
                }
                (_, true) => {
                    let store = local.store();
                    let _ = store.delete(&lcoll, &format!("{uid}.ics"), Precondition::None);
                    deleted.push(uid);
                }
                (_, false) => {
                    let r = remote.req("DELETE", &format!("{coll}{uid}.ics")).send();
                    assert!(r.status < 300 || r.status == 404);
                    deleted.push(uid);
                }
            }
        }
        let s = local.sync(&url, &remote.password, &[]);
        assert_eq!(
            s["errors"].as_array().unwrap().len(),
            0,
            "round {round}: {s}"
        );
        assert_same(&local, &lcoll, &remote, &coll);
        let now = local.items(&lcoll);
        let kept: Vec<String> = local
            .items(&conflicts)
            .values()
            .map(|b| summary_of(b))
            .collect();
        for (uid, summary) in &edits {
            let present =
                now.get(uid).is_some_and(|b| summary_of(b) == *summary) || kept.contains(summary);
            assert!(
                present,
                "round {round} (seed {seed}): edit {summary:?} of {uid} lost; summary {s}"
            );
        }
        for uid in &deleted {
            let edited = edits.iter().any(|(u, _)| u == uid);
            if !edited {
                assert!(
                    !now.contains_key(uid),
                    "round {round}: {uid} deleted but still there"
                );
            }
        }
        assert_no_writes(&local.sync(&url, &remote.password, &[]));
    }
}

/// `davlite sync` killed with SIGKILL at random points (60 kills), then run to the end:
/// both sides converge, nothing lost, nothing doubled.
#[test]
fn sync_killed_at_random_points_converges() {
    let mut rng = Rng::new(0xc4a5_4013);
    let (_server, remote, coll) = davlite_remote();
    let local = Local::new(&remote.user);
    let url = remote.url("/");
    local.sync(&url, &remote.password, &[]);
    let lcoll = local.cal("default");
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    let mut kills = 0;
    let started = Instant::now();
    for round in 0..12 {
        for i in 0..40 {
            let uid = format!("k{round}-{i}");
            let summary = format!("crash round {round} item {i}");
            if i % 2 == 0 {
                local.put(&lcoll, &format!("{uid}.ics"), &event(&uid, &summary));
            } else {
                remote.put(&format!("{coll}{uid}.ics"), &event(&uid, &summary));
            }
            expected.insert(uid, summary);
        }
        // Edit some earlier items on one side.
        if round > 0 {
            for i in 0..5 {
                let uid = format!("k{}-{}", round - 1, i * 2);
                let summary = format!("crash round {round} edit {i}");
                local.put(&lcoll, &format!("{uid}.ics"), &event(&uid, &summary));
                expected.insert(uid, summary);
            }
        }
        for _ in 0..5 {
            let mut child = local.spawn(&url, &remote.password, &[]);
            std::thread::sleep(Duration::from_millis(rng.below(120) as u64));
            let _ = child.kill();
            let _ = child.wait();
            kills += 1;
        }
    }
    let s = local.sync(&url, &remote.password, &[]);
    assert_eq!(s["errors"].as_array().unwrap().len(), 0, "{s}");
    assert_same(&local, &lcoll, &remote, &coll);
    let now = local.items(&lcoll);
    for (uid, summary) in &expected {
        assert_eq!(
            now.get(uid).map(|b| summary_of(b)).as_deref(),
            Some(summary.as_str()),
            "{uid} after {kills} kills"
        );
    }
    assert_eq!(now.len(), expected.len(), "items appeared from nowhere");
    assert_no_writes(&local.sync(&url, &remote.password, &[]));
    assert!(kills >= 50);
    eprintln!("sync crash test: {kills} kills in {:?}", started.elapsed());
}
