//! Syncing one remote collection with one local collection: pull (remote changes by
//! sync-collection or a getetag listing, bodies in a first sync's listing itself or by
//! multiget in batches), then push (local
//! changes from the store's change log, conditional PUT and DELETE), then a re-read of what
//! was pushed so a server's rewrite becomes the baseline instead of a change.

use std::collections::{HashSet, VecDeque};

use davlite_formats::ParsedObject;
use davlite_store::{
    ChangeKind, CollectionKind, Etag, Limits, NewCollection, ObjectMeta, Precondition, Reader,
    Store, StoreError,
};

use crate::batch::{Applied, WriteOp, apply};
use crate::conflict::{self, Conflict, Winner};
use crate::discover::{RemoteCollection, RemoteKind};
use crate::error::SyncError;
use crate::href;
use crate::http::{BodyReader, Http, Response};
use crate::state::{CollectionState, ItemState};
use crate::xml::{self, CALDAV, CARDDAV, DAV};
use crate::{ConflictRecord, Progress, Summary, SyncOptions};

/// A local object: metadata, body, and its state when it describes a member of this remote
/// collection.
type LocalItem = (ObjectMeta, Vec<u8>, Option<ItemState>);

/// A multiget answer: canonical href, ETag, body (`None`: the member is gone).
type Fetched = (String, String, Option<Vec<u8>>);

/// A fetched member's body, parsed before the store is consulted (see
/// [`CollectionSync::fetch_all`]).
enum Body {
    /// The parsed body and its ETag (hashed on the reading thread, off the decisions' path).
    Object(ParsedObject, Etag),
    /// Why it does not parse.
    Unparsable(String),
    /// Gone from the server since it was listed.
    Gone,
}

/// Most fetched members written in one store transaction (see [`CollectionSync::fetch_all`]).
const WRITE_ITEMS: usize = 2500;
/// Most bytes of fetched bodies written in one store transaction: a thousand vCards with
/// photos must not be held at once.
const WRITE_BYTES: usize = 8 << 20;

/// A group's store write in flight while the next group is decided (see
/// [`CollectionSync::fetch_all`]): its outcome, and the local names and UIDs it writes.
struct Inflight {
    done: std::sync::mpsc::Receiver<Result<Applied, davlite_store::ApplyError>>,
    names: Touched,
    uids: Touched,
    /// Whether it deletes a local item: the UID that item held becomes free only once the
    /// write lands, and the writes in flight may reach the store in either order.
    deletes: bool,
    /// Members fetched once it lands, for the progress report.
    fetched: u64,
}

/// Local names or UIDs that a write in flight touches, as 64-bit hashes: a group of thousands
/// is recorded without a copy of each string. Two strings of one hash make a decision wait for
/// a write it need not have waited for, never the reverse.
#[derive(Default)]
struct Touched(HashSet<u64, std::hash::BuildHasherDefault<Prehashed>>);

/// The hasher of a set whose keys are hashes already: hashing them again only costs time.
#[derive(Default)]
struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys come here (`write_u64`); any other still hashes, if poorly.
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

impl Touched {
    /// With ahash rather than SipHash: a collision costs a wait, never a wrong decision, so
    /// guarding against chosen keys buys nothing here (SipHash was a tenth of this thread's
    /// time at 10,000 members).
    fn hash(s: &str) -> u64 {
        let mut h = ahash::AHasher::default();
        std::hash::Hash::hash(s, &mut h);
        std::hash::Hasher::finish(&h)
    }
    fn insert(&mut self, s: &str) {
        self.0.insert(Self::hash(s));
    }
    fn may_hold(&self, s: &str) -> bool {
        self.0.contains(&Self::hash(s))
    }
}

/// Groups' writes in flight at most: one being committed and the next waiting its turn, so the
/// store's writer goes from one group to the next without waiting for the engine.
const WRITES_AHEAD: usize = 2;

/// An item pushed in this run, re-read afterwards.
struct Pushed {
    href: String,
    name: String,
    sent: Etag,
    etag: Option<String>,
}

pub(crate) struct CollectionSync<'a> {
    pub http: &'a mut Http,
    pub store: &'a Store,
    pub options: &'a SyncOptions,
    pub summary: &'a mut Summary,
    pub progress: &'a mut dyn FnMut(&Progress<'_>),
    pub remote: &'a RemoteCollection,
    /// Local collection path.
    pub local: String,
    pub conflicts_path: String,
    ops: Vec<WriteOp>,
    fetch: Vec<(String, String)>,
    /// Names this run deleted locally (their change-log entries are ours).
    ours_deleted: HashSet<String>,
    /// The change-log sequences of this run's synced puts (see [`crate::batch::apply`]).
    ours_logged: HashSet<u64>,
    /// Entries this run's writes added to the local collection's change log since the run
    /// read its local changes (see [`Applied::entries`]).
    ours_entries: u64,
    /// Names deleted locally since the last sync, not yet pushed.
    local_deleted: HashSet<String>,
    /// Canonical hrefs listed, in a full listing.
    seen: Option<HashSet<String>>,
    /// UIDs of the fetched members whose writes are queued in `ops`, not yet in the store (see
    /// [`Self::fetch_all`]).
    queued_uids: HashSet<String>,
    token_mode: bool,
    /// One snapshot of the store shared by the per-member reads of a listing walk or of one
    /// group's decisions, instead of a read transaction per member. Only set while nothing is
    /// written: [`Self::flush`] drops it (later reads open their own), and so does the end of
    /// each phase, before its write starts.
    snap: Option<Reader>,
    /// The previous groups' writes, oldest first, while the next group is decided (see
    /// [`Self::fetch_all`]).
    inflight: VecDeque<Inflight>,
}

fn parse(kind: RemoteKind, bytes: Vec<u8>) -> Result<ParsedObject, String> {
    match kind {
        RemoteKind::Calendar => ParsedObject::calendar(bytes),
        RemoteKind::AddressBook => ParsedObject::vcard(bytes),
    }
    .map_err(|e| e.to_string())
}

/// The property that holds a member's body: (namespace, name).
fn data_prop(kind: RemoteKind) -> (&'static str, &'static str) {
    match kind {
        RemoteKind::Calendar => (CALDAV, "calendar-data"),
        RemoteKind::AddressBook => (CARDDAV, "address-data"),
    }
}

/// The body text of `item` when its data property came with it (2xx), taken out of the item.
fn take_body(item: &mut xml::Item, kind: RemoteKind) -> Option<String> {
    let (ns, local) = data_prop(kind);
    let i = item
        .props
        .iter()
        .position(|p| p.ns == ns && p.local == local && (200..300).contains(&p.status))?;
    Some(std::mem::take(&mut item.props[i].text))
}

/// A fetched body, parsed and its ETag hashed (off the thread that decides and writes).
fn parsed(kind: RemoteKind, bytes: Vec<u8>) -> Body {
    match parse(kind, bytes) {
        Ok(o) => {
            let tag = Etag::of(o.bytes());
            Body::Object(o, tag)
        }
        Err(e) => Body::Unparsable(e),
    }
}

fn ext(kind: RemoteKind) -> &'static str {
    match kind {
        RemoteKind::Calendar => "ics",
        RemoteKind::AddressBook => "vcf",
    }
}

