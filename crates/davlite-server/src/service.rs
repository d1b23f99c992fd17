//! One request, from head to answer: the limits and refusals the server owns (414, 301 for the
//! well-known URLs, 401/429, 413, 408), then the web page (`crate::web`) for browsers or the
//! DAV handler for everyone else, then one log line.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use davlite_dav::{Dav, DavBody, RequestContext};
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use parking_lot::Mutex;

use crate::auth::{AuthOutcome, Authenticator};
use crate::body::ResponseBody;
use crate::config::Limits;
use crate::metrics::Metrics;

/// What every connection of one server shares.
pub struct AppState {
    pub dav: Dav,
    pub auth: Authenticator,
    pub limits: Limits,
    pub debug_panic_path: Option<String>,
    /// Counters for `/metrics`, kept whether or not it is served.
    pub metrics: Metrics,
    /// Serve `GET /metrics` (to direct loopback clients, see [`crate::metrics::may_read`]).
    pub metrics_enabled: bool,
    /// The store file, whose size `/metrics` reports.
    pub store_file: Option<PathBuf>,
    /// Whether clients connect over TLS (the web page's cookie is then `Secure`).
    pub tls: bool,
    /// The web page's sign-in sessions.
    pub web: crate::web::Sessions,
    /// Users whose homes were provisioned by this process: a user added while the server ran
    /// (the CLI cannot open the locked store then) gets them on the first login.
    provisioned: Mutex<HashSet<String>>,
    /// Handler calls not yet returned, including those whose client went away: shutdown waits
    /// for them so that no acknowledged-in-progress write is cut off.
    in_flight: AtomicUsize,
    idle: tokio::sync::Notify,
}

impl AppState {
    pub fn new(
        dav: Dav,
        auth: Authenticator,
        limits: Limits,
        debug_panic_path: Option<String>,
    ) -> Self {
        AppState {
            dav,
            auth,
            limits,
            debug_panic_path,
            metrics: Metrics::default(),
            metrics_enabled: false,
            store_file: None,
            tls: false,
            web: crate::web::Sessions::default(),
            provisioned: Mutex::new(HashSet::new()),
            in_flight: AtomicUsize::new(0),
            idle: tokio::sync::Notify::new(),
        }
    }

    /// Serves `/metrics` (when `enabled`) with these counters, reporting the size of
    /// `store_file`.
    pub fn with_metrics(
        mut self,
        enabled: bool,
        store_file: Option<PathBuf>,
        metrics: Metrics,
    ) -> Self {
        self.metrics_enabled = enabled;
        self.store_file = store_file;
        self.metrics = metrics;
        self
    }

    /// Marks this server as serving HTTPS.
    pub fn with_tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// Forgets that a user's homes were provisioned (the user was removed): a user added again
    /// under the name gets fresh homes on first login.
    pub(crate) fn forget_provisioned(&self, user: &str) {
        self.provisioned.lock().remove(user);
    }

