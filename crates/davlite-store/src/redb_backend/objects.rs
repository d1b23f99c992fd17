//! Object writes: put, delete, copy, move. A request that fails leaves the batch's transaction
//! as it found it: each runs its checks before its first write, except that a put writes its
//! record's row and its UID's row as it checks them, and puts back what they replaced when it
//! is refused.

use davlite_formats::{ObjectInfo, ObjectKind};
use redb::ReadableTable;

use crate::error::{LimitKind, Result, StoreError};
use crate::redb_backend::codec::{CollRec, ObjRec, Props};
use crate::redb_backend::tables::check_name;
use crate::redb_backend::tx::{Tx, check_precondition};
use crate::types::{ChangeKind, CollectionKind, Precondition, PutOutcome};

pub(crate) use crate::batch::HashedObject as Hashed;

/// A write of dead properties that follows a put of the same object in a batch: the changes
/// (`None` removes) and the write's condition.
pub(crate) type PropsWrite<'a> = (&'a [(String, Option<Vec<u8>>)], &'a Precondition);

/// Whether an object of `kind` may live in `coll`.
pub(crate) fn check_kind(coll: &CollRec, kind: ObjectKind) -> Result<()> {
    match (coll.kind, kind) {
        (CollectionKind::Calendar, k) if k.is_calendar() => {
            if coll.limits.components.contains(k) {
                Ok(())
            } else {
                Err(StoreError::UnsupportedComponent)
            }
        }
        (CollectionKind::AddressBook, ObjectKind::Card) => Ok(()),
        (CollectionKind::Plain, ObjectKind::Other) => Ok(()),
        (CollectionKind::Calendar, _) => Err(StoreError::WrongKind {
            reason: "a calendar holds only calendar objects",
        }),
        (CollectionKind::AddressBook, _) => Err(StoreError::WrongKind {
            reason: "an address book holds only vCards",
        }),
        (CollectionKind::Plain, _) => Err(StoreError::WrongKind {
            reason: "calendar objects and vCards belong in calendars and address books",
        }),
    }
}

/// The collection's size and content limits (CalDAV/CardDAV preconditions).
pub(crate) fn check_limits(coll: &CollRec, size: u64, info: &ObjectInfo) -> Result<()> {
    let l = &coll.limits;
    if let Some(limit) = l.max_resource_size {
        if size > limit {
            return Err(StoreError::TooLarge { limit });
        }
    }
    if let (Some(min), Some(earliest)) = (l.min_date, info.earliest) {
        if earliest < min {
            return Err(StoreError::LimitViolated(LimitKind::MinDate));
        }
    }
    if let (Some(max), Some(latest)) = (l.max_date, info.latest) {
        if latest > max {
            return Err(StoreError::LimitViolated(LimitKind::MaxDate));
        }
    }
    // An unbounded recurrence has no countable instances; refusing it would refuse every
    // "weekly, forever" meeting, so only counted instances are checked.
    if let (Some(max), Some(n)) = (l.max_instances, info.instances) {
        if n > max {
            return Err(StoreError::LimitViolated(LimitKind::MaxInstances));
        }
    }
    if let Some(max) = l.max_attendees {
        if info.max_attendees > max {
            return Err(StoreError::LimitViolated(LimitKind::MaxAttendees));
        }
    }
    Ok(())
}

