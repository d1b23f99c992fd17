//! davlite-store benchmarks: durable conditional creates (one commit per write vs group commit),
//! If-Match updates, gets, listings, incremental sync and time-range queries.
//!
//! Run: `cargo bench -p davlite-benches --bench store`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use davlite_store::*;

static NEXT: AtomicU64 = AtomicU64::new(0);

const DAY: i64 = 86_400;

/// A ~450-byte event, unique per `n`, with a one-hour span somewhere in one year.
fn event(n: u64) -> ParsedObject {
    let uid = format!("{n:016x}-bench@davlite");
    let start = 1_700_000_000 + (n as i64 * 7919 % 365) * DAY + (n as i64 % 24) * 3600;
    let body = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite//bench//EN\r\nBEGIN:VEVENT\r\n\
         UID:{uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240101T090000Z\r\n\
         DTEND:20240101T100000Z\r\nSUMMARY:Benchmark event number {n}\r\n\
         DESCRIPTION:A reasonably sized description so the body is not trivially small.\r\n\
         LOCATION:Room {n}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    ParsedObject {
        bytes: body.into_bytes(),
        content_type: "text/calendar; charset=utf-8; component=vevent".into(),
        info: ObjectInfo {
            uid: Some(uid),
            kind: ObjectKind::Event,
            span: Some(TimeSpan {
                start,
                end: start + 3600,
            }),
            instances: Some(1),
            ..Default::default()
        },
    }
}

fn open(options: Options) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("bench.redb"), options).unwrap();
    store
        .create_collection(
            "cal",
            NewCollection {
                kind: CollectionKind::Calendar,
                ..Default::default()
            },
        )
        .unwrap();
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

/// `iters` conditional creates spread over `threads` writers; returns the wall time.
fn creates(store: &Store, threads: u64, iters: u64) -> Duration {
    let store = Arc::new(store.clone());
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let store = store.clone();
            let share = iters / threads + u64::from(t < iters % threads);
            s.spawn(move || {
                for _ in 0..share {
                    let n = NEXT.fetch_add(1, Ordering::Relaxed);
                    let out = store.put(
                        "cal",
                        &format!("c{n}.ics"),
                        event(n),
                        Precondition::IfNoneMatchAny,
                    );
                    assert!(out.unwrap().created);
                }
            });
        }
    });
    started.elapsed()
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
        b.iter_custom(|iters| creates(&single, 1, iters))
    });
    for threads in [1, 8, 64] {
        let (_d, store) = open(Options::default());
        g.bench_with_input(
            BenchmarkId::new("group_commit", threads),
            &threads,
            |b, &t| b.iter_custom(|iters| creates(&store, t, iters)),
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
            |b, &t| b.iter_custom(|iters| creates(&store, t, iters)),
        );
    }
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
            let mut obj = event(n);
            obj.bytes
                .extend_from_slice(format!("X-REV:{i}\r\n").as_bytes());
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
    g.bench_function("meta", |b| {
        b.iter(|| {
            j = (j + 7919) % names.len();
            store.meta("cal", &names[j]).unwrap().unwrap()
        })
    });
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

criterion_group!(benches, bench_creates, bench_update_and_get, bench_sync);
criterion_main!(benches);
