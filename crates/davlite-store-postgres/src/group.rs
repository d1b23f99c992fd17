//! Object writes of one collection share a transaction.
//!
//! Every object write bumps its collection's sequence and holds the collection's state row to
//! the end of COMMIT (see the crate docs): that is what keeps sync tokens exact. The price is
//! that the writers of one calendar take turns, each waiting for the previous one's whole
//! commit, WAL flush included, so one calendar took at most one write per commit latency (about
//! 430 per second on a quiet two-core machine, a third of that under load) however many clients
//! wrote to it.
//!
//! Here the object writes (put, delete) of a collection that arrive while one of them is
//! running wait in a queue, and when it ends the first of them runs every queued write
//! ([`MAX_GROUP`] at most) in one transaction and answers them all after its one COMMIT. Each
//! write runs in a savepoint: a write refused by its checks is undone alone and answered with
//! its own error, while the others commit; every check still runs in the transaction that
//! writes, against everything the writes before it in the group did. A group is answered only
//! once it is durable.
//!
//! When the shared transaction fails as a whole before COMMIT (a serialization failure, a
//! deadlock with another node, a dropped connection), each of its writes runs again alone on
//! the ordinary path with its own retries, so no write fails for a neighbour's sake. A write
//! that finds no queue runs alone at once, exactly as before: grouping only ever happens to
//! writes that would otherwise have waited for the same row lock.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::time::Instant;

use davlite_store::batch::PreparedOp;
use davlite_store::{ApplyError, OpOutcome, StorageError, StoreError, WriteOp};
use parking_lot::{Condvar, Mutex};

use crate::conn::Result;
use crate::write::WriteTx;
use crate::{BEGIN_WRITE, PgStore, now, run_once};

/// Most writes one shared transaction holds. Each is a subtransaction, and PostgreSQL keeps the
/// ids of up to 64 per backend where other sessions' snapshots find them cheaply; beyond that
/// every snapshot taken meanwhile must look them up on disk.
pub const MAX_GROUP: usize = 32;

/// The queues of waiting object writes, by collection path. A path is present while one of its
/// writes (or groups) runs; its queue holds the writes that arrived meanwhile.
#[derive(Default)]
pub(crate) struct Groups {
    queues: Mutex<HashMap<String, Vec<Arc<Job>>>>,
}

/// The answer to one job: the outcome of each op, or why it wrote nothing.
type Answer = std::result::Result<Vec<OpOutcome>, ApplyError>;

/// One write (its ops, all or none) and where its answer goes.
struct Job {
    ops: Vec<PreparedOp>,
    state: Mutex<State>,
    changed: Condvar,
}

enum State {
    Queued,
    /// This job's thread runs the given group (its own job first).
    Lead(Vec<Arc<Job>>),
    Done(Answer),
}

impl Job {
    fn finish(&self, answer: Answer) {
        *self.state.lock() = State::Done(answer);
        self.changed.notify_one();
    }
}

/// The savepoint each write of a group runs in (one at a time, so one name serves).
const SAVEPOINT: &str = "SAVEPOINT w";
const NEXT_SAVEPOINT: &str = "RELEASE SAVEPOINT w; SAVEPOINT w";
const UNDO: &str = "ROLLBACK TO SAVEPOINT w";

/// The collection whose state row a write's first op locks: the queue it waits in. Writes
/// without one (documents, collection creations) run alone.
fn queue_of(ops: &[PreparedOp]) -> Option<&str> {
    match ops.first()? {
        PreparedOp::Put { coll, .. }
        | PreparedOp::Other(
            WriteOp::Put { coll, .. }
            | WriteOp::Delete { coll, .. }
            | WriteOp::ObjectProps { coll, .. },
        ) => Some(coll),
        PreparedOp::Other(WriteOp::CollectionProps { path, .. }) => Some(path),
        // A collection being created has no state row yet to queue on.
        PreparedOp::Other(WriteOp::Document { .. } | WriteOp::CreateCollection { .. }) => None,
    }
}

impl PgStore {
    /// Runs one write (`ops`, all or none), grouped with the other writes waiting for the
    /// same collection at the same time.
    pub(crate) fn write_grouped(&self, ops: Vec<PreparedOp>) -> Answer {
        let Some(coll) = queue_of(&ops).map(str::to_owned) else {
            return self.write_alone(&ops);
        };
        let job = Arc::new(Job {
            ops,
            state: Mutex::new(State::Queued),
            changed: Condvar::new(),
        });
        let mut lead = {
            let mut queues = self.inner.groups.queues.lock();
            match queues.get_mut(&coll) {
                Some(queue) => {
                    queue.push(job.clone());
                    None
                }
                None => {
                    queues.insert(coll.clone(), Vec::new());
                    Some(vec![job.clone()])
                }
            }
        };
        loop {
            if let Some(jobs) = lead.take() {
                self.run_group(&coll, jobs);
            }
            let mut state = job.state.lock();
            loop {
                match std::mem::replace(&mut *state, State::Queued) {
                    State::Queued => job.changed.wait(&mut state),
                    State::Lead(jobs) => {
                        lead = Some(jobs);
                        break;
                    }
                    State::Done(answer) => {
                        if answer.is_ok() {
                            let puts = job
                                .ops
                                .iter()
                                .filter(|op| matches!(op, PreparedOp::Put { .. }));
                            self.wrote_objects(puts.count() as u64);
                        }
                        return answer;
                    }
                }
            }
        }
    }