impl Tx<'_> {
    fn is_child_collection(&self, id: u64, name: &str) -> Result<bool> {
        Ok(self.children.get((id, name))?.is_some())
    }

    /// The UID must be free in the collection or held by `allowed` (the name being written, or
    /// the source of a rename).
    fn check_uid(&self, id: u64, uid: Option<&str>, allowed: &[&str]) -> Result<()> {
        let Some(uid) = uid else { return Ok(()) };
        if let Some(holder) = self.uids.get((id, uid))? {
            let holder = holder.value();
            if !allowed.contains(&holder) {
                return Err(StoreError::UidConflict {
                    existing: holder.to_owned(),
                });
            }
        }
        Ok(())
    }

    /// Stores `object` as `name` in `coll`. `props`: the dead-property changes of a write that
    /// follows the put in its batch, and that write's condition (see
    /// `BatchWriter::put_with_props`); the record is then written once, with them. On
    /// failure, which failed: 0 the put, 1 the properties.
    pub fn put(
        &mut self,
        coll: &str,
        name: &str,
        object: &Hashed,
        pre: &Precondition,
        props: Option<PropsWrite<'_>>,
    ) -> std::result::Result<PutOutcome, (usize, StoreError)> {
        let changes = props.map_or(&[][..], |(changes, _)| changes);
        let (out, with_changes) = self
            .put_object(coll, name, object, pre, changes)
            .map_err(|e| (0, e))?;
        if let Some((changes, props_pre)) = props {
            let applied = if with_changes {
                // Checked against what the put wrote; a refusal rolls the batch back.
                check_precondition(props_pre, Some(out.etag))
            } else {
                self.update_object_props(coll, name, changes, props_pre)
            };
            applied.map_err(|e| (1, e))?;
        }
        Ok(out)
    }

    /// A put whose record carries the old record's dead properties (they keep across a PUT
    /// of new content) with `changes` applied; also whether it wrote them (not when the put
    /// changed nothing).
    fn put_object(
        &mut self,
        coll: &str,
        name: &str,
        object: &Hashed,
        pre: &Precondition,
        changes: &[(String, Option<Vec<u8>>)],
    ) -> Result<(PutOutcome, bool)> {
        let Hashed { object, etag, crc } = object;
        let (etag, crc) = (*etag, *crc);
        check_name(name)?;
        let (id, crec) = self.coll_cached(coll)?.ok_or(StoreError::ParentNotFound)?;
        check_kind(&crec, object.info().kind)?;
        // Only plain collections have child collections.
        if crec.kind == CollectionKind::Plain && self.is_child_collection(id, name)? {
            return Err(StoreError::AlreadyExists);
        }
        let size = object.bytes().len() as u64;
        let mut rec = ObjRec {
            etag,
            crc,
            size,
            seq: self.peek_seq(id)?,
            modified: self.now,
            content_type: object.content_type().to_owned(),
            info: object.info().clone(),
            // Right unless the old record has properties of its own (below).
            props: Props::apply(&[], changes)?,
        };
        // The record's row is written first, and the row it replaced is the old record: one
        // descent of the table for both (a lookup and then an insert cost two). A put that is
        // refused, or changes nothing, puts that row back.
        let encoded = rec.encode();
        let replaced = self
            .objects
            .insert((id, name), encoded.as_slice())?
            .map(|row| row.value().to_vec());
        let checked = match replaced.as_deref().map(ObjRec::decode).transpose() {
            Ok(old) => self
                .may_put(id, name, &crec, &rec, old.as_ref(), pre)
                .map(|go| go.map(|uid_claimed| (uid_claimed, old))),
            Err(e) => Err(e),
        };
        let (uid_claimed, old) = match checked {
            Ok(Some(go)) => go,
            refused_or_unchanged => {
                match &replaced {
                    Some(row) => self.objects.insert((id, name), row.as_slice())?,
                    None => self.objects.remove((id, name))?,
                };
                return refused_or_unchanged.map(|_| {
                    let out = PutOutcome {
                        etag,
                        created: false,
                        changed: false,
                        seq: None,
                    };
                    (out, false)
                });
            }
        };
        let seq = self.log_object(id, name, ChangeKind::Upsert, old.as_ref().map(|o| o.seq))?;
        debug_assert_eq!(seq, rec.seq, "the sequence the record was written with");
        let encoded = match &old {
            Some(o) if !o.props.is_empty() => {
                rec.props = Props::apply(&o.props, changes)?;
                self.write_record(id, name, &rec, true)?
            }
            _ => {
                self.count_props(id, false, !rec.props.is_empty())?;
                encoded
            }
        };
        self.write_rows(
            id,
            name,
            &rec,
            &encoded,
            object.bytes(),
            old.as_ref(),
            uid_claimed,
        )?;
        let old_size = old.as_ref().map_or(0, |o| o.size);
        self.add_usage(&crec.owner, size, old_size)?;
        let out = PutOutcome {
            etag,
            created: old.is_none(),
            changed: true,
            seq: Some(seq),
        };
        Ok((out, true))
    }

    /// The checks of a put of `new` over `old`: `None` when it changes nothing (the same
    /// bytes, as a retried update whose answer was lost sends), else whether it claimed the
    /// UID's row (see [`Tx::claim_uid`], the last check and the put's first index write).
    fn may_put(
        &mut self,
        id: u64,
        name: &str,
        crec: &CollRec,
        new: &ObjRec,
        old: Option<&ObjRec>,
        pre: &Precondition,
    ) -> Result<Option<bool>> {
        let unchanged =
            old.is_some_and(|o| o.etag == new.etag && o.content_type == new.content_type);
        if let Err(e) = check_precondition(pre, old.map(|o| o.etag)) {
            // A retried update whose answer was lost: the bytes are already there.
            if unchanged && matches!(pre, Precondition::IfMatch(_)) {
                return Ok(None);
            }
            return Err(e);
        }
        if unchanged {
            return Ok(None);
        }
        let new_uid = new.info.uid.as_deref();
        let old_uid = old.and_then(|o| o.info.uid.as_deref());
        if old_uid.is_some() && old_uid != new_uid {
            return Err(StoreError::UidConflict {
                existing: name.to_owned(),
            });
        }
        check_limits(crec, new.size, &new.info)?;
        self.check_quota(&crec.owner, new.size, old.map_or(0, |o| o.size))?;
        match new_uid {
            // An object keeping its UID has its row already.
            Some(uid) if old_uid.is_none() => {
                self.claim_uid(id, uid, name)?;
                Ok(Some(true))
            }
            _ => Ok(Some(false)),
        }
    }

    pub fn delete(&mut self, coll: &str, name: &str, pre: &Precondition) -> Result<()> {
        let (id, crec) = self.coll_cached(coll)?.ok_or(StoreError::NotFound)?;
        // Conditionals are ignored when the request would fail without them (RFC 9110 §13.2.1).
        let old = self.obj(id, name)?.ok_or(StoreError::NotFound)?;
        check_precondition(pre, Some(old.etag))?;
        self.log_object(id, name, ChangeKind::Delete, Some(old.seq))?;
        self.keep_props_of_deleted(id, name, &old)?;
        self.remove_object(id, name, &old)?;
        self.add_usage(&crec.owner, 0, old.size)?;
        Ok(())
    }

    /// Copy (or move, when `remove_source`) one object; `pre` applies to the source.
    pub fn transfer(
        &mut self,
        from: (&str, &str),
        to: (&str, &str),
        overwrite: bool,
        pre: &Precondition,
        remove_source: bool,
    ) -> Result<PutOutcome> {
        check_name(to.1)?;
        let (src_id, src_coll) = self.coll_cached(from.0)?.ok_or(StoreError::NotFound)?;
        let src = self.obj(src_id, from.1)?.ok_or(StoreError::NotFound)?;
        check_precondition(pre, Some(src.etag))?;
        let (dst_id, dst_coll) = self.coll_cached(to.0)?.ok_or(StoreError::ParentNotFound)?;
        if src_id == dst_id && from.1 == to.1 {
            return Err(StoreError::WrongKind {
                reason: "source and destination are the same",
            });
        }
        check_kind(&dst_coll, src.info.kind)?;
        if self.is_child_collection(dst_id, to.1)? {
            return Err(StoreError::AlreadyExists);
        }
        let existing = self.obj(dst_id, to.1)?;
        if let (Some(e), false) = (&existing, overwrite) {
            return Err(StoreError::PreconditionFailed {
                current: Some(e.etag),
            });
        }
        // A rename inside one collection keeps its UID: not a conflict with itself.
        let allowed: &[&str] = if remove_source && src_id == dst_id {
            &[to.1, from.1]
        } else {
            &[to.1]
        };
        self.check_uid(dst_id, src.info.uid.as_deref(), allowed)?;
        check_limits(&dst_coll, src.size, &src.info)?;
        let freed = existing.as_ref().map_or(0, |o| o.size)
            + if remove_source && src_coll.owner == dst_coll.owner {
                src.size
            } else {
                0
            };
        self.check_quota(&dst_coll.owner, src.size, freed)?;

        let body = crate::redb_backend::tables::body(&self.bodies, src_id, from.1, &src)?;
        let mut events = src.info.clone();
        self.load_event_instances(src_id, from.1, &mut events)?;
        if remove_source {
            self.log_object(src_id, from.1, ChangeKind::Delete, Some(src.seq))?;
            self.keep_props_of_deleted(src_id, from.1, &src)?;
            self.remove_object(src_id, from.1, &src)?;
            self.add_usage(&src_coll.owner, 0, src.size)?;
        }
        let seq = self.log_object(
            dst_id,
            to.1,
            ChangeKind::Upsert,
            existing.as_ref().map(|o| o.seq),
        )?;
        // COPY and MOVE take the source's dead properties along (RFC 4918 §9.8.2, §9.9.1):
        // they are in its record.
        let mut rec = ObjRec {
            seq,
            modified: self.now,
            ..src.clone()
        };
        rec.info.event_instances = events.event_instances;
        rec.info.floating = events.floating;
        self.write_object(dst_id, to.1, &rec, &body, existing.as_ref())?;
        self.add_usage(
            &dst_coll.owner,
            src.size,
            existing.as_ref().map_or(0, |o| o.size),
        )?;
        Ok(PutOutcome {
            etag: src.etag,
            created: existing.is_none(),
            changed: true,
            seq: Some(seq),
        })
    }
}