/// Calendar data and vCards end lines with CRLF (RFC 5545 §3.1, RFC 6350 §3.2), but XML
/// parsers and serializers turn line ends into LF (XML 1.0 §2.11), so a body that came inside
/// a multistatus may have lost its CRs: put them back, leaving a body that has them alone.
fn crlf(text: String) -> Vec<u8> {
    let b = text.as_bytes();
    if !memchr::memchr_iter(b'\n', b).any(|i| i == 0 || b[i - 1] != b'\r') {
        // Every line already ends with CRLF (a server that escapes its CRs): no copy.
        return text.into_bytes();
    }
    let mut out = Vec::with_capacity(text.len() + text.len() / 40);
    let mut prev = 0u8;
    for &b in text.as_bytes() {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

/// A usable etag value: strong and non-empty (a weak tag never matches in If-Match).
fn strong(etag: &str) -> Option<&str> {
    (!etag.is_empty() && !etag.starts_with("W/")).then_some(etag)
}

impl<'a> CollectionSync<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        http: &'a mut Http,
        store: &'a Store,
        options: &'a SyncOptions,
        summary: &'a mut Summary,
        progress: &'a mut dyn FnMut(&Progress<'_>),
        remote: &'a RemoteCollection,
        local: String,
    ) -> Self {
        let conflicts_path = format!("{local}-conflicts");
        CollectionSync {
            http,
            store,
            options,
            summary,
            progress,
            remote,
            local,
            conflicts_path,
            ops: Vec::new(),
            fetch: Vec::new(),
            ours_deleted: HashSet::new(),
            ours_logged: HashSet::new(),
            ours_entries: 0,
            local_deleted: HashSet::new(),
            seen: None,
            queued_uids: HashSet::new(),
            token_mode: false,
            snap: None,
            inflight: VecDeque::new(),
        }
    }

    fn kind(&self) -> CollectionKind {
        match self.remote.kind {
            RemoteKind::Calendar => CollectionKind::Calendar,
            RemoteKind::AddressBook => CollectionKind::AddressBook,
        }
    }

    fn new_collection(&self) -> NewCollection {
        let kind = self.kind();
        NewCollection {
            kind,
            owner: self.options.local_user.clone(),
            limits: Limits {
                components: if kind == CollectionKind::Calendar {
                    davlite_formats::ComponentSet::ALL_CALENDAR
                } else {
                    davlite_formats::ComponentSet::NONE
                },
                ..Limits::default()
            },
            props: Vec::new(),
        }
    }

    /// Creates the local collection (and its missing parents) when missing and syncs its
    /// display properties both ways (see `crate::collection_props`), in one store transaction.
    fn ensure_local(&mut self) -> Result<CollectionState, SyncError> {
        // A lost round means an application (or another sync) created one of the collections
        // this one would: there are no more rounds to lose than segments in the local path.
        let mut rounds = self.local.split('/').count() + 1;
        loop {
            let snapshot = self.store.read()?;
            let existing = snapshot.collection(&self.local)?;
            let mut ops = match existing {
                Some(_) => Vec::new(),
                None => self.creations(&snapshot)?,
            };
            drop(snapshot);
            let props = existing.map(|c| c.props).unwrap_or_default();
            let state = CollectionState::read(&props);
            // Another remote collection than last time: what was agreed with that one, its
            // token included, means nothing here.
            let fresh = state.remote.as_deref() != Some(self.remote.path.as_str());
            let mut own = Vec::new();
            if fresh {
                own.push(CollectionState::remote_prop(&self.remote.path));
                if state.remote.is_some() {
                    own.push(CollectionState::token_prop(None));
                }
            }
            let display = self.collection_props_writes(&props, fresh)?;
            let props_op = |props: Vec<_>, expect| WriteOp::CollectionProps {
                path: self.local.clone(),
                props,
                expect,
            };
            let both = own.iter().cloned().chain(display.props).collect::<Vec<_>>();
            let mut batch = ops.clone();
            if !both.is_empty() {
                batch.push(props_op(both, display.expect));
            }
            let mut outcome = self.apply_unless_empty(batch);
            if matches!(&outcome, Err(e) if matches!(e.error, StoreError::PreconditionFailed { .. }))
            {
                // Renamed locally meanwhile: the next run sees the new value as a local
                // change. The engine's own properties are written all the same.
                if !own.is_empty() {
                    ops.push(props_op(own, Vec::new()));
                }
                outcome = self.apply_unless_empty(ops);
            }
            match outcome {
                Ok(()) => {}
                Err(e) if matches!(e.error, StoreError::AlreadyExists) && rounds > 1 => {
                    rounds -= 1;
                    continue;
                }
                Err(e) => return Err(e.error.into()),
            }
            let coll = self
                .store
                .collection(&self.local)?
                .ok_or(StoreError::NotFound)?;
            return Ok(CollectionState::read(&coll.props));
        }
    }

    /// The creations of the local collection and of those of its parents `snapshot` lacks,
    /// parents first.
    fn creations(&self, snapshot: &Reader) -> Result<Vec<WriteOp>, SyncError> {
        let mut ops = Vec::new();
        for (i, _) in self.local.match_indices('/') {
            let parent = &self.local[..i];
            if snapshot.collection(parent)?.is_some() {
                continue;
            }
            // The top level is shared; below it, the local user's homes.
            let owner = if parent.contains('/') {
                self.options.local_user.clone()
            } else {
                String::new()
            };
            ops.push(WriteOp::CreateCollection {
                path: parent.to_string(),
                new: NewCollection {
                    owner,
                    ..NewCollection::default()
                },
            });
        }
        ops.push(WriteOp::CreateCollection {
            path: self.local.clone(),
            new: self.new_collection(),
        });
        Ok(ops)
    }

    /// Applies `ops` when there are any.
    fn apply_unless_empty(&self, ops: Vec<WriteOp>) -> Result<(), davlite_store::ApplyError> {
        if ops.is_empty() {
            return Ok(());
        }
        self.store.apply(ops).map(|_| ())
    }

    /// The local object name for a remote href: its last segment when the store can hold
    /// it, else a name derived from the href.
    fn name_for(&self, href: &str) -> String {
        let seg = href::last_segment(href);
        if !seg.is_empty() && seg != "." && seg != ".." && !seg.contains('\0') && seg.len() <= 200 {
            seg.to_string()
        } else {
            format!(
                "h-{}.{}",
                &Etag::of(href.as_bytes()).to_string()[..24],
                ext(self.remote.kind)
            )
        }
    }

    fn flush(&mut self) -> Result<(), SyncError> {
        // After the write in flight, never beside it: its members' decisions came first.
        self.settle()?;
        if self.ops.is_empty() {
            return Ok(());
        }
        // What the shared snapshot says is about to be out of date.
        self.snap = None;
        let ops = std::mem::take(&mut self.ops);
        self.queued_uids.clear();
        let applied = apply(self.store, &self.local, ops)?;
        self.took(applied);
        Ok(())
    }

    /// Records what a batch of the engine's wrote (see [`Self::advance_local_seq`]).
    fn took(&mut self, applied: Applied) {
        self.ours_logged.reserve(applied.synced.len());
        self.ours_logged.extend(applied.synced);
        self.ours_entries += applied.entries;
    }

    /// Waits for every write in flight (see [`Self::fetch_all`]); a shared snapshot is taken
    /// again so the reads after see them.
    fn settle(&mut self) -> Result<(), SyncError> {
        while !self.inflight.is_empty() {
            self.settle_oldest()?;
        }
        Ok(())
    }

    /// Waits for the oldest write in flight, if any, and reports the progress it made.
    fn settle_oldest(&mut self) -> Result<(), SyncError> {
        let Some(w) = self.inflight.pop_front() else {
            return Ok(());
        };
        let Ok(outcome) = w.done.recv() else {
            // Its thread dropped the sender without sending: it panicked, and the scope
            // around it re-raises that panic.
            panic!("the store write of fetched members panicked");
        };
        self.took(outcome?);
        (self.progress)(&Progress::Fetched { total: w.fetched });
        if self.snap.is_some() {
            self.snap = Some(self.store.read()?);
        }
        Ok(())
    }

    /// Waits for the write in flight when it writes local item `name` or UID `uid`: what a
    /// decision about them reads must include it.
    fn settle_for(&mut self, name: &str, uid: Option<&str>) -> Result<(), SyncError> {
        if self
            .inflight
            .iter()
            .any(|w| w.deletes || w.names.may_hold(name) || uid.is_some_and(|u| w.uids.may_hold(u)))
        {
            self.settle()?;
        }
        Ok(())
    }

    /// A snapshot for one read of the pull's: the shared one while set (see [`Self::snap`]).
    fn reader(&self) -> Result<Reader, SyncError> {
        match &self.snap {
            Some(r) => Ok(r.clone()),
            None => Ok(self.store.read()?),
        }
    }

    fn local_item(&self, name: &str) -> Result<Option<LocalItem>, SyncError> {
        let reader = self.reader()?;
        let Some((meta, bytes)) = reader.get(&self.local, name)? else {
            return Ok(None);
        };
        let props = reader.object_props(&self.local, name)?;
        Ok(Some((meta, bytes, self.state_of(name, &props))))
    }

    pub fn run(mut self) -> Result<(), SyncError> {
        let state = self.ensure_local()?;
        // Local changes since the last push, read before the pull writes anything.
        let reader = self.store.read()?;
        let changes = match reader.changes_since(&self.local, state.local_seq, None) {
            Ok(c) => c,
            Err(StoreError::InvalidSyncToken) => reader.changes_since(&self.local, None, None)?,
            Err(e) => return Err(e.into()),
        };
        drop(reader);
        for c in &changes.changes {
            if c.kind == ChangeKind::Delete && !c.is_collection {
                self.local_deleted.insert(c.name.clone());
            }
        }
        let push_upto = changes.seq;
        self.ours_entries = 0;

        self.pull(state.token.clone())?;
        let names: Vec<String> = changes
            .changes
            .iter()
            .filter(|c| !c.is_collection)
            .map(|c| c.name.clone())
            .collect();
        let pushed = self.push(&names)?;
        if pushed > 0 && self.token_mode {
            // Move the remote token past our own writes, so the next run starts clean.
            let coll = self
                .store
                .collection(&self.local)?
                .ok_or(StoreError::NotFound)?;
            self.local_deleted.clear();
            self.pull(CollectionState::read(&coll.props).token)?;
        }
        self.advance_local_seq(state.local_seq, push_upto)?;
        Ok(())
    }

    /// Records how far local changes are pushed: past everything up to `push_upto`, and past
    /// later entries too when all of them are this run's own writes: deletions it made, and
    /// puts it logged with their sync state (an entry of a name written since has a newer
    /// sequence). Any other entry (an application's write meanwhile, or an object this run
    /// moved aside without state) keeps `push_upto`, so the next run looks at them.
    fn advance_local_seq(&mut self, old: Option<u64>, push_upto: u64) -> Result<(), SyncError> {
        let reader = self.store.read()?;
        let coll = reader
            .collection(&self.local)?
            .ok_or(StoreError::NotFound)?;
        // Each entry bumps the sequence by one: when this run's own entries account for every
        // bump since `push_upto`, nobody else wrote, and the log (a first sync's is as long as
        // the collection) need not be read.
        let new = if coll.seq.checked_sub(push_upto) == Some(self.ours_entries) {
            coll.seq
        } else {
            let later = reader.changes_since(&self.local, Some(push_upto), None)?;
            let all_ours =
                later
                    .changes
                    .iter()
                    .filter(|c| !c.is_collection)
                    .all(|c| match c.kind {
                        ChangeKind::Delete => self.ours_deleted.contains(&c.name),
                        ChangeKind::Upsert => self.ours_logged.contains(&c.seq),
                    });
            if all_ours { later.seq } else { push_upto }
        };
        drop(reader);
        // No record and 0 both mean "nothing pushed yet": an empty collection's first run
        // writes nothing here.
        if old.unwrap_or(0) != new {
            apply(
                self.store,
                &self.local,
                vec![WriteOp::CollectionProps {
                    path: self.local.clone(),
                    props: vec![CollectionState::local_seq_prop(new)],
                    expect: vec![],
                }],
            )?;
        }
        Ok(())
    }

    // ----- pull -----

    fn pull(&mut self, token: Option<String>) -> Result<(), SyncError> {
        if self.remote.supports_sync {
            let mut token = token;
            // Whether a first sync asks for the bodies in the listing (until a server refuses).
            let mut bodies_listed = true;
            // First listings that broke off while they were walked.
            let mut walk_retries = 0;
            loop {
                self.token_mode = true;
                self.seen = match token {
                    None => self.absence_set()?,
                    Some(_) => None,
                };
                // Nothing local to compare or delete: the listing carries the bodies, saving a
                // multiget per 100 members (Radicale answers both in 3.8 s at 10,000 events,
                // against 5.1 s for a listing and its multigets), and is walked on a thread of
                // its own while its first members are written.
                let fresh = self.seen.is_none() && self.fresh()?;
                let data = (fresh && bodies_listed).then(|| data_prop(self.remote.kind));
                let path = href::encode(&self.remote.path, true);
                let headers = [
                    ("Depth", "1"),
                    ("Content-Type", "application/xml; charset=utf-8"),
                ];
                let body = xml::sync_collection(token.as_deref(), data).into_bytes();
                // A first sync's listing is walked as it arrives (see `fetch_all`); any other
                // is read whole, then walked.
                let sent = if fresh {
                    self.http
                        .send_streamed("REPORT", &path, &headers, body)
                        .and_then(|r| match r.status {
                            207 => Ok(Listing::Arriving(r.body)),
                            _ => r.read_whole().map(Listing::Read),
                        })
                } else {
                    self.http
                        .send("REPORT", &path, &headers, body)
                        .map(Listing::Read)
                };
                let listing = match sent {
                    // A listing with bodies that fails before it can be walked (no head in
                    // time, or a refusal whose body breaks off) and servers that will not put
                    // bodies in a listing: asked again as every server allows, bodies by
                    // multiget.
                    Err(SyncError::TooLarge { .. } | SyncError::Connection { .. })
                        if data.is_some() =>
                    {
                        bodies_listed = false;
                        continue;
                    }
                    Ok(Listing::Read(r)) if r.status != 207 && data.is_some() => {
                        bodies_listed = false;
                        continue;
                    }
                    other => other?,
                };
                let mut truncated = false;
                let new_token = match listing {
                    Listing::Arriving(body) => match self.fetch_all(Some(body)) {
                        Ok((t, tr)) => {
                            truncated = tr;
                            t
                        }
                        // The answer broke off or grew past the limit while it was walked.
                        // What was stored of it stays, with its state: the listing is asked
                        // again (no longer a first sync's), as any dropped one would be, and
                        // its bodies by multiget.
                        Err(SyncError::TooLarge { .. } | SyncError::Connection { .. })
                            if walk_retries < 2 =>
                        {
                            walk_retries += 1;
                            self.settle()?;
                            bodies_listed = false;
                            continue;
                        }
                        Err(e) => return Err(e),
                    },
                    Listing::Read(r) if r.status != 207 => {
                        let invalid = xml::error_conditions(&r.body)
                            .iter()
                            .any(|(ns, l, _)| ns == DAV && l == "valid-sync-token");
                        if token.is_some() && (invalid || (400..500).contains(&r.status)) {
                            // The token is gone (expired, pruned, unknown): full listing.
                            token = None;
                            continue;
                        }
                        if token.is_none() && matches!(r.status, 403 | 405 | 501) {
                            break; // no usable sync-collection: fall back to PROPFIND below
                        }
                        return Err(SyncError::Status {
                            method: "REPORT".into(),
                            path: self.remote.path.clone(),
                            status: r.status,
                        });
                    }
                    Listing::Read(r) => {
                        let t = self.listing(&r, &mut truncated)?;
                        // The listing's body is not held while its members are fetched.
                        drop(r);
                        self.fetch_all(None)?;
                        t
                    }
                };
                if self.seen.is_some() && !truncated {
                    self.absent_are_deleted()?;
                }
                self.flush()?;
                self.save_token(new_token.as_deref())?;
                if truncated && new_token.is_some() && new_token != token {
                    token = new_token;
                    continue;
                }
                return Ok(());
            }
        }
        // No sync-collection: a PROPFIND getetag listing, then deletions by absence.
        self.token_mode = false;
        self.seen = self.absence_set()?;
        let r = self.http.send(
            "PROPFIND",
            &href::encode(&self.remote.path, true),
            &[
                ("Depth", "1"),
                ("Content-Type", "application/xml; charset=utf-8"),
            ],
            xml::PROPFIND_ETAGS.as_bytes().to_vec(),
        )?;
        if r.status != 207 {
            return Err(SyncError::Status {
                method: "PROPFIND".into(),
                path: self.remote.path.clone(),
                status: r.status,
            });
        }
        let mut truncated = false;
        self.listing(&r, &mut truncated)?;
        drop(r);
        self.fetch_all(None)?;
        if !truncated {
            self.absent_are_deleted()?;
        }
        self.flush()
    }

    fn save_token(&mut self, token: Option<&str>) -> Result<(), SyncError> {
        let coll = self
            .store
            .collection(&self.local)?
            .ok_or(StoreError::NotFound)?;
        if CollectionState::read(&coll.props).token.as_deref() != token {
            apply(
                self.store,
                &self.local,
                vec![WriteOp::CollectionProps {
                    path: self.local.clone(),
                    props: vec![CollectionState::token_prop(token)],
                    expect: vec![],
                }],
            )?;
        }
        Ok(())
    }

    /// No local item at all and none deleted (a first sync): a listing has nothing to compare.
    fn fresh(&self) -> Result<bool, SyncError> {
        Ok(self.local_deleted.is_empty()
            && self
                .store
                .read()?
                .scan_objects(&self.local, None, |_, _| std::ops::ControlFlow::Break(()))?)
    }

    /// Walks a listing (sync-collection or PROPFIND), queueing deletions and the members to
    /// fetch: an href and an ETag per member, for [`Self::fetch_all`] after the walk (at
    /// 100,000 changed members a few MB, less than the listing's body held meanwhile).
    fn listing(&mut self, r: &Response, truncated: &mut bool) -> Result<Option<String>, SyncError> {
        let base = self.remote.path.clone();
        // Every member listed is fetched, without a lookup per member.
        let fresh = self.fresh()?;
        self.snap = Some(self.store.read()?);
        let token = xml::multistatus(&r.body[..], "listing", |item| {
            let path = href::resolve(&base, &item.href);
            if path == base {
                if item.status == Some(507) {
                    *truncated = true;
                }
                return Ok(());
            }
            if !href::is_member_of(&path, &base) {
                return Ok(());
            }
            if item
                .prop(DAV, "resourcetype")
                .is_some_and(|p| !p.children.is_empty())
            {
                return Ok(()); // a child collection
            }
            if item.status == Some(404) {
                return self.remote_deleted(&path);
            }
            let etag = item
                .prop(DAV, "getetag")
                .map(|p| p.text.trim().to_string())
                .unwrap_or_default();
            if let Some(seen) = self.seen.as_mut() {
                seen.insert(path.clone());
            }
            if fresh {
                self.fetch.push((path, etag));
                return Ok(());
            }
            let name = self.name_for(&path);
            let same = |st: &ItemState| st.href == path && !etag.is_empty() && st.etag == etag;
            let unchanged = match self.local_item_meta(&name)? {
                Some((_, Some(st))) => same(&st),
                // Deleted here and unchanged there: the push deletes it on the server.
                None if self.local_deleted.contains(&name) => {
                    self.deleted_state(&name)?.is_some_and(|st| same(&st))
                }
                _ => false,
            };
            if !unchanged {
                self.fetch.push((path, etag));
            }
            Ok(())
        });
        self.snap = None;
        token
    }

    /// An object's state, when it describes a member of this remote collection (an object
    /// copied from another synced collection carries that one's state, which means nothing
    /// here).
    /// The state of local item `name`, when it describes the member of this remote collection
    /// that `name` stands for. An object the application moved (renamed) here carries the state
    /// of its old name along, which means nothing at the new one: the old name's tombstone
    /// deletes the old member, and the object is pushed as new.
    fn state_of(
        &self,
        name: &str,
        props: &std::collections::BTreeMap<String, Vec<u8>>,
    ) -> Option<ItemState> {
        self.own_state(props)
            .filter(|s| self.name_for(&s.href) == name)
    }

    fn own_state(&self, props: &std::collections::BTreeMap<String, Vec<u8>>) -> Option<ItemState> {
        ItemState::read(props).filter(|s| href::is_member_of(&s.href, &self.remote.path))
    }

    fn local_item_meta(
        &self,
        name: &str,
    ) -> Result<Option<(ObjectMeta, Option<ItemState>)>, SyncError> {
        let reader = self.reader()?;
        let Some(meta) = reader.meta(&self.local, name)? else {
            return Ok(None);
        };
        let props = reader.object_props(&self.local, name)?;
        Ok(Some((meta, self.state_of(name, &props))))
    }

    /// The set a full listing fills with the hrefs it lists, for [`Self::absent_are_deleted`];
    /// `None` when no local item carries sync state (none has a dead property at all, as in a
    /// first sync): every item synced by the end of the pull is then one the listing listed,
    /// and neither the set nor a pass over every local item is needed.
    fn absence_set(&self) -> Result<Option<HashSet<String>>, SyncError> {
        Ok(self
            .store
            .read()?
            .has_object_props(&self.local)?
            .then(HashSet::new))
    }

    /// After a full listing: local items synced with a member the listing no longer has.
    fn absent_are_deleted(&mut self) -> Result<(), SyncError> {
        let Some(seen) = self.seen.take() else {
            return Ok(());
        };
        let reader = self.store.read()?;
        let mut gone = Vec::new();
        for (name, _) in reader.list(&self.local)? {
            if let Some(st) = ItemState::read(&reader.object_props(&self.local, &name)?) {
                if !seen.contains(&st.href) {
                    gone.push(st.href);
                }
            }
        }
        drop(reader);
        for h in gone {
            self.remote_deleted(&h)?;
        }
        Ok(())
    }

    fn remote_deleted(&mut self, path: &str) -> Result<(), SyncError> {
        let name = self.name_for(path);
        self.settle_for(&name, None)?;
        let Some((meta, st)) = self.local_item_meta(&name)? else {
            return Ok(());
        };
        let Some(st) = st.filter(|s| s.href == path) else {
            return Ok(());
        };
        if st.base == meta.etag {
            self.ops.push(WriteOp::Delete {
                coll: self.local.clone(),
                name: name.clone(),
                pre: Precondition::IfMatch(vec![meta.etag]),
            });
            self.ours_deleted.insert(name);
            self.summary.deleted_local += 1;
        } else {
            // Edited here, deleted there: the edit wins and is pushed as a new item.
            self.ops.push(WriteOp::ObjectProps {
                coll: self.local.clone(),
                name: name.clone(),
                changes: ItemState::clear(),
                pre: Precondition::IfMatch(vec![meta.etag]),
            });
            self.report(
                &name,
                path,
                "edited locally, deleted on the server: the edit is pushed again",
                None,
            );
        }
        if self.ops.len() >= self.options.batch {
            self.flush()?;
        }
        Ok(())
    }

    fn report(&mut self, name: &str, href: &str, what: &str, loser: Option<String>) {
        self.summary.conflicts.push(ConflictRecord {
            collection: self.local.clone(),
            name: name.to_string(),
            href: href.to_string(),
            what: what.to_string(),
            loser_copy: loser,
        });
    }

    /// Fetches the queued members, `batch` per multiget, and writes them with their sync state
    /// in store transactions of several multigets each (up to [`WRITE_ITEMS`] members or
    /// [`WRITE_BYTES`] of bodies): a commit rewrites every page it touched and syncs the file,
    /// so fewer, bigger ones cost less per item. The first transaction holds one multiget and
    /// each next one twice as many up to that bound, so the first write starts after one
    /// request and a small sync overlaps too; towards the end each holds at most half of what
    /// is left, so the last write, which no fetch overlaps, is one multiget's. One transaction
    /// is written on a second thread while this one fetches the next transaction's members
    /// (the requests, the server's work, the XML and the parsing of the bodies), so the
    /// network and the local writes overlap.
    /// Each multiget's answer is read (XML and bodies) on a thread of its own while this one
    /// waits for the next answer, so the server's work overlaps the client's too.
    ///
    /// The decisions (what to write, from what the store holds) for one group are taken while
    /// the groups before it are being written, from a snapshot that may not hold those writes
    /// yet; the groups' members are distinct names, so a decision reads nothing of a write in
    /// flight unless its UID is one that write puts, its UID is held locally (by a name the
    /// write may delete or move), or that write deletes a local item (freeing a UID): then it
    /// waits for the writes first, and so does any write of its own (a flush, the conflicts
    /// collection). A group's write is handed to the store while the one before it is being
    /// committed (at most [`WRITES_AHEAD`] in flight, which may reach the store in either
    /// order), so the store's writer never waits for a decision; a write that fails fails the
    /// run, and the writes beside it stand on their own. Within one transaction the members
    /// are distinct names, and the one thing a member's decision reads of another is its UID
    /// (the server holding one UID twice): a member whose UID is queued writes the queue
    /// first. Memory stays bounded whatever the collection's size: the bodies of the
    /// transactions in flight and the next one's fetched. A crash loses at most the
    /// transactions not committed, whose members are fetched again: the token is saved after.
    ///
    /// With `listing` (the body of a first sync's listing, see [`Self::fresh`]: nothing to
    /// compare or delete), the listing is walked on a thread of its own as it arrives, while
    /// its first members are fetched and written; its token and whether it was truncated are
    /// returned.
    fn fetch_all(
        &mut self,
        listing: Option<BodyReader>,
    ) -> Result<(Option<String>, bool), SyncError> {
        // Deletions found by the listing land first, so a member the server moved to another
        // href finds its old copy gone rather than holding its UID.
        self.flush()?;
        if self.fetch.is_empty() && listing.is_none() {
            return Ok((None, false));
        }
        let queue = std::mem::take(&mut self.fetch);
        let store = self.store;
        let local = self.local.clone();
        let local = local.as_str();
        let remote = self.remote;
        let batch = self.options.batch.max(1);
        let mut limit = batch;
        std::thread::scope(|scope| {
            let mut source = match listing {
                None => Source::Queued(queue.into_iter()),
                Some(r) => {
                    let (tx, chunks) = std::sync::mpsc::sync_channel(CHUNKS_AHEAD);
                    let walker = scope.spawn(move || walk_fresh(remote, r, batch, tx));
                    Source::Walking {
                        chunks,
                        walker: Some(walker),
                        walked: None,
                        taken: 0,
                    }
                }
            };
            // The walk's error, once it broke off (see the gathering below).
            let mut broke = None;
            // The multiget asked last, its answer being read.
            let mut reading = match source.next(batch)? {
                Some(chunk) => Some(ask(scope, self.http, remote, chunk)?),
                None => None,
            };
            loop {
                let mut group = Vec::new();
                let (mut items, mut bytes) = (0, 0);
                // Members not yet in a group: the groups shrink towards the end (each at most
                // half of what is left), so the last write, which nothing overlaps, is a small
                // one. Not while the store has a write waiting behind the one it commits: the
                // writes are what the sync waits for, and fewer commits cost less.
                let cap = if self.inflight.len() >= WRITES_AHEAD {
                    limit
                } else {
                    let left = source
                        .left()
                        .saturating_add(reading.as_ref().map_or(0, |(p, _)| p.len()));
                    limit.min(batch.max(left.div_ceil(2)))
                };
                while items < cap && bytes < WRITE_BYTES && broke.is_none() {
                    let Some((paths, read)) = reading.take() else {
                        break;
                    };
                    // The next request goes out before this answer is awaited. A walk that
                    // broke off ends the source here: the members already read are written
                    // first, then its error is answered.
                    match source.next(batch) {
                        Ok(Some(chunk)) => reading = Some(ask(scope, self.http, remote, chunk)?),
                        Ok(None) => {}
                        Err(e) => broke = Some(e),
                    }
                    let bodies = match read {
                        Coming::Asked(h) => match h.join() {
                            Ok(r) => r?,
                            Err(panic) => std::panic::resume_unwind(panic),
                        },
                        Coming::Read(bodies) => bodies,
                    };
                    items += bodies.len();
                    bytes += bodies
                        .iter()
                        .map(|(_, _, b)| match b {
                            Body::Object(o, _) => o.bytes().len(),
                            _ => 0,
                        })
                        .sum::<usize>();
                    group.push((paths, bodies));
                }
                if group.is_empty() {
                    break;
                }
                limit = (limit * 2).min(WRITE_ITEMS);
                // Decided while the previous groups are still being written.
                // A put and a state write per member, at their size from the start: a group of
                // thousands of ops grown by doubling copies itself over and over.
                self.ops.reserve(2 * items);
                self.snap = Some(store.read()?);
                let decided = group
                    .into_iter()
                    .try_for_each(|(paths, bodies)| self.decide_fetched(&paths, bodies));
                self.snap = None;
                decided?;
                let ops = std::mem::take(&mut self.ops);
                self.queued_uids.clear();
                while self.inflight.len() >= WRITES_AHEAD {
                    self.settle_oldest()?;
                }
                if !ops.is_empty() {
                    let (names, uids, deletes) = self.touched(&ops);
                    let (tx, done) = std::sync::mpsc::channel();
                    scope.spawn(move || {
                        let _ = tx.send(apply(store, local, ops));
                    });
                    let fetched = self.summary.fetched;
                    self.inflight.push_back(Inflight {
                        done,
                        names,
                        uids,
                        deletes,
                        fetched,
                    });
                }
                if let Some(e) = broke {
                    self.settle()?;
                    return Err(e);
                }
            }
            self.settle()?;
            (self.progress)(&Progress::Fetched {
                total: self.summary.fetched,
            });
            source.finish()
        })
    }

    /// The local names and UIDs `ops` write, and whether they delete a local item (see
    /// [`Inflight`]).
    fn touched(&self, ops: &[WriteOp]) -> (Touched, Touched, bool) {
        let (mut names, mut uids, mut deletes) = (Touched::default(), Touched::default(), false);
        names.0.reserve(ops.len());
        for op in ops {
            match op {
                WriteOp::Put {
                    coll, name, object, ..
                } if *coll == self.local => {
                    names.insert(name);
                    if let Some(uid) = &object.info().uid {
                        uids.insert(uid);
                    }
                }
                WriteOp::Delete { coll, name, .. } if *coll == self.local => {
                    names.insert(name);
                    deletes = true;
                }
                WriteOp::ObjectProps { coll, name, .. } if *coll == self.local => {
                    names.insert(name);
                }
                _ => {}
            }
        }
        (names, uids, deletes)
    }

    /// Queues the writes for one multiget's answer to `paths`.
    fn decide_fetched(
        &mut self,
        paths: &[String],
        bodies: Vec<(String, String, Body)>,
    ) -> Result<(), SyncError> {
        // Servers answer in the order asked: then every member is answered, without a set.
        let in_order =
            bodies.len() == paths.len() && bodies.iter().zip(paths).all(|((b, _, _), p)| b == p);
        let mut answered = HashSet::new();
        for (path, etag, body) in bodies {
            if !in_order {
                answered.insert(path.clone());
            }
            match body {
                Body::Object(o, tag) => {
                    let uid = o.info().uid.clone();
                    if uid.as_ref().is_some_and(|u| self.queued_uids.contains(u)) {
                        self.flush()?;
                    }
                    self.fetched_tagged(&path, &etag, o, tag)?;
                    self.queued_uids.extend(uid);
                }
                Body::Unparsable(e) => self
                    .summary
                    .errors
                    .push(format!("{path}: not stored locally: {e}")),
                Body::Gone => self.remote_deleted(&path)?,
            }
        }
        for path in paths.iter().filter(|_| !in_order) {
            if !answered.contains(path) {
                self.summary
                    .errors
                    .push(format!("{path}: listed but not returned by multiget"));
            }
        }
        Ok(())
    }

    fn state_op(&self, name: &str, st: ItemState) -> WriteOp {
        self.props_op(name, st.props())
    }

    /// A change of `name`'s properties, unconditional.
    fn props_op(&self, name: &str, changes: Vec<(String, Option<Vec<u8>>)>) -> WriteOp {
        WriteOp::ObjectProps {
            coll: self.local.clone(),
            name: name.to_string(),
            changes,
            pre: Precondition::None,
        }
    }

    fn put_op(&self, name: &str, object: ParsedObject, pre: Precondition) -> WriteOp {
        WriteOp::Put {
            coll: self.local.clone(),
            name: name.to_string(),
            object,
            pre,
        }
    }

    /// Keeps the losing version of a conflict in the conflicts collection; returns its name.
    fn keep_loser(&mut self, bytes: &[u8], uid: &str) -> Result<Option<String>, SyncError> {
        // It may create the conflicts collection: after the write in flight.
        self.settle()?;
        let (new_uid, copy) = conflict::loser_copy(bytes, uid);
        let object = match parse(self.remote.kind, copy) {
            Ok(o) => o,
            Err(e) => {
                self.summary
                    .errors
                    .push(format!("conflict copy of {uid}: {e}"));
                return Ok(None);
            }
        };
        if self.store.collection(&self.conflicts_path)?.is_none() {
            match self
                .store
                .create_collection(&self.conflicts_path, self.new_collection())
            {
                Ok(_) | Err(StoreError::AlreadyExists) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let name = format!(
            "{}.{}",
            new_uid.replace(['/', '\0'], "_"),
            ext(self.remote.kind)
        );
        self.ops.push(WriteOp::Put {
            coll: self.conflicts_path.clone(),
            name: name.clone(),
            object,
            pre: Precondition::None,
        });
        Ok(Some(format!("{}/{name}", self.conflicts_path)))
    }

    /// A member fetched from the server: store it, adopt it, or resolve a conflict.
    fn fetched(&mut self, path: &str, etag: &str, remote: ParsedObject) -> Result<(), SyncError> {
        let remote_tag = Etag::of(remote.bytes());
        self.fetched_tagged(path, etag, remote, remote_tag)
    }

    /// [`Self::fetched`] with the ETag of `remote`'s bytes already computed.
    fn fetched_tagged(
        &mut self,
        path: &str,
        etag: &str,
        remote: ParsedObject,
        remote_tag: Etag,
    ) -> Result<(), SyncError> {
        let name = self.name_for(path);
        self.settle_for(&name, remote.info().uid.as_deref())?;
        let synced = |base: Etag| ItemState {
            href: path.to_string(),
            etag: etag.to_string(),
            base,
        };
        match self.local_item(&name)? {
            Some((meta, lbytes, Some(st))) if st.href == path => {
                if meta.etag == remote_tag {
                    if st.base != remote_tag || st.etag != etag {
                        self.ops.push(self.state_op(&name, synced(remote_tag)));
                    }
                } else if meta.etag == st.base {
                    self.ops.push(self.put_op(
                        &name,
                        remote,
                        Precondition::IfMatch(vec![meta.etag]),
                    ));
                    self.ops.push(self.state_op(&name, synced(remote_tag)));
                    self.summary.fetched += 1;
                } else {
                    self.conflict(&name, path, etag, &meta, &lbytes, remote)?;
                }
            }
            Some((meta, lbytes, _)) => {
                let local_uid = meta.uid.clone();
                let pending = self.pending(&name)?;
                if local_uid.is_some()
                    && local_uid == remote.info().uid
                    && pending == Some(remote_tag)
                {
                    // Our own upload, whose answer was lost: the bytes journaled before the PUT
                    // are the server's. A local edit made since stays a local edit.
                    self.ops.push(self.state_op(&name, synced(remote_tag)));
                } else if local_uid.is_some() && local_uid == remote.info().uid {
                    // Never synced (or synced under another href) with the same UID: our own
                    // upload whose answer or state was lost, or the same item made twice.
                    if conflict::same_content(&lbytes, remote.bytes()) {
                        if meta.etag != remote_tag {
                            self.ops.push(self.put_op(
                                &name,
                                remote,
                                Precondition::IfMatch(vec![meta.etag]),
                            ));
                        }
                        self.ops.push(self.state_op(&name, synced(remote_tag)));
                    } else {
                        self.conflict(&name, path, etag, &meta, &lbytes, remote)?;
                    }
                } else {
                    // Another item sits at this name locally: move it aside (it is pushed as
                    // new under its new name), then store the server's.
                    let fresh = self.fresh_name(local_uid.as_deref());
                    let local_obj = match parse(self.remote.kind, lbytes) {
                        Ok(o) => o,
                        Err(e) => {
                            self.summary.errors.push(format!("{name}: {e}"));
                            return Ok(());
                        }
                    };
                    self.ops.push(WriteOp::Delete {
                        coll: self.local.clone(),
                        name: name.clone(),
                        pre: Precondition::IfMatch(vec![meta.etag]),
                    });
                    self.ops
                        .push(self.put_op(&fresh, local_obj, Precondition::IfNoneMatchAny));
                    self.ops
                        .push(self.put_op(&name, remote, Precondition::IfNoneMatchAny));
                    self.ops.push(self.state_op(&name, synced(remote_tag)));
                    self.ours_deleted.insert(name.clone());
                    self.summary.fetched += 1;
                }
            }
            None => {
                let holder = match remote.info().uid.as_deref() {
                    Some(uid) => self.reader()?.find_uid(&self.local, uid)?,
                    None => None,
                };
                if let Some(other) = holder {
                    if !self.inflight.is_empty() {
                        // Seen in a snapshot that may predate the write in flight.
                        self.settle()?;
                        return self.fetched_tagged(path, etag, remote, remote_tag);
                    }
                    let Some((meta, lbytes, st)) = self.local_item(&other)? else {
                        return Ok(());
                    };
                    if let Some(st) = st.filter(|s| s.href != path) {
                        // Two server members with one UID: keep the second as a copy.
                        let uid = remote.info().uid.clone().unwrap_or_default();
                        let copy = self.keep_loser(remote.bytes(), &uid)?;
                        self.report(
                            &other,
                            path,
                            &format!("the server holds this UID twice (also at {})", st.href),
                            copy,
                        );
                        return Ok(());
                    }
                    // Move the local holder to the server's name, then treat it as there.
                    let local_obj = match parse(self.remote.kind, lbytes.clone()) {
                        Ok(o) => o,
                        Err(e) => {
                            self.summary.errors.push(format!("{other}: {e}"));
                            return Ok(());
                        }
                    };
                    self.ops.push(WriteOp::Delete {
                        coll: self.local.clone(),
                        name: other.clone(),
                        pre: Precondition::IfMatch(vec![meta.etag]),
                    });
                    self.ops
                        .push(self.put_op(&name, local_obj, Precondition::IfNoneMatchAny));
                    self.ours_deleted.insert(other);
                    self.flush()?;
                    return self.fetched_tagged(path, etag, remote, remote_tag);
                }
                if self.local_deleted.contains(&name) {
                    self.report(
                        &name,
                        path,
                        "deleted locally, changed on the server: the server's version is kept",
                        None,
                    );
                }
                self.ops
                    .push(self.put_op(&name, remote, Precondition::IfNoneMatchAny));
                self.ops
                    .push(self.props_op(&name, synced(remote_tag).props_new()));
                self.summary.fetched += 1;
            }
        }
        Ok(())
    }

    fn pending(&self, name: &str) -> Result<Option<Etag>, SyncError> {
        Ok(ItemState::pending(
            &self.reader()?.object_props(&self.local, name)?,
        ))
    }

    /// Moves local item `name` (still at `etag`) to `to` with `bytes`, in one store write;
    /// `false` (the reason recorded) when the bytes do not parse.
    fn rename_local(
        &mut self,
        name: &str,
        to: &str,
        bytes: Vec<u8>,
        etag: Etag,
    ) -> Result<bool, SyncError> {
        let obj = match parse(self.remote.kind, bytes) {
            Ok(o) => o,
            Err(e) => {
                self.summary.errors.push(format!("{name}: {e}"));
                return Ok(false);
            }
        };
        self.ops.push(WriteOp::Delete {
            coll: self.local.clone(),
            name: name.into(),
            pre: Precondition::IfMatch(vec![etag]),
        });
        self.ops
            .push(self.put_op(to, obj, Precondition::IfNoneMatchAny));
        self.ours_deleted.insert(name.to_string());
        self.flush()?;
        Ok(true)
    }

    fn fresh_name(&self, uid: Option<&str>) -> String {
        let seed = format!(
            "{}:{}",
            uid.unwrap_or(""),
            self.summary.fetched + self.summary.pushed
        );
        format!(
            "local-{}.{}",
            &Etag::of(seed.as_bytes()).to_string()[..16],
            ext(self.remote.kind)
        )
    }

    /// Both sides changed `name` since they last agreed.
    fn conflict(
        &mut self,
        name: &str,
        path: &str,
        etag: &str,
        meta: &ObjectMeta,
        local: &[u8],
        remote: ParsedObject,
    ) -> Result<(), SyncError> {
        let remote_tag = Etag::of(remote.bytes());
        let winner = conflict::decide(
            &self.options.policy,
            &Conflict {
                collection: &self.local,
                name,
                local,
                remote: remote.bytes(),
            },
        );
        let uid = meta
            .uid
            .clone()
            .or_else(|| remote.info().uid.clone())
            .unwrap_or_else(|| name.to_string());
        match winner {
            Winner::Remote => {
                let copy = self.keep_loser(local, &uid)?;
                self.ops
                    .push(self.put_op(name, remote, Precondition::IfMatch(vec![meta.etag])));
                self.ops.push(self.state_op(
                    name,
                    ItemState {
                        href: path.into(),
                        etag: etag.into(),
                        base: remote_tag,
                    },
                ));
                self.summary.fetched += 1;
                self.report(
                    name,
                    path,
                    "changed on both sides: the server's version won",
                    copy,
                );
            }
            Winner::Local => {
                let copy = self.keep_loser(remote.bytes(), &uid)?;
                // The baseline becomes the server's version, so the push below overwrites it
                // with If-Match on the ETag just seen.
                self.ops.push(self.state_op(
                    name,
                    ItemState {
                        href: path.into(),
                        etag: etag.into(),
                        base: remote_tag,
                    },
                ));
                self.report(
                    name,
                    path,
                    "changed on both sides: the local version won",
                    copy,
                );
            }
        }
        Ok(())
    }

    // ----- push -----

    fn push(&mut self, names: &[String]) -> Result<u64, SyncError> {
        let mut pushed: Vec<Pushed> = Vec::new();
        let mut done = HashSet::new();
        for chunk in names.chunks(self.options.batch.max(1)) {
            // Journal the creates of this chunk in one transaction before sending them.
            for name in chunk {
                if let Some((meta, _, None)) = self.local_item(name)? {
                    self.ops
                        .push(self.props_op(name, vec![ItemState::pending_prop(meta.etag)]));
                }
            }
            self.flush()?;
            for name in chunk {
                if !done.insert(name.clone()) {
                    continue;
                }
                self.push_one(name, &mut pushed, 0)?;
                if pushed.len() >= self.options.batch {
                    self.verify_pushed(&mut pushed)?;
                }
            }
        }
        self.verify_pushed(&mut pushed)?;
        Ok(self.summary.pushed)
    }

    fn put_remote(
        &mut self,
        path: &str,
        bytes: &[u8],
        pre: (&str, &str),
    ) -> Result<Response, SyncError> {
        let ctype = match self.remote.kind {
            RemoteKind::Calendar => "text/calendar; charset=utf-8",
            RemoteKind::AddressBook => "text/vcard; charset=utf-8",
        };
        self.http.send(
            "PUT",
            &href::encode(path, false),
            &[("Content-Type", ctype), pre],
            bytes.to_vec(),
        )
    }

    fn get_remote(&mut self, path: &str) -> Result<Option<(String, Vec<u8>)>, SyncError> {
        let r = self
            .http
            .send("GET", &href::encode(path, false), &[], Vec::new())?;
        match r.status {
            200 => Ok(Some((
                r.header("etag").unwrap_or("").to_string(),
                r.body.to_vec(),
            ))),
            404 | 410 => Ok(None),
            s => Err(SyncError::Status {
                method: "GET".into(),
                path: path.into(),
                status: s,
            }),
        }
    }

    fn push_one(
        &mut self,
        name: &str,
        pushed: &mut Vec<Pushed>,
        depth: u32,
    ) -> Result<(), SyncError> {
        let Some((meta, bytes, st)) = self.local_item(name)? else {
            if !self.ours_deleted.contains(name) {
                self.push_delete(name)?;
            }
            return Ok(());
        };
        match st {
            Some(st) if st.base == meta.etag => Ok(()),
            Some(st) => {
                let r = match strong(&st.etag) {
                    Some(e) => {
                        let e = e.to_string();
                        self.put_remote(&st.href, &bytes, ("If-Match", &e))?
                    }
                    None => self.put_remote(&st.href, &bytes, ("If-Match", "*"))?,
                };
                match r.status {
                    200..=299 => {
                        self.summary.pushed += 1;
                        pushed.push(Pushed {
                            href: st.href,
                            name: name.into(),
                            sent: meta.etag,
                            etag: r.header("etag").map(str::to_string),
                        });
                    }
                    404 | 412 => {
                        match self.get_remote(&st.href)? {
                            None => {
                                // Deleted there, edited here: the edit wins, as a new item.
                                self.report(name, &st.href, "edited locally, deleted on the server: the edit is pushed again", None);
                                self.ops.push(self.props_op(name, ItemState::clear()));
                                self.flush()?;
                                if depth < 2 {
                                    return self.push_one(name, pushed, depth + 1);
                                }
                            }
                            Some((etag, body)) => {
                                let remote = match parse(self.remote.kind, body) {
                                    Ok(o) => o,
                                    Err(e) => {
                                        self.summary.errors.push(format!("{}: {e}", st.href));
                                        return Ok(());
                                    }
                                };
                                self.conflict(name, &st.href, &etag, &meta, &bytes, remote)?;
                                self.flush()?;
                                if depth < 2 {
                                    return self.push_one(name, pushed, depth + 1);
                                }
                            }
                        }
                    }
                    s => self.summary.errors.push(format!("PUT {}: {s}", st.href)),
                }
                Ok(())
            }
            None => {
                let path = href::child(&self.remote.path, name);
                let r = self.put_remote(&path, &bytes, ("If-None-Match", "*"))?;
                if r.ok() {
                    self.summary.pushed += 1;
                    pushed.push(Pushed {
                        href: path,
                        name: name.into(),
                        sent: meta.etag,
                        etag: r.header("etag").map(str::to_string),
                    });
                    return Ok(());
                }
                let conds = xml::error_conditions(&r.body);
                let uid_conflict = conds.iter().find(|(_, l, _)| l == "no-uid-conflict");
                let holder = match uid_conflict {
                    Some((_, _, hrefs)) if !hrefs.is_empty() => {
                        Some(href::resolve(&self.remote.path, &hrefs[0]))
                    }
                    Some(_) => None,
                    None if r.status == 412 => Some(path.clone()),
                    None => {
                        self.summary
                            .errors
                            .push(format!("PUT {path}: {}", r.status));
                        return Ok(());
                    }
                };
                let Some(holder) = holder else {
                    self.summary.errors.push(format!(
                        "PUT {path}: {} no-uid-conflict without the holder's href",
                        r.status
                    ));
                    return Ok(());
                };
                // The server has something there (our own earlier upload, or the UID's
                // holder): read it and adopt it, or resolve the conflict.
                let Some((etag, body)) = self.get_remote(&holder)? else {
                    self.summary.errors.push(format!(
                        "PUT {path}: {} but {holder} is not there",
                        r.status
                    ));
                    return Ok(());
                };
                let remote = match parse(self.remote.kind, body) {
                    Ok(o) => o,
                    Err(e) => {
                        self.summary.errors.push(format!("{holder}: {e}"));
                        return Ok(());
                    }
                };
                if remote.info().uid != meta.uid {
                    // Another item holds our name there: take a new name and try once more.
                    let fresh = self.fresh_name(meta.uid.as_deref());
                    if !self.rename_local(name, &fresh, bytes, meta.etag)? {
                        return Ok(());
                    }
                    if depth < 2 {
                        return self.push_one(&fresh, pushed, depth + 1);
                    }
                    return Ok(());
                }
                let target = self.name_for(&holder);
                if target != name {
                    // Adopt under the holder's name locally.
                    if !self.rename_local(name, &target, bytes.clone(), meta.etag)? {
                        return Ok(());
                    }
                }
                self.fetched(&holder, &etag, remote)?;
                self.flush()?;
                if depth < 2 && target != name {
                    return self.push_one(&target, pushed, depth + 1);
                }
                if depth < 2 {
                    return self.push_one(name, pushed, depth + 1);
                }
                Ok(())
            }
        }
    }

    /// What the engine knew of local item `name` when the application deleted it (kept by the
    /// store with the delete's tombstone).
    fn deleted_state(&self, name: &str) -> Result<Option<ItemState>, SyncError> {
        let props = self.reader()?.deleted_object_props(&self.local, name)?;
        Ok(self.own_state(&props))
    }

    /// Deletes on the server the member local item `name` was synced with, only if it is
    /// still the version last synced (If-Match with the ETag then recorded): a change made
    /// there since is never deleted unseen, and the next pull brings it back. An item never
    /// synced has no member to delete.
    fn push_delete(&mut self, name: &str) -> Result<(), SyncError> {
        let Some(st) = self.deleted_state(name)? else {
            return Ok(());
        };
        let path = st.href;
        // A server that gives no ETags leaves nothing to compare: its member is deleted.
        let pre = strong(&st.etag).unwrap_or("*").to_string();
        let r = self.http.send(
            "DELETE",
            &href::encode(&path, false),
            &[("If-Match", &pre)],
            Vec::new(),
        )?;
        match r.status {
            200..=299 => self.summary.deleted_remote += 1,
            404 | 410 => {}
            // Changed there since: the next pull brings the server's version back.
            412 => {}
            s => self.summary.errors.push(format!("DELETE {path}: {s}")),
        }
        Ok(())
    }

    /// Re-reads what was pushed: the server's copy becomes the baseline, so a server that
    /// rewrites bodies or gives no ETag on PUT does not make the next run see a change.
    fn verify_pushed(&mut self, pushed: &mut Vec<Pushed>) -> Result<(), SyncError> {
        if pushed.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(pushed);
        let got = multiget(
            self.http,
            self.remote,
            &batch.iter().map(|p| p.href.clone()).collect::<Vec<_>>(),
        )?;
        for p in batch {
            let answer = got.iter().find(|(h, _, _)| *h == p.href);
            let Some((meta, _, _)) = self.local_item(&p.name)? else {
                continue;
            };
            let (etag, body) = match answer {
                Some((_, etag, Some(body))) => (etag.clone(), Some(body.clone())),
                _ => (p.etag.clone().unwrap_or_default(), None),
            };
            let state = |base| ItemState {
                href: p.href.clone(),
                etag: etag.clone(),
                base,
            };
            match body {
                Some(b) if meta.etag == p.sent && Etag::of(&b) != p.sent => {
                    // The server stored something else than what was sent: take its version.
                    match parse(self.remote.kind, b) {
                        Ok(obj) => {
                            let tag = Etag::of(obj.bytes());
                            self.ops.push(self.put_op(
                                &p.name,
                                obj,
                                Precondition::IfMatch(vec![p.sent]),
                            ));
                            self.ops.push(self.state_op(&p.name, state(tag)));
                            self.summary.rewritten += 1;
                        }
                        Err(e) => {
                            self.summary.errors.push(format!("{}: {e}", p.href));
                            self.ops.push(self.state_op(&p.name, state(p.sent)));
                        }
                    }
                }
                _ => self.ops.push(self.state_op(&p.name, state(p.sent))),
            }
        }
        self.flush()?;
        (self.progress)(&Progress::Pushed {
            total: self.summary.pushed,
        });
        Ok(())
    }
}

/// What a first sync's listing walk found besides its members: token, truncated, how many.
type Walked = (Option<String>, bool, usize);

/// Chunks of a first sync's listing its walk may have sent ahead of the fetches taking them:
/// enough for the next two writes (at 100 members a chunk), few enough that bodies in the
/// listing wait in memory by the MB, not by the GB (a chunk of bodies is cut at
/// [`CHUNK_BYTES`]).
const CHUNKS_AHEAD: usize = 64;
/// Most bytes of listed bodies in one chunk (see [`CHUNKS_AHEAD`]).
const CHUNK_BYTES: usize = 256 << 10;

/// Members on their way to [`CollectionSync::fetch_all`], at most `batch` at a time.
enum Chunk {
    /// Listed without a body: (href, ETag) of each, to fetch by multiget.
    Listed(Vec<(String, String)>),
    /// Listed with their bodies (see [`xml::sync_collection`]), parsed on the walking thread.
    Read(Vec<(String, String, Body)>),
}

impl Chunk {
    fn len(&self) -> usize {
        match self {
            Chunk::Listed(c) => c.len(),
            Chunk::Read(c) => c.len(),
        }
    }
}

/// One chunk's answer: a multiget asked and being read, or the bodies the listing held.
enum Coming<'scope> {
    Asked(Reading<'scope>),
    Read(Vec<(String, String, Body)>),
}

/// A sync-collection answer as [`CollectionSync::pull`] has it.
enum Listing {
    /// A first sync's 207, its body still arriving.
    Arriving(BodyReader),
    /// Read whole.
    Read(Response),
}

/// The members [`CollectionSync::fetch_all`] fetches, `batch` at a time.
enum Source<'scope> {
    /// Listed already.
    Queued(std::vec::IntoIter<(String, String)>),
    /// A first sync's listing being walked on a thread of its own (see [`walk_fresh`]).
    Walking {
        chunks: std::sync::mpsc::Receiver<Chunk>,
        walker: Option<std::thread::ScopedJoinHandle<'scope, Result<Walked, SyncError>>>,
        walked: Option<Result<Walked, SyncError>>,
        taken: usize,
    },
}

