//! Model-based testing support, shared by the seeded `cargo test` and the fuzz target in
//! `fuzz/`: bytes are decoded into a sequence of store operations, each is applied to a real
//! store and to a `BTreeMap` model of what the store promises, and every answer and the
//! resulting state are compared. Not part of the stable API.

use std::collections::BTreeMap;

use crate::*;

/// Collection paths the operations address; `home` is a plain collection that always exists.
const SLOTS: [&str; 3] = ["a", "b", "home/c"];
const NAMES: usize = 6;
const UIDS: usize = 4;

#[derive(Debug, Clone)]
pub enum Op {
    CreateCollection(usize),
    DeleteCollection(usize),
    Put {
        coll: usize,
        name: usize,
        uid: usize,
        body: u8,
        pre: Pre,
    },
    Delete {
        coll: usize,
        name: usize,
        pre: Pre,
    },
    Transfer {
        from: (usize, usize),
        to: (usize, usize),
        overwrite: bool,
        pre: Pre,
        remove: bool,
    },
    /// Check `changes_since` against a sequence number seen earlier (index into history).
    Sync {
        coll: usize,
        back: usize,
    },
    Prune {
        coll: usize,
    },
}

/// A precondition relative to the current state, resolved when the op runs.
#[derive(Debug, Clone, Copy)]
pub enum Pre {
    None,
    IfMatchAny,
    IfMatchCurrent,
    IfMatchStale,
    IfNoneMatchAny,
    IfNoneMatchCurrent,
}

struct Bytes<'a>(&'a [u8]);
impl Bytes<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }
    fn pick(&mut self, n: usize) -> Option<usize> {
        Some(self.byte()? as usize % n)
    }
    fn pre(&mut self) -> Option<Pre> {
        Some(match self.pick(6)? {
            0 => Pre::None,
            1 => Pre::IfMatchAny,
            2 => Pre::IfMatchCurrent,
            3 => Pre::IfMatchStale,
            4 => Pre::IfNoneMatchAny,
            _ => Pre::IfNoneMatchCurrent,
        })
    }
}

/// Decodes operations until the bytes run out; any byte string is a valid program.
pub fn ops_from_bytes(data: &[u8]) -> Vec<Op> {
    let mut b = Bytes(data);
    let mut ops = Vec::new();
    let mut next = || -> Option<Op> {
        let slot = |b: &mut Bytes| b.pick(SLOTS.len());
        Some(match b.pick(16)? {
            0 => Op::CreateCollection(slot(&mut b)?),
            1 => Op::DeleteCollection(slot(&mut b)?),
            2..=7 => Op::Put {
                coll: slot(&mut b)?,
                name: b.pick(NAMES)?,
                uid: b.pick(UIDS)?,
                body: b.byte()? % 3,
                pre: b.pre()?,
            },
            8 | 9 => Op::Delete {
                coll: slot(&mut b)?,
                name: b.pick(NAMES)?,
                pre: b.pre()?,
            },
            10..=12 => Op::Transfer {
                from: (slot(&mut b)?, b.pick(NAMES)?),
                to: (slot(&mut b)?, b.pick(NAMES)?),
                overwrite: b.byte()? % 2 == 0,
                pre: b.pre()?,
                remove: b.byte()? % 2 == 0,
            },
            13 | 14 => Op::Sync {
                coll: slot(&mut b)?,
                back: b.byte()? as usize,
            },
            _ => Op::Prune {
                coll: slot(&mut b)?,
            },
        })
    };
    while let Some(op) = next() {
        ops.push(op);
    }
    ops
}

/// Deterministic pseudo-random bytes (xorshift64*), for seeded runs without a fuzzer.
pub fn seeded_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

#[derive(Debug, Clone, Default)]
struct MColl {
    objects: BTreeMap<String, (String, Vec<u8>)>, // name -> (uid, body)
    log: BTreeMap<String, (u64, ChangeKind)>,     // name -> last change
    seq: u64,
    floor: u64,
    history: Vec<u64>, // sequence numbers seen, for sync checks
}

