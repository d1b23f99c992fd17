//! Crash under HTTP load: the real server takes concurrent PUT (create and update), DELETE,
//! MOVE and MKCALENDAR from several clients, is SIGKILLed at a random moment, and restarted on
//! the same data directory. Every write answered 2xx must be there byte for byte with the ETag
//! it was answered with, every acknowledged delete gone, a move all or nothing, and a write in
//! flight at the kill either wholly applied or not at all; `davlite verify` must be clean.
//!
//! The default run has 30 kill points. The long campaign is the same test with more:
//!
//! ```text
//! DAVLITE_CRASH_POINTS=1000 cargo test --profile ci -p davlite-tests --test integration \
//!     crash_http -- --nocapture
//! ```

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use davlite_testkit::Rng;
use davlite_tests::{Response, TestServer};

const WORKERS: usize = 4;
const KEYS: usize = 6;

/// What a resource holds, as far as the clients know.
#[derive(Clone, Debug, PartialEq)]
enum Obj {
    Absent,
    Present { body: String, etag: String },
}

/// The clients' knowledge of one resource: its acknowledged state, and what it becomes if the
/// request in flight when the server died was applied.
#[derive(Clone, Debug)]
struct Slot {
    known: Obj,
    pending: Option<Obj>,
}

/// One client's resources (no other client touches them) and its collections.
struct Worker {
    slots: Vec<Slot>,
    /// A MOVE in flight at the kill: (from, to); both slots have `pending` set.
    moving: Option<(usize, usize)>,
    /// Collections acknowledged created, and one whose MKCALENDAR was in flight.
    collections: Vec<String>,
    collection_pending: Option<String>,
    /// Incarnations created so far: each create uses a fresh UID.
    created: usize,
    /// Acknowledged operations by kind: create, update, delete, move, mkcalendar.
    acked: [usize; 5],
}

