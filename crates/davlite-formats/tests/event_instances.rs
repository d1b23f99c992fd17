//! `ObjectInfo::event_instances` stands in for the filter evaluator: the store answers
//! `VCALENDAR > VEVENT > time-range` from it without reading bodies. So whenever it is given,
//! "some listed span overlaps the range" must equal `matches_calendar` on the bytes, for every
//! range. Checked on the shared corpus, on the load generator's objects and on hand-written
//! edge cases, for ranges at instance boundaries and at random.

use crate::common::comp;
use davlite_testkit::Rng;

use davlite_formats::filter::{CompFilter, TimeRange};
use davlite_formats::tz::Zone;
use davlite_formats::{
    Charset, ParseOptions, ParsedObject, TimeSpan, matches_calendar, matches_calendar_in,
    split_calendar,
};

/// Floating zones on both sides of UTC, with DST changes (New York) and the extremes.
fn zones() -> Vec<Zone> {
    ["America/New_York", "Asia/Tokyo", "Pacific/Kiritimati"]
        .iter()
        .map(|z| davlite_formats::tz::zone_for_id(z).unwrap())
        .collect()
}

fn event_filter(start: Option<i64>, end: Option<i64>) -> CompFilter {
    let mut event = comp("VEVENT");
    event.time_range = Some(TimeRange { start, end });
    let mut root = comp("VCALENDAR");
    root.comp_filters.push(event);
    root
}

fn cal(body: &str) -> Vec<u8> {
    format!("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\n{body}END:VCALENDAR\n")
        .replace('\n', "\r\n")
        .into_bytes()
}

const BERLIN: &str = "BEGIN:VTIMEZONE\nTZID:Europe/Berlin\nBEGIN:DAYLIGHT\nTZOFFSETFROM:+0100\n\
TZOFFSETTO:+0200\nDTSTART:19700329T020000\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\nEND:DAYLIGHT\n\
BEGIN:STANDARD\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nDTSTART:19701025T030000\n\
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nEND:STANDARD\nEND:VTIMEZONE\n";

/// A zone no IANA name stands for: only the recurrence engine can read it.
const CUSTOM: &str = "BEGIN:VTIMEZONE\nTZID:Office Time\nBEGIN:STANDARD\nTZOFFSETFROM:+0530\n\
TZOFFSETTO:+0530\nDTSTART:19700101T000000\nEND:STANDARD\nEND:VTIMEZONE\n";

fn ev(uid: &str, lines: &str) -> String {
    format!("BEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20240101T000000Z\n{lines}END:VEVENT\n")
}

