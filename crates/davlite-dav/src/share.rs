//! Sharing: an owner lets another user read, or read and write, one of their calendars or
//! address books.
//!
//! Two records, always written together in one store transaction (`Store::apply`), so a crash
//! or a second node never sees one without the other:
//! - the **grant**, a property of the shared collection (`{internal}share:<sharee>`): who may do
//!   what. Every access check reads it from the collection the request resolved anyway, so a
//!   revoked share is refused by the very next request, on every node.
//! - the **binding**, a property of the sharee's home (`{internal}shared-in:<store path>`): which
//!   collections to list in that home. A binding whose grant is gone lists nothing.
//!
//! The sharee reaches the collection under their own home, at `<name>~<owner>`
//! (`/dav/calendars/bob/work~alice/`): user names never contain `~`, so the name says whose
//! collection it is and no lookup is needed to translate it. Every href written for a store
//! path another user owns takes that form ([`to_href`]), and every href read from a request is
//! translated back ([`to_store`]) before it is resolved; the DAV layer otherwise works on the
//! owner's collection as it is, with the same atomic checks for every writer.

use davlite_proto::ns::DAVLITE_INTERNAL;
use davlite_proto::{Condition, QName};
use davlite_store::{Collection, CollectionKind, Reader, Store, StoreError, WriteOp};

use crate::error::{DavError, DavResult};
use crate::resource::{ADDRESSBOOKS, CALENDARS, INBOX, OUTBOX};

/// What a sharee may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    ReadWrite,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::ReadWrite => "read-write",
        }
    }

    fn parse(s: &str) -> Option<Access> {
        match s {
            "read" => Some(Access::Read),
            "read-write" => Some(Access::ReadWrite),
            _ => None,
        }
    }
}

/// Whether the sharee has the share: sharing is instant (as sabre/dav and Nextcloud do it), so
/// a new grant is accepted; the sharee may decline it (DELETE of the bound collection, or a
/// `CS:invite-reply`), which keeps the grant, without access, for the owner to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Accepted,
    Declined,
}

/// One sharee of a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub sharee: String,
    pub access: Access,
    pub status: Status,
    /// The name the owner gave the sharee (`CS:common-name`), may be empty.
    pub common_name: String,
    /// The owner's note (`CS:summary`), may be empty.
    pub summary: String,
}

impl Grant {
    pub fn new(sharee: &str, access: Access) -> Grant {
        Grant {
            sharee: sharee.to_string(),
            access,
            status: Status::Accepted,
            common_name: String::new(),
            summary: String::new(),
        }
    }

    /// The grant as stored on the collection at `path`. The path is part of it: a grant is
    /// valid only on the collection it was made for, so the copy a COPY makes (properties
    /// included) is shared with nobody, whatever happens after the copy.
    fn encode(&self, path: &str) -> Vec<u8> {
        let one_line = |s: &str| s.replace(['\r', '\n'], " ");
        format!(
            "path={}\naccess={}\nstatus={}\ncn={}\nsummary={}\n",
            one_line(path),
            self.access.as_str(),
            match self.status {
                Status::Accepted => "accepted",
                Status::Declined => "declined",
            },
            one_line(&self.common_name),
            one_line(&self.summary),
        )
        .into_bytes()
    }

    /// The grant stored as `bytes` on the collection at `path`; `None` when it was made for
    /// another collection or cannot be read.
    fn decode(sharee: &str, bytes: &[u8], path: &str) -> Option<Grant> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut g = Grant::new(sharee, Access::Read);
        let mut access = None;
        let mut made_for = None;
        for line in text.lines() {
            let (k, v) = line.split_once('=')?;
            match k {
                "path" => made_for = Some(v),
                "access" => access = Access::parse(v),
                "status" => {
                    g.status = if v == "declined" {
                        Status::Declined
                    } else {
                        Status::Accepted
                    }
                }
                "cn" => g.common_name = v.to_string(),
                "summary" => g.summary = v.to_string(),
                _ => {}
            }
        }
        g.access = access?;
        (made_for? == path).then_some(g)
    }
}

fn grant_key(sharee: &str) -> String {
    format!("{{{DAVLITE_INTERNAL}}}share:{sharee}")
}

fn binding_key(coll_path: &str) -> String {
    format!("{{{DAVLITE_INTERNAL}}}shared-in:{coll_path}")
}

/// Every grant of a collection, declined ones included, ordered by sharee.
pub fn grants(coll: &Collection) -> Vec<Grant> {
    let prefix = grant_key("");
    coll.props
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter_map(|(k, v)| Grant::decode(&k[prefix.len()..], v, &coll.path))
        .collect()
}

