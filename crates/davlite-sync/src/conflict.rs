//! Items changed on both sides: who wins, and how the loser is kept.

use std::sync::Arc;

use davlite_formats::scan::{ContentLine as ScannedLine, Scanner, unfold};
use davlite_store::Etag;

/// Which version of an item changed on both sides becomes the synced one. The other is never
/// dropped: it is stored as a new object (with a fresh UID) in the local collection's
/// `-conflicts` sibling and listed in the summary.
#[derive(Clone, Default)]
pub enum Policy {
    /// The server's version wins (the default: what other clients see stays put).
    #[default]
    RemoteWins,
    LocalWins,
    /// The higher SEQUENCE wins, then the later LAST-MODIFIED; a tie goes to the server.
    Newest,
    /// The embedding application decides.
    Callback(Arc<dyn Fn(&Conflict<'_>) -> Winner + Send + Sync>),
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Policy::RemoteWins => "RemoteWins",
            Policy::LocalWins => "LocalWins",
            Policy::Newest => "Newest",
            Policy::Callback(_) => "Callback",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Winner {
    Local,
    Remote,
}

/// Both versions of an item changed on both sides, for [`Policy::Callback`].
#[derive(Debug)]
pub struct Conflict<'a> {
    /// Local collection path.
    pub collection: &'a str,
    pub name: &'a str,
    pub local: &'a [u8],
    pub remote: &'a [u8],
}

pub fn decide(policy: &Policy, c: &Conflict<'_>) -> Winner {
    match policy {
        Policy::RemoteWins => Winner::Remote,
        Policy::LocalWins => Winner::Local,
        Policy::Callback(f) => f(c),
        Policy::Newest => {
            let key = |b: &[u8]| {
                (
                    first_value(b, "SEQUENCE")
                        .and_then(|s| s.parse::<i64>().ok())
                        .unwrap_or(0),
                    first_value(b, "LAST-MODIFIED").unwrap_or_default(),
                )
            };
            if key(c.local) > key(c.remote) {
                Winner::Local
            } else {
                Winner::Remote
            }
        }
    }
}

/// The content lines of `b` up to the first malformed one, read by davlite-formats' lexer (so
/// folds, line ends and a quoted `:` in a parameter are read as the store reads them).
fn lines(b: &[u8]) -> impl Iterator<Item = ScannedLine<'_>> {
    Scanner::new(b).map_while(Result::ok)
}

fn prop_name(line: &str) -> String {
    line.split([':', ';'])
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
}

/// The value of the first property `name` (upper-case), unfolded and trimmed.
fn first_value(b: &[u8], name: &str) -> Option<String> {
    lines(b)
        .find(|l| l.is(name.as_bytes()))
        .map(|l| String::from_utf8_lossy(&l.value()).trim().to_string())
}

/// Equal up to what servers rewrite on their own: line folding, line ends, property order,
/// PRODID, DTSTAMP, LAST-MODIFIED.
pub fn same_content(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    let norm = |x: &[u8]| {
        let mut v: Vec<Vec<u8>> = lines(x)
            .filter(|l| !(l.is(b"PRODID") || l.is(b"DTSTAMP") || l.is(b"LAST-MODIFIED")))
            .map(|l| unfold(&x[l.span()]).into_owned())
            .collect();
        v.sort();
        v
    };
    norm(a) == norm(b)
}

/// A copy of `bytes` under a fresh UID derived from the UID and the content, so a rerun makes
/// the same copy (stored once) rather than another.
pub fn loser_copy(bytes: &[u8], uid: &str) -> (String, Vec<u8>) {
    let tag = Etag::of(bytes).to_string();
    let new_uid = format!("{uid}-conflict-{}", &tag[..12]);
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len() + 32);
    for seg in text.split_inclusive('\n') {
        let body = seg.trim_end_matches(['\r', '\n']);
        let end = &seg[body.len()..];
        if prop_name(body) == "UID" && body.split_once(':').is_some_and(|(_, v)| v.trim() == uid) {
            let head = body.split_once(':').map(|(h, _)| h).unwrap_or("UID");
            out.push_str(head);
            out.push(':');
            out.push_str(&new_uid);
            out.push_str(end);
        } else {
            out.push_str(seg);
        }
    }
    (new_uid, out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewritten_prodid_and_order_are_same_content() {
        let a = b"BEGIN:VCALENDAR\r\nPRODID:a\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:x\r\n y\r\nDTSTAMP:1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let b = b"BEGIN:VCALENDAR\nPRODID:b\nBEGIN:VEVENT\nSUMMARY:xy\nUID:1\nEND:VEVENT\nEND:VCALENDAR\n";
        assert!(same_content(a, b));
        assert!(!same_content(a, b"BEGIN:VCALENDAR\nUID:2\nEND:VCALENDAR\n"));
    }

    #[test]
    fn loser_gets_fresh_uid() {
        let (uid, b) = loser_copy(b"BEGIN:VEVENT\r\nUID:u1\r\nEND:VEVENT\r\n", "u1");
        assert!(uid.starts_with("u1-conflict-"));
        assert_eq!(
            String::from_utf8(b).unwrap(),
            format!("BEGIN:VEVENT\r\nUID:{uid}\r\nEND:VEVENT\r\n")
        );
    }

    #[test]
    fn newest_compares_sequence_then_last_modified() {
        let l = b"SEQUENCE:2\nLAST-MODIFIED:20200101T000000Z\n";
        let r = b"SEQUENCE:1\nLAST-MODIFIED:20250101T000000Z\n";
        let c = Conflict {
            collection: "c",
            name: "n",
            local: l,
            remote: r,
        };
        assert_eq!(decide(&Policy::Newest, &c), Winner::Local);
        let c = Conflict {
            collection: "c",
            name: "n",
            local: b"LAST-MODIFIED:2020\n",
            remote: b"LAST-MODIFIED:2021\n",
        };
        assert_eq!(decide(&Policy::Newest, &c), Winner::Remote);
    }
}