/// Edge cases, each with whether it must be indexed.
fn edge_cases() -> Vec<(&'static str, Vec<u8>, bool)> {
    vec![
        (
            "all-day",
            cal(&ev("a", "DTSTART;VALUE=DATE:20240310\n")),
            true,
        ),
        (
            "all-day, three days",
            cal(&ev(
                "b",
                "DTSTART;VALUE=DATE:20240310\nDTEND;VALUE=DATE:20240313\n",
            )),
            true,
        ),
        (
            "zero duration",
            cal(&ev(
                "c",
                "DTSTART:20240310T100000Z\nDTEND:20240310T100000Z\n",
            )),
            true,
        ),
        ("no end", cal(&ev("d", "DTSTART:20240310T100000Z\n")), true),
        (
            "DURATION PT0S",
            cal(&ev("e", "DTSTART:20240310T100000Z\nDURATION:PT0S\n")),
            true,
        ),
        (
            "DURATION P1D over a DST change",
            cal(&format!(
                "{BERLIN}{}",
                ev(
                    "f",
                    "DTSTART;TZID=Europe/Berlin:20240330T120000\nDURATION:P1DT2H\n"
                )
            )),
            true,
        ),
        (
            "DTEND before DTSTART",
            cal(&ev(
                "g",
                "DTSTART:20240310T100000Z\nDTEND:20240310T080000Z\n",
            )),
            true,
        ),
        (
            "negative DURATION",
            cal(&ev("h", "DTSTART:20240310T100000Z\nDURATION:-PT2H\n")),
            true,
        ),
        (
            "weekly with EXDATE and a moved instance",
            cal(&format!(
                "{}{}",
                ev(
                    "i",
                    "DTSTART:20240304T090000Z\nDTEND:20240304T100000Z\n\
                     RRULE:FREQ=WEEKLY;COUNT=10\nEXDATE:20240318T090000Z\n"
                ),
                ev(
                    "i",
                    "RECURRENCE-ID:20240325T090000Z\nDTSTART:20240326T150000Z\n\
                     DTEND:20240326T180000Z\n"
                )
            )),
            true,
        ),
        (
            "daily UNTIL with RDATEs, a period among them",
            cal(&ev(
                "j",
                "DTSTART:20240601T120000Z\nDURATION:PT30M\n\
                 RRULE:FREQ=DAILY;UNTIL=20240610T120000Z\n\
                 RDATE:20240701T080000Z,20240702T080000Z\n\
                 RDATE;VALUE=PERIOD:20240801T080000Z/20240801T200000Z\n",
            )),
            true,
        ),
        (
            "floating and recurring",
            cal(&ev(
                "k",
                "DTSTART:20240105T230000\nDTEND:20240106T010000\n\
                 RRULE:FREQ=DAILY;INTERVAL=3;COUNT=20\n",
            )),
            true,
        ),
        (
            "zone only the engine reads",
            cal(&format!(
                "{CUSTOM}{}",
                ev(
                    "l",
                    "DTSTART;TZID=Office Time:20240105T090000\n\
                     DTEND;TZID=Office Time:20240105T100000\n\
                     RRULE:FREQ=WEEKLY;BYDAY=MO,FR;COUNT=15\n"
                )
            )),
            true,
        ),
        (
            "single event in a zone only the engine reads",
            cal(&format!(
                "{CUSTOM}{}",
                ev(
                    "l2",
                    "DTSTART;TZID=Office Time:20240105T090000\n\
                     DTEND;TZID=Office Time:20240105T100000\n"
                )
            )),
            true,
        ),
        (
            "THISANDFUTURE override",
            cal(&format!(
                "{}{}",
                ev(
                    "m",
                    "DTSTART:20240101T100000Z\nDTEND:20240101T110000Z\n\
                     RRULE:FREQ=DAILY;COUNT=10\n"
                ),
                ev(
                    "m",
                    "RECURRENCE-ID;RANGE=THISANDFUTURE:20240105T100000Z\n\
                     DTSTART:20240105T140000Z\nDTEND:20240105T160000Z\n"
                )
            )),
            true,
        ),
        (
            "override of no generated instance",
            cal(&format!(
                "{}{}",
                ev(
                    "n",
                    "DTSTART:20240101T100000Z\nDTEND:20240101T110000Z\n\
                     RRULE:FREQ=WEEKLY;COUNT=3\n"
                ),
                ev(
                    "n",
                    "RECURRENCE-ID:20240102T100000Z\nDTSTART:20240301T100000Z\n\
                     DTEND:20240301T110000Z\n"
                )
            )),
            true,
        ),
        (
            "monthly last Friday in New York over DST",
            cal(&ev(
                "o",
                "DTSTART;TZID=America/New_York:20240126T170000\n\
                 DTEND;TZID=America/New_York:20240126T183000\n\
                 RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=12\n",
            )),
            true,
        ),
        (
            "all-day EXDATE on a timed series",
            cal(&format!(
                "{BERLIN}{}",
                ev(
                    "p",
                    "DTSTART;TZID=Europe/Berlin:20240325T233000\nDURATION:PT1H\n\
                     RRULE:FREQ=DAILY;COUNT=8\nEXDATE;VALUE=DATE:20240327\n"
                )
            )),
            true,
        ),
        (
            "DTSTART off the BYDAY pattern",
            cal(&ev(
                "q",
                "DTSTART:20240102T090000Z\nDTEND:20240102T093000Z\n\
                 RRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20240601T000000Z\n",
            )),
            true,
        ),
        (
            "all-day yearly",
            cal(&ev(
                "r",
                "DTSTART;VALUE=DATE:20200229\nRRULE:FREQ=YEARLY;COUNT=8\n",
            )),
            true,
        ),
        (
            "override without a master",
            cal(&ev(
                "s",
                "RECURRENCE-ID:20240105T100000Z\nDTSTART:20240105T120000Z\n\
                 DTEND:20240105T130000Z\n",
            )),
            true,
        ),
        (
            "floating across the New York spring DST change",
            cal(&ev(
                "fl1",
                "DTSTART:20240309T233000\nDURATION:PT3H\nRRULE:FREQ=DAILY;COUNT=3\n",
            )),
            true,
        ),
        (
            "all-day on the 23-hour day, weekly",
            cal(&ev(
                "fl2",
                "DTSTART;VALUE=DATE:20240310\nDTEND;VALUE=DATE:20240311\n\
                 RRULE:FREQ=WEEKLY;COUNT=4\n",
            )),
            true,
        ),
        (
            "all-day on the 25-hour day",
            cal(&ev("fl3", "DTSTART;VALUE=DATE:20241103\n")),
            true,
        ),
        (
            "UTC series with a floating EXDATE",
            cal(&ev(
                "fl4",
                "DTSTART:20240309T230000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3\n\
                 EXDATE:20240310T230000\n",
            )),
            true,
        ),
        (
            "vendor-prefixed TZID without a VTIMEZONE",
            cal(&ev(
                "fl5",
                "DTSTART;TZID=/freeassociation.sourceforge.net/Europe/Berlin:20240331T013000\n\
                 DTEND;TZID=/freeassociation.sourceforge.net/Europe/Berlin:20240331T033000\n",
            )),
            true,
        ),
        (
            "over the cap",
            cal(&ev(
                "t",
                "DTSTART:20240101T100000Z\nRRULE:FREQ=HOURLY;COUNT=3000\n",
            )),
            false,
        ),
        (
            "unbounded",
            cal(&ev("u", "DTSTART:20240101T100000Z\nRRULE:FREQ=DAILY\n")),
            false,
        ),
        (
            "a todo",
            cal(
                "BEGIN:VTODO\nUID:v\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T100000Z\nEND:VTODO\n",
            ),
            false,
        ),
    ]
}