impl MColl {
    fn etag(&self, name: &str) -> Option<Etag> {
        self.objects.get(name).map(|(_, b)| Etag::of(b))
    }
    fn holder(&self, uid: &str) -> Option<String> {
        self.objects
            .iter()
            .find(|(_, (u, _))| u == uid)
            .map(|(n, _)| n.clone())
    }
    fn log(&mut self, name: &str, kind: ChangeKind) {
        self.seq += 1;
        self.log.insert(name.to_owned(), (self.seq, kind));
        self.history.push(self.seq);
    }
}

/// What an answer means, compared between store and model.
fn outcome<T>(r: &Result<T, StoreError>, ok: impl Fn(&T) -> String) -> String {
    match r {
        Ok(v) => format!("ok {}", ok(v)),
        Err(StoreError::PreconditionFailed { current }) => format!("412 {current:?}"),
        Err(StoreError::UidConflict { existing }) => format!("uid {existing}"),
        Err(StoreError::NotFound) => "404".into(),
        Err(StoreError::ParentNotFound) => "409".into(),
        Err(StoreError::AlreadyExists) => "exists".into(),
        Err(StoreError::WrongKind { .. }) => "kind".into(),
        Err(e) => panic!("unexpected store error: {e:?}"),
    }
}

fn resolve(pre: Pre, current: Option<Etag>) -> Precondition {
    let stale = Etag::of(b"never stored");
    match pre {
        Pre::None => Precondition::None,
        Pre::IfMatchAny => Precondition::IfMatchAny,
        Pre::IfMatchCurrent => Precondition::IfMatch(current.into_iter().collect()),
        Pre::IfMatchStale => Precondition::IfMatch(vec![stale]),
        Pre::IfNoneMatchAny => Precondition::IfNoneMatchAny,
        Pre::IfNoneMatchCurrent => Precondition::IfNoneMatch(current.into_iter().collect()),
    }
}

fn holds(pre: &Precondition, current: Option<Etag>) -> bool {
    match pre {
        Precondition::None => true,
        Precondition::IfMatchAny => current.is_some(),
        Precondition::IfMatch(t) => current.is_some_and(|c| t.contains(&c)),
        Precondition::IfNoneMatchAny => current.is_none(),
        Precondition::IfNoneMatch(t) => !current.is_some_and(|c| t.contains(&c)),
    }
}

/// A real event with `uid`; `body` tells versions apart (its SUMMARY).
fn event(uid: &str, body: &str) -> ParsedObject {
    crate::conformance::fixtures::event(uid, body)
}

/// Runs the operations decoded from `data` against a fresh in-memory redb store and the model;
/// panics on the first disagreement.
pub fn run_bytes(data: &[u8]) {
    run(&ops_from_bytes(data));
}

/// How many answers of each kind a run saw (`"put ok"`, `"put 412"`, ...), so tests can check
/// that the generator reaches both the success and the failure paths.
pub type Coverage = BTreeMap<String, usize>;

fn tally(cov: &mut Coverage, op: &str, answer: &str) {
    let class = answer.split(' ').next().unwrap_or("");
    *cov.entry(format!("{op} {class}")).or_default() += 1;
}

/// Runs `ops` against a fresh in-memory redb store and the model; panics on the first
/// disagreement.
pub fn run(ops: &[Op]) -> Coverage {
    // Inline commits: the model checks semantics, and a committer hand-off per op only adds
    // scheduling latency (group commit has its own tests).
    let options = Options {
        group_commit: false,
        ..Options::default()
    };
    let store = Store::in_memory(options).expect("in-memory store");
    run_on(&store, ops)
}

