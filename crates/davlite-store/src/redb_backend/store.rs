//! The store handle: opening, routing writes through the committer, and snapshot reads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use davlite_formats::ParsedObject;
use parking_lot::Mutex;
use redb::{Database, ReadableTable, Table};

use crate::batch::{PreparedOp, run_ops};
use crate::error::{Result, StorageError, StoreError};
use crate::reader::Reader;
use crate::redb_backend::codec::{BodyRow, Props};
use crate::redb_backend::commit::{Committer, Engine, Job, call};
use crate::redb_backend::reader::RedbReader;
use crate::redb_backend::tables::*;
use crate::redb_backend::tx::Tx;
use crate::stats::CommitStats;
use crate::types::*;

/// The embedded backend: one redb file. Cheap to clone; all clones share one committer.
#[derive(Clone)]
pub struct RedbStore {
    pub(crate) engine: Arc<Engine>,
    committer: Option<Arc<Committer>>,
    /// A snapshot and the commit generation whose state it holds exactly, so consecutive reads
    /// without a commit in between share one read transaction.
    cache: Arc<Mutex<Option<(u64, Reader)>>>,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore")
            .field("group_commit", &self.committer.is_some())
            .finish()
    }
}

impl RedbStore {
    /// Opens the store at `path`, creating the file if it does not exist.
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<RedbStore> {
        let db = Database::builder()
            .set_cache_size(options.cache_bytes)
            .create(path.as_ref())?;
        Self::start(db, Some(path.as_ref().to_path_buf()), options)
    }

