//! The principals the DAV layer may show: who exists, under which display name, with which
//! calendar user addresses. The server fills it from its user list (and refills it when that
//! changes); the DAV layer never sees how users are stored or authenticated.
//!
//! Principals are public inside one server: any authenticated user may read another's name and
//! addresses (to invite them, to ask for their free time), never their data.

use std::collections::BTreeMap;

/// One principal as the directory describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalInfo {
    /// The user name: the principal URL segment and the owner of the homes.
    pub name: String,
    /// A human name for `DAV:displayname`; the user name when absent.
    pub displayname: Option<String>,
    /// E-mail addresses (without `mailto:`), preferred first: the principal's calendar user
    /// addresses besides its URL.
    pub emails: Vec<String>,
}

impl PrincipalInfo {
    /// A principal known by name only.
    pub fn new(name: impl Into<String>) -> PrincipalInfo {
        PrincipalInfo {
            name: name.into(),
            displayname: None,
            emails: Vec::new(),
        }
    }

    /// The display name, or the user name.
    pub fn display(&self) -> &str {
        self.displayname
            .as_deref()
            .filter(|d| !d.trim().is_empty())
            .unwrap_or(&self.name)
    }

    /// The e-mail addresses; a user named like an address (`me@example.org`) without any
    /// configured has that one, as before addresses could be configured.
    pub fn addresses(&self) -> Vec<&str> {
        if self.emails.is_empty() && self.name.contains('@') {
            return vec![self.name.as_str()];
        }
        self.emails.iter().map(String::as_str).collect()
    }

    /// Whether `addr` (a `mailto:` URI or a bare e-mail address) is one of this principal's,
    /// compared without regard to ASCII case: Thunderbird lower-cases what it sends.
    pub fn has_address(&self, addr: &str) -> bool {
        let bare = strip_mailto(addr);
        self.addresses()
            .iter()
            .any(|a| a.eq_ignore_ascii_case(bare))
    }
}

/// `mailto:x` → `x` (scheme compared without regard to case); anything else unchanged.
pub fn strip_mailto(addr: &str) -> &str {
    let a = addr.trim();
    match a.get(..7) {
        Some(s) if s.eq_ignore_ascii_case("mailto:") => &a[7..],
        _ => a,
    }
}

/// Every principal, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directory {
    principals: BTreeMap<String, PrincipalInfo>,
}

impl Directory {
    pub fn new(principals: impl IntoIterator<Item = PrincipalInfo>) -> Directory {
        Directory {
            principals: principals
                .into_iter()
                .map(|p| (p.name.clone(), p))
                .collect(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&PrincipalInfo> {
        self.principals.get(name)
    }

    /// Every principal, ordered by name.
    pub fn iter(&self) -> impl Iterator<Item = &PrincipalInfo> {
        self.principals.values()
    }

    pub fn len(&self) -> usize {
        self.principals.len()
    }

    pub fn is_empty(&self) -> bool {
        self.principals.is_empty()
    }

    /// The principal whose address `addr` is (`mailto:` or bare, any ASCII case).
    pub fn by_address(&self, addr: &str) -> Option<&PrincipalInfo> {
        self.principals.values().find(|p| p.has_address(addr))
    }

    /// The principal of `name`: its directory entry, or a bare one for a name the directory
    /// does not list (the authenticated user of an embedding app that keeps no directory).
    pub fn info(&self, name: &str) -> PrincipalInfo {
        self.get(name)
            .cloned()
            .unwrap_or_else(|| PrincipalInfo::new(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_match_caselessly_with_or_without_mailto() {
        let d = Directory::new([
            PrincipalInfo {
                name: "alice".into(),
                displayname: Some("Alice Liddell".into()),
                emails: vec!["Alice@Example.com".into(), "al@example.org".into()],
            },
            PrincipalInfo::new("me@example.net"),
            PrincipalInfo::new("bob"),
        ]);
        for a in [
            "mailto:alice@example.com",
            "MAILTO:ALICE@EXAMPLE.COM",
            "al@example.org",
        ] {
            assert_eq!(
                d.by_address(a).map(|p| p.name.as_str()),
                Some("alice"),
                "{a}"
            );
        }
        assert_eq!(
            d.by_address("mailto:me@example.net")
                .map(|p| p.name.as_str()),
            Some("me@example.net")
        );
        assert!(d.by_address("mailto:bob").is_none());
        assert!(d.by_address("mailto:carol@example.com").is_none());
        assert_eq!(d.info("alice").display(), "Alice Liddell");
        assert_eq!(d.info("nobody").display(), "nobody");
    }
}