/// Objects the corpus files split into (as `davlite import` does), and the files themselves.
fn corpus_objects() -> Vec<(String, Vec<u8>)> {
    let files = davlite_testkit::corpus_files("ics");
    assert!(files.len() > 10, "corpus has too few .ics files");
    let mut out = Vec::new();
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        out.push((name.clone(), bytes.clone()));
        if let Ok(pieces) = split_calendar(&bytes) {
            for (i, p) in pieces.into_iter().enumerate() {
                if let Ok(p) = p {
                    out.push((format!("{name}#{i}"), p));
                }
            }
        }
    }
    out
}

fn generated_objects() -> Vec<(String, Vec<u8>)> {
    (0..300)
        .map(|i| {
            let o = davlite_bench::objects::calendar_object(7, i, "gen", 0);
            (format!("generated {i}"), o.body.into_bytes())
        })
        .collect()
}

fn parse(bytes: &[u8]) -> Option<ParsedObject> {
    let cs = if std::str::from_utf8(bytes).is_ok() {
        Charset::Utf8
    } else {
        Charset::Windows1252
    };
    ParsedObject::calendar_with(bytes.to_vec(), &ParseOptions::import(cs)).ok()
}

/// Ranges to try on one object: at and around each instance's edges (listed ones and those the
/// public expansion reports), around the object's span, and random ones of many lengths.
fn ranges(
    rng: &mut Rng,
    bytes: &[u8],
    list: &[TimeSpan],
    span: Option<TimeSpan>,
) -> Vec<(i64, i64)> {
    let mut edges: Vec<i64> = Vec::new();
    let step = (list.len() / 15).max(1);
    for s in list.iter().step_by(step) {
        edges.extend([s.start, s.end]);
    }
    let (lo, hi) = match (list.first(), list.iter().map(|s| s.end).max()) {
        (Some(f), Some(e)) => (f.start, e),
        _ => span.map_or((1_700_000_000, 1_700_100_000), |s| (s.start, s.end)),
    };
    let (lo, hi) = (lo.max(-5_000_000_000), hi.min(10_000_000_000));
    if let Ok(found) = davlite_formats::instances(bytes, lo - 86_400 * 400, hi + 86_400 * 400) {
        for i in found.iter().step_by((found.len() / 15).max(1)) {
            edges.extend([i.start, i.end]);
        }
    }
    let mut out = Vec::new();
    for &t in &edges {
        for (a, b) in [
            (-1, 0),
            (0, 1),
            (-1, 1),
            (-3_600, 0),
            (0, 3_600),
            (-86_400, -1),
            (1, 86_400),
        ] {
            out.push((t + a, t + b));
        }
    }
    for w in edges.windows(2) {
        let (a, b) = (w[0].min(w[1]), w[0].max(w[1]));
        if a < b {
            out.push((a, b));
        }
    }
    for _ in 0..30 {
        let len = match rng.range(0, 4) {
            0 => rng.range(1, 120),
            1 => rng.range(60, 86_400),
            2 => rng.range(86_400, 14 * 86_400),
            _ => rng.range(14 * 86_400, 400 * 86_400),
        };
        let start = rng.range(lo - 30 * 86_400, hi + 30 * 86_400);
        out.push((start, start + len));
    }
    out
}

