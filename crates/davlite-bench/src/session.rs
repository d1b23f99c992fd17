//! State carried from one workload to the next within a run: where the collections are, which
//! objects exist with which ETags, and the setup steps a workload needs before it is measured.

use std::sync::{Arc, Mutex};

use crate::http::{Conn, Req, Resp, Target};
use crate::{BenchError, Config, objects, xml};

/// An object this run put on the server.
#[derive(Debug, Clone)]
pub struct Obj {
    /// Generator input: `objects::calendar_object(seed, index, prefix, revision)` is its body.
    pub prefix: Arc<str>,
    pub index: u64,
    pub path: String,
    pub etag: Option<String>,
    pub revision: u32,
}

impl Obj {
    pub fn generate(&self, seed: u64) -> objects::CalObject {
        objects::calendar_object(seed, self.index, &self.prefix, self.revision)
    }
}

pub struct Session {
    pub target: Arc<Target>,
    pub cal_path: String,
    pub created_cal: bool,
    pub card_path: Option<String>,
    pub created_book: bool,
    /// Makes UIDs and collection names unique per run, so runs never collide.
    pub prefix: Arc<str>,
    pub seed: u64,
    /// Members the calendar had before this run (for count checks on a shared collection).
    pub baseline: u64,
    pub objects: Arc<Mutex<Vec<Obj>>>,
    /// The next generator index for a new object.
    pub next_index: u64,
    /// A connection for setup requests.
    conn: Conn,
}

impl Session {
    pub async fn open(cfg: &Config) -> Result<Session, BenchError> {
        let (mut target, url_path) =
            Target::parse(&cfg.url, cfg.user.as_deref(), cfg.password.as_deref())?;
        for node in &cfg.nodes {
            target.nodes.push(Target::resolve_node(node)?);
        }
        let target = Arc::new(target);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let prefix: Arc<str> = format!("b{:x}", (nanos as u64) & 0xFFFF_FFFF_FFFF).into();
        let mut conn = Conn::new(target.clone());
        conn.connect()
            .await
            .map_err(|e| BenchError::Connect(cfg.url.clone(), e))?;
        let mut s = Session {
            target,
            cal_path: url_path,
            created_cal: false,
            card_path: None,
            created_book: false,
            prefix,
            seed: cfg.seed,
            baseline: 0,
            objects: Arc::new(Mutex::new(Vec::new())),
            next_index: 0,
            conn,
        };
        let dav_work = cfg.workloads.iter().any(|w| *w != crate::Workload::GetUrl);
        if cfg.new_collection
            && cfg
                .workloads
                .iter()
                .any(|w| *w != crate::Workload::VcardCreate && *w != crate::Workload::GetUrl)
        {
            let path = format!("{}{}/", s.cal_path, s.prefix);
            s.request(
                Req::new("MKCALENDAR", &path)
                    .body("application/xml; charset=utf-8", xml::MKCALENDAR),
                &[201],
                "MKCALENDAR",
            )
            .await?;
            s.cal_path = path;
            s.created_cal = true;
        } else if dav_work
            && cfg.workloads.iter().any(|w| {
                !matches!(
                    w,
                    crate::Workload::VcardCreate
                        | crate::Workload::GetUrl
                        | crate::Workload::Conflict
                )
            })
        {
            let listing = s.propfind_members().await?;
            s.baseline = listing.len() as u64;
        }
        if cfg.workloads.contains(&crate::Workload::VcardCreate) {
            s.open_book(cfg).await?;
        }
        Ok(s)
    }

    /// One setup request; an unexpected status aborts the run with the server's answer.
    pub async fn request(
        &mut self,
        req: Req,
        expect: &[u16],
        what: &str,
    ) -> Result<Resp, BenchError> {
        let r = self
            .conn
            .send(&req)
            .await
            .map_err(|e| BenchError::Setup(format!("{what}: {e}")))?;
        if !expect.contains(&r.status) {
            let body = String::from_utf8_lossy(&r.body[..r.body.len().min(400)]).into_owned();
            return Err(BenchError::Setup(format!(
                "{what} {} answered {}: {body}",
                req.path, r.status
            )));
        }
        Ok(r)
    }

