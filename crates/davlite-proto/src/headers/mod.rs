//! DAV and conditional request headers, parsed from `&str` (use [`header_str`] for an
//! `http::HeaderValue`). An absent header is the caller's business: each has its own default
//! (a missing `Depth` means infinity on PROPFIND and 0 on sync-collection).

mod etag;
mod if_header;

pub use etag::{EntityTag, EtagList, parse_if_match, parse_if_none_match};
pub use if_header::{IfCondition, IfHeader, IfItem, IfList, ResourceState};

use crate::error::HeaderError;

/// The header value as text; non-visible-ASCII values are refused.
pub fn header_str(v: &http::HeaderValue) -> Result<&str, HeaderError> {
    v.to_str().map_err(|_| HeaderError::NotAscii)
}

/// `Depth` (RFC 4918 §10.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    Zero,
    One,
    Infinity,
}

impl Depth {
    /// Parses `0`, `1` or `infinity` (case-insensitive, surrounding whitespace allowed).
    pub fn parse(value: &str) -> Result<Depth, HeaderError> {
        match value.trim() {
            "0" => Ok(Depth::Zero),
            "1" => Ok(Depth::One),
            v if v.eq_ignore_ascii_case("infinity") => Ok(Depth::Infinity),
            v => Err(HeaderError::Depth(v.to_owned())),
        }
    }
}

/// A `Destination` (RFC 4918 §10.3): an absolute URI or an absolute path, split so the caller
/// can check scheme and authority against the request and decode the path with its one href
/// decoder. The path is returned still percent-encoded, without query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// Lower-cased scheme, when an absolute URI was sent.
    pub scheme: Option<String>,
    /// `host[:port]` as sent (userinfo refused), when an absolute URI was sent.
    pub authority: Option<String>,
    /// The path, starting with `/`.
    pub path: String,
}

impl Destination {
    pub fn parse(value: &str) -> Result<Destination, HeaderError> {
        let v = value.trim();
        let bad = |m: &str| HeaderError::Destination(format!("{m}: {v:?}"));
        if v.is_empty() {
            return Err(bad("empty"));
        }
        if v.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(bad("whitespace or control character"));
        }
        if v.contains('#') {
            return Err(bad("fragment"));
        }
        let strip_query = |p: &str| p.split('?').next().unwrap_or("").to_owned();
        if v.starts_with('/') {
            if v.starts_with("//") {
                return Err(bad("network-path reference"));
            }
            return Ok(Destination {
                scheme: None,
                authority: None,
                path: strip_query(v),
            });
        }
        let (scheme, rest) = v.split_once("://").ok_or_else(|| bad("not absolute"))?;
        let scheme_ok = scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !scheme_ok {
            return Err(bad("bad scheme"));
        }
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(bad("bad authority"));
        }
        let path = strip_query(path);
        Ok(Destination {
            scheme: Some(scheme.to_ascii_lowercase()),
            authority: Some(authority.to_owned()),
            path: if path.is_empty() { "/".into() } else { path },
        })
    }
}

/// `Overwrite` (RFC 4918 §10.6); `None` (absent) means `T`.
pub fn parse_overwrite(value: Option<&str>) -> Result<bool, HeaderError> {
    match value.map(str::trim) {
        None => Ok(true),
        Some("T") | Some("t") => Ok(true),
        Some("F") | Some("f") => Ok(false),
        Some(v) => Err(HeaderError::Overwrite(v.to_owned())),
    }
}

/// The `return` preference of `Prefer` (RFC 7240 §4.2, RFC 8144).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReturnPref {
    /// No `return` preference.
    #[default]
    None,
    /// `return=minimal`: drop 404 propstats, empty PUT answers.
    Minimal,
    /// `return=representation`.
    Representation,
}

/// The `return` preference across every `Prefer` header value; unknown preferences are ignored
/// (RFC 7240 §2), and the first `return` wins.
pub fn parse_prefer<'a>(values: impl IntoIterator<Item = &'a str>) -> ReturnPref {
    for v in values {
        for pref in v.split(',') {
            let token = pref.split(';').next().unwrap_or("").trim();
            let (k, val) = match token.split_once('=') {
                Some((k, val)) => (k.trim(), val.trim().trim_matches('"')),
                None => (token, ""),
            };
            if k.eq_ignore_ascii_case("return") {
                if val.eq_ignore_ascii_case("minimal") {
                    return ReturnPref::Minimal;
                }
                if val.eq_ignore_ascii_case("representation") {
                    return ReturnPref::Representation;
                }
            }
        }
    }
    ReturnPref::None
}

/// `Brief` (the Microsoft header Apple clients send): `t` means `Prefer: return=minimal`.
pub fn parse_brief(value: Option<&str>) -> bool {
    value.is_some_and(|v| v.trim().eq_ignore_ascii_case("t"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth() {
        assert_eq!(Depth::parse("0"), Ok(Depth::Zero));
        assert_eq!(Depth::parse(" 1 "), Ok(Depth::One));
        assert_eq!(Depth::parse("Infinity"), Ok(Depth::Infinity));
        for bad in ["", "2", "01", "inf", "-1"] {
            assert!(Depth::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn destination() {
        let d = Destination::parse("HTTPS://Example.com:8443/dav/a%20b.ics?x=1").unwrap();
        assert_eq!(d.scheme.as_deref(), Some("https"));
        assert_eq!(d.authority.as_deref(), Some("Example.com:8443"));
        assert_eq!(d.path, "/dav/a%20b.ics");
        let p = Destination::parse("/dav/x/").unwrap();
        assert_eq!(
            (p.scheme, p.authority, p.path.as_str()),
            (None, None, "/dav/x/")
        );
        assert_eq!(Destination::parse("http://h").unwrap().path, "/");
        for bad in [
            "",
            "dav/x",
            "//h/x",
            "http:///x",
            "http://u@h/x",
            "/a b",
            "/a#f",
            "1http://h/",
            "ftp:/x",
        ] {
            assert!(Destination::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn overwrite_prefer_brief() {
        assert_eq!(parse_overwrite(None), Ok(true));
        assert_eq!(parse_overwrite(Some("F")), Ok(false));
        assert_eq!(parse_overwrite(Some("T")), Ok(true));
        assert!(parse_overwrite(Some("yes")).is_err());
        assert_eq!(parse_prefer(["return=minimal"]), ReturnPref::Minimal);
        assert_eq!(
            parse_prefer(["respond-async, wait=10", "RETURN = \"representation\"; x=y"]),
            ReturnPref::Representation
        );
        assert_eq!(parse_prefer(["handling=lenient"]), ReturnPref::None);
        assert!(parse_brief(Some("t")));
        assert!(parse_brief(Some("T")));
        assert!(!parse_brief(Some("f")));
        assert!(!parse_brief(None));
    }
}
