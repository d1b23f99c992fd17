//! Namespaced XML names. Every property, report and precondition is identified by a
//! (namespace, local name) pair, never by the prefix a client happened to use: `A:getetag` with
//! `xmlns:A="DAV:"` and `getetag` under `xmlns="DAV:"` are the same name, `x:getetag` under
//! `urn:x` is a different one.

use std::borrow::Cow;
use std::fmt;

/// An XML namespace URI. The well-known ones are constants so that names can be `const`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Namespace(Cow<'static, str>);

impl Namespace {
    /// WebDAV (RFC 4918).
    pub const DAV: Namespace = Namespace(Cow::Borrowed("DAV:"));
    /// CalDAV (RFC 4791).
    pub const CALDAV: Namespace = Namespace(Cow::Borrowed("urn:ietf:params:xml:ns:caldav"));
    /// CardDAV (RFC 6352).
    pub const CARDDAV: Namespace = Namespace(Cow::Borrowed("urn:ietf:params:xml:ns:carddav"));
    /// Apple CalendarServer extensions (`getctag`, `me-card`, ...).
    pub const CALSERVER: Namespace = Namespace(Cow::Borrowed("http://calendarserver.org/ns/"));
    /// Apple iCal properties (`calendar-color`, `calendar-order`).
    pub const APPLE_ICAL: Namespace = Namespace(Cow::Borrowed("http://apple.com/ns/ical/"));
    /// No namespace at all (an unprefixed element outside any default namespace).
    pub const NONE: Namespace = Namespace(Cow::Borrowed(""));

    /// A namespace from its URI; well-known URIs share the static constant's storage.
    pub fn new(uri: &str) -> Namespace {
        for known in [
            Self::DAV,
            Self::CALDAV,
            Self::CARDDAV,
            Self::CALSERVER,
            Self::APPLE_ICAL,
            Self::NONE,
        ] {
            if known.as_str() == uri {
                return known;
            }
        }
        Namespace(Cow::Owned(uri.to_owned()))
    }

    /// The namespace URI.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The fixed prefix our writers declare on the root element, if this is a well-known namespace.
    pub fn fixed_prefix(&self) -> Option<&'static str> {
        match self.as_str() {
            "DAV:" => Some("D"),
            "urn:ietf:params:xml:ns:caldav" => Some("C"),
            "urn:ietf:params:xml:ns:carddav" => Some("CR"),
            "http://calendarserver.org/ns/" => Some("CS"),
            "http://apple.com/ns/ical/" => Some("ICAL"),
            _ => None,
        }
    }
}

impl fmt::Debug for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl From<&str> for Namespace {
    fn from(uri: &str) -> Namespace {
        Namespace::new(uri)
    }
}

impl From<String> for Namespace {
    fn from(uri: String) -> Namespace {
        match Namespace::new(&uri) {
            Namespace(Cow::Borrowed(s)) => Namespace(Cow::Borrowed(s)),
            Namespace(Cow::Owned(_)) => Namespace(Cow::Owned(uri)),
        }
    }
}

/// A namespaced element or attribute name.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QName {
    pub ns: Namespace,
    pub local: Cow<'static, str>,
}

impl QName {
    /// A name from any namespace and local part.
    pub fn new(ns: impl Into<Namespace>, local: impl Into<String>) -> QName {
        QName {
            ns: ns.into(),
            local: Cow::Owned(local.into()),
        }
    }

    /// A name usable in `const` items.
    pub const fn from_static(ns: Namespace, local: &'static str) -> QName {
        QName {
            ns,
            local: Cow::Borrowed(local),
        }
    }

    /// `DAV:` name.
    pub const fn dav(local: &'static str) -> QName {
        QName::from_static(Namespace::DAV, local)
    }

    /// CalDAV name.
    pub const fn caldav(local: &'static str) -> QName {
        QName::from_static(Namespace::CALDAV, local)
    }

    /// CardDAV name.
    pub const fn carddav(local: &'static str) -> QName {
        QName::from_static(Namespace::CARDDAV, local)
    }

    /// CalendarServer name.
    pub const fn calserver(local: &'static str) -> QName {
        QName::from_static(Namespace::CALSERVER, local)
    }

    /// Apple iCal name.
    pub const fn apple_ical(local: &'static str) -> QName {
        QName::from_static(Namespace::APPLE_ICAL, local)
    }

    /// Whether this name is `local` in namespace `ns`; cheap test used by the parsers.
    pub fn is(&self, ns: &Namespace, local: &str) -> bool {
        self.ns == *ns && self.local == local
    }

    /// Clark notation, `{DAV:}getetag`; `{}local` for no namespace. A stable string key for
    /// storing dead properties.
    pub fn to_clark(&self) -> String {
        format!("{{{}}}{}", self.ns.as_str(), self.local)
    }

    /// Parses Clark notation; a bare `local` without braces means no namespace. `None` when the
    /// braces are unbalanced or the local part is empty.
    pub fn from_clark(s: &str) -> Option<QName> {
        let (ns, local) = match s.strip_prefix('{') {
            Some(rest) => {
                let close = rest.find('}')?;
                (&rest[..close], &rest[close + 1..])
            }
            None => ("", s),
        };
        if local.is_empty() || local.contains(['{', '}']) {
            return None;
        }
        Some(QName::new(ns, local))
    }
}

impl fmt::Debug for QName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_clark())
    }
}

impl fmt::Display for QName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_clark())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clark_round_trip() {
        let n = QName::apple_ical("calendar-color");
        assert_eq!(n.to_clark(), "{http://apple.com/ns/ical/}calendar-color");
        assert_eq!(QName::from_clark(&n.to_clark()), Some(n));
        assert_eq!(QName::from_clark("plain"), Some(QName::new("", "plain")));
        assert_eq!(QName::from_clark("{DAV:"), None);
        assert_eq!(QName::from_clark("{DAV:}"), None);
    }

    #[test]
    fn equality_ignores_storage() {
        assert_eq!(QName::new("DAV:", "getetag"), QName::dav("getetag"));
        assert_ne!(QName::new("urn:x", "getetag"), QName::dav("getetag"));
        assert_eq!(Namespace::new("urn:x").fixed_prefix(), None);
        assert_eq!(Namespace::CARDDAV.fixed_prefix(), Some("CR"));
    }
}
