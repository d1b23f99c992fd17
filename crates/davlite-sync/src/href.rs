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
    let raw_path = raw_path.split(['?', '#']).next().unwrap_or("");
    normalize(&percent_decode_str(raw_path).decode_utf8_lossy())
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
    fn encode_round_trips() {
        let p = "/dav/a@b/x y%#.ics";
        assert_eq!(resolve("/", &encode(p, false)), p);
        assert_eq!(encode("/dav/c", true), "/dav/c/");
    }
}
