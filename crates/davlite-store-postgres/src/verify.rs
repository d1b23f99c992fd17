//! Whole-database consistency check on one snapshot, the same invariants the embedded backend
//! checks: every body matches its crc32, size and ETag; the UID index agrees with the objects;
//! every object's last change is logged at its sequence number; the change log agrees with what
//! lives; usage matches the sum of the sizes; the directory of collections is a tree whose paths
//! agree with their parents; instance rows are well formed.

use std::collections::HashMap;

use davlite_formats::ObjectKind;
use davlite_store::{StoreError, VerifyReport};

use crate::conn::{Conn, Result};
use crate::rows::*;

const PAGE: i64 = 200;

struct CollInfo {
    owner: String,
    path: String,
    seq: u64,
}

pub(crate) fn verify(conn: &mut Conn, progress: &mut dyn FnMut(u64)) -> Result<VerifyReport> {
    let mut r = VerifyReport::default();
    let mut colls: HashMap<i64, CollInfo> = HashMap::new();

    let rows = conn.query(
        "SELECT c.id, c.owner, c.path, c.parent_id, s.seq, s.floor \
         FROM collections c LEFT JOIN collection_state s ON s.owner = c.owner AND s.id = c.id",
        &[],
    )?;
    for row in &rows {
        let id: i64 = row.get(0);
        r.collections += 1;
        let seq: Option<i64> = row.get(4);
        if seq.is_none() {
            r.problems.push(format!("collection {id}: no state"));
        }
        colls.insert(
            id,
            CollInfo {
                owner: row.get(1),
                path: row.get(2),
                seq: seq.map_or(0, from_db),
            },
        );
    }
    for row in &rows {
        let id: i64 = row.get(0);
        let path: &str = row.get(2);
        let parent: i64 = row.get(3);
        let expected_parent = path.rsplit_once('/').map(|(p, _)| p);
        match (parent, expected_parent) {
            (0, None) => {}
            (0, Some(_)) => r
                .problems
                .push(format!("collection {id}: nested path {path:?} at the root")),
            (p, want) => match colls.get(&p) {
                None => r
                    .problems
                    .push(format!("collection {id}: parent {p} does not exist")),
                Some(pc) if Some(pc.path.as_str()) != want => r.problems.push(format!(
                    "collection {id}: path {path:?} does not continue its parent's {:?}",
                    pc.path
                )),
                Some(_) => {}
            },
        }
    }
    let orphan_states: i64 = conn
        .query_one(
            "SELECT count(*) FROM collection_state s WHERE NOT EXISTS \
             (SELECT 1 FROM collections c WHERE c.owner = s.owner AND c.id = s.id)",
            &[],
        )?
        .get(0);
    if orphan_states != 0 {
        r.problems.push(format!(
            "{orphan_states} collection state rows without a collection"
        ));
    }

    // Objects, a page at a time (bodies included), in key order.
    let mut usage: HashMap<String, u64> = HashMap::new();
    let mut key: (String, i64, String) = (String::new(), i64::MIN, String::new());
    loop {
        let rows = conn.query(
            concat!(
                "SELECT o.owner, o.coll, o.name, ",
                obj_cols!(),
                ", o.event_instances, o.body, \
                 (SELECT ch.seq FROM changes ch WHERE ch.owner = o.owner AND ch.coll = o.coll \
                   AND ch.name = o.name AND NOT ch.deleted AND NOT ch.is_collection), \
                 (SELECT u.name FROM objects u WHERE o.uid IS NOT NULL AND u.owner = o.owner \
                   AND u.coll = o.coll AND u.uid = o.uid) \
                 FROM objects o WHERE (o.owner, o.coll, o.name) > ($1, $2, $3) \
                 ORDER BY o.owner, o.coll, o.name LIMIT $4"
            ),
            &[&key.0, &key.1, &key.2, &PAGE],
        )?;
        for row in &rows {
            let owner: String = row.get(0);
            let id: i64 = row.get(1);
            let name: String = row.get(2);
            r.objects += 1;
            if r.objects % 256 == 0 {
                progress(r.objects);
            }
            let at = format!("object {id}/{name:?}");
            let rec = match obj_row(row, 3) {
                Ok(rec) => rec,
                Err(e) => {
                    r.problems.push(format!("{at}: {e}"));
                    continue;
                }
            };
            let instances: Option<&[u8]> = row.get(3 + OBJ_COLS);
            let body: &[u8] = row.get(4 + OBJ_COLS);
            let logged: Option<i64> = row.get(5 + OBJ_COLS);
            let uid_holder: Option<String> = row.get(6 + OBJ_COLS);
            r.body_bytes += body.len() as u64;
            if check_body(&name, body, rec.size, rec.crc).is_err() {
                r.problems.push(format!("{at}: body fails its checksum"));
            } else if davlite_store::Etag::of(body) != rec.etag {
                r.problems
                    .push(format!("{at}: etag does not match the body"));
            }
            match colls.get(&id) {
                None => r
                    .problems
                    .push(format!("{at}: in a collection that does not exist")),
                Some(c) => {
                    if c.owner != owner {
                        r.problems.push(format!(
                            "{at}: owner {owner:?} is not its collection's {:?}",
                            c.owner
                        ));
                    }
                    if rec.seq > c.seq {
                        r.problems.push(format!(
                            "{at}: seq {} ahead of its collection ({})",
                            rec.seq, c.seq
                        ));
                    }
                }
            }
            if let Some(uid) = &rec.uid {
                if uid_holder.as_deref() != Some(name.as_str()) {
                    r.problems
                        .push(format!("{at}: UID {uid:?} not indexed to it"));
                }
            }
            if logged.map(from_db) != Some(rec.seq) {
                r.problems.push(format!(
                    "{at}: its last change is not logged at seq {}",
                    rec.seq
                ));
            }
            if let Some(row) = instances {
                if let Some(problem) = instances_problem(rec.kind, row, &name)? {
                    r.problems
                        .push(format!("instance row {id}/{name:?}: {problem}"));
                }
            }
            *usage.entry(owner.clone()).or_default() += rec.size;
            key = (owner, id, name);
        }
        if (rows.len() as i64) < PAGE {
            break;
        }
    }

    // The change log: every entry of a live collection, no further than its sequence, and
    // agreeing with what lives under its name.
    let rows = conn.query(
        "SELECT ch.owner, ch.coll, ch.name, ch.seq, ch.deleted, ch.is_collection, \
         EXISTS (SELECT 1 FROM objects o WHERE o.owner = ch.owner AND o.coll = ch.coll \
                 AND o.name = ch.name), \
         EXISTS (SELECT 1 FROM collections k WHERE k.parent_id = ch.coll \
                 AND k.path = (SELECT c.path FROM collections c WHERE c.id = ch.coll) \
                              || '/' || ch.name) \
         FROM changes ch",
        &[],
    )?;
    for row in &rows {
        let id: i64 = row.get(1);
        let name: &str = row.get(2);
        let seq = from_db(row.get(3));
        let deleted: bool = row.get(4);
        let is_coll: bool = row.get(5);
        r.changes += 1;
        let Some(c) = colls.get(&id) else {
            r.problems
                .push(format!("change {id}/{seq} of a missing collection"));
            continue;
        };
        let owner: &str = row.get(0);
        if owner != c.owner {
            r.problems
                .push(format!("change {id}/{seq} under the wrong owner {owner:?}"));
        }
        if seq > c.seq {
            r.problems.push(format!(
                "change {id}/{seq} ahead of its collection ({})",
                c.seq
            ));
        }
        let live: bool = if is_coll { row.get(7) } else { row.get(6) };
        if live == deleted {
            r.problems.push(format!(
                "change {id}/{seq} ({}) disagrees with {name:?}",
                if deleted { "Delete" } else { "Upsert" }
            ));
        }
    }

    let orphan_props: i64 = conn
        .query_one(
            "SELECT count(*) FROM object_props p WHERE NOT EXISTS (SELECT 1 FROM objects o \
             WHERE o.owner = p.owner AND o.coll = p.coll AND o.name = p.name)",
            &[],
        )?
        .get(0);
    if orphan_props != 0 {
        r.problems.push(format!(
            "{orphan_props} object properties without an object"
        ));
    }

    let mut stored: HashMap<String, u64> = HashMap::new();
    for row in conn.query("SELECT owner, bytes FROM usage WHERE bytes <> 0", &[])? {
        stored.insert(row.get(0), from_db(row.get(1)));
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
/// and non-empty.
fn instances_problem(kind: ObjectKind, row: &[u8], name: &str) -> Result<Option<String>> {
    if kind != ObjectKind::Event {
        return Ok(Some(format!("object is a {kind:?}")));
    }
    let spans = match pairs(row, name) {
        Ok(p) => p,
        Err(StoreError::Corrupt { detail }) => return Ok(Some(detail)),
        Err(e) => return Err(e),
    };
    let mut last = i64::MIN;
    for p in spans {
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
