//! The driver against real sockets: a small in-memory server (PUT/GET/DELETE/PROPFIND with
//! If-Match / If-None-Match) on 127.0.0.1, and servers that misbehave, to show that statuses are
//! checked, errors never count as speed, and closed connections are reopened.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use davlite_bench::{Config, Workload, run_async};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

type Store = Arc<Mutex<(u64, HashMap<String, (String, Bytes)>)>>;

/// Answers like a minimal WebDAV store; `close` makes every answer close its connection, as an
/// HTTP/1.0 server would.
async fn serve(store: Store, close: bool, fail_every: Option<u64>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let counter = Arc::new(Mutex::new(0u64));
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (store, counter) = (store.clone(), counter.clone());
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let (store, counter) = (store.clone(), counter.clone());
                    async move {
                        let n = {
                            let mut c = counter.lock().unwrap();
                            *c += 1;
                            *c
                        };
                        let mut resp = if fail_every.is_some_and(|k| n % k == 0) {
                            Response::builder()
                                .status(500)
                                .body(Full::new(Bytes::from_static(b"boom")))
                                .unwrap()
                        } else {
                            handle(&store, req).await
                        };
                        if close {
                            resp.headers_mut()
                                .insert("connection", "close".parse().unwrap());
                        }
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = http1::Builder::new()
                    .keep_alive(!close)
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    format!("http://{addr}/cal/")
}

async fn handle(store: &Store, req: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let h = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (inm, im) = (h("if-none-match"), h("if-match"));
    let body = req.into_body().collect().await.unwrap().to_bytes();
    let mut s = store.lock().unwrap();
    let status = |code: u16| {
        Response::builder()
            .status(code)
            .body(Full::new(Bytes::new()))
            .unwrap()
    };
    match method.as_str() {
        "GET" if path == "/cal/" => Response::new(Full::new(Bytes::from(vec![b'x'; 1024]))),
        "GET" => match s.1.get(&path) {
            Some((_, b)) => Response::new(Full::new(b.clone())),
            None => status(404),
        },
        "PUT" => {
            let existing = s.1.get(&path).map(|(e, _)| e.clone());
            if inm.as_deref() == Some("*") && existing.is_some() {
                return status(412);
            }
            if let Some(m) = im {
                if existing.as_deref() != Some(m.as_str()) {
                    return status(412);
                }
            }
            s.0 += 1;
            let etag = format!("\"{}\"", s.0);
            s.1.insert(path, (etag.clone(), body));
            Response::builder()
                .status(if existing.is_some() { 204 } else { 201 })
                .header("etag", etag)
                .body(Full::new(Bytes::new()))
                .unwrap()
        }
        "DELETE" => status(if s.1.remove(&path).is_some() {
            204
        } else {
            404
        }),
        "PROPFIND" => {
            let mut x = String::from(
                r#"<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:response><d:href>/cal/</d:href></d:response>"#,
            );
            for (p, (e, _)) in &s.1 {
                x.push_str(&format!("<d:response><d:href>{p}</d:href><d:propstat><d:prop><d:getetag>{e}</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"));
            }
            x.push_str("</d:multistatus>");
            Response::builder()
                .status(207)
                .body(Full::new(Bytes::from(x)))
                .unwrap()
        }
        _ => status(405),
    }
}

fn config(url: &str, workloads: Vec<Workload>, objects: u64, concurrency: usize) -> Config {
    let mut c = Config::new(url);
    c.workloads = workloads;
    c.objects = objects;
    c.concurrency = concurrency;
    c.progress = false;
    c.max_time = Duration::from_secs(30);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_get_update_delete_succeed_and_leave_nothing_behind() {
    let store: Store = Default::default();
    let url = serve(store.clone(), false, None).await;
    let cfg = config(
        &url,
        vec![
            Workload::Create,
            Workload::Get,
            Workload::Update,
            Workload::Delete,
        ],
        300,
        8,
    );
    let report = run_async(&cfg, |_| {}).await.unwrap();
    for w in &report.workloads {
        assert_eq!(w.error_count(), 0, "{}", w.to_text());
        assert_eq!(w.ok, 300, "{}", w.to_text());
        assert!(w.ops_per_sec() > 0.0);
        assert!(w.latency.p50 <= w.latency.p99 && w.latency.p99 <= w.latency.max);
    }
    let create = &report.workloads[0];
    assert!(
        create.bytes_sent > 300 * 400,
        "objects are 0.5-4 KB: {}",
        create.bytes_sent
    );
    assert!(
        store.lock().unwrap().1.is_empty(),
        "delete removed every object"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_are_isolated_by_a_unique_uid_prefix() {
    let store: Store = Default::default();
    let url = serve(store.clone(), false, None).await;
    let mut cfg = config(&url, vec![Workload::Create], 50, 4);
    cfg.seed = 9;
    let first = run_async(&cfg, |_| {}).await.unwrap();
    assert_eq!(first.workloads[0].ok, 50);
    // Same seed, so the same bodies, but a new run prefix: new UIDs and hrefs, no collision.
    let again = run_async(&cfg, |_| {}).await.unwrap();
    assert_eq!(again.workloads[0].ok, 50);
    assert_eq!(store.lock().unwrap().1.len(), 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unexpected_statuses_are_counted_as_errors() {
    let store: Store = Default::default();
    let url = serve(store, false, Some(5)).await;
    let mut cfg = config(&url, vec![Workload::GetUrl], 1, 2);
    cfg.ops = Some(500);
    let report = run_async(&cfg, |_| {}).await.unwrap();
    let w = &report.workloads[0];
    assert_eq!(w.requests, 500);
    assert_eq!(w.ok + w.error_count(), 500);
    assert_eq!(
        w.errors.get("GET 500").copied(),
        Some(100),
        "{:?}",
        w.errors
    );
    assert!(
        w.to_json()["ops_per_sec"].as_f64().unwrap() < w.requests as f64 / w.elapsed.as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_closed_by_the_server_are_reopened() {
    let store: Store = Default::default();
    let url = serve(store, true, None).await;
    let mut cfg = config(&url, vec![Workload::GetUrl], 1, 3);
    cfg.ops = Some(200);
    let report = run_async(&cfg, |_| {}).await.unwrap();
    let w = &report.workloads[0];
    assert_eq!(w.error_count(), 0, "{}", w.to_text());
    assert_eq!(w.ok, 200);
    assert_eq!(w.bytes_received, 200 * 1024);
}

#[test]
fn cli_rejects_unknown_workloads_and_unreachable_servers() {
    let code = davlite_bench::cli_main(vec![
        "--url".into(),
        "http://127.0.0.1:1/x/".into(),
        "--workload".into(),
        "nope".into(),
    ]);
    assert_eq!(code, std::process::ExitCode::from(2));
    let code = davlite_bench::cli_main(vec![
        "--url".into(),
        "http://127.0.0.1:1/x/".into(),
        "--workload".into(),
        "get".into(),
    ]);
    assert_eq!(code, std::process::ExitCode::from(2));
}
