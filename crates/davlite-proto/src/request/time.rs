//! iCalendar UTC date-times (`20240101T000000Z`, RFC 5545 §3.3.5 form 2) as Unix seconds; the
//! only form RFC 4791 §9.9 allows in time-range, expand and limit-*-set attributes.

use crate::error::XmlError;

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses `YYYYMMDDTHHMMSSZ` into seconds since the Unix epoch. Anything else (a floating or
/// date-only value, out-of-range fields) is a filter error: RFC 4791 §9.9 requires UTC.
pub fn parse_utc(s: &str) -> Result<i64, XmlError> {
    let bad =
        || XmlError::InvalidFilter(format!("{s:?} is not a UTC date-time (YYYYMMDDTHHMMSSZ)"));
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, XmlError> {
        let part = &b[r];
        if !part.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        Ok(part.iter().fold(0i64, |a, d| a * 10 + i64::from(d - b'0')))
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, sec) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60
    {
        return Err(bad());
    }
    Ok(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(parse_utc("19700101T000000Z").unwrap(), 0);
        assert_eq!(parse_utc("20240101T000000Z").unwrap(), 1_704_067_200);
        assert_eq!(parse_utc("20240229T123456Z").unwrap(), 1_709_210_096);
        assert_eq!(parse_utc("19691231T235959Z").unwrap(), -1);
    }

    #[test]
    fn refuses_non_utc_and_garbage() {
        for bad in [
            "20240101T000000",
            "20240101",
            "20240230T000000Z",
            "20231301T000000Z",
            "20240101T240000Z",
            "2024-01-01T00:00:00Z",
            "2024010aT000000Z",
            "",
        ] {
            assert!(
                matches!(parse_utc(bad), Err(XmlError::InvalidFilter(_))),
                "{bad}"
            );
        }
    }
}