    /// One write in a transaction of its own, retried as every write is.
    fn write_alone(&self, ops: &[PreparedOp]) -> Answer {
        let mut failed = None;
        self.write(|tx| tx.apply(ops, &mut failed))
            .map_err(|error| ApplyError { op: failed, error })
    }

    /// Runs `jobs` (one transaction if it can), hands the queue of `coll` to its next writer,
    /// and answers every job, also when running them panicked.
    fn run_group(&self, coll: &str, jobs: Vec<Arc<Job>>) {
        let ran = catch_unwind(AssertUnwindSafe(|| {
            if jobs.len() > 1
                && let Some(answers) = self.write_shared(coll, &jobs)
            {
                return answers;
            }
            jobs.iter().map(|job| self.write_alone(&job.ops)).collect()
        }));
        self.hand_over(coll);
        match ran {
            Ok(answers) => {
                for (job, answer) in jobs.iter().zip(answers) {
                    job.finish(answer);
                }
            }
            Err(panic) => {
                for job in &jobs {
                    job.finish(Err(ApplyError {
                        op: None,
                        error: StoreError::Storage(StorageError::msg("a grouped write panicked")),
                    }));
                }
                resume_unwind(panic);
            }
        }
    }

    /// Makes the first waiting writer of `coll` the leader of the next group, or forgets the
    /// queue when nobody waits.
    fn hand_over(&self, coll: &str) {
        let next = {
            let mut queues = self.inner.groups.queues.lock();
            match queues.get_mut(coll) {
                Some(queue) if !queue.is_empty() => {
                    let n = queue.len().min(MAX_GROUP);
                    Some(queue.drain(..n).collect::<Vec<_>>())
                }
                _ => {
                    queues.remove(coll);
                    None
                }
            }
        };
        if let Some(jobs) = next {
            let first = jobs[0].clone();
            *first.state.lock() = State::Lead(jobs);
            first.changed.notify_one();
        }
    }

    /// Runs `jobs` in one transaction. `None` when the transaction failed before COMMIT
    /// (nothing of it is written; the caller runs the jobs one by one). A failed COMMIT is
    /// every job's answer: whether it took effect is unknown, as for a lone write.
    ///
    /// The first try runs the writes back to back; when one is refused, that try is rolled back
    /// and the group runs again with each write in a savepoint, so that the refused ones are
    /// undone alone. Refusals are rare outside races for one UID, and a savepoint costs a round
    /// trip per write, which on a busy machine is most of a write's time in the group.
    fn write_shared(&self, coll: &str, jobs: &[Arc<Job>]) -> Option<Vec<Answer>> {
        let mut conn = self.begun(BEGIN_WRITE).ok()?;
        let began = Instant::now();
        for savepoints in [false, true] {
            if savepoints && conn.batch(BEGIN_WRITE).is_err() {
                break;
            }
            let quota = self.inner.quota.read().clone();
            let mut answers = Vec::with_capacity(jobs.len());
            // Set once every write has run: a failure after it is the COMMIT's.
            let mut ran = false;
            let out = run_once(&mut conn, now(), quota, &mut |tx| {
                run_jobs(tx, coll, jobs, savepoints, &mut answers)?;
                ran = true;
                Ok(())
            });
            match out {
                Ok(((), commit)) => {
                    self.inner
                        .stats
                        .committed(jobs.len() as u64, began.elapsed(), commit);
                    return Some(answers);
                }
                Err(error) if ran => {
                    self.inner.stats.failed();
                    let failed = ApplyError { op: None, error };
                    return Some(jobs.iter().map(|_| Err(failed.clone())).collect());
                }
                Err(StoreError::Busy | StoreError::Storage(_)) => break,
                // A write refused without savepoints: rolled back, run again with them.
                Err(_) if !savepoints => {}
                Err(_) => break,
            }
        }
        self.inner.stats.failed();
        None
    }
}

/// Runs `jobs` in `tx`, their answers to `answers`. `Err`: the transaction failed, or, without
/// `savepoints`, a write was refused (and cannot be undone alone).
fn run_jobs(
    tx: &mut WriteTx<'_>,
    coll: &str,
    jobs: &[Arc<Job>],
    savepoints: bool,
    answers: &mut Vec<Answer>,
) -> Result<()> {
    tx.pin(coll)?;
    for (i, job) in jobs.iter().enumerate() {
        if savepoints {
            tx.statements(if i == 0 { SAVEPOINT } else { NEXT_SAVEPOINT })?;
        }
        let mut failed = None;
        match tx.apply(&job.ops, &mut failed) {
            Ok(outcomes) => answers.push(Ok(outcomes)),
            Err(e @ (StoreError::Busy | StoreError::Storage(_))) => return Err(e),
            Err(refused) if !savepoints => return Err(refused),
            Err(error) => {
                tx.statements(UNDO)?;
                answers.push(Err(ApplyError { op: failed, error }));
            }
        }
    }
    Ok(())
}