impl Source<'_> {
    fn next(&mut self, batch: usize) -> Result<Option<Chunk>, SyncError> {
        match self {
            Source::Queued(q) => {
                let chunk: Vec<_> = q.by_ref().take(batch).collect();
                Ok((!chunk.is_empty()).then_some(Chunk::Listed(chunk)))
            }
            Source::Walking { chunks, taken, .. } => match chunks.recv() {
                Ok(chunk) => {
                    *taken += chunk.len();
                    Ok(Some(chunk))
                }
                // The walk is over (or failed: its error is answered here).
                Err(_) => {
                    self.outcome()?;
                    Ok(None)
                }
            },
        }
    }

    /// Members not taken yet; while the walk goes on, or when it failed, as many as could be.
    /// A failed walk's error is [`Source::next`]'s to answer, after the chunks it sent before
    /// failing: the members they hold are written first.
    fn left(&mut self) -> usize {
        match self {
            Source::Queued(q) => q.len(),
            Source::Walking {
                walker,
                walked,
                taken,
                ..
            } => {
                if walked.is_none() && !walker.as_ref().is_some_and(|w| w.is_finished()) {
                    return usize::MAX;
                }
                let taken = *taken;
                match self.walked() {
                    Some(Ok(w)) => w.2.saturating_sub(taken),
                    _ => usize::MAX,
                }
            }
        }
    }

    /// The walk's outcome, waiting for it to end; `None` once its error was taken.
    fn walked(&mut self) -> &mut Option<Result<Walked, SyncError>> {
        let Source::Walking { walker, walked, .. } = self else {
            unreachable!("only a walk has an outcome");
        };
        if let Some(w) = walker.take() {
            *walked = Some(match w.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            });
        }
        walked
    }

    /// The walk's outcome, its error (taken, answered once) as the error of the fetch.
    fn outcome(&mut self) -> Result<Walked, SyncError> {
        let walked = self.walked();
        if let Some(Ok(w)) = walked {
            return Ok(w.clone());
        }
        match walked.take() {
            Some(Err(e)) => Err(e),
            _ => unreachable!("a failed walk's error is answered once"),
        }
    }

    /// The token and truncation of a walked listing.
    fn finish(mut self) -> Result<(Option<String>, bool), SyncError> {
        match self {
            Source::Queued(_) => Ok((None, false)),
            Source::Walking { .. } => {
                let (token, truncated, _) = self.outcome()?;
                Ok((token, truncated))
            }
        }
    }
}

