//! Sync tokens (RFC 6578) as URIs: `urn:davlite:sync:<collection id>:<sequence>`. They contain
//! `:` (Evolution ignores tokens without `:` or `/`) and name their collection, so a token from
//! another collection is recognised and refused.
//!
//! A collection with child collections (a calendar home) adds each child's sequence,
//! `…:<seq>:<child id>.<child seq>:…`. A member change of a calendar is logged in the calendar,
//! not in its home, so without them a sync of the home would not report a calendar whose events
//! changed; Apple's clients sync the home to learn which calendars to look at.

use davlite_store::{Collection, CollectionId};

const PREFIX: &str = "urn:davlite:sync:";

/// A parsed token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub coll: CollectionId,
    pub seq: u64,
    /// The child collections' sequences when the token was issued (empty for leaf collections).
    pub children: Vec<(CollectionId, u64)>,
}

pub fn format(coll: CollectionId, seq: u64) -> String {
    format!("{PREFIX}{}:{seq}", coll.0)
}

/// The token of a collection given its current children (none for calendars and address books).
pub fn format_with_children(coll: CollectionId, seq: u64, children: &[Collection]) -> String {
    let mut t = format(coll, seq);
    let mut kids: Vec<(u64, u64)> = children.iter().map(|c| (c.id.0, c.seq)).collect();
    kids.sort_unstable();
    for (id, seq) in kids {
        t.push_str(&std::format!(":{id}.{seq}"));
    }
    t
}

/// Parses a token; `None` for anything not of our form.
pub fn parse(token: &str) -> Option<Token> {
    let rest = token.trim().strip_prefix(PREFIX)?;
    let mut parts = rest.split(':');
    let coll = CollectionId(parts.next()?.parse().ok()?);
    let seq = parts.next()?.parse().ok()?;
    let mut children = Vec::new();
    for p in parts {
        let (id, s) = p.split_once('.')?;
        children.push((CollectionId(id.parse().ok()?), s.parse().ok()?));
    }
    Some(Token {
        coll,
        seq,
        children,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let t = format(CollectionId(7), 42);
        assert!(t.contains(':'));
        let p = parse(&t).unwrap();
        assert_eq!((p.coll, p.seq), (CollectionId(7), 42));
        assert!(p.children.is_empty());
        let p = parse("urn:davlite:sync:7:42:3.5:9.0").unwrap();
        assert_eq!(p.children, [(CollectionId(3), 5), (CollectionId(9), 0)]);
        for bad in [
            "",
            "urn:davlite:sync:7",
            "urn:davlite:sync:x:1",
            "http://x/7/1",
            "urn:davlite:sync:7:-1",
            "urn:davlite:sync:7:1:3",
            "urn:davlite:sync:7:1:3.x",
            "urn:davlite:sync:7:1:",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
