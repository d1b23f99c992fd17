//! davlite-sync: two-way sync of a davlite store with any CalDAV/CardDAV server.
//!
//! Given a URL and credentials, the engine discovers the account (well-known URIs,
//! current-user-principal, home sets), maps every remote calendar and address book to a local
//! collection of one local user (`calendars/<user>/<name>`, `addressbooks/<user>/<name>`,
//! `<name>` being the remote collection's last path segment; created when missing), and syncs
//! both ways:
//! - remote changes by `sync-collection` (RFC 6578), or a `getetag` listing when the server
//!   has none, rejects the token or truncates; bodies in a first sync's listing itself (asked
//!   for with the ETags; a server that refuses or leaves them out gets multigets instead),
//!   otherwise by multiget, 100 per request; written in store transactions of up to 2,500
//!   members (or 8 MB) together with the sync state describing them, each written while the
//!   next one's members are fetched;
//! - local changes from the store's own change log, pushed with `If-None-Match: *` (new) and
//!   `If-Match` (updates, deletes), then re-read so a server that rewrites bodies or gives no
//!   ETag is taken as the new baseline rather than seen as a change next time. A delete is sent
//!   with the ETag recorded at the last sync, which the store keeps with the deleted object's
//!   tombstone (`Reader::deleted_object_props`): a change made on the server since is fetched
//!   back, never deleted unseen;
//! - the collection's name, colour and description, both ways (each property's last agreed
//!   value is kept; a change on one side goes to the other; on both sides the [`Policy`]
//!   decides, the server by default).
//!
//! A `503` or `429` is waited out (`Retry-After` in seconds, up to 30) and asked again.
//!
//! Hrefs are compared as decoded, normalized paths, always the server's own spelling (a server
//! reached at `/caldav/` answering under `/caldav.php/` is fine). A `412` on a create the
//! engine made before a crash is recognised by UID and content and adopted; `no-uid-conflict`
//! with an href adopts the holder. An item changed on both sides is decided by the [`Policy`];
//! the losing version is kept as a new object (fresh UID) in the `<name>-conflicts` sibling
//! collection and reported in the [`Summary`].
//!
//! Up to four collections sync at once, each on a thread and a connection of its own (an
//! account of a dozen calendars waits on its round trips a few at a time, not one after
//! another); progress still reaches the caller's closure on the caller's thread.
//!
//! The state lives in the local store under the reserved namespace [`state::NAMESPACE`] (dead
//! properties of objects and collections), which `davlite serve` neither shows nor accepts.
//!
//! `https://` is verified against the system's roots plus [`Account::ca_file`].
//!
//! Not here: creating remote collections, HTTP redirects outside discovery.
//!
//! ```no_run
//! use davlite_store::{Options, Store};
//! use davlite_sync::{Account, SyncOptions, sync};
//!
//! let store = Store::open("/tmp/app/data.redb", Options::default())?;
//! let account = Account {
//!     url: "https://dav.example.com/".into(),
//!     user: "alice".into(),
//!     password: "secret".into(),
//!     ca_file: None,
//! };
//! let summary = sync(&store, &account, &SyncOptions::for_user("alice"), &mut |p| eprintln!("{p:?}"))?;
//! println!("{} fetched, {} pushed, {} conflicts", summary.fetched, summary.pushed, summary.conflicts.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod batch;
mod collection_props;
mod conflict;
mod create;
mod discover;
mod engine;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod href;
mod http;
pub mod state;
mod xml;

pub use conflict::{Conflict, Policy, Winner};
pub use discover::{RemoteCollection, RemoteKind};
pub use error::SyncError;

use davlite_store::Store;

/// Where and who to sync with.
#[derive(Debug, Clone)]
pub struct Account {
    /// The server's URL or any URL of the account (`https://host/`, a principal, a home);
    /// `http://` too, for loopback and tests.
    pub url: String,
    pub user: String,
    pub password: String,
    /// A PEM file of certificates trusted for `https://` besides the system's roots: the CA of
    /// a self-hosted server, or its self-signed certificate.
    pub ca_file: Option<std::path::PathBuf>,
}

/// How to sync.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// The local user whose homes hold the synced collections.
    pub local_user: String,
    /// Who wins when an item changed on both sides.
    pub policy: Policy,
    /// Members per multiget, and per store transaction when pushing (a pull writes up to 1,000
    /// fetched members per transaction whatever this is).
    pub batch: usize,
    /// Make on the server the local calendars and address books it does not have (never
    /// synced ones only), then sync them like the others. Off by default: a sync otherwise
    /// never adds collections to the account.
    pub create_remote: bool,
}

