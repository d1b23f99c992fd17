//! The body of the `filter_eval` fuzz target, kept in the library so ordinary `cargo test` runs
//! it over seeds too (the fuzz shim only calls [`filter_eval`]).
//!
//! Input layout: the first byte `n`, then `n` bytes that build a calendar filter and a card
//! filter, then the object bytes. Every time-related entry point runs on the object; none may
//! panic, and all must return in bounded time whatever the object's rules say.

use crate::filter::{
    CardFilter, CardPropFilter, Collation, CompFilter, MatchType, ParamFilter, PropFilter, Test,
    TextMatch, TimeRange,
};

/// 2024-01-01T00:00:00Z: fuzzed ranges sit around it, where seeds have their events.
const BASE: i64 = 1_704_067_200;

struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bytes<'_> {
    fn next(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    fn pick<T: Clone>(&mut self, from: &[T]) -> T {
        from[usize::from(self.next()) % from.len()].clone()
    }

    fn more(&self) -> bool {
        self.pos < self.data.len()
    }
}

const COMPS: &[&str] = &[
    "VEVENT",
    "VTODO",
    "VJOURNAL",
    "VFREEBUSY",
    "VALARM",
    "VTIMEZONE",
    "X-ANY",
];
const PROPS: &[&str] = &[
    "SUMMARY",
    "DTSTART",
    "ATTENDEE",
    "UID",
    "CATEGORIES",
    "DESCRIPTION",
    "DUE",
    "FN",
    "EMAIL",
    "TEL",
];
const PARAMS: &[&str] = &["PARTSTAT", "CN", "TZID", "TYPE", "VALUE"];
const TEXTS: &[&str] = &["a", "", "Meeting", "ß", "MAILTO:", "work", "\u{130}", "x,y"];

fn time_range(b: &mut Bytes<'_>) -> TimeRange {
    let start = BASE + (i64::from(b.next()) - 128) * 7 * 86_400 + i64::from(b.next()) * 3_600;
    let len = i64::from(b.next()) * 3_600 - 3_600;
    match b.next() % 4 {
        0 => TimeRange {
            start: Some(start),
            end: None,
        },
        1 => TimeRange {
            start: None,
            end: Some(start),
        },
        _ => TimeRange {
            start: Some(start),
            end: Some(start + len),
        },
    }
}

fn text_match(b: &mut Bytes<'_>) -> TextMatch {
    TextMatch {
        text: b.pick(TEXTS).to_string(),
        collation: b.pick(&[
            Collation::AsciiCasemap,
            Collation::Octet,
            Collation::UnicodeCasemap,
        ]),
        match_type: b.pick(&[
            MatchType::Contains,
            MatchType::Equals,
            MatchType::StartsWith,
            MatchType::EndsWith,
        ]),
        negate: b.next() & 1 == 1,
    }
}

fn param_filter(b: &mut Bytes<'_>) -> ParamFilter {
    let flags = b.next();
    ParamFilter {
        name: b.pick(PARAMS).to_string(),
        is_not_defined: flags & 1 == 1,
        text_match: (flags & 2 == 2).then(|| text_match(b)),
    }
}

fn prop_filter(b: &mut Bytes<'_>) -> PropFilter {
    let flags = b.next();
    PropFilter {
        name: b.pick(PROPS).to_string(),
        is_not_defined: flags & 1 == 1,
        time_range: (flags & 2 == 2).then(|| time_range(b)),
        text_match: (flags & 4 == 4).then(|| text_match(b)),
        param_filters: (0..(flags >> 6)).map(|_| param_filter(b)).collect(),
    }
}

fn comp_filter(b: &mut Bytes<'_>, name: String, depth: u8) -> CompFilter {
    let flags = b.next();
    let mut f = CompFilter {
        name,
        is_not_defined: flags & 1 == 1,
        time_range: (flags & 2 == 2).then(|| time_range(b)),
        prop_filters: Vec::new(),
        comp_filters: Vec::new(),
    };
    for _ in 0..(flags >> 2) & 3 {
        f.prop_filters.push(prop_filter(b));
    }
    if depth < 3 {
        for _ in 0..(flags >> 4) & 3 {
            let name = b.pick(COMPS).to_string();
            f.comp_filters.push(comp_filter(b, name, depth + 1));
        }
    }
    f
}

fn card_filter(b: &mut Bytes<'_>) -> CardFilter {
    let mut f = CardFilter {
        test: b.pick(&[Test::AnyOf, Test::AllOf]),
        prop_filters: Vec::new(),
    };
    while b.more() && f.prop_filters.len() < 4 {
        let flags = b.next();
        f.prop_filters.push(CardPropFilter {
            name: b.pick(PROPS).to_string(),
            is_not_defined: flags & 1 == 1,
            test: if flags & 2 == 2 {
                Test::AllOf
            } else {
                Test::AnyOf
            },
            text_matches: (0..(flags >> 2) & 3).map(|_| text_match(b)).collect(),
            param_filters: (0..(flags >> 4) & 3).map(|_| param_filter(b)).collect(),
        });
    }
    f
}

/// Runs every time-related entry point on one fuzz input. Panics only on a bug.
pub fn filter_eval(data: &[u8]) {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let (spec, object) = rest.split_at(usize::from(n).min(rest.len()));
    let mut b = Bytes { data: spec, pos: 0 };
    let root_name = if b.next() % 16 == 0 {
        "VEVENT"
    } else {
        "VCALENDAR"
    }
    .to_string();
    let filter = comp_filter(&mut b, root_name, 0);
    let card = card_filter(&mut b);
    let range = time_range(&mut Bytes { data: spec, pos: 0 });
    let (start, end) = (
        range.start.unwrap_or(BASE),
        range.end.unwrap_or(BASE + 86_400),
    );
    let (start, end) = (start.min(end), start.max(end));

    let _ = crate::validate_calendar_filter(&filter);
    let _ = crate::matches_calendar(&filter, object);
    let _ = crate::matches_card(&card, object);
    if let Ok(times) = crate::object_span(object)
        && let Some(span) = times.span
    {
        assert!(span.start <= span.end, "span {span:?} runs backwards");
    }
    if let Ok(list) = crate::instances(object, start, end) {
        assert!(
            list.windows(2).all(|w| w[0] <= w[1]),
            "instances not sorted"
        );
    }
    if let Ok(out) = crate::expand(object, start, end) {
        assert!(out.starts_with(b"BEGIN:VCALENDAR\r\n") && out.ends_with(b"END:VCALENDAR\r\n"));
    }
    let _ = crate::limit_recurrence_set(object, start, end);
    let busy = crate::free_busy(std::iter::once(object), start, end).unwrap_or_default();
    assert!(
        busy.iter()
            .all(|p| p.start >= start && p.end <= end && p.start < p.end),
        "{busy:?}"
    );
}
