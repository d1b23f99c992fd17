//! Sync tokens (RFC 6578) as URIs: `urn:davlite:sync:<collection id>:<sequence>`. They contain
//! `:` (Evolution ignores tokens without `:` or `/`) and name their collection, so a token from
//! another collection is recognised and refused.

use davlite_store::CollectionId;

const PREFIX: &str = "urn:davlite:sync:";

pub fn format(coll: CollectionId, seq: u64) -> String {
    format!("{PREFIX}{}:{seq}", coll.0)
}

/// Parses a token; `None` for anything not of our form.
pub fn parse(token: &str) -> Option<(CollectionId, u64)> {
    let rest = token.trim().strip_prefix(PREFIX)?;
    let (id, seq) = rest.split_once(':')?;
    Some((CollectionId(id.parse().ok()?), seq.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let t = format(CollectionId(7), 42);
        assert!(t.contains(':'));
        assert_eq!(parse(&t), Some((CollectionId(7), 42)));
        for bad in [
            "",
            "urn:davlite:sync:7",
            "urn:davlite:sync:x:1",
            "http://x/7/1",
            "urn:davlite:sync:7:-1",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
