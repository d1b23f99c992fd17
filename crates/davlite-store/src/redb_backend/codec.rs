//! On-disk record encodings. All integers little-endian; strings and byte strings are prefixed
//! with their u32 length. Every record starts with a version byte so the format can evolve.

use std::collections::BTreeMap;

use davlite_formats::{ComponentSet, ObjectInfo, ObjectKind, TimeSpan};

use crate::error::{Result, StoreError};
use crate::types::{ChangeKind, CollectionKind, Etag, Limits};

const VERSION: u8 = 1;

/// The tag before an object record's span when the span is also the event's one instance
/// (store format 3; 1 is a span alone, 0 no span).
const SPAN_IS_INSTANCE: u8 = 2;

#[derive(Default)]
pub(crate) struct Enc(pub Vec<u8>);

impl Enc {
    pub fn new() -> Self {
        Self::with_room(0)
    }
    /// Room for a whole object record with its strings and `more` bytes: grown from one byte,
    /// a record was reallocated five times per write.
    pub fn with_room(more: usize) -> Self {
        let mut out = Vec::with_capacity(192 + more);
        out.push(VERSION);
        Enc(out)
    }
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.u32(v.len() as u32);
        self.0.extend_from_slice(v);
        self
    }
    pub fn str(&mut self, v: &str) -> &mut Self {
        self.bytes(v.as_bytes())
    }
    pub fn opt_u64(&mut self, v: Option<u64>) -> &mut Self {
        match v {
            Some(v) => self.u8(1).u64(v),
            None => self.u8(0),
        }
    }
    pub fn opt_i64(&mut self, v: Option<i64>) -> &mut Self {
        match v {
            Some(v) => self.u8(1).i64(v),
            None => self.u8(0),
        }
    }
    pub fn opt_str(&mut self, v: Option<&str>) -> &mut Self {
        match v {
            Some(v) => self.u8(1).str(v),
            None => self.u8(0),
        }
    }
}

pub(crate) struct Dec<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Dec<'a> {
    pub fn new(buf: &'a [u8], what: &'static str) -> Result<Self> {
        let mut d = Dec { buf, what };
        let v = d.u8()?;
        if v != VERSION {
            return Err(d.bad());
        }
        Ok(d)
    }
    /// A decoder of bytes that carry no version byte of their own (a section of a record).
    fn section(buf: &'a [u8], what: &'static str) -> Self {
        Dec { buf, what }
    }
    fn bad(&self) -> StoreError {
        StoreError::Corrupt {
            detail: format!("undecodable {} record", self.what),
        }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.buf.len() < n {
            return Err(self.bad());
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    pub fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    pub fn str(&mut self) -> Result<&'a str> {
        let b = self.bytes()?;
        std::str::from_utf8(b).map_err(|_| self.bad())
    }
    /// An object's span and whether it is also its one instance ([`SPAN_IS_INSTANCE`]).
    fn span(&mut self) -> Result<(Option<TimeSpan>, bool)> {
        let tag = self.u8()?;
        if tag > SPAN_IS_INSTANCE {
            return Err(self.bad());
        }
        if tag == 0 {
            return Ok((None, false));
        }
        let span = TimeSpan {
            start: self.i64()?,
            end: self.i64()?,
        };
        Ok((Some(span), tag == SPAN_IS_INSTANCE))
    }
    fn flag(&mut self) -> Result<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.bad()),
        }
    }
    pub fn opt_u64(&mut self) -> Result<Option<u64>> {
        Ok(if self.flag()? {
            Some(self.u64()?)
        } else {
            None
        })
    }
    pub fn opt_i64(&mut self) -> Result<Option<i64>> {
        Ok(if self.flag()? {
            Some(self.i64()?)
        } else {
            None
        })
    }
    pub fn opt_str(&mut self) -> Result<Option<&'a str>> {
        Ok(if self.flag()? {
            Some(self.str()?)
        } else {
            None
        })
    }
    pub fn end(self) -> Result<()> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(self.bad())
        }
    }
}

fn kind_code(k: CollectionKind) -> u8 {
    match k {
        CollectionKind::Plain => 0,
        CollectionKind::Calendar => 1,
        CollectionKind::AddressBook => 2,
    }
}

/// The static part of a collection: changes only through collection operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CollRec {
    pub parent: u64,
    pub path: String,
    pub kind: CollectionKind,
    pub owner: String,
    pub limits: Limits,
}