/// The grant `user` holds on `coll`, whatever its status.
pub fn grant(coll: &Collection, user: &str) -> Option<Grant> {
    coll.props
        .get(&grant_key(user))
        .and_then(|v| Grant::decode(user, v, &coll.path))
}

/// What `user` may do in `coll` by a share: `None` unless a grant is held and not declined.
pub fn access(coll: &Collection, user: &str) -> Option<Access> {
    grant(coll, user)
        .filter(|g| g.status == Status::Accepted)
        .map(|g| g.access)
}

/// Whether any grant is held on `coll`.
pub fn is_shared(coll: &Collection) -> bool {
    let prefix = grant_key("");
    coll.props
        .range(prefix.clone()..)
        .next()
        .is_some_and(|(k, _)| k.starts_with(&prefix))
}

/// Whether `coll` may be shared: a calendar or address book directly in its owner's home (not
/// the scheduling inbox, not a home, not a folder).
pub fn shareable(coll: &Collection) -> bool {
    let segs: Vec<&str> = coll.path.split('/').collect();
    matches!(
        (coll.kind, segs.as_slice()),
        (CollectionKind::Calendar, [CALENDARS, _, name]) if *name != INBOX && *name != OUTBOX
    ) || matches!(
        (coll.kind, segs.as_slice()),
        (CollectionKind::AddressBook, [ADDRESSBOOKS, _, _])
    )
}

/// The collections bound into `home` (a user's calendar or address-book home) whose grant the
/// home's owner still holds, accepted; read from the same snapshot as the home.
pub fn shared_in(reader: &Reader, home: &Collection) -> Vec<Collection> {
    let segs: Vec<&str> = home.path.split('/').collect();
    let [top, user] = segs.as_slice() else {
        return Vec::new();
    };
    if *top != CALENDARS && *top != ADDRESSBOOKS {
        return Vec::new();
    }
    let prefix = binding_key("");
    home.props
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter_map(|(k, _)| reader.collection(&k[prefix.len()..]).ok().flatten())
        .filter(|c| c.path.starts_with(top) && access(c, user).is_some())
        .collect()
}

/// The names (`name~owner`) of the bindings in `user`'s home `home` whose collection is gone:
/// the owner deleted it while it was shared.
pub fn dangling_bindings(reader: &Reader, home: &Collection, user: &str) -> Vec<String> {
    let prefix = binding_key("");
    home.props
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, _)| &k[prefix.len()..])
        .filter(|path| matches!(reader.collection(path), Ok(None)))
        .filter_map(|path| {
            let segs: Vec<&str> = path.split('/').collect();
            match to_href(user, &segs)?.as_slice() {
                [_, _, name] => Some(name.to_string()),
                _ => None,
            }
        })
        .collect()
}

/// Whether `name` is a property each sharee keeps for themselves on a collection shared with
/// them, writable whatever their access: how the calendar is named, described, coloured,
/// ordered and counted for free-busy in their own view (CalendarServer does the same; Apple
/// Calendar and DAVx5 PROPPATCH colour and name on shared calendars and show an error when
/// refused).
pub fn is_personal(name: &QName) -> bool {
    *name == QName::dav("displayname")
        || *name == QName::caldav("calendar-description")
        || *name == QName::caldav("schedule-calendar-transp")
        || *name == QName::carddav("addressbook-description")
        || *name == QName::apple_ical("calendar-color")
        || *name == QName::apple_ical("calendar-order")
}

/// Where `user`'s own value of the property `clark` on the shared collection `coll_path` lives:
/// a property of their home, beside the binding. Looked up by exact key only.
fn personal_key(coll_path: &str, clark: &str) -> String {
    format!("{{{DAVLITE_INTERNAL}}}sharee-prop:{coll_path}\n{clark}")
}

/// `coll`'s dead properties as `user` sees them: the owner's, with the user's own values of
/// the personal properties ([`is_personal`]) in their place when `coll` is shared with them.
pub fn props_seen_by<'c>(
    reader: &Reader,
    user: &str,
    coll: &'c Collection,
) -> std::borrow::Cow<'c, std::collections::BTreeMap<String, Vec<u8>>> {
    use std::borrow::Cow;
    if coll.owner == user {
        return Cow::Borrowed(&coll.props);
    }
    let Ok(Some(home)) = reader.collection(&home_of(&coll.path, user)) else {
        return Cow::Borrowed(&coll.props);
    };
    let prefix = personal_key(&coll.path, "");
    let mut own = home
        .props
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .peekable();
    if own.peek().is_none() {
        return Cow::Borrowed(&coll.props);
    }
    let mut props = coll.props.clone();
    for (k, v) in own {
        props.insert(k[prefix.len()..].to_string(), v.clone());
    }
    Cow::Owned(props)
}

