//! davlite-store benchmarks: durable conditional creates (one commit per write vs group commit),
//! If-Match updates, gets, listings, incremental sync and time-range queries, with raw redb
//! commits as the yardstick measured in the same run.
//!
//! Run: `cargo bench -p davlite-benches --bench store`
//!
//! Groups named `store/cpu/...` report CPU time (all threads of the process, from /proc)
//! instead of wall time: on a machine shared with other jobs, wall time mostly measures the
//! scheduler and the disk queue, CPU time measures what an operation costs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use davlite_store::conformance::fixtures::utc;
use davlite_store::*;

static NEXT: AtomicU64 = AtomicU64::new(0);

const DAY: i64 = 86_400;

/// CPU time of the whole process so far (all threads, living and exited), 10 ms resolution.
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

/// CPU time of the calling thread, nanosecond resolution.
fn thread_cpu() -> Duration {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    Duration::from_nanos(s.split_whitespace().next().unwrap().parse().unwrap())
}

/// A ~450-byte event, unique per `n`, with a one-hour span somewhere in one year.
fn event(n: u64) -> ParsedObject {
    event_rev(n, 0)
}

/// Revision `rev` of [`event`]: other bytes, the same index data. Parsed from its bytes like a
/// PUT body; callers build it before the timed part so the store's figures stay the store's.
fn event_rev(n: u64, rev: u64) -> ParsedObject {
    let uid = format!("{n:016x}-bench@davlite");
    let start = 1_700_000_000 + (n as i64 * 7919 % 365) * DAY + (n as i64 % 24) * 3600;
    let (dtstart, dtend) = (utc(start), utc(start + 3600));
    let body = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite//bench//EN\r\nBEGIN:VEVENT\r\n\
         UID:{uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:{dtstart}\r\n\
         DTEND:{dtend}\r\nSUMMARY:Benchmark event number {n} revision {rev}\r\n\
         DESCRIPTION:A reasonably sized description so the body is not trivially small.\r\n\
         LOCATION:Room {n}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    ParsedObject::calendar(body.into_bytes()).unwrap()
}

fn open(options: Options) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("bench.redb"), options).unwrap();
    let cal = NewCollection {
        kind: CollectionKind::Calendar,
        ..Default::default()
    };
    store.create_collection("cal", cal).unwrap();
    (dir, store)
}

fn fill(store: &Store, n: u64) {
    // Fill through concurrent writers so setup uses group commit.
    std::thread::scope(|s| {
        for t in 0..32 {
            s.spawn(move || {
                for i in (t..n).step_by(32) {
                    store
                        .put("cal", &format!("{i}.ics"), event(i), Precondition::None)
                        .unwrap();
                }
            });
        }
    });
}

/// `iters` conditional creates spread over `threads` writers; returns wall time, or process
/// CPU time when `cpu`.
fn creates(store: &Store, threads: u64, iters: u64, cpu: bool) -> Duration {
    let store = Arc::new(store.clone());
    // Parsed before the clock starts: this measures the store, not the parser.
    let shares: Vec<Vec<(u64, ParsedObject)>> = (0..threads)
        .map(|t| {
            let share = iters / threads + u64::from(t < iters % threads);
            (0..share)
                .map(|_| {
                    let n = NEXT.fetch_add(1, Ordering::Relaxed);
                    (n, event(n))
                })
                .collect()
        })
        .collect();
    let (started, cpu0) = (Instant::now(), process_cpu());
    std::thread::scope(|s| {
        for share in shares {
            let store = store.clone();
            s.spawn(move || {
                for (n, obj) in share {
                    let name = format!("c{n}.ics");
                    let out = store.put("cal", &name, obj, Precondition::IfNoneMatchAny);
                    assert!(out.unwrap().created);
                }
            });
        }
    });
    if cpu {
        process_cpu() - cpu0
    } else {
        started.elapsed()
    }
}

fn bench_creates(c: &mut Criterion) {
    let mut g = c.benchmark_group("store/create_durable");
    g.throughput(Throughput::Elements(1))
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    let (_d, single) = open(Options {
        group_commit: false,
        ..Options::default()
    });
    g.bench_function("one_commit_per_write", |b| {
        b.iter_custom(|iters| creates(&single, 1, iters, false))
    });
    for threads in [1, 8, 64] {
        let (_d, store) = open(Options::default());
        g.bench_with_input(
            BenchmarkId::new("group_commit", threads),
            &threads,
            |b, &t| b.iter_custom(|iters| creates(&store, t, iters, false)),
        );
    }
    g.finish();

    let mut g = c.benchmark_group("store/create_relaxed");
    g.throughput(Throughput::Elements(1))
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    for threads in [1, 64] {
        let (_d, store) = open(Options {
            durability: Durability::Relaxed,
            ..Options::default()
        });
        g.bench_with_input(
            BenchmarkId::new("group_commit", threads),
            &threads,
            |b, &t| b.iter_custom(|iters| creates(&store, t, iters, false)),
        );
    }
    g.finish();

    let mut g = c.benchmark_group("store/cpu/create");
    g.throughput(Throughput::Elements(1))
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    let (_d, store) = open(Options::default());
    g.bench_function("durable_group_commit_64", |b| {
        b.iter_custom(|iters| creates(&store, 64, iters, true))
    });
    let (_d, store) = open(Options {
        durability: Durability::Relaxed,
        ..Options::default()
    });
    g.bench_function("relaxed_group_commit_64", |b| {
        b.iter_custom(|iters| creates(&store, 64, iters, true))
    });
    g.finish();
}