impl CollRec {
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut e = Enc::new();
        let l = &self.limits;
        e.u64(self.parent)
            .str(&self.path)
            .u8(kind_code(self.kind))
            .str(&self.owner);
        e.opt_u64(l.max_resource_size)
            .u8(l.components.0)
            .opt_i64(l.min_date)
            .opt_i64(l.max_date);
        e.opt_u64(l.max_instances)
            .opt_u64(l.max_attendees.map(u64::from));
        e.0
    }

    pub fn decode(buf: &[u8]) -> Result<CollRec> {
        let mut d = Dec::new(buf, "collection")?;
        let parent = d.u64()?;
        let path = d.str()?.to_owned();
        let kind = match d.u8()? {
            0 => CollectionKind::Plain,
            1 => CollectionKind::Calendar,
            2 => CollectionKind::AddressBook,
            _ => return Err(d.bad()),
        };
        let owner = d.str()?.to_owned();
        let limits = Limits {
            max_resource_size: d.opt_u64()?,
            components: ComponentSet(d.u8()?),
            min_date: d.opt_i64()?,
            max_date: d.opt_i64()?,
            max_instances: d.opt_u64()?,
            max_attendees: d.opt_u64()?.map(|v| v.min(u32::MAX as u64) as u32),
        };
        d.end()?;
        Ok(CollRec {
            parent,
            path,
            kind,
            owner,
            limits,
        })
    }
}

/// The hot part of a collection, rewritten by every change of a member: kept apart from
/// [`CollRec`] so a put does not re-encode paths and limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct CollState {
    pub seq: u64,
    pub floor: u64,
    pub modified: i64,
    /// Which span-length classes have ever held an entry (see `spans.rs`); only grows.
    pub span_classes: u128,
    /// How many members hold dead properties (format 4): while none does, a listing asked for
    /// properties it does not compute need not read any member's
    /// (`RedbReader::has_object_props`).
    pub with_props: u64,
}

impl CollState {
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Enc::new();
        e.u64(self.seq).u64(self.floor).i64(self.modified);
        e.0.extend_from_slice(&self.span_classes.to_le_bytes());
        e.u64(self.with_props);
        e.0
    }

    /// A state of format 3 ends before `with_props`: its properties were rows of their own,
    /// and opening the store counts them in (`store::init`).
    pub fn decode(buf: &[u8]) -> Result<CollState> {
        let mut d = Dec::new(buf, "collection state")?;
        let seq = d.u64()?;
        let floor = d.u64()?;
        let modified = d.i64()?;
        let span_classes = u128::from_le_bytes(d.array()?);
        let with_props = if d.buf.is_empty() { 0 } else { d.u64()? };
        d.end()?;
        Ok(CollState {
            seq,
            floor,
            modified,
            span_classes,
            with_props,
        })
    }
}

/// An object's metadata record: everything but the body. `info.event_instances` is part of it
/// only when the event has exactly one instance, its span, read without a floating zone (see
/// [`ObjRec::single_instance`]): decoded, it is then that one span; a longer list lives in the
/// INSTANCES table, which only the query reads, and decodes as `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjRec {
    pub etag: Etag,
    pub crc: u32,
    pub size: u64,
    pub seq: u64,
    pub modified: i64,
    pub content_type: String,
    pub info: ObjectInfo,
    /// The object's dead properties, encoded (see [`Props`]), or empty when it has none. They
    /// end the object table's row (format 4): a sync client records its state beside every
    /// item it stores, and a row of its own in a separate table cost each such item one more
    /// tree insert. The body row's copy of the record leaves them out (see [`BodyRow`]).
    pub props: Vec<u8>,
}

