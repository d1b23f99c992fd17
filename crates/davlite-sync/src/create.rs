//! Remote creation, on request ([`crate::SyncOptions::create_remote`]): a local calendar or
//! address book the server does not have is made there (MKCALENDAR, RFC 4791 §5.3.1; extended
//! MKCOL, RFC 5689) in the account's home, with its display name, colour and description, and
//! then synced like any other (its items pushed as new).
//!
//! Only collections never synced and holding items are made: one that was synced before and is
//! gone from the server was deleted there, and bringing it back would undo that; an empty one
//! (the homes' `default` collections every local user gets) would only add clutter to the
//! account, and is made once it holds something. Servers that keep calendars and address books
//! in one home (Radicale) cannot hold a calendar and an address book of the same name: the
//! second is reported, not forced.

use davlite_store::{CollectionKind, Store, StoreError};

use crate::Summary;
use crate::collection_props::local_text;
use crate::discover::{Discovered, RemoteKind};
use crate::error::SyncError;
use crate::href;
use crate::http::Http;
use crate::state::CollectionState;
use crate::xml::{self, APPLE, CALDAV, CARDDAV, DAV};

/// Makes on the server every never-synced local collection of `user` it lacks. Returns whether
/// any was made (discovery must then run again). A refusal of one is recorded in the summary
/// and the others go on.
pub(crate) fn create_missing(
    http: &mut Http,
    store: &Store,
    user: &str,
    found: &Discovered,
    summary: &mut Summary,
) -> Result<bool, SyncError> {
    let mut made = false;
    // Paths on the server, found or made in this run.
    let mut taken: Vec<String> = found.collections.iter().map(|r| r.path.clone()).collect();
    let sides = [
        ("calendars", RemoteKind::Calendar, &found.calendar_home),
        (
            "addressbooks",
            RemoteKind::AddressBook,
            &found.addressbook_home,
        ),
    ];
    for (top, kind, home) in sides {
        let Some(home) = home else {
            continue;
        };
        let local_kind = match kind {
            RemoteKind::Calendar => CollectionKind::Calendar,
            RemoteKind::AddressBook => CollectionKind::AddressBook,
        };
        let children = match store.children(&format!("{top}/{user}")) {
            Ok(c) => c,
            Err(StoreError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        };
        for coll in children.iter().filter(|c| c.kind == local_kind) {
            let name = href::last_segment(&coll.path);
            let on_server = found
                .collections
                .iter()
                .any(|r| r.kind == kind && r.name() == name);
            if on_server
                || CollectionState::read(&coll.props).remote.is_some()
                || store.read()?.list(&coll.path)?.is_empty()
            {
                continue;
            }
            let path = href::child(home, name);
            if taken.contains(&path) {
                summary.errors.push(format!(
                    "{}: not made on the server: {path} is already another collection there \
                     (its calendars and address books share one home); rename one side",
                    coll.path
                ));
                continue;
            }
            let (method, body) = request(kind, &coll.props);
            let r = http.send(
                method,
                &href::encode(&path, true),
                &[("Content-Type", "application/xml; charset=utf-8")],
                body.into_bytes(),
            )?;
            if r.status == 201 {
                made = true;
                summary.created_remote += 1;
                taken.push(path);
            } else {
                summary.errors.push(format!(
                    "{}: {method} {path} answered {}",
                    coll.path, r.status
                ));
            }
        }
    }
    Ok(made)
}

/// The method and body that make a collection of `kind` with the local display properties.
fn request(
    kind: RemoteKind,
    props: &std::collections::BTreeMap<String, Vec<u8>>,
) -> (&'static str, String) {
    let text = |clark: &str| local_text(props, clark).filter(|t| !t.trim().is_empty());
    let mut set = String::new();
    if let Some(name) = text(&format!("{{{DAV}}}displayname")) {
        set.push_str(&format!(
            "<D:displayname>{}</D:displayname>",
            xml::escape(&name)
        ));
    }
    match kind {
        RemoteKind::Calendar => {
            if let Some(color) = text(&format!("{{{APPLE}}}calendar-color")) {
                set.push_str(&format!(
                    "<A:calendar-color>{}</A:calendar-color>",
                    xml::escape(&color)
                ));
            }
            if let Some(d) = text(&format!("{{{CALDAV}}}calendar-description")) {
                set.push_str(&format!(
                    "<C:calendar-description>{}</C:calendar-description>",
                    xml::escape(&d)
                ));
            }
            let set = if set.is_empty() {
                String::new()
            } else {
                format!("<D:set><D:prop>{set}</D:prop></D:set>")
            };
            (
                "MKCALENDAR",
                format!(
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?><C:mkcalendar xmlns:D=\"{DAV}\" \
                     xmlns:C=\"{CALDAV}\" xmlns:A=\"{APPLE}\">{set}</C:mkcalendar>"
                ),
            )
        }
        RemoteKind::AddressBook => {
            if let Some(d) = text(&format!("{{{CARDDAV}}}addressbook-description")) {
                set.push_str(&format!(
                    "<CR:addressbook-description>{}</CR:addressbook-description>",
                    xml::escape(&d)
                ));
            }
            (
                "MKCOL",
                format!(
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?><D:mkcol xmlns:D=\"{DAV}\" \
                     xmlns:CR=\"{CARDDAV}\"><D:set><D:prop><D:resourcetype><D:collection/>\
                     <CR:addressbook/></D:resourcetype>{set}</D:prop></D:set></D:mkcol>"
                ),
            )
        }
    }
}
