//! Calendar objects shaped like a real user's calendar: one-off meetings, all-day events,
//! recurring series with EXDATEs and moved instances, invitations with attendees and alarms, and
//! todos. Every event knows on which UTC days its instances fall, so a time-range query's answer
//! can be checked instead of trusted.

use super::{date_str, escape_text, prose, push_line, title};
use crate::rng::Rng;

/// 2026-01-01 as days since the epoch: generated events start within the following 365 days.
const YEAR_START_DAY: i64 = 20_454;
/// Monday 2026-06-01: the week `query-week` asks for, `[day, day + 7)` in UTC.
pub const QUERY_WEEK_START_DAY: i64 = 20_605;

/// The shape of a generated object, reported so results can be broken down by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Single,
    AllDay,
    Recurring,
    Meeting,
    Todo,
}

/// One generated iCalendar object resource.
#[derive(Debug, Clone)]
pub struct CalObject {
    pub uid: String,
    pub kind: EventKind,
    pub body: String,
    /// Half-open UTC day ranges covered by the instances. Timed instances sit between 06:00 and
    /// 20:00 UTC (08:00-21:00 local in Berlin at most), so they never cross midnight UTC and
    /// day granularity decides overlap with a week that starts at 00:00 UTC exactly.
    days: Vec<(i64, i64)>,
}

/// Whether RFC 4791 §9.9 puts `obj` in the answer of a VEVENT time-range query for the week
/// starting at [`QUERY_WEEK_START_DAY`].
pub fn query_week_matches(obj: &CalObject) -> bool {
    let (lo, hi) = (QUERY_WEEK_START_DAY, QUERY_WEEK_START_DAY + 7);
    obj.kind != EventKind::Todo && obj.days.iter().any(|&(a, b)| a < hi && b > lo)
}

const BERLIN: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\n\
TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\n\
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\n\
TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\n\
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

/// A local wall-clock time, written in UTC or in Europe/Berlin.
#[derive(Clone, Copy)]
struct When {
    day: i64,
    minute: u32,
    berlin: bool,
}

impl When {
    fn prop(&self, name: &str) -> String {
        let (h, m) = (self.minute / 60, self.minute % 60);
        let d = date_str(self.day);
        if self.berlin {
            format!("{name};TZID=Europe/Berlin:{d}T{h:02}{m:02}00")
        } else {
            format!("{name}:{d}T{h:02}{m:02}00Z")
        }
    }
    fn plus(&self, days: i64, minutes: u32) -> When {
        When {
            day: self.day + days,
            minute: self.minute + minutes,
            berlin: self.berlin,
        }
    }
}