/// Runs `ops` against `store`, which must be empty (no collections), and the model; panics on
/// the first disagreement. Works on any backend: the conformance suite's `model` check runs it.
pub fn run_on(store: &Store, ops: &[Op]) -> Coverage {
    let mut cov = Coverage::new();
    store
        .create_collection("home", NewCollection::default())
        .unwrap();
    let mut model: BTreeMap<&'static str, MColl> = BTreeMap::new();
    let cal = || NewCollection {
        kind: CollectionKind::Calendar,
        ..Default::default()
    };
    for (step, op) in ops.iter().enumerate() {
        let ctx = || format!("step {step}: {op:?}");
        match *op {
            Op::CreateCollection(c) => {
                let got = outcome(&store.create_collection(SLOTS[c], cal()), |_| String::new());
                let want = if model.contains_key(SLOTS[c]) {
                    "exists".to_owned()
                } else {
                    model.insert(
                        SLOTS[c],
                        MColl {
                            history: vec![0],
                            ..Default::default()
                        },
                    );
                    "ok ".to_owned()
                };
                assert_eq!(got, want, "{}", ctx());
                tally(&mut cov, "create", &got);
            }
            Op::DeleteCollection(c) => {
                let got = outcome(&store.delete_collection(SLOTS[c]), |_| String::new());
                let want = if model.remove(SLOTS[c]).is_some() {
                    "ok "
                } else {
                    "404"
                };
                assert_eq!(got, want, "{}", ctx());
                tally(&mut cov, "delete_collection", &got);
            }
            Op::Put {
                coll,
                name,
                uid,
                body,
                pre,
            } => {
                let (name, uid) = (format!("n{name}"), format!("u{uid}"));
                let obj = event(&uid, &body.to_string());
                let bytes = obj.bytes().to_vec();
                let etag = Etag::of(&bytes);
                let current = model.get(SLOTS[coll]).and_then(|m| m.etag(&name));
                let pre = resolve(pre, current);
                let got = store.put(SLOTS[coll], &name, obj, pre.clone());
                let got = outcome(&got, |o| format!("{} {} {}", o.etag, o.created, o.changed));
                let want = match model.get_mut(SLOTS[coll]) {
                    None => "409".to_owned(),
                    Some(m) => {
                        let same = current == Some(etag);
                        if !holds(&pre, current) {
                            if same && matches!(pre, Precondition::IfMatch(_)) {
                                format!("ok {etag} false false")
                            } else {
                                format!("412 {current:?}")
                            }
                        } else if same {
                            format!("ok {etag} false false")
                        } else if m.objects.get(&name).is_some_and(|(u, _)| *u != uid) {
                            format!("uid {name}")
                        } else if let Some(h) = m.holder(&uid).filter(|h| *h != name) {
                            format!("uid {h}")
                        } else {
                            let created = m.objects.insert(name.clone(), (uid, bytes)).is_none();
                            m.log(&name, ChangeKind::Upsert);
                            format!("ok {etag} {created} true")
                        }
                    }
                };
                assert_eq!(got, want, "{}", ctx());
                tally(&mut cov, "put", &got);
            }
            Op::Delete { coll, name, pre } => {
                let name = format!("n{name}");
                let current = model.get(SLOTS[coll]).and_then(|m| m.etag(&name));
                let pre = resolve(pre, current);
                let got = outcome(&store.delete(SLOTS[coll], &name, pre.clone()), |_| {
                    String::new()
                });
                let want = match (model.get_mut(SLOTS[coll]), current) {
                    (Some(m), Some(cur)) if holds(&pre, Some(cur)) => {
                        m.objects.remove(&name);
                        m.log(&name, ChangeKind::Delete);
                        "ok ".to_owned()
                    }
                    (Some(_), Some(cur)) => format!("412 {:?}", Some(cur)),
                    _ => "404".to_owned(),
                };
                assert_eq!(got, want, "{}", ctx());
                tally(&mut cov, "delete", &got);
            }
            Op::Transfer {
                from,
                to,
                overwrite,
                pre,
                remove,
            } => {
                let (fc, fname) = (SLOTS[from.0], format!("n{}", from.1));
                let (tc, tname) = (SLOTS[to.0], format!("n{}", to.1));
                let src = model.get(fc).and_then(|m| m.objects.get(&fname).cloned());
                let pre = resolve(pre, src.as_ref().map(|(_, b)| Etag::of(b)));
                let got = if remove {
                    store.move_object((fc, &fname), (tc, &tname), overwrite, pre.clone())
                } else {
                    store.copy((fc, &fname), (tc, &tname), overwrite, pre.clone())
                };
                let got = outcome(&got, |o| format!("{} {}", o.etag, o.created));
                let want = transfer_model(
                    &mut model,
                    (fc, &fname),
                    (tc, &tname),
                    overwrite,
                    &pre,
                    remove,
                );
                assert_eq!(got, want, "{}", ctx());
                tally(&mut cov, "transfer", &got);
            }
            Op::Sync { coll, back } => {
                let Some(m) = model.get(SLOTS[coll]) else {
                    let got = store.changes_since(SLOTS[coll], Some(0), None);
                    assert!(matches!(got, Err(StoreError::NotFound)), "{}", ctx());
                    continue;
                };
                let token = m.history[m.history.len() - 1 - back % m.history.len()];
                let got = store.changes_since(SLOTS[coll], Some(token), None);
                if token < m.floor {
                    assert!(
                        matches!(got, Err(StoreError::InvalidSyncToken)),
                        "{}",
                        ctx()
                    );
                    continue;
                }
                let got = got.unwrap_or_else(|e| panic!("{}: {e}", ctx()));
                let mut want: Vec<_> = m
                    .log
                    .iter()
                    .filter(|(_, (s, _))| *s > token)
                    .map(|(n, (s, k))| (*s, n.clone(), *k))
                    .collect();
                want.sort_by_key(|c| c.0);
                let got_v: Vec<_> = got
                    .changes
                    .iter()
                    .map(|c| (c.seq, c.name.clone(), c.kind))
                    .collect();
                assert_eq!(got_v, want, "{}", ctx());
                assert_eq!(got.seq, m.seq, "{}", ctx());
                tally(
                    &mut cov,
                    "sync",
                    if got.changes.is_empty() {
                        "empty"
                    } else {
                        "changes"
                    },
                );
            }
            Op::Prune { coll } => {
                let got = store.prune_changes(SLOTS[coll], u64::MAX);
                match model.get_mut(SLOTS[coll]) {
                    None => assert!(matches!(got, Err(StoreError::NotFound)), "{}", ctx()),
                    Some(m) => {
                        got.unwrap_or_else(|e| panic!("{}: {e}", ctx()));
                        m.floor = m.seq;
                        m.log.retain(|_, (_, k)| *k == ChangeKind::Upsert);
                    }
                }
            }
        }
        compare(store, &model, step);
    }
    let report = store.verify().expect("verify runs");
    assert!(report.is_ok(), "verify: {:#?}", report.problems);
    cov
}

