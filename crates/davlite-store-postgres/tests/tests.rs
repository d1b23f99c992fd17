//! The PostgreSQL backend against a real PostgreSQL server (one cluster per test process,
//! started by `davlite_testkit::postgres`; every store gets a database of its own, so the tests
//! run in parallel): the whole conformance suite of the store contract, then what only a shared
//! database has — two nodes on one database, concurrent migrations, and a throughput figure.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Instant;

use davlite_store::conformance::Harness;
use davlite_store::conformance::fixtures::{assert_sound, calendar, event, event_bytes, plain};
use davlite_store::{Backend, Precondition, Store, StoreError};
use davlite_store_postgres::{MIGRATIONS, PgOptions, PgStore, migrate};
use davlite_testkit::postgres::PgCluster;

struct PgHarness {
    cluster: PgCluster,
    next: AtomicU64,
    /// Every store made, with its database, so `corrupt_body` finds the database of a store.
    made: Mutex<Vec<(Store, String)>>,
}

impl PgHarness {
    fn start() -> PgHarness {
        PgHarness {
            cluster: PgCluster::start(),
            next: AtomicU64::new(0),
            made: Mutex::new(Vec::new()),
        }
    }

    /// A new empty database; returns its name and connection string.
    fn database(&self) -> (String, String) {
        let db = format!("t{}", self.next.fetch_add(1, Ordering::Relaxed));
        self.cluster.create_database(&db);
        let url = self.cluster.url_for(&db);
        (db, url)
    }
}

impl Harness for PgHarness {
    fn fresh(&self) -> Store {
        let (db, url) = self.database();
        let pg = PgStore::connect(&url, PgOptions::default()).expect("connect");
        let store = Store::new(pg);
        self.made.lock().unwrap().push((store.clone(), db));
        store
    }

    fn corrupt_body(&self, store: &Store, coll: &str, name: &str) {
        let db = self
            .made
            .lock()
            .unwrap()
            .iter()
            .find(|(s, _)| s.same_backend(store))
            .map(|(_, db)| db.clone())
            .expect("a store this harness made");
        let id = store
            .collection(coll)
            .unwrap()
            .expect("the collection")
            .id
            .0;
        let name = name.replace('\'', "''");
        let out = self.cluster.psql(
            &db,
            &format!(
                "UPDATE objects SET body = set_byte(body, 0, get_byte(body, 0) # 1) \
                 WHERE coll = {id} AND name = '{name}' RETURNING 1"
            ),
        );
        assert_eq!(out.trim(), "1", "the body exists");
    }
}

static HARNESS: LazyLock<PgHarness> = LazyLock::new(PgHarness::start);

mod conformance {
    davlite_store::conformance_tests!(&*super::HARNESS);
}

// ----- what only a shared database has -----

/// Two `PgStore`s on one database stand for two server nodes.
fn two_nodes() -> (Store, Store, String) {
    let (_, url) = HARNESS.database();
    let a = Store::new(PgStore::connect(&url, PgOptions::default()).unwrap());
    let b = Store::new(PgStore::connect(&url, PgOptions::default()).unwrap());
    (a, b, url)
}

#[test]
fn a_write_on_one_node_is_seen_by_a_snapshot_taken_afterwards_on_another() {
    let (a, b, _) = two_nodes();
    a.create_collection("cals", plain("alice")).unwrap();
    a.create_collection("cals/work", calendar("alice")).unwrap();
    let before = b.read().unwrap();
    let put = a
        .put(
            "cals/work",
            "e.ics",
            event("u1", "v1"),
            Precondition::IfNoneMatchAny,
        )
        .unwrap();
    // The snapshot taken before the write does not see it; one taken after on B does.
    assert!(before.get("cals/work", "e.ics").unwrap().is_none());
    let (meta, bytes) = b.get("cals/work", "e.ics").unwrap().expect("visible on B");
    assert_eq!((meta.etag, bytes), (put.etag, event_bytes("u1", "v1")));
    assert_eq!(
        b.find_uid("cals/work", "u1").unwrap().as_deref(),
        Some("e.ics")
    );
    // B's write is checked against A's: same UID under another name is a conflict.
    let err = b
        .put("cals/work", "f.ics", event("u1", "v2"), Precondition::None)
        .unwrap_err();
    assert!(matches!(err, StoreError::UidConflict { existing } if existing == "e.ics"));
    // Sequence numbers are one per collection, whichever node wrote.
    b.put("cals/work", "g.ics", event("u2", "v3"), Precondition::None)
        .unwrap();
    let changes = a.changes_since("cals/work", Some(0), None).unwrap();
    assert_eq!(changes.seq, 2);
    assert_eq!(changes.changes.len(), 2);
    assert_sound(&a);
}

