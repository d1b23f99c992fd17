//! The WebDAV `If` header (RFC 4918 §10.4): lists of state tokens and entity tags, optionally
//! tagged with the resource they apply to. davlite has no locks, so a state-token condition
//! holds only if the caller reports that token; `Not <DAV:no-lock>` (used by litmus and some
//! clients to express "no condition") is therefore always true.

use crate::error::HeaderError;
use crate::headers::etag::{EntityTag, take_tag};

/// What one condition tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfItem {
    /// `<coded-url>`, e.g. a lock token or `DAV:no-lock`.
    StateToken(String),
    /// `[entity-tag]`.
    Etag(EntityTag),
}

/// One condition, possibly negated with `Not`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfCondition {
    pub not: bool,
    pub item: IfItem,
}

/// One parenthesised list; all of its conditions must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfList {
    /// The resource tag (`<http://…/x>` before the list), as sent; `None` = the request URI.
    pub resource: Option<String>,
    pub conditions: Vec<IfCondition>,
}

/// A parsed `If` header: true when any list holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfHeader {
    pub lists: Vec<IfList>,
}

/// What the caller knows about a resource named by a list (or the request URI).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceState {
    /// Current entity tag, `None` when the resource does not exist.
    pub etag: Option<EntityTag>,
    /// Lock tokens held on it (always empty in davlite today).
    pub lock_tokens: Vec<String>,
}

fn err(m: impl Into<String>) -> HeaderError {
    HeaderError::If(m.into())
}

fn ws(s: &str) -> &str {
    s.trim_start_matches([' ', '\t'])
}

/// Reads `<…>` at the start of `s`.
fn take_angle(s: &str) -> Result<(String, &str), HeaderError> {
    let body = s.strip_prefix('<').ok_or_else(|| err("expected <"))?;
    let end = body.find('>').ok_or_else(|| err("unterminated <…>"))?;
    let inner = &body[..end];
    if inner.is_empty() || inner.contains(|c: char| c.is_ascii_whitespace() || c == '<') {
        return Err(err(format!("bad URI <{inner}>")));
    }
    Ok((inner.to_owned(), &body[end + 1..]))
}

impl IfHeader {
    /// Parses the header value; mixing tagged and untagged lists is an error.
    pub fn parse(value: &str) -> Result<IfHeader, HeaderError> {
        let mut lists = Vec::new();
        let mut rest = ws(value);
        let mut tagged: Option<bool> = None;
        let mut current_tag: Option<String> = None;
        while !rest.is_empty() {
            if rest.starts_with('<') {
                let (tag, r) = take_angle(rest)?;
                if tagged == Some(false) {
                    return Err(err("tagged list after untagged list"));
                }
                tagged = Some(true);
                current_tag = Some(tag);
                rest = ws(r);
                if !rest.starts_with('(') {
                    return Err(err("resource tag without a list"));
                }
                continue;
            }
            let body = rest
                .strip_prefix('(')
                .ok_or_else(|| err(format!("expected ( at {rest:?}")))?;
            if tagged.is_none() {
                tagged = Some(false);
            }
            let mut conditions = Vec::new();
            let mut r = ws(body);
            loop {
                if let Some(after) = r.strip_prefix(')') {
                    rest = ws(after);
                    break;
                }
                let (not, after_not) = match r.strip_prefix("Not") {
                    Some(a) => (true, ws(a)),
                    None => (false, r),
                };
                let (item, after) = if after_not.starts_with('<') {
                    let (t, a) = take_angle(after_not)?;
                    (IfItem::StateToken(t), a)
                } else if let Some(a) = after_not.strip_prefix('[') {
                    let (t, a) = take_tag(ws(a)).map_err(|e| err(e.to_string()))?;
                    let a = ws(a)
                        .strip_prefix(']')
                        .ok_or_else(|| err("unterminated [etag]"))?;
                    (IfItem::Etag(t), a)
                } else if after_not.is_empty() {
                    return Err(err("unterminated list"));
                } else {
                    return Err(err(format!("unexpected {after_not:?}")));
                };
                conditions.push(IfCondition { not, item });
                r = ws(after);
            }
            if conditions.is_empty() {
                return Err(err("empty list"));
            }
            lists.push(IfList {
                resource: current_tag.clone(),
                conditions,
            });
        }
        if lists.is_empty() {
            return Err(err("no list"));
        }
        Ok(IfHeader { lists })
    }

    /// Evaluates the header. `state` is asked about each list's resource (`None` = the request
    /// URI). Entity tags compare strongly, as for `If-Match`.
    pub fn evaluate(&self, mut state: impl FnMut(Option<&str>) -> ResourceState) -> bool {
        self.lists.iter().any(|l| {
            let st = state(l.resource.as_deref());
            l.conditions.iter().all(|c| {
                let holds = match &c.item {
                    IfItem::StateToken(t) => st.lock_tokens.iter().any(|h| h == t),
                    IfItem::Etag(t) => st.etag.as_ref().is_some_and(|e| e.strong_eq(t)),
                };
                holds != c.not
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_untagged_and_tagged() {
        let h = IfHeader::parse(r#"(<urn:uuid:1> ["a"]) (Not <DAV:no-lock>)"#).unwrap();
        assert_eq!(h.lists.len(), 2);
        assert_eq!(h.lists[0].resource, None);
        assert_eq!(
            h.lists[0].conditions,
            vec![
                IfCondition {
                    not: false,
                    item: IfItem::StateToken("urn:uuid:1".into())
                },
                IfCondition {
                    not: false,
                    item: IfItem::Etag(EntityTag::strong("a"))
                },
            ]
        );
        assert!(h.lists[1].conditions[0].not);
        let t = IfHeader::parse(r#"<http://h/a> (["x"]) (["y"]) </b> (Not ["z"])"#).unwrap();
        assert_eq!(t.lists.len(), 3);
        assert_eq!(t.lists[1].resource.as_deref(), Some("http://h/a"));
        assert_eq!(t.lists[2].resource.as_deref(), Some("/b"));
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            "",
            "()",
            "(",
            "<http://a>",
            "(<a> (<b>))",
            "(x)",
            "([\"a\")",
            "(<a>) <http://b> (<c>)",
            "(Not)",
            "(<>)",
        ] {
            assert!(IfHeader::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn evaluates() {
        let cur = ResourceState {
            etag: Some(EntityTag::strong("x")),
            lock_tokens: vec![],
        };
        let eval = |h: &str| IfHeader::parse(h).unwrap().evaluate(|_| cur.clone());
        assert!(eval("([\"x\"])"));
        assert!(!eval("([\"y\"])"));
        assert!(!eval("([W/\"x\"])"));
        assert!(eval("(Not <DAV:no-lock>)"));
        assert!(!eval("(<DAV:no-lock>)"));
        assert!(eval("(<DAV:no-lock>) ([\"x\"])"), "any list may hold");
        assert!(
            !eval("(Not <DAV:no-lock> [\"y\"])"),
            "all conditions of a list"
        );
        let h = IfHeader::parse(r#"</a> (["x"]) </b> (["q"])"#).unwrap();
        let mut asked = Vec::new();
        let ok = h.evaluate(|r| {
            asked.push(r.map(str::to_owned));
            ResourceState {
                etag: Some(EntityTag::strong(if r == Some("/b") { "q" } else { "n" })),
                lock_tokens: vec![],
            }
        });
        assert!(ok);
        assert_eq!(asked, vec![Some("/a".to_string()), Some("/b".to_string())]);
    }
}
