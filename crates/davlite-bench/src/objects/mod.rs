//! Seeded object generators: the same `(seed, index)` always yields the same object, so two
//! servers are measured against byte-identical data and a failure can be replayed.

mod ical;
mod vcard;

pub use ical::{CalObject, EventKind, QUERY_WEEK_START_DAY, calendar_object, query_week_matches};
pub use vcard::{Card, vcard};

use crate::rng::Rng;

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `YYYYMMDD` for a day number.
pub fn date_str(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}")
}

/// Content lines longer than 75 octets are folded (RFC 5545 §3.1, RFC 6350 §3.2); generated
/// text is ASCII, so cutting at byte offsets never splits a character.
pub fn push_line(out: &mut String, line: &str) {
    let bytes = line.as_bytes();
    let mut start = 0;
    let mut width = 75;
    while bytes.len() - start > width {
        out.push_str(&line[start..start + width]);
        out.push_str("\r\n ");
        start += width;
        width = 74;
    }
    out.push_str(&line[start..]);
    out.push_str("\r\n");
}

/// Escapes TEXT values (RFC 5545 §3.3.11).
pub fn escape_text(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            ';' => o.push_str("\\;"),
            ',' => o.push_str("\\,"),
            '\n' => o.push_str("\\n"),
            _ => o.push(c),
        }
    }
    o
}

const WORDS: &[&str] = &[
    "agenda",
    "budget",
    "review",
    "quarterly",
    "design",
    "sync",
    "planning",
    "customer",
    "call",
    "roadmap",
    "lunch",
    "team",
    "retro",
    "hiring",
    "interview",
    "workshop",
    "launch",
    "notes",
    "follow-up",
    "draft",
    "report",
    "travel",
    "dentist",
    "school",
    "meeting",
    "project",
    "status",
    "offsite",
    "training",
    "demo",
    "release",
    "incident",
    "postmortem",
    "board",
    "one-on-one",
];

/// Prose of roughly `len` bytes, with commas and newlines so escaping is exercised.
pub fn prose(rng: &mut Rng, len: usize) -> String {
    let mut s = String::with_capacity(len + 16);
    while s.len() < len {
        let word: &str = rng.pick::<&str>(WORDS);
        s.push_str(word);
        match rng.range(0, 12) {
            0 => s.push_str(", "),
            1 => s.push_str(".\n"),
            _ => s.push(' '),
        }
    }
    s
}

pub fn title(rng: &mut Rng) -> String {
    let n = rng.range(2, 5);
    (0..n)
        .map(|_| *rng.pick(WORDS))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_605), (2026, 6, 1));
        assert_eq!(date_str(19_782), "20240229");
    }

    #[test]
    fn folding_keeps_lines_short_and_unfolds_back() {
        let long = "DESCRIPTION:".to_string() + &"x".repeat(300);
        let mut out = String::new();
        push_line(&mut out, &long);
        assert!(out.split("\r\n").all(|l| l.len() <= 75));
        assert_eq!(out.replace("\r\n ", "").trim_end(), long);
    }
}
