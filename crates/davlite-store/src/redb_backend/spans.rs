//! Time-span index. A plain (start -> end) index answers "what overlaps [s, e)" only by scanning
//! every start before `e`. Instead each span is filed under a length class `c` (its length is
//! below 2^c), so within a class only starts in `[s - 2^c, e)` can overlap: a query costs one
//! range scan per class in use plus the rows it returns, whatever the collection size.

use davlite_formats::TimeSpan;

/// Spans with an open start or end: scanned whole, filtered by end.
pub(crate) const UNBOUNDED: u8 = 65;

pub(crate) fn class(span: TimeSpan) -> u8 {
    if span.start == i64::MIN || span.end == i64::MAX {
        return UNBOUNDED;
    }
    let len = (span.end as i128 - span.start as i128).max(0) as u128;
    if len > u64::MAX as u128 {
        return UNBOUNDED;
    }
    (64 - (len as u64).leading_zeros()) as u8
}

pub(crate) fn class_bit(class: u8) -> u128 {
    1u128 << class
}

/// The classes present in `mask`, each with the lowest start that can still overlap a query
/// starting at `start`.
pub(crate) fn scan_plan(mask: u128, start: i64) -> impl Iterator<Item = (u8, i64)> {
    (0..=UNBOUNDED)
        .filter(move |c| mask & class_bit(*c) != 0)
        .map(move |c| {
            let lowest = if c == UNBOUNDED || c >= 63 {
                i64::MIN
            } else {
                start.saturating_sub(1i64 << c)
            };
            (c, lowest)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_span_in_a_class_is_shorter_than_its_bound() {
        for (s, e) in [
            (0, 0),
            (0, 1),
            (5, 7),
            (0, 3600),
            (-100, 1 << 40),
            (i64::MIN + 1, 0),
        ] {
            let c = class(TimeSpan { start: s, end: e });
            let len = (e as i128 - s as i128) as u128;
            assert!(
                c == UNBOUNDED || len < (1u128 << c),
                "{s}..{e} in class {c}"
            );
        }
        assert_eq!(class(TimeSpan::ALL), UNBOUNDED);
    }
}
