//! Implicit scheduling between users of this server (RFC 6638 §3, §4): the server, not the
//! client, sends the iTIP messages a write of a scheduling object implies.
//!
//! - An organizer's PUT (the ORGANIZER is an address of the calendar's owner) delivers a
//!   REQUEST to each local ATTENDEE: a message in their schedule inbox and their copy of the
//!   event, created in their default calendar or updated where it already is. An attendee
//!   dropped from the event, or the organizer's DELETE, delivers a CANCEL and removes the copy.
//! - An attendee's PUT that changes their own PARTSTAT (or their DELETE, a decline) delivers a
//!   REPLY to the organizer's inbox and updates the organizer's copy.
//! - `SCHEDULE-AGENT` other than SERVER (RFC 6638 §7.1) means no delivery for that user.
//! - Attendees and organizers that are not users here go to a [`RemoteDelivery`] (iMIP would
//!   plug in there); the default delivers nothing and says so in SCHEDULE-STATUS.
//!
//! Atomicity: the client's write and every delivery it causes are one [`Store::apply`] batch.
//! The batch is computed from one snapshot and pinned to it: the first op carries the ETag the
//! snapshot saw for the target (the client's If-Match / If-None-Match were checked against that
//! same state), every copy it updates or deletes carries its snapshot ETag, every copy and
//! message it creates carries If-None-Match. When another write got in between, the batch fails
//! whole and is recomputed from a fresh snapshot, a bounded number of times. So a crash or a
//! race never leaves an invitation half delivered.
//!
//! Schedule-Tag (RFC 6638 §3.2.10): kept as an object property under a reserved name. It
//! changes when a client writes the resource or an organizer's change reaches an attendee's
//! copy; merging a reply into the organizer's copy keeps it, so an organizer client holding the
//! tag can still write.

use std::sync::atomic::{AtomicU64, Ordering};

use davlite_formats::{ContentLine, ParsedObject, SchedulingObject};
use davlite_store::{
    ApplyError, Collection, CollectionKind, Etag, ObjectMeta, OpOutcome, Precondition, PutOutcome,
    Reader, Store, StoreError, WriteOp,
};
use http::{Response, StatusCode, header};

use crate::DavBody;
use crate::cond::Conditionals;
use crate::error::{DavError, DavResult, quote_etag};
use crate::request::Req;
use crate::resource::{CALENDARS, INBOX};
use crate::schedule::local_user;

/// Where the Schedule-Tag of a scheduling object is kept (an object property no client can
/// read or write as such: the namespace is reserved).
pub const TAG_PROP: &str = "{http://davlite.org/ns/internal}schedule-tag";

/// How many times a batch is recomputed when a concurrent write changed what it was built on.
const ATTEMPTS: usize = 8;

/// Delivery of iTIP messages to calendar users outside this server (iMIP, RFC 6047, would go
/// here). Called while the batch is computed, before it commits, possibly more than once for
/// one request when the batch is retried: an implementation should queue the message
/// idempotently and answer `1.0` (pending) or `1.1` (sent), never block on the network.
pub trait RemoteDelivery: Send + Sync {
    /// Delivers `message` (a whole iTIP object, METHOD included) from `originator` to
    /// `recipient` (calendar user addresses as written in the object); returns the
    /// SCHEDULE-STATUS code to record for the recipient (RFC 6638 §7.3).
    fn deliver(&self, originator: &str, recipient: &str, message: &str) -> String;
}

/// The default [`RemoteDelivery`]: delivers nothing. `3.7` (invalid calendar user) tells the
/// organizer's client that the server did not reach that attendee, so it may send mail itself.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoRemoteDelivery;

impl RemoteDelivery for NoRemoteDelivery {
    fn deliver(&self, _originator: &str, _recipient: &str, _message: &str) -> String {
        "3.7".to_string()
    }
}

/// A stored object as the planner sees it.
struct Stored {
    coll: String,
    name: String,
    meta: ObjectMeta,
    obj: SchedulingObject,
    tag: Option<String>,
}

impl Stored {
    /// What If-Schedule-Tag-Match is compared with: the Schedule-Tag, or for an object that is
    /// not a scheduling object its ETag (DAVx5 sends the header whenever it holds a tag, and
    /// before scheduling existed here the tag was the ETag).
    fn tag_or_etag(&self) -> String {
        self.tag
            .clone()
            .unwrap_or_else(|| self.meta.etag.to_string())
    }
}