/// The object numbered `index` for `seed`; `revision` changes only what an edit would change
/// (SUMMARY, SEQUENCE, LAST-MODIFIED), never the times, so query answers survive updates.
pub fn calendar_object(seed: u64, index: u64, uid_prefix: &str, revision: u32) -> CalObject {
    let mut rng = Rng::new(seed, index);
    let uid = format!("{uid_prefix}-{index:06}");
    let kind = match rng.range(0, 100) {
        0..35 => EventKind::Single,
        35..45 => EventKind::AllDay,
        45..65 => EventKind::Recurring,
        65..85 => EventKind::Meeting,
        _ => EventKind::Todo,
    };
    let target = rng.range(500, 4000) as usize;
    let berlin = rng.chance(50);
    let start = When {
        day: YEAR_START_DAY + rng.range(0, 365) as i64,
        minute: (rng.range(8, 18) * 60 + rng.range(0, 4) * 15) as u32,
        berlin,
    };
    let dur = (rng.range(1, 7) * 30) as u32;
    let mut summary = title(&mut rng);
    if revision > 0 {
        summary.push_str(&format!(" (edit {revision})"));
    }
    let mut days = Vec::new();
    let mut main: Vec<String> = Vec::new();
    let mut extra: Vec<String> = Vec::new();
    let comp = if kind == EventKind::Todo {
        "VTODO"
    } else {
        "VEVENT"
    };
    main.push(format!("UID:{uid}"));
    main.push("DTSTAMP:20260101T080000Z".into());
    main.push("CREATED:20251215T120000Z".into());
    main.push(format!("LAST-MODIFIED:20260101T08{:02}00Z", revision % 60));
    main.push(format!("SEQUENCE:{revision}"));
    main.push(format!("SUMMARY:{}", escape_text(&summary)));
    match kind {
        EventKind::Single | EventKind::Meeting => {
            main.push(start.prop("DTSTART"));
            main.push(start.plus(0, dur).prop("DTEND"));
            days.push((start.day, start.day + 1));
            if rng.chance(60) {
                main.push(format!(
                    "LOCATION:Room {}\\, building {}",
                    rng.range(1, 40),
                    rng.range(1, 9)
                ));
            }
        }
        EventKind::AllDay => {
            let n = rng.range(1, 4) as i64;
            main.push(format!("DTSTART;VALUE=DATE:{}", date_str(start.day)));
            main.push(format!("DTEND;VALUE=DATE:{}", date_str(start.day + n)));
            main.push("TRANSP:TRANSPARENT".into());
            days.push((start.day, start.day + n));
        }
        EventKind::Recurring => {
            recurring(
                &mut rng, start, dur, &uid, &summary, &mut main, &mut extra, &mut days,
            );
        }
        EventKind::Todo => {
            main.push(start.prop("DUE"));
            main.push(format!("PRIORITY:{}", rng.range(1, 10)));
            main.push("STATUS:NEEDS-ACTION".into());
            main.push(format!("PERCENT-COMPLETE:{}", rng.range(0, 10) * 10));
        }
    }
    if kind == EventKind::Meeting {
        meeting(&mut rng, &mut main);
    }
    if kind != EventKind::Todo {
        main.push("STATUS:CONFIRMED".into());
    }
    if rng.chance(30) {
        main.push(format!(
            "CATEGORIES:{},{}",
            title(&mut rng).replace(' ', "-"),
            "work"
        ));
    }
    if kind == EventKind::Meeting || rng.chance(25) {
        alarm(&mut rng, &mut main);
    }
    let mut body = String::with_capacity(target + 256);
    body.push_str(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite//bench//EN\r\nCALSCALE:GREGORIAN\r\n",
    );
    if berlin && kind != EventKind::AllDay {
        body.push_str(BERLIN);
    }
    let fixed: usize = main
        .iter()
        .chain(&extra)
        .map(|l| l.len() + 2)
        .sum::<usize>()
        + body.len()
        + 60;
    if target > fixed + 40 {
        main.push(format!(
            "DESCRIPTION:{}",
            escape_text(&prose(&mut rng, (target - fixed) * 94 / 100))
        ));
    }
    push_component(&mut body, comp, &main);
    if !extra.is_empty() {
        push_component(&mut body, "VEVENT", &extra);
    }
    body.push_str("END:VCALENDAR\r\n");
    CalObject {
        uid,
        kind,
        body,
        days,
    }
}

fn push_component(body: &mut String, comp: &str, lines: &[String]) {
    body.push_str(&format!("BEGIN:{comp}\r\n"));
    let mut nested = false;
    for l in lines {
        // Alarm lines arrive already delimited by their own BEGIN/END and are kept in order.
        nested |= l == "BEGIN:VALARM";
        push_line(body, l);
        nested &= l != "END:VALARM";
    }
    debug_assert!(!nested);
    body.push_str(&format!("END:{comp}\r\n"));
}

#[allow(clippy::too_many_arguments)]
fn recurring(
    rng: &mut Rng,
    start: When,
    dur: u32,
    uid: &str,
    summary: &str,
    main: &mut Vec<String>,
    extra: &mut Vec<String>,
    days: &mut Vec<(i64, i64)>,
) {
    let weekly = rng.chance(60);
    let interval = rng.range(1, 3) as i64;
    let count = if weekly {
        rng.range(4, 40)
    } else {
        rng.range(5, 20)
    } as i64;
    let step = interval * if weekly { 7 } else { 1 };
    let freq = if weekly { "WEEKLY" } else { "DAILY" };
    main.push(start.prop("DTSTART"));
    main.push(start.plus(0, dur).prop("DTEND"));
    main.push(format!(
        "RRULE:FREQ={freq};INTERVAL={interval};COUNT={count}"
    ));
    let mut excluded = Vec::new();
    for _ in 0..rng.range(1, 3) {
        let k = rng.range(1, count as u64) as i64;
        if !excluded.contains(&k) {
            excluded.push(k);
            main.push(start.plus(k * step, 0).prop("EXDATE"));
        }
    }
    let moved = if rng.chance(50) {
        let k = rng.range(1, count as u64) as i64;
        (!excluded.contains(&k)).then_some(k)
    } else {
        None
    };
    for k in 0..count {
        if excluded.contains(&k) {
            continue;
        }
        let day = start.day + k * step + i64::from(moved == Some(k));
        days.push((day, day + 1));
    }
    if let Some(k) = moved {
        let orig = start.plus(k * step, 0);
        let new = start.plus(k * step + 1, 0);
        extra.push(format!("UID:{uid}"));
        extra.push("DTSTAMP:20260101T080000Z".into());
        extra.push(orig.prop("RECURRENCE-ID"));
        extra.push(new.prop("DTSTART"));
        extra.push(new.plus(0, dur).prop("DTEND"));
        extra.push(format!("SUMMARY:{} (moved)", escape_text(summary)));
    }
}

