//! Whole-store consistency check: every record decodes, every body matches its crc32 and ETag,
//! and every index row agrees with the records in both directions (UID index <-> objects, span
//! index <-> objects, change log <-> sequence numbers, usage <-> sizes, paths <-> collections).

use std::collections::HashMap;

use redb::ReadableTable;

use crate::error::{Result, StoreError};
use crate::redb_backend::codec::{BodyRow, ChangeRec, CollRec, CollState, ObjHead, ObjRec};
use crate::redb_backend::instances;
use crate::redb_backend::reader::RedbReader;
use crate::redb_backend::spans;
use crate::redb_backend::store::RedbStore;
use crate::redb_backend::tables::check_body;
use crate::types::{ChangeKind, Etag, VerifyReport};

/// How many objects between two calls of a verify's progress callback.
const PROGRESS_EVERY: u64 = 256;

pub(crate) fn verify(reader: &RedbReader, progress: &mut dyn FnMut(u64)) -> Result<VerifyReport> {
    let s = reader.snap();
    let mut r = VerifyReport::default();
    let mut states: HashMap<u64, CollState> = HashMap::new();
    let mut owners: HashMap<u64, String> = HashMap::new();

    for row in s.colls.iter()? {
        let (k, v) = row?;
        let id = k.value();
        r.collections += 1;
        let rec = match CollRec::decode(v.value()) {
            Ok(rec) => rec,
            Err(e) => {
                r.problems.push(format!("collection {id}: {e}"));
                continue;
            }
        };
        if s.paths.get(rec.path.as_str())?.map(|g| g.value()) != Some(id) {
            r.problems.push(format!(
                "collection {id}: path {:?} does not lead to it",
                rec.path
            ));
        }
        if s.children.get((rec.parent, rec.name()))?.map(|g| g.value()) != Some(id) {
            r.problems.push(format!(
                "collection {id}: missing from its parent's children"
            ));
        }
        if rec.parent != 0 && s.colls.get(rec.parent)?.is_none() {
            r.problems.push(format!(
                "collection {id}: parent {} does not exist",
                rec.parent
            ));
        }
        match s.state.get(id)?.map(|g| CollState::decode(g.value())) {
            Some(Ok(st)) => {
                states.insert(id, st);
            }
            Some(Err(e)) => r.problems.push(format!("collection {id} state: {e}")),
            None => r.problems.push(format!("collection {id}: no state")),
        }
        owners.insert(id, rec.owner);
    }
    for row in s.paths.iter()? {
        let (k, v) = row?;
        if !owners.contains_key(&v.value()) {
            r.problems.push(format!(
                "path {:?} names missing collection {}",
                k.value(),
                v.value()
            ));
        }
    }

    let mut usage: HashMap<String, u64> = HashMap::new();
    let mut with_props: HashMap<u64, u64> = HashMap::new();
    for row in s.objects.iter()? {
        let (k, v) = row?;
        let (id, name) = k.value();
        r.objects += 1;
        if r.objects % PROGRESS_EVERY == 0 {
            progress(r.objects);
        }
        let at = format!("object {id}/{name:?}");
        let rec_bytes = v.value();
        let rec = match ObjRec::decode(rec_bytes) {
            Ok(rec) => rec,
            Err(e) => {
                r.problems.push(format!("{at}: {e}"));
                continue;
            }
        };
        let Some(st) = states.get(&id) else {
            r.problems
                .push(format!("{at}: in a collection that does not exist"));
            continue;
        };
        if !rec.props.is_empty() {
            *with_props.entry(id).or_default() += 1;
        }
        match s.bodies.get((id, name))? {
            None => r.problems.push(format!("{at}: no body")),
            Some(row) => match BodyRow::split(row.value()) {
                Err(e) => r.problems.push(format!("{at}: {e}")),
                Ok(row) if row.rec != rec.without_props(rec_bytes) => r
                    .problems
                    .push(format!("{at}: its body row holds another record")),
                Ok(BodyRow { body: b, .. }) => {
                    r.body_bytes += b.len() as u64;
                    if check_body(name, b, rec.size, rec.crc).is_err() {
                        r.problems.push(format!("{at}: body fails its checksum"));
                    } else if Etag::of(b) != rec.etag {
                        r.problems
                            .push(format!("{at}: etag does not match the body"));
                    }
                }
            },
        }
        if let Some(uid) = &rec.info.uid {
            if s.uids
                .get((id, uid.as_str()))?
                .map(|g| g.value().to_owned())
                .as_deref()
                != Some(name)
            {
                r.problems
                    .push(format!("{at}: UID {uid:?} not indexed to it"));
            }
        }
        if let Some(span) = rec.info.span {
            let key = (id, spans::class(span), span.start, name);
            if s.spans.get(key)?.map(|g| g.value()) != Some(span.end) {
                r.problems.push(format!("{at}: span not indexed"));
            }
            if st.span_classes & spans::class_bit(spans::class(span)) == 0 {
                r.problems
                    .push(format!("{at}: span class not recorded in its collection"));
            }
        }
        if rec.seq > st.seq {
            r.problems.push(format!(
                "{at}: seq {} ahead of its collection ({})",
                rec.seq, st.seq
            ));
        }
        // A live object's entry is found from its record; only names without one keep a row
        // in CHANGE_NAMES (`Tx::log_object`).
        let logged = match s.changes.get((id, rec.seq))? {
            Some(g) => {
                let c = ChangeRec::decode(g.value())?;
                c.name == name && c.kind == ChangeKind::Upsert && !c.is_collection
            }
            None => false,
        };
        if !logged {
            r.problems.push(format!(
                "{at}: its last change is not logged at seq {}",
                rec.seq
            ));
        }
        if s.change_names.get((id, name))?.is_some() {
            r.problems
                .push(format!("{at}: a change-name row beside a live object"));
        }
        if let Some(owner) = owners.get(&id) {
            *usage.entry(owner.clone()).or_default() += rec.size;
        }
    }
    for row in s.bodies.iter()? {
        let (k, _) = row?;
        let (id, name) = k.value();
        if s.objects.get((id, name))?.is_none() {
            r.problems
                .push(format!("body {id}/{name:?} without an object"));
        }
    }
    for row in s.uids.iter()? {
        let (k, v) = row?;
        let (id, uid) = k.value();
        let holder = v.value();
        let ok = match s.objects.get((id, holder))? {
            Some(g) => ObjRec::decode(g.value())?.info.uid.as_deref() == Some(uid),
            None => false,
        };
        if !ok {
            r.problems.push(format!(
                "UID {uid:?} in {id} indexed to {holder:?}, which lacks it"
            ));
        }
    }
    for row in s.spans.iter()? {
        let (k, v) = row?;
        let (id, class, start, name) = k.value();
        let ok = match s.objects.get((id, name))? {
            Some(g) => ObjRec::decode(g.value())?.info.span.is_some_and(|sp| {
                sp.start == start && sp.end == v.value() && spans::class(sp) == class
            }),
            None => false,
        };
        if !ok {
            r.problems
                .push(format!("span row {id}/{name:?} does not match an object"));
        }
    }
    for row in s.instances.iter()? {
        let (k, v) = row?;
        let (id, name) = k.value();
        let at = format!("instance row {id}/{name:?}");
        let rec = match s.objects.get((id, name))? {
            Some(g) => ObjRec::decode(g.value())?,
            None => {
                r.problems.push(format!("{at} without an object"));
                continue;
            }
        };
        if let Some(problem) = instances_problem(&rec, v.value(), name)? {
            r.problems.push(format!("{at}: {problem}"));
        }
    }
    for (id, st) in &states {
        let counted = with_props.get(id).copied().unwrap_or(0);
        if st.with_props != counted {
            r.problems.push(format!(
                "collection {id}: state counts {} members with dead properties, {counted} have some",
                st.with_props
            ));
        }
    }
    for row in s.changes.iter()? {
        let (k, v) = row?;
        let (id, seq) = k.value();
        r.changes += 1;
        let Some(st) = states.get(&id) else {
            r.problems
                .push(format!("change {id}/{seq} of a missing collection"));
            continue;
        };
        if seq > st.seq {
            r.problems.push(format!(
                "change {id}/{seq} ahead of its collection ({})",
                st.seq
            ));
        }
        let rec = ChangeRec::decode(v.value())?;
        let last = if rec.kind == ChangeKind::Upsert && !rec.is_collection {
            match s.objects.get((id, rec.name.as_str()))? {
                Some(g) => ObjHead::decode(g.value())?.seq,
                None => 0,
            }
        } else {
            s.change_names
                .get((id, rec.name.as_str()))?
                .map_or(0, |g| g.value())
        };
        if last != seq {
            r.problems.push(format!(
                "change {id}/{seq} is not the last one of {:?}",
                rec.name
            ));
        }
        let live = if rec.is_collection {
            s.children.get((id, rec.name.as_str()))?.is_some()
        } else {
            s.objects.get((id, rec.name.as_str()))?.is_some()
        };
        if live != (rec.kind == ChangeKind::Upsert) {
            r.problems.push(format!(
                "change {id}/{seq} ({:?}) disagrees with {:?}",
                rec.kind, rec.name
            ));
        }
    }
    for row in s.change_names.iter()? {
        let (k, v) = row?;
        let (id, name) = k.value();
        if s.changes.get((id, v.value()))?.is_none() {
            r.problems.push(format!(
                "change name {id}/{name:?} points to a missing entry"
            ));
        }
    }
    let mut stored: HashMap<String, u64> = HashMap::new();
    for row in s.usage.iter()? {
        let (k, v) = row?;
        stored.insert(k.value().to_owned(), v.value());
    }
    usage.retain(|_, v| *v != 0);
    if stored != usage {
        r.problems.push(format!(
            "usage table {stored:?} differs from object sizes {usage:?}"
        ));
    }
    Ok(r)
}

