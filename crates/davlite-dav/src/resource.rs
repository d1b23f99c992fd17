//! What a decoded path names: the server root, the principal tree, a store collection, or an
//! object (existing or not) inside a store collection. Resolution happens once per request, over
//! one consistent store snapshot.

use davlite_store::{Collection, ObjectMeta, Reader, StoreError};

use crate::href;

/// The top-level trees below the mount. `principals` is virtual; the others are store paths.
pub const PRINCIPALS: &str = "principals";
pub const CALENDARS: &str = "calendars";
pub const ADDRESSBOOKS: &str = "addressbooks";
/// Names of the scheduling inbox and outbox in a calendar home (RFC 6638 §2.1, §2.2).
pub const INBOX: &str = "inbox";
pub const OUTBOX: &str = "outbox";

/// A resolved request target.
#[derive(Debug, Clone)]
pub enum Target {
    /// `/`, outside every mount: answers discovery PROPFINDs only.
    ServerRoot,
    /// The mount itself (`/dav/`).
    Root,
    /// `/dav/principals/`.
    Principals,
    /// `/dav/principals/<user>/` (exists only for known users; the DAV layer treats any
    /// authenticated name as known).
    Principal(String),
    /// `/dav/calendars/<user>/inbox/`: the scheduling inbox (virtual, and empty until implicit
    /// scheduling delivers into it). A store collection of that name, made before inboxes
    /// existed, takes its place: data is never hidden.
    ScheduleInbox(String),
    /// `/dav/calendars/<user>/outbox/`: the scheduling outbox, the target of free-busy POSTs.
    ScheduleOutbox(String),
    /// A store collection.
    Collection(Collection),
    /// A name inside an existing store collection; `meta` is `None` when nothing is stored there.
    Object {
        coll: Collection,
        name: String,
        meta: Option<ObjectMeta>,
    },
    /// Nothing, and no collection that could hold it as an object.
    Missing { path: String },
}

impl Target {
    /// Segments of the target below the mount, for writing its href.
    pub fn segments(&self) -> Vec<&str> {
        match self {
            Target::ServerRoot | Target::Root => vec![],
            Target::Principals => vec![PRINCIPALS],
            Target::Principal(u) => vec![PRINCIPALS, u.as_str()],
            Target::ScheduleInbox(u) => vec![CALENDARS, u.as_str(), INBOX],
            Target::ScheduleOutbox(u) => vec![CALENDARS, u.as_str(), OUTBOX],
            Target::Collection(c) => c.path.split('/').collect(),
            Target::Object { coll, name, .. } => {
                let mut v: Vec<&str> = coll.path.split('/').collect();
                v.push(name.as_str());
                v
            }
            Target::Missing { path, .. } => path.split('/').collect(),
        }
    }

    pub fn is_collection(&self) -> bool {
        !matches!(self, Target::Object { .. } | Target::Missing { .. })
    }

    pub fn exists(&self) -> bool {
        match self {
            Target::Object { meta, .. } => meta.is_some(),
            Target::Missing { .. } => false,
            _ => true,
        }
    }

    /// The href of this target under `prefix`.
    pub fn href(&self, prefix: &str) -> String {
        match self {
            Target::ServerRoot => "/".to_string(),
            Target::Object { meta: None, .. } | Target::Missing { .. } => {
                href::href(prefix, &self.segments(), false)
            }
            _ => href::href(prefix, &self.segments(), self.is_collection()),
        }
    }
}

/// The owner of a store path: the user segment of `calendars/<user>/…` and
/// `addressbooks/<user>/…`; `None` for the shared top-level collections.
pub fn path_owner(segments: &[&str]) -> Option<String> {
    match segments {
        [top, user, ..] if *top == CALENDARS || *top == ADDRESSBOOKS => Some((*user).to_string()),
        _ => None,
    }
}

/// The user whose scheduling inbox the store path is (`calendars/<user>/inbox`), if it is one.
pub fn inbox_owner(path: &str) -> Option<&str> {
    let mut it = path.split('/');
    match (it.next(), it.next(), it.next(), it.next()) {
        (Some(c), Some(u), Some(i), None) if c == CALENDARS && i == INBOX => Some(u),
        _ => None,
    }
}

/// Resolves decoded segments below the mount over one snapshot.
pub fn resolve(reader: &Reader, segments: &[String]) -> Result<Target, StoreError> {
    match segments {
        [] => return Ok(Target::Root),
        [p] if p == PRINCIPALS => return Ok(Target::Principals),
        [p, user] if p == PRINCIPALS => return Ok(Target::Principal(user.clone())),
        [p, ..] if p == PRINCIPALS => {
            return Ok(Target::Missing {
                path: segments.join("/"),
            });
        }
        _ => {}
    }
    let path = segments.join("/");
    if let Some(coll) = reader.collection(&path)? {
        return Ok(Target::Collection(coll));
    }
    if let [top, user, name] = segments
        && top == CALENDARS
        && (name == INBOX || name == OUTBOX)
        && reader.collection(&format!("{CALENDARS}/{user}"))?.is_some()
    {
        return Ok(if name == INBOX {
            Target::ScheduleInbox(user.clone())
        } else {
            Target::ScheduleOutbox(user.clone())
        });
    }
    let (parent, name) = segments.split_at(segments.len() - 1);
    if parent.is_empty() {
        return Ok(Target::Missing { path });
    }
    match reader.collection(&parent.join("/"))? {
        Some(coll) => {
            let meta = reader.meta(&coll.path, &name[0])?;
            Ok(Target::Object {
                coll,
                name: name[0].clone(),
                meta,
            })
        }
        None => Ok(Target::Missing { path }),
    }
}