/// Raw redb in the same run, same disk: the yardstick for the store's numbers.
fn bench_redb(c: &mut Criterion) {
    const T: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("t");
    let dir = tempfile::tempdir().unwrap();
    let db = redb::Database::create(dir.path().join("raw.redb")).unwrap();
    let value = event(0).into_bytes();
    let mut g = c.benchmark_group("store/redb_baseline");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(1));
    g.bench_function("durable_commit_per_insert", |b| {
        b.iter(|| {
            let txn = db.begin_write().unwrap();
            txn.open_table(T)
                .unwrap()
                .insert(NEXT.fetch_add(1, Ordering::Relaxed), value.as_slice())
                .unwrap();
            txn.commit().unwrap();
        })
    });
    g.throughput(Throughput::Elements(100));
    g.bench_function("durable_100_inserts_per_commit", |b| {
        b.iter(|| {
            let txn = db.begin_write().unwrap();
            {
                let mut t = txn.open_table(T).unwrap();
                for _ in 0..100 {
                    t.insert(NEXT.fetch_add(1, Ordering::Relaxed), value.as_slice())
                        .unwrap();
                }
            }
            txn.commit().unwrap();
        })
    });
    g.finish();
}

fn bench_update_and_get(c: &mut Criterion) {
    let (_d, store) = open(Options::default());
    fill(&store, 10_000);
    let mut g = c.benchmark_group("store/object");
    g.throughput(Throughput::Elements(1))
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    let mut i = 0u64;
    g.bench_function("update_if_match_durable", |b| {
        b.iter(|| {
            i += 1;
            let n = i % 10_000;
            let name = format!("{n}.ics");
            let cur = store.meta("cal", &name).unwrap().unwrap().etag;
            let obj = event_rev(n, i);
            store
                .put("cal", &name, obj, Precondition::IfMatch(vec![cur]))
                .unwrap()
        })
    });
    let names: Vec<String> = (0..10_000).map(|n| format!("{n}.ics")).collect();
    let mut j = 0usize;
    g.bench_function("get", |b| {
        b.iter(|| {
            j = (j + 7919) % names.len();
            store.get("cal", &names[j]).unwrap().unwrap()
        })
    });
    g.finish();

    // Single-threaded reads, in this thread's CPU time.
    // schedstat advances at scheduler ticks: long samples keep its granularity negligible.
    let mut g = c.benchmark_group("store/cpu/read");
    g.throughput(Throughput::Elements(1))
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    for (label, body) in [("get", true), ("meta", false)] {
        g.bench_function(label, |b| {
            b.iter_custom(|iters| {
                let cpu0 = thread_cpu();
                for k in 0..iters {
                    let name = &names[(k as usize * 7919) % names.len()];
                    if body {
                        std::hint::black_box(store.get("cal", name).unwrap().unwrap());
                    } else {
                        std::hint::black_box(store.meta("cal", name).unwrap().unwrap());
                    }
                }
                thread_cpu() - cpu0
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("store/query");
    g.sample_size(20);
    g.bench_function("list_10000_names_etags", |b| {
        b.iter(|| store.list("cal").unwrap().len())
    });
    g.bench_function("one_week_at_10000", |b| {
        let start = 1_700_000_000 + 100 * DAY;
        b.iter(|| {
            store
                .overlapping("cal", start, start + 7 * DAY)
                .unwrap()
                .len()
        })
    });
    g.finish();
}

fn bench_sync(c: &mut Criterion) {
    let mut g = c.benchmark_group("store/changes_since_10");
    g.sample_size(50);
    for size in [1_000u64, 100_000] {
        let (_d, store) = open(Options {
            durability: Durability::Relaxed,
            ..Options::default()
        });
        fill(&store, size);
        let token = store.collection("cal").unwrap().unwrap().seq;
        for n in 0..10 {
            store
                .put(
                    "cal",
                    &format!("new{n}.ics"),
                    event(size + n),
                    Precondition::None,
                )
                .unwrap();
        }
        g.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, _| {
            b.iter(|| {
                let ch = store.changes_since("cal", Some(token), None).unwrap();
                assert_eq!(ch.changes.len(), 10);
                ch
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_creates,
    bench_redb,
    bench_update_and_get,
    bench_sync
);
criterion_main!(benches);
