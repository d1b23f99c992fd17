//! text-match with the collations a CalDAV/CardDAV server must offer (RFC 4790, RFC 5051).

use crate::filter::{Collation, MatchType, TextMatch};
use std::borrow::Cow;

/// The comparison form of `s` under `c`. `i;unicode-casemap` is approximated by upper- then
/// lower-casing each character, which folds `ß` to `ss` and Greek final sigma like RFC 5051's
/// titlecase folding does; the NFKD step is not applied (no normalisation tables here).
fn fold(s: &str, c: Collation) -> Cow<'_, str> {
    match c {
        Collation::Octet => Cow::Borrowed(s),
        Collation::AsciiCasemap => {
            if s.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(s.to_ascii_lowercase())
            } else {
                Cow::Borrowed(s)
            }
        }
        Collation::UnicodeCasemap => {
            if s.is_ascii() {
                return fold(s, Collation::AsciiCasemap);
            }
            Cow::Owned(
                s.chars()
                    .flat_map(char::to_uppercase)
                    .flat_map(char::to_lowercase)
                    .collect(),
            )
        }
    }
}

/// Whether `value` satisfies the text-match, negate-condition applied.
pub(crate) fn text_matches(tm: &TextMatch, value: &str) -> bool {
    let v = fold(value, tm.collation);
    let t = fold(&tm.text, tm.collation);
    let hit = match tm.match_type {
        MatchType::Equals => v == t,
        MatchType::Contains => v.contains(t.as_ref()),
        MatchType::StartsWith => v.starts_with(t.as_ref()),
        MatchType::EndsWith => v.ends_with(t.as_ref()),
    };
    hit != tm.negate
}
