//! Hrefs: one decode from whatever a client sent to a canonical resource path, one encode back.
//!
//! Raw href strings are never compared. A request href is split into segments, each segment is
//! percent-decoded on its own (so an encoded `/` can never smuggle a separator), and the leading
//! segments are matched against the configured mounts after decoding. Answers are written under
//! the mount the request came in on: that is what keeps a client that reaches the server through
//! an alias (`/caldav/` in front of `/caldav.php/`) from ever seeing an href it did not use.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Longest segment we accept; longer ones are refused before they reach the store.
pub const MAX_SEGMENT_BYTES: usize = 255;
/// Most segments below the mount we accept.
pub const MAX_DEPTH: usize = 32;
/// Most segments of a trusted proxy's forwarded prefix; a longer one is ignored, like one that
/// does not decode.
const MAX_FORWARDED: usize = 8;
/// Most segments of any path we decode: a forwarded prefix, a mount (up to 8 segments) and the
/// deepest resource. A bound on the whole, checked while splitting, so a hostile path costs
/// nothing, and large enough that every href we write decodes again.
const MAX_PATH_SEGMENTS: usize = MAX_FORWARDED + 8 + MAX_DEPTH;

/// Characters left unescaped in the hrefs we write: RFC 3986 unreserved plus `@`, which every
/// client we studied leaves alone or decodes.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// Why an href cannot name a resource of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HrefError {
    /// Not under any mount of this server (another origin, or outside the DAV tree).
    Foreign,
    /// `..`, `.`, an encoded `/` or `\`, NUL or a control character, bad UTF-8, or an overlong
    /// segment.
    Hostile(&'static str),
}

/// A decoded request path: the mount prefix as the client should see it, and the segments below.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The prefix to write hrefs under, with leading and trailing slash (`/caldav/`).
    pub prefix: String,
    /// Decoded segments below the prefix; empty for the mount itself.
    pub segments: Vec<String>,
    /// Whether the client's path ended in `/`.
    pub trailing_slash: bool,
}

/// Splits and decodes an absolute path (no query) into segments, refusing hostile ones.
pub fn decode_segments(path: &str) -> Result<(Vec<String>, bool), HrefError> {
    let trailing = path.ends_with('/');
    let mut out = Vec::new();
    for raw in path.split('/') {
        if raw.is_empty() {
            continue;
        }
        let bytes: Vec<u8> = percent_decode_str(raw).collect();
        let seg =
            String::from_utf8(bytes).map_err(|_| HrefError::Hostile("segment is not UTF-8"))?;
        if seg == "." || seg == ".." {
            return Err(HrefError::Hostile("dot segment"));
        }
        if seg.contains('/') {
            return Err(HrefError::Hostile("encoded slash"));
        }
        // A backslash is a separator to Windows and to the tools that write names out as
        // files (`..\..\x`). A raw `\` is not allowed in a request target, so hyper already
        // refuses it there; refusing it in every spelling (raw in a Destination or a body's
        // href, or `%5C`) keeps each encoding of a name answered alike.
        if seg.contains('\\') {
            return Err(HrefError::Hostile("backslash"));
        }
        if seg.chars().any(|c| c.is_control()) {
            return Err(HrefError::Hostile("control character"));
        }
        if seg.len() > MAX_SEGMENT_BYTES {
            return Err(HrefError::Hostile("segment too long"));
        }
        out.push(seg);
        if out.len() > MAX_PATH_SEGMENTS {
            return Err(HrefError::Hostile("too many segments"));
        }
    }
    Ok((out, trailing))
}

/// Reduces an href as found in a request body or a Destination header (absolute URL or path) to
/// its path. The authority, if any, is returned so the caller can tell another server apart.
pub fn href_path(href: &str) -> (Option<&str>, &str) {
    let href = href.trim();
    let without_query = href.split(['?', '#']).next().unwrap_or("");
    if let Some(pos) = without_query.find("://") {
        let rest = &without_query[pos + 3..];
        match rest.find('/') {
            Some(slash) => (Some(&rest[..slash]), &rest[slash..]),
            None => (Some(rest), "/"),
        }
    } else {
        (None, without_query)
    }
}

/// The mounts of the DAV tree, decoded once at start-up.
#[derive(Debug, Clone)]
pub struct Mounts {
    /// (decoded segments, prefix to answer with), longest first.
    mounts: Vec<(Vec<String>, String)>,
    /// The configured base, as we write it.
    base: String,
}