    /// Members of the calendar (the collection itself left out).
    pub async fn propfind_members(&mut self) -> Result<Vec<xml::Member>, BenchError> {
        let req = Req::new("PROPFIND", &self.cal_path)
            .header("depth", "1")
            .body("application/xml; charset=utf-8", xml::PROPFIND_ETAG);
        let r = self.request(req, &[207], "PROPFIND").await?;
        let cal = self.cal_path.clone();
        Ok(xml::members(&String::from_utf8_lossy(&r.body))
            .into_iter()
            .filter(|m| !is_self(&m.path, &cal))
            .collect())
    }

    /// Fills in ETags the server did not send with its PUT answers.
    pub async fn ensure_etags(&mut self) -> Result<(), BenchError> {
        if self
            .objects
            .lock()
            .expect("objects lock")
            .iter()
            .all(|o| o.etag.is_some())
        {
            return Ok(());
        }
        let listing = self.propfind_members().await?;
        let mut objs = self.objects.lock().expect("objects lock");
        let by_path: std::collections::HashMap<_, _> =
            listing.into_iter().map(|m| (m.path, m.etag)).collect();
        for o in objs.iter_mut().filter(|o| o.etag.is_none()) {
            o.etag = by_path.get(&o.path).cloned().flatten();
        }
        Ok(())
    }

    /// The address book: the one given, or a fresh one in the principal's address book home.
    async fn open_book(&mut self, cfg: &Config) -> Result<(), BenchError> {
        if let Some(url) = &cfg.card_url {
            let (_, path) = Target::parse(url, None, None)?;
            self.card_path = Some(path);
            return Ok(());
        }
        if !cfg.new_collection {
            return Err(BenchError::Usage(
                "vcard-create needs --card-url, or --new-collection to make an address book".into(),
            ));
        }
        let start = Target::parse(&cfg.url, None, None)?.1;
        let req = Req::new("PROPFIND", &start)
            .header("depth", "0")
            .body("application/xml; charset=utf-8", xml::PROPFIND_PRINCIPAL);
        let r = self
            .request(req, &[207], "PROPFIND current-user-principal")
            .await?;
        let principal = xml::href_in(&String::from_utf8_lossy(&r.body), "current-user-principal")
            .ok_or_else(|| {
            BenchError::Setup("no current-user-principal: pass --card-url".into())
        })?;
        let req = Req::new("PROPFIND", path_of(&principal))
            .header("depth", "0")
            .body("application/xml; charset=utf-8", xml::PROPFIND_BOOK_HOME);
        let r = self
            .request(req, &[207], "PROPFIND addressbook-home-set")
            .await?;
        let home = xml::href_in(&String::from_utf8_lossy(&r.body), "addressbook-home-set")
            .ok_or_else(|| BenchError::Setup("no addressbook-home-set: pass --card-url".into()))?;
        let mut home = path_of(&home).to_string();
        if !home.ends_with('/') {
            home.push('/');
        }
        let path = format!("{home}{}-book/", self.prefix);
        self.request(
            Req::new("MKCOL", &path).body("application/xml; charset=utf-8", xml::MKCOL_ADDRESSBOOK),
            &[201],
            "MKCOL address book",
        )
        .await?;
        self.card_path = Some(path);
        self.created_book = true;
        Ok(())
    }

    /// Removes the collections this run made, unless asked to keep them.
    pub async fn cleanup(&mut self) -> Result<(), BenchError> {
        if self.created_cal {
            let p = self.cal_path.clone();
            self.request(Req::new("DELETE", &p), &[200, 204], "DELETE calendar")
                .await?;
            self.created_cal = false;
        }
        if self.created_book {
            let p = self.card_path.clone().unwrap_or_default();
            self.request(Req::new("DELETE", &p), &[200, 204], "DELETE address book")
                .await?;
            self.created_book = false;
        }
        Ok(())
    }
}

/// The path of an href that may be an absolute URL.
pub fn path_of(href: &str) -> &str {
    match href.find("://") {
        Some(p) => href[p + 3..].find('/').map_or("/", |s| &href[p + 3 + s..]),
        None => href,
    }
}

/// Whether a multistatus href names the collection itself (with or without its trailing slash).
pub fn is_self(path: &str, collection: &str) -> bool {
    path.trim_end_matches('/') == collection.trim_end_matches('/')
}