/// Walks a first sync's listing (nothing local to compare or delete: see
/// [`CollectionSync::fresh`]), sending its members `batch` at a time as they are found: those
/// whose bodies came with the listing parsed, the others to fetch. The body is dropped once
/// walked.
fn walk_fresh(
    remote: &RemoteCollection,
    body: impl std::io::BufRead,
    batch: usize,
    tx: std::sync::mpsc::SyncSender<Chunk>,
) -> Result<Walked, SyncError> {
    let base = remote.path.as_str();
    let (mut truncated, mut listed) = (false, 0);
    let (mut to_fetch, mut read, mut read_bytes) = (Vec::new(), Vec::with_capacity(batch), 0);
    // A closed receiver is a fetch that failed (its error is the one answered): the walk
    // stops, and the rest of the answer is not read (dropping the body closes its connection).
    let mut closed = false;
    let token = xml::multistatus(body, "listing", |mut item| {
        if closed {
            return Err(SyncError::BadAnswer {
                what: "listing".into(),
                detail: "its walk was abandoned: the fetch it fed failed".into(),
            });
        }
        let path = href::resolve(base, &item.href);
        if path == base {
            if item.status == Some(507) {
                truncated = true;
            }
            return Ok(());
        }
        if !href::is_member_of(&path, base)
            || item
                .prop(DAV, "resourcetype")
                .is_some_and(|p| !p.children.is_empty())
            // Gone: nothing of it here to delete.
            || item.status == Some(404)
        {
            return Ok(());
        }
        let etag = item
            .prop(DAV, "getetag")
            .map(|p| p.text.trim().to_string())
            .unwrap_or_default();
        listed += 1;
        // A body that does not parse is asked for again by multiget, whose answer counts: a
        // server may put less care into bodies in a listing (an empty one, say) than into
        // the multiget every client uses.
        let body = take_body(&mut item, remote.kind).map(|text| parsed(remote.kind, crlf(text)));
        match body {
            Some(Body::Object(o, tag)) => {
                read_bytes += o.bytes().len();
                read.push((path, etag, Body::Object(o, tag)));
                if read.len() == batch || read_bytes >= CHUNK_BYTES {
                    read_bytes = 0;
                    let chunk = std::mem::replace(&mut read, Vec::with_capacity(batch));
                    closed |= tx.send(Chunk::Read(chunk)).is_err();
                }
            }
            _ => {
                to_fetch.push((path, etag));
                if to_fetch.len() == batch {
                    closed |= tx
                        .send(Chunk::Listed(std::mem::take(&mut to_fetch)))
                        .is_err();
                }
            }
        }
        Ok(())
    })?;
    if !read.is_empty() {
        let _ = tx.send(Chunk::Read(read));
    }
    if !to_fetch.is_empty() {
        let _ = tx.send(Chunk::Listed(to_fetch));
    }
    Ok((token, truncated, listed))
}

