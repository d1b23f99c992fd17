//! A user's homes: `calendars/<user>` and `addressbooks/<user>`, plain collections owned by the
//! user, each with a default calendar / address book inside, and the calendar home with the
//! user's scheduling inbox.

use davlite_formats::ComponentSet;
use davlite_proto::{PropValue, QName};
use davlite_store::{CollectionKind, Limits, NewCollection, Reader, Store, StoreError, WriteOp};

use crate::resource::{ADDRESSBOOKS, CALENDARS, INBOX};

/// Objects larger than this are refused by default collections (`max-resource-size`).
pub const DEFAULT_MAX_RESOURCE_SIZE: u64 = 10 * 1024 * 1024;

/// A dead property value as stored: its XML, so it is served back exactly.
pub fn text_prop(name: &QName, text: &str) -> (String, Vec<u8>) {
    (
        name.to_clark(),
        PropValue::from_text(text).to_xml(name).into_bytes(),
    )
}

pub fn default_limits(kind: CollectionKind) -> Limits {
    Limits {
        max_resource_size: Some(DEFAULT_MAX_RESOURCE_SIZE),
        components: if kind == CollectionKind::Calendar {
            ComponentSet::ALL_CALENDAR
        } else {
            ComponentSet::NONE
        },
        ..Limits::default()
    }
}

/// Creates whatever is missing of `user`'s homes, in one transaction: the tops, the homes, the
/// scheduling inbox, and the default calendar and address book of a home created now (a user
/// who deleted a default one does not get it back). A racing provisioner of the same user (two
/// first logins at once) makes the batch fail with `AlreadyExists`; the next round creates what
/// is still missing.
pub fn provision_user(store: &Store, user: &str) -> Result<(), StoreError> {
    if user.is_empty() || user.contains('/') {
        return Err(StoreError::InvalidPath);
    }
    // Each lost round means another writer created one of these seven: a bound, not a guess.
    let mut rounds = 8;
    loop {
        let ops: Vec<WriteOp> = missing_homes(&store.read()?, user)?
            .into_iter()
            .map(|(path, new)| WriteOp::CreateCollection { path, new })
            .collect();
        if ops.is_empty() {
            return Ok(());
        }
        match store.apply(ops) {
            Ok(_) => return Ok(()),
            Err(e) if matches!(e.error, StoreError::AlreadyExists) && rounds > 1 => rounds -= 1,
            Err(e) => return Err(e.error),
        }
    }
}

/// The collections of `user`'s homes that `snapshot` lacks, parents first.
fn missing_homes(
    snapshot: &Reader,
    user: &str,
) -> Result<Vec<(String, NewCollection)>, StoreError> {
    let owned = || NewCollection {
        owner: user.into(),
        ..NewCollection::default()
    };
    let mut missing = Vec::new();
    for top in [CALENDARS, ADDRESSBOOKS] {
        if snapshot.collection(top)?.is_none() {
            missing.push((top.to_string(), NewCollection::default()));
        }
        let home = format!("{top}/{user}");
        let existed = snapshot.collection(&home)?.is_some();
        if !existed {
            missing.push((home.clone(), owned()));
        }
        if top == CALENDARS {
            // The scheduling inbox (RFC 6638 §2.2): a plain collection the server delivers iTIP
            // messages into; plain, so successive messages about one UID never collide. Made
            // for homes from before it existed too.
            let inbox = format!("{home}/{INBOX}");
            if snapshot.collection(&inbox)?.is_none() {
                missing.push((inbox, owned()));
            }
        }
        if existed {
            continue;
        }
        let (kind, name) = if top == CALENDARS {
            (CollectionKind::Calendar, "Calendar")
        } else {
            (CollectionKind::AddressBook, "Contacts")
        };
        missing.push((
            format!("{home}/default"),
            NewCollection {
                kind,
                owner: user.into(),
                limits: default_limits(kind),
                props: vec![text_prop(&QName::dav("displayname"), name)],
            },
        ));
    }
    Ok(missing)
}

pub fn remove_user(store: &Store, user: &str) -> Result<(), StoreError> {
    for top in [CALENDARS, ADDRESSBOOKS] {
        match store.delete_collection(&format!("{top}/{user}")) {
            Ok(()) | Err(StoreError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use davlite_store::Options;

    fn homes(store: &Store) -> Vec<String> {
        let r = store.read().unwrap();
        let mut out = Vec::new();
        for top in [CALENDARS, ADDRESSBOOKS] {
            for c in r.children(&format!("{top}/alice")).unwrap() {
                out.push(c.path);
            }
        }
        out
    }

    /// Provisioning twice changes nothing, and a default calendar the user deleted stays
    /// deleted while a missing inbox comes back.
    #[test]
    fn provisioning_makes_what_is_missing_once() {
        let store = Store::in_memory(Options::default()).unwrap();
        provision_user(&store, "alice").unwrap();
        let first = homes(&store);
        assert_eq!(
            first,
            [
                "calendars/alice/default",
                "calendars/alice/inbox",
                "addressbooks/alice/default"
            ]
        );
        let seq = store.collection(CALENDARS).unwrap().unwrap().seq;
        provision_user(&store, "alice").unwrap();
        assert_eq!(homes(&store), first);
        assert_eq!(store.collection(CALENDARS).unwrap().unwrap().seq, seq);

        store.delete_collection("calendars/alice/default").unwrap();
        store.delete_collection("calendars/alice/inbox").unwrap();
        provision_user(&store, "alice").unwrap();
        assert_eq!(
            homes(&store),
            ["calendars/alice/inbox", "addressbooks/alice/default"]
        );
        assert!(matches!(
            provision_user(&store, "a/b"),
            Err(StoreError::InvalidPath)
        ));
    }

    /// Eight first logins of one user at once: each returns Ok and the homes exist once.
    #[test]
    fn racing_provisioners_all_succeed() {
        let store = Store::in_memory(Options::default()).unwrap();
        // All read the store before any writes, as far as the scheduler allows.
        let start = std::sync::Barrier::new(8);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    start.wait();
                    provision_user(&store, "alice").unwrap()
                });
            }
        });
        assert_eq!(
            homes(&store),
            [
                "calendars/alice/default",
                "calendars/alice/inbox",
                "addressbooks/alice/default"
            ]
        );
    }
}
