//! Builders and helpers the checks share.

use std::collections::HashMap;
use std::sync::{Arc, Barrier};

use crate::conformance::Harness;
use crate::*;

/// The calendar every [`fixture`] has: `cals/work`, owned by alice.
pub const CAL: &str = "cals/work";

/// An event object with `uid` and `body` as its bytes, no time span.
pub fn event(uid: &str, body: &str) -> ParsedObject {
    ParsedObject {
        bytes: body.as_bytes().to_vec(),
        content_type: "text/calendar; charset=utf-8".into(),
        info: ObjectInfo {
            uid: Some(uid.into()),
            kind: ObjectKind::Event,
            ..Default::default()
        },
    }
}

/// An event whose time span is `[start, end)`.
pub fn event_at(uid: &str, body: &str, start: i64, end: i64) -> ParsedObject {
    let mut e = event(uid, body);
    e.info.span = Some(TimeSpan { start, end });
    e
}

pub fn card(uid: &str, body: &str) -> ParsedObject {
    ParsedObject {
        bytes: body.as_bytes().to_vec(),
        content_type: "text/vcard".into(),
        info: ObjectInfo {
            uid: Some(uid.into()),
            kind: ObjectKind::Card,
            ..Default::default()
        },
    }
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