impl ObjRec {
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Enc::with_room(self.props.len());
        e.0.extend_from_slice(&self.etag.0);
        e.u32(self.crc)
            .u64(self.size)
            .u64(self.seq)
            .i64(self.modified)
            .str(&self.content_type);
        let i = &self.info;
        e.u8(i.kind.code()).opt_str(i.uid.as_deref());
        match i.span {
            Some(s) if Self::single_instance(i) => e.u8(SPAN_IS_INSTANCE).i64(s.start).i64(s.end),
            Some(s) => e.u8(1).i64(s.start).i64(s.end),
            None => e.u8(0),
        };
        e.opt_u64(i.instances)
            .u32(i.max_attendees)
            .opt_i64(i.earliest)
            .opt_i64(i.latest);
        e.0.extend_from_slice(&self.props);
        e.0
    }

    /// Of `encoded`, this record's encoding, the part a body row keeps: all but the dead
    /// properties.
    pub fn without_props<'e>(&self, encoded: &'e [u8]) -> &'e [u8] {
        &encoded[..encoded.len() - self.props.len()]
    }

    pub fn decode(buf: &[u8]) -> Result<ObjRec> {
        let mut d = Dec::new(buf, "object")?;
        let head = ObjHead::read(&mut d)?;
        let kind = ObjectKind::from_code(d.u8()?).ok_or_else(|| d.bad())?;
        let uid = d.opt_str()?.map(str::to_owned);
        let (span, single) = d.span()?;
        let info = ObjectInfo {
            uid,
            kind,
            span,
            instances: d.opt_u64()?,
            max_attendees: d.u32()?,
            earliest: d.opt_i64()?,
            latest: d.opt_i64()?,
            event_instances: span.filter(|_| single).map(|s| vec![s]),
            floating: false,
        };
        let props = d.buf;
        Props::check(props)?;
        Ok(ObjRec {
            etag: head.etag,
            crc: head.crc,
            size: head.size,
            seq: head.seq,
            modified: head.modified,
            content_type: head.content_type.to_owned(),
            info,
            props: props.to_vec(),
        })
    }

    /// Whether the event's instance list is exactly its span, not read in a floating zone: the
    /// record then says so (format 3) and the INSTANCES table holds no row for it. Most events
    /// are single and fixed in time; their row repeated the span and cost each write a tree
    /// insert.
    pub fn single_instance(info: &ObjectInfo) -> bool {
        !info.floating
            && matches!((&info.event_instances, info.span), (Some(list), Some(span)) if list.as_slice() == [span])
    }

    /// The one instance of an event whose record holds it (see [`ObjRec::single_instance`]),
    /// read from the stored bytes without decoding the rest.
    pub fn stored_single_instance(buf: &[u8]) -> Result<Option<TimeSpan>> {
        let mut d = Dec::new(buf, "object")?;
        ObjHead::read(&mut d)?;
        d.u8()?;
        d.opt_str()?;
        let (span, single) = d.span()?;
        Ok(span.filter(|_| single))
    }
}

/// The leading fields of an [`ObjRec`], borrowed from the stored record: a listing of 10,000
/// members needs only these, and decoding them allocates nothing.
pub(crate) struct ObjHead<'a> {
    pub etag: Etag,
    pub crc: u32,
    pub size: u64,
    pub seq: u64,
    pub modified: i64,
    pub content_type: &'a str,
}

impl<'a> ObjHead<'a> {
    pub fn decode(buf: &'a [u8]) -> Result<ObjHead<'a>> {
        Self::read(&mut Dec::new(buf, "object")?)
    }

    /// The head from a record's decoder, left at the kind that follows it.
    fn read(d: &mut Dec<'a>) -> Result<ObjHead<'a>> {
        Ok(ObjHead {
            etag: Etag(d.array()?),
            crc: d.u32()?,
            size: d.u64()?,
            seq: d.u64()?,
            modified: d.i64()?,
            content_type: d.str()?,
        })
    }
}

/// An object's dead properties as its record ends with them: their number (u32), then each
/// Clark name and value (length-prefixed), in name order, names unique. No properties, no
/// bytes at all, so a record of format 3 reads as one without properties.
pub(crate) struct Props;

impl Props {
    fn read<'a>(
        raw: &'a [u8],
        mut each: impl FnMut(&'a str, &'a [u8]) -> Result<()>,
    ) -> Result<()> {
        if raw.is_empty() {
            return Ok(());
        }
        let mut d = Dec::section(raw, "object properties");
        let mut last: Option<&str> = None;
        for _ in 0..d.u32()? {
            let name = d.str()?;
            if last.is_some_and(|l| l >= name) {
                return Err(d.bad());
            }
            each(name, d.bytes()?)?;
            last = Some(name);
        }
        d.end()
    }

    /// Fails with `Corrupt` unless `raw` is a well-formed section.
    pub fn check(raw: &[u8]) -> Result<()> {
        Self::read(raw, |_, _| Ok(()))
    }

    pub fn decode(raw: &[u8]) -> Result<BTreeMap<String, Vec<u8>>> {
        let mut out = BTreeMap::new();
        Self::read(raw, |k, v| {
            out.insert(k.to_owned(), v.to_vec());
            Ok(())
        })?;
        Ok(out)
    }

    /// The section of `props`.
    pub fn encode<K: AsRef<str>, V: AsRef<[u8]>>(props: &BTreeMap<K, V>) -> Vec<u8> {
        if props.is_empty() {
            return Vec::new();
        }
        let len = props
            .iter()
            .fold(4, |n, (k, v)| n + 8 + k.as_ref().len() + v.as_ref().len());
        let mut e = Enc(Vec::with_capacity(len));
        e.u32(props.len() as u32);
        for (k, v) in props {
            e.str(k.as_ref()).bytes(v.as_ref());
        }
        e.0
    }

    /// The section `raw` with `changes` made (`Some` sets a property, `None` removes it),
    /// without copying a name or value into a map of its own.
    pub fn apply(raw: &[u8], changes: &[(String, Option<Vec<u8>>)]) -> Result<Vec<u8>> {
        if changes.is_empty() {
            return Ok(raw.to_vec());
        }
        let mut props: BTreeMap<&str, &[u8]> = BTreeMap::new();
        Self::read(raw, |k, v| {
            props.insert(k, v);
            Ok(())
        })?;
        for (k, v) in changes {
            match v {
                Some(v) => props.insert(k, v),
                None => props.remove(k.as_str()),
            };
        }
        Ok(Self::encode(&props))
    }
}

/// A row of the body table: the object's record (the very bytes of its row in the object
/// table, but for the dead properties that end that row) followed by the body. A GET needs
/// both, and this way finds them with one tree descent instead of two; at a million objects
/// each descent is four levels of pages, and the second one was most of what made a GET cost
/// more in a big store than in a small one. The object table keeps its own copy so listings
/// never touch bodies.
///
/// Layout: the record's length (u32, little-endian), the record, the body.
pub(crate) struct BodyRow<'a> {
    pub rec: &'a [u8],
    pub body: &'a [u8],
}

