//! Recurrence and filter costs in davlite-formats: expanding a daily event over ten years, and
//! evaluating a one-week calendar-query time-range filter over 10,000 stored objects.
//!
//! Groups ending in `_cpu` count this thread's CPU time rather than wall time, so a machine
//! shared with other builds still gives the cost of the work itself.
//!
//! Run: `cargo bench -p davlite-benches --bench formats_time`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use davlite_formats::filter::{CompFilter, TimeRange};
use davlite_formats::{expand, instances, matches_calendar};
use std::hint::black_box;
use std::time::Duration;

/// CPU time this thread has used (Linux schedstat, nanoseconds).
fn thread_cpu() -> Duration {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    Duration::from_nanos(
        s.split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    )
}

/// Criterion timing of `f` in CPU time.
fn cpu_iter<R>(b: &mut criterion::Bencher<'_>, mut f: impl FnMut() -> R) {
    b.iter_custom(|iters| {
        let start = thread_cpu();
        for _ in 0..iters {
            black_box(f());
        }
        thread_cpu() - start
    })
}

/// 2024-01-01T00:00:00Z.
const T2024: i64 = 1_704_067_200;
const DAY: i64 = 86_400;

const NY: &str = "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nBEGIN:STANDARD\r\nDTSTART:19701101T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700308T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";

fn calendar(body: &str) -> Vec<u8> {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite//bench//EN\r\n{NY}{body}END:VCALENDAR\r\n").into_bytes()
}

fn daily_event() -> Vec<u8> {
    calendar(
        "BEGIN:VEVENT\r\nUID:daily@bench\r\nDTSTAMP:20240101T000000Z\r\nDTSTART;TZID=America/New_York:20240101T090000\r\nDTEND;TZID=America/New_York:20240101T093000\r\nRRULE:FREQ=DAILY\r\nSUMMARY:Daily standup\r\nEND:VEVENT\r\n",
    )
}

/// A typical collection: one event per hour-ish over a year, every tenth one weekly recurring.
fn collection(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|k| {
            let day = (k * 365 / n) as i64;
            let start = chrono_like(T2024 + day * DAY + ((k % 10) as i64 + 8) * 3600);
            let end = chrono_like(T2024 + day * DAY + ((k % 10) as i64 + 9) * 3600);
            let rule = if k % 10 == 0 { "RRULE:FREQ=WEEKLY;COUNT=20\r\n" } else { "" };
            calendar(&format!(
                "BEGIN:VEVENT\r\nUID:ev{k}@bench\r\nDTSTAMP:20240101T000000Z\r\nDTSTART;TZID=America/New_York:{start}\r\nDTEND;TZID=America/New_York:{end}\r\n{rule}SUMMARY:Event number {k}\r\nDESCRIPTION:Some description text for event {k}\\, long enough to look real.\r\nLOCATION:Room {}\r\nATTENDEE;CN=A;PARTSTAT=ACCEPTED:mailto:a@example.com\r\nATTENDEE;CN=B;PARTSTAT=NEEDS-ACTION:mailto:b@example.com\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT\r\n",
                k % 7
            ))
        })
        .collect()
}

/// `YYYYMMDDTHHMMSS` (floating form) of UTC seconds, without a date library.
fn chrono_like(t: i64) -> String {
    let days = t.div_euclid(DAY);
    let secs = t.rem_euclid(DAY);
    // Civil-from-days (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn week_filter(start: i64) -> CompFilter {
    let ev = CompFilter {
        name: "VEVENT".into(),
        is_not_defined: false,
        time_range: Some(TimeRange {
            start: Some(start),
            end: Some(start + 7 * DAY),
        }),
        prop_filters: vec![],
        comp_filters: vec![],
    };
    CompFilter {
        name: "VCALENDAR".into(),
        is_not_defined: false,
        time_range: None,
        prop_filters: vec![],
        comp_filters: vec![ev],
    }
}

fn bench(c: &mut Criterion) {
    let daily = daily_event();
    let ten_years = (T2024, T2024 + 3653 * DAY);
    assert_eq!(
        instances(&daily, ten_years.0, ten_years.1).unwrap().len(),
        3653
    );
    let mut g = c.benchmark_group("recurrence");
    g.throughput(Throughput::Elements(3653));
    g.bench_function("instances_daily_10y", |b| {
        b.iter(|| instances(black_box(&daily), ten_years.0, ten_years.1).unwrap())
    });
    g.bench_function("expand_daily_10y_bytes", |b| {
        b.iter(|| expand(black_box(&daily), ten_years.0, ten_years.1).unwrap())
    });
    g.bench_function("instances_daily_10y_cpu", |b| {
        cpu_iter(b, || instances(&daily, ten_years.0, ten_years.1).unwrap())
    });
    g.bench_function("expand_daily_10y_bytes_cpu", |b| {
        cpu_iter(b, || expand(&daily, ten_years.0, ten_years.1).unwrap())
    });
    g.finish();

    let objects = collection(10_000);
    let filter = week_filter(T2024 + 150 * DAY);
    let hits = objects
        .iter()
        .filter(|o| matches_calendar(&filter, o).unwrap())
        .count();
    assert!(hits > 100 && hits < 2_000, "{hits} matches");
    let mut g = c.benchmark_group("filter");
    g.sample_size(10);
    g.throughput(Throughput::Elements(objects.len() as u64));
    g.bench_function("week_time_range_10000_objects", |b| {
        b.iter(|| {
            objects
                .iter()
                .filter(|o| matches_calendar(black_box(&filter), o).unwrap())
                .count()
        })
    });
    g.bench_function("week_time_range_10000_objects_cpu", |b| {
        cpu_iter(b, || {
            objects
                .iter()
                .filter(|o| matches_calendar(&filter, o).unwrap())
                .count()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
