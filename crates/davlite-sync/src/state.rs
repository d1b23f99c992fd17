//! The engine's memory, kept in the local store under one reserved namespace
//! ([`NAMESPACE`]): per item as dead properties of the object, per collection as properties of
//! the collection. Each is written in the same `apply` batch as the change it describes, so
//! after a crash the store holds an item and its state together or neither.
//!
//! The DAV layer never shows nor accepts properties in this namespace, so a client of
//! `davlite serve` on the same store cannot read or forge them.

use std::collections::BTreeMap;

use davlite_store::Etag;

/// The reserved namespace of every property the engine writes.
pub const NAMESPACE: &str = davlite_proto::ns::DAVLITE_SYNC;

fn key(local: &str) -> String {
    format!("{{{NAMESPACE}}}{local}")
}

/// What the engine knows of one synced item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemState {
    /// The remote resource's canonical path, as the server spells it.
    pub href: String,
    /// The remote ETag when the two sides last agreed, verbatim (empty when the server gave
    /// none).
    pub etag: String,
    /// The local store's ETag of the object when the two sides last agreed: a local change is
    /// a current ETag different from it.
    pub base: Etag,
}

impl ItemState {
    pub fn read(props: &BTreeMap<String, Vec<u8>>) -> Option<ItemState> {
        let get = |k: &str| {
            props
                .get(&key(k))
                .map(|v| String::from_utf8_lossy(v).into_owned())
        };
        Some(ItemState {
            href: get("href")?,
            etag: get("etag").unwrap_or_default(),
            base: Etag::parse_hex(&get("base")?)?,
        })
    }

    pub fn props(&self) -> Vec<(String, Option<Vec<u8>>)> {
        vec![
            (key("href"), Some(self.href.as_bytes().to_vec())),
            (key("etag"), Some(self.etag.as_bytes().to_vec())),
            (key("base"), Some(self.base.to_string().into_bytes())),
            (key("pending"), None),
        ]
    }

    /// The journal entry written before a new item is PUT: the local ETag of the bytes about
    /// to be sent. After a crash between the PUT and the state, a server member with the same
    /// UID and exactly these bytes is recognised as the engine's own upload.
    pub fn pending(props: &BTreeMap<String, Vec<u8>>) -> Option<Etag> {
        props
            .get(&key("pending"))
            .and_then(|v| Etag::parse_hex(&String::from_utf8_lossy(v)))
    }

    pub fn pending_prop(sent: Etag) -> (String, Option<Vec<u8>>) {
        (key("pending"), Some(sent.to_string().into_bytes()))
    }

    /// Removes the state: the object is then "never synced" and is pushed as new.
    pub fn clear() -> Vec<(String, Option<Vec<u8>>)> {
        ["href", "etag", "base", "pending"]
            .iter()
            .map(|k| (key(k), None))
            .collect()
    }
}

/// What the engine knows of one synced collection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectionState {
    /// The remote collection's canonical path.
    pub remote: Option<String>,
    /// The remote sync token all changes up to which are applied locally.
    pub token: Option<String>,
    /// The local sync sequence all local changes up to which are pushed.
    pub local_seq: Option<u64>,
}

impl CollectionState {
    pub fn read(props: &BTreeMap<String, Vec<u8>>) -> CollectionState {
        let get = |k: &str| {
            props
                .get(&key(k))
                .map(|v| String::from_utf8_lossy(v).into_owned())
        };
        CollectionState {
            remote: get("remote"),
            token: get("token").filter(|t| !t.is_empty()),
            local_seq: get("local-seq").and_then(|s| s.parse().ok()),
        }
    }

    pub fn token_prop(token: Option<&str>) -> (String, Option<Vec<u8>>) {
        (key("token"), token.map(|t| t.as_bytes().to_vec()))
    }

    pub fn local_seq_prop(seq: u64) -> (String, Option<Vec<u8>>) {
        (key("local-seq"), Some(seq.to_string().into_bytes()))
    }

    pub fn remote_prop(path: &str) -> (String, Option<Vec<u8>>) {
        (key("remote"), Some(path.as_bytes().to_vec()))
    }
}

/// Whether a Clark-notation property name is in the reserved namespace.
pub fn is_reserved(clark: &str) -> bool {
    clark
        .strip_prefix('{')
        .and_then(|r| r.split_once('}'))
        .is_some_and(|(ns, _)| ns == NAMESPACE)
}