/// Sets or removes `user`'s own values of personal properties (`changes`: Clark name and
/// value, all [`is_personal`]) on the collection `coll_path` shared with them. Only their home
/// is written; the owner's collection is untouched.
pub fn set_personal(
    store: &Store,
    user: &str,
    coll_path: &str,
    changes: Vec<(String, Option<Vec<u8>>)>,
) -> DavResult<()> {
    let props = changes
        .into_iter()
        .map(|(clark, v)| (personal_key(coll_path, &clark), v))
        .collect();
    apply(
        store,
        vec![WriteOp::CollectionProps {
            path: home_of(coll_path, user),
            props,
            expect: Vec::new(),
        }],
    )
}

/// The segment under which `user` finds the child collection `c` of their home: its own name,
/// or `name~owner` for one shared with them.
pub fn name_in_home(user: &str, c: &Collection) -> String {
    let segs: Vec<&str> = c.path.split('/').collect();
    match to_href(user, &segs) {
        Some(v) if v.len() == 3 => v[2].to_string(),
        _ => segs.last().copied().unwrap_or_default().to_string(),
    }
}

/// `name~owner`, the segment under which a sharee finds `owner`'s collection `name`.
fn bound_segment(name: &str, owner: &str) -> String {
    format!("{name}~{owner}")
}

/// The owner and collection name a bound segment stands for.
fn parse_bound(seg: &str) -> Option<(&str, &str)> {
    let (name, owner) = seg.rsplit_once('~')?;
    let owner_ok = !owner.is_empty()
        && !owner.starts_with('.')
        && owner
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    (owner_ok && !name.is_empty()).then_some((owner, name))
}

fn is_tree(top: &str) -> bool {
    top == CALENDARS || top == ADDRESSBOOKS
}

/// Translates the decoded segments of a request path or href to the store path they name:
/// `calendars/<user>/<name>~<owner>/…` → `calendars/<owner>/<name>/…`. Anything else is left
/// as it is.
pub fn to_store(user: &str, mut segs: Vec<String>) -> Vec<String> {
    if segs.len() >= 3
        && is_tree(&segs[0])
        && segs[1] == user
        && let Some((owner, name)) = parse_bound(&segs[2])
        && owner != user
    {
        let (owner, name) = (owner.to_string(), name.to_string());
        segs[1] = owner;
        segs[2] = name;
    }
    segs
}

/// The segments under which `user` sees the store path `segs` when another user owns it (the
/// inverse of [`to_store`]); `None` when it is written as it is. Inboxes and outboxes are never
/// shared, and their hrefs (a principal's `schedule-inbox-URL`) stay the owner's.
pub fn to_href<'a>(user: &str, segs: &[&'a str]) -> Option<Vec<std::borrow::Cow<'a, str>>> {
    use std::borrow::Cow;
    match segs {
        [top, owner, name, rest @ ..]
            if is_tree(top) && *owner != user && *name != INBOX && *name != OUTBOX =>
        {
            let mut v: Vec<Cow<'a, str>> = vec![
                Cow::Borrowed(*top),
                Cow::Owned(user.to_string()),
                Cow::Owned(bound_segment(name, owner)),
            ];
            v.extend(rest.iter().map(|s| Cow::Borrowed(*s)));
            Some(v)
        }
        _ => None,
    }
}

pub(crate) fn valid_request(reason: String) -> DavError {
    DavError::Refused(Condition::Other(QName::calserver("valid-request")), reason)
}

/// The collection at `path`, refused unless it may be shared ([`shareable`]).
fn shareable_collection(store: &Store, path: &str) -> DavResult<Collection> {
    let reader = store.read().map_err(DavError::internal)?;
    let coll = reader
        .collection(path)
        .map_err(DavError::internal)?
        .ok_or_else(DavError::not_found)?;
    if !shareable(&coll) {
        return Err(valid_request(format!(
            "{path} cannot be shared: only a calendar or address book directly in its owner's \
             home can"
        )));
    }
    Ok(coll)
}

fn home_of(coll_path: &str, user: &str) -> String {
    let top = coll_path.split('/').next().unwrap_or(CALENDARS);
    format!("{top}/{user}")
}

fn apply(store: &Store, ops: Vec<WriteOp>) -> DavResult<()> {
    store
        .apply(ops)
        .map(|_| ())
        .map_err(|e| store_error(e.error))
}

