//! Does the store stay as fast and as small when it holds a million events as when it holds a
//! thousand? Fills a store through the library, then measures single operations on one calendar
//! of 1,000 events with a warm store: GET (a snapshot and one object), PUT (an If-Match update,
//! durable), incremental sync (`changes_since` a token ten changes back), and the process's
//! resident memory.
//!
//! The measured calendar is the same at every size (1,000 events, written first), so what
//! differs between sizes is only how much else the store holds: at 1,000 events nothing, at
//! 1,000,000 another 999,000 events in calendars of 10,000. Measuring a bigger calendar at the
//! bigger size would also measure a bigger working set (random GETs over 10,000 bodies miss the
//! CPU caches more than over 1,000, in any store); that figure is printed as an extra row.
//!
//! Not a criterion bench (one run takes minutes); results go in BENCHMARKS.md:
//!
//!     cargo bench -p davlite-benches --bench scale                    # redb, 1,000 and 1,000,000
//!     DAVLITE_SCALE_SIZES=1000,100000 cargo bench -p davlite-benches --bench scale
//!     DAVLITE_SCALE_STORE='host=/tmp/pg user=postgres dbname=scale' \
//!         cargo bench -p davlite-benches --bench scale                # PostgreSQL
//!
//! With PostgreSQL, each size gets the database named in the URL emptied first (every table
//! dropped and migrated again), so point it at a scratch database.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use davlite_store::conformance::fixtures::utc;
use davlite_store::*;

const PER_CALENDAR: u64 = 10_000;
/// Events in the measured calendar, at every store size.
const MEASURED: u64 = 1_000;
const MEASURED_CAL: &str = "cals/measured";
const DAY: i64 = 86_400;

