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

/// [`ITEM`]'s Clark name, built once: every item synced reads or writes it.
fn item_key() -> &'static str {
    static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KEY.get_or_init(|| key(ITEM))
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

/// The one property holding an item's state (see [`ItemState::props`]).
const ITEM: &str = "item";
/// The first byte of [`ITEM`]'s value: its layout, so another can follow.
const ITEM_V1: u8 = 1;
/// The properties an item's state was kept in before [`ITEM`], read still: stores written by
/// an earlier davlite hold them until the item's state is next written.
const OLD_ITEM: [&str; 3] = ["href", "etag", "base"];

impl ItemState {
    pub fn read(props: &BTreeMap<String, Vec<u8>>) -> Option<ItemState> {
        if let Some(v) = props.get(item_key()) {
            return ItemState::decode(v);
        }
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

    /// [`ITEM`]'s value: the layout byte, the base ETag (16 bytes), the remote ETag's length
    /// (u32, little-endian) and bytes, then the href. One property instead of one per field:
    /// an initial sync writes it for every item, and each property is a row of the store.
    fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(21 + self.etag.len() + self.href.len());
        v.push(ITEM_V1);
        v.extend_from_slice(&self.base.0);
        v.extend_from_slice(&(self.etag.len() as u32).to_le_bytes());
        v.extend_from_slice(self.etag.as_bytes());
        v.extend_from_slice(self.href.as_bytes());
        v
    }

    fn decode(v: &[u8]) -> Option<ItemState> {
        let (&layout, rest) = v.split_first()?;
        if layout != ITEM_V1 {
            return None;
        }
        let (base, rest) = rest.split_first_chunk::<16>()?;
        let (len, rest) = rest.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
        if rest.len() < len {
            return None;
        }
        let (etag, href) = rest.split_at(len);
        Some(ItemState {
            href: String::from_utf8_lossy(href).into_owned(),
            etag: String::from_utf8_lossy(etag).into_owned(),
            base: Etag(*base),
        })
    }

    /// The property changes that record this state on an object that may hold an older one
    /// (in either form) or a pending journal entry: both are removed.
    pub fn props(&self) -> Vec<(String, Option<Vec<u8>>)> {
        let mut out = self.props_new();
        out.extend(
            OLD_ITEM
                .iter()
                .chain(["pending"].iter())
                .map(|k| (key(k), None)),
        );
        out
    }

    /// The property change that records this state on an object that holds no sync property
    /// at all: one just created by the same batch.
    pub fn props_new(&self) -> Vec<(String, Option<Vec<u8>>)> {
        vec![(item_key().to_owned(), Some(self.encode()))]
    }

    /// Whether property changes record an item's state (as [`ItemState::props`] and
    /// [`ItemState::props_new`] make them).
    pub fn is_set_by(changes: &[(String, Option<Vec<u8>>)]) -> bool {
        changes.iter().any(|(k, v)| k == item_key() && v.is_some())
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
        [ITEM, "pending"]
            .iter()
            .chain(OLD_ITEM.iter())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn state(etag: &str, href: &str) -> ItemState {
        ItemState {
            href: href.into(),
            etag: etag.into(),
            base: Etag::of(b"body"),
        }
    }

    fn stored(changes: Vec<(String, Option<Vec<u8>>)>) -> BTreeMap<String, Vec<u8>> {
        changes
            .into_iter()
            .filter_map(|(k, v)| Some((k, v?)))
            .collect()
    }

    #[test]
    fn item_state_reads_back_whatever_its_etag_and_href_hold() {
        for st in [
            state("\"abc\"", "/dav/calendars/u/c/a.ics"),
            state("", "/c/ä b\n.ics"),
            state("W/\"x\ny\"", ""),
        ] {
            let props = stored(st.props());
            assert_eq!(props.len(), 1, "one property per item");
            assert_eq!(ItemState::read(&props), Some(st.clone()));
            assert_eq!(ItemState::read(&stored(st.props_new())), Some(st.clone()));
            assert!(ItemState::is_set_by(&st.props()));
        }
        assert!(!ItemState::is_set_by(&ItemState::clear()));
    }

    /// Stores synced by an earlier davlite hold the state as three properties: still read, and
    /// replaced (not left beside the new one) when the state is next written.
    #[test]
    fn the_three_property_state_of_earlier_stores_is_read_and_replaced() {
        let st = state("\"e1\"", "/c/a.ics");
        let mut props: BTreeMap<String, Vec<u8>> = [
            (key("href"), b"/c/a.ics".to_vec()),
            (key("etag"), b"\"e1\"".to_vec()),
            (key("base"), st.base.to_string().into_bytes()),
        ]
        .into();
        assert_eq!(ItemState::read(&props), Some(st.clone()));
        let newer = state("\"e2\"", "/c/a.ics");
        for (k, v) in newer.props() {
            match v {
                Some(v) => props.insert(k, v),
                None => props.remove(&k),
            };
        }
        assert_eq!(props.len(), 1);
        assert_eq!(ItemState::read(&props), Some(newer));
        for (k, _) in ItemState::clear() {
            props.remove(&k);
        }
        assert_eq!(ItemState::read(&props), None);
    }

    #[test]
    fn a_truncated_or_unknown_item_value_is_no_state() {
        let v = state("\"abc\"", "/c/a.ics").encode();
        for bad in [&v[..0], &v[..10], &v[..22], &[2u8; 30][..]] {
            assert_eq!(ItemState::decode(bad), None, "{bad:?}");
        }
    }
}
