//! Group commit. Writers hand their request to one committer thread as a closure over [`Tx`];
//! the committer drains everything queued into one redb write transaction, commits it with one
//! fsync and only then answers each request. Requests that fail their checks wrote nothing
//! (every operation checks before it writes), so they simply get their error; a storage error
//! or a panic aborts the whole transaction and every request in it gets that error.

use std::panic::{AssertUnwindSafe, catch_unwind};
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
    /// Answers the request once the batch's fate is known.
    fn finish(self: Box<Self>, batch_error: Option<&StoreError>);
}

pub(crate) struct Call<F, T> {
    f: Option<F>,
    out: Option<Result<T>>,
    reply: SyncSender<Result<T>>,
}

impl<F, T> Call<F, T> {
    pub fn new(f: F, reply: SyncSender<Result<T>>) -> Self {
        Call {
            f: Some(f),
            out: None,
            reply,
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
            _ => None,
        };
        self.out = Some(out);
        fatal
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
    pub db: Database,
    pub durability: Durability,
    /// Swapped whole by [`crate::RedbStore::set_owner_quotas`]; each batch takes the current one.
    pub quota: parking_lot::RwLock<Arc<QuotaPolicy>>,
    /// Bumped after every successful commit; readers cache a snapshot per generation.
    pub generation: AtomicU64,
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
    /// Runs the jobs in one transaction and answers them all.
    pub fn run_batch(&self, mut jobs: Vec<Box<dyn Job>>) {
        let start = Instant::now();
        let outcome = self.apply(&mut jobs);
        match &outcome {
            Ok(commit_time) => {
                self.generation.fetch_add(1, Ordering::AcqRel);
                self.stats
                    .committed(jobs.len(), start.elapsed(), *commit_time);
            }
            Err(_) => self.stats.failed(),
        }
        let err = outcome.err();
        for job in jobs {
            job.finish(err.as_ref());
        }
    }

    /// Runs the jobs and commits; returns how long the commit itself (the fsync) took.
    fn apply(&self, jobs: &mut [Box<dyn Job>]) -> Result<Duration> {
        let mut txn = self.db.begin_write()?;
        if self.durability == Durability::Relaxed {
            txn.set_durability(redb::Durability::None)?;
        }
        let mut fatal = None;
        {
            let mut tx = Tx::open(&txn, now(), self.quota.read().clone())?;
            for job in jobs.iter_mut() {
                let ran = catch_unwind(AssertUnwindSafe(|| job.run(&mut tx)));
                let err = ran.unwrap_or_else(|_| {
                    Some(StoreError::Storage(StorageError::msg("a request panicked")))
                });
                if let Some(e) = err {
                    fatal = Some(e);
                    break;
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
        txn.commit()?;
        Ok(commit_start.elapsed())
    }
}

/// Sends a request through `run`, which applies it (inline or via the committer), and waits for
/// its answer.
pub(crate) fn call<T, F>(f: F, run: impl FnOnce(Box<dyn Job>)) -> Result<T>
where
    F: FnOnce(&mut Tx<'_>) -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    let (reply, rx) = sync_channel(1);
    run(Box::new(Call::new(f, reply)));
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