fn transfer_model(
    model: &mut BTreeMap<&'static str, MColl>,
    (fc, fname): (&str, &str),
    (tc, tname): (&str, &str),
    overwrite: bool,
    pre: &Precondition,
    remove: bool,
) -> String {
    let Some((uid, body)) = model.get(fc).and_then(|m| m.objects.get(fname).cloned()) else {
        return "404".into();
    };
    let etag = Etag::of(&body);
    if !holds(pre, Some(etag)) {
        return format!("412 {:?}", Some(etag));
    }
    let Some(dst) = model.get(tc) else {
        return "409".into();
    };
    if fc == tc && fname == tname {
        return "kind".into();
    }
    let existing = dst.etag(tname);
    if existing.is_some() && !overwrite {
        return format!("412 {existing:?}");
    }
    if let Some(h) = dst.holder(&uid) {
        if h != tname && !(remove && fc == tc && h == fname) {
            return format!("uid {h}");
        }
    }
    if remove {
        let src = model.get_mut(fc).unwrap();
        src.objects.remove(fname);
        src.log(fname, ChangeKind::Delete);
    }
    let dst = model.get_mut(tc).unwrap();
    dst.objects.insert(tname.to_owned(), (uid, body));
    dst.log(tname, ChangeKind::Upsert);
    format!("ok {etag} {}", existing.is_none())
}

/// The store's visible state equals the model's.
fn compare(store: &Store, model: &BTreeMap<&'static str, MColl>, step: usize) {
    let r = store.read().unwrap();
    for slot in SLOTS {
        let listed = r.collection(slot).unwrap().is_some();
        let Some(m) = model.get(slot) else {
            assert!(!listed, "step {step}: {slot} should not exist");
            continue;
        };
        let got: Vec<_> = r
            .list(slot)
            .unwrap()
            .into_iter()
            .map(|(n, meta)| (n, meta.etag))
            .collect();
        let want: Vec<_> = m
            .objects
            .iter()
            .map(|(n, (_, b))| (n.clone(), Etag::of(b)))
            .collect();
        assert_eq!(got, want, "step {step}: listing of {slot}");
        assert_eq!(
            r.collection(slot).unwrap().unwrap().seq,
            m.seq,
            "step {step}: seq of {slot}"
        );
        for u in 0..UIDS {
            let uid = format!("u{u}");
            assert_eq!(
                r.find_uid(slot, &uid).unwrap(),
                m.holder(&uid),
                "step {step}: {uid} in {slot}"
            );
        }
    }
}
