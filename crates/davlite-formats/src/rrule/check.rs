//! What an RRULE value may say (RFC 5545 §3.3.10, RFC 7529): the parts, their ranges, and the
//! rules that tie a part to FREQ. Checked when an object is read, so a rule the recurrence
//! engine would reject, or read in a way the client did not mean, is refused with
//! `valid-calendar-data` at PUT instead of surfacing later as a query that cannot be answered.
//!
//! Extension parts (an `X-` name, RFC 7529's RSCALE and SKIP) are allowed; unknown standard-looking
//! parts are not, since a misspelt BYDAY would otherwise silently widen the rule.

use super::upper;
use std::borrow::Cow;

const WEEKDAYS: [&str; 7] = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];
const FREQS: [&str; 7] = [
    "SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY",
];

/// `Ok` when `rule` is a well-formed recurrence rule; else why not, in words.
pub(crate) fn check(rule: &str) -> Result<(), String> {
    let mut parts: Vec<(Cow<'_, str>, &str)> = Vec::new();
    for part in rule.split(';').filter(|p| !p.trim().is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("RRULE part {part:?} has no '='"))?;
        let k = upper(k.trim());
        if parts.iter().any(|(p, _)| *p == k) {
            return Err(format!("RRULE gives {k} twice"));
        }
        parts.push((k, v.trim()));
    }
    let mut freq = None;
    for (k, v) in &parts {
        if k == "FREQ" {
            let f = upper(v);
            if !FREQS.contains(&&*f) {
                return Err(format!("RRULE FREQ={v} is not a frequency"));
            }
            freq = Some(f);
        }
    }
    let freq = freq.ok_or("RRULE has no FREQ")?;
    let has = |k: &str| parts.iter().any(|(p, _)| p == k);
    if has("COUNT") && has("UNTIL") {
        return Err("RRULE gives both COUNT and UNTIL".into());
    }
    for (k, v) in &parts {
        match &**k {
            "FREQ" | "UNTIL" | "RSCALE" | "SKIP" => {}
            "COUNT" | "INTERVAL" => {
                if !v.parse::<u32>().is_ok_and(|n| n >= 1) {
                    return Err(format!("RRULE {k}={v} is not a positive integer"));
                }
            }
            "WKST" => {
                if !WEEKDAYS.contains(&&*upper(v)) {
                    return Err(format!("RRULE WKST={v} is not a weekday"));
                }
            }
            "BYSECOND" => list(k, v, |n| (0..=60).contains(&n))?,
            "BYMINUTE" => list(k, v, |n| (0..=59).contains(&n))?,
            "BYHOUR" => list(k, v, |n| (0..=23).contains(&n))?,
            // RFC 7529: under a non-Gregorian RSCALE a year may have 13 months, and a leap
            // month is written with an L suffix.
            "BYMONTH" if has("RSCALE") => {
                list(k, &v.replace(['L', 'l'], ""), |n| (1..=13).contains(&n))?
            }
            "BYMONTH" => list(k, v, |n| (1..=12).contains(&n))?,
            "BYMONTHDAY" => {
                if freq == "WEEKLY" {
                    return Err("RRULE BYMONTHDAY cannot be used with FREQ=WEEKLY".into());
                }
                list(k, v, |n| n != 0 && (-31..=31).contains(&n))?
            }
            "BYYEARDAY" => {
                if matches!(&*freq, "DAILY" | "WEEKLY" | "MONTHLY") {
                    return Err(format!("RRULE BYYEARDAY cannot be used with FREQ={freq}"));
                }
                list(k, v, |n| n != 0 && (-366..=366).contains(&n))?
            }
            "BYWEEKNO" => {
                if freq != "YEARLY" {
                    return Err("RRULE BYWEEKNO needs FREQ=YEARLY".into());
                }
                list(k, v, |n| n != 0 && (-53..=53).contains(&n))?
            }
            "BYSETPOS" => {
                if !parts
                    .iter()
                    .any(|(p, _)| p.starts_with("BY") && p != "BYSETPOS")
                {
                    return Err("RRULE BYSETPOS needs another BYxxx part".into());
                }
                list(k, v, |n| n != 0 && (-366..=366).contains(&n))?
            }
            "BYDAY" => byday(v, &freq, has("BYWEEKNO"))?,
            x if x.starts_with("X-") => {}
            other => return Err(format!("RRULE part {other} is not defined")),
        }
    }
    Ok(())
}

/// A comma-separated list of integers, each satisfying `ok`.
fn list(name: &str, v: &str, ok: impl Fn(i32) -> bool) -> Result<(), String> {
    for item in v.split(',') {
        let item = item.trim();
        let n: i32 = item
            .strip_prefix('+')
            .unwrap_or(item)
            .parse()
            .map_err(|_| format!("RRULE {name} value {item:?} is not a number"))?;
        if !ok(n) {
            return Err(format!("RRULE {name} value {n} is out of range"));
        }
    }
    Ok(())
}