/// For [`crate::fuzzing`]: walks `body` as a first sync's listing of `/c/fuzz` in chunks of
/// `batch`, and panics when what the walk hands over breaks a promise the fetches rely on:
/// every member listed arrives in exactly one chunk of at most `batch`, under the collection;
/// a body handed over parses, with CRLF line ends and the ETag of its bytes; an answer that
/// is not a multistatus is a `BadAnswer`. Returns how many bodies were handed over.
pub(crate) fn check_first_listing(kind: RemoteKind, body: &[u8], batch: usize) -> usize {
    let (walked, chunks) = walk_whole("/c/fuzz", kind, body, batch);
    let listed = match walked {
        Ok((_, _, listed)) => listed,
        Err(SyncError::BadAnswer { .. }) => return 0,
        Err(e) => panic!("a listing's walk failed with {e}"),
    };
    let under = |path: &str| href::is_member_of(path, "/c/fuzz");
    let (mut handed, mut bodies) = (0, 0);
    for chunk in &chunks {
        let n = match chunk {
            Chunk::Listed(c) => {
                assert!(c.iter().all(|(h, _)| under(h)), "{c:?}");
                c.len()
            }
            Chunk::Read(c) => {
                for (h, _, b) in c {
                    assert!(under(h), "{h}");
                    let Body::Object(o, tag) = b else {
                        panic!("{h}: a listed body handed over unparsed");
                    };
                    assert_eq!(*tag, Etag::of(o.bytes()), "{h}");
                    let bytes = o.bytes();
                    assert!(
                        (0..bytes.len())
                            .all(|i| bytes[i] != b'\n' || (i > 0 && bytes[i - 1] == b'\r')),
                        "{h}: a line without CR"
                    );
                }
                bodies += c.len();
                c.len()
            }
        };
        assert!(n >= 1 && n <= batch, "a chunk of {n} with batch {batch}");
        handed += n;
    }
    assert_eq!(handed, listed, "members listed and handed over");
    bodies
}