impl Mounts {
    pub fn new(base: &str, aliases: &[String]) -> Self {
        let mut mounts = Vec::new();
        for m in std::iter::once(base).chain(aliases.iter().map(String::as_str)) {
            let (segs, _) = decode_segments(m).unwrap_or_default();
            let prefix = encode_path_prefix(&segs);
            if !mounts.iter().any(|(s, _)| *s == segs) {
                mounts.push((segs, prefix));
            }
        }
        // Longest first, so `/dav/x/` wins over `/dav/` when both are mounts.
        let base = mounts
            .first()
            .map(|m| m.1.clone())
            .unwrap_or_else(|| "/".into());
        mounts.sort_by_key(|m| std::cmp::Reverse(m.0.len()));
        Mounts { mounts, base }
    }

    /// The canonical prefix (the configured base).
    pub fn canonical_prefix(&self) -> &str {
        &self.base
    }

    /// Matches a request path to a mount. `forwarded` is a trusted proxy prefix to put in front
    /// of every href we write.
    pub fn decode(&self, path: &str, forwarded: Option<&str>) -> Result<Decoded, HrefError> {
        let (segments, trailing_slash) = decode_segments(path)?;
        for (mount, prefix) in &self.mounts {
            if segments.len() >= mount.len() && segments[..mount.len()] == mount[..] {
                let below = segments[mount.len()..].to_vec();
                if below.len() > MAX_DEPTH {
                    return Err(HrefError::Hostile("too many segments"));
                }
                let prefix = match forwarded {
                    Some(f) => join_prefix(f, prefix),
                    None => prefix.clone(),
                };
                return Ok(Decoded {
                    prefix,
                    segments: below,
                    trailing_slash,
                });
            }
        }
        Err(HrefError::Foreign)
    }

    /// Decodes an href from a request body or header under the mount the request used: it must
    /// lie under `prefix` (compared after decoding), or under any mount.
    pub fn decode_href(&self, href: &str, forwarded: Option<&str>) -> Result<Decoded, HrefError> {
        let (_, path) = href_path(href);
        // A forwarded prefix that does not decode is ignored, as when writing hrefs.
        if let Some((f, fsegs)) = forwarded.and_then(|f| forwarded_segments(f).map(|s| (f, s))) {
            let (segs, trailing) = decode_segments(path)?;
            if segs.len() >= fsegs.len() && segs[..fsegs.len()] == fsegs[..] {
                let rest = encode_path(&segs[fsegs.len()..], trailing);
                return self.decode(&rest, Some(f));
            }
        }
        self.decode(path, None)
    }
}

/// Puts a forwarded prefix in front of a mount prefix, in our canonical spelling: the proxy's
/// value goes through the same decoder as any href, so a prefix with control characters or dot
/// segments is ignored rather than copied into every href we write.
fn join_prefix(forwarded: &str, prefix: &str) -> String {
    match forwarded_segments(forwarded) {
        Some(segs) if !segs.is_empty() => {
            let f = encode_path_prefix(&segs);
            format!("{}{prefix}", f.trim_end_matches('/'))
        }
        _ => prefix.to_string(),
    }
}

/// The segments of a forwarded prefix we honour: one that decodes, of at most
/// [`MAX_FORWARDED`] segments.
fn forwarded_segments(forwarded: &str) -> Option<Vec<String>> {
    decode_segments(forwarded.trim())
        .ok()
        .map(|(segs, _)| segs)
        .filter(|segs| segs.len() <= MAX_FORWARDED)
}

/// Percent-encodes one segment in our canonical spelling.
pub fn encode_segment(seg: &str) -> String {
    utf8_percent_encode(seg, SEGMENT).to_string()
}

/// Appends one encoded segment to an href being built.
pub fn push_segment(out: &mut String, seg: &str) {
    out.extend(utf8_percent_encode(seg, SEGMENT));
}

fn encode_path_prefix(segs: &[String]) -> String {
    let mut s = String::from("/");
    for seg in segs {
        s.push_str(&encode_segment(seg));
        s.push('/');
    }
    s
}

/// Encodes segments as an absolute path; collections get a trailing slash.
pub fn encode_path(segs: &[String], collection: bool) -> String {
    let mut s = String::new();
    for seg in segs {
        s.push('/');
        s.push_str(&encode_segment(seg));
    }
    if collection || s.is_empty() {
        s.push('/');
    }
    s
}

