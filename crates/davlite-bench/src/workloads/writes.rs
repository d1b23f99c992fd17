//! The writing workloads: create, update, delete, and vCard create. Each PUT says what it
//! expects to find (If-None-Match: * to create, If-Match to update), as a syncing client does.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::http::Req;
use crate::objects;
use crate::runner::{Plan, Worker};
use crate::session::Obj;

pub const ICS: &str = "text/calendar; charset=utf-8";

/// PUT of new objects numbered `base..`, each under `<collection><uid>.ics`.
pub struct Create {
    pub objects: Arc<Mutex<Vec<Obj>>>,
    pub cal: String,
    pub prefix: Arc<str>,
    pub seed: u64,
    pub base: u64,
}

impl Plan for Create {
    async fn op(&self, w: &mut Worker, i: u64) {
        let index = self.base + i;
        create_one(w, &self.objects, &self.cal, &self.prefix, self.seed, index).await;
    }
}

/// Creates generator object `index` in `cal` with If-None-Match: * (timed) and, when the
/// server accepts it, adds it to `objects`.
pub async fn create_one(
    w: &mut Worker,
    objects: &Mutex<Vec<Obj>>,
    cal: &str,
    prefix: &Arc<str>,
    seed: u64,
    index: u64,
) {
    let o = objects::calendar_object(seed, index, prefix, 0);
    let path = format!("{cal}{}.ics", o.uid);
    let req = Req::new("PUT", &path)
        .header("if-none-match", "*")
        .body(ICS, o.body);
    if let Some(r) = w.timed_ok(&req, &[201]).await {
        let obj = Obj {
            prefix: prefix.clone(),
            index,
            path,
            etag: r.etag,
            revision: 0,
        };
        objects.lock().expect("objects lock").push(obj);
    }
}

/// Rewrites object `j` as its next revision under If-Match; returns its path when accepted.
pub async fn update_one(
    w: &mut Worker,
    objects: &Mutex<Vec<Obj>>,
    j: usize,
    seed: u64,
    timed: bool,
) -> Option<String> {
    let mut o = objects.lock().expect("objects lock")[j].clone();
    o.revision += 1;
    let body = o.generate(seed).body;
    let req = Req::new("PUT", &o.path)
        .header("if-match", o.etag.clone().unwrap_or_else(|| "*".into()))
        .body(ICS, body);
    let r = if timed {
        w.timed_ok(&req, &[200, 204]).await
    } else {
        w.untimed(&req, &[200, 204]).await
    }?;
    o.etag = r.etag;
    let path = o.path.clone();
    objects.lock().expect("objects lock")[j] = o;
    Some(path)
}

/// PUT with If-Match over the existing objects, each rewritten as its next revision.
pub struct Update {
    pub objects: Arc<Mutex<Vec<Obj>>>,
    pub seed: u64,
    pub len: usize,
}

impl Plan for Update {
    async fn op(&self, w: &mut Worker, i: u64) {
        update_one(w, &self.objects, i as usize % self.len, self.seed, true).await;
    }
}

/// DELETE of every object this run created.
pub struct Delete {
    pub paths: Vec<String>,
    pub deleted: Mutex<HashSet<String>>,
}

impl Plan for Delete {
    async fn op(&self, w: &mut Worker, i: u64) {
        let path = &self.paths[i as usize];
        if w.timed_ok(&Req::new("DELETE", path), &[200, 204])
            .await
            .is_some()
        {
            self.deleted
                .lock()
                .expect("deleted lock")
                .insert(path.clone());
        }
    }
}

/// PUT of new vCards (3.0 and 4.0, some with photos) into the address book.
pub struct VcardCreate {
    pub book: String,
    pub prefix: Arc<str>,
    pub seed: u64,
}

impl Plan for VcardCreate {
    async fn op(&self, w: &mut Worker, i: u64) {
        let c = objects::vcard(self.seed, i, &self.prefix);
        let req = Req::new("PUT", format!("{}{}.vcf", self.book, c.uid))
            .header("if-none-match", "*")
            .body("text/vcard; charset=utf-8", c.body);
        w.timed_ok(&req, &[201]).await;
    }
}