fn store_error(e: StoreError) -> DavError {
    match e {
        StoreError::NotFound => DavError::not_found(),
        other => DavError::from_store(other, CollectionKind::Plain, &|n| n.to_string()),
    }
}

/// Shares `coll_path` with `grant.sharee` (or changes the grant's access, name or note): the
/// grant and the sharee's binding in one transaction. The sharee's homes are made first if
/// they never signed in.
pub fn set(store: &Store, coll_path: &str, grant: Grant) -> DavResult<()> {
    update(store, coll_path, vec![grant], &[]).map(|_| ())
}

/// Ends `sharee`'s share of `coll_path` at once; `false` when there was none.
pub fn remove(store: &Store, coll_path: &str, sharee: &str) -> DavResult<bool> {
    Ok(update(store, coll_path, Vec::new(), &[sharee.to_string()])? > 0)
}

/// One owner's change of a collection's sharees, as a `CS:share` request carries it: every
/// grant in `set` made or changed, every sharee in `remove` revoked, with the sharees'
/// bindings, all in one transaction. Revoking a share that is not held does nothing; the
/// answer is how many held shares were revoked.
pub fn update(
    store: &Store,
    coll_path: &str,
    set: Vec<Grant>,
    remove: &[String],
) -> DavResult<usize> {
    let coll = shareable_collection(store, coll_path)?;
    if let Some(g) = set.iter().find(|g| g.sharee == coll.owner) {
        return Err(valid_request(format!(
            "{} owns {coll_path}; a collection is shared with other users",
            g.sharee
        )));
    }
    for g in &set {
        crate::provision::provision_user(store, &g.sharee).map_err(DavError::internal)?;
    }
    let mut ops = Vec::new();
    // Not held: nothing to write (and the sharee may have no home at all).
    let held: Vec<&String> = remove
        .iter()
        .filter(|s| grant(&coll, s).is_some())
        .collect();
    if !held.is_empty() {
        let reader = store.read().map_err(DavError::internal)?;
        for sharee in &held {
            let mut pair = grant_ops(&coll.path, sharee, None, false, Vec::new());
            // The sharee's own name and colour for it go with the share.
            if let (WriteOp::CollectionProps { props, .. }, Ok(Some(home))) = (
                &mut pair[1],
                reader.collection(&home_of(&coll.path, sharee)),
            ) {
                let prefix = personal_key(&coll.path, "");
                props.extend(
                    home.props
                        .range(prefix.clone()..)
                        .take_while(|(k, _)| k.starts_with(&prefix))
                        .map(|(k, _)| (k.clone(), None)),
                );
            }
            ops.extend(pair);
        }
    }
    for g in set {
        let encoded = g.encode(&coll.path);
        let bound = g.status == Status::Accepted;
        ops.extend(grant_ops(
            &coll.path,
            &g.sharee,
            Some(encoded),
            bound,
            Vec::new(),
        ));
    }
    if !ops.is_empty() {
        apply(store, ops)?;
    }
    Ok(held.len())
}

/// The two writes of one grant: the grant itself on the collection (`None` removes it), under
/// `expect`, and the sharee's binding (`bound`: present).
fn grant_ops(
    coll_path: &str,
    sharee: &str,
    grant: Option<Vec<u8>>,
    bound: bool,
    expect: Vec<(String, Option<Vec<u8>>)>,
) -> [WriteOp; 2] {
    [
        WriteOp::CollectionProps {
            path: coll_path.to_string(),
            props: vec![(grant_key(sharee), grant)],
            expect,
        },
        WriteOp::CollectionProps {
            path: home_of(coll_path, sharee),
            props: vec![(binding_key(coll_path), bound.then(Vec::new))],
            expect: Vec::new(),
        },
    ]
}

/// The sharee's side: accepts or declines a share they hold. Declining keeps the grant, marked
/// declined, so the owner sees the answer; either way the binding follows. `false` when
/// `sharee` holds no grant on `coll_path`.
///
/// The answer is written only if the grant is still the one read (checked in the write's
/// transaction), so an answer racing the owner's revoke cannot bring the share back; when the
/// grant changed meanwhile, it is read again and answered as it now is.
pub fn answer(store: &Store, coll_path: &str, sharee: &str, accept: bool) -> DavResult<bool> {
    const ATTEMPTS: usize = 8;
    for _ in 0..ATTEMPTS {
        let reader = store.read().map_err(DavError::internal)?;
        let Some(coll) = reader.collection(coll_path).map_err(DavError::internal)? else {
            return Ok(false);
        };
        drop(reader);
        let key = grant_key(sharee);
        let (Some(held), Some(mut g)) = (coll.props.get(&key).cloned(), grant(&coll, sharee))
        else {
            return Ok(false);
        };
        g.status = if accept {
            Status::Accepted
        } else {
            Status::Declined
        };
        let ops = grant_ops(
            &coll.path,
            sharee,
            Some(g.encode(&coll.path)),
            accept,
            vec![(key, Some(held))],
        );
        match store.apply(ops.into()) {
            Ok(_) => return Ok(true),
            Err(e) if matches!(e.error, StoreError::PreconditionFailed { .. }) => continue,
            Err(e) => return Err(store_error(e.error)),
        }
    }
    Err(DavError::Busy)
}