#[test]
fn a_uid_race_across_two_nodes_has_one_winner() {
    let (a, b, _) = two_nodes();
    a.create_collection("cals", plain("alice")).unwrap();
    a.create_collection("cals/work", calendar("alice")).unwrap();
    let nodes = Arc::new([a.clone(), b]);
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let nodes = nodes.clone();
            std::thread::spawn(move || {
                let store = &nodes[i % 2];
                let name = format!("e{i}.ics");
                let r = store.put(
                    "cals/work",
                    &name,
                    event("same-uid", &format!("body {i}")),
                    Precondition::IfNoneMatchAny,
                );
                (name, r)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let winners: Vec<&String> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(n, _)| n)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for (_, r) in &results {
        match r {
            Ok(_) => {}
            Err(StoreError::UidConflict { existing }) => assert_eq!(existing, winners[0]),
            Err(e) => panic!("a loser got {e:?}"),
        }
    }
    assert_eq!(
        a.find_uid("cals/work", "same-uid").unwrap().as_ref(),
        Some(winners[0])
    );
    assert_eq!(a.list("cals/work").unwrap().len(), 1);
    assert_sound(&a);
}

#[test]
fn migrations_are_idempotent_and_two_nodes_may_run_them_at_once() {
    let (_, url) = HARNESS.database();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || migrate(&url))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap(), MIGRATIONS.len() as u32);
    }
    assert_eq!(migrate(&url).unwrap(), MIGRATIONS.len() as u32);
    let pg = PgStore::connect(&url, PgOptions::default()).unwrap();
    assert_eq!(pg.kind(), "postgres");
}

#[test]
fn a_newer_schema_is_refused() {
    let (db, url) = HARNESS.database();
    migrate(&url).unwrap();
    HARNESS
        .cluster
        .psql(&db, "UPDATE schema_version SET version = version + 1");
    let err = PgStore::connect(&url, PgOptions::default()).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
}

#[test]
fn an_unreachable_database_is_a_storage_error() {
    let err = PgStore::connect(
        "host=/nonexistent-davlite-socket-dir user=postgres dbname=x",
        PgOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::Storage(_)), "{err:?}");
}

#[test]
fn a_corrupted_body_found_by_sql_is_refused_and_reported() {
    let store = HARNESS.fresh();
    store.create_collection("cals", plain("alice")).unwrap();
    store
        .create_collection("cals/work", calendar("alice"))
        .unwrap();
    store
        .put(
            "cals/work",
            "e.ics",
            event("u1", "hello"),
            Precondition::None,
        )
        .unwrap();
    HARNESS.corrupt_body(&store, "cals/work", "e.ics");
    assert!(matches!(
        store.get("cals/work", "e.ics"),
        Err(StoreError::Corrupt { .. })
    ));
    let report = store.verify().unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(report.problems[0].contains("checksum"));
    // A copy of a corrupt object, or of its collection, fails before writing anything.
    store
        .create_collection("cals/other", calendar("alice"))
        .unwrap();
    assert!(matches!(
        store.copy(
            ("cals/work", "e.ics"),
            ("cals/other", "e.ics"),
            false,
            Precondition::None
        ),
        Err(StoreError::Corrupt { .. })
    ));
    assert!(store.get("cals/other", "e.ics").unwrap().is_none());
    assert!(matches!(
        store.copy_collection("cals/work", "cals/copy", false),
        Err(StoreError::Corrupt { .. })
    ));
    assert!(store.collection("cals/copy").unwrap().is_none());
}