    /// A store that lives in memory only, for tests and scratch use.
    pub fn in_memory(options: Options) -> Result<RedbStore> {
        let db = Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())?;
        Self::with_database(db, options)
    }

    pub(crate) fn with_database(db: Database, options: Options) -> Result<RedbStore> {
        Self::start(db, None, options)
    }

    fn start(db: Database, file: Option<PathBuf>, options: Options) -> Result<RedbStore> {
        init(&db)?;
        let engine = Arc::new(Engine::new(db, file, &options));
        let committer = if options.group_commit {
            let c = Committer::start(engine.clone()).map_err(|e| {
                StoreError::Storage(StorageError::msg(format!("cannot start committer: {e}")))
            })?;
            Some(Arc::new(c))
        } else {
            None
        };
        Ok(RedbStore {
            engine,
            committer,
            cache: Arc::new(Mutex::new(None)),
        })
    }

    /// Runs a write: through the committer's next batch, or alone on this thread.
    pub(crate) fn write<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.submit(f, false)
    }

    /// Runs a write that may fail after its first changes in a transaction of its own, aborted
    /// when it fails (see the `commit` module).
    pub(crate) fn write_alone<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.submit(f, true)
    }

    fn submit<T, F>(&self, f: F, alone: bool) -> Result<T>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        call(f, alone, |job: Box<dyn Job>| match &self.committer {
            Some(c) => c.submit(job),
            None => self.engine.run_batch(vec![job]),
        })
    }

    /// A consistent snapshot including every write acknowledged before this call.
    pub fn read(&self) -> Result<Reader> {
        if self.engine.is_poisoned() {
            // The cached snapshot holds the old handle's file lock; reopening needs it gone.
            self.cache.lock().take();
        }
        // A sequence lock (see `Engine::generation`). Reads must never go back in time: a
        // snapshot begun during a commit may already see it, so it is shared only when the
        // generation was even and unchanged across its beginning, and a cached one is used only
        // while no commit has started since. Labelling a snapshot with the generation alone,
        // bumped after the commit, once let a snapshot older than one already answered be
        // shared under the same label.
        let generation = self.engine.generation.load(Ordering::Acquire);
        let settled = generation % 2 == 0;
        if settled {
            if let Some((g, r)) = &*self.cache.lock() {
                if *g == generation {
                    return Ok(r.clone());
                }
            }
        }
        let reader = Reader::new(Arc::new(RedbReader::begin(&*self.engine.db()?)?));
        // Orders the re-check after the beginning of the read transaction.
        std::sync::atomic::fence(Ordering::SeqCst);
        if settled && self.engine.generation.load(Ordering::Acquire) == generation {
            let mut cache = self.cache.lock();
            if cache.as_ref().is_none_or(|(g, _)| *g < generation) {
                *cache = Some((generation, reader.clone()));
            }
        }
        Ok(reader)
    }

    /// Batch sizes and commit (fsync) times of the write path since the store was opened.
    /// Reads a few atomics; never touches the database.
    pub fn commit_stats(&self) -> CommitStats {
        self.engine.stats.read()
    }

    // ----- collections -----

    /// Creates a collection; its parent (all but the last segment) must be a plain collection.
    pub fn create_collection(&self, path: &str, new: NewCollection) -> Result<Collection> {
        let path = path.to_owned();
        self.write(move |tx| tx.create_collection(&path, &new))
    }

    /// Deletes a collection with all its descendants and members, in one transaction.
    pub fn delete_collection(&self, path: &str) -> Result<()> {
        let path = path.to_owned();
        self.write(move |tx| tx.delete_collection(&path))
    }

    /// Sets (`Some`) or removes (`None`) properties and optionally replaces the limits, all or
    /// nothing.
    pub fn update_collection(
        &self,
        path: &str,
        props: Vec<(String, Option<Vec<u8>>)>,
        limits: Option<Limits>,
    ) -> Result<Collection> {
        let path = path.to_owned();
        self.write(move |tx| tx.update_collection(&path, &props, limits))
    }

    /// Moves a collection with its subtree; returns whether the destination was created (not
    /// overwritten). The collection keeps its id, so its sync tokens stay valid.
    pub fn move_collection(&self, from: &str, to: &str, overwrite: bool) -> Result<bool> {
        let (from, to) = (from.to_owned(), to.to_owned());
        self.write(move |tx| tx.move_collection(&from, &to, overwrite))
    }

    /// Deep-copies a collection; the copies get new ids and fresh change logs.
    pub fn copy_collection(&self, from: &str, to: &str, overwrite: bool) -> Result<bool> {
        let (from, to) = (from.to_owned(), to.to_owned());
        self.write(move |tx| tx.copy_collection(&from, &to, overwrite))
    }

    /// Sets (`Some`) or removes (`None`) dead properties of an existing object, all or nothing,
    /// if `pre` holds for its current ETag (checked in the same transaction).
    /// Neither the ETag nor the sync sequence changes: properties are not content.
    pub fn update_object_props(
        &self,
        coll: &str,
        name: &str,
        changes: Vec<(String, Option<Vec<u8>>)>,
        pre: Precondition,
    ) -> Result<()> {
        let (coll, name) = (coll.to_owned(), name.to_owned());
        self.write(move |tx| tx.update_object_props(&coll, &name, &changes, &pre))
    }

    /// Forgets deletions logged at or before sequence `upto` and raises the collection's floor
    /// to it (sync tokens below it become invalid); returns how many tombstones were dropped.
    /// The log otherwise keeps one entry per name ever seen, so the floor never moves by itself.
    pub fn prune_changes(&self, path: &str, upto: u64) -> Result<u64> {
        let path = path.to_owned();
        self.write(move |tx| tx.prune_changes(&path, upto))
    }

    // ----- objects -----

    /// Stores an object under `coll/name` if every check holds (see the crate docs).
    pub fn put(
        &self,
        coll: &str,
        name: &str,
        object: ParsedObject,
        pre: Precondition,
    ) -> Result<PutOutcome> {
        let (coll, name) = (coll.to_owned(), name.to_owned());
        let object = crate::redb_backend::objects::Hashed::new(object);
        self.write(move |tx| {
            tx.put(&coll, &name, &object, &pre, None)
                .map_err(|(_, e)| e)
        })
    }

    /// Deletes an object; `NotFound` when it does not exist, whatever the precondition.
    pub fn delete(&self, coll: &str, name: &str, pre: Precondition) -> Result<()> {
        let (coll, name) = (coll.to_owned(), name.to_owned());
        self.write(move |tx| tx.delete(&coll, &name, &pre))
    }

    /// Copies (`remove == false`) or moves an object in one transaction.
    pub fn transfer(
        &self,
        from: (&str, &str),
        to: (&str, &str),
        overwrite: bool,
        pre: Precondition,
        remove: bool,
    ) -> Result<PutOutcome> {
        let (f0, f1, t0, t1) = (
            from.0.to_owned(),
            from.1.to_owned(),
            to.0.to_owned(),
            to.1.to_owned(),
        );
        self.write(move |tx| tx.transfer((&f0, &f1), (&t0, &t1), overwrite, &pre, remove))
    }

    /// Applies several writes in one transaction of their own; see [`crate::Store::apply`].
    pub fn apply(&self, ops: Vec<WriteOp>) -> std::result::Result<Vec<OpOutcome>, ApplyError> {
        let ops: Vec<PreparedOp> = ops.into_iter().map(PreparedOp::new).collect();
        // Shared with the job, so the last reference, and the freeing of every body, stays on
        // this thread rather than taking the committer's time from the next batch.
        let ops = Arc::new(ops);
        let job_ops = Arc::clone(&ops);
        let failed = Arc::new(std::sync::atomic::AtomicUsize::new(usize::MAX));
        let at = failed.clone();
        let out = self.write_alone(move |tx| {
            run_ops(tx, &job_ops).map_err(|(i, e)| {
                at.store(i, Ordering::Relaxed);
                e
            })
        });
        drop(ops);
        out.map_err(|error| {
            let i = failed.load(Ordering::Relaxed);
            ApplyError {
                // A storage failure aborts the transaction whichever op was running.
                op: (i != usize::MAX && !matches!(error, StoreError::Storage(_))).then_some(i),
                error,
            }
        })
    }

    /// The quota policy in force.
    pub fn quota_policy(&self) -> QuotaPolicy {
        (**self.engine.quota.read()).clone()
    }

    /// Replaces the quota policy (the default and every per-owner limit). Writes whose batch
    /// begins afterwards are checked against it, inside their own write transaction.
    pub fn set_owner_quotas(&self, policy: QuotaPolicy) {
        *self.engine.quota.write() = Arc::new(policy);
    }

    /// Checks every record and index of a fresh snapshot; see [`VerifyReport`].
    pub fn verify(&self) -> Result<VerifyReport> {
        self.verify_with_progress(&mut |_| {})
    }

    /// As [`RedbStore::verify`], calling `progress` with the number of objects checked so far.
    pub fn verify_with_progress(&self, progress: &mut dyn FnMut(u64)) -> Result<VerifyReport> {
        crate::redb_backend::verify::verify(&RedbReader::begin(&*self.engine.db()?)?, progress)
    }
}

