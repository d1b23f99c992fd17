//! A user's homes: `calendars/<user>` and `addressbooks/<user>`, plain collections owned by the
//! user, each with a default calendar / address book inside, and the calendar home with the
//! user's scheduling inbox.

use davlite_formats::ComponentSet;
use davlite_proto::{PropValue, QName};
use davlite_store::{CollectionKind, Limits, NewCollection, Store, StoreError};

use crate::resource::{ADDRESSBOOKS, CALENDARS, INBOX};

/// Objects larger than this are refused by default collections (`max-resource-size`).
pub const DEFAULT_MAX_RESOURCE_SIZE: u64 = 10 * 1024 * 1024;

fn create_if_missing(store: &Store, path: &str, new: NewCollection) -> Result<(), StoreError> {
    match store.create_collection(path, new) {
        Ok(_) | Err(StoreError::AlreadyExists) => Ok(()),
        Err(e) => Err(e),
    }
}

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

pub fn provision_user(store: &Store, user: &str) -> Result<(), StoreError> {
    if user.is_empty() || user.contains('/') {
        return Err(StoreError::InvalidPath);
    }
    for top in [CALENDARS, ADDRESSBOOKS] {
        create_if_missing(store, top, NewCollection::default())?;
        let home = format!("{top}/{user}");
        let existed = store.collection(&home)?.is_some();
        create_if_missing(
            store,
            &home,
            NewCollection {
                owner: user.into(),
                ..NewCollection::default()
            },
        )?;
        if top == CALENDARS {
            // The scheduling inbox (RFC 6638 §2.2): a plain collection the server delivers iTIP
            // messages into; plain, so successive messages about one UID never collide. Made
            // for homes from before it existed too.
            let inbox = format!("{home}/{INBOX}");
            if store.collection(&inbox)?.is_none() {
                create_if_missing(
                    store,
                    &inbox,
                    NewCollection {
                        owner: user.into(),
                        ..NewCollection::default()
                    },
                )?;
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
        create_if_missing(
            store,
            &format!("{home}/default"),
            NewCollection {
                kind,
                owner: user.into(),
                limits: default_limits(kind),
                props: vec![text_prop(&QName::dav("displayname"), name)],
            },
        )?;
    }
    Ok(())
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
