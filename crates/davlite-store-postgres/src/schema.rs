//! Versioned schema migrations, built into the crate: an ordered list of SQL scripts, the
//! database's version in the one-row table `schema_version`. Each migration runs in its own
//! transaction together with the bump of the version, after `SELECT ... FOR UPDATE` on the
//! version row: two nodes starting at once queue on that row lock, and the second finds the
//! version already raised and applies nothing. (A transaction-scoped row lock rather than an
//! advisory lock: it works the same through poolers and on distributed engines, and it is
//! released by the commit or by the connection dying, never left behind.)

use std::time::Duration;

use postgres::Client;

use crate::conn::{Result, corrupt, pg};

/// The migrations, oldest first; the schema version of a database is how many of them it has.
/// Never edit one that has shipped: append a new one.
pub const MIGRATIONS: &[&str] = &[
    // 1: the whole schema. Every table leads with the owning principal (see the README: the
    // distribution column on Citus / YugabyteDB). Names and paths use the "C" collation, so
    // they sort by bytes as on the embedded backend.
    r#"
CREATE SEQUENCE collection_ids;

CREATE TABLE collections (
    owner         text COLLATE "C" NOT NULL,
    id            bigint NOT NULL,
    path          text COLLATE "C" NOT NULL,
    parent_id     bigint NOT NULL,
    kind          smallint NOT NULL,
    max_size      bigint,
    components    smallint NOT NULL,
    min_date      bigint,
    max_date      bigint,
    max_instances bigint,
    max_attendees bigint,
    PRIMARY KEY (owner, id),
    UNIQUE (path),
    UNIQUE (id)
);
CREATE INDEX collections_children ON collections (parent_id, path);

CREATE TABLE collection_state (
    owner    text COLLATE "C" NOT NULL,
    id       bigint NOT NULL,
    seq      bigint NOT NULL DEFAULT 0,
    floor    bigint NOT NULL DEFAULT 0,
    modified bigint NOT NULL,
    PRIMARY KEY (owner, id)
);

CREATE TABLE collection_props (
    owner text COLLATE "C" NOT NULL,
    coll  bigint NOT NULL,
    prop  text COLLATE "C" NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (owner, coll, prop)
);

CREATE TABLE objects (
    owner           text COLLATE "C" NOT NULL,
    coll            bigint NOT NULL,
    name            text COLLATE "C" NOT NULL,
    etag            bytea NOT NULL,
    crc             bigint NOT NULL,
    size            bigint NOT NULL,
    seq             bigint NOT NULL,
    modified        bigint NOT NULL,
    content_type    text NOT NULL,
    uid             text COLLATE "C",
    kind            smallint NOT NULL,
    span_start      bigint,
    span_end        bigint,
    instance_count  bigint,
    max_attendees   bigint NOT NULL,
    earliest        bigint,
    latest          bigint,
    event_instances bytea,
    body            bytea NOT NULL,
    PRIMARY KEY (owner, coll, name)
);
CREATE UNIQUE INDEX objects_uid ON objects (owner, coll, uid);
CREATE INDEX objects_span ON objects (owner, coll, span_start) INCLUDE (span_end);

CREATE TABLE object_props (
    owner text COLLATE "C" NOT NULL,
    coll  bigint NOT NULL,
    name  text COLLATE "C" NOT NULL,
    prop  text COLLATE "C" NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (owner, coll, name, prop)
);

CREATE TABLE changes (
    owner         text COLLATE "C" NOT NULL,
    coll          bigint NOT NULL,
    name          text COLLATE "C" NOT NULL,
    seq           bigint NOT NULL,
    deleted       boolean NOT NULL,
    is_collection boolean NOT NULL,
    PRIMARY KEY (owner, coll, name)
);
CREATE UNIQUE INDEX changes_seq ON changes (owner, coll, seq);

CREATE TABLE usage (
    owner text COLLATE "C" NOT NULL PRIMARY KEY,
    bytes bigint NOT NULL
);

CREATE TABLE documents (
    owner   text COLLATE "C" NOT NULL,
    name    text COLLATE "C" NOT NULL,
    version bigint NOT NULL,
    bytes   bytea NOT NULL,
    PRIMARY KEY (owner, name)
);
"#,
    // 2: the dead properties a deleted object held, kept while the change log records the
    // delete (`Snapshot::deleted_object_props`).
    r#"
CREATE TABLE tombstone_props (
    owner text COLLATE "C" NOT NULL,
    coll  bigint NOT NULL,
    name  text COLLATE "C" NOT NULL,
    prop  text COLLATE "C" NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (owner, coll, name, prop)
);
"#,
];

const BOOTSTRAP: &str = "BEGIN; \
    CREATE TABLE IF NOT EXISTS schema_version (\
        id integer PRIMARY KEY CHECK (id = 1), version integer NOT NULL); \
    INSERT INTO schema_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING; \
    COMMIT";

/// Connects to `url` and brings its schema up to date; returns the schema version now.
pub fn migrate(url: &str) -> Result<u32> {
    let mut client = crate::connect_client(url)?;
    migrate_client(&mut client)
}

pub(crate) fn migrate_client(client: &mut Client) -> Result<u32> {
    // Nodes creating the version table at the same moment collide in the catalog: the one
    // that checked "IF NOT EXISTS" before the other committed then fails on the row type
    // ("type ... already exists", or a unique violation on pg_type) or on the relation
    // ("relation ... already exists"). The loser retries and finds the table.
    let mut attempt = 0;
    loop {
        match client.batch_execute(BOOTSTRAP) {
            Ok(()) => break,
            Err(e) => {
                let _ = client.batch_execute("ROLLBACK");
                attempt += 1;
                if !created_concurrently(&e) || attempt >= 8 {
                    return Err(pg(e));
                }
                std::thread::sleep(Duration::from_millis(10 * attempt));
            }
        }
    }
    loop {
        let step = (|| -> Result<Option<u32>> {
            client.batch_execute("BEGIN").map_err(pg)?;
            let row = client
                .query_one(
                    "SELECT version FROM schema_version WHERE id = 1 FOR UPDATE",
                    &[],
                )
                .map_err(pg)?;
            let version: i32 = row.get(0);
            let version = u32::try_from(version).map_err(|_| corrupt("negative schema version"))?;
            let known = MIGRATIONS.len() as u32;
            if version > known {
                return Err(corrupt(format!(
                    "database schema version {version} is newer than this build knows ({known})"
                )));
            }
            if version == known {
                client.batch_execute("COMMIT").map_err(pg)?;
                return Ok(Some(version));
            }
            client
                .batch_execute(MIGRATIONS[version as usize])
                .map_err(pg)?;
            let next = version as i32 + 1;
            client
                .execute(
                    "UPDATE schema_version SET version = $1 WHERE id = 1",
                    &[&next],
                )
                .map_err(pg)?;
            client.batch_execute("COMMIT").map_err(pg)?;
            Ok(None)
        })();
        match step {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => continue,
            Err(e) => {
                let _ = client.batch_execute("ROLLBACK");
                return Err(e);
            }
        }
    }
}

/// Whether `e` is one of the ways `CREATE TABLE IF NOT EXISTS` fails when another session
/// created the same table after this one looked.
fn created_concurrently(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    e.code().is_some_and(|c| {
        *c == SqlState::UNIQUE_VIOLATION
            || *c == SqlState::DUPLICATE_TABLE
            || *c == SqlState::DUPLICATE_OBJECT
    })
}
