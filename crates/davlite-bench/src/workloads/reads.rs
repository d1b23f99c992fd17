//! The reading workloads. Where the right answer is known (member counts, the objects a week
//! holds) it is checked: a fast wrong answer is an error, not a result.

use std::collections::HashSet;
use std::sync::Arc;

use crate::http::Req;
use crate::runner::{Plan, Worker};
use crate::session::is_self;
use crate::xml;

const XML: &str = "application/xml; charset=utf-8";

/// GET of the objects, spread over the collection rather than in creation order.
pub struct Get {
    pub paths: Arc<Vec<String>>,
}

impl Plan for Get {
    async fn op(&self, w: &mut Worker, i: u64) {
        let path = &self.paths[(i as usize).wrapping_mul(7919) % self.paths.len()];
        if let Some(r) = w.timed(&Req::new("GET", path), &[200]).await {
            if r.body.is_empty() {
                w.rec
                    .error("wrong result (GET empty body)", || path.clone());
            } else {
                w.rec.ok += 1;
            }
        }
    }
}

/// GET of one fixed path: the client's ceiling against a trivial server.
pub struct GetUrl {
    pub path: String,
}

impl Plan for GetUrl {
    async fn op(&self, w: &mut Worker, _i: u64) {
        w.timed_ok(&Req::new("GET", &self.path), &[200]).await;
    }
}

/// PROPFIND Depth 1 for getetag; every member must be listed.
pub struct Propfind {
    pub cal: String,
    pub expected: usize,
}

impl Plan for Propfind {
    async fn op(&self, w: &mut Worker, _i: u64) {
        let req = Req::new("PROPFIND", &self.cal)
            .header("depth", "1")
            .body(XML, xml::PROPFIND_ETAG);
        if let Some(r) = w.timed(&req, &[207]).await {
            let n = xml::members(&String::from_utf8_lossy(&r.body))
                .iter()
                .filter(|m| !is_self(&m.path, &self.cal) && m.etag.is_some())
                .count();
            if n == self.expected {
                w.rec.ok += 1;
            } else {
                let e = self.expected;
                w.rec
                    .error("wrong result (propfind-depth1 member count)", || {
                        format!("{n} members with an ETag, expected {e}")
                    });
            }
        }
    }
}

/// calendar-multiget of 100 hrefs; all 100 must come back with data.
pub struct Multiget {
    pub cal: String,
    pub paths: Arc<Vec<String>>,
}

impl Plan for Multiget {
    async fn op(&self, w: &mut Worker, i: u64) {
        let len = self.paths.len();
        let n = len.min(100);
        let start = (i as usize).wrapping_mul(1300) % len;
        let hrefs = (0..n).map(|k| self.paths[(start + k) % len].as_str());
        let req = Req::new("REPORT", &self.cal)
            .header("depth", "1")
            .body(XML, xml::multiget(hrefs));
        if let Some(r) = w.timed(&req, &[207]).await {
            let got = xml::members(&String::from_utf8_lossy(&r.body))
                .iter()
                .filter(|m| m.has_data)
                .count();
            if got == n {
                w.rec.ok += 1;
            } else {
                w.rec
                    .error("wrong result (multiget-100 objects with data)", || {
                        format!("{got} of {n}")
                    });
            }
        }
    }
}

/// calendar-query for one week; the answer must be exactly the events with an instance in it.
pub struct QueryWeek {
    pub cal: String,
    pub body: String,
    /// None when the collection held objects not made by this run, so the answer is unknown.
    pub expected: Option<HashSet<String>>,
}

impl Plan for QueryWeek {
    async fn op(&self, w: &mut Worker, _i: u64) {
        let req = Req::new("REPORT", &self.cal)
            .header("depth", "1")
            .body(XML, self.body.clone());
        let Some(r) = w.timed(&req, &[207]).await else {
            return;
        };
        let Some(expected) = &self.expected else {
            w.rec.ok += 1;
            return;
        };
        let got: HashSet<String> = xml::members(&String::from_utf8_lossy(&r.body))
            .into_iter()
            .filter(|m| !is_self(&m.path, &self.cal))
            .map(|m| m.path)
            .collect();
        if &got == expected {
            w.rec.ok += 1;
        } else {
            let missing = expected.difference(&got).count();
            let extra = got.difference(expected).count();
            let sample: Vec<_> = expected
                .difference(&got)
                .chain(got.difference(expected))
                .take(3)
                .cloned()
                .collect();
            w.rec.error("wrong result (query-week set)", || {
                format!(
                    "{} returned, {} expected: {missing} missing, {extra} extra, e.g. {sample:?}",
                    got.len(),
                    expected.len()
                )
            });
        }
    }
}