/// Creates every table (so read transactions can open them) and checks the format version.
fn init(db: &Database) -> Result<()> {
    let txn = db.begin_write()?;
    let mut earlier = false;
    {
        let mut tx = Tx::open(&txn, 0, Default::default())?;
        let format = tx.meta.get("format")?.map(|g| g.value());
        match format {
            None => {}
            Some(1) => {
                records_into_body_rows(&tx.objects, &mut tx.bodies)?;
                live_names_out_of_change_names(&tx.objects, &mut tx.change_names)?;
                earlier = true;
            }
            Some(2) => {
                live_names_out_of_change_names(&tx.objects, &mut tx.change_names)?;
                earlier = true;
            }
            Some(3) => earlier = true,
            Some(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(StoreError::Corrupt {
                    detail: format!("unknown store format {v} (this build reads {FORMAT_VERSION})"),
                });
            }
        }
        if format != Some(FORMAT_VERSION) {
            tx.meta.insert("format", FORMAT_VERSION)?;
        }
        if earlier {
            let rows = txn.open_table(OBJ_PROPS)?;
            object_props_into_records(&mut tx, &rows)?;
        }
        tx.flush()?;
    }
    if earlier {
        txn.delete_table(OBJ_PROPS)?;
    }
    txn.commit()?;
    Ok(())
}

/// Format 3 -> 4: an object's dead properties move from their rows in OBJ_PROPS to the end of
/// its record (see `ObjRec::props`), and its collection's state says it has some. A row
/// without an object (which `verify` of format 3 did not look for) is dropped with the table.
fn object_props_into_records(
    tx: &mut Tx<'_>,
    rows: &Table<'_, (u64, &'static str, &'static str), &'static [u8]>,
) -> Result<()> {
    let mut each: BTreeMap<(u64, String), BTreeMap<String, Vec<u8>>> = BTreeMap::new();
    for row in rows.iter()? {
        let (k, v) = row?;
        let (id, name, prop) = k.value();
        each.entry((id, name.to_owned()))
            .or_default()
            .insert(prop.to_owned(), v.value().to_vec());
    }
    for ((id, name), props) in each {
        let Some(mut rec) = tx.obj(id, &name)? else {
            continue;
        };
        rec.props = Props::encode(&props);
        tx.write_record(id, &name, &rec, false)?;
    }
    Ok(())
}

/// Format 2 -> 3: a live object's change-log entry is found from its record, so its row in
/// CHANGE_NAMES goes (see `Tx::log_object`). Its instance row, if it has one, stays valid.
fn live_names_out_of_change_names(
    objects: &Table<'_, (u64, &'static str), &'static [u8]>,
    change_names: &mut Table<'_, (u64, &'static str), u64>,
) -> Result<()> {
    for row in objects.iter()? {
        let (k, _) = row?;
        let (id, name) = k.value();
        change_names.remove((id, name))?;
    }
    Ok(())
}

/// Format 1 -> 2: each body row gets its object's record in front (see `BodyRow`). Runs in the
/// opening write transaction with the format change, so a crash leaves format 1 behind, to be
/// rewritten at the next open. A body without an object (which `verify` reports) is left as
/// it is.
fn records_into_body_rows(
    objects: &Table<'_, (u64, &'static str), &'static [u8]>,
    bodies: &mut Table<'_, (u64, &'static str), &'static [u8]>,
) -> Result<()> {
    for row in objects.iter()? {
        let (k, rec) = row?;
        let (id, name) = k.value();
        let Some(body) = bodies.get((id, name))?.map(|g| g.value().to_vec()) else {
            continue;
        };
        let rec = rec.value();
        let mut out = bodies.insert_reserve((id, name), BodyRow::len(rec, &body))?;
        BodyRow::write(out.as_mut(), rec, &body);
    }
    Ok(())
}
