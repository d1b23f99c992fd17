//! The conformance suite (`davlite_store::conformance`) on the redb backend, twice: with group
//! commit (the default) and with every write committing alone on its caller's thread.

use std::sync::Mutex;

use davlite_store::conformance::Harness;
use davlite_store::{Options, RedbStore, Store};

/// In-memory redb stores; each one made is remembered with its `RedbStore`, which
/// `corrupt_body` needs for its test hook.
pub struct RedbHarness {
    pub group_commit: bool,
}

static MADE: Mutex<Vec<(Store, RedbStore)>> = Mutex::new(Vec::new());

impl Harness for RedbHarness {
    fn fresh(&self) -> Store {
        let options = Options {
            group_commit: self.group_commit,
            ..Options::default()
        };
        let redb = RedbStore::in_memory(options).expect("in-memory redb store");
        let store = Store::new(redb.clone());
        MADE.lock().unwrap().push((store.clone(), redb));
        store
    }

    fn corrupt_body(&self, store: &Store, coll: &str, name: &str) {
        let redb = MADE
            .lock()
            .unwrap()
            .iter()
            .find(|(s, _)| s.same_backend(store))
            .map(|(_, r)| r.clone())
            .expect("a store this harness made");
        redb.corrupt_body_for_tests(coll, name)
            .expect("the body exists");
    }
}

mod group_commit {
    use super::RedbHarness;
    davlite_store::conformance_tests!(&RedbHarness { group_commit: true });
}

mod inline_commit {
    use super::RedbHarness;
    davlite_store::conformance_tests!(&RedbHarness {
        group_commit: false
    });
}
