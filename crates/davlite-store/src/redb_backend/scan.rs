//! Allocation-free walks over a collection's members, for answers that touch every member (a
//! Depth 1 PROPFIND, an initial sync) or many bodies (a multiget). The caller sees each record
//! borrowed from the snapshot's pages and writes its answer straight from it; a walk can stop and
//! resume after a name, so a streamed answer holds one chunk, never the whole listing.

use std::ops::ControlFlow;

use crate::error::{Result, StoreError};
use crate::redb_backend::codec::{BodyRow, ObjHead};
use crate::redb_backend::reader::RedbReader;
use crate::redb_backend::tables::{check_body, coll_state};
use crate::types::ObjectView;

fn view<'a>(head: &ObjHead<'a>) -> ObjectView<'a> {
    ObjectView {
        etag: head.etag,
        size: head.size,
        modified: head.modified,
        seq: head.seq,
        content_type: head.content_type,
    }
}

impl RedbReader {
    /// Visits the objects of `coll` in name order, starting after `after` (`None`: from the
    /// first), until `visit` breaks. Returns whether the walk reached the end.
    pub fn scan_objects(
        &self,
        coll: &str,
        after: Option<&str>,
        mut visit: impl FnMut(&str, &ObjectView<'_>) -> ControlFlow<()>,
    ) -> Result<bool> {
        let id = self.id_of(coll)?.ok_or(StoreError::NotFound)?;
        let objects = &self.snap().objects;
        let rows = match after {
            // A name sorts right after itself followed by NUL, and names hold no NUL.
            Some(a) => objects.range((id, format!("{a}\0").as_str())..(id + 1, ""))?,
            None => objects.range((id, "")..(id + 1, ""))?,
        };
        for row in rows {
            let (k, v) = row?;
            let key = k.value();
            let rec = v.value();
            let head = ObjHead::decode(rec)?;
            if visit(key.1, &view(&head)).is_break() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Whether any object of `coll` has a dead property: when none has, a listing can answer
    /// "not found" for every property name it does not compute without a lookup per member.
    /// The collection's state counts them (`CollState::with_props`).
    pub fn has_object_props(&self, coll: &str) -> Result<bool> {
        let id = self.id_of(coll)?.ok_or(StoreError::NotFound)?;
        Ok(coll_state(&self.snap().state, id)?.with_props > 0)
    }

    /// Runs `f` on an object's record and body, both borrowed; the body is checked against its
    /// crc32 first (`Corrupt` rather than wrong bytes). `None` when there is no such object.
    pub fn with_object<R>(
        &self,
        coll: &str,
        name: &str,
        f: impl FnOnce(&ObjectView<'_>, &[u8]) -> R,
    ) -> Result<Option<R>> {
        let Some(id) = self.id_of(coll)? else {
            return Ok(None);
        };
        // One descent: the body row carries the record (see `BodyRow`).
        let Some(row) = self.snap().bodies.get((id, name))? else {
            return Ok(None);
        };
        let row = BodyRow::split(row.value())?;
        let head = ObjHead::decode(row.rec)?;
        check_body(name, row.body, head.size, head.crc)?;
        Ok(Some(f(&view(&head), row.body)))
    }
}