fn read_stored(reader: &Reader, coll: &str, name: &str) -> DavResult<Option<Stored>> {
    let Some((meta, bytes)) = reader.get(coll, name).map_err(DavError::internal)? else {
        return Ok(None);
    };
    let tag = reader
        .object_props(coll, name)
        .map_err(DavError::internal)?
        .get(TAG_PROP)
        .map(|v| String::from_utf8_lossy(v).into_owned());
    Ok(SchedulingObject::parse(&bytes).map(|obj| Stored {
        coll: coll.to_string(),
        name: name.to_string(),
        meta,
        obj,
        tag,
    }))
}

/// The Schedule-Tag of a stored object, if it is a scheduling object.
pub fn schedule_tag(reader: &Reader, coll: &str, name: &str) -> Option<String> {
    reader
        .object_props(coll, name)
        .ok()?
        .get(TAG_PROP)
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// `user`'s copy of the object with `uid`, in any of their calendars.
fn find_copy(reader: &Reader, user: &str, uid: &str) -> DavResult<Option<Stored>> {
    let home = format!("{CALENDARS}/{user}");
    let calendars = match reader.children(&home) {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(DavError::internal(e)),
    };
    for c in calendars
        .iter()
        .filter(|c| c.kind == CollectionKind::Calendar)
    {
        if let Some(name) = reader.find_uid(&c.path, uid).map_err(DavError::internal)? {
            return read_stored(reader, &c.path, &name);
        }
    }
    Ok(None)
}

/// A name for a new member: unique across nodes and retries of other requests.
fn fresh_name(seed: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let h = Etag::of(format!("{seed}\n{nanos}\n{n}\n{}", std::process::id()).as_bytes());
    format!("{h}.ics")
}

/// The name an attendee's new copy gets: the UID when it is a plain name, else its hash.
fn copy_name(uid: &str) -> String {
    if !uid.is_empty()
        && uid.len() <= 120
        && uid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
    {
        format!("{uid}.ics")
    } else {
        format!("{}.ics", Etag::of(uid.as_bytes()))
    }
}

fn inbox_path(user: &str) -> String {
    format!("{CALENDARS}/{user}/{INBOX}")
}

/// Makes sure `user` has a home, a default calendar and an inbox (users who never signed in
/// have none yet). Outside the batch: creating an empty inbox twice is harmless.
fn ensure_inbox(store: &Store, user: &str) -> DavResult<()> {
    crate::provision::provision_user(store, user).map_err(DavError::internal)
}

fn message_op(user: &str, msg: &SchedulingObject) -> WriteOp {
    let text = msg.to_text();
    WriteOp::Put {
        coll: inbox_path(user),
        name: fresh_name(&text),
        object: ParsedObject::opaque(text.into_bytes(), "text/calendar; charset=utf-8"),
        pre: Precondition::IfNoneMatchAny,
    }
}

fn tag_op(coll: &str, name: &str, tag: &str) -> WriteOp {
    WriteOp::ObjectProps {
        coll: coll.to_string(),
        name: name.to_string(),
        changes: vec![(TAG_PROP.to_string(), Some(tag.as_bytes().to_vec()))],
        pre: Precondition::None,
    }
}

fn parsed(text: String) -> DavResult<ParsedObject> {
    ParsedObject::calendar(text.into_bytes()).map_err(|e| DavError::body(&e))
}

fn put_op(coll: &str, name: &str, object: ParsedObject, pre: Precondition) -> WriteOp {
    WriteOp::Put {
        coll: coll.to_string(),
        name: name.to_string(),
        object,
        pre,
    }
}

/// The role the owner of a calendar plays in a scheduling object.
enum Role {
    /// Not a scheduling object, or one the server does not act on.
    None,
    Organizer,
    /// The owner is an attendee; `organizer` is the ORGANIZER line.
    Attendee {
        organizer: ContentLine,
    },
}

fn role(r: &Req, owner: &str, obj: &SchedulingObject) -> Role {
    let Some(org) = obj.organizer() else {
        return Role::None;
    };
    if local_user(r, org.value.trim()).as_deref() == Some(owner) {
        return Role::Organizer;
    }
    let me = |a: &str| local_user(r, a).as_deref() == Some(owner);
    if obj.attendees().iter().any(|a| me(a.value.trim())) {
        return Role::Attendee {
            organizer: org.clone(),
        };
    }
    Role::None
}

/// The ops an organizer's write implies beyond the write itself; sets SCHEDULE-STATUS on
/// `new` (the organizer's object, `None` when it is deleted).
fn organizer_ops(
    r: &Req,
    reader: &Reader,
    owner: &str,
    new: Option<&mut SchedulingObject>,
    old: Option<&SchedulingObject>,
) -> DavResult<Vec<WriteOp>> {
    let mut ops = Vec::new();
    let uid = new
        .as_deref()
        .and_then(|n| n.uid())
        .or_else(|| old.and_then(|o| o.uid()))
        .unwrap_or_default();
    let organizer = new
        .as_deref()
        .or(old)
        .and_then(|o| o.organizer())
        .map(|l| l.value.trim().to_string())
        .unwrap_or_default();
    let rescheduled = match (&new, old) {
        (Some(n), Some(o)) => n.timing() != o.timing(),
        _ => false,
    };
    // (address, SCHEDULE-STATUS, the attendee's own PARTSTAT when their copy has one).
    let mut statuses: Vec<(String, String, Option<String>)> = Vec::new();
    if let Some(n) = new.as_deref() {
        for line in n.attendees() {
            let addr = line.value.trim().to_string();
            if !line.server_schedules() {
                continue;
            }
            match local_user(r, &addr) {
                Some(u) if u == owner => {}
                Some(u) => {
                    let (status, partstat) =
                        deliver_request(reader, &u, &addr, n, rescheduled, &mut ops)?;
                    statuses.push((addr, status, partstat));
                }
                None => {
                    let msg = n.with_method("REQUEST");
                    let status = r.dav.remote().deliver(&organizer, &addr, &msg.to_text());
                    statuses.push((addr, status, None));
                }
            }
        }
    }
    // Cancellations: attendees of the old version that the new one no longer has (all of
    // them when the object is deleted).
    if let Some(o) = old {
        let kept = |a: &str| {
            new.as_deref().is_some_and(|n| {
                n.attendees()
                    .iter()
                    .any(|l| l.value.trim().eq_ignore_ascii_case(a))
            })
        };
        for line in o.attendees() {
            let addr = line.value.trim().to_string();
            if kept(&addr) || !line.server_schedules() {
                continue;
            }
            if let Some(u) = local_user(r, &addr).filter(|u| u != owner) {
                if let Some(copy) = find_copy(reader, &u, &uid)? {
                    ops.push(WriteOp::Delete {
                        coll: copy.coll,
                        name: copy.name,
                        pre: Precondition::IfMatch(vec![copy.meta.etag]),
                    });
                }
                let mut msg = o.with_method("CANCEL");
                msg.strip_param("SCHEDULE-STATUS");
                ops.push(message_op(&u, &msg));
            }
        }
    }
    if let Some(n) = new {
        for (addr, status, partstat) in &statuses {
            n.edit_attendees(
                |a| a.eq_ignore_ascii_case(addr),
                |l| {
                    l.set_param("SCHEDULE-STATUS", Some(status));
                    // The attendee's answer is theirs: an organizer's client that still shows
                    // an older one does not overwrite it (only a reschedule resets it, below).
                    if let Some(p) = partstat {
                        l.set_param("PARTSTAT", Some(p));
                    }
                },
            );
        }
        if rescheduled {
            // RFC 6638 §3.2.8: a reschedule asks everyone again.
            n.edit_attendees(
                |a| local_user(r, a).as_deref() != Some(owner),
                |l| {
                    if l.server_schedules() {
                        l.set_param("PARTSTAT", Some("NEEDS-ACTION"))
                    }
                },
            );
        }
    }
    Ok(ops)
}

/// The REQUEST to local attendee `user` (address `addr`): their copy and an inbox message,
/// unless their copy already says exactly this. Returns the SCHEDULE-STATUS and the PARTSTAT
/// the attendee's copy keeps.
fn deliver_request(
    reader: &Reader,
    user: &str,
    addr: &str,
    object: &SchedulingObject,
    rescheduled: bool,
    ops: &mut Vec<WriteOp>,
) -> DavResult<(String, Option<String>)> {
    let uid = object.uid().unwrap_or_default();
    let existing = find_copy(reader, user, &uid)?;
    let mut copy = object.without_method();
    copy.strip_param("SCHEDULE-STATUS");
    let is_me = |a: &str| a.eq_ignore_ascii_case(addr);
    let partstat = match &existing {
        Some(e) if !rescheduled => e.obj.partstat(is_me),
        _ => None,
    }
    .or_else(|| {
        if rescheduled {
            Some("NEEDS-ACTION".to_string())
        } else {
            object.partstat(is_me)
        }
    })
    .unwrap_or_else(|| "NEEDS-ACTION".to_string());
    copy.edit_attendees(is_me, |l| l.set_param("PARTSTAT", Some(&partstat)));
    let text = copy.to_text();
    if let Some(e) = &existing
        && e.obj.to_text() == text
    {
        return Ok(("1.2".to_string(), Some(partstat)));
    }
    let (coll, name, pre) = match &existing {
        Some(e) => (
            e.coll.clone(),
            e.name.clone(),
            Precondition::IfMatch(vec![e.meta.etag]),
        ),
        None => match crate::props::default_calendar(reader, user) {
            Some(c) => {
                // Another object already holding the name (with another UID) would fail the
                // batch on every retry: take a fresh name then.
                let mut name = copy_name(&uid);
                if reader
                    .meta(&c, &name)
                    .map_err(DavError::internal)?
                    .is_some()
                {
                    name = fresh_name(&uid);
                }
                (c, name, Precondition::IfNoneMatchAny)
            }
            // No calendar to put it in: RFC 6638 §7.3 "no scheduling support for user".
            None => return Ok(("5.3".to_string(), None)),
        },
    };
    let tag = Etag::of(text.as_bytes()).to_string();
    ops.push(put_op(&coll, &name, parsed(text)?, pre));
    ops.push(tag_op(&coll, &name, &tag));
    ops.push(message_op(user, &copy.with_method("REQUEST")));
    Ok(("1.2".to_string(), Some(partstat)))
}

/// The ops an attendee's write implies (their PARTSTAT as `partstat`, DECLINED on delete):
/// the organizer's copy updated and a REPLY in the organizer's inbox. Sets the ORGANIZER's
/// SCHEDULE-STATUS on `new`.
fn attendee_ops(
    r: &Req,
    reader: &Reader,
    owner: &str,
    organizer: &ContentLine,
    new: Option<&mut SchedulingObject>,
    old: Option<&SchedulingObject>,
) -> DavResult<Vec<WriteOp>> {
    let mut ops = Vec::new();
    if !organizer.server_schedules() {
        return Ok(ops);
    }
    let me = |a: &str| local_user(r, a).as_deref() == Some(owner);
    let Some(base) = new.as_deref().or(old) else {
        return Ok(ops);
    };
    let partstat = if new.is_some() {
        base.partstat(me)
    } else {
        Some("DECLINED".to_string())
    };
    let Some(partstat) = partstat else {
        return Ok(ops);
    };
    let org_addr = organizer.value.trim().to_string();
    let mut reply = base.reply(me);
    reply.edit_attendees(|_| true, |l| l.set_param("PARTSTAT", Some(&partstat)));
    reply.strip_param("SCHEDULE-STATUS");
    let status = match local_user(r, &org_addr) {
        Some(o) => {
            let uid = base.uid().unwrap_or_default();
            let Some(org_copy) = find_copy(reader, &o, &uid)? else {
                // The organizer deleted the event: nothing to reply to.
                return Ok(ops);
            };
            if org_copy.obj.partstat(me).as_deref() == Some(partstat.as_str()) {
                return Ok(ops);
            }
            let mut updated = org_copy.obj.clone();
            updated.edit_attendees(me, |l| {
                l.set_param("PARTSTAT", Some(&partstat));
                l.set_param("SCHEDULE-STATUS", Some("2.0"));
            });
            ops.push(put_op(
                &org_copy.coll,
                &org_copy.name,
                parsed(updated.to_text())?,
                Precondition::IfMatch(vec![org_copy.meta.etag]),
            ));
            // A merged reply keeps the organizer's Schedule-Tag (RFC 6638 §3.2.10).
            if let Some(t) = &org_copy.tag {
                ops.push(tag_op(&org_copy.coll, &org_copy.name, t));
            }
            ops.push(message_op(&o, &reply));
            "1.2".to_string()
        }
        None => r
            .dav
            .remote()
            .deliver(&org_addr, &org_addr, &reply.to_text()),
    };
    if let Some(n) = new {
        n.edit_organizer(|l| l.set_param("SCHEDULE-STATUS", Some(&status)));
    }
    Ok(ops)
}

/// The `If-Schedule-Tag-Match` value, unquoted.
fn tag_match(r: &Req) -> Option<String> {
    r.header("if-schedule-tag-match").map(|v| {
        v.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_string()
    })
}

/// Whether a PUT of `parsed` into `coll` needs the scheduling path: the body has an
/// ORGANIZER, or the client conditions on a Schedule-Tag.
pub fn wants(r: &Req, coll: &Collection, body: &[u8]) -> bool {
    coll.kind == CollectionKind::Calendar
        && (tag_match(r).is_some()
            || SchedulingObject::parse(body).is_some_and(|o| o.organizer().is_some()))
}

/// Whether a DELETE of this object needs the scheduling path.
pub fn wants_delete(r: &Req, reader: &Reader, coll: &Collection, name: &str) -> bool {
    coll.kind == CollectionKind::Calendar
        && (tag_match(r).is_some() || schedule_tag(reader, &coll.path, name).is_some())
}

/// In a calendar shared with them, a sharee writes as the owner: scheduling acts for the
/// calendar's owner (RFC 6638 §3.1), so an invitation organized by the sharee would be stored
/// in a calendar that is not theirs and never sent. Refused with 403 `C:valid-organizer`, as
/// CalendarServer's sharing specification asks, instead of storing an event nobody hears of.
fn check_sharee_organizer(r: &Req, coll: &Collection, obj: &SchedulingObject) -> DavResult<()> {
    let Some(org) = obj.organizer() else {
        return Ok(());
    };
    let organizer = org.value.trim();
    if coll.owner != r.user
        && !obj.attendees().is_empty()
        && local_user(r, organizer).as_deref() == Some(r.user.as_str())
    {
        return Err(DavError::sharee_organizer(organizer));
    }
    Ok(())
}

/// Users the scheduling of `obj` may deliver to: they need an inbox before the batch runs.
fn prepare(r: &Req, obj: &SchedulingObject) -> DavResult<()> {
    let mut addrs: Vec<String> = obj
        .attendees()
        .iter()
        .map(|l| l.value.trim().to_string())
        .collect();
    if let Some(o) = obj.organizer() {
        addrs.push(o.value.trim().to_string());
    }
    for a in addrs {
        if let Some(u) = local_user(r, &a) {
            let reader = r.dav.store().read().map_err(DavError::internal)?;
            if reader
                .collection(&inbox_path(&u))
                .map_err(DavError::internal)?
                .is_none()
            {
                drop(reader);
                ensure_inbox(r.dav.store(), &u)?;
            }
        }
    }
    Ok(())
}

/// Whether a failed batch is worth recomputing: a copy or message it was built on changed.
fn retryable(e: &ApplyError) -> bool {
    match (&e.op, &e.error) {
        (Some(0), StoreError::PreconditionFailed { .. }) => true,
        (Some(i), err) if *i > 0 => matches!(
            err,
            StoreError::PreconditionFailed { .. }
                | StoreError::NotFound
                | StoreError::AlreadyExists
                | StoreError::UidConflict { .. }
        ),
        _ => false,
    }
}

/// PUT of a scheduling object (or one conditioned on a Schedule-Tag).
pub fn put(
    r: &Req,
    coll: &Collection,
    name: &str,
    body: &[u8],
    cond: &Conditionals,
) -> DavResult<Response<DavBody>> {
    let store = r.dav.store();
    let client = SchedulingObject::parse(body)
        .ok_or_else(|| DavError::BadRequest("calendar data is not UTF-8".into()))?;
    check_sharee_organizer(r, coll, &client)?;
    prepare(r, &client)?;
    let holder_href = |n: &str| r.member_href(&coll.path, n);
    for _ in 0..ATTEMPTS {
        let reader = store.read().map_err(DavError::internal)?;
        let current = read_stored(&reader, &coll.path, name)?;
        let cur_etag = current.as_ref().map(|c| c.meta.etag);
        if !cond.hold(cur_etag.as_ref()) {
            return Err(DavError::PreconditionFailed(cur_etag));
        }
        if let Some(want) = tag_match(r)
            && current.as_ref().map(Stored::tag_or_etag).as_deref() != Some(want.as_str())
        {
            return Err(DavError::PreconditionFailed(cur_etag));
        }
        let mut new = client.clone();
        let old = current.as_ref().map(|c| &c.obj);
        let extra = match role(r, &coll.owner, &new) {
            Role::Organizer => organizer_ops(r, &reader, &coll.owner, Some(&mut new), old)?,
            Role::Attendee { organizer } => {
                attendee_ops(r, &reader, &coll.owner, &organizer, Some(&mut new), old)?
            }
            Role::None => Vec::new(),
        };
        drop(reader);
        let text = new.to_text();
        // The client's bytes are stored as sent unless scheduling changed them.
        let bytes = if new == client {
            body.to_vec()
        } else {
            text.into_bytes()
        };
        let rewritten = new != client;
        let object = ParsedObject::calendar(bytes).map_err(|e| DavError::body(&e))?;
        let scheduling = object_is_scheduling(&new);
        let tag = Etag::of(object.bytes()).to_string();
        let pre = match cur_etag {
            Some(e) => Precondition::IfMatch(vec![e]),
            None => Precondition::IfNoneMatchAny,
        };
        let mut ops = vec![put_op(&coll.path, name, object, pre)];
        if scheduling {
            ops.push(tag_op(&coll.path, name, &tag));
        }
        ops.extend(extra);
        match store.apply(ops) {
            Ok(outs) => {
                let Some(OpOutcome::Put(out)) = outs.into_iter().next() else {
                    return Err(DavError::internal(StoreError::Busy));
                };
                return Ok(stored(&out, scheduling.then_some(tag.as_str()), rewritten));
            }
            Err(e) if retryable(&e) => continue,
            Err(e) => return Err(DavError::from_store(e.error, coll.kind, &holder_href)),
        }
    }
    Err(DavError::from_store(
        StoreError::Busy,
        coll.kind,
        &holder_href,
    ))
}

fn object_is_scheduling(o: &SchedulingObject) -> bool {
    o.organizer().is_some()
}

/// DELETE of a scheduling object: the cancellations or the decline it implies, in the same
/// batch. `Schedule-Reply: F` (RFC 6638 §8.1) deletes without telling anyone.
pub fn delete(r: &Req, coll: &Collection, name: &str, cond: &Conditionals) -> DavResult<()> {
    let store = r.dav.store();
    let quiet = r
        .header("schedule-reply")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("F"));
    for _ in 0..ATTEMPTS {
        let reader = store.read().map_err(DavError::internal)?;
        let Some(current) = read_stored(&reader, &coll.path, name)? else {
            return Err(DavError::not_found());
        };
        if !cond.hold(Some(&current.meta.etag)) {
            return Err(DavError::PreconditionFailed(Some(current.meta.etag)));
        }
        if let Some(want) = tag_match(r)
            && current.tag_or_etag() != want
        {
            return Err(DavError::PreconditionFailed(Some(current.meta.etag)));
        }
        let extra = if quiet {
            Vec::new()
        } else {
            match role(r, &coll.owner, &current.obj) {
                Role::Organizer => {
                    organizer_ops(r, &reader, &coll.owner, None, Some(&current.obj))?
                }
                Role::Attendee { organizer } => attendee_ops(
                    r,
                    &reader,
                    &coll.owner,
                    &organizer,
                    None,
                    Some(&current.obj),
                )?,
                Role::None => Vec::new(),
            }
        };
        drop(reader);
        let mut ops = vec![WriteOp::Delete {
            coll: coll.path.clone(),
            name: name.to_string(),
            pre: Precondition::IfMatch(vec![current.meta.etag]),
        }];
        ops.extend(extra);
        match store.apply(ops) {
            Ok(_) => return Ok(()),
            Err(e) if retryable(&e) => continue,
            Err(e) => return Err(DavError::from_store(e.error, coll.kind, &|n| n.to_string())),
        }
    }
    Err(DavError::from_store(StoreError::Busy, coll.kind, &|n| {
        n.to_string()
    }))
}

/// 201/204 with the Schedule-Tag; the ETag only when the stored bytes are the ones sent
/// (RFC 6638 §3.2.10 and RFC 4791 §5.3.4: a client must not take an ETag for bytes the server
/// changed).
fn stored(out: &PutOutcome, tag: Option<&str>, rewritten: bool) -> Response<DavBody> {
    let mut b = Response::builder().status(if out.created {
        StatusCode::CREATED
    } else {
        StatusCode::NO_CONTENT
    });
    if !rewritten {
        b = b.header(header::ETAG, quote_etag(&out.etag));
    }
    if let Some(t) = tag {
        b = b.header("Schedule-Tag", format!("\"{t}\""));
    }
    b.body(DavBody::empty()).expect("valid response")
}