#[derive(Default)]
struct Tally {
    outside_span: Vec<String>,
    indexed: usize,
    not_indexed: usize,
    ranges: usize,
    matched: usize,
    /// Ranges on objects marked floating (their list holds for UTC only).
    floating: usize,
}

fn check(name: &str, bytes: &[u8], rng: &mut Rng, tally: &mut Tally) {
    let Some(obj) = parse(bytes) else { return };
    let Some(list) = &obj.info().event_instances else {
        tally.not_indexed += 1;
        return;
    };
    tally.indexed += 1;
    assert!(
        list.windows(2).all(|w| w[0].start <= w[1].start),
        "{name}: instances not sorted by start"
    );
    // An event without DTSTART has no span and an empty list.
    let span = obj.info().span.unwrap_or(TimeSpan { start: 0, end: 0 });
    for s in list {
        assert!(s.start < s.end, "{name}: empty instance {s:?}");
    }
    // The span and the list come from the same reading of the object (one §9.9 table, one
    // TZID resolver), so the span holds every instance: checked by the callers.
    if list
        .iter()
        .any(|s| s.start < span.start || s.end > span.end)
    {
        tally.outside_span.push(name.to_string());
    }
    let mut all = ranges(rng, bytes, list, obj.info().span);
    // Open start: the evaluator expands from the beginning, as the list does.
    let open: Vec<(i64, i64)> = all.iter().take(20).map(|&(_, e)| (i64::MIN, e)).collect();
    all.extend(open);
    for (k, (s, e)) in all.into_iter().enumerate() {
        let start = (s != i64::MIN).then_some(s);
        let want = matches_calendar(&event_filter(start, Some(e)), bytes)
            .unwrap_or_else(|err| panic!("{name}: evaluator failed: {err}"));
        let got = list.iter().any(|x| x.overlaps(s, e));
        assert_eq!(
            got, want,
            "{name}: instances say {got}, the evaluator {want}, for [{s}, {e}); instances \
             {list:?}"
        );
        tally.ranges += 1;
        tally.matched += usize::from(want);
        // Not marked floating: the list holds whatever the query's floating zone is.
        if !obj.info().floating && k % 3 == 0 {
            for z in zones() {
                let in_zone = matches_calendar_in(&event_filter(start, Some(e)), bytes, &z)
                    .unwrap_or_else(|err| panic!("{name}: evaluator failed: {err}"));
                assert_eq!(
                    got, in_zone,
                    "{name}: not marked floating, but the evaluator in {z:?} says {in_zone} \
                     for [{s}, {e})"
                );
            }
        } else if obj.info().floating {
            tally.floating += 1;
        }
    }
}

#[test]
fn edge_cases_are_indexed_exactly_when_expected_and_agree_with_the_evaluator() {
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    let mut tally = Tally::default();
    for (name, bytes, indexed) in edge_cases() {
        let obj = ParsedObject::calendar(bytes.clone())
            .unwrap_or_else(|e| panic!("{name}: refused: {e}"));
        assert_eq!(
            obj.info().event_instances.is_some(),
            indexed,
            "{name}: {:?}",
            obj.info().event_instances
        );
        check(name, &bytes, &mut rng, &mut tally);
    }
    assert!(tally.matched > 100 && tally.matched < tally.ranges);
    assert!(tally.floating > 100);
    assert!(tally.outside_span.is_empty(), "{:?}", tally.outside_span);
}

