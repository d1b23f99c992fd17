//! For backends: how a `Store::apply` batch is run on a backend's own write transaction, once
//! for every backend. A backend implements [`BatchWriter`] on its transaction (each method is
//! its single-write operation of the same name) and calls [`run_ops`].

use davlite_formats::ParsedObject;

use crate::error::StoreError;
use crate::types::{Collection, Etag, NewCollection, OpOutcome, Precondition, PutOutcome, WriteOp};

type Result<T> = std::result::Result<T, StoreError>;

/// An object with its ETag and checksum, computed on the caller's thread before the write
/// transaction (and its retries) begins, so the transaction spends its time on the writes.
#[derive(Debug, Clone)]
pub struct HashedObject {
    pub object: ParsedObject,
    pub etag: Etag,
    pub crc: u32,
}

impl HashedObject {
    pub fn new(object: ParsedObject) -> HashedObject {
        let etag = Etag::of(object.bytes());
        let crc = crc32fast::hash(object.bytes());
        HashedObject { object, etag, crc }
    }
}

/// A [`WriteOp`] with its object hashed.
#[derive(Debug, Clone)]
pub enum PreparedOp {
    Put {
        coll: String,
        name: String,
        object: HashedObject,
        pre: Precondition,
    },
    Other(WriteOp),
}

impl PreparedOp {
    pub fn new(op: WriteOp) -> PreparedOp {
        match op {
            WriteOp::Put {
                coll,
                name,
                object,
                pre,
            } => PreparedOp::Put {
                coll,
                name,
                object: HashedObject::new(object),
                pre,
            },
            other => PreparedOp::Other(other),
        }
    }
}

/// A backend's write transaction, seen as the six writes a batch may hold.
pub trait BatchWriter {
    fn create_collection(&mut self, path: &str, new: &NewCollection) -> Result<Collection>;
    fn put(
        &mut self,
        coll: &str,
        name: &str,
        object: &HashedObject,
        pre: &Precondition,
    ) -> Result<PutOutcome>;
    /// A put and then a write of the same object's dead properties, the two ops of a batch
    /// that stores an item with state of its own (as a sync client does for every item). On
    /// failure, which of the two failed (0: the put, 1: the properties). A backend that
    /// keeps properties in the object's own row writes the row once.
    #[allow(clippy::too_many_arguments)]
    fn put_with_props(
        &mut self,
        coll: &str,
        name: &str,
        object: &HashedObject,
        pre: &Precondition,
        changes: &[(String, Option<Vec<u8>>)],
        props_pre: &Precondition,
    ) -> std::result::Result<PutOutcome, (usize, StoreError)> {
        let out = self.put(coll, name, object, pre).map_err(|e| (0, e))?;
        self.object_props(coll, name, changes, props_pre)
            .map_err(|e| (1, e))?;
        Ok(out)
    }
    fn delete(&mut self, coll: &str, name: &str, pre: &Precondition) -> Result<()>;
    fn object_props(
        &mut self,
        coll: &str,
        name: &str,
        changes: &[(String, Option<Vec<u8>>)],
        pre: &Precondition,
    ) -> Result<()>;
    /// Checks `expect` against the collection's properties (see [`expected_props`]) after
    /// whatever lock the backend's writers of collection properties take, then writes.
    fn collection_props(
        &mut self,
        path: &str,
        props: &[(String, Option<Vec<u8>>)],
        expect: &[(String, Option<Vec<u8>>)],
    ) -> Result<Collection>;
    fn document(&mut self, name: &str, bytes: &[u8], expected: Option<u64>) -> Result<u64>;
}

/// Runs `ops` in order on `w`; on failure, the index of the op that failed and its error (the
/// caller's transaction must then be rolled back: earlier ops have written).
pub fn run_ops<W: BatchWriter + ?Sized>(
    w: &mut W,
    ops: &[PreparedOp],
) -> std::result::Result<Vec<OpOutcome>, (usize, StoreError)> {
    let mut out = Vec::with_capacity(ops.len());
    let mut fused = false;
    for (i, op) in ops.iter().enumerate() {
        if std::mem::take(&mut fused) {
            continue;
        }
        let done = match op {
            PreparedOp::Put {
                coll,
                name,
                object,
                pre,
            } => match ops.get(i + 1) {
                Some(PreparedOp::Other(WriteOp::ObjectProps {
                    coll: c,
                    name: n,
                    changes,
                    pre: props_pre,
                })) if c == coll && n == name => {
                    let put = w
                        .put_with_props(coll, name, object, pre, changes, props_pre)
                        .map_err(|(at, e)| (i + at, e))?;
                    out.push(OpOutcome::Put(put));
                    out.push(OpOutcome::Props);
                    fused = true;
                    continue;
                }
                _ => w.put(coll, name, object, pre).map(OpOutcome::Put),
            },
            PreparedOp::Other(WriteOp::CreateCollection { path, new }) => {
                w.create_collection(path, new).map(OpOutcome::Collection)
            }
            PreparedOp::Other(WriteOp::Delete { coll, name, pre }) => {
                w.delete(coll, name, pre).map(|()| OpOutcome::Deleted)
            }
            PreparedOp::Other(WriteOp::ObjectProps {
                coll,
                name,
                changes,
                pre,
            }) => w
                .object_props(coll, name, changes, pre)
                .map(|()| OpOutcome::Props),
            PreparedOp::Other(WriteOp::CollectionProps {
                path,
                props,
                expect,
            }) => w
                .collection_props(path, props, expect)
                .map(OpOutcome::Collection),
            PreparedOp::Other(WriteOp::Document {
                name,
                bytes,
                expected,
            }) => w.document(name, bytes, *expected).map(OpOutcome::Document),
            PreparedOp::Other(WriteOp::Put { .. }) => unreachable!("puts are prepared"),
        };
        match done {
            Ok(o) => out.push(o),
            Err(e) => return Err((i, e)),
        }
    }
    Ok(out)
}

/// The check of [`WriteOp::CollectionProps`]'s `expect`: every named property of `current`
/// holds the given value (`None`: the property is absent).
pub fn expected_props(
    current: &std::collections::BTreeMap<String, Vec<u8>>,
    expect: &[(String, Option<Vec<u8>>)],
) -> Result<()> {
    let holds = expect
        .iter()
        .all(|(k, v)| current.get(k).map(Vec::as_slice) == v.as_deref());
    if holds {
        Ok(())
    } else {
        Err(StoreError::PreconditionFailed { current: None })
    }
}