/// Removes from the collection at `to`, a copy of `original`, the grants the copy took along
/// with the original's properties (a copy is shared with nobody).
pub(crate) fn forget_grants(store: &Store, original: &Collection, to: &str) -> DavResult<()> {
    let props: Vec<(String, Option<Vec<u8>>)> = grants(original)
        .iter()
        .map(|g| (grant_key(&g.sharee), None))
        .collect();
    if props.is_empty() {
        return Ok(());
    }
    apply(
        store,
        vec![WriteOp::CollectionProps {
            path: to.to_string(),
            props,
            expect: vec![],
        }],
    )
}

/// Every shared collection in the store's homes with its grants, for `davlite share list`
/// (`owner` narrows it to one user's collections).
pub fn list(store: &Store, owner: Option<&str>) -> DavResult<Vec<(String, Vec<Grant>)>> {
    let reader = store.read().map_err(DavError::internal)?;
    let mut out = Vec::new();
    for top in [CALENDARS, ADDRESSBOOKS] {
        let homes = reader.children(top).map_err(DavError::internal)?;
        for home in homes {
            if owner.is_some_and(|o| home.owner != o) {
                continue;
            }
            for c in reader.children(&home.path).map_err(DavError::internal)? {
                let g = grants(&c);
                if !g.is_empty() {
                    out.push((c.path, g));
                }
            }
        }
    }
    Ok(out)
}

/// The store path of the collection a sharee's path names (`calendars/bob/work~alice` →
/// `calendars/alice/work`), for replies that carry the URL the sharee knows.
pub fn bound_path(user: &str, coll_path: &str) -> String {
    let segs: Vec<&str> = coll_path.split('/').collect();
    match to_href(user, &segs) {
        Some(v) => v.join("/"),
        None => coll_path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_names_translate_both_ways() {
        let segs = |s: &str| s.split('/').map(String::from).collect::<Vec<_>>();
        assert_eq!(
            to_store("bob", segs("calendars/bob/work~alice/e.ics")),
            segs("calendars/alice/work/e.ics")
        );
        assert_eq!(
            to_store("bob", segs("calendars/bob/a~b~al.ice@x.org")),
            segs("calendars/al.ice@x.org/a~b")
        );
        // Own names, names without an owner, and other trees are left alone.
        for p in [
            "calendars/bob/work~bob",
            "calendars/bob/work~",
            "calendars/bob/~alice",
            "principals/bob/x~alice",
            "calendars/carol/work~alice",
        ] {
            assert_eq!(to_store("bob", segs(p)), segs(p), "{p}");
        }
        let back = to_href("bob", &["calendars", "alice", "a~b", "e.ics"]).unwrap();
        assert_eq!(back.join("/"), "calendars/bob/a~b~alice/e.ics");
        assert_eq!(
            to_store("bob", back.iter().map(|s| s.to_string()).collect()),
            segs("calendars/alice/a~b/e.ics")
        );
        assert!(to_href("bob", &["calendars", "alice", "inbox"]).is_none());
        assert!(to_href("bob", &["calendars", "alice"]).is_none());
        assert!(to_href("alice", &["calendars", "alice", "work"]).is_none());
    }

    #[test]
    fn grants_round_trip_through_their_encoding() {
        let mut g = Grant::new("bob", Access::ReadWrite);
        g.common_name = "Bob\nB".into();
        g.summary = "Team = all".into();
        let stored = g.encode("calendars/alice/work");
        let back = Grant::decode("bob", &stored, "calendars/alice/work").unwrap();
        assert_eq!(back.access, Access::ReadWrite);
        assert_eq!(back.common_name, "Bob B");
        assert_eq!(back.summary, "Team = all");
        // Made for another collection (a copy took it along): no grant here.
        assert!(Grant::decode("bob", &stored, "calendars/alice/copy").is_none());
        assert!(
            Grant::decode(
                "bob",
                b"path=calendars/alice/work\nstatus=accepted\n",
                "calendars/alice/work"
            )
            .is_none()
        );
    }
}