impl SyncOptions {
    pub fn for_user(user: &str) -> SyncOptions {
        SyncOptions {
            local_user: user.to_string(),
            policy: Policy::default(),
            batch: 100,
            create_remote: false,
        }
    }
}

/// Progress as a sync goes, for an app to show.
#[derive(Debug)]
pub enum Progress<'a> {
    /// Discovery found this many calendars and address books.
    Discovered { collections: usize },
    /// Starting collection `index` (from 0) of `total`. Several collections are synced at
    /// once, so the next may start before this one ends.
    Collection {
        index: usize,
        total: usize,
        name: &'a str,
    },
    /// Items written locally from the server so far, in all collections.
    Fetched { total: u64 },
    /// Items written to the server so far, in all collections.
    Pushed { total: u64 },
}

/// One item changed on both sides (or deleted on one, edited on the other).
#[derive(Debug, Clone)]
pub struct ConflictRecord {
    /// Local collection path.
    pub collection: String,
    pub name: String,
    /// Remote canonical path.
    pub href: String,
    /// What happened and who won.
    pub what: String,
    /// `collection/name` of the kept losing version, if one was kept.
    pub loser_copy: Option<String>,
}

/// What a sync did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub collections: usize,
    /// Items created or updated locally from the server.
    pub fetched: u64,
    /// Items deleted locally because they were deleted on the server.
    pub deleted_local: u64,
    /// Items created or updated on the server.
    pub pushed: u64,
    /// Items deleted on the server because they were deleted locally.
    pub deleted_remote: u64,
    /// Collections made on the server ([`SyncOptions::create_remote`]).
    pub created_remote: u64,
    /// Pushed items the server stored in another form (taken as the new local version).
    pub rewritten: u64,
    pub conflicts: Vec<ConflictRecord>,
    /// Problems that stopped one item or collection; the rest went on.
    pub errors: Vec<String>,
    /// HTTP requests sent.
    pub requests: u64,
}

impl Summary {
    /// Adds what one collection's sync did (its `collections` aside).
    fn add(&mut self, other: Summary) {
        self.fetched += other.fetched;
        self.deleted_local += other.deleted_local;
        self.pushed += other.pushed;
        self.deleted_remote += other.deleted_remote;
        self.created_remote += other.created_remote;
        self.rewritten += other.rewritten;
        self.conflicts.extend(other.conflicts);
        self.errors.extend(other.errors);
        self.requests += other.requests;
    }
}

/// The local collection path for a remote collection.
pub fn local_path(user: &str, remote: &RemoteCollection) -> String {
    let top = match remote.kind {
        RemoteKind::Calendar => "calendars",
        RemoteKind::AddressBook => "addressbooks",
    };
    format!("{top}/{user}/{}", remote.name())
}

