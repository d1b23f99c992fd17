//! Allocation-free walks over a collection's members, for answers that touch every member (a
//! Depth 1 PROPFIND, an initial sync) or many bodies (a multiget). The caller sees each record
//! borrowed from the snapshot's pages and writes its answer straight from it; a walk can stop and
//! resume after a name, so a streamed answer holds one chunk, never the whole listing.

use std::ops::ControlFlow;

use crate::error::{Result, StoreError};
use crate::redb_backend::codec::ObjHead;
use crate::redb_backend::reader::RedbReader;
use crate::redb_backend::tables::check_body;
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
    pub fn has_object_props(&self, coll: &str) -> Result<bool> {
        let id = self.id_of(coll)?.ok_or(StoreError::NotFound)?;
        let mut rows = self
            .snap()
            .obj_props
            .range((id, "", "")..(id + 1, "", ""))?;
        Ok(rows.next().transpose()?.is_some())
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
        let snap = self.snap();
        let Some(rec) = snap.objects.get((id, name))? else {
            return Ok(None);
        };
        let rec = rec.value();
        let head = ObjHead::decode(rec)?;
        let Some(body) = snap.bodies.get((id, name))? else {
            return Err(StoreError::Corrupt {
                detail: format!("object {name:?} has no body"),
            });
        };
        let bytes = body.value();
        check_body(name, bytes, head.size, head.crc)?;
        Ok(Some(f(&view(&head), bytes)))
    }
}

#[cfg(test)]
mod tests {
    use std::ops::ControlFlow;

    use davlite_formats::{ObjectInfo, ObjectKind, ParsedObject};

    use crate::*;

    fn store_with(n: usize) -> (tempfile::TempDir, Store, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("db"), Options::default()).unwrap();
        let new = NewCollection {
            kind: CollectionKind::Calendar,
            ..Default::default()
        };
        store.create_collection("cal", new).unwrap();
        let mut names = Vec::new();
        for i in 0..n {
            let name = format!("e{i:02}.ics");
            let obj = ParsedObject {
                bytes: format!("body {i}").into_bytes(),
                content_type: "text/calendar".into(),
                info: ObjectInfo {
                    uid: Some(format!("uid-{i}")),
                    kind: ObjectKind::Event,
                    ..Default::default()
                },
            };
            store.put("cal", &name, obj, Precondition::None).unwrap();
            names.push(name);
        }
        (dir, store, names)
    }

    #[test]
    fn scan_resumes_after_a_name_and_sees_every_object_once() {
        let (_dir, store, names) = store_with(50);
        let reader = store.read().unwrap();
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut batch = Vec::new();
            let done = reader
                .scan_objects("cal", after.as_deref(), |name, view| {
                    assert_eq!(view.content_type, "text/calendar");
                    batch.push(name.to_string());
                    if batch.len() == 7 {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                })
                .unwrap();
            after = batch.last().cloned();
            seen.extend(batch);
            if done {
                break;
            }
        }
        assert_eq!(seen, names);
        let listed = reader.list("cal").unwrap();
        let mut n = 0;
        reader
            .scan_objects("cal", None, |name, view| {
                let (_, meta) = listed.iter().find(|(l, _)| l == name).unwrap();
                assert_eq!(
                    (view.etag, view.size, view.seq, view.modified),
                    (meta.etag, meta.size, meta.seq, meta.modified)
                );
                n += 1;
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(n, 50);
        assert!(matches!(
            reader.scan_objects("none", None, |_, _| ControlFlow::Continue(())),
            Err(StoreError::NotFound)
        ));
    }

    #[test]
    fn with_object_borrows_the_checked_body() {
        let (_dir, store, _) = store_with(2);
        let reader = store.read().unwrap();
        let (meta, body) = reader.get("cal", "e01.ics").unwrap().unwrap();
        let got = reader
            .with_object("cal", "e01.ics", |view, bytes| (view.etag, bytes.to_vec()))
            .unwrap()
            .unwrap();
        assert_eq!(got, (meta.etag, body));
        assert!(
            reader
                .with_object("cal", "x.ics", |_, _| ())
                .unwrap()
                .is_none()
        );
        assert!(
            reader
                .with_object("none", "e01.ics", |_, _| ())
                .unwrap()
                .is_none()
        );
    }
}