fn event(n: u64, rev: u32) -> ParsedObject {
    let uid = format!("{n:016x}-scale@davlite");
    let start = 1_700_000_000 + (n as i64 * 7919 % 365) * DAY + (n as i64 % 24) * 3600;
    let (dtstart, dtend) = (utc(start), utc(start + 3600));
    let body = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite//scale//EN\r\nBEGIN:VEVENT\r\n\
         UID:{uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:{dtstart}\r\n\
         DTEND:{dtend}\r\nSUMMARY:Scale event {n} revision {rev}\r\n\
         DESCRIPTION:A reasonably sized description so the body is not trivially small.\r\n\
         LOCATION:Room {n}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    ParsedObject::calendar(body.into_bytes()).unwrap()
}

fn rss_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A store on the backend under test; `fill` says whether durability may be relaxed (redb
/// only: the fill is not what is measured).
fn open(spec: &str, dir: &std::path::Path, relaxed: bool) -> Store {
    if spec == "redb" {
        let options = Options {
            durability: if relaxed {
                Durability::Relaxed
            } else {
                Durability::Immediate
            },
            ..Options::default()
        };
        return Store::open(dir.join("scale.redb"), options).expect("open redb");
    }
    open_postgres(spec)
}

fn open_postgres(url: &str) -> Store {
    let options = davlite_store_postgres::PgOptions {
        pool_size: 24,
        ..Default::default()
    };
    Store::new(davlite_store_postgres::PgStore::connect(url, options).expect("connect"))
}

/// Empties the scratch database: every table goes, the next connect migrates afresh.
fn reset_postgres(url: &str) {
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    client
        .batch_execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        .expect("reset the scratch database");
}

fn calendar(i: u64) -> String {
    format!("cals/c{i:04}")
}

/// The measured calendar (events `0..MEASURED`), then the rest of `n` (events `MEASURED..n`) in
/// calendars of `PER_CALENDAR`.
fn fill(store: &Store, n: u64) {
    let start = Instant::now();
    if store.collection("cals").unwrap().is_none() {
        store
            .create_collection("cals", NewCollection::default())
            .unwrap();
    }
    let new_calendar = |path: &str, owner: String| {
        store
            .create_collection(
                path,
                NewCollection {
                    kind: CollectionKind::Calendar,
                    owner,
                    ..Default::default()
                },
            )
            .unwrap();
    };
    new_calendar(MEASURED_CAL, "measured".into());
    for i in 0..MEASURED.min(n) {
        put_new(store, MEASURED_CAL, i);
    }
    let rest = n.saturating_sub(MEASURED);
    for c in 0..rest.div_ceil(PER_CALENDAR) {
        new_calendar(&calendar(c), format!("user{c}"));
    }
    // Each thread fills whole calendars: writers of one calendar queue on its lock (on
    // PostgreSQL, one WAL flush each), writers of different calendars do not.
    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    std::thread::scope(|s| {
        for _ in 0..16 {
            let (next, done) = (next.clone(), done.clone());
            s.spawn(move || {
                loop {
                    let c = next.fetch_add(1, Ordering::Relaxed);
                    let first = c * PER_CALENDAR;
                    if first >= rest {
                        break;
                    }
                    for i in first..rest.min(first + PER_CALENDAR) {
                        put_new(store, &calendar(c), MEASURED + i);
                        let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                        if d % 100_000 == 0 {
                            eprintln!("  {d} events in {:.0?}", start.elapsed());
                        }
                    }
                }
            });
        }
    });
    eprintln!(
        "  filled {n} events in {:.1?} ({:.0}/s)",
        start.elapsed(),
        n as f64 / start.elapsed().as_secs_f64()
    );
}

fn put_new(store: &Store, cal: &str, i: u64) {
    store
        .put(
            cal,
            &format!("e{i}.ics"),
            event(i, 0),
            Precondition::IfNoneMatchAny,
        )
        .unwrap();
}

struct Latencies(Vec<Duration>);

impl Latencies {
    fn pct(&mut self, p: f64) -> Duration {
        self.0.sort_unstable();
        self.0[((self.0.len() - 1) as f64 * p) as usize]
    }
}

/// Random members `first..first + members` of `cal`.
fn picker(first: u64, members: u64) -> impl FnMut() -> u64 {
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        first + x % members
    }
}

/// 2,000 timed GETs of members `pick` chooses.
fn timed_gets(store: &Store, cal: &str, mut pick: impl FnMut() -> u64) -> Latencies {
    let mut get = Latencies(Vec::new());
    for _ in 0..2_000 {
        let i = pick();
        let t = Instant::now();
        let got = store.get(cal, &format!("e{i}.ics")).unwrap();
        get.0.push(t.elapsed());
        assert!(got.is_some());
    }
    get
}

/// 2,000 GETs of random members, after a pass that reads every member.
fn warm_gets(store: &Store, cal: &str, first: u64, members: u64) -> Latencies {
    for i in first..first + members {
        assert!(store.get(cal, &format!("e{i}.ics")).unwrap().is_some());
    }
    timed_gets(store, cal, picker(first, members))
}

fn measure(store: &Store, n: u64) -> Vec<(String, Duration, Duration)> {
    let cal = MEASURED_CAL;
    let (first, members) = (0, MEASURED.min(n));
    let mut pick = picker(first, members);
    // Warm up: a pass over the measured calendar's metadata.
    let _ = store.list(cal).unwrap();
    // Two kinds of GET: the first read of random members (their bodies not yet in redb's
    // cache: at 1,000 events the whole file soon is, at 1,000,000 most reads go to the OS),
    // then, after a pass that reads every member, the same calendar warm (the working set a
    // server that keeps serving one calendar has).
    let mut cold = timed_gets(store, cal, &mut pick);
    let mut get = warm_gets(store, cal, first, members);
    let mut put = Latencies(Vec::new());
    for r in 0..300 {
        let i = pick();
        let name = format!("e{i}.ics");
        let etag = store.meta(cal, &name).unwrap().unwrap().etag;
        let obj = event(i, r + 1);
        let t = Instant::now();
        store
            .put(cal, &name, obj, Precondition::IfMatch(vec![etag]))
            .unwrap();
        put.0.push(t.elapsed());
    }
    let mut sync = Latencies(Vec::new());
    for r in 0..300 {
        let token = store.collection(cal).unwrap().unwrap().seq;
        for k in 0..10 {
            let i = first + (r * 10 + k) % members;
            let name = format!("e{i}.ics");
            let etag = store.meta(cal, &name).unwrap().unwrap().etag;
            store
                .put(
                    cal,
                    &name,
                    event(i, 1000 + r as u32),
                    Precondition::IfMatch(vec![etag]),
                )
                .unwrap();
        }
        let t = Instant::now();
        let changes = store.changes_since(cal, Some(token), None).unwrap();
        sync.0.push(t.elapsed());
        assert_eq!(changes.changes.len(), 10);
    }
    let mut rows = vec![
        ("GET (first reads)".into(), cold.pct(0.5), cold.pct(0.99)),
        ("GET (calendar warm)".into(), get.pct(0.5), get.pct(0.99)),
        (
            "PUT (If-Match, durable)".into(),
            put.pct(0.5),
            put.pct(0.99),
        ),
        (
            "incremental sync, 10 changes".into(),
            sync.pct(0.5),
            sync.pct(0.99),
        ),
    ];
    if n >= MEASURED + PER_CALENDAR {
        let mut big = warm_gets(store, &calendar(0), MEASURED, PER_CALENDAR);
        rows.push((
            "GET (a 10,000-event calendar warm)".into(),
            big.pct(0.5),
            big.pct(0.99),
        ));
    }
    rows
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken from the command line.
    let spec = std::env::var("DAVLITE_SCALE_STORE").unwrap_or_else(|_| "redb".into());
    let sizes: Vec<u64> = std::env::var("DAVLITE_SCALE_SIZES")
        .unwrap_or_else(|_| "1000,1000000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("DAVLITE_SCALE_SIZES: numbers"))
        .collect();
    println!(
        "store: {}",
        if spec == "redb" { "redb" } else { "postgres" }
    );
    println!("| events | operation | p50 | p99 | RSS after (MiB) |");
    println!("|---|---|---|---|---|");
    let mut kept = Vec::new();
    for &n in &sizes {
        let dir = tempfile::tempdir().unwrap();
        if spec != "redb" {
            reset_postgres(&spec);
        }
        eprintln!("filling {n}");
        {
            let store = open(&spec, dir.path(), true);
            fill(&store, n);
        }
        if spec == "redb" {
            // The fill commits without fsync: flush its gigabytes now, or the kernel's
            // writeback of them runs under the measurements (and every durable PUT waits on it).
            std::fs::File::open(dir.path().join("scale.redb"))
                .and_then(|f| f.sync_all())
                .expect("sync the filled store");
        }
        // Measured on a store opened afresh, durable, as a server would run it.
        let store = open(&spec, dir.path(), false);
        let rows = measure(&store, n);
        let rss = rss_kib("VmRSS:") / 1024;
        for (op, p50, p99) in rows {
            println!("| {n} | {op} | {p50:.1?} | {p99:.1?} | {rss} |");
        }
        if spec == "redb" {
            let size = std::fs::metadata(dir.path().join("scale.redb")).map_or(0, |m| m.len());
            eprintln!("  store file {} MiB", size >> 20);
            drop(store);
            kept.push((n, dir));
        }
    }
    if kept.len() > 1 {
        paired(&spec, &kept);
    }
}

/// The warm GET and the durable PUT again, the sizes taking turns (GETs in batches of 500, PUTs
/// of 10) within one run: on a shared machine a GET's p50 moves by half between runs of the
/// bench (0.6 to 1.0 µs at 1,000 events) and a PUT's with the disk's fsync time, far more than
/// between sizes; turns put every size under the same conditions.
fn paired(spec: &str, kept: &[(u64, tempfile::TempDir)]) {
    let stores: Vec<(u64, Store)> = kept
        .iter()
        .map(|(n, dir)| (*n, open(spec, dir.path(), false)))
        .collect();
    let mut gets: Vec<Latencies> = stores.iter().map(|_| Latencies(Vec::new())).collect();
    let mut puts: Vec<Latencies> = stores.iter().map(|_| Latencies(Vec::new())).collect();
    for (_, store) in &stores {
        warm_gets(store, MEASURED_CAL, 0, MEASURED);
    }
    let mut pick = picker(0, MEASURED);
    for round in 0..40 {
        for ((_, store), lat) in stores.iter().zip(&mut gets) {
            for _ in 0..500 {
                let name = format!("e{}.ics", pick());
                let t = Instant::now();
                let got = store.get(MEASURED_CAL, &name).unwrap();
                lat.0.push(t.elapsed());
                assert!(got.is_some());
            }
        }
        for ((_, store), lat) in stores.iter().zip(&mut puts) {
            for k in 0..10 {
                let i = pick();
                let name = format!("e{i}.ics");
                let etag = store.meta(MEASURED_CAL, &name).unwrap().unwrap().etag;
                let obj = event(i, 5000 + round * 10 + k);
                let t = Instant::now();
                store
                    .put(MEASURED_CAL, &name, obj, Precondition::IfMatch(vec![etag]))
                    .unwrap();
                lat.0.push(t.elapsed());
            }
        }
    }
    for (((n, _), mut get), mut put) in stores.iter().zip(gets).zip(puts) {
        println!(
            "| {n} | GET (calendar warm, sizes in turns) | {:.1?} | {:.1?} | |",
            get.pct(0.5),
            get.pct(0.99)
        );
        println!(
            "| {n} | PUT (If-Match, durable, sizes in turns) | {:.1?} | {:.1?} | |",
            put.pct(0.5),
            put.pct(0.99)
        );
    }
}
