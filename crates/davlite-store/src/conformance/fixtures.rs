//! Builders and helpers the checks share.

use std::collections::HashMap;
use std::sync::{Arc, Barrier};

use crate::conformance::Harness;
use crate::*;

/// The calendar every [`fixture`] has: `cals/work`, owned by alice.
pub const CAL: &str = "cals/work";

/// The bytes of a real one-hour event at 2099-01-01 09:00 UTC (far from every range the checks
/// query), with `uid` and `text` as its SUMMARY so that versions of one object differ.
pub fn event_bytes(uid: &str, text: &str) -> Vec<u8> {
    calendar_bytes(
        uid,
        "VEVENT",
        &format!("DTSTART:20990101T090000Z\r\nDTEND:20990101T100000Z\r\nSUMMARY:{text}\r\n"),
    )
}

/// An event object parsed from [`event_bytes`]: the store sees what a PUT would give it.
pub fn event(uid: &str, text: &str) -> ParsedObject {
    ParsedObject::calendar(event_bytes(uid, text)).unwrap()
}

/// An event whose time span is `[start, end)` (UTC seconds); an `end` of `i64::MAX` makes it a
/// daily series without end, so the span is open.
pub fn event_at(uid: &str, text: &str, start: i64, end: i64) -> ParsedObject {
    let lines = if end == i64::MAX {
        format!(
            "DTSTART:{}\r\nDTEND:{}\r\nRRULE:FREQ=DAILY\r\n",
            utc(start),
            utc(start + 3600)
        )
    } else {
        format!("DTSTART:{}\r\nDTEND:{}\r\n", utc(start), utc(end))
    };
    let obj = ParsedObject::calendar(calendar_bytes(
        uid,
        "VEVENT",
        &format!("{lines}SUMMARY:{text}\r\n"),
    ))
    .unwrap();
    assert_eq!(obj.info().span, Some(TimeSpan { start, end }));
    obj
}

/// A journal without DTSTART: a calendar object no time range matches (no span).
pub fn journal(uid: &str, text: &str) -> ParsedObject {
    let obj = ParsedObject::calendar(calendar_bytes(
        uid,
        "VJOURNAL",
        &format!("SUMMARY:{text}\r\n"),
    ))
    .unwrap();
    assert_eq!(obj.info().span, None);
    obj
}

/// A VCALENDAR holding one `component` with `uid`, a DTSTAMP and `lines`.
pub fn calendar_bytes(uid: &str, component: &str, lines: &str) -> Vec<u8> {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite//conformance//EN\r\n\
         BEGIN:{component}\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\n{lines}\
         END:{component}\r\nEND:VCALENDAR\r\n"
    )
    .into_bytes()
}

/// `t` (UTC seconds) as an iCalendar UTC DATE-TIME, `20240304T090000Z`.
pub fn utc(t: i64) -> String {
    let (days, secs) = (t.div_euclid(DAY), t.rem_euclid(DAY));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (h, mi, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    format!("{y:04}{m:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

/// The bytes of a real vCard 4.0 with `uid` and `text` as its NOTE.
pub fn card_bytes(uid: &str, text: &str) -> Vec<u8> {
    format!("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:{uid}\r\nFN:Card\r\nNOTE:{text}\r\nEND:VCARD\r\n")
        .into_bytes()
}

/// A card object parsed from [`card_bytes`].
pub fn card(uid: &str, text: &str) -> ParsedObject {
    ParsedObject::vcard(card_bytes(uid, text)).unwrap()
}

pub fn calendar(owner: &str) -> NewCollection {
    NewCollection {
        kind: CollectionKind::Calendar,
        owner: owner.into(),
        ..Default::default()
    }
}

pub fn address_book(owner: &str) -> NewCollection {
    NewCollection {
        kind: CollectionKind::AddressBook,
        owner: owner.into(),
        ..Default::default()
    }
}

pub fn plain(owner: &str) -> NewCollection {
    NewCollection {
        kind: CollectionKind::Plain,
        owner: owner.into(),
        ..Default::default()
    }
}

/// A fresh store with `cals` (plain) and `cals/work` (calendar), both owned by alice.
pub fn fixture(h: &dyn Harness) -> Store {
    let store = h.fresh();
    store.create_collection("cals", plain("alice")).unwrap();
    store.create_collection(CAL, calendar("alice")).unwrap();
    store
}

/// Fails the check with the list of problems when `verify` finds any.
pub fn assert_sound(s: &Store) {
    let report = s.verify().unwrap();
    assert!(
        report.is_ok(),
        "verify found problems: {:#?}",
        report.problems
    );
}

/// A quota policy from a default and per-owner limits.
pub fn policy(default: Option<u64>, owners: &[(&str, Option<u64>)]) -> QuotaPolicy {
    QuotaPolicy {
        default,
        owners: owners
            .iter()
            .map(|(o, q)| (o.to_string(), *q))
            .collect::<HashMap<_, _>>(),
    }
}

/// Runs `f(0..n)` on `n` threads released together; the answers in thread order.
pub fn race<T: Send + 'static>(n: usize, f: impl Fn(usize) -> T + Send + Sync + 'static) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(n));
    let f = Arc::new(f);
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (barrier, f) = (barrier.clone(), f.clone());
            std::thread::spawn(move || {
                barrier.wait();
                f(i)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

/// Names and kinds of a change list, oldest first.
pub fn names(changes: &Changes) -> Vec<(&str, ChangeKind)> {
    changes
        .changes
        .iter()
        .map(|c| (c.name.as_str(), c.kind))
        .collect()
}

/// 2024-03-04 00:00:00 UTC, a Monday.
pub const MAR4: i64 = 1_709_510_400;
pub const DAY: i64 = 86_400;

/// A real iCalendar event, parsed: weekly on Mondays 09:00-10:00 UTC from 2024-03-04, `count`
/// times, with `extra` lines (an EXDATE, say) in the VEVENT. Its instances are listed exactly,
/// so the store indexes them.
pub fn weekly(uid: &str, count: u32, extra: &str) -> ParsedObject {
    let body = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n\
         UID:{uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240304T090000Z\r\n\
         DTEND:20240304T100000Z\r\nRRULE:FREQ=WEEKLY;COUNT={count}\r\n{extra}\
         END:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    ParsedObject::calendar(body.into_bytes()).unwrap()
}

/// Week `n` after 2024-03-04, as `[start, end)`.
pub fn week(n: i64) -> (i64, i64) {
    (MAR4 + n * 7 * DAY, MAR4 + (n + 1) * 7 * DAY)
}

/// Whether an indexed instance of `coll/name` falls in week `w` (`None`: not indexed).
pub fn in_week(store: &Store, coll: &str, name: &str, w: i64) -> Option<bool> {
    let (s, e) = week(w);
    store
        .read()
        .unwrap()
        .event_instances_overlap(coll, name, s, e)
        .unwrap()
}

/// The series of [`weekly`] without COUNT: unbounded, so its instances are not listed.
pub fn weekly_unbounded(uid: &str) -> ParsedObject {
    let obj = ParsedObject::calendar(calendar_bytes(
        uid,
        "VEVENT",
        "DTSTART:20240304T090000Z\r\nDTEND:20240304T100000Z\r\nRRULE:FREQ=WEEKLY\r\n",
    ))
    .unwrap();
    assert_eq!(obj.info().event_instances, None);
    obj
}