/// `body` walked as a first sync's listing of the collection at `path`, on a thread of its own
/// (as [`CollectionSync::fetch_all`] does), with every chunk it sends.
fn walk_whole(
    path: &str,
    kind: RemoteKind,
    body: &[u8],
    batch: usize,
) -> (Result<Walked, SyncError>, Vec<Chunk>) {
    let remote = RemoteCollection::bare(path, kind);
    let (tx, rx) = std::sync::mpsc::sync_channel(CHUNKS_AHEAD);
    std::thread::scope(|scope| {
        let walker = scope.spawn(|| walk_fresh(&remote, body, batch, tx));
        let chunks: Vec<Chunk> = rx.into_iter().collect();
        (walker.join().expect("walk panicked"), chunks)
    })
}

/// A multiget's answer being read on a thread of its own (see [`read_parsed`]).
type Reading<'scope> =
    std::thread::ScopedJoinHandle<'scope, Result<Vec<(String, String, Body)>, SyncError>>;

/// The paths of `chunk`'s members and their answer: the bodies the listing held, or one
/// multiget asked for them and read on a scoped thread.
fn ask<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    http: &mut Http,
    remote: &'scope RemoteCollection,
    chunk: Chunk,
) -> Result<(Vec<String>, Coming<'scope>), SyncError> {
    match chunk {
        Chunk::Read(bodies) => Ok((
            bodies.iter().map(|(h, _, _)| h.clone()).collect(),
            Coming::Read(bodies),
        )),
        Chunk::Listed(members) => {
            let paths: Vec<String> = members.into_iter().map(|(h, _)| h).collect();
            let r = multiget_send(http, remote, &paths)?;
            Ok((
                paths,
                Coming::Asked(scope.spawn(move || read_parsed(remote, &r))),
            ))
        }
    }
}

