//! principal-property-search (RFC 3744 §9.4) and principal-search-property-set (§9.5): how a
//! user finds the others to invite or to ask for free time.
//!
//! Matching is caseless substring by default, as clients expect (the RFC leaves it to the
//! server; Apple's `match-type` chooses prefix, suffix or equality). A principal is searchable
//! by display name (and user name), calendar user address (`mailto:` URI, bare e-mail or
//! principal URL), `CS:email-address-set`, `calendar-home-set` (Thunderbird looks a principal up
//! by its home) and `calendar-user-type`. Only the directory's principals are searched, and what
//! a hit shows of another user is their principal's properties, nothing of their data.

use bytes::Bytes;
use davlite_proto::{
    Elem, MatchType, MultistatusWriter, PrincipalPropertySearch, PropertySearch, QName,
    xml_document,
};
use davlite_store::Reader;
use http::{Response, StatusCode, header};

use crate::DavBody;
use crate::directory::{Directory, PrincipalInfo, strip_mailto};
use crate::props::{self, Res, Which};
use crate::request::ReqInfo;
use crate::resource::{CALENDARS, PRINCIPALS};

/// The properties a search may name, with the description §9.5 asks for.
const SEARCHABLE: [(QName, &str); 5] = [
    (QName::dav("displayname"), "Display name"),
    (
        QName::caldav("calendar-user-address-set"),
        "Calendar user addresses",
    ),
    (QName::calserver("email-address-set"), "E-mail addresses"),
    (QName::caldav("calendar-user-type"), "Calendar user type"),
    (QName::caldav("calendar-home-set"), "Calendar home"),
];

/// The principals a search runs over: the directory, plus the user asking (an embedding app
/// may keep no directory, and a user added a moment ago may not be in it yet).
pub fn principals(r: &ReqInfo, dir: &Directory) -> Vec<PrincipalInfo> {
    let mut all: Vec<PrincipalInfo> = dir.iter().cloned().collect();
    if dir.get(&r.user).is_none() {
        all.push(PrincipalInfo::new(r.user.clone()));
        all.sort_by(|a, b| a.name.cmp(&b.name));
    }
    all
}

/// The text values of `prop` of principal `p`, as a search compares them.
fn values(r: &ReqInfo, p: &PrincipalInfo, prop: &QName) -> Vec<String> {
    let principal_href = || r.href_of(&[PRINCIPALS, &p.name], true);
    match (prop.ns.as_str(), &*prop.local) {
        ("DAV:", "displayname") => vec![p.display().to_string(), p.name.clone()],
        ("urn:ietf:params:xml:ns:caldav", "calendar-user-address-set") => p
            .addresses()
            .into_iter()
            .map(|a| format!("mailto:{a}"))
            .chain(std::iter::once(principal_href()))
            .collect(),
        ("http://calendarserver.org/ns/", "email-address-set") => {
            p.addresses().into_iter().map(str::to_string).collect()
        }
        ("urn:ietf:params:xml:ns:caldav", "calendar-user-type") => vec!["INDIVIDUAL".into()],
        ("urn:ietf:params:xml:ns:caldav", "calendar-home-set") => {
            vec![r.href_of(&[CALENDARS, &p.name], true)]
        }
        ("DAV:", "principal-URL") => vec![principal_href()],
        _ => Vec::new(),
    }
}

/// Whether `value` matches `s` (both compared in lower case). A bare e-mail address also
/// matches a `mailto:` value exactly (Evolution searches the address set without the scheme).
fn matches(value: &str, s: &PropertySearch) -> bool {
    let v = value.to_lowercase();
    let t = s.text.to_lowercase();
    match s.match_type {
        MatchType::Contains => v.contains(&t),
        MatchType::StartsWith => v.starts_with(&t) || strip_mailto(&v).starts_with(&t),
        MatchType::EndsWith => v.ends_with(&t),
        MatchType::Equals => v == t || strip_mailto(&v) == strip_mailto(&t),
    }
}

fn hit(r: &ReqInfo, p: &PrincipalInfo, s: &PropertySearch) -> bool {
    s.props
        .iter()
        .any(|prop| values(r, p, prop).iter().any(|v| matches(v, s)))
}

/// Runs a search over `scope` (principal names) and writes a multistatus of the hits with the
/// requested properties.
pub fn run(
    r: &ReqInfo,
    reader: &Reader,
    scope: Option<&str>,
    search: &PrincipalPropertySearch,
    minimal: bool,
) -> DavBody {
    let dir = r.dav.directory();
    let mut w = MultistatusWriter::new();
    for p in principals(r, &dir) {
        if scope.is_some_and(|only| only != p.name) {
            continue;
        }
        let found = if search.searches.is_empty() {
            true
        } else if search.any_of {
            search.searches.iter().any(|s| hit(r, &p, s))
        } else {
            search.searches.iter().all(|s| hit(r, &p, s))
        };
        if !found {
            continue;
        }
        let res = Res::Principal(&p.name);
        let ps = props::propstats(
            r,
            reader,
            &res,
            &Which::Names(&search.props),
            &[],
            Vec::new(),
            minimal,
        );
        w.response_propstat(&res.href(r), &ps);
    }
    DavBody::Full(w.finish())
}

/// The answer to principal-search-property-set: 200 with the searchable properties.
pub fn property_set() -> Response<DavBody> {
    let mut root = Elem::empty(QName::dav("principal-search-property-set"));
    for (name, description) in SEARCHABLE {
        root = root.child(
            Elem::empty(QName::dav("principal-search-property"))
                .child(Elem::empty(QName::dav("prop")).child(Elem::empty(name)))
                .child(Elem::text(QName::dav("description"), description).attr("xml:lang", "en")),
        );
    }
    let body: Bytes = xml_document(&root);
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/xml; charset=utf-8")
        .body(DavBody::Full(body))
        .expect("valid response")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str, match_type: MatchType) -> PropertySearch {
        PropertySearch {
            props: vec![],
            text: text.into(),
            match_type,
        }
    }

    #[test]
    fn matching_is_caseless_and_knows_mailto() {
        assert!(matches("Bob Builder", &s("bUILD", MatchType::Contains)));
        assert!(matches(
            "mailto:bob@example.com",
            &s("BOB@example.com", MatchType::Equals)
        ));
        assert!(matches(
            "mailto:bob@example.com",
            &s("bo", MatchType::StartsWith)
        ));
        assert!(!matches("alice", &s("bob", MatchType::Contains)));
        assert!(!matches(
            "bob builder",
            &s("builder", MatchType::StartsWith)
        ));
    }
}