/// BYDAY: `[+|-][n]WD`. An ordinal only with MONTHLY (1-5) or YEARLY (1-53), and not with
/// YEARLY and BYWEEKNO (RFC 5545 §3.3.10).
fn byday(v: &str, freq: &str, with_weekno: bool) -> Result<(), String> {
    for item in v.split(',') {
        let item = upper(item.trim());
        let split = item.len().saturating_sub(2);
        // The weekday is the last two bytes; a multi-byte character there is no weekday.
        let Some((ord, day)) = item.split_at_checked(split) else {
            return Err(format!(
                "RRULE BYDAY value {item:?} does not end in a weekday"
            ));
        };
        if !WEEKDAYS.contains(&day) {
            return Err(format!(
                "RRULE BYDAY value {item:?} does not end in a weekday"
            ));
        }
        if ord.is_empty() {
            continue;
        }
        let n: i32 = ord
            .strip_prefix('+')
            .unwrap_or(ord)
            .parse()
            .map_err(|_| format!("RRULE BYDAY value {item:?} has a malformed ordinal"))?;
        let max = match freq {
            "MONTHLY" => 5,
            "YEARLY" if !with_weekno => 53,
            _ => {
                return Err(format!(
                    "RRULE BYDAY ordinal {item:?} is allowed only with FREQ=MONTHLY or YEARLY \
                     (and not with BYWEEKNO)"
                ));
            }
        };
        if n == 0 || n.abs() > max {
            return Err(format!("RRULE BYDAY ordinal {n} is out of range"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn rules_clients_write_pass() {
        for r in [
            "FREQ=DAILY;COUNT=10",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR;UNTIL=20241231T235959Z;WKST=SU",
            "FREQ=MONTHLY;BYDAY=-1FR",
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
            "FREQ=YEARLY;BYMONTH=3;BYDAY=2SU",
            "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
            "FREQ=YEARLY;BYYEARDAY=1,100,200",
            "FREQ=MONTHLY;BYMONTHDAY=-1",
            "RSCALE=GREGORIAN;FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;SKIP=FORWARD",
            "RSCALE=HEBREW;FREQ=YEARLY;BYMONTH=5L;BYMONTHDAY=8;SKIP=FORWARD",
            "RSCALE=ETHIOPIC;FREQ=MONTHLY;BYMONTH=13",
            "FREQ=DAILY;X-NAME=1",
            "freq=monthly;byday=+1mo",
        ] {
            assert_eq!(check(r), Ok(()), "{r}");
        }
    }

    #[test]
    fn malformed_rules_are_named() {
        for (r, why) in [
            ("FREQ=WEEKLY;BYDAY=1MO", "allowed only with"),
            ("FREQ=YEARLY;BYWEEKNO=1;BYDAY=1MO", "allowed only with"),
            ("FREQ=MONTHLY;BYDAY=MO1", "does not end in a weekday"),
            ("FREQ=MONTHLY;BYDAY=6MO", "out of range"),
            ("FREQ=MONTHLY;BYDAY=0MO", "out of range"),
            ("COUNT=3", "no FREQ"),
            ("FREQ=FORTNIGHTLY", "not a frequency"),
            (
                "FREQ=DAILY;COUNT=2;UNTIL=20240101T000000Z",
                "both COUNT and UNTIL",
            ),
            ("FREQ=DAILY;INTERVAL=0", "positive integer"),
            ("FREQ=DAILY;BYHOUR=24", "out of range"),
            ("FREQ=DAILY;BYMONTH=13", "out of range"),
            ("FREQ=YEARLY;BYMONTH=5L", "not a number"),
            ("FREQ=WEEKLY;BYMONTHDAY=1", "FREQ=WEEKLY"),
            ("FREQ=MONTHLY;BYYEARDAY=1", "FREQ=MONTHLY"),
            ("FREQ=MONTHLY;BYWEEKNO=1", "needs FREQ=YEARLY"),
            ("FREQ=DAILY;BYSETPOS=1", "needs another"),
            ("FREQ=DAILY;FREQ=WEEKLY", "twice"),
            ("FREQ=DAILY;BYDAYS=MO", "not defined"),
            ("FREQ=DAILY;COUNT", "no '='"),
            // Found by the ical_scan fuzz smoke run in CI: a split inside a character.
            ("FREQ=MONTHLY;BYDAY=\u{cd}X", "does not end in a weekday"),
        ] {
            let err = check(r).expect_err(r);
            assert!(err.contains(why), "{r}: {err}");
        }
    }
}