/// What is wrong with an object's instance row: only events have one, and its spans are sorted
/// and non-empty. That they lie inside the object's span is not required: the span is read
/// by the parser's own zone rules, the instances by the filter evaluator's, and for a few
/// TZIDs the two differ (the query then answers only what both agree on, as without the row).
fn instances_problem(rec: &ObjRec, row: &[u8], name: &str) -> Result<Option<String>> {
    if rec.info.kind != davlite_formats::ObjectKind::Event {
        return Ok(Some(format!("object is a {:?}", rec.info.kind)));
    }
    if ObjRec::single_instance(&rec.info) {
        return Ok(Some("the object's record holds its one instance".into()));
    }
    let pairs = match instances::pairs(row, name) {
        Ok(p) => p,
        Err(StoreError::Corrupt { detail }) => return Ok(Some(detail)),
        Err(e) => return Err(e),
    };
    let mut last = i64::MIN;
    for p in pairs {
        if p.start < last {
            return Ok(Some("not sorted by start".into()));
        }
        last = p.start;
        if p.start >= p.end {
            return Ok(Some(format!("empty instance {}..{}", p.start, p.end)));
        }
    }
    Ok(None)
}

/// What verify (and every read) must catch, made on purpose.
impl RedbStore {
    /// For the conformance suite's harness only: rewrites the stored body of `coll/name` with
    /// its middle byte flipped, leaving the object record (and so its crc) as it was, so the
    /// next read of it must answer `Corrupt`. `NotFound` when there is no such body.
    #[doc(hidden)]
    pub fn corrupt_body_for_tests(&self, coll: &str, name: &str) -> Result<()> {
        let (coll, name) = (coll.to_owned(), name.to_owned());
        self.write(move |tx| {
            let Some((id, _)) = tx.coll(&coll)? else {
                return Err(StoreError::NotFound);
            };
            let (rec, mut body) = match tx.bodies.get((id, name.as_str()))? {
                Some(row) => {
                    let row = BodyRow::split(row.value())?;
                    (row.rec.to_vec(), row.body.to_vec())
                }
                None => return Err(StoreError::NotFound),
            };
            if body.is_empty() {
                // Nothing to flip: make the length disagree with the record instead.
                body.push(0);
            } else {
                let at = body.len() / 2;
                body[at] ^= 0x20;
            }
            tx.bodies
                .insert((id, name.as_str()), BodyRow::encode(&rec, &body).as_slice())?;
            Ok(())
        })
    }
}
