//! Who may do what: a user reaches their own homes, and the collections other users share with
//! them ([`crate::share`]: read, or read and write the members; never delete, move or change
//! the collection itself). Principals are the exception: every principal the directory lists
//! may be read by every user (names and addresses, so people can find and invite each other),
//! while what it owns stays private. The shared top-level collections (`calendars/`,
//! `addressbooks/`) may be read (their listing shows only the user's own home) but not written.
//! Every access check of the DAV layer is in this file.

use davlite_proto::QName;

use crate::error::{DavError, DavResult};
use crate::request::{Req, ReqInfo};
use crate::resource::{Target, inbox_owner, path_owner};
use crate::share::{self, Access};

fn need(r: &Req, target: &Target, privilege: &'static str) -> DavError {
    DavError::need_privilege(target.href(&r.prefix), QName::dav(privilege))
}

/// The owner the target's path names, if any.
fn owner(target: &Target) -> Option<String> {
    match target {
        Target::Principal(u) => Some(u.clone()),
        _ => path_owner(&target.segments()),
    }
}

/// What a share gives the user on the target: the grant of the shared collection the target
/// is, or is a member of. Read from the collection the request resolved, in the same snapshot.
pub fn shared_access(user: &str, target: &Target) -> Option<Access> {
    let coll = match target {
        Target::Collection(c) => c,
        Target::Object { coll, .. } => coll,
        _ => return None,
    };
    if !share::shareable(coll) {
        return None;
    }
    share::access(coll, user)
}

pub fn check_read(r: &Req, target: &Target) -> DavResult<()> {
    match owner(target) {
        Some(o) if o != r.user => {
            if matches!(target, Target::Principal(_)) && r.dav.directory().get(&o).is_some() {
                return Ok(());
            }
            if shared_access(&r.user, target).is_some() {
                return Ok(());
            }
            Err(need(r, target, "read"))
        }
        _ => Ok(()),
    }
}

/// Writes are allowed only inside the user's own homes (`calendars/<user>/…`,
/// `addressbooks/<user>/…`), never on the homes themselves' parents, the principal tree, or
/// the scheduling inbox and outbox (the server maintains them; a COPY or MOVE onto one would
/// put a store collection in their place).
/// The one write a home itself takes is PROPPATCH: macOS Contacts stores its "Me" card as
/// `CS:me-card` on the address-book home, and old versions crash when that is refused.
/// The stored scheduling inbox takes no writes but the owner's DELETE of a message (RFC 6638
/// §2.2: the server alone delivers into it).
pub fn check_write(r: &Req, target: &Target) -> DavResult<()> {
    let in_inbox = match target {
        Target::Collection(c) => inbox_owner(&c.path).is_some(),
        Target::Object { coll, .. } => inbox_owner(&coll.path).is_some(),
        Target::Missing { path } => path
            .rsplit_once('/')
            .is_some_and(|(parent, _)| inbox_owner(parent).is_some()),
        _ => false,
    };
    if in_inbox {
        let deleting_message = r.method.as_str() == "DELETE"
            && matches!(target, Target::Object { coll, meta: Some(_), .. } if coll.owner == r.user);
        return if deleting_message {
            Ok(())
        } else {
            Err(need(
                r,
                target,
                if target.exists() { "write" } else { "bind" },
            ))
        };
    }
    let segs = target.segments();
    let home_props = segs.len() == 2 && r.method.as_str() == "PROPPATCH";
    // A read-write sharee writes members (PUT, DELETE, PROPPATCH of an object, either end of
    // a COPY or MOVE); the collection itself stays the owner's.
    if matches!(target, Target::Object { .. })
        && owner(target).is_some_and(|o| o != r.user)
        && shared_access(&r.user, target) == Some(Access::ReadWrite)
    {
        return Ok(());
    }
    match owner(target) {
        Some(o)
            if o == r.user
                && (segs.len() >= 3 || home_props)
                && !matches!(
                    target,
                    Target::Principal(_) | Target::ScheduleInbox(_) | Target::ScheduleOutbox(_)
                ) =>
        {
            Ok(())
        }
        _ => Err(need(
            r,
            target,
            if target.exists() { "write" } else { "bind" },
        )),
    }
}

/// Whether the user may see a collection in a listing: their own, the shared top-level ones,
/// and those shared with them.
pub fn visible(r: &ReqInfo, c: &davlite_store::Collection) -> bool {
    let segs: Vec<&str> = c.path.split('/').collect();
    match path_owner(&segs) {
        Some(o) => o == r.user || (share::shareable(c) && share::access(c, &r.user).is_some()),
        None => true,
    }
}