/// Syncs every calendar and address book of `account` with `store`, both ways. Errors of one
/// collection are recorded in the summary and the others go on; discovery errors end the run.
pub fn sync(
    store: &Store,
    account: &Account,
    options: &SyncOptions,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<Summary, SyncError> {
    let (mut http, start) = http::Http::new(
        &account.url,
        &account.user,
        &account.password,
        account.ca_file.as_deref(),
    )?;
    let mut summary = Summary::default();
    let mut found = discover::discover(&mut http, &start)?;
    if options.create_remote
        && create::create_missing(&mut http, store, &options.local_user, &found, &mut summary)?
    {
        found = discover::discover(&mut http, &start)?;
    }
    let remotes = found.collections;
    progress(&Progress::Discovered {
        collections: remotes.len(),
    });
    summary.collections = remotes.len();
    let runs = sync_collections(&http, store, options, &remotes, progress);
    summary.requests = http.requests;
    let mut outcome = Ok(());
    for (run, done) in runs {
        summary.add(done);
        outcome = outcome.and(run);
    }
    outcome.map(|()| summary)
}

/// Collections synced at once. Each waits mostly on its own round trips and commits, so an
/// account of a dozen calendars is not a dozen syncs end to end; few enough that the server
/// sees a client, not a crowd.
const COLLECTIONS_AT_ONCE: usize = 4;

/// The indexes of `remotes` grouped by the local collection path each maps to, in the order of
/// their first members. Remote collections of one last path segment (two homes' `work`, say)
/// map to one local collection: a group is synced one member after the other, by one thread,
/// never two at once.
fn by_local_path(user: &str, remotes: &[RemoteCollection]) -> Vec<(String, Vec<usize>)> {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (index, remote) in remotes.iter().enumerate() {
        let local = local_path(user, remote);
        match groups.iter_mut().find(|(path, _)| *path == local) {
            Some((_, members)) => members.push(index),
            None => groups.push((local, vec![index])),
        }
    }
    groups
}

/// What a collection's thread tells the caller's, which alone calls `progress`.
enum Event {
    Started(usize),
    Fetched(usize, u64),
    Pushed(usize, u64),
}

/// Syncs each of `remotes`, up to [`COLLECTIONS_AT_ONCE`] at a time, each on a thread and a
/// client of its own ([`http::Http::fork`]); returns each one's summary in the order of
/// `remotes`, with `Err` only for a refused login (other errors are in the summary). Progress
/// reaches `progress` on this thread, with run-wide totals.
fn sync_collections(
    http: &http::Http,
    store: &Store,
    options: &SyncOptions,
    remotes: &[RemoteCollection],
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Vec<(Result<(), SyncError>, Summary)> {
    let total = remotes.len();
    let groups = by_local_path(&options.local_user, remotes);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (events, received) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..COLLECTIONS_AT_ONCE.min(groups.len()))
            .map(|_| {
                let (next, groups, events) = (&next, &groups, events.clone());
                let mut http = http.fork();
                scope.spawn(move || {
                    let mut done = Vec::new();
                    let members = std::iter::from_fn(|| {
                        let group = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        groups.get(group)
                    })
                    .flat_map(|(local, members)| members.iter().map(move |&i| (local, i)));
                    for (local, index) in members {
                        let remote = &remotes[index];
                        let _ = events.send(Event::Started(index));
                        let mut summary = Summary::default();
                        let mut report = |p: &Progress<'_>| {
                            let event = match *p {
                                Progress::Fetched { total } => Event::Fetched(index, total),
                                Progress::Pushed { total } => Event::Pushed(index, total),
                                _ => return,
                            };
                            let _ = events.send(event);
                        };
                        let run = engine::CollectionSync::new(
                            &mut http,
                            store,
                            options,
                            &mut summary,
                            &mut report,
                            remote,
                            local.clone(),
                        )
                        .run();
                        // A collection's error ends its sync, not the others'; a refused login
                        // is the whole run's.
                        let run = match run {
                            Err(e) if !matches!(e, SyncError::Unauthorized) => {
                                summary.errors.push(format!("{local}: {e}"));
                                Ok(())
                            }
                            run => run,
                        };
                        summary.requests = std::mem::take(&mut http.requests);
                        done.push((index, run, summary));
                    }
                    done
                })
            })
            .collect();
        drop(events);
        let (mut fetched, mut pushed) = (vec![0; total], vec![0; total]);
        for event in received {
            match event {
                Event::Started(index) => progress(&Progress::Collection {
                    index,
                    total,
                    name: remotes[index].name(),
                }),
                Event::Fetched(index, n) => {
                    fetched[index] = n;
                    progress(&Progress::Fetched {
                        total: fetched.iter().sum(),
                    });
                }
                Event::Pushed(index, n) => {
                    pushed[index] = n;
                    progress(&Progress::Pushed {
                        total: pushed.iter().sum(),
                    });
                }
            }
        }
        let mut runs: Vec<_> = workers
            .into_iter()
            .flat_map(|w| match w.join() {
                Ok(done) => done,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect();
        runs.sort_by_key(|(index, ..)| *index);
        runs.into_iter()
            .map(|(_, run, summary)| (run, summary))
            .collect()
    })
}

/// [`sync`] for async callers: runs on a blocking thread of the caller's tokio runtime.
pub async fn sync_async(
    store: Store,
    account: Account,
    options: SyncOptions,
) -> Result<Summary, SyncError> {
    tokio::task::spawn_blocking(move || sync(&store, &account, &options, &mut |_| {}))
        .await
        .map_err(|e| SyncError::Discovery(format!("sync task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collections_of_one_local_path_are_one_group() {
        let remotes = [
            RemoteCollection::bare("/cal/alice/work", RemoteKind::Calendar),
            RemoteCollection::bare("/cal/alice/home", RemoteKind::Calendar),
            RemoteCollection::bare("/cal/bob/work", RemoteKind::Calendar),
            RemoteCollection::bare("/card/alice/work", RemoteKind::AddressBook),
        ];
        let groups = by_local_path("alice", &remotes);
        let members: Vec<&[usize]> = groups.iter().map(|(_, m)| m.as_slice()).collect();
        assert_eq!(members, [&[0, 2][..], &[1], &[3]]);
        assert_eq!(groups[0].0, "calendars/alice/work");
    }
}
