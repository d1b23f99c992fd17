//! davlite-store-postgres: the PostgreSQL backend of the davlite store contract
//! ([`davlite_store::Backend`], [`davlite_store::Snapshot`]), for several `davlite serve`
//! nodes sharing one database, and (by design, see the README) a distributed PostgreSQL engine
//! sharded by owner.
//!
//! ```ignore
//! let pg = PgStore::connect("host=/run/postgresql user=davlite dbname=davlite", PgOptions::default())?;
//! let store = davlite_store::Store::new(pg);
//! ```
//!
//! The client is the blocking `postgres` crate: the server calls the store from
//! `tokio::task::spawn_blocking` threads only, so a blocking call never holds an async worker.
//!
//! ## Transactions
//! Every write is one transaction at **READ COMMITTED with row locks**, not SERIALIZABLE. Every
//! write that bumps a collection's sequence holds that collection's state row
//! (`collection_state`, `FOR NO KEY UPDATE`) from the bump to the end of COMMIT, so the
//! per-collection sequence has no gap or duplicate and changes commit in sequence order: a
//! token never covers a change that commits later. Object writes (put, delete) bump it in their
//! last statement, so writers of one collection queue only for that statement and the commit;
//! before it they hold a `FOR KEY SHARE` lock on the collection's directory row (a concurrent
//! move or delete of the collection is seen) and `FOR UPDATE` on the object row they read for
//! the If-Match check. A racing create of the same name or UID that this transaction could not
//! see stops its write with a unique violation, and the transaction runs again and sees it.
//! Object writes of one collection that arrive while one of them runs do not each queue for
//! the row and a WAL flush of their own: they share the next transaction, each in a savepoint
//! when one is refused, and one COMMIT answers them all (see `group.rs`).
//! Operations on collections, copies, moves and property updates lock the state rows first.
//! Under SERIALIZABLE, sixteen writers of one calendar would all run and all but one fail at
//! commit: fifteen retries per success, and a burst ends in `Busy`.
//! The owner's quota is checked after `SELECT ... FOR UPDATE` on the owner's `usage` row, so
//! racing writers of one owner in different collections cannot both pass it. Locks are taken in
//! one order (collection state rows, ordered by path when a write takes two, then usage rows;
//! a put under a quota locks its state row before the usage row), and
//! what still fails with a serialization failure (40001), a deadlock (40P01) or a unique
//! violation from a race (23505) is retried up to [`MAX_ATTEMPTS`] times with a small jittered
//! backoff, then answered [`StoreError::Busy`].
//!
//! ## Snapshots
//! A [`PgSnapshot`] is one `REPEATABLE READ READ ONLY` transaction on a pooled connection, held
//! (behind a mutex) for the snapshot's lifetime and rolled back on drop; its snapshot is taken
//! inside [`davlite_store::Backend::read`], so it includes every write acknowledged before.
//! A reader that is kept holds a connection: size the pool for the readers held at once.

mod analyze;
mod apply;
mod conn;
mod group;
mod rows;
mod schema;
mod snapshot;
mod stats;
mod verify;
mod write;

use std::sync::Arc;
use std::time::{Duration, Instant};

use davlite_formats::ParsedObject;
use davlite_store::batch::PreparedOp;
use davlite_store::{
    ApplyError, Backend, Collection, CommitStats, Limits, NewCollection, OpOutcome, Precondition,
    PutOutcome, QuotaPolicy, Reader, StorageError, StoreError, VerifyReport, WriteOp,
};
use parking_lot::RwLock;
use postgres::{Client, NoTls};

use crate::conn::{Conn, Manager, Result, pool_err};
pub use crate::schema::{MIGRATIONS, migrate};
pub use crate::snapshot::PgSnapshot;
use crate::stats::Recorder;
use crate::write::WriteTx;

/// How many times a write is tried when PostgreSQL reports a serialization failure, a deadlock
/// or a racing unique violation, before the caller gets [`StoreError::Busy`].
pub const MAX_ATTEMPTS: u32 = 8;

/// How a [`PgStore`] connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgOptions {
    /// Most connections the pool opens. Each write holds one for its transaction, each live
    /// snapshot ([`davlite_store::Reader`]) one for its lifetime.
    pub pool_size: u32,
    /// Bytes of object bodies each owner may store unless the quota policy names the owner;
    /// `None` for no quota.
    pub owner_quota: Option<u64>,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            pool_size: 16,
            owner_quota: None,
        }
    }
}

/// The PostgreSQL backend. Cheap to clone; clones share the pool and the quota policy.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: r2d2::Pool<Manager>,
    quota: RwLock<Arc<QuotaPolicy>>,
    stats: Recorder,
    groups: group::Groups,
    analyzer: analyze::Analyzer,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("pool_size", &self.inner.pool.max_size())
            .finish()
    }
}

