//! The DAV layer in-process (no socket) over a real store file with 10,000 events: PROPFIND
//! Depth 1 with getetag, multiget of 100, sync-collection initial and after 10 changes, a
//! one-week calendar-query, GET, and a durable PUT.
//!
//! `cargo bench -p davlite-benches --bench dav`
//!
//! The read benchmarks report the CPU time of the calling thread (the handler is synchronous and
//! runs on it), so they stay meaningful on a loaded machine; the durable PUT reports wall time.

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use davlite_dav::{Dav, DavConfig, RequestContext};
use davlite_store::{Durability, Options, Store};

const N: usize = 10_000;
const CAL: &str = "/dav/calendars/bench/default/";

/// CPU time of the calling thread, nanosecond resolution.
fn thread_cpu() -> std::time::Duration {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    std::time::Duration::from_nanos(
        s.split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .expect("ns"),
    )
}

/// Runs `f` `iters` times and returns the thread CPU time it took.
fn cpu(iters: u64, mut f: impl FnMut()) -> std::time::Duration {
    let start = thread_cpu();
    for _ in 0..iters {
        f();
    }
    thread_cpu() - start
}

fn event(i: usize) -> String {
    // Spread over 2024, one a day-ish; every 10th weekly-recurring for a year.
    let day = i % 365;
    let (m, d) = month_day(day);
    let hour = 8 + (i % 9);
    let rrule = if i % 10 == 0 {
        "RRULE:FREQ=WEEKLY;COUNT=52\r\n"
    } else {
        ""
    };
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite bench//EN\r\nBEGIN:VEVENT\r\nUID:bench-{i}@davlite\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:2024{m:02}{d:02}T{hour:02}0000Z\r\nDURATION:PT1H\r\n{rrule}SUMMARY:Benchmark event number {i}\r\nDESCRIPTION:A realistic description line that makes the object a bit larger than tiny\\, with an escaped comma.\r\nLOCATION:Room {r}\r\nATTENDEE;CN=Alice;PARTSTAT=ACCEPTED:mailto:alice@example.com\r\nATTENDEE;CN=Bob;PARTSTAT=NEEDS-ACTION:mailto:bob@example.com\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nDESCRIPTION:Reminder\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        r = i % 40
    )
}

fn month_day(day: usize) -> (usize, usize) {
    const LEN: [usize; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut d = day;
    for (m, len) in LEN.iter().enumerate() {
        if d < *len {
            return (m + 1, d + 1);
        }
        d -= len;
    }
    (12, 31)
}

fn request(
    dav: &Dav,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Bytes) {
    let mut b = http::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let req = b
        .body(Bytes::copy_from_slice(body.as_bytes()))
        .expect("request");
    let resp = dav.handle(
        req,
        &RequestContext {
            user: Some("bench".into()),
        },
    );
    let status = resp.status().as_u16();
    (status, resp.into_body().into_bytes())
}

/// `setup_small` filled with `N` events.
fn setup(durability: Durability) -> (tempfile::TempDir, Dav) {
    let (dir, dav) = setup_small(durability);
    for i in 0..N {
        let (s, _) = request(
            &dav,
            "PUT",
            &format!("{CAL}e{i}.ics"),
            &[("content-type", "text/calendar")],
            &event(i),
        );
        assert_eq!(s, 201);
    }
    (dir, dav)
}

fn sync_body(token: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
    )
}

fn token_of(body: &[u8]) -> String {
    let s = std::str::from_utf8(body).expect("utf8");
    let i = s.find("<D:sync-token>").expect("token") + 14;
    let j = s[i..].find('<').expect("end");
    s[i..i + j].to_string()
}

fn bench(c: &mut Criterion) {
    let (_dir, dav) = setup(Durability::Relaxed);
    let mut g = c.benchmark_group("dav_10k_cpu");
    g.sample_size(20);

    let propfind = r#"<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>"#;
    g.bench_function("propfind_depth1_getetag", |b| {
        b.iter_custom(|n| {
            cpu(n, || {
                let (s, body) = request(&dav, "PROPFIND", CAL, &[("depth", "1")], propfind);
                assert_eq!(s, 207);
                assert!(body.len() > N * 50);
            })
        })
    });

    let hrefs: String = (0..100)
        .map(|i| format!("<D:href>{CAL}e{}.ics</D:href>", i * 97))
        .collect();
    let multiget = format!(
        r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>{hrefs}</C:calendar-multiget>"#
    );
    g.bench_function("multiget_100", |b| {
        b.iter_custom(|n| {
            cpu(n, || {
                let (s, _) = request(&dav, "REPORT", CAL, &[("depth", "1")], &multiget);
                assert_eq!(s, 207);
            })
        })
    });

    let query = r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20240603T000000Z" end="20240610T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#;
    g.bench_function("calendar_query_week", |b| {
        b.iter_custom(|n| {
            cpu(n, || {
                let (s, body) = request(&dav, "REPORT", CAL, &[("depth", "1")], query);
                assert_eq!(s, 207);
                assert!(body.len() > 1000);
            })
        })
    });

    g.bench_function("sync_initial", |b| {
        b.iter_custom(|n| {
            cpu(n, || {
                let (s, _) = request(&dav, "REPORT", CAL, &[("depth", "1")], &sync_body(""));
                assert_eq!(s, 207);
            })
        })
    });

    let (_, body) = request(&dav, "REPORT", CAL, &[("depth", "1")], &sync_body(""));
    let token = token_of(&body);
    for i in 0..10 {
        let (s, _) = request(
            &dav,
            "PUT",
            &format!("{CAL}e{i}.ics"),
            &[("content-type", "text/calendar")],
            &event(i).replace("SUMMARY:", "SUMMARY:changed "),
        );
        assert_eq!(s, 204);
    }
    let inc = sync_body(&token);
    g.bench_function("sync_incremental_10", |b| {
        b.iter_custom(|n| {
            cpu(n, || {
                let (s, body) = request(&dav, "REPORT", CAL, &[("depth", "1")], &inc);
                assert_eq!(s, 207);
                assert_eq!(
                    body.windows(12).filter(|w| w == b"<D:response>").count(),
                    10
                );
            })
        })
    });

    g.bench_function("get", |b| {
        let mut i = 0usize;
        b.iter_custom(|n| {
            cpu(n, || {
                i = (i + 7919) % N;
                let (s, _) = request(&dav, "GET", &format!("{CAL}e{i}.ics"), &[], "");
                assert_eq!(s, 200);
            })
        })
    });
    g.finish();

    let (_dir2, durable) = setup_small(Durability::Immediate);
    let mut g = c.benchmark_group("dav_put");
    let mut n = 0usize;
    g.bench_function("put_create_durable_c1", |b| {
        b.iter(|| {
            n += 1;
            let (s, _) = request(
                &durable,
                "PUT",
                &format!("{CAL}new{n}.ics"),
                &[("content-type", "text/calendar"), ("if-none-match", "*")],
                &event(N + n).replace("bench-", "new-"),
            );
            assert_eq!(s, 201);
        })
    });
    g.finish();
}

fn setup_small(durability: Durability) -> (tempfile::TempDir, Dav) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(
        dir.path().join("bench.redb"),
        Options {
            durability,
            ..Options::default()
        },
    )
    .expect("open");
    let dav = Dav::new(store, DavConfig::default());
    dav.provision_user("bench").expect("provision");
    (dir, dav)
}

criterion_group!(benches, bench);
criterion_main!(benches);
