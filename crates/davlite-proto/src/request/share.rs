//! CalendarServer sharing bodies (POST to a collection or a home): `CS:share`, by which an
//! owner adds, changes and removes sharees, and `CS:invite-reply`, by which a sharee accepts or
//! declines. Element names from Apple's CalendarServer sharing specification.

use crate::dom::{Element, Limits, parse_document};
use crate::error::XmlError;
use crate::qname::QName;

/// One `CS:set`: a sharee and what they may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareSet {
    /// The sharee's calendar user address (`mailto:`) or principal URL, as sent.
    pub href: String,
    /// `CS:read-write` was given (else read only).
    pub read_write: bool,
    pub common_name: Option<String>,
    pub summary: Option<String>,
}

/// A POST body a sharing-aware server takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharePost {
    /// `CS:share`: the sharees to set and the hrefs to remove, in document order.
    Share {
        set: Vec<ShareSet>,
        remove: Vec<String>,
    },
    /// `CS:invite-reply`: the sharee's answer for the collection at `host_url`.
    InviteReply {
        accepted: bool,
        host_url: String,
        in_reply_to: Option<String>,
    },
}

const HREF: QName = QName::dav("href");

fn cs(local: &'static str) -> QName {
    QName::calserver(local)
}

fn href_of(e: &Element) -> Result<String, XmlError> {
    e.child(&HREF)
        .map(|h| h.text().trim().to_string())
        .filter(|h| !h.is_empty())
        .ok_or_else(|| XmlError::Invalid(format!("{} names no href", e.name.local)))
}

fn text_of(e: &Element, name: &'static str) -> Option<String> {
    e.child(&cs(name))
        .map(|c| c.text().trim().to_string())
        .filter(|t| !t.is_empty())
}

impl SharePost {
    /// Parses a `CS:share` or `CS:invite-reply` body.
    pub fn parse(body: &[u8]) -> Result<SharePost, XmlError> {
        let root = parse_document(body, &Limits::default())?;
        if root.name == cs("share") {
            let mut set = Vec::new();
            let mut remove = Vec::new();
            for c in root.elements() {
                if c.name == cs("set") {
                    set.push(ShareSet {
                        href: href_of(c)?,
                        read_write: c.child(&cs("read-write")).is_some(),
                        common_name: text_of(c, "common-name"),
                        summary: text_of(c, "summary"),
                    });
                } else if c.name == cs("remove") {
                    remove.push(href_of(c)?);
                }
            }
            if set.is_empty() && remove.is_empty() {
                return Err(XmlError::Invalid("share sets and removes no sharee".into()));
            }
            return Ok(SharePost::Share { set, remove });
        }
        if root.name == cs("invite-reply") {
            let accepted = if root.child(&cs("invite-accepted")).is_some() {
                true
            } else if root.child(&cs("invite-declined")).is_some() {
                false
            } else {
                return Err(XmlError::Invalid(
                    "invite-reply neither accepts nor declines".into(),
                ));
            };
            let host = root
                .child(&cs("hosturl"))
                .ok_or_else(|| XmlError::Invalid("invite-reply names no hosturl".into()))?;
            return Ok(SharePost::InviteReply {
                accepted,
                host_url: href_of(host)?,
                in_reply_to: text_of(&root, "in-reply-to"),
            });
        }
        Err(XmlError::UnexpectedRoot { found: root.name })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apple_share_and_reply_bodies() {
        let body = br#"<?xml version="1.0" encoding="utf-8"?>
<CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">
  <CS:set><D:href>mailto:bob@example.com</D:href><CS:common-name>Bob</CS:common-name>
    <CS:summary>Team</CS:summary><CS:read-write/></CS:set>
  <CS:set><D:href>/dav/principals/carol/</D:href><CS:read/></CS:set>
  <CS:remove><D:href>mailto:eve@example.com</D:href></CS:remove>
</CS:share>"#;
        let SharePost::Share { set, remove } = SharePost::parse(body).unwrap() else {
            panic!("not a share");
        };
        assert_eq!(set.len(), 2);
        assert!(set[0].read_write && !set[1].read_write);
        assert_eq!(set[0].common_name.as_deref(), Some("Bob"));
        assert_eq!(set[1].href, "/dav/principals/carol/");
        assert_eq!(remove, ["mailto:eve@example.com"]);

        let reply = br#"<x:invite-reply xmlns:x="http://calendarserver.org/ns/" xmlns:d="DAV:">
  <d:href>mailto:bob@example.com</d:href><x:invite-accepted/>
  <x:hosturl><d:href>/dav/calendars/alice/work/</d:href></x:hosturl>
  <x:in-reply-to>uid-1</x:in-reply-to></x:invite-reply>"#;
        assert_eq!(
            SharePost::parse(reply).unwrap(),
            SharePost::InviteReply {
                accepted: true,
                host_url: "/dav/calendars/alice/work/".into(),
                in_reply_to: Some("uid-1".into()),
            }
        );
        for bad in [
            &br#"<CS:share xmlns:CS="http://calendarserver.org/ns/"/>"#[..],
            br#"<CS:share xmlns:CS="http://calendarserver.org/ns/"><CS:set/></CS:share>"#,
            br#"<CS:invite-reply xmlns:CS="http://calendarserver.org/ns/"><CS:invite-accepted/></CS:invite-reply>"#,
            br#"<D:propfind xmlns:D="DAV:"/>"#,
        ] {
            assert!(SharePost::parse(bad).is_err());
        }
    }
}
