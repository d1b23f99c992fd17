//! Group-commit semantics that need the engine itself: requests in one batch are isolated from
//! each other's failures, and an I/O error fails the whole batch.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};

use davlite_formats::ParsedObject;
use redb::backends::FileBackend;
use redb::{Database, StorageBackend};

use crate::conformance::fixtures::event;
use crate::redb_backend::commit::{Call, Job};
use crate::*;

fn put_job(
    name: &str,
    obj: ParsedObject,
) -> (Box<dyn Job>, Receiver<Result<PutOutcome, StoreError>>) {
    let (reply, rx) = sync_channel(1);
    let name = name.to_owned();
    let obj = crate::redb_backend::objects::Hashed::new(obj);
    let f = move |tx: &mut crate::redb_backend::tx::Tx<'_>| {
        tx.put("cal", &name, &obj, &Precondition::None, None)
            .map_err(|(_, e)| e)
    };
    (Box::new(Call::new(f, reply, false)), rx)
}

fn calendar_store(store: &Store) {
    let new = NewCollection {
        kind: CollectionKind::Calendar,
        ..Default::default()
    };
    store.create_collection("cal", new).unwrap();
}

#[test]
fn a_failing_request_does_not_disturb_its_batch() {
    let dir = tempfile::tempdir().unwrap();
    let redb = RedbStore::open(dir.path().join("db"), Options::default()).unwrap();
    let store = Store::new(redb.clone());
    calendar_store(&store);
    store
        .put("cal", "held.ics", event("taken", "0"), Precondition::None)
        .unwrap();
    let (a, ra) = put_job("a.ics", event("ua", "A"));
    let (b, rb) = put_job("b.ics", event("taken", "B"));
    let (c, rc) = put_job("c.ics", event("uc", "C"));
    redb.engine.run_batch(vec![a, b, c]);
    assert!(ra.recv().unwrap().unwrap().created);
    assert!(
        matches!(rb.recv().unwrap(), Err(StoreError::UidConflict { existing }) if existing == "held.ics")
    );
    assert!(rc.recv().unwrap().unwrap().created);
    let names: Vec<_> = store
        .list("cal")
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, vec!["a.ics", "c.ics", "held.ics"]);
    // a, held, c: three upserts, no trace of b
    assert_eq!(store.collection("cal").unwrap().unwrap().seq, 3);
    assert!(store.verify().unwrap().is_ok());
}

/// A file backend whose writes and syncs fail while `fail` is set.
#[derive(Debug)]
struct Flaky {
    inner: FileBackend,
    fail: Arc<AtomicBool>,
}

impl Flaky {
    fn check(&self) -> std::io::Result<()> {
        if self.fail.load(Ordering::SeqCst) {
            Err(std::io::Error::other("injected I/O failure"))
        } else {
            Ok(())
        }
    }
}

impl StorageBackend for Flaky {
    fn len(&self) -> std::io::Result<u64> {
        self.inner.len()
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        self.inner.read(offset, out)
    }
    fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.check()?;
        self.inner.set_len(len)
    }
    fn sync_data(&self) -> std::io::Result<()> {
        self.check()?;
        self.inner.sync_data()
    }
    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.check()?;
        self.inner.write(offset, data)
    }
}

