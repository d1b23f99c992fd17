//! Collection synchronisation (RFC 6578): the initial listing, and the steady state of a client
//! that polls after a few changes, which is what sync mostly costs a server.

use std::sync::{Arc, Mutex};

use crate::http::Req;
use crate::runner::{Plan, Worker};
use crate::session::{Obj, is_self};
use crate::workloads::writes::update_one;
use crate::xml;

const XML: &str = "application/xml; charset=utf-8";

fn sync_req(cal: &str, token: &str) -> Req {
    Req::new("REPORT", cal)
        .header("depth", "0")
        .body(XML, xml::sync_collection(token))
}

fn token_of(body: &str) -> Option<String> {
    xml::elements(body, "sync-token")
        .last()
        .map(|t| xml::unescape(t.trim()))
        .filter(|t| !t.is_empty())
}

/// sync-collection with no token: every member must be listed.
pub struct SyncInitial {
    pub cal: String,
    pub expected: usize,
}

impl Plan for SyncInitial {
    async fn op(&self, w: &mut Worker, _i: u64) {
        let Some(r) = w.timed(&sync_req(&self.cal, ""), &[207]).await else {
            return;
        };
        let body = String::from_utf8_lossy(&r.body);
        let n = xml::members(&body)
            .iter()
            .filter(|m| !m.gone && !is_self(&m.path, &self.cal))
            .count();
        if n != self.expected {
            let e = self.expected;
            w.rec.error("wrong result (sync-initial member count)", || {
                format!("{n} members, expected {e}")
            });
        } else if token_of(&body).is_none() {
            w.rec.error(
                "wrong result (sync-initial without sync-token)",
                String::new,
            );
        } else {
            w.rec.ok += 1;
        }
    }
}

/// Per worker: its last token and where it is in its share of the objects.
#[derive(Default, Clone)]
struct Cursor {
    token: Option<String>,
    next: usize,
}

/// Ten updates (not timed), then a sync from the previous token (timed) that must report them.
/// Workers change disjoint objects (those with index ≡ worker id mod C).
pub struct SyncIncremental {
    pub cal: String,
    pub objects: Arc<Mutex<Vec<Obj>>>,
    pub seed: u64,
    pub len: usize,
    pub concurrency: usize,
    cursors: Mutex<Vec<Cursor>>,
}

impl SyncIncremental {
    pub fn new(
        cal: String,
        objects: Arc<Mutex<Vec<Obj>>>,
        seed: u64,
        len: usize,
        concurrency: usize,
    ) -> Self {
        SyncIncremental {
            cal,
            objects,
            seed,
            len,
            concurrency,
            cursors: Mutex::new(vec![Cursor::default(); concurrency.max(1)]),
        }
    }
}

impl Plan for SyncIncremental {
    async fn op(&self, w: &mut Worker, _i: u64) {
        let mut cur = self.cursors.lock().expect("cursor lock")[w.id].clone();
        if cur.token.is_none() {
            let Some(r) = w.untimed(&sync_req(&self.cal, ""), &[207]).await else {
                return;
            };
            cur.token = token_of(&String::from_utf8_lossy(&r.body));
            if cur.token.is_none() {
                w.rec.error(
                    "wrong result (sync-initial without sync-token)",
                    String::new,
                );
                return;
            }
        }
        let c = self.concurrency.max(1);
        let share = (self.len / c).max(1);
        let mut changed = Vec::with_capacity(10);
        for _ in 0..10 {
            let j = (w.id + c * (cur.next % share)) % self.len;
            cur.next += 1;
            if let Some(p) = update_one(w, &self.objects, j, self.seed, false).await {
                changed.push(p);
            }
        }
        let token = cur.token.clone().unwrap_or_default();
        if let Some(r) = w.timed(&sync_req(&self.cal, &token), &[207]).await {
            let body = String::from_utf8_lossy(&r.body);
            let listed: std::collections::HashSet<String> = xml::members(&body)
                .into_iter()
                .filter(|m| !m.gone)
                .map(|m| m.path)
                .collect();
            let missed = changed.iter().filter(|p| !listed.contains(*p)).count();
            match token_of(&body) {
                Some(t) if missed == 0 => {
                    cur.token = Some(t);
                    w.rec.ok += 1;
                }
                Some(t) => {
                    cur.token = Some(t);
                    w.rec
                        .error("wrong result (sync-incremental-10 missed changes)", || {
                            format!("{missed} of {} changes not reported", changed.len())
                        });
                }
                None => w
                    .rec
                    .error("wrong result (sync without sync-token)", String::new),
            }
        }
        self.cursors.lock().expect("cursor lock")[w.id] = cur;
    }
}
