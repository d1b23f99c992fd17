//! Pooled connections with a prepared-statement cache each, and the mapping of driver errors
//! onto the store's.
//!
//! The pool is r2d2 with a connection manager of our own rather than `r2d2_postgres`: each
//! pooled connection carries the statements it has prepared, so a query costs one round trip
//! (bind + execute) instead of two (prepare, then bind + execute), and `r2d2_postgres` hands out
//! a bare `postgres::Client` with nowhere to keep them.

use std::collections::HashMap;

use davlite_store::{StorageError, StoreError};
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement};

pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// One database connection and the statements prepared on it.
pub struct Conn {
    client: Client,
    stmts: HashMap<&'static str, Statement>,
    /// A snapshot's read-only transaction may still be open on it (its rollback failed), so the
    /// next user ends it first.
    open_tx: bool,
}

impl Conn {
    pub(crate) fn new(client: Client) -> Conn {
        Conn {
            client,
            stmts: HashMap::new(),
            open_tx: false,
        }
    }

    /// Leaves the current read-only transaction for the next checkout to roll back, in the
    /// same round trip as its BEGIN.
    pub(crate) fn end_later(&mut self) {
        self.open_tx = true;
    }

    /// The statement that ends a transaction left open by [`Conn::end_later`], to run before
    /// anything else on this connection ("" when none is open).
    pub(crate) fn take_open(&mut self) -> &'static str {
        if std::mem::take(&mut self.open_tx) {
            "ROLLBACK; "
        } else {
            ""
        }
    }

    fn stmt(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.stmts.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.stmts.insert(sql, s.clone());
        Ok(s)
    }

    pub(crate) fn query(&mut self, sql: &'static str, params: Params<'_>) -> Result<Vec<Row>> {
        let s = self.stmt(sql).map_err(pg)?;
        self.client.query(&s, params).map_err(pg)
    }

    pub(crate) fn query_opt(
        &mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<Option<Row>> {
        let s = self.stmt(sql).map_err(pg)?;
        self.client.query_opt(&s, params).map_err(pg)
    }

    pub(crate) fn query_one(&mut self, sql: &'static str, params: Params<'_>) -> Result<Row> {
        let s = self.stmt(sql).map_err(pg)?;
        self.client.query_one(&s, params).map_err(pg)
    }

    pub(crate) fn execute(&mut self, sql: &'static str, params: Params<'_>) -> Result<u64> {
        let s = self.stmt(sql).map_err(pg)?;
        self.client.execute(&s, params).map_err(pg)
    }

    /// Runs statements without parameters (simple query protocol, one round trip).
    pub(crate) fn batch(&mut self, sql: &str) -> Result<()> {
        self.client.batch_execute(sql).map_err(pg)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.client.is_closed()
    }
}

/// Opens connections for the pool.
pub(crate) struct Manager {
    pub config: postgres::Config,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Conn, postgres::Error> {
        Ok(Conn::new(self.config.connect(NoTls)?))
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.client.is_closed()
    }
}

pub(crate) type Result<T, E = StoreError> = std::result::Result<T, E>;

/// SQLSTATEs after which the same transaction may well succeed when run again: serialization
/// failure, deadlock, and a unique violation (with the checks done under row locks, one only
/// happens when a racing transaction inserted the same key first; the retry sees its row and
/// answers as the checks say).
fn retryable(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    e.code().is_some_and(|c| {
        *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
            || *c == SqlState::UNIQUE_VIOLATION
    })
}

/// Maps a driver error: retryable conflicts become `Busy` (the write loop retries those and
/// returns `Busy` only when its retries are used up), everything else is a storage failure.
pub(crate) fn pg(e: postgres::Error) -> StoreError {
    if retryable(&e) {
        StoreError::Busy
    } else {
        StoreError::Storage(StorageError::new(e))
    }
}

pub(crate) fn pool_err(e: r2d2::Error) -> StoreError {
    StoreError::Storage(StorageError::msg(format!("no PostgreSQL connection: {e}")))
}

pub(crate) fn corrupt(detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        detail: detail.into(),
    }
}
