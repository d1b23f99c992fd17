//! Dead properties of objects (RFC 4918 §4): any resource may carry properties a client sets
//! with PROPPATCH. They live beside the object, keep across a PUT of new content, follow it on
//! COPY and MOVE, and go with it on DELETE. They are not content: setting one changes neither
//! the ETag nor the collection's sync sequence.

use std::collections::BTreeMap;

use redb::ReadableTable;

use crate::error::{Result, StoreError};
use crate::redb_backend::reader::RedbReader;
use crate::redb_backend::tx::{Tx, check_precondition};
use crate::types::Precondition;

/// Above every Clark name, so `(id, name, "")..(id, name, END)` spans one object's properties.
const END: &str = "\u{10FFFF}";

impl Tx<'_> {
    /// Every dead property of one object.
    pub(crate) fn object_props(&self, id: u64, name: &str) -> Result<Vec<(String, Vec<u8>)>> {
        let mut out = Vec::new();
        for row in self.obj_props.range((id, name, "")..(id, name, END))? {
            let (k, v) = row?;
            out.push((k.value().2.to_owned(), v.value().to_vec()));
        }
        Ok(out)
    }

    pub(crate) fn put_object_props(
        &mut self,
        id: u64,
        name: &str,
        props: &[(String, Vec<u8>)],
    ) -> Result<()> {
        for (k, v) in props {
            self.obj_props
                .insert((id, name, k.as_str()), v.as_slice())?;
        }
        Ok(())
    }

    /// Keeps the dead properties of object `name`, about to be deleted, with its tombstone.
    pub(crate) fn keep_props_of_deleted(&mut self, id: u64, name: &str) -> Result<()> {
        for (k, v) in self.object_props(id, name)? {
            self.tomb_props
                .insert((id, name, k.as_str()), v.as_slice())?;
        }
        Ok(())
    }

    pub(crate) fn drop_tombstone_props(&mut self, id: u64, name: &str) -> Result<()> {
        self.tomb_props
            .retain_in((id, name, "")..(id, name, END), |_, _| false)?;
        Ok(())
    }

    pub(crate) fn drop_object_props(&mut self, id: u64, name: &str) -> Result<()> {
        self.obj_props
            .retain_in((id, name, "")..(id, name, END), |_, _| false)?;
        Ok(())
    }

    /// Sets (`Some`) or removes (`None`) dead properties of an existing object, all or nothing.
    pub(crate) fn update_object_props(
        &mut self,
        coll: &str,
        name: &str,
        changes: &[(String, Option<Vec<u8>>)],
        pre: &Precondition,
    ) -> Result<()> {
        let (id, _) = self.coll_cached(coll)?.ok_or(StoreError::NotFound)?;
        let current = match self.just_put(id, name) {
            Some(etag) => etag,
            None => self.obj(id, name)?.ok_or(StoreError::NotFound)?.etag,
        };
        check_precondition(pre, Some(current))?;
        for (k, v) in changes {
            match v {
                Some(v) => self
                    .obj_props
                    .insert((id, name, k.as_str()), v.as_slice())?,
                None => self.obj_props.remove((id, name, k.as_str()))?,
            };
        }
        Ok(())
    }
}

/// Object `name`'s rows of a property table (live or tombstone): Clark name -> value.
fn props_in(
    table: &redb::ReadOnlyTable<(u64, &'static str, &'static str), &'static [u8]>,
    id: u64,
    name: &str,
) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    for row in table.range((id, name, "")..(id, name, END))? {
        let (k, v) = row?;
        out.insert(k.value().2.to_owned(), v.value().to_vec());
    }
    Ok(out)
}

impl RedbReader {
    /// The dead properties object `name` held when it was deleted, while its tombstone lasts.
    pub fn deleted_object_props(
        &self,
        coll: &str,
        name: &str,
    ) -> Result<BTreeMap<String, Vec<u8>>> {
        match self.id_of(coll)? {
            Some(id) => props_in(&self.snap().tomb_props, id, name),
            None => Ok(BTreeMap::new()),
        }
    }

    /// The dead properties of an object (Clark name -> stored value); empty when it has none
    /// or does not exist.
    pub fn object_props(&self, coll: &str, name: &str) -> Result<BTreeMap<String, Vec<u8>>> {
        match self.id_of(coll)? {
            Some(id) => props_in(&self.snap().obj_props, id, name),
            None => Ok(BTreeMap::new()),
        }
    }
}
