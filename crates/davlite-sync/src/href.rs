//! Hrefs as the engine compares them: resolved against the URL of the request they answered,
//! percent-decoded once, dot segments and repeated slashes removed, no trailing slash. Two
//! spellings of one resource (`%40` vs `@`, absolute vs relative, `/a/./b/`) compare equal;
//! a path under another prefix (`/caldav/` vs `/caldav.php/`) does not, which is why every
//! path the engine stores is one the server itself answered with, never one built from the
//! configured URL.

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

/// Bytes encoded in a path segment we send: everything outside the unreserved set and the
/// sub-delimiters servers accept unencoded.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b'^')
    .add(b'|');

/// The canonical path of `href` as answered to a request for `base` (a canonical path).
pub fn resolve(base: &str, href: &str) -> String {
    let href = href.trim();
    let joined;
    // Borrowed unless relative: every listed and fetched href goes through here.
    let raw_path: &str = if let Some(rest) = href
        .strip_prefix("http://")
        .or_else(|| href.strip_prefix("https://"))
    {
        match rest.find('/') {
            Some(i) => &rest[i..],
            None => "/",
        }
    } else if href.starts_with('/') {
        href
    } else {
        joined = format!("{}/{}", base.trim_end_matches('/'), href);
        &joined
    };
    if canonical(raw_path.as_bytes()) {
        // What servers answer nearly always: nothing to decode or remove.
        return raw_path.to_owned();
    }
    let raw_path = raw_path.split(['?', '#']).next().unwrap_or("");
    normalize(&percent_decode_str(raw_path).decode_utf8_lossy())
}

/// Whether `path` is already what [`resolve`] makes of it: absolute, without percent-escape,
/// query or fragment, and without empty or dot segments (so no trailing slash). One pass over
/// the bytes, where decoding and normalizing take several.
fn canonical(path: &[u8]) -> bool {
    if path.first() != Some(&b'/') {
        return false;
    }
    let mut start = 1;
    for i in 1..=path.len() {
        match path.get(i) {
            Some(b'%' | b'?' | b'#') => return false,
            Some(b'/') | None => {
                if matches!(&path[start..i], b"" | b"." | b"..") {
                    return false;
                }
                start = i + 1;
            }
            Some(_) => {}
        }
    }
    true
}

/// Removes `.`/`..` segments, empty segments and the trailing slash of a decoded path.
pub fn normalize(path: &str) -> String {
    // One allocation: every listed and fetched href goes through here.
    let mut out = String::with_capacity(path.len() + 1);
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => out.truncate(out.rfind('/').unwrap_or(0)),
            s => {
                out.push('/');
                out.push_str(s);
            }
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// The path to put on the wire for a canonical path (`collection`: with a trailing slash).
pub fn encode(path: &str, collection: bool) -> String {
    let mut out = String::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        out.extend(utf8_percent_encode(seg, SEGMENT));
    }
    if out.is_empty() || collection {
        out.push('/');
    }
    out
}

/// The last segment of a canonical path.
pub fn last_segment(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or("")
}

/// Whether canonical `path` names a member directly inside collection `parent` (canonical, no
/// trailing slash): listings also hold the collection itself and, on some servers, deeper
/// resources.
pub fn is_member_of(path: &str, parent: &str) -> bool {
    path.rsplit_once('/').map(|(p, _)| p) == Some(parent)
}

/// `child` directly inside `parent` (both canonical).
pub fn child(parent: &str, name: &str) -> String {
    format!("{}/{}", parent.trim_end_matches('/'), name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_resource_compare_equal() {
        let base = "/dav/calendars/a%40b/work/";
        let want = "/dav/calendars/a@b/work/x y.ics";
        for href in [
            "/dav/calendars/a%40b/work/x%20y.ics",
            "/dav/calendars/a@b/work/x%20y.ics",
            "http://host:1/dav/calendars/a@b/./work//x%20y.ics",
            "x%20y.ics",
            "/dav/calendars/a@b/other/../work/x%20y.ics",
        ] {
            assert_eq!(resolve(&normalize(base), href), want, "{href}");
        }
        assert_eq!(resolve("/", "/caldav/u/"), "/caldav/u");
        assert_ne!(resolve("/", "/caldav/u/"), resolve("/", "/caldav.php/u/"));
    }

    #[test]
    fn canonical_paths_are_taken_as_they_are_and_others_normalized() {
        for (href, want) in [
            ("/dav/c/a.ics", "/dav/c/a.ics"),
            ("/dav/c/.hidden", "/dav/c/.hidden"),
            ("/dav/c/..x", "/dav/c/..x"),
            ("/dav/c/", "/dav/c"),
            ("/dav//c/a", "/dav/c/a"),
            ("/dav/c/./a", "/dav/c/a"),
            ("/dav/x/../c/a", "/dav/c/a"),
            ("/dav/c/..", "/dav"),
            ("/dav/c/a?x=1", "/dav/c/a"),
            ("/dav/c/a#f", "/dav/c/a"),
            ("/dav/c/a%2Eb", "/dav/c/a.b"),
            ("/", "/"),
            ("//", "/"),
            (" /dav/c/a ", "/dav/c/a"),
        ] {
            assert_eq!(resolve("/", href), want, "{href}");
            assert_eq!(canonical(want.as_bytes()), want != "/", "{want}");
        }
    }

    #[test]
    fn encode_round_trips() {
        let p = "/dav/a@b/x y%#.ics";
        assert_eq!(resolve("/", &encode(p, false)), p);
        assert_eq!(encode("/dav/c", true), "/dav/c/");
    }
}