fn config(url: &str) -> Result<postgres::Config> {
    let mut config = url.parse::<postgres::Config>().map_err(|e| {
        StoreError::Storage(StorageError::msg(format!(
            "invalid PostgreSQL connection string: {e}"
        )))
    })?;
    // Every statement is prepared once per connection. After five executions PostgreSQL may
    // switch a prepared statement to a generic plan chosen from the statistics of that moment;
    // for a store that starts empty those say "no rows", and the cached plan scans whole
    // tables once they hold thousands (measured: one-week query 8.3 s, incremental sync 636 ms
    // at 10,000 events). Custom plans cost a planning step per execution and follow the data.
    let options = match config.get_options() {
        Some(o) if !o.is_empty() => format!("{o} -c plan_cache_mode=force_custom_plan"),
        _ => "-c plan_cache_mode=force_custom_plan".to_string(),
    };
    config.options(&options);
    Ok(config)
}

pub(crate) fn connect_client(url: &str) -> Result<Client> {
    config(url)?.connect(NoTls).map_err(|e| {
        StoreError::Storage(StorageError::msg(format!(
            "cannot connect to PostgreSQL: {e}"
        )))
    })
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl PgStore {
    /// Connects to the database at `url` (a libpq-style `key=value` string or a
    /// `postgresql://` URL), brings its schema up to date ([`migrate`]) and opens the pool.
    pub fn connect(url: &str, options: PgOptions) -> Result<PgStore> {
        let config = config(url)?;
        {
            let mut client = connect_client(url)?;
            schema::migrate_client(&mut client)?;
        }
        let pool = r2d2::Pool::builder()
            .max_size(options.pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(30))
            // No test query on every checkout (a round trip per request): a connection the
            // server closed shows at our BEGIN, and `begin` replaces it then.
            .test_on_check_out(false)
            .build(Manager { config })
            .map_err(pool_err)?;
        Ok(PgStore {
            inner: Arc::new(Inner {
                pool,
                quota: RwLock::new(Arc::new(QuotaPolicy {
                    default: options.owner_quota,
                    owners: Default::default(),
                })),
                stats: Recorder::new(),
                groups: group::Groups::default(),
                analyzer: analyze::Analyzer::default(),
            }),
        })
    }

    /// A pooled connection outside any transaction.
    pub(crate) fn conn(&self) -> Result<r2d2::PooledConnection<Manager>> {
        let mut conn = self.inner.pool.get().map_err(pool_err)?;
        let open = conn.take_open();
        if !open.is_empty() {
            conn.batch(open)?;
        }
        Ok(conn)
    }

    /// A pooled connection with `begin` (a BEGIN statement) run on it. A pooled connection the
    /// server has closed meanwhile (a restart, an idle timeout) fails its BEGIN, having done
    /// nothing: it is dropped (the pool discards closed ones) and the next one tried.
    pub(crate) fn begun(&self, begin: &str) -> Result<r2d2::PooledConnection<Manager>> {
        let mut tries = 0;
        loop {
            let mut conn = self.inner.pool.get().map_err(pool_err)?;
            let open = conn.take_open();
            let sent = if open.is_empty() {
                conn.batch(begin)
            } else {
                conn.batch(&format!("{open}{begin}"))
            };
            match sent {
                Ok(()) => return Ok(conn),
                Err(e) => {
                    tries += 1;
                    if !conn.is_closed() || tries > self.inner.pool.max_size() {
                        let _ = conn.batch("ROLLBACK");
                        return Err(e);
                    }
                }
            }
        }
    }

    /// Runs `f` in a READ COMMITTED transaction, retrying conflicts (see the crate docs).
    fn write<T>(&self, mut f: impl FnMut(&mut WriteTx<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.begun(BEGIN_WRITE)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            if attempt > 1 {
                conn.batch(BEGIN_WRITE)?;
            }
            let quota = self.inner.quota.read().clone();
            let began = Instant::now();
            let out = run_once(&mut conn, now(), quota, &mut f);
            match out {
                Ok((v, commit)) => {
                    self.inner.stats.committed(1, began.elapsed(), commit);
                    return Ok(v);
                }
                Err(StoreError::Busy) if attempt < MAX_ATTEMPTS => {
                    if conn.is_closed() {
                        self.inner.stats.failed();
                        return Err(StoreError::Storage(StorageError::msg(
                            "the PostgreSQL connection closed",
                        )));
                    }
                    let base = 2u64 << attempt.min(6);
                    let jitter = rand::random_range(0..=base);
                    std::thread::sleep(Duration::from_millis(base / 2 + jitter));
                }
                Err(e) => {
                    if matches!(e, StoreError::Busy | StoreError::Storage(_)) {
                        self.inner.stats.failed();
                    }
                    return Err(e);
                }
            }
        }
    }
}

pub(crate) const BEGIN_WRITE: &str = "BEGIN ISOLATION LEVEL READ COMMITTED";

/// Runs `f` in the transaction begun on `conn` and commits it (or rolls it back).
fn run_once<T>(
    conn: &mut Conn,
    now: i64,
    quota: Arc<QuotaPolicy>,
    f: &mut impl FnMut(&mut WriteTx<'_>) -> Result<T>,
) -> Result<(T, Duration)> {
    let out = {
        let mut tx = WriteTx::new(conn, now, quota);
        f(&mut tx)
    };
    match out {
        Ok(v) => {
            let t = Instant::now();
            match conn.batch("COMMIT") {
                Ok(()) => Ok((v, t.elapsed())),
                Err(e) => {
                    let _ = conn.batch("ROLLBACK");
                    Err(e)
                }
            }
        }
        Err(e) => {
            let _ = conn.batch("ROLLBACK");
            Err(e)
        }
    }
}

impl Backend for PgStore {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    fn network(&self) -> bool {
        true
    }

    fn read(&self) -> Result<Reader> {
        Ok(Reader::new(Arc::new(PgSnapshot::begin(self)?)))
    }

    fn create_collection(&self, path: &str, new: NewCollection) -> Result<Collection> {
        self.write(|tx| tx.create_collection(path, &new))
    }

    fn delete_collection(&self, path: &str) -> Result<()> {
        self.write(|tx| tx.delete_collection(path))
    }

    fn update_collection(
        &self,
        path: &str,
        props: Vec<(String, Option<Vec<u8>>)>,
        limits: Option<Limits>,
    ) -> Result<Collection> {
        self.write(|tx| tx.update_collection(path, &props, limits))
    }

    fn move_collection(&self, from: &str, to: &str, overwrite: bool) -> Result<bool> {
        self.write(|tx| tx.move_collection(from, to, overwrite))
    }

    fn copy_collection(&self, from: &str, to: &str, overwrite: bool) -> Result<bool> {
        self.write(|tx| tx.copy_collection(from, to, overwrite))
    }

    fn put(
        &self,
        coll: &str,
        name: &str,
        object: ParsedObject,
        pre: Precondition,
    ) -> Result<PutOutcome> {
        let op = PreparedOp::Put {
            coll: coll.to_owned(),
            name: name.to_owned(),
            object: write::Hashed::new(object),
            pre,
        };
        match self.write_grouped(vec![op]) {
            Ok(mut out) => match out.pop() {
                Some(OpOutcome::Put(outcome)) => Ok(outcome),
                other => unreachable!("a put answered {other:?}"),
            },
            Err(failed) => Err(failed.error),
        }
    }

    fn delete(&self, coll: &str, name: &str, pre: Precondition) -> Result<()> {
        let op = PreparedOp::Other(WriteOp::Delete {
            coll: coll.to_owned(),
            name: name.to_owned(),
            pre,
        });
        self.write_grouped(vec![op])
            .map(drop)
            .map_err(|failed| failed.error)
    }

    fn transfer(
        &self,
        from: (&str, &str),
        to: (&str, &str),
        overwrite: bool,
        pre: Precondition,
        remove: bool,
    ) -> Result<PutOutcome> {
        self.write(|tx| tx.transfer(from, to, overwrite, &pre, remove))
    }

    fn apply(&self, ops: Vec<WriteOp>) -> std::result::Result<Vec<OpOutcome>, ApplyError> {
        self.write_grouped(ops.into_iter().map(PreparedOp::new).collect())
    }

    fn update_object_props(
        &self,
        coll: &str,
        name: &str,
        changes: Vec<(String, Option<Vec<u8>>)>,
        pre: Precondition,
    ) -> Result<()> {
        self.write(|tx| tx.update_object_props(coll, name, &changes, &pre))
    }

    fn prune_changes(&self, path: &str, upto: u64) -> Result<u64> {
        self.write(|tx| tx.prune_changes(path, upto))
    }

    fn prune_tombstones(&self, path: &str, keep: u64) -> Result<u64> {
        self.write(|tx| tx.prune_tombstones(path, keep))
    }

    fn quota_policy(&self) -> QuotaPolicy {
        (**self.inner.quota.read()).clone()
    }

    fn set_owner_quotas(&self, policy: QuotaPolicy) {
        *self.inner.quota.write() = Arc::new(policy);
    }

    fn verify(&self, progress: &mut dyn FnMut(u64)) -> Result<VerifyReport> {
        let snap = PgSnapshot::begin(self)?;
        snap.with_conn(|conn| verify::verify(conn, progress))
    }

    fn commit_stats(&self) -> CommitStats {
        self.inner.stats.read()
    }

    fn document(&self, name: &str) -> Result<Option<(u64, Vec<u8>)>> {
        let mut conn = self.conn()?;
        let row = conn.query_opt(
            "SELECT version, bytes FROM documents WHERE owner = '' AND name = $1",
            &[&name],
        )?;
        Ok(row.map(|r| (rows::from_db(r.get(0)), r.get(1))))
    }

    fn put_document(&self, name: &str, bytes: Vec<u8>, expected: Option<u64>) -> Result<u64> {
        self.write(|tx| tx.put_document(name, &bytes, expected))
    }
}

#[allow(dead_code)]
fn assert_send_sync() {
    fn is<T: Send + Sync + 'static>() {}
    is::<PgStore>();
    is::<PgSnapshot>();
}
