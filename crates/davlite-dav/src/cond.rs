//! HTTP conditionals (RFC 9110 §13) and the WebDAV `If` header, turned into the store's
//! precondition so the check runs inside the write transaction.

use davlite_proto::headers::{
    EntityTag, EtagList, IfHeader, ResourceState, parse_if_match, parse_if_none_match,
};
use davlite_store::{Etag, Precondition};
use http::HeaderMap;

use crate::error::{DavError, DavResult};

/// The conditional headers of one request.
#[derive(Debug, Default)]
pub struct Conditionals {
    pub if_match: Option<EtagList>,
    pub if_none_match: Option<EtagList>,
    pub if_header: Option<IfHeader>,
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> DavResult<Option<&'a str>> {
    let mut values = h.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        // Several header lines: RFC 9110 lets them be joined, but none of our clients do it and a
        // joined `*` would be ambiguous; refuse rather than guess.
        return Err(DavError::BadRequest(format!("{name} given more than once")));
    }
    first
        .to_str()
        .map(Some)
        .map_err(|_| DavError::BadRequest(format!("{name} is not ASCII")))
}

impl Conditionals {
    pub fn parse(h: &HeaderMap) -> DavResult<Self> {
        let bad = |e: davlite_proto::HeaderError| DavError::BadRequest(e.to_string());
        let mut c = Conditionals::default();
        // If-Schedule-Tag-Match is checked by the scheduling path (implicit.rs), against the
        // Schedule-Tag, not the ETag.
        if let Some(v) = header(h, "if-match")? {
            c.if_match = Some(parse_if_match(v).map_err(bad)?);
        }
        if let Some(v) = header(h, "if-none-match")? {
            c.if_none_match = Some(parse_if_none_match(v).map_err(bad)?);
        }
        if let Some(v) = header(h, "if")? {
            c.if_header = Some(IfHeader::parse(v).map_err(bad)?);
        }
        Ok(c)
    }

    /// Whether the conditionals hold against a snapshot's current ETag. Used for refusals that
    /// must follow RFC order (a stale If-Match with an invalid body answers 412) and for methods
    /// the store cannot condition itself.
    pub fn hold(&self, current: Option<&Etag>) -> bool {
        let tag = current.map(|e| EntityTag::strong(e.to_string()));
        if let Some(m) = &self.if_match {
            if !m.matches_strong(tag.as_ref()) {
                return false;
            }
        }
        if let Some(n) = &self.if_none_match {
            if n.matches_weak(tag.as_ref()) {
                return false;
            }
        }
        if let Some(i) = &self.if_header {
            let ok = i.evaluate(|resource| {
                // A tagged list about another resource: we only know the request target's
                // state, so other resources are treated as unknown (no etag, no locks).
                if resource.is_some() {
                    ResourceState::default()
                } else {
                    ResourceState {
                        etag: tag.clone(),
                        lock_tokens: Vec::new(),
                    }
                }
            });
            if !ok {
                return false;
            }
        }
        true
    }

    /// The precondition the store checks inside its write transaction. When a request carries
    /// both If-Match and If-None-Match, If-Match goes to the store and the caller must also check
    /// [`Conditionals::hold`] on its snapshot.
    pub fn to_store(&self) -> Precondition {
        if let Some(m) = &self.if_match {
            return match m {
                EtagList::Any => Precondition::IfMatchAny,
                EtagList::Tags(tags) => Precondition::IfMatch(
                    tags.iter()
                        .filter(|t| !t.weak)
                        .filter_map(|t| Etag::parse_hex(&t.tag))
                        .collect(),
                ),
            };
        }
        if let Some(n) = &self.if_none_match {
            return match n {
                EtagList::Any => Precondition::IfNoneMatchAny,
                EtagList::Tags(tags) => Precondition::IfNoneMatch(
                    tags.iter()
                        .filter_map(|t| Etag::parse_hex(&t.tag))
                        .collect(),
                ),
            };
        }
        Precondition::None
    }
}
