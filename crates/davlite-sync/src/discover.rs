//! Account discovery (RFC 6764 well-known URIs, RFC 5397 current-user-principal, RFC 4791 and
//! RFC 6352 home sets), then the calendars and address books in each home. Every path kept is
//! one the server answered with (see `href`).

use crate::error::SyncError;
use crate::href;
use crate::http::Http;
use crate::xml::{self, APPLE, CALDAV, CARDDAV, DAV};

/// What a remote collection holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteKind {
    Calendar,
    AddressBook,
}

/// A calendar or address book found on the server.
#[derive(Debug, Clone)]
pub struct RemoteCollection {
    /// Canonical path (decoded, no trailing slash) as the server spells it.
    pub path: String,
    pub kind: RemoteKind,
    pub displayname: Option<String>,
    pub color: Option<String>,
    pub description: Option<String>,
    /// The server offers `sync-collection` (RFC 6578) on it.
    pub supports_sync: bool,
}

impl RemoteCollection {
    /// A collection known by its path and kind alone, with sync: what the tests and the fuzz
    /// entry points walk.
    pub(crate) fn bare(path: &str, kind: RemoteKind) -> RemoteCollection {
        RemoteCollection {
            path: path.into(),
            kind,
            displayname: None,
            color: None,
            description: None,
            supports_sync: true,
        }
    }

    /// The last path segment: the local collection's name.
    pub fn name(&self) -> &str {
        href::last_segment(&self.path)
    }
}

fn propfind(
    http: &mut Http,
    path: &str,
    depth: &str,
    body: &str,
) -> Result<crate::http::Response, SyncError> {
    http.send(
        "PROPFIND",
        &href::encode(path, true),
        &[
            ("Depth", depth),
            ("Content-Type", "application/xml; charset=utf-8"),
        ],
        body.as_bytes().to_vec(),
    )
}

/// The principal's path, from the configured path or the well-known URIs.
fn principal(http: &mut Http, start: &str) -> Result<String, SyncError> {
    let mut tried = Vec::new();
    let mut candidates = vec![href::normalize(start)];
    candidates.push("/.well-known/caldav".to_string());
    candidates.push("/.well-known/carddav".to_string());
    candidates.push("/".to_string());
    for cand in candidates {
        let mut path = cand.clone();
        // Follow redirects during discovery only, at most five hops, same method and body.
        for _ in 0..5 {
            let r = propfind(http, &path, "0", xml::PROPFIND_PRINCIPAL)?;
            if matches!(r.status, 301 | 302 | 303 | 307 | 308) {
                match r.header("location") {
                    Some(loc) => {
                        path = href::resolve(&path, loc);
                        continue;
                    }
                    None => break,
                }
            }
            if r.status == 207 {
                let mut found = None;
                xml::multistatus(&r.body[..], "PROPFIND current-user-principal", |item| {
                    if let Some(p) = item.prop(DAV, "current-user-principal") {
                        if let Some(h) = p.hrefs.first() {
                            found = Some(href::resolve(&path, h));
                        }
                    }
                    Ok(())
                })?;
                if let Some(p) = found {
                    return Ok(p);
                }
            }
            break;
        }
        tried.push(cand);
    }
    Err(SyncError::Discovery(format!(
        "no current-user-principal at {}",
        tried.join(", ")
    )))
}

/// What discovery found: the account's homes and what is in them.
#[derive(Debug, Clone, Default)]
pub struct Discovered {
    pub collections: Vec<RemoteCollection>,
    /// The first calendar and address book home set, where new collections are made.
    pub calendar_home: Option<String>,
    pub addressbook_home: Option<String>,
}

/// Every calendar and address book of the account at `start` (the configured URL's path).
pub fn discover(http: &mut Http, start: &str) -> Result<Discovered, SyncError> {
    let principal = principal(http, start)?;
    let r = propfind(http, &principal, "0", xml::PROPFIND_HOMES)?;
    if r.status != 207 {
        return Err(SyncError::Status {
            method: "PROPFIND".into(),
            path: principal,
            status: r.status,
        });
    }
    let mut homes: Vec<String> = Vec::new();
    let mut found = Discovered::default();
    xml::multistatus(&r.body[..], "PROPFIND home sets", |item| {
        for (ns, local) in [
            (CALDAV, "calendar-home-set"),
            (CARDDAV, "addressbook-home-set"),
        ] {
            if let Some(p) = item.prop(ns, local) {
                for h in &p.hrefs {
                    let h = href::resolve(&principal, h);
                    let first = if ns == CALDAV {
                        &mut found.calendar_home
                    } else {
                        &mut found.addressbook_home
                    };
                    first.get_or_insert_with(|| h.clone());
                    if !homes.contains(&h) {
                        homes.push(h);
                    }
                }
            }
        }
        Ok(())
    })?;
    if homes.is_empty() {
        return Err(SyncError::Discovery(format!(
            "principal {principal} names no calendar or address book home"
        )));
    }
    let out = &mut found.collections;
    for home in homes {
        let r = propfind(http, &home, "1", xml::PROPFIND_COLLECTIONS)?;
        if r.status != 207 {
            return Err(SyncError::Status {
                method: "PROPFIND".into(),
                path: home,
                status: r.status,
            });
        }
        xml::multistatus(&r.body[..], "PROPFIND of a home", |item| {
            let path = href::resolve(&home, &item.href);
            let kind = if item.has_child(DAV, "resourcetype", CALDAV, "calendar") {
                RemoteKind::Calendar
            } else if item.has_child(DAV, "resourcetype", CARDDAV, "addressbook") {
                RemoteKind::AddressBook
            } else {
                return Ok(());
            };
            if out.iter().any(|c| c.path == path) {
                return Ok(());
            }
            let text = |ns: &str, local: &str| {
                item.prop(ns, local)
                    .map(|p| p.text.trim().to_string())
                    .filter(|t| !t.is_empty())
            };
            out.push(RemoteCollection {
                kind,
                displayname: text(DAV, "displayname"),
                color: text(APPLE, "calendar-color"),
                description: text(CALDAV, "calendar-description")
                    .or_else(|| text(CARDDAV, "addressbook-description")),
                supports_sync: item.has_child(DAV, "supported-report-set", DAV, "sync-collection"),
                path,
            });
            Ok(())
        })?;
    }
    Ok(found)
}