#[test]
fn commit_stats_count_transactions() {
    let store = HARNESS.fresh();
    store.create_collection("cals", plain("alice")).unwrap();
    store
        .create_collection("cals/work", calendar("alice"))
        .unwrap();
    for i in 0..5 {
        store
            .put(
                "cals/work",
                &format!("{i}.ics"),
                event(&format!("u{i}"), "x"),
                Precondition::None,
            )
            .unwrap();
    }
    let stats = store.commit_stats();
    assert_eq!(stats.batches, 7);
    assert_eq!(stats.batch_size.count, 7);
    assert_eq!(stats.commit_micros.buckets.iter().sum::<u64>(), 7);
}

/// Not a benchmark, a figure for the report: creates per second through the library with 16
/// threads writing 16 calendars of one owner, and with 16 threads writing one calendar (they
/// queue on its row lock).
#[test]
fn throughput_of_creates_at_sixteen_threads() {
    for shared in [false, true] {
        let store = fresh_with_pool(17);
        store.create_collection("cals", plain("alice")).unwrap();
        for t in 0..16 {
            store
                .create_collection(&format!("cals/c{t}"), calendar("alice"))
                .unwrap();
        }
        let per_thread = 100;
        let began = Instant::now();
        let handles: Vec<_> = (0..16)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    let coll = if shared {
                        "cals/c0".to_string()
                    } else {
                        format!("cals/c{t}")
                    };
                    for i in 0..per_thread {
                        let uid = format!("u{t}-{i}");
                        store
                            .put(
                                &coll,
                                &format!("{uid}.ics"),
                                event(&uid, &uid),
                                Precondition::IfNoneMatchAny,
                            )
                            .unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let secs = began.elapsed().as_secs_f64();
        let n = 16 * per_thread;
        eprintln!(
            "postgres creates, 16 threads, {}: {n} in {secs:.2} s = {:.0}/s",
            if shared {
                "one calendar"
            } else {
                "16 calendars"
            },
            n as f64 / secs
        );
        let stats = store.commit_stats();
        eprintln!(
            "  {} transactions, {:.1} writes each",
            stats.batches,
            stats.batch_size.sum as f64 / stats.batches as f64
        );
        assert_eq!(store.read().unwrap().counts().unwrap().objects, n as u64);
        assert_sound(&store);
        if !shared {
            // Reads on one thread: each get is a snapshot (BEGIN, the query, ROLLBACK).
            let began = Instant::now();
            for i in 0..1000 {
                let name = format!("u{}-{}.ics", i % 16, i % per_thread);
                let coll = format!("cals/c{}", i % 16);
                assert!(store.get(&coll, &name).unwrap().is_some());
            }
            let secs = began.elapsed().as_secs_f64();
            eprintln!("postgres gets, 1 thread: {:.0}/s", 1000.0 / secs);
        }
    }
}

fn fresh_with_pool(pool_size: u32) -> Store {
    let (_, url) = HARNESS.database();
    Store::new(
        PgStore::connect(
            &url,
            PgOptions {
                pool_size,
                ..PgOptions::default()
            },
        )
        .unwrap(),
    )
}

#[test]
fn pooled_connections_the_server_closed_are_replaced() {
    let (db, url) = HARNESS.database();
    let store = Store::new(PgStore::connect(&url, PgOptions::default()).unwrap());
    store.create_collection("cals", plain("alice")).unwrap();
    store
        .create_collection("cals/work", calendar("alice"))
        .unwrap();
    // Several pooled connections, then the server ends every one of them.
    let readers: Vec<_> = (0..4).map(|_| store.read().unwrap()).collect();
    drop(readers);
    let killed = HARNESS.cluster.psql(
        "postgres",
        &format!(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = '{db}' AND pid <> pg_backend_pid()"
        ),
    );
    assert!(killed.trim().parse::<u32>().unwrap() >= 1, "{killed}");
    std::thread::sleep(std::time::Duration::from_millis(200));
    store
        .put("cals/work", "e.ics", event("u1", "v1"), Precondition::None)
        .unwrap();
    assert!(store.get("cals/work", "e.ics").unwrap().is_some());
    for _ in 0..8 {
        store.read().unwrap().counts().unwrap();
    }
}

/// Sixteen threads write one calendar at once, every round all of them creating the same UID
/// under names of their own: the writes queue for the calendar and run in shared transactions
/// (`group.rs`), where each refused write is undone alone. Per UID exactly one thread wins, the
/// others are told who holds it, and at least one transaction held several writes.
#[test]
fn writers_of_one_calendar_share_transactions_and_each_keeps_its_own_answer() {
    let store = fresh_with_pool(17);
    store.create_collection("cals", plain("alice")).unwrap();
    store
        .create_collection("cals/work", calendar("alice"))
        .unwrap();
    let rounds = 20;
    let barrier = Arc::new(std::sync::Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|t| {
            let (store, barrier) = (store.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut won = Vec::new();
                for i in 0..rounds {
                    barrier.wait();
                    let uid = format!("shared-{i}");
                    match store.put(
                        "cals/work",
                        &format!("{t}-{i}.ics"),
                        event(&uid, &format!("from {t}")),
                        Precondition::IfNoneMatchAny,
                    ) {
                        Ok(out) => {
                            assert!(out.created);
                            won.push(i);
                        }
                        Err(StoreError::UidConflict { existing }) => {
                            assert!(existing.ends_with(&format!("-{i}.ics")), "{existing}");
                        }
                        Err(e) => panic!("round {i}, thread {t}: {e}"),
                    }
                }
                won
            })
        })
        .collect();
    let mut winners = vec![0; rounds];
    for h in handles {
        for i in h.join().unwrap() {
            winners[i] += 1;
        }
    }
    assert_eq!(winners, vec![1; rounds], "one winner per UID");
    let snap = store.read().unwrap();
    assert_eq!(snap.counts().unwrap().objects, rounds as u64);
    let stats = store.commit_stats();
    assert!(
        stats.batch_size.sum > stats.batches,
        "some transaction held several writes: {} writes in {} transactions",
        stats.batch_size.sum,
        stats.batches
    );
    // A group with a refused write ran again with savepoints rather than falling back to one
    // transaction per write (which would answer the same, and count as a failed batch).
    assert_eq!(stats.failed_batches, 0, "no group fell back to lone writes");
    assert_sound(&store);
}

