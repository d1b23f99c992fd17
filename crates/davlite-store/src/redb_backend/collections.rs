//! Collection writes. Deleting, moving and copying a collection touch its whole subtree, still
//! in the one transaction of the request.

use redb::ReadableTable;

use crate::error::{Result, StoreError};
use crate::redb_backend::codec::{CollRec, CollState};
use crate::redb_backend::tables::{check_path, children_of, coll_rec, split_parent};
use crate::redb_backend::tx::Tx;
use crate::types::{ChangeKind, Collection, CollectionId, CollectionKind, Limits, NewCollection};

/// Where a new collection (or a moved or copied one) would go: its parent's id (`0` for the
/// root), the parent's owner, and whatever currently occupies the path.
struct Slot {
    parent: u64,
    parent_owner: Option<String>,
    existing: Option<Occupant>,
}

enum Occupant {
    Collection(u64),
    Object(crate::types::Etag),
}

impl Tx<'_> {
    fn slot(&self, path: &str) -> Result<Slot> {
        check_path(path)?;
        let (parent_path, name) = split_parent(path);
        let (parent, parent_owner) = match parent_path {
            None => (0, None),
            Some(p) => {
                let (pid, prec) = self.coll(p)?.ok_or(StoreError::ParentNotFound)?;
                if prec.kind != CollectionKind::Plain {
                    return Err(StoreError::WrongKind {
                        reason: "collections cannot be nested inside calendars or address books",
                    });
                }
                (pid, Some(prec.owner))
            }
        };
        let existing = if let Some(id) = self.paths.get(path)? {
            Some(Occupant::Collection(id.value()))
        } else if parent != 0 {
            self.obj(parent, name)?.map(|o| Occupant::Object(o.etag))
        } else {
            None
        };
        Ok(Slot {
            parent,
            parent_owner,
            existing,
        })
    }

    pub fn collection_at(&mut self, id: u64) -> Result<Collection> {
        let rec = coll_rec(&self.colls, id)?;
        let st = self.get_state(id)?;
        let mut props = std::collections::BTreeMap::new();
        for row in self.props.range((id, "")..(id + 1, ""))? {
            let (k, v) = row?;
            props.insert(k.value().1.to_owned(), v.value().to_vec());
        }
        Ok(collection(id, rec, st, props))
    }

    pub fn create_collection(&mut self, path: &str, new: &NewCollection) -> Result<Collection> {
        self.collections_changing();
        let slot = self.slot(path)?;
        if slot.existing.is_some() {
            return Err(StoreError::AlreadyExists);
        }
        let id = self.next_collection_id()?;
        let rec = CollRec {
            parent: slot.parent,
            path: path.to_owned(),
            kind: new.kind,
            owner: new.owner.clone(),
            limits: new.limits,
        };
        self.insert_collection(id, &rec)?;
        for (k, v) in &new.props {
            self.props.insert((id, k.as_str()), v.as_slice())?;
        }
        if slot.parent != 0 {
            self.log_collection(slot.parent, rec.name(), ChangeKind::Upsert)?;
        }
        self.collection_at(id)
    }

    fn insert_collection(&mut self, id: u64, rec: &CollRec) -> Result<()> {
        self.colls.insert(id, rec.encode().as_slice())?;
        self.paths.insert(rec.path.as_str(), id)?;
        self.children.insert((rec.parent, rec.name()), id)?;
        self.put_state(
            id,
            Some(CollState {
                modified: self.now,
                ..CollState::default()
            }),
        );
        Ok(())
    }

    /// The collection and all its descendants, parents before children.
    fn subtree(&self, id: u64) -> Result<Vec<u64>> {
        let mut out = vec![id];
        let mut i = 0;
        while i < out.len() {
            for (_, child) in children_of(&self.children, out[i])? {
                out.push(child);
            }
            i += 1;
        }
        Ok(out)
    }

    pub fn delete_collection(&mut self, path: &str) -> Result<()> {
        self.collections_changing();
        check_path(path)?;
        let (id, rec) = self.coll(path)?.ok_or(StoreError::NotFound)?;
        self.drop_subtree(id, &rec)?;
        if rec.parent != 0 {
            self.log_collection(rec.parent, rec.name(), ChangeKind::Delete)?;
        }
        Ok(())
    }

    fn drop_subtree(&mut self, id: u64, rec: &CollRec) -> Result<()> {
        self.children.remove((rec.parent, rec.name()))?;
        for cid in self.subtree(id)? {
            let crec = coll_rec(&self.colls, cid)?;
            let mut freed = 0;
            for (name, obj) in self.objects_of(cid)? {
                self.remove_object(cid, &name, &obj)?;
                freed += obj.size;
            }
            self.add_usage(&crec.owner, 0, freed)?;
            let all = (cid, "")..(cid + 1, "");
            self.change_names.retain_in(all.clone(), |_, _| false)?;
            self.props.retain_in(all.clone(), |_, _| false)?;
            self.children.retain_in(all, |_, _| false)?;
            self.tomb_props
                .retain_in((cid, "", "")..(cid + 1, "", ""), |_, _| false)?;
            self.changes
                .retain_in((cid, 0)..=(cid, u64::MAX), |_, _| false)?;
            self.paths.remove(crec.path.as_str())?;
            self.colls.remove(cid)?;
            self.put_state(cid, None);
        }
        Ok(())
    }

    pub fn update_collection(
        &mut self,
        path: &str,
        props: &[(String, Option<Vec<u8>>)],
        limits: Option<Limits>,
    ) -> Result<Collection> {
        self.collections_changing();
        check_path(path)?;
        let (id, mut rec) = self.coll(path)?.ok_or(StoreError::NotFound)?;
        for (k, v) in props {
            match v {
                Some(v) => self.props.insert((id, k.as_str()), v.as_slice())?,
                None => self.props.remove((id, k.as_str()))?,
            };
        }
        if let Some(limits) = limits {
            rec.limits = limits;
            self.colls.insert(id, rec.encode().as_slice())?;
        }
        let mut st = self.get_state(id)?;
        st.modified = self.now;
        self.put_state(id, Some(st));
        if rec.parent != 0 {
            self.log_collection(rec.parent, rec.name(), ChangeKind::Upsert)?;
        }
        self.collection_at(id)
    }

    /// Drops delete tombstones logged at or before `upto` and raises the floor to it: tokens
    /// older than the floor can no longer be served a delta (the deletions are forgotten).
    pub fn prune_changes(&mut self, path: &str, upto: u64) -> Result<u64> {
        check_path(path)?;
        let (id, _) = self.coll(path)?.ok_or(StoreError::NotFound)?;
        let mut st = self.get_state(id)?;
        let upto = upto.min(st.seq);
        if upto <= st.floor {
            return Ok(0);
        }
        let mut dead = Vec::new();
        for row in self.changes.range((id, st.floor + 1)..=(id, upto))? {
            let (k, v) = row?;
            let rec = crate::redb_backend::codec::ChangeRec::decode(v.value())?;
            if rec.kind == ChangeKind::Delete {
                dead.push((k.value().1, rec.name));
            }
        }
        for (seq, name) in &dead {
            self.changes.remove((id, *seq))?;
            self.change_names.remove((id, name.as_str()))?;
            self.drop_tombstone_props(id, name)?;
        }
        st.floor = upto;
        self.put_state(id, Some(st));
        Ok(dead.len() as u64)
    }

    /// Checks shared by move and copy; returns the source and the destination slot.
    fn relocation(&self, from: &str, to: &str, overwrite: bool) -> Result<(u64, CollRec, Slot)> {
        check_path(from)?;
        let (id, rec) = self.coll(from)?.ok_or(StoreError::NotFound)?;
        if from == to {
            return Err(StoreError::WrongKind {
                reason: "source and destination are the same",
            });
        }
        if to.starts_with(from) && to.as_bytes().get(from.len()) == Some(&b'/') {
            return Err(StoreError::WrongKind {
                reason: "a collection cannot go inside itself",
            });
        }
        if from.starts_with(to) && from.as_bytes().get(to.len()) == Some(&b'/') {
            return Err(StoreError::WrongKind {
                reason: "a collection cannot replace one of its ancestors",
            });
        }
        let slot = self.slot(to)?;
        match (&slot.existing, overwrite) {
            (Some(Occupant::Object(etag)), false) => {
                return Err(StoreError::PreconditionFailed {
                    current: Some(*etag),
                });
            }
            (Some(Occupant::Collection(_)), false) => {
                return Err(StoreError::PreconditionFailed { current: None });
            }
            _ => {}
        }
        Ok((id, rec, slot))
    }

    /// Removes what occupies `path` (after the checks of an overwriting move or copy).
    fn clear(&mut self, path: &str, slot: &Slot) -> Result<()> {
        let name = split_parent(path).1;
        match slot.existing {
            None => {}
            Some(Occupant::Collection(id)) => {
                let rec = coll_rec(&self.colls, id)?;
                self.drop_subtree(id, &rec)?;
            }
            Some(Occupant::Object(_)) => {
                let old = self.obj(slot.parent, name)?.ok_or(StoreError::NotFound)?;
                let owner = coll_rec(&self.colls, slot.parent)?.owner;
                self.remove_object(slot.parent, name, &old)?;
                self.add_usage(&owner, 0, old.size)?;
            }
        }
        Ok(())
    }

    pub fn move_collection(&mut self, from: &str, to: &str, overwrite: bool) -> Result<bool> {
        self.collections_changing();
        let (id, rec, slot) = self.relocation(from, to, overwrite)?;
        let created = slot.existing.is_none();
        self.clear(to, &slot)?;
        self.children.remove((rec.parent, rec.name()))?;
        for cid in self.subtree(id)? {
            let mut crec = coll_rec(&self.colls, cid)?;
            self.paths.remove(crec.path.as_str())?;
            crec.path = format!("{to}{}", &crec.path[from.len()..]);
            if cid == id {
                crec.parent = slot.parent;
            }
            self.colls.insert(cid, crec.encode().as_slice())?;
            self.paths.insert(crec.path.as_str(), cid)?;
        }
        let new_name = split_parent(to).1;
        self.children.insert((slot.parent, new_name), id)?;
        if rec.parent != 0 {
            self.log_collection(rec.parent, rec.name(), ChangeKind::Delete)?;
        }
        if slot.parent != 0 {
            self.log_collection(slot.parent, new_name, ChangeKind::Upsert)?;
        }
        Ok(created)
    }

    pub fn copy_collection(&mut self, from: &str, to: &str, overwrite: bool) -> Result<bool> {
        self.collections_changing();
        let (id, _, slot) = self.relocation(from, to, overwrite)?;
        let created = slot.existing.is_none();
        let tree = self.subtree(id)?;
        // Quota first: the copy belongs to the destination's owner when it has a parent.
        let mut total = 0u64;
        let mut owner = None;
        for &cid in &tree {
            let crec = coll_rec(&self.colls, cid)?;
            owner.get_or_insert(slot.parent_owner.clone().unwrap_or(crec.owner));
            // Read every body now, so a corrupt one fails the copy before anything is written.
            for (name, obj) in self.objects_of(cid)? {
                crate::redb_backend::tables::body(&self.bodies, cid, &name, &obj)?;
                total += obj.size;
            }
        }
        let owner = owner.unwrap_or_default();
        self.check_quota(&owner, total, 0)?;
        self.clear(to, &slot)?;
        let mut new_ids = std::collections::HashMap::new();
        for cid in tree {
            let crec = coll_rec(&self.colls, cid)?;
            let nid = self.next_collection_id()?;
            let parent = if cid == id {
                slot.parent
            } else {
                new_ids[&crec.parent]
            };
            new_ids.insert(cid, nid);
            let nrec = CollRec {
                parent,
                path: format!("{to}{}", &crec.path[from.len()..]),
                kind: crec.kind,
                owner: owner.clone(),
                limits: crec.limits,
            };
            self.insert_collection(nid, &nrec)?;
            let props: Vec<(String, Vec<u8>)> = self
                .props
                .range((cid, "")..(cid + 1, ""))?
                .map(|r| r.map(|(k, v)| (k.value().1.to_owned(), v.value().to_vec())))
                .collect::<Result<_, _>>()?;
            for (k, v) in props {
                self.props.insert((nid, k.as_str()), v.as_slice())?;
            }
            for (name, obj) in self.objects_of(cid)? {
                let body = crate::redb_backend::tables::body(&self.bodies, cid, &name, &obj)?;
                let seq = self.log_object(nid, &name, ChangeKind::Upsert, None)?;
                let mut rec = crate::redb_backend::codec::ObjRec {
                    seq,
                    modified: self.now,
                    ..obj
                };
                self.load_event_instances(cid, &name, &mut rec.info)?;
                // The record carries the object's dead properties along.
                self.write_object(nid, &name, &rec, &body, None)?;
                self.add_usage(&owner, rec.size, 0)?;
            }
            if cid != id {
                self.log_collection(parent, nrec.name(), ChangeKind::Upsert)?;
            }
        }
        if slot.parent != 0 {
            self.log_collection(slot.parent, split_parent(to).1, ChangeKind::Upsert)?;
        }
        Ok(created)
    }
}

pub(crate) fn collection(
    id: u64,
    rec: CollRec,
    st: CollState,
    props: std::collections::BTreeMap<String, Vec<u8>>,
) -> Collection {
    Collection {
        id: CollectionId(id),
        path: rec.path,
        kind: rec.kind,
        owner: rec.owner,
        limits: rec.limits,
        props,
        seq: st.seq,
        floor: st.floor,
        modified: st.modified,
    }
}