/// The href of a resource below a prefix: `prefix` + encoded segments (+ `/` for collections).
pub fn href(prefix: &str, segs: &[&str], collection: bool) -> String {
    let mut s = String::with_capacity(prefix.len() + 64);
    s.push_str(prefix);
    for (i, seg) in segs.iter().enumerate() {
        if i > 0 {
            s.push('/');
        }
        push_segment(&mut s, seg);
    }
    if collection && !s.ends_with('/') {
        s.push('/');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mounts() -> Mounts {
        Mounts::new("/caldav.php/", &["/caldav/".to_string()])
    }

    #[test]
    fn alias_answers_under_its_own_prefix() {
        let d = mounts()
            .decode("/caldav/calendars/alice/work/", None)
            .unwrap();
        assert_eq!(d.prefix, "/caldav/");
        assert_eq!(d.segments, ["calendars", "alice", "work"]);
        let d = mounts()
            .decode("/caldav.php/calendars/alice/", None)
            .unwrap();
        assert_eq!(d.prefix, "/caldav.php/");
    }

    #[test]
    fn mount_is_matched_after_decoding() {
        let d = mounts().decode("/c%61ldav/x", None).unwrap();
        assert_eq!(d.prefix, "/caldav/");
        assert_eq!(d.segments, ["x"]);
    }

    #[test]
    fn every_encoding_of_a_name_decodes_alike() {
        let m = Mounts::new("/dav/", &[]);
        for p in [
            "/dav/a/b%40c.ics",
            "/dav/a/b@c.ics",
            "/dav/a/b%40c%2eics",
            "/dav/a//b%40c.ics",
        ] {
            assert_eq!(m.decode(p, None).unwrap().segments, ["a", "b@c.ics"], "{p}");
        }
        let d = m.decode("/dav/a/%C3%A9t%C3%A9%20x+y%3A.ics", None).unwrap();
        assert_eq!(d.segments[1], "été x+y:.ics");
        assert_eq!(
            href("/dav/", &["a", &d.segments[1]], false),
            "/dav/a/%C3%A9t%C3%A9%20x%2By%3A.ics"
        );
    }

    #[test]
    fn hostile_hrefs_are_refused() {
        let m = Mounts::new("/dav/", &[]);
        for p in [
            "/dav/a/../b",
            "/dav/a/%2e%2e/b",
            "/dav/a%2Fb",
            "/dav/a%00b",
            "/dav/%ff",
            "/dav/./x",
            "/dav/a/..%5C..%5Cb",
            "/dav/a/..\\..\\b",
            "/dav/a%5cb",
        ] {
            assert!(
                matches!(m.decode(p, None), Err(HrefError::Hostile(_))),
                "{p}"
            );
        }
        let long = format!("/dav/{}", "a".repeat(300));
        assert!(m.decode(&long, None).is_err());
        assert_eq!(m.decode("/other/x", None), Err(HrefError::Foreign));
    }

    #[test]
    fn absolute_urls_and_forwarded_prefix() {
        let m = Mounts::new("/dav/", &[]);
        let d = m
            .decode_href("https://host:8443/dav/x/y.ics", None)
            .unwrap();
        assert_eq!(d.segments, ["x", "y.ics"]);
        let d = m.decode("/dav/x/", Some("/proxy")).unwrap();
        assert_eq!(d.prefix, "/proxy/dav/");
        let d = m.decode_href("/proxy/dav/x/", Some("/proxy")).unwrap();
        assert_eq!(d.segments, ["x"]);
        assert_eq!(d.prefix, "/proxy/dav/");
    }

    #[test]
    fn forwarded_prefix_is_canonicalised_or_ignored() {
        let m = Mounts::new("/dav/", &[]);
        let d = m.decode("/dav/x/", Some(" /a b/ü/ ")).unwrap();
        assert_eq!(d.prefix, "/a%20b/%C3%BC/dav/");
        for hostile in ["/p\t/", "/../x", "/a%2Fb", "/a%00"] {
            let d = m.decode("/dav/x/", Some(hostile)).unwrap();
            assert_eq!(d.prefix, "/dav/", "{hostile:?}");
            let d = m.decode_href("/dav/x/", Some(hostile)).unwrap();
            assert_eq!(d.segments, ["x"]);
        }
    }
}