impl<'a> BodyRow<'a> {
    /// Bytes of the row holding `rec` and `body`.
    pub fn len(rec: &[u8], body: &[u8]) -> usize {
        4 + rec.len() + body.len()
    }

    /// Writes the row into `out`, which is exactly [`BodyRow::len`] bytes long.
    pub fn write(out: &mut [u8], rec: &[u8], body: &[u8]) {
        let (len, rest) = out.split_at_mut(4);
        len.copy_from_slice(&(rec.len() as u32).to_le_bytes());
        let (r, b) = rest.split_at_mut(rec.len());
        r.copy_from_slice(rec);
        b.copy_from_slice(body);
    }

    pub fn encode(rec: &[u8], body: &[u8]) -> Vec<u8> {
        let mut out = vec![0; Self::len(rec, body)];
        Self::write(&mut out, rec, body);
        out
    }

    pub fn split(row: &'a [u8]) -> Result<BodyRow<'a>> {
        let bad = || StoreError::Corrupt {
            detail: "undecodable body row".into(),
        };
        let (len, rest) = row.split_first_chunk::<4>().ok_or_else(bad)?;
        let len = u32::from_le_bytes(*len) as usize;
        if rest.len() < len {
            return Err(bad());
        }
        let (rec, body) = rest.split_at(len);
        Ok(BodyRow { rec, body })
    }
}

/// A change-log entry: the last operation on one member name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChangeRec {
    pub name: String,
    pub kind: ChangeKind,
    pub is_collection: bool,
}

impl ChangeRec {
    /// The record of a change to `name` (the fields of a `ChangeRec`, borrowed: the writer
    /// need not own a copy of the name).
    pub fn encode(name: &str, kind: ChangeKind, is_collection: bool) -> Vec<u8> {
        let mut e = Enc::new();
        let k = match kind {
            ChangeKind::Upsert => 0,
            ChangeKind::Delete => 1,
        };
        e.u8(k).u8(is_collection as u8).str(name);
        e.0
    }

    pub fn decode(buf: &[u8]) -> Result<ChangeRec> {
        let mut d = Dec::new(buf, "change")?;
        let kind = match d.u8()? {
            0 => ChangeKind::Upsert,
            1 => ChangeKind::Delete,
            _ => return Err(d.bad()),
        };
        let is_collection = d.flag()?;
        let name = d.str()?.to_owned();
        d.end()?;
        Ok(ChangeRec {
            name,
            kind,
            is_collection,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_record_round_trips_and_rejects_truncation() {
        let rec = ObjRec {
            etag: Etag::of(b"x"),
            crc: 7,
            size: 1,
            seq: 9,
            modified: -5,
            content_type: "text/calendar".into(),
            info: ObjectInfo {
                uid: Some("u@x".into()),
                kind: ObjectKind::Event,
                span: Some(TimeSpan {
                    start: i64::MIN,
                    end: 10,
                }),
                instances: None,
                max_attendees: 3,
                earliest: Some(1),
                latest: None,
                // Not part of the record: kept in the INSTANCES table.
                event_instances: None,
                floating: false,
            },
            props: Vec::new(),
        };
        let buf = rec.encode();
        assert_eq!(ObjRec::decode(&buf).unwrap(), rec);
        assert!(matches!(
            ObjRec::decode(&buf[..buf.len() - 1]),
            Err(StoreError::Corrupt { .. })
        ));
    }
}