/// A young database is analyzed by the node that writes it (`analyze.rs`): without statistics
/// the planner read objects by name through the time-range index, every row of the calendar
/// per lookup. (`last_analyze` is set by an explicit ANALYZE only, not by autovacuum's.)
#[test]
fn a_young_database_is_analyzed_after_its_first_writes() {
    let (db, url) = HARNESS.database();
    let store = Store::new(PgStore::connect(&url, PgOptions::default()).unwrap());
    let analyzed = || {
        HARNESS.cluster.psql(
            &db,
            "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'objects' \
             AND last_analyze IS NOT NULL",
        )
    };
    store.create_collection("cals", plain("alice")).unwrap();
    store
        .create_collection("cals/work", calendar("alice"))
        .unwrap();
    for i in 0..199 {
        let uid = format!("u{i}");
        store
            .put(
                "cals/work",
                &format!("{uid}.ics"),
                event(&uid, "x"),
                Precondition::None,
            )
            .unwrap();
    }
    assert_eq!(analyzed().trim(), "0", "not analyzed before the threshold");
    store
        .put(
            "cals/work",
            "last.ics",
            event("last", "x"),
            Precondition::None,
        )
        .unwrap();
    let began = Instant::now();
    while analyzed().trim() != "1" {
        assert!(
            began.elapsed().as_secs() < 30,
            "objects not analyzed 30 s after the 200th write"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let plan = HARNESS.cluster.psql(
        &db,
        "EXPLAIN SELECT etag FROM objects WHERE owner = 'alice' AND name = 'u7.ics' \
         AND coll = (SELECT id FROM collections WHERE path = 'cals/work')",
    );
    assert!(plan.contains("objects_pkey"), "{plan}");
}