fn event(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite//crash//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:20240101T000000Z\r\nDTSTART:20240105T100000Z\r\nDURATION:PT1H\r\nSUMMARY:{summary}\r\n\
         END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn uid_of(body: &str) -> &str {
    body.split("UID:")
        .nth(1)
        .unwrap()
        .split("\r\n")
        .next()
        .unwrap()
}

struct Ctx {
    cal: String,
    home: String,
}

impl Ctx {
    fn href(&self, w: usize, k: usize) -> String {
        format!("{}w{w}-k{k}.ics", self.cal)
    }
}

/// Runs one worker until the server stops answering (or `stop` is set). Returns the worker.
fn drive(
    server: &TestServer,
    ctx: &Ctx,
    w: usize,
    mut me: Worker,
    seed: u64,
    stop: &AtomicBool,
) -> Worker {
    let mut rng = Rng::new(seed);
    while !stop.load(Ordering::Relaxed) {
        let k = rng.below(KEYS);
        let href = ctx.href(w, k);
        let known = me.slots[k].known.clone();
        let choice = rng.below(10);
        let result: std::io::Result<()> = (|| {
            match (&known, choice) {
                (Obj::Absent, 0) => {
                    let name = format!("w{w}-c{}", me.created);
                    me.created += 1;
                    let path = format!("{}{name}/", ctx.home);
                    me.collection_pending = Some(path.clone());
                    let r = server.request("MKCALENDAR", &path).try_send()?;
                    if r.status == 201 {
                        me.collections.push(path);
                        me.acked[4] += 1;
                    } else {
                        assert!(r.status >= 400, "MKCALENDAR answered {}", r.status);
                    }
                    me.collection_pending = None;
                }
                (Obj::Absent, _) => {
                    let uid = format!("w{w}-u{}", me.created);
                    me.created += 1;
                    let body = event(&uid, "created");
                    let r = put(
                        server,
                        &href,
                        &body,
                        ("If-None-Match", "*"),
                        &mut me.slots[k],
                    )?;
                    assert_eq!(r.status, 201, "create {href}: {}", r.text());
                    me.acked[0] += 1;
                }
                (Obj::Present { body, etag }, 0..=4) => {
                    let summary = format!("update {}", rng.next_u64());
                    let new = event(uid_of(body), &summary);
                    let r = put(server, &href, &new, ("If-Match", etag), &mut me.slots[k])?;
                    assert!(matches!(r.status, 200 | 204), "update {href}: {}", r.text());
                    me.acked[1] += 1;
                }
                (Obj::Present { etag, .. }, 5..=6) => {
                    me.slots[k].pending = Some(Obj::Absent);
                    let r = server
                        .request("DELETE", &href)
                        .header("If-Match", etag)
                        .try_send()?;
                    assert!(matches!(r.status, 200 | 204), "delete {href}: {}", r.text());
                    me.acked[2] += 1;
                    me.slots[k] = Slot {
                        known: Obj::Absent,
                        pending: None,
                    };
                }
                (Obj::Present { body, .. }, _) => {
                    let Some(to) = (0..KEYS).find(|&t| me.slots[t].known == Obj::Absent) else {
                        return Ok(());
                    };
                    let dest = server.url(&ctx.href(w, to));
                    me.moving = Some((k, to));
                    me.slots[k].pending = Some(Obj::Absent);
                    // The ETag after a move is whatever the server answers then; the body moves.
                    me.slots[to].pending = Some(Obj::Present {
                        body: body.clone(),
                        etag: String::new(),
                    });
                    let r = server
                        .request("MOVE", &href)
                        .header("Destination", &dest)
                        .header("Overwrite", "F")
                        .try_send()?;
                    assert_eq!(r.status, 201, "move {href}: {}", r.text());
                    me.acked[3] += 1;
                    // Acknowledged: learn the new ETag with a GET (the kill may land here too,
                    // then the pending state below still describes it).
                    let got = server.request("GET", &ctx.href(w, to)).try_send()?;
                    assert_eq!(got.status, 200);
                    me.slots[to] = Slot {
                        known: Obj::Present {
                            body: body.clone(),
                            etag: got.header("etag").unwrap().to_string(),
                        },
                        pending: None,
                    };
                    me.slots[k] = Slot {
                        known: Obj::Absent,
                        pending: None,
                    };
                    me.moving = None;
                }
            }
            Ok(())
        })();
        if result.is_err() {
            break;
        }
    }
    me
}

/// A conditional PUT; on 2xx the slot's known state becomes the body with the answered ETag.
fn put(
    server: &TestServer,
    href: &str,
    body: &str,
    cond: (&str, &str),
    slot: &mut Slot,
) -> std::io::Result<Response> {
    slot.pending = Some(Obj::Present {
        body: body.to_string(),
        etag: String::new(),
    });
    let r = server
        .request("PUT", href)
        .header("Content-Type", "text/calendar; charset=utf-8")
        .header(cond.0, cond.1)
        .body(body.as_bytes().to_vec())
        .try_send()?;
    if (200..300).contains(&r.status) {
        let etag = r.header("etag").expect("ETag on a PUT answer").to_string();
        *slot = Slot {
            known: Obj::Present {
                body: body.to_string(),
                etag,
            },
            pending: None,
        };
    }
    Ok(r)
}

/// What the server holds at `href` now.
fn read(server: &TestServer, href: &str) -> Obj {
    let r = server.request("GET", href).send();
    match r.status {
        404 => Obj::Absent,
        200 => Obj::Present {
            body: r.text(),
            etag: r.header("etag").expect("ETag on GET").to_string(),
        },
        s => panic!("GET {href} answered {s}"),
    }
}

/// True when `actual` is what `expected` says (an empty expected ETag matches any).
fn same(actual: &Obj, expected: &Obj) -> bool {
    match (actual, expected) {
        (Obj::Absent, Obj::Absent) => true,
        (Obj::Present { body: a, etag: ea }, Obj::Present { body: b, etag: eb }) => {
            a == b && (eb.is_empty() || ea == eb)
        }
        _ => false,
    }
}

/// Checks every resource of `me` after a restart and resolves what was in flight.
fn check(server: &TestServer, ctx: &Ctx, w: usize, me: &mut Worker, round: usize) {
    let actual: Vec<Obj> = (0..KEYS).map(|k| read(server, &ctx.href(w, k))).collect();
    for (k, (now, slot)) in actual.iter().zip(&me.slots).enumerate() {
        if same(now, &slot.known) {
            continue;
        }
        match &slot.pending {
            Some(p) if same(now, p) => {}
            _ => panic!(
                "round {round}, w{w}-k{k}: server holds {now:?}, acknowledged {:?}, in flight {:?}",
                slot.known, slot.pending
            ),
        }
    }
    if let Some((from, to)) = me.moving.take() {
        // The MOVE, or the GET after its acknowledgement, was in flight: both sides moved or
        // neither did.
        // While a move is unresolved its source is known present and its target known absent.
        assert_eq!(
            actual[from] == Obj::Absent,
            matches!(actual[to], Obj::Present { .. }),
            "round {round}: MOVE w{w}-k{from} -> k{to} half applied: {:?} / {:?}",
            actual[from],
            actual[to]
        );
    }
    for (k, obj) in actual.into_iter().enumerate() {
        me.slots[k] = Slot {
            known: obj,
            pending: None,
        };
    }
    for c in &me.collections {
        let r = server.request("PROPFIND", c).header("Depth", "0").send();
        assert_eq!(
            r.status, 207,
            "round {round}: acknowledged collection {c} lost"
        );
        assert!(r.text().contains("calendar"), "{c} is not a calendar");
    }
    if let Some(c) = me.collection_pending.take() {
        let r = server.request("PROPFIND", &c).header("Depth", "0").send();
        match r.status {
            207 => me.collections.push(c),
            404 => {}
            s => panic!("round {round}: collection {c} in flight answered {s}"),
        }
    }
}

fn points(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn crash_http_every_acknowledged_write_survives_sigkill() {
    campaign(
        "redb",
        TestServer::start(),
        points("DAVLITE_CRASH_POINTS", 30),
    );
}

/// The same on PostgreSQL: the server process is killed, the database keeps running, and what
/// the server acknowledged must be exactly what the database holds.
#[test]
fn crash_http_on_postgres_every_acknowledged_write_survives_sigkill() {
    let server = TestServer::builder()
        .store(crate::postgres::database())
        .start();
    campaign("postgres", server, points("DAVLITE_CRASH_POINTS_PG", 10));
}

fn campaign(backend: &str, mut server: TestServer, points: usize) {
    let user = server.user().to_string();
    let ctx = Ctx {
        cal: format!("/dav/calendars/{user}/default/"),
        home: format!("/dav/calendars/{user}/"),
    };
    let mut workers: Vec<Option<Worker>> = (0..WORKERS)
        .map(|_| {
            Some(Worker {
                slots: vec![
                    Slot {
                        known: Obj::Absent,
                        pending: None,
                    };
                    KEYS
                ],
                moving: None,
                collections: Vec::new(),
                collection_pending: None,
                created: 0,
                acked: [0; 5],
            })
        })
        .collect();
    let mut rng = Rng::new(0xc2a5_4000_0000_0001);
    let started = Instant::now();
    let mut live_checked = 0usize;
    for round in 0..points {
        let stop = AtomicBool::new(false);
        let done = Mutex::new(Vec::new());
        let delay = Duration::from_millis(20 + rng.below(200) as u64);
        std::thread::scope(|s| {
            for (w, slot) in workers.iter_mut().enumerate() {
                let me = slot.take().unwrap();
                let (server, ctx, stop, done) = (&server, &ctx, &stop, &done);
                let seed = rng.next_u64();
                s.spawn(move || {
                    let me = drive(server, ctx, w, me, seed, stop);
                    done.lock().unwrap().push((w, me));
                });
            }
            std::thread::sleep(delay);
            server.send_sigkill();
            stop.store(true, Ordering::Relaxed);
        });
        server.kill();
        for (w, me) in done.into_inner().unwrap() {
            workers[w] = Some(me);
        }
        let verify = server.davlite(&["verify"], None);
        assert!(
            verify.status.success(),
            "round {round}: verify after SIGKILL: {}{}",
            String::from_utf8_lossy(&verify.stdout),
            String::from_utf8_lossy(&verify.stderr)
        );
        server = server.restart();
        for (w, me) in workers.iter_mut().enumerate() {
            let me = me.as_mut().unwrap();
            check(&server, &ctx, w, me, round);
            live_checked += me.slots.iter().filter(|s| s.known != Obj::Absent).count();
        }
    }
    let mut acked = [0usize; 5];
    for me in workers.iter().flatten() {
        for (a, b) in acked.iter_mut().zip(me.acked) {
            *a += b;
        }
    }
    eprintln!(
        "crash_http ({}): {points} kill points in {:.1} s; acknowledged creates, updates, deletes, \
         moves, mkcalendars: {acked:?}; {live_checked} live objects checked after restarts",
        backend,
        started.elapsed().as_secs_f64()
    );
    assert!(
        acked.iter().all(|&n| n > 0),
        "some kind of write never ran: {acked:?}"
    );
}
