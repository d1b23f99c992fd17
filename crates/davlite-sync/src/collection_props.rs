//! A collection's display properties (name, colour, description), both ways.
//!
//! Each property keeps its value as of the last agreement (`prop-base:<clark>` in the engine's
//! namespace). A side whose value moved from it changed it: a local change is sent with
//! PROPPATCH, a remote one written locally. Both changed to different values is a conflict: the
//! local value wins under [`Policy::LocalWins`], the server's otherwise (the local value is then
//! reported, never dropped silently). The local write is conditional on the values read, in the
//! write's own transaction, so an application renaming the collection while a sync runs keeps
//! its rename.

use std::collections::BTreeMap;

use davlite_proto::{Namespace, PropValue, QName};

use crate::conflict::Policy;
use crate::engine::CollectionSync;
use crate::error::SyncError;
use crate::href;
use crate::state::NAMESPACE;
use crate::xml::{self, APPLE, CALDAV, CARDDAV};

/// The three properties, with the server's value of each.
fn synced(sync: &CollectionSync<'_>) -> [(QName, Option<String>); 3] {
    let description = match sync.remote.kind {
        crate::RemoteKind::Calendar => QName::new(Namespace::new(CALDAV), "calendar-description"),
        crate::RemoteKind::AddressBook => {
            QName::new(Namespace::new(CARDDAV), "addressbook-description")
        }
    };
    [
        (QName::dav("displayname"), sync.remote.displayname.clone()),
        (
            QName::new(Namespace::new(APPLE), "calendar-color"),
            sync.remote.color.clone(),
        ),
        (description, sync.remote.description.clone()),
    ]
}

fn base_key(clark: &str) -> String {
    format!("{{{NAMESPACE}}}prop-base:{clark}")
}

/// `=text` for a value, `-` for none.
fn encode_base(v: &Option<String>) -> Vec<u8> {
    match v {
        Some(t) => format!("={t}").into_bytes(),
        None => b"-".to_vec(),
    }
}

/// The agreed value: `None` when never agreed, `Some(None)` when agreed absent.
fn decode_base(props: &BTreeMap<String, Vec<u8>>, clark: &str) -> Option<Option<String>> {
    let raw = props.get(&base_key(clark))?;
    let s = String::from_utf8_lossy(raw);
    Some(s.strip_prefix('=').map(str::to_string))
}

pub(crate) fn local_text(props: &BTreeMap<String, Vec<u8>>, clark: &str) -> Option<String> {
    props
        .get(clark)
        .and_then(|x| PropValue::from_xml(x).ok())
        .map(|(_, v)| v.text())
}

fn encode_local(name: &QName, v: &Option<String>) -> Option<Vec<u8>> {
    v.as_ref()
        .map(|t| PropValue::from_text(t.as_str()).to_xml(name).into_bytes())
}

/// Local writes of collection properties, with the values they replace: written only while
/// those still hold, so an application renaming the collection during a sync keeps its rename.
#[derive(Debug, Default)]
pub(crate) struct PropWrites {
    pub props: Vec<(String, Option<Vec<u8>>)>,
    pub expect: Vec<(String, Option<Vec<u8>>)>,
}

impl CollectionSync<'_> {
    /// Brings the local collection's display properties and the server's together: sends the
    /// local changes that win with PROPPATCH, and returns the local writes (with the values
    /// they expect to replace) for the caller's one transaction. `props` are the local
    /// collection's properties as read; `fresh` ignores what was agreed before (the local
    /// collection is now synced with another remote one).
    pub(crate) fn collection_props_writes(
        &mut self,
        props: &BTreeMap<String, Vec<u8>>,
        fresh: bool,
    ) -> Result<PropWrites, SyncError> {
        let mut local_writes = Vec::new();
        let mut expect = Vec::new();
        let mut to_push = Vec::new();
        for (name, remote) in synced(self) {
            let clark = name.to_clark();
            let local = local_text(props, &clark);
            let base = if fresh {
                None
            } else {
                decode_base(props, &clark)
            };
            let local_wins = match base {
                // Never agreed: the server's value is taken as it is.
                None => false,
                Some(base) => {
                    let local_changed = local != base;
                    let remote_changed = remote != base;
                    match (local_changed, remote_changed) {
                        (false, false) => continue,
                        (true, false) => true,
                        (false, true) => false,
                        (true, true) if local == remote => false,
                        (true, true) => {
                            let wins = matches!(self.options.policy, Policy::LocalWins);
                            if !wins {
                                self.summary.errors.push(format!(
                                    "{}: {clark} changed on both sides; the server's {:?} \
                                     replaces the local {:?}",
                                    self.local, remote, local
                                ));
                            }
                            wins
                        }
                    }
                }
            };
            if local_wins {
                to_push.push((name, local));
            } else {
                if local != remote {
                    local_writes.push((clark.clone(), encode_local(&name, &remote)));
                    expect.push((clark.clone(), props.get(&clark).cloned()));
                }
                local_writes.push((base_key(&clark), Some(encode_base(&remote))));
            }
        }
        for (name, value) in to_push {
            let clark = name.to_clark();
            if self.proppatch(&name, &value)? {
                local_writes.push((base_key(&clark), Some(encode_base(&value))));
            }
        }
        Ok(PropWrites {
            props: local_writes,
            expect,
        })
    }

    /// Sets (or removes) one property of the remote collection; `false`, with the reason
    /// recorded, when the server does not take it.
    fn proppatch(&mut self, name: &QName, value: &Option<String>) -> Result<bool, SyncError> {
        let (ns, local) = (name.ns.as_str(), name.local.as_ref());
        let body = match value {
            Some(v) => format!(
                r#"<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><X:{local} xmlns:X="{ns}">{}</X:{local}></D:prop></D:set></D:propertyupdate>"#,
                xml::escape(v)
            ),
            None => format!(
                r#"<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:"><D:remove><D:prop><X:{local} xmlns:X="{ns}"/></D:prop></D:remove></D:propertyupdate>"#
            ),
        };
        let r = self.http.send(
            "PROPPATCH",
            &href::encode(&self.remote.path, true),
            &[("Content-Type", "application/xml; charset=utf-8")],
            body.into_bytes(),
        )?;
        let mut ok = (200..300).contains(&r.status);
        if r.status == 207 {
            xml::multistatus(&r.body[..], "PROPPATCH", |item| {
                if item.props.iter().any(|p| !(200..300).contains(&p.status)) {
                    ok = false;
                }
                Ok(())
            })?;
        }
        if !ok {
            self.summary.errors.push(format!(
                "PROPPATCH {} {}: the server refused ({}); the local value stays local",
                self.remote.path,
                name.to_clark(),
                r.status
            ));
        }
        Ok(ok)
    }
}
