//! davlite-proto wire-format costs, without store or HTTP: writing a 10,000-response
//! multistatus with getetag (the body of a PROPFIND Depth 1 over a large calendar), and parsing
//! a calendar-multiget of 100 hrefs.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use davlite_proto::{MultistatusWriter, Prop, PropStat, QName, Report};

const GETETAG: QName = QName::dav("getetag");

fn write_multistatus(c: &mut Criterion) {
    let hrefs: Vec<String> = (0..10_000)
        .map(|i| format!("/dav/calendars/alice/work/{i:08}-4fe5-9404-1e6152b4d1d6.ics"))
        .collect();
    let etags: Vec<String> = (0..10_000).map(|i| format!("\"{i:032x}\"")).collect();
    let mut g = c.benchmark_group("proto");
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("multistatus_10000_getetag", |b| {
        b.iter(|| {
            let mut w = MultistatusWriter::new();
            let mut total = 0usize;
            for (h, e) in hrefs.iter().zip(&etags) {
                w.response_propstat(h, &[PropStat::ok(vec![Prop::text(GETETAG, e.as_str())])]);
                if w.buffered() >= 64 * 1024 {
                    total += w.take_chunk().len();
                }
            }
            total += w.finish().len();
            black_box(total)
        })
    });
    g.finish();
}

fn parse_multiget(c: &mut Criterion) {
    let mut body = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
"#,
    );
    for i in 0..100 {
        body.push_str(&format!(
            "  <D:href>/dav/calendars/alice%40example.com/work/{i:08}-4fe5-9404-1e6152b4d1d6.ics</D:href>\n"
        ));
    }
    body.push_str("</C:calendar-multiget>\n");
    let mut g = c.benchmark_group("proto");
    g.throughput(Throughput::Elements(100));
    g.bench_function("parse_multiget_100", |b| {
        b.iter(|| {
            let r = Report::parse(black_box(body.as_bytes())).unwrap();
            let Report::CalendarMultiget { hrefs, .. } = r else {
                unreachable!()
            };
            assert_eq!(hrefs.len(), 100);
            hrefs
        })
    });
    g.finish();
}

criterion_group!(benches, write_multistatus, parse_multiget);
criterion_main!(benches);