    /// Resolves once no handler call is running.
    pub async fn handlers_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.in_flight.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// Decrements the in-flight count when the handler call (or a backup) ends, even by panic.
pub(crate) struct InFlight(Arc<AppState>);

impl InFlight {
    pub(crate) fn enter(state: &Arc<AppState>) -> InFlight {
        state.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(state.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

pub async fn serve(
    state: Arc<AppState>,
    req: Request<Incoming>,
    peer: SocketAddr,
) -> Response<ResponseBody> {
    let start = Instant::now();
    let method = req.method().clone();
    let mut path: String = req.uri().path().chars().take(300).collect();
    if path.len() < req.uri().path().len() {
        path.push('…');
    }
    // The client: the peer, or whom a trusted proxy names (throttling and the log use it).
    let client = state.auth.client_addr(peer.ip(), req.headers());
    let (resp, user) = route(&state, req, peer, client).await;
    let elapsed = start.elapsed();
    let ms = format!("{:.3}", elapsed.as_secs_f64() * 1000.0);
    let status = resp.status().as_u16();
    state.metrics.request(&method, status, elapsed);
    let user = user.as_deref().unwrap_or("-");
    if status >= 500 {
        tracing::error!(target: "davlite::request", %method, path, status, %ms, user, %client, "request");
    } else {
        tracing::info!(target: "davlite::request", %method, path, status, %ms, user, %client, "request");
    }
    resp
}

async fn route(
    state: &Arc<AppState>,
    req: Request<Incoming>,
    peer: SocketAddr,
    client: IpAddr,
) -> (Response<ResponseBody>, Option<String>) {
    let target_len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if target_len > state.limits.max_uri_bytes {
        return (
            plain(StatusCode::URI_TOO_LONG, "request target too long\n", true),
            None,
        );
    }
    if is_well_known(req.uri().path()) {
        return (redirect(&state.dav.config().base), None);
    }
    if state.metrics_enabled && req.uri().path() == METRICS_PATH {
        return (metrics(state, &req, peer).await, None);
    }
    if crate::web::wants(&req) {
        return crate::web::handle(state, req, client).await;
    }
    let authz = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    let user = match state.auth.check(authz, client).await {
        AuthOutcome::User(u) => u,
        AuthOutcome::Missing => return (unauthorized(), None),
        AuthOutcome::Invalid => {
            state.metrics.auth_failed();
            return (unauthorized(), None);
        }
        AuthOutcome::Limited(wait) => {
            state.metrics.auth_throttled();
            return (too_many(wait), None);
        }
    };
    if let Err(resp) = provision(state, &user).await {
        return (resp, Some(user));
    }
    let (parts, body) = req.into_parts();
    let body = match read_body(&parts, body, &state.limits).await {
        Ok(b) => b,
        Err(resp) => return (resp, Some(user)),
    };
    let req = Request::from_parts(parts, body);
    let resp = call_handler(
        state,
        req,
        RequestContext {
            user: Some(user.clone()),
        },
    )
    .await;
    let blocking = state.dav.store().network();
    (
        resp.map(|b| ResponseBody::from_dav(b, blocking)),
        Some(user),
    )
}

/// Where the metrics are served when enabled. Outside any DAV base (a base must not be `/`).
pub const METRICS_PATH: &str = "/metrics";

/// `GET /metrics`: no credentials, but only for direct loopback clients; others get 403.
async fn metrics(
    state: &Arc<AppState>,
    req: &Request<Incoming>,
    peer: SocketAddr,
) -> Response<ResponseBody> {
    if !crate::metrics::may_read(peer.ip(), req.headers()) {
        return plain(
            StatusCode::FORBIDDEN,
            "metrics are served to local clients only\n",
            false,
        );
    }
    if !matches!(req.method().as_str(), "GET" | "HEAD") {
        let mut resp = plain(StatusCode::METHOD_NOT_ALLOWED, "use GET\n", false);
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return resp;
    }
    // Counting objects may be a database round trip: off the async workers.
    let s = state.clone();
    let text = tokio::task::spawn_blocking(move || {
        s.metrics.render(s.dav.store(), s.store_file.as_deref())
    })
    .await
    .unwrap_or_default();
    let mut resp = Response::new(if req.method() == Method::HEAD {
        ResponseBody::empty()
    } else {
        ResponseBody::full(Bytes::from(text))
    });
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn is_well_known(path: &str) -> bool {
    let p = path.strip_suffix('/').unwrap_or(path);
    p.eq_ignore_ascii_case("/.well-known/caldav") || p.eq_ignore_ascii_case("/.well-known/carddav")
}

/// The handler is synchronous. A write waits for its group commit (an fsync shared with other
/// writes), so writes run on tokio's blocking pool and the async workers keep serving
/// meanwhile; so does every request when the store is on a database server (its reads wait on
/// the network too). Reads of the embedded store never wait: they run right here, which saves the hand-off
/// to another thread on the hot GET path (a large listing costs little here anyway, because
/// its body is produced piece by piece as the socket drains). Either way a panic becomes a
/// 500 and a log line, and the thread survives for the next request.
pub(crate) async fn call_handler(
    state: &Arc<AppState>,
    req: Request<Bytes>,
    ctx: RequestContext,
) -> Response<DavBody> {
    let guard = InFlight::enter(state);
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let job = move || {
        let state = &guard.0;
        catch_unwind(AssertUnwindSafe(|| {
            if state.debug_panic_path.as_deref() == Some(req.uri().path()) {
                panic!("debug panic path requested");
            }
            state.dav.handle(req, &ctx)
        }))
    };
    let outcome = if is_read_only(&method) && !state.dav.store().network() {
        job().map_err(|p| panic_text(&p))
    } else {
        match tokio::task::spawn_blocking(job).await {
            Ok(r) => r.map_err(|p| panic_text(&p)),
            Err(e) => Err(if e.is_panic() {
                panic_text(&e.into_panic())
            } else {
                "handler task cancelled".to_string()
            }),
        }
    };
    outcome.unwrap_or_else(|msg| {
        tracing::error!(%method, path, "handler panicked: {msg}");
        let mut resp = Response::new(DavBody::Full(Bytes::from_static(b"internal error\n")));
        *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        resp
    })
}

/// Methods that never write, so never wait for a commit.
fn is_read_only(m: &Method) -> bool {
    matches!(
        m.as_str(),
        "GET" | "HEAD" | "OPTIONS" | "PROPFIND" | "REPORT"
    )
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-text panic".into())
}

pub(crate) async fn provision(
    state: &Arc<AppState>,
    user: &str,
) -> Result<(), Response<ResponseBody>> {
    if state.provisioned.lock().contains(user) {
        return Ok(());
    }
    let dav = state.dav.clone();
    let name = user.to_string();
    let result = tokio::task::spawn_blocking(move || dav.provision_user(&name)).await;
    match result {
        Ok(Ok(())) => {
            state.provisioned.lock().insert(user.to_string());
            Ok(())
        }
        Ok(Err(e)) => {
            tracing::error!(user, "cannot create the user's homes: {e:?}");
            Err(plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot create your calendar and address book\n",
                false,
            ))
        }
        Err(_) => Err(plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error\n",
            false,
        )),
    }
}

/// Reads the whole body, refusing with 413 as soon as it is known to be too large: from the
/// Content-Length before reading a byte, else while counting the chunks as they come.
pub(crate) async fn read_body(
    parts: &http::request::Parts,
    body: Incoming,
    limits: &Limits,
) -> Result<Bytes, Response<ResponseBody>> {
    let too_large = || {
        plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large\n",
            true,
        )
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body_bytes) {
        return Err(too_large());
    }
    if http_body::Body::is_end_stream(&body) {
        return Ok(Bytes::new());
    }
    let max = limits.max_body_bytes;
    let collect = async move {
        let mut body = body;
        let mut first: Option<Bytes> = None;
        let mut rest: Option<BytesMut> = None;
        let mut total: u64 = 0;
        while let Some(frame) = body.frame().await {
            let frame = frame
                .map_err(|_| plain(StatusCode::BAD_REQUEST, "malformed request body\n", true))?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            total += data.len() as u64;
            if total > max {
                return Err(too_large());
            }
            match (&mut first, &mut rest) {
                (None, _) => first = Some(data),
                (Some(f), None) => {
                    let mut buf =
                        BytesMut::with_capacity(declared.unwrap_or(0).max(total) as usize);
                    buf.extend_from_slice(f);
                    buf.extend_from_slice(&data);
                    rest = Some(buf);
                }
                (Some(_), Some(buf)) => buf.extend_from_slice(&data),
            }
        }
        Ok(match (first, rest) {
            (_, Some(buf)) => buf.freeze(),
            (Some(f), None) => f,
            (None, None) => Bytes::new(),
        })
    };
    match tokio::time::timeout(limits.body_timeout, collect).await {
        Ok(r) => r,
        Err(_) => Err(plain(
            StatusCode::REQUEST_TIMEOUT,
            "request body not received in time\n",
            true,
        )),
    }
}

fn plain(status: StatusCode, text: &'static str, close: bool) -> Response<ResponseBody> {
    let mut resp = Response::new(ResponseBody::full(Bytes::from_static(text.as_bytes())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if close {
        // The rest of the request was not read; the connection cannot carry another one.
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}

fn unauthorized() -> Response<ResponseBody> {
    let mut resp = plain(StatusCode::UNAUTHORIZED, "authentication required\n", false);
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"davlite\", charset=\"UTF-8\""),
    );
    resp
}

fn too_many(wait: Duration) -> Response<ResponseBody> {
    let mut resp = plain(
        StatusCode::TOO_MANY_REQUESTS,
        "too many failed logins, try again later\n",
        false,
    );
    resp.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(wait.as_secs().max(1)),
    );
    resp
}

/// 301 with an absolute-path Location: the client stays on the scheme, host and port it used,
/// and keeps its method (clients follow 301 for PROPFIND; 303 would turn it into GET).
fn redirect(base: &str) -> Response<ResponseBody> {
    let mut resp = Response::new(ResponseBody::empty());
    *resp.status_mut() = StatusCode::MOVED_PERMANENTLY;
    if let Ok(v) = HeaderValue::from_str(base) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_paths() {
        assert!(is_well_known("/.well-known/caldav"));
        assert!(is_well_known("/.well-known/carddav/"));
        assert!(is_well_known("/.WELL-KNOWN/CalDAV"));
        assert!(!is_well_known("/.well-known/caldavx"));
        assert!(!is_well_known("/dav/.well-known/caldav"));
    }

    #[test]
    fn redirect_is_same_origin() {
        let r = redirect("/dav/");
        assert_eq!(r.status(), StatusCode::MOVED_PERMANENTLY);
        assert_eq!(r.headers()[header::LOCATION], "/dav/");
    }
}
