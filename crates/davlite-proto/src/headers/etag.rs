//! Entity tags and `If-Match` / `If-None-Match` lists (RFC 9110 §8.8.3, §13.1.1, §13.1.2).

use std::fmt;

use crate::error::HeaderError;

/// One entity tag. `tag` is the opaque part without quotes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntityTag {
    pub weak: bool,
    pub tag: String,
}

fn is_etagc(b: u8) -> bool {
    b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80
}

impl EntityTag {
    /// A strong tag.
    pub fn strong(tag: impl Into<String>) -> Self {
        EntityTag {
            weak: false,
            tag: tag.into(),
        }
    }

    /// Parses one tag (`"x"` or `W/"x"`), surrounding whitespace allowed.
    pub fn parse(s: &str) -> Result<Self, HeaderError> {
        let (t, rest) = take_tag(s.trim_start())?;
        if !rest.trim().is_empty() {
            return Err(HeaderError::EtagList(format!("trailing data in {s:?}")));
        }
        Ok(t)
    }

    /// Strong comparison: both strong and equal (used by `If-Match`).
    pub fn strong_eq(&self, other: &EntityTag) -> bool {
        !self.weak && !other.weak && self.tag == other.tag
    }

    /// Weak comparison: equal opaque parts (used by `If-None-Match`).
    pub fn weak_eq(&self, other: &EntityTag) -> bool {
        self.tag == other.tag
    }
}

impl fmt::Display for EntityTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.weak {
            f.write_str("W/")?;
        }
        write!(f, "\"{}\"", self.tag)
    }
}

/// Reads one entity tag at the start of `s`, returning it and the rest.
pub(crate) fn take_tag(s: &str) -> Result<(EntityTag, &str), HeaderError> {
    let (weak, s) = match s.strip_prefix("W/") {
        Some(r) => (true, r),
        None => (false, s),
    };
    let body = s
        .strip_prefix('"')
        .ok_or_else(|| HeaderError::EtagList(format!("entity tag must be quoted: {s:?}")))?;
    let end = body
        .find('"')
        .ok_or_else(|| HeaderError::EtagList("unterminated entity tag".into()))?;
    let tag = &body[..end];
    if !tag.bytes().all(is_etagc) {
        return Err(HeaderError::EtagList(format!("bad character in {tag:?}")));
    }
    Ok((
        EntityTag {
            weak,
            tag: tag.to_owned(),
        },
        &body[end + 1..],
    ))
}

/// An `If-Match` or `If-None-Match` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EtagList {
    /// `*`: any current representation.
    Any,
    /// A non-empty list of tags.
    Tags(Vec<EntityTag>),
}

impl EtagList {
    /// `If-Match` semantics: does `current` (the resource's tag, `None` when it does not exist)
    /// satisfy the list? Strong comparison, so a weak tag never matches.
    pub fn matches_strong(&self, current: Option<&EntityTag>) -> bool {
        match (self, current) {
            (_, None) => false,
            (EtagList::Any, Some(_)) => true,
            (EtagList::Tags(ts), Some(c)) => ts.iter().any(|t| t.strong_eq(c)),
        }
    }

    /// `If-None-Match` semantics: true when the list matches `current` by weak comparison (the
    /// condition then FAILS). `*` matches any existing resource.
    pub fn matches_weak(&self, current: Option<&EntityTag>) -> bool {
        match (self, current) {
            (_, None) => false,
            (EtagList::Any, Some(_)) => true,
            (EtagList::Tags(ts), Some(c)) => ts.iter().any(|t| t.weak_eq(c)),
        }
    }
}

fn parse_list(value: &str) -> Result<EtagList, HeaderError> {
    let v = value.trim();
    if v == "*" {
        return Ok(EtagList::Any);
    }
    let mut tags = Vec::new();
    let mut rest = v;
    loop {
        rest = rest.trim_start_matches([' ', '\t']);
        if let Some(r) = rest.strip_prefix(',') {
            rest = r;
            continue;
        }
        if rest.is_empty() {
            break;
        }
        if rest.starts_with('*') {
            return Err(HeaderError::EtagList("* mixed with entity tags".into()));
        }
        let (t, r) = take_tag(rest)?;
        tags.push(t);
        let r = r.trim_start_matches([' ', '\t']);
        if !(r.is_empty() || r.starts_with(',')) {
            return Err(HeaderError::EtagList(format!(
                "expected a comma before {r:?}"
            )));
        }
        rest = r;
    }
    if tags.is_empty() {
        return Err(HeaderError::EtagList("empty list".into()));
    }
    Ok(EtagList::Tags(tags))
}

/// Parses `If-Match`. `*` mixed with tags, an empty list or garbage is an error (400: ignoring
/// it would turn a guarded write into an unguarded one).
pub fn parse_if_match(value: &str) -> Result<EtagList, HeaderError> {
    parse_list(value)
}

/// Parses `If-None-Match`; same grammar as `If-Match`.
pub fn parse_if_none_match(value: &str) -> Result<EtagList, HeaderError> {
    parse_list(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists() {
        assert_eq!(parse_if_match("*").unwrap(), EtagList::Any);
        assert_eq!(parse_if_match(" * ").unwrap(), EtagList::Any);
        assert_eq!(
            parse_if_match(r#""a", W/"b" ,"c,d""#).unwrap(),
            EtagList::Tags(vec![
                EntityTag::strong("a"),
                EntityTag {
                    weak: true,
                    tag: "b".into()
                },
                EntityTag::strong("c,d"),
            ])
        );
        assert_eq!(
            parse_if_none_match(r#""""#).unwrap(),
            EtagList::Tags(vec![EntityTag::strong("")])
        );
        for bad in [
            "",
            "*, \"a\"",
            "\"a\", *",
            "a",
            "\"a",
            "\"a\" \"b\"",
            "W/a",
            "**",
            ",",
            "\"a\"x",
            "\"a b\"",
        ] {
            assert!(parse_if_match(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn comparisons() {
        let cur = EntityTag::strong("x");
        let weak = EntityTag::parse(r#"W/"x""#).unwrap();
        let l = parse_if_match(r#"W/"x""#).unwrap();
        assert!(!l.matches_strong(Some(&cur)), "If-Match compares strongly");
        assert!(l.matches_weak(Some(&cur)), "If-None-Match compares weakly");
        assert!(parse_if_match("\"x\"").unwrap().matches_strong(Some(&cur)));
        assert!(!parse_if_match("\"x\"").unwrap().matches_strong(Some(&weak)));
        assert!(!EtagList::Any.matches_strong(None));
        assert!(EtagList::Any.matches_weak(Some(&cur)));
        assert_eq!(weak.to_string(), "W/\"x\"");
    }
}