#[test]
fn an_io_error_fails_every_request_of_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let fail = Arc::new(AtomicBool::new(false));
    {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .unwrap();
        let backend = Flaky {
            inner: FileBackend::new(file).unwrap(),
            fail: fail.clone(),
        };
        let db = Database::builder().create_with_backend(backend).unwrap();
        let redb = RedbStore::with_database(db, Options::default()).unwrap();
        let store = Store::new(redb.clone());
        calendar_store(&store);
        store
            .put("cal", "before.ics", event("u0", "0"), Precondition::None)
            .unwrap();
        let (a, ra) = put_job("a.ics", event("ua", "A"));
        let (b, rb) = put_job("b.ics", event("ub", "B"));
        fail.store(true, Ordering::SeqCst);
        redb.engine.run_batch(vec![a, b]);
        assert!(matches!(ra.recv().unwrap(), Err(StoreError::Storage(_))));
        assert!(matches!(rb.recv().unwrap(), Err(StoreError::Storage(_))));
        // the same through the public path: an error, never a false Ok
        let e = store
            .put("cal", "c.ics", event("uc", "C"), Precondition::None)
            .unwrap_err();
        assert!(matches!(e, StoreError::Storage(_)), "{e}");
        assert!(e.to_string().contains("storage failure"));
        fail.store(false, Ordering::SeqCst);
    }
    let store = Store::open(&path, Options::default()).unwrap();
    let names: Vec<_> = store
        .list("cal")
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, vec!["before.ics"]);
    assert!(store.verify().unwrap().is_ok());
}

#[test]
fn a_batch_sees_the_collection_changes_of_earlier_requests() {
    let redb = RedbStore::in_memory(Options::default()).unwrap();
    let store = Store::new(redb.clone());
    calendar_store(&store);
    let (a, ra) = put_job("a.ics", event("ua", "A"));
    let (reply, rdel) = sync_channel(1);
    let del = Box::new(Call::new(
        |tx: &mut crate::redb_backend::tx::Tx<'_>| tx.delete_collection("cal"),
        reply,
        false,
    ));
    let (b, rb) = put_job("b.ics", event("ub", "B"));
    let (reply, rnew) = sync_channel(1);
    let recreate = Box::new(Call::new(
        |tx: &mut crate::redb_backend::tx::Tx<'_>| {
            let new = NewCollection {
                kind: CollectionKind::Calendar,
                ..Default::default()
            };
            tx.create_collection("cal", &new)
        },
        reply,
        false,
    ));
    let (c, rc) = put_job("c.ics", event("ua", "C"));
    redb.engine.run_batch(vec![a, del, b, recreate, c]);
    assert!(ra.recv().unwrap().is_ok());
    rdel.recv().unwrap().unwrap();
    assert!(matches!(
        rb.recv().unwrap(),
        Err(StoreError::ParentNotFound)
    ));
    rnew.recv().unwrap().unwrap();
    assert!(
        rc.recv().unwrap().unwrap().created,
        "the UID died with the old collection"
    );
    let names: Vec<_> = store
        .list("cal")
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, vec!["c.ics"]);
    assert!(store.verify().unwrap().is_ok());
}

#[test]
fn commit_stats_and_counts_follow_the_batches() {
    let dir = tempfile::tempdir().unwrap();
    let redb = RedbStore::open(dir.path().join("db"), Options::default()).unwrap();
    let store = Store::new(redb.clone());
    calendar_store(&store);
    let before = store.commit_stats();
    assert_eq!(before.batches, 1, "the collection's creation");
    let (a, ra) = put_job("a.ics", event("ua", "A"));
    let (b, rb) = put_job("b.ics", event("ua", "B"));
    let (c, rc) = put_job("c.ics", event("uc", "C"));
    redb.engine.run_batch(vec![a, b, c]);
    for rx in [ra, rc] {
        rx.recv().unwrap().unwrap();
    }
    assert!(
        rb.recv().unwrap().is_err(),
        "a refused request still rode in the batch"
    );
    let after = store.commit_stats();
    assert_eq!(after.batches, 2);
    assert_eq!(after.failed_batches, 0);
    assert_eq!(after.batch_size.count, 2);
    assert_eq!(after.batch_size.sum, 4);
    // Bounds 1, 2, 4, ...: the 1-request batch and the 3-request batch.
    assert_eq!(&after.batch_size.buckets[..3], &[1, 0, 1]);
    assert_eq!(after.commit_micros.count, 2);
    assert!(after.batch_micros.sum >= after.commit_micros.sum);
    assert_eq!(
        store.read().unwrap().counts().unwrap(),
        StoreCounts {
            collections: 1,
            objects: 2
        }
    );
}