fn meeting(rng: &mut Rng, main: &mut Vec<String>) {
    main.push("ORGANIZER;CN=Alex Organizer:mailto:alex@example.com".into());
    for i in 0..rng.range(2, 12) {
        let partstat = *rng.pick(&["ACCEPTED", "NEEDS-ACTION", "TENTATIVE", "DECLINED"]);
        main.push(format!(
            "ATTENDEE;CN=Person {i};ROLE=REQ-PARTICIPANT;PARTSTAT={partstat};RSVP=TRUE:mailto:person{i}@example.com"
        ));
    }
}

fn alarm(rng: &mut Rng, main: &mut Vec<String>) {
    for _ in 0..rng.range(1, 3) {
        main.push("BEGIN:VALARM".into());
        main.push("ACTION:DISPLAY".into());
        main.push("DESCRIPTION:Reminder".into());
        main.push(format!("TRIGGER:-PT{}M", rng.range(1, 7) * 5));
        main.push("END:VALARM".into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_sized() {
        let a = calendar_object(42, 7, "t", 0);
        let b = calendar_object(42, 7, "t", 0);
        assert_eq!(a.body, b.body);
        let mut sizes = Vec::new();
        for i in 0..2000 {
            let o = calendar_object(1, i, "t", 0);
            assert!(
                o.body.starts_with("BEGIN:VCALENDAR\r\n") && o.body.ends_with("END:VCALENDAR\r\n")
            );
            assert!(o.body.contains(&format!("UID:t-{i:06}\r\n")));
            assert!(
                o.body.split("\r\n").all(|l| l.len() <= 75),
                "unfolded line in {}",
                o.body
            );
            sizes.push(o.body.len());
        }
        assert!(
            sizes.iter().all(|&s| (400..=4600).contains(&s)),
            "{:?}",
            sizes.iter().max()
        );
        assert!(sizes.iter().filter(|&&s| s > 3000).count() > 100);
    }

    #[test]
    fn every_kind_appears_with_its_features() {
        let objs: Vec<_> = (0..500).map(|i| calendar_object(3, i, "t", 0)).collect();
        let has = |k: EventKind, needle: &str| {
            objs.iter().any(|o| o.kind == k && o.body.contains(needle))
        };
        assert!(has(EventKind::Recurring, "EXDATE"));
        assert!(has(EventKind::Recurring, "RECURRENCE-ID"));
        assert!(has(EventKind::Meeting, "ATTENDEE;"));
        assert!(has(EventKind::Meeting, "BEGIN:VALARM"));
        assert!(has(EventKind::AllDay, "DTSTART;VALUE=DATE:"));
        assert!(has(EventKind::Todo, "BEGIN:VTODO"));
        assert!(has(EventKind::Single, "TZID=Europe/Berlin"));
    }

    #[test]
    fn revision_keeps_times_and_changes_sequence() {
        let a = calendar_object(5, 11, "t", 0);
        let b = calendar_object(5, 11, "t", 3);
        assert!(b.body.contains("SEQUENCE:3\r\n"));
        assert_ne!(a.body, b.body);
        assert_eq!(a.days, b.days);
    }

    #[test]
    fn week_query_expectation() {
        let mut o = calendar_object(1, 1, "t", 0);
        o.kind = EventKind::Single;
        o.days = vec![(QUERY_WEEK_START_DAY - 1, QUERY_WEEK_START_DAY)];
        assert!(
            !query_week_matches(&o),
            "an all-day event ending at the week start is outside"
        );
        o.days = vec![(QUERY_WEEK_START_DAY + 6, QUERY_WEEK_START_DAY + 7)];
        assert!(query_week_matches(&o));
        o.kind = EventKind::Todo;
        assert!(!query_week_matches(&o));
        let n = (0..10_000)
            .filter(|&i| query_week_matches(&calendar_object(9, i, "t", 0)))
            .count();
        assert!((150..1500).contains(&n), "{n} of 10,000 in the week");
    }
}