/// One multiget's answer with its bodies parsed (no store needed: runs ahead of the writes).
fn read_parsed(
    remote: &RemoteCollection,
    r: &Response,
) -> Result<Vec<(String, String, Body)>, SyncError> {
    Ok(multiget_read(remote, r)?
        .into_iter()
        .map(|(path, etag, body)| {
            let body = body.map_or(Body::Gone, |b| parsed(remote.kind, b));
            (path, etag, body)
        })
        .collect())
}

/// (canonical href, etag, body or None when 404) of each href asked for, by one multiget.
fn multiget(
    http: &mut Http,
    remote: &RemoteCollection,
    paths: &[String],
) -> Result<Vec<Fetched>, SyncError> {
    multiget_read(remote, &multiget_send(http, remote, paths)?)
}

/// Sends a multiget for `paths`; its answer, checked to be a multistatus.
fn multiget_send(
    http: &mut Http,
    remote: &RemoteCollection,
    paths: &[String],
) -> Result<Response, SyncError> {
    let calendar = remote.kind == RemoteKind::Calendar;
    let wire: Vec<String> = paths.iter().map(|p| href::encode(p, false)).collect();
    let r = http.send(
        "REPORT",
        &href::encode(&remote.path, true),
        &[
            ("Depth", "1"),
            ("Content-Type", "application/xml; charset=utf-8"),
        ],
        xml::multiget(calendar, &wire).into_bytes(),
    )?;
    if r.status != 207 {
        return Err(SyncError::Status {
            method: "REPORT multiget".into(),
            path: remote.path.clone(),
            status: r.status,
        });
    }
    Ok(r)
}