/// Whether each edge case is marked floating: DATEs, floating DATE-TIMEs (also in EXDATE).
#[test]
fn floating_and_all_day_objects_are_marked_and_zoned_ones_are_not() {
    for (name, bytes, indexed) in edge_cases() {
        if !indexed {
            continue;
        }
        let text = String::from_utf8(bytes.clone()).unwrap();
        // VTIMEZONE rules come first and do not count.
        let text = &text[text.find("BEGIN:VEVENT").unwrap()..];
        let obj = ParsedObject::calendar(bytes).unwrap();
        let floating = text.contains("VALUE=DATE:")
            || text.lines().any(|l| {
                let l = l.trim_end();
                (l.starts_with("DTSTART:") || l.starts_with("DTEND:") || l.starts_with("EXDATE:"))
                    && !l.ends_with('Z')
            });
        assert_eq!(obj.info().floating, floating, "{name}");
    }
}

/// Corpus issue 313: `/freeassociation.sourceforge.net/Europe/Berlin` without a VTIMEZONE is
/// Europe/Berlin for the index and the evaluator alike (14:00 CEST is 12:00Z), and so are the
/// Mozilla and multi-part Olson spellings; a VTIMEZONE in the object defines its TZID.
#[test]
fn vendor_prefixed_tzids_resolve_once_for_index_and_evaluator() {
    let file = davlite_testkit::corpus_files("ics")
        .into_iter()
        .find(|f| {
            f.to_string_lossy()
                .contains("issue_313_globally_unique_tzid")
        })
        .expect("corpus file issue_313_globally_unique_tzid");
    let pieces = split_calendar(&std::fs::read(file).unwrap()).unwrap();
    // 2020-04-26 14:00 local: Berlin +02:00, New York -04:00, Buenos Aires -03:00.
    let want = [1_587_902_400, 1_587_924_000, 1_587_920_400];
    assert_eq!(pieces.len(), 3);
    for (piece, start) in pieces.into_iter().zip(want) {
        let obj = parse(&piece.unwrap()).unwrap();
        let span = obj.info().span.unwrap();
        assert_eq!((span.start, span.end), (start, start + 3_600));
        assert_eq!(
            obj.info().event_instances,
            Some(vec![TimeSpan {
                start,
                end: start + 3_600
            }])
        );
        assert!(!obj.info().floating);
    }
    // The object's own VTIMEZONE wins over a guess from the name: a prefixed TZID whose
    // VTIMEZONE is a fixed +05:30 zone is read by those rules, by both.
    let own = cal(&format!(
        "BEGIN:VTIMEZONE\nTZID:/example.com/Office/Time\nBEGIN:STANDARD\nTZOFFSETFROM:+0530\n\
         TZOFFSETTO:+0530\nDTSTART:19700101T000000\nEND:STANDARD\nEND:VTIMEZONE\n{}",
        ev(
            "own",
            "DTSTART;TZID=/example.com/Office/Time:20240105T090000\nDURATION:PT1H\n"
        )
    ));
    let obj = ParsedObject::calendar(own.clone()).unwrap();
    let start = 1_704_425_400; // 2024-01-05T03:30:00Z
    assert_eq!(obj.info().span.unwrap().start, start);
    assert!(matches_calendar(&event_filter(Some(start), Some(start + 1)), &own).unwrap());
}

#[test]
fn corpus_and_generated_objects_agree_with_the_evaluator() {
    let mut rng = Rng::new(0x2545_f491_4f6c_dd1d);
    let mut tally = Tally::default();
    let corpus = corpus_objects();
    for (name, bytes) in &corpus {
        check(name, bytes, &mut rng, &mut tally);
    }
    let from_corpus = tally.indexed;
    for (name, bytes) in generated_objects() {
        check(&name, &bytes, &mut rng, &mut tally);
    }
    eprintln!(
        "event_instances: {from_corpus} indexed objects from the corpus, {} generated, {} not \
         indexed; {} ranges, {} matching",
        tally.indexed - from_corpus,
        tally.not_indexed,
        tally.ranges,
        tally.matched
    );
    assert!(
        tally.outside_span.is_empty(),
        "instances outside the span extract computed: {:?}",
        tally.outside_span
    );
    assert!(
        from_corpus > 100,
        "only {from_corpus} corpus objects indexed"
    );
    assert!(tally.indexed - from_corpus > 150);
    assert!(tally.matched > 1_000 && tally.matched < tally.ranges);
}
