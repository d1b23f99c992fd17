//! Group commit. Writers hand their request to one committer thread as a closure over [`Tx`];
//! the committer drains everything queued into one redb write transaction, commits it with one
//! fsync and only then answers each request. Requests that fail their checks wrote nothing
//! (every operation checks before it writes), so they simply get their error; a storage error
//! or a panic aborts the whole transaction and every request in it gets that error.
//!
//! A request of several writes (`Store::apply`) may fail its checks after its first writes, so
//! it cannot share a transaction: it is *alone*, run in a transaction of its own after the
//! shared batch it arrived with, and that transaction is aborted when the request fails.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use redb::Database;

use crate::error::{Result, StorageError, StoreError};
use crate::redb_backend::tx::Tx;
use crate::stats::CommitRecorder;
use crate::types::{Durability, QuotaPolicy};

/// One request inside a batch.
pub(crate) trait Job: Send {
    /// Applies the request; returns an error that must abort the whole batch.
    fn run(&mut self, tx: &mut Tx<'_>) -> Option<StoreError>;
    /// Whether the request needs a transaction of its own, aborted if it fails.
    fn alone(&self) -> bool {
        false
    }
    /// After `run` of a request that is alone: whether it failed, so its transaction must be
    /// aborted (its answer is its own error, not a batch error).
    fn refused(&self) -> bool {
        false
    }
    /// Answers the request once the batch's fate is known.
    fn finish(self: Box<Self>, batch_error: Option<&StoreError>);
}

pub(crate) struct Call<F, T> {
    f: Option<F>,
    out: Option<Result<T>>,
    reply: SyncSender<Result<T>>,
    alone: bool,
}

impl<F, T> Call<F, T> {
    pub fn new(f: F, reply: SyncSender<Result<T>>, alone: bool) -> Self {
        Call {
            f: Some(f),
            out: None,
            reply,
            alone,
        }
    }
}

impl<F, T> Job for Call<F, T>
where
    F: FnOnce(&mut Tx<'_>) -> Result<T> + Send,
    T: Send,
{
    fn run(&mut self, tx: &mut Tx<'_>) -> Option<StoreError> {
        let f = self.f.take()?;
        let out = f(tx);
        let fatal = match &out {
            Err(e @ StoreError::Storage(_)) => Some(e.clone()),
            // Below the reserve, `DiskFull` is a refusal of this request alone; otherwise it
            // came from an I/O error, which poisons the transaction.
            Err(e @ StoreError::DiskFull) if !tx.low_space => Some(e.clone()),
            _ => None,
        };
        self.out = Some(out);
        fatal
    }

    fn alone(&self) -> bool {
        self.alone
    }

    fn refused(&self) -> bool {
        self.alone && matches!(self.out, Some(Err(_)))
    }

    fn finish(self: Box<Self>, batch_error: Option<&StoreError>) {
        let answer = match (batch_error, self.out) {
            (None, Some(out)) => out,
            (Some(e), _) => Err(e.clone()),
            (None, None) => Err(StoreError::Storage(StorageError::msg(
                "request was never run",
            ))),
        };
        let _ = self.reply.send(answer);
    }
}

/// What the committer and the writing threads share.
pub(crate) struct Engine {
    /// Replaced after an I/O error (see [`Engine::recover`]); take a clone for each use.
    db: parking_lot::RwLock<Arc<Database>>,
    /// The store file, for the free-space check and for reopening; `None` in memory.
    pub file: Option<PathBuf>,
    /// See [`crate::Options::min_free_bytes`].
    pub min_free_bytes: u64,
    /// See [`crate::Options::cache_bytes`], for reopening.
    cache_bytes: usize,
    /// An I/O error failed a commit: redb refuses everything afterwards (`PreviousIo`) until
    /// the database is opened again.
    poisoned: AtomicBool,
    pub durability: Durability,
    /// Swapped whole by [`crate::RedbStore::set_owner_quotas`]; each batch takes the current one.
    pub quota: parking_lot::RwLock<Arc<QuotaPolicy>>,
    /// A sequence lock over commits, so readers can share a snapshot: odd while a commit is
    /// under way (a snapshot begun then may or may not see it), even otherwise, and raised by 2
    /// per commit and by a reopen. A snapshot begun and found complete with the same even value
    /// before and after holds exactly that generation's state; see [`crate::RedbStore::read`].
    pub generation: AtomicU64,
    /// Held across a commit and its two generation bumps: inline writers (no committer
    /// thread) overlap there, redb releasing its write lock inside `commit`, and interleaved
    /// bumps would show an even generation while a commit is under way.
    commit_lock: parking_lot::Mutex<()>,
    /// Batch sizes and commit times, for [`crate::RedbStore::commit_stats`].
    pub stats: CommitRecorder,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Engine {
    pub fn new(db: Database, file: Option<PathBuf>, options: &crate::types::Options) -> Engine {
        Engine {
            db: parking_lot::RwLock::new(Arc::new(db)),
            file,
            min_free_bytes: options.min_free_bytes,
            cache_bytes: options.cache_bytes,
            poisoned: AtomicBool::new(false),
            durability: options.durability,
            quota: parking_lot::RwLock::new(Arc::new(QuotaPolicy {
                default: options.owner_quota,
                owners: Default::default(),
            })),
            generation: AtomicU64::new(0),
            commit_lock: parking_lot::Mutex::new(()),
            stats: CommitRecorder::new(),
        }
    }

    pub fn is_poisoned(&self) -> bool {
        self.poisoned.load(Ordering::Acquire)
    }

    /// The database, reopened first if an I/O error poisoned it.
    pub fn db(&self) -> Result<Arc<Database>> {
        if self.poisoned.load(Ordering::Acquire) {
            self.recover()?;
        }
        Ok(self.db.read().clone())
    }

    /// Opens the file again after an I/O error, so a disk that filled up and was freed serves
    /// writes again without a restart. What was committed before is intact (redb commits are
    /// atomic); the failed batch was never acknowledged. Fails while snapshots of the old
    /// handle are still open (they hold its file lock); the next read or write tries again.
    fn recover(&self) -> Result<()> {
        let Some(file) = &self.file else {
            return Err(StoreError::Storage(StorageError::msg(
                "an I/O error poisoned the in-memory store",
            )));
        };
        let mut db = self.db.write();
        if !self.poisoned.load(Ordering::Acquire) {
            return Ok(());
        }
        // The old handle closes once the last snapshot taken from it is gone.
        let placeholder =
            Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())?;
        drop(std::mem::replace(&mut *db, Arc::new(placeholder)));
        match Database::builder()
            .set_cache_size(self.cache_bytes)
            .create(file)
        {
            Ok(fresh) => {
                *db = Arc::new(fresh);
                self.poisoned.store(false, Ordering::Release);
                // Snapshots cached by generation must not outlive the old handle.
                self.generation.fetch_add(2, Ordering::AcqRel);
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the file system holding the store is below its free-space reserve.
    fn low_on_space(&self) -> bool {
        let Some(dir) = self.file.as_deref().and_then(Path::parent) else {
            return false;
        };
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        match rustix::fs::statvfs(dir) {
            Ok(st) => st.f_bavail.saturating_mul(st.f_frsize) < self.min_free_bytes,
            Err(_) => false,
        }
    }

    /// Runs the jobs in one transaction and answers them all; each job that must be alone then
    /// runs in a transaction of its own.
    pub fn run_batch(&self, jobs: Vec<Box<dyn Job>>) {
        let (alone, shared): (Vec<_>, Vec<_>) = jobs.into_iter().partition(|j| j.alone());
        if !shared.is_empty() {
            self.run_transaction(shared);
        }
        for job in alone {
            self.run_transaction(vec![job]);
        }
    }

    fn run_transaction(&self, mut jobs: Vec<Box<dyn Job>>) {
        let start = Instant::now();
        let outcome = self.apply(&mut jobs);
        match &outcome {
            Ok(None) => {}
            Ok(Some(commit_time)) => {
                self.stats
                    .committed(jobs.len(), start.elapsed(), *commit_time);
            }
            Err(e) => {
                self.stats.failed();
                if matches!(e, StoreError::Storage(_) | StoreError::DiskFull) {
                    self.poisoned.store(true, Ordering::Release);
                }
            }
        }
        let err = outcome.err();
        for job in jobs {
            job.finish(err.as_ref());
        }
    }

    /// Runs the jobs and commits; returns how long the commit itself (the fsync) took, or
    /// `None` when a job that is alone failed and its transaction was aborted.
    fn apply(&self, jobs: &mut [Box<dyn Job>]) -> Result<Option<Duration>> {
        let db = self.db()?;
        let low_space = self.low_on_space();
        let mut txn = db.begin_write()?;
        if self.durability == Durability::Relaxed {
            txn.set_durability(redb::Durability::None)?;
        }
        let mut fatal = None;
        {
            let mut tx = Tx::open(&txn, now(), self.quota.read().clone())?;
            tx.low_space = low_space;
            for job in jobs.iter_mut() {
                let ran = catch_unwind(AssertUnwindSafe(|| job.run(&mut tx)));
                let err = ran.unwrap_or_else(|_| {
                    Some(StoreError::Storage(StorageError::msg("a request panicked")))
                });
                if let Some(e) = err {
                    fatal = Some(e);
                    break;
                }
                if job.refused() {
                    drop(tx);
                    let _ = txn.abort();
                    return Ok(None);
                }
            }
            if fatal.is_none() {
                if let Err(e) = tx.flush() {
                    fatal = Some(e);
                }
            }
        }
        if let Some(e) = fatal {
            let _ = txn.abort();
            return Err(e);
        }
        let commit_start = Instant::now();
        // Readers that begin while the generation is odd neither use nor fill the shared
        // snapshot: the commit becomes visible somewhere inside `commit`, so a snapshot begun
        // now is not known to be before or after it.
        let committed = {
            let _one_at_a_time = self.commit_lock.lock();
            self.generation.fetch_add(1, Ordering::AcqRel);
            let committed = txn.commit();
            self.generation.fetch_add(1, Ordering::AcqRel);
            committed
        };
        committed?;
        Ok(Some(commit_start.elapsed()))
    }
}

/// Sends a request through `run`, which applies it (inline or via the committer), and waits for
/// its answer.
pub(crate) fn call<T, F>(f: F, alone: bool, run: impl FnOnce(Box<dyn Job>)) -> Result<T>
where
    F: FnOnce(&mut Tx<'_>) -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    let (reply, rx) = sync_channel(1);
    run(Box::new(Call::new(f, reply, alone)));
    rx.recv()
        .unwrap_or_else(|_| Err(StoreError::Storage(StorageError::msg("store shut down"))))
}

struct Queue {
    jobs: Mutex<Vec<Box<dyn Job>>>,
    ready: Condvar,
    stop: AtomicBool,
}

/// The committer thread; stopping it (on drop) first finishes what is queued.
pub(crate) struct Committer {
    queue: Arc<Queue>,
    thread: Option<JoinHandle<()>>,
}

impl Committer {
    pub fn start(engine: Arc<Engine>) -> std::io::Result<Committer> {
        let queue = Arc::new(Queue {
            jobs: Mutex::new(Vec::new()),
            ready: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let q = queue.clone();
        let thread = std::thread::Builder::new()
            .name("davlite-committer".into())
            .spawn(move || committer_loop(&engine, &q))?;
        Ok(Committer {
            queue,
            thread: Some(thread),
        })
    }

    pub fn submit(&self, job: Box<dyn Job>) {
        let mut jobs = self.queue.jobs.lock();
        jobs.push(job);
        if jobs.len() == 1 {
            self.queue.ready.notify_one();
        }
    }
}

fn committer_loop(engine: &Engine, queue: &Queue) {
    loop {
        let batch = {
            let mut jobs = queue.jobs.lock();
            while jobs.is_empty() {
                if queue.stop.load(Ordering::Acquire) {
                    return;
                }
                queue.ready.wait(&mut jobs);
            }
            std::mem::take(&mut *jobs)
        };
        engine.run_batch(batch);
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        self.queue.stop.store(true, Ordering::Release);
        {
            let _jobs = self.queue.jobs.lock();
            self.queue.ready.notify_all();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