/// What a multiget's answer holds: (canonical href, etag, body or None when 404) per member.
fn multiget_read(remote: &RemoteCollection, r: &Response) -> Result<Vec<Fetched>, SyncError> {
    let (_, data) = data_prop(remote.kind);
    let base = &remote.path;
    let mut out = Vec::new();
    xml::multistatus(&r.body[..], "multiget", |mut item| {
        let path = href::resolve(base, &item.href);
        if item.status == Some(404) {
            out.push((path, String::new(), None));
            return Ok(());
        }
        let etag = item
            .prop(DAV, "getetag")
            .map(|p| p.text.trim().to_string())
            .unwrap_or_default();
        if let Some(text) = take_body(&mut item, remote.kind) {
            out.push((path, etag, Some(crlf(text))));
        } else if item
            .props
            .iter()
            .any(|p| p.local == data && p.status == 404)
        {
            out.push((path, etag, None));
        }
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(uid: &str, description: &str) -> String {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
             DTSTAMP:20260101T000000Z\r\nDTSTART:20260301T090000Z\r\nDESCRIPTION:{description}\r\n\
             END:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    }

    fn member(href: &str, etag: &str, data: Option<&str>) -> String {
        let data = data.map_or(String::new(), |d| {
            format!("<c:calendar-data>{}</c:calendar-data>", xml::escape(d))
        });
        format!(
            "<d:response><d:href>{href}</d:href><d:propstat><d:prop><d:getetag>{etag}</d:getetag>\
             {data}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
        )
    }

    /// Walks `members` as a first sync's listing of `/cal/work` with chunks of `batch`.
    fn walk(members: &[String], batch: usize) -> (Vec<Chunk>, Walked) {
        let body = format!(
            r#"<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">{}<d:sync-token>tok-1</d:sync-token></d:multistatus>"#,
            members.concat()
        );
        let (walked, chunks) =
            walk_whole("/cal/work", RemoteKind::Calendar, body.as_bytes(), batch);
        (chunks, walked.unwrap())
    }

    fn hrefs(chunk: &Chunk) -> (bool, Vec<&str>) {
        match chunk {
            Chunk::Listed(c) => (false, c.iter().map(|(h, _)| h.as_str()).collect()),
            Chunk::Read(c) => (true, c.iter().map(|(h, _, _)| h.as_str()).collect()),
        }
    }

    /// Members whose bodies came with the listing arrive parsed (lines ending in CRLF again,
    /// ETag of those bytes); members without one (not sent, answered 404 as a server that
    /// will not list bodies does, or one that does not parse) are left to a multiget; a member
    /// gone, the collection itself and its truncation mark are not members.
    #[test]
    fn a_first_listing_hands_over_its_bodies_and_leaves_the_rest_to_fetch() {
        let lf_only = event("d", "lf").replace("\r\n", "\n");
        let members = [
            "<d:response><d:href>/cal/work/</d:href>\
             <d:status>HTTP/1.1 507 Insufficient Storage</d:status></d:response>"
                .to_string(),
            member("/cal/work/a.ics", "\"ea\"", Some(&event("a", "x"))),
            "<d:response><d:href>/cal/work/b.ics</d:href><d:propstat><d:prop>\
             <d:getetag>\"eb\"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status>\
             </d:propstat><d:propstat><d:prop><c:calendar-data/></d:prop>\
             <d:status>HTTP/1.1 404 Not Found</d:status></d:propstat></d:response>"
                .to_string(),
            member("/cal/work/c.ics", "\"ec\"", None),
            "<d:response><d:href>/cal/work/gone.ics</d:href>\
             <d:status>HTTP/1.1 404 Not Found</d:status></d:response>"
                .to_string(),
            member("/cal/work/bad.ics", "\"ex\"", Some("not a calendar")),
            member("/cal/work/d.ics", "\"ed\"", Some(&lf_only)),
        ];
        let (chunks, (token, truncated, listed)) = walk(&members, 2);
        assert_eq!(
            (token.as_deref(), truncated, listed),
            (Some("tok-1"), true, 5)
        );
        let shapes: Vec<_> = chunks.iter().map(hrefs).collect();
        assert_eq!(
            shapes,
            [
                (false, vec!["/cal/work/b.ics", "/cal/work/c.ics"]),
                (true, vec!["/cal/work/a.ics", "/cal/work/d.ics"]),
                (false, vec!["/cal/work/bad.ics"]),
            ]
        );
        let Chunk::Listed(listed) = &chunks[0] else {
            unreachable!()
        };
        assert_eq!(listed[0].1, "\"eb\"");
        let Chunk::Read(read) = &chunks[1] else {
            unreachable!()
        };
        match &read[0] {
            (_, etag, Body::Object(o, tag)) => {
                assert_eq!(etag, "\"ea\"");
                assert_eq!(o.bytes(), event("a", "x").as_bytes());
                assert_eq!(*tag, Etag::of(o.bytes()));
            }
            _ => panic!("a.ics not parsed"),
        }
        match &read[1].2 {
            Body::Object(o, _) => assert_eq!(o.bytes(), event("d", "lf").as_bytes()),
            _ => panic!("d.ics not parsed"),
        }
    }

    /// Lone LFs (an XML parser's line ends) get their CR back; CRLFs stay as they are.
    #[test]
    fn line_ends_become_crlf_once() {
        for (text, want) in [
            ("A\r\nB\r\n", "A\r\nB\r\n"),
            ("A\nB\n", "A\r\nB\r\n"),
            ("A\r\nB\nC\r\n", "A\r\nB\r\nC\r\n"),
            ("\nA", "\r\nA"),
            ("A\rB", "A\rB"),
            ("", ""),
        ] {
            assert_eq!(crlf(text.to_string()), want.as_bytes(), "{text:?}");
        }
    }

    /// Bodies in a listing wait for their write by the chunk: a chunk is cut at
    /// [`CHUNK_BYTES`] of bodies, whatever `batch` allows, so large members are not held by
    /// the hundred.
    #[test]
    fn a_chunk_of_listed_bodies_is_cut_by_size() {
        let big = "y".repeat(CHUNK_BYTES);
        let members: Vec<String> = (0..3)
            .map(|i| {
                let description = if i == 1 { big.as_str() } else { "small" };
                member(
                    &format!("/cal/work/{i}.ics"),
                    "\"e\"",
                    Some(&event(&i.to_string(), description)),
                )
            })
            .collect();
        let (chunks, (_, truncated, listed)) = walk(&members, 100);
        assert_eq!((truncated, listed), (false, 3));
        let shapes: Vec<_> = chunks.iter().map(hrefs).collect();
        assert_eq!(
            shapes,
            [
                (true, vec!["/cal/work/0.ics", "/cal/work/1.ics"]),
                (true, vec!["/cal/work/2.ics"]),
            ]
        );
    }
}
