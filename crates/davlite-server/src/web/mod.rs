//! The web page of `davlite serve`: people sign in with their DAV user name and password (or an
//! app password), see their calendars and address books with the URL to give each app, and
//! create, rename, recolour, delete, import and download them; administrators also manage
//! users and see the server's status.
//!
//! Which requests are ours: everything under [`PREFIX`], and a `GET` (or `HEAD`) of the server
//! root or of any collection URL (a path ending in `/`) whose `Accept` names `text/html`, which
//! is what a browser sends and no DAV client does. Every other request goes to DAV unchanged.
//!
//! Security, in one place: sessions live in memory ([`session`]), the cookie is `HttpOnly`,
//! `SameSite=Strict`, `Path=/` and `Secure` under TLS; every state-changing request is a POST
//! carrying the session's CSRF token, refused when `Origin` or `Sec-Fetch-Site` say it comes
//! from another site; sign-in goes through the same throttling as Basic auth; every page is
//! sent with a strict Content-Security-Policy (scripts and styles from this server only, no
//! inline code), `X-Frame-Options: DENY` and `nosniff`; everything shown is escaped
//! ([`pages::esc`]). Writes go through the DAV handler (MKCALENDAR, extended MKCOL, PROPPATCH,
//! DELETE) so they meet exactly the checks a DAV client meets, or through the import code of
//! `davlite import`.

mod form;
mod pages;
mod qr;
mod session;

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use davlite_dav::RequestContext;
use davlite_proto::{PropValue, QName};
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;

use crate::auth::AuthOutcome;
use crate::body::ResponseBody;
use crate::service::{AppState, InFlight, call_handler, read_body};
use crate::users::{UserDb, UserQuota};
use form::Form;
use pages::Viewer;
pub use session::Sessions;
use session::{COOKIE, Current, LOGIN_COOKIE};

/// Where the page's own resources and forms live; outside any DAV base (which cannot be `/`).
pub const PREFIX: &str = "/_web/";

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const APP_CSS: &str = include_str!("assets/app.css");
const APP_JS: &str = include_str!("assets/app.js");

/// Whether a request is for the web page rather than for DAV.
pub fn wants(req: &Request<Incoming>) -> bool {
    let path = req.uri().path();
    if path.starts_with(PREFIX) || path == PREFIX.trim_end_matches('/') {
        return true;
    }
    matches!(*req.method(), Method::GET | Method::HEAD)
        && (path == "/" || path.ends_with('/'))
        && accepts_html(req.headers())
}

/// `Accept` names `text/html` with a non-zero quality. `*/*` does not count: DAV clients send
/// it, browsers name HTML explicitly.
fn accepts_html(headers: &http::HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|range| {
            let mut parts = range.split(';');
            let mime = parts.next().unwrap_or("").trim();
            let zero = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            mime.eq_ignore_ascii_case("text/html") && !zero
        })
}

/// A calendar or an address book, as the page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Calendar,
    AddressBook,
}

impl Kind {
    /// The store tree (and DAV URL segment) holding this kind: `calendars` / `addressbooks`.
    pub fn tree(self) -> &'static str {
        match self {
            Kind::Calendar => "calendars",
            Kind::AddressBook => "addressbooks",
        }
    }

    fn from_form(s: &str) -> Option<Kind> {
        match s {
            "calendars" => Some(Kind::Calendar),
            "addressbooks" => Some(Kind::AddressBook),
            _ => None,
        }
    }
}

/// One collection of the signed-in user.
#[derive(Debug, Clone)]
pub struct Collection {
    pub kind: Kind,
    /// The URL segment (store name).
    pub name: String,
    pub displayname: String,
    /// `#rrggbb`, validated.
    pub color: Option<String>,
    pub objects: u64,
    pub bytes: u64,
    /// The absolute URL to give a client.
    pub url: String,
    /// Inline SVG of the URL as a QR code.
    pub qr: String,
    /// Another user's collection shared with this one: its owner, and whether it may be
    /// written (the page then offers leaving it instead of deleting it).
    pub shared_by: Option<String>,
    pub writable: bool,
}

/// One row of the admin's user table.
pub struct UserRow {
    pub name: String,
    pub admin: bool,
    pub used: u64,
    /// `none`, a number of bytes, or empty (the server default).
    pub quota: String,
}

/// The admin's status panel, already formatted.
pub struct Status {
    pub version: String,
    pub uptime: String,
    pub backend: String,
    pub store_size: String,
    pub collections: String,
    pub objects: String,
    pub requests: String,
    pub auth_failures: String,
    pub connections: String,
    pub last_backup: Option<String>,
}

/// How the client reached us: for absolute URLs and the same-origin check.
#[derive(Clone)]
struct Origin {
    scheme: &'static str,
    host: String,
    /// A trusted proxy's `X-Forwarded-Prefix` / `X-Script-Name`.
    forwarded: Option<String>,
    secure: bool,
}

impl Origin {
    fn of(state: &AppState, headers: &http::HeaderMap, uri: &http::Uri) -> Origin {
        let trusted = state.dav.config().trust_forwarded_prefix;
        let header_text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let https = state.tls
            || (trusted
                && header_text("x-forwarded-proto")
                    .is_some_and(|p| p.eq_ignore_ascii_case("https")));
        let host = header_text("host")
            .or_else(|| uri.authority().map(|a| a.to_string()))
            .filter(|h| {
                h.len() <= 255
                    && h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b))
            })
            .unwrap_or_else(|| "localhost".into());
        let forwarded = if trusted {
            header_text("x-forwarded-prefix").or_else(|| header_text("x-script-name"))
        } else {
            None
        };
        Origin {
            scheme: if https { "https" } else { "http" },
            host,
            forwarded,
            secure: state.tls,
        }
    }

    fn root(&self) -> String {
        format!("{}://{}/", self.scheme, self.host)
    }

    /// The absolute URL of a collection, with the prefix DAV hrefs get for this request.
    fn collection_url(&self, state: &AppState, kind: Kind, user: &str, name: &str) -> String {
        let base = &state.dav.config().base;
        let mounts = davlite_dav::Mounts::new(base, &state.dav.config().aliases);
        let prefix = mounts
            .decode(base, self.forwarded.as_deref())
            .map(|d| d.prefix)
            .unwrap_or_else(|_| base.clone());
        format!(
            "{}://{}{prefix}{}/{}/{}/",
            self.scheme,
            self.host,
            kind.tree(),
            segment(user),
            segment(name)
        )
    }
}

/// One URL path segment, percent-encoded.
fn segment(s: &str) -> String {
    const SEG: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~')
        .remove(b'@');
    percent_encoding::utf8_percent_encode(s, SEG).to_string()
}

/// A query-string value, percent-encoded.
pub fn query_escape(s: &str) -> String {
    segment(s)
}

/// Answers a request [`wants`] claimed; returns the response and the signed-in user, if any.
pub async fn handle(
    state: &Arc<AppState>,
    req: Request<Incoming>,
    client: IpAddr,
) -> (Response<ResponseBody>, Option<String>) {
    let path = req.uri().path().to_string();
    let route = path.strip_prefix(PREFIX).unwrap_or("");
    let method = req.method().clone();
    match (method.as_str(), route) {
        ("GET" | "HEAD", "app.css") => return (asset(APP_CSS, "text/css; charset=utf-8"), None),
        ("GET" | "HEAD", "app.js") => {
            return (asset(APP_JS, "text/javascript; charset=utf-8"), None);
        }
        _ => {}
    }
    let origin = Origin::of(state, req.headers(), req.uri());
    let current = session::cookie(req.headers(), COOKIE)
        .and_then(|t| state.web.get(t))
        .filter(|c| {
            let ok = state.auth.still_valid(&c.user, &c.cred);
            if !ok {
                state.web.remove(&c.key);
            }
            ok
        });
    let user = current.as_ref().map(|c| c.user.clone());
    if method == Method::POST {
        if !same_origin(req.headers(), &origin) {
            return (
                error_page(
                    StatusCode::FORBIDDEN,
                    "This form was sent from another site.",
                ),
                user,
            );
        }
        let (parts, body) = req.into_parts();
        let body = match read_body(&parts, body, &state.limits).await {
            Ok(b) => b,
            Err(resp) => return (resp, user),
        };
        let ctype = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let Some(form) = Form::parse(ctype, &body) else {
            return (
                error_page(StatusCode::BAD_REQUEST, "The form could not be read."),
                user,
            );
        };
        if route == "login" {
            return login_post(state, &parts.headers, &form, client, &origin).await;
        }
        let Some(cur) = current else {
            return (see_other(PREFIX), None);
        };
        if !session::same_secret(form.get("csrf"), &cur.csrf) {
            return (
                error_page(
                    StatusCode::FORBIDDEN,
                    "This form is out of date or was not sent by this page; reload and try again.",
                ),
                user,
            );
        }
        let resp = post(state, &cur, route, form, &origin).await;
        return (resp, user);
    }
    if !matches!(method, Method::GET | Method::HEAD) {
        let mut resp = error_page(StatusCode::METHOD_NOT_ALLOWED, "Not here.");
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD, POST"));
        return (resp, user);
    }
    let Some(cur) = current else {
        if route.is_empty() || !path.starts_with(PREFIX) {
            return (login_page(&origin, None, ""), None);
        }
        return (see_other(PREFIX), None);
    };
    let query = form::urlencoded(req.uri().query().unwrap_or(""));
    let q = |k: &str| query.get(k).map_or("", String::as_str).to_string();
    let resp = match route {
        "" => home(state, &cur, &origin).await,
        "delete" => match owned(&q("kind"), &q("name")) {
            Some((kind, name)) => match collection(state, &cur.user, kind, &name, &origin).await {
                Some(c) => html(
                    StatusCode::OK,
                    pages::confirm_delete(&viewer(state, &cur), &c),
                ),
                None => not_found(),
            },
            None => not_found(),
        },
        "export" => match owned(&q("kind"), &q("name")) {
            Some((kind, name)) => export(state, &cur.user, kind, &name).await,
            None => not_found(),
        },
        "admin" if state.auth.is_admin(&cur.user) => admin_page(state, &cur).await,
        "admin/remove" if state.auth.is_admin(&cur.user) => html(
            StatusCode::OK,
            pages::confirm_remove_user(&viewer(state, &cur), &q("user")),
        ),
        "admin" | "admin/remove" => error_page(StatusCode::FORBIDDEN, "For administrators only."),
        _ => not_found(),
    };
    (resp, user)
}

fn viewer<'a>(state: &AppState, cur: &'a Current) -> Viewer<'a> {
    Viewer {
        user: &cur.user,
        admin: state.auth.is_admin(&cur.user),
        csrf: &cur.csrf,
    }
}

/// A POST must come from our own pages: `Sec-Fetch-Site` (when the browser sends it) is
/// `same-origin` or `none`, and `Origin` (when sent) names this host. The CSRF token is
/// checked as well; these headers stop a forged request before the body is even read.
fn same_origin(headers: &http::HeaderMap, origin: &Origin) -> bool {
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(site) = get("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match get("origin") {
        None => true,
        Some(o) => o
            .split_once("://")
            .is_some_and(|(_, host)| host.eq_ignore_ascii_case(&origin.host)),
    }
}

fn secure_headers(resp: &mut Response<ResponseBody>) {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    // The page differs by Accept at the same URL as DAV answers.
    h.insert(header::VARY, HeaderValue::from_static("Accept, Cookie"));
}

fn html(status: StatusCode, body: String) -> Response<ResponseBody> {
    let mut resp = Response::new(ResponseBody::full(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    secure_headers(&mut resp);
    resp
}

fn asset(text: &'static str, ctype: &'static str) -> Response<ResponseBody> {
    let mut resp = Response::new(ResponseBody::full(Bytes::from_static(text.as_bytes())));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    secure_headers(&mut resp);
    resp
}

fn error_page(status: StatusCode, text: &str) -> Response<ResponseBody> {
    html(
        status,
        pages::message(None, status.canonical_reason().unwrap_or("Error"), text),
    )
}

fn not_found() -> Response<ResponseBody> {
    error_page(StatusCode::NOT_FOUND, "There is nothing here.")
}

/// 303 to a page of ours (after a POST, so a reload does not send it again).
fn see_other(location: &str) -> Response<ResponseBody> {
    let mut resp = Response::new(ResponseBody::empty());
    *resp.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    secure_headers(&mut resp);
    resp
}

fn set_cookie(resp: &mut Response<ResponseBody>, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The sign-in form, with a fresh anti-forgery token in a cookie and in the form (a session
/// does not exist yet, so the token is checked against the cookie: double submit).
fn login_page(origin: &Origin, error: Option<&str>, user: &str) -> Response<ResponseBody> {
    let token = session::random_token();
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let mut resp = html(status, pages::login(error, &token, user));
    set_cookie(
        &mut resp,
        session::set_cookie(LOGIN_COOKIE, &token, origin.secure, session::IDLE),
    );
    resp
}

async fn login_post(
    state: &Arc<AppState>,
    headers: &http::HeaderMap,
    form: &Form,
    client: IpAddr,
    origin: &Origin,
) -> (Response<ResponseBody>, Option<String>) {
    let expected = session::cookie(headers, LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || !session::same_secret(form.get("csrf"), expected) {
        return (
            login_page(
                origin,
                Some("The sign-in form had expired; please try again."),
                form.get("user"),
            ),
            None,
        );
    }
    let user = form.get("user").trim();
    let (outcome, cred) = state.auth.login(user, form.get("password"), client).await;
    match (outcome, cred) {
        (AuthOutcome::User(u), Some(cred)) => {
            if let Err(resp) = crate::service::provision(state, &u).await {
                return (resp, Some(u));
            }
            let token = state.web.create(&u, cred);
            let mut resp = see_other(PREFIX);
            set_cookie(
                &mut resp,
                session::set_cookie(COOKIE, &token, origin.secure, session::MAX_AGE),
            );
            set_cookie(
                &mut resp,
                session::set_cookie(LOGIN_COOKIE, "", origin.secure, std::time::Duration::ZERO),
            );
            (resp, Some(u))
        }
        (AuthOutcome::Limited(wait), _) => {
            state.metrics.auth_throttled();
            let mut resp = login_page(
                origin,
                Some(&format!(
                    "Too many failed sign-ins; try again in {} seconds.",
                    wait.as_secs().max(1)
                )),
                user,
            );
            *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            resp.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(wait.as_secs().max(1)),
            );
            (resp, None)
        }
        _ => {
            state.metrics.auth_failed();
            (
                login_page(origin, Some("Wrong user name or password."), user),
                None,
            )
        }
    }
}

/// The kind and name from a form or query, when they name one collection segment.
fn owned(kind: &str, name: &str) -> Option<(Kind, String)> {
    let kind = Kind::from_form(kind)?;
    let ok = !name.is_empty()
        && name.len() <= 200
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0']);
    ok.then(|| (kind, name.to_string()))
}

fn prop_text(props: &std::collections::BTreeMap<String, Vec<u8>>, name: &QName) -> Option<String> {
    let raw = props.get(&name.to_clark())?;
    PropValue::from_xml(raw).ok().map(|(_, v)| v.text())
}

/// `#rrggbb` from a stored colour (`#rrggbb` or Apple's `#rrggbbaa`), else `None`.
fn valid_color(c: &str) -> Option<String> {
    let c = c.trim();
    let hex = c.strip_prefix('#')?;
    ((hex.len() == 6 || hex.len() == 8) && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("#{}", hex[..6].to_ascii_lowercase()))
}

/// The user's collections of both kinds, with counts and sizes (a listing of metadata; no body
/// is read).
fn list_collections(
    state: &AppState,
    user: &str,
    origin: &Origin,
    only: Option<(Kind, &str)>,
) -> Result<Vec<Collection>, String> {
    use davlite_dav::share;
    let reader = state.dav.store().read().map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for kind in [Kind::Calendar, Kind::AddressBook] {
        let home = format!("{}/{user}", kind.tree());
        let mut colls = reader.children(&home).map_err(|e| e.to_string())?;
        // Collections others share with the user, under the names their apps see them by.
        if let Some(h) = reader.collection(&home).map_err(|e| e.to_string())? {
            colls.extend(share::shared_in(&reader, &h));
        }
        for c in colls {
            let name = share::name_in_home(user, &c);
            if only.is_some_and(|(k, n)| k != kind || n != name) {
                continue;
            }
            let (mut objects, mut bytes) = (0u64, 0u64);
            for (_, meta) in reader.list(&c.path).map_err(|e| e.to_string())? {
                objects += 1;
                bytes += meta.size;
            }
            let props = share::props_seen_by(&reader, user, &c);
            let displayname = prop_text(&props, &QName::dav("displayname"))
                .filter(|d| !d.trim().is_empty())
                .unwrap_or_else(|| name.clone());
            let color = prop_text(&props, &QName::apple_ical("calendar-color"))
                .and_then(|c| valid_color(&c));
            let url = origin.collection_url(state, kind, user, &name);
            let shared_by = (c.owner != user).then(|| c.owner.clone());
            let writable =
                shared_by.is_none() || share::access(&c, user) == Some(share::Access::ReadWrite);
            out.push(Collection {
                kind,
                qr: qr::svg(&url),
                name,
                displayname,
                color,
                objects,
                bytes,
                url,
                shared_by,
                writable,
            });
        }
    }
    out.sort_by(|a, b| {
        (a.kind.tree(), a.displayname.to_lowercase())
            .cmp(&(b.kind.tree(), b.displayname.to_lowercase()))
    });
    Ok(out)
}

/// Runs store work off the async workers (it may wait on a database), counted as in flight so
/// shutdown waits for it.
async fn blocking<T: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce(&AppState) -> T + Send + 'static,
) -> Option<T> {
    let guard = InFlight::enter(state);
    let s = state.clone();
    tokio::task::spawn_blocking(move || {
        let _guard = guard;
        f(&s)
    })
    .await
    .ok()
}

async fn home(state: &Arc<AppState>, cur: &Current, origin: &Origin) -> Response<ResponseBody> {
    let user = cur.user.clone();
    let o = origin.clone();
    let list = blocking(state, move |s| list_collections(s, &user, &o, None)).await;
    match list {
        Some(Ok(list)) => {
            let flash = state.web.take_flash(&cur.key);
            html(
                StatusCode::OK,
                pages::home(&viewer(state, cur), flash.as_ref(), &origin.root(), &list),
            )
        }
        Some(Err(e)) => {
            tracing::error!(user = cur.user, "web page: listing collections: {e}");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The store could not be read.",
            )
        }
        None => error_page(StatusCode::INTERNAL_SERVER_ERROR, "Internal error."),
    }
}

async fn collection(
    state: &Arc<AppState>,
    user: &str,
    kind: Kind,
    name: &str,
    origin: &Origin,
) -> Option<Collection> {
    let (user, name) = (user.to_string(), name.to_string());
    let o = origin.clone();
    blocking(state, move |s| {
        list_collections(s, &user, &o, Some((kind, &name)))
    })
    .await?
    .ok()?
    .pop()
}

async fn export(
    state: &Arc<AppState>,
    user: &str,
    kind: Kind,
    name: &str,
) -> Response<ResponseBody> {
    // A collection shared with the user is named `name~owner` in their home: read the owner's,
    // if the user still holds the share.
    let segs = vec![kind.tree().to_string(), user.to_string(), name.to_string()];
    let path = davlite_dav::share::to_store(user, segs).join("/");
    let user = user.to_string();
    let result = blocking(state, move |s| -> Result<Option<Vec<u8>>, String> {
        let reader = s.dav.store().read().map_err(|e| e.to_string())?;
        let readable = reader
            .collection(&path)
            .map_err(|e| e.to_string())?
            .is_some_and(|c| c.owner == user || davlite_dav::share::access(&c, &user).is_some());
        if !readable {
            return Ok(None);
        }
        let mut out = Vec::new();
        crate::import::export_path(&reader, &path, &mut out, &crate::progress::silent)
            .map_err(|e| e.to_string())?;
        Ok(Some(out))
    })
    .await;
    match result {
        Some(Ok(Some(bytes))) => {
            let (ctype, ext) = match kind {
                Kind::Calendar => ("text/calendar; charset=utf-8", "ics"),
                Kind::AddressBook => ("text/vcard; charset=utf-8", "vcf"),
            };
            let mut resp = Response::new(ResponseBody::full(Bytes::from(bytes)));
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
            let file: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}.{ext}\""))
            {
                resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            secure_headers(&mut resp);
            resp
        }
        Some(Ok(None)) => not_found(),
        _ => error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The store could not be read.",
        ),
    }
}

/// Escapes text for XML content.
fn xml_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Sends a request to the DAV handler as `user` and returns its status and body text.
async fn dav(
    state: &Arc<AppState>,
    user: &str,
    method: &str,
    kind: Kind,
    name: &str,
    body: String,
) -> (StatusCode, String) {
    let uri = format!(
        "{}{}/{}/{}/",
        state.dav.config().base,
        kind.tree(),
        segment(user),
        segment(name)
    );
    let req = match Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/xml; charset=utf-8")
        .body(Bytes::from(body))
    {
        Ok(r) => r,
        Err(_) => return (StatusCode::BAD_REQUEST, String::new()),
    };
    let ctx = RequestContext {
        user: Some(user.to_string()),
    };
    let resp = call_handler(state, req, ctx).await;
    let status = resp.status();
    let body = resp.into_body().into_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Why the DAV handler refused: the precondition it named (`quota-not-exceeded`), else the
/// status.
fn dav_reason(status: StatusCode, body: &str) -> String {
    let named = body.find("error").and_then(|i| {
        let rest = &body[i..];
        let open = rest.find('<')?;
        let name: String = rest[open + 1..]
            .chars()
            .take_while(|c| !matches!(c, ' ' | '/' | '>'))
            .collect();
        let local = name.rsplit(':').next().unwrap_or(&name).to_string();
        (!local.is_empty() && local != "error").then_some(local)
    });
    match named {
        Some(n) => format!("{} ({n})", status),
        None => status.to_string(),
    }
}

/// A PROPPATCH answers 207; it succeeded when every propstat says 200.
fn proppatch_ok(body: &str) -> bool {
    let statuses: Vec<&str> = body
        .match_indices("HTTP/1.1 ")
        .map(|(i, _)| &body[i + 9..(i + 12).min(body.len())])
        .collect();
    !statuses.is_empty() && statuses.iter().all(|s| *s == "200")
}

/// The URL segment for a new collection: the name in lower case, letters and digits kept,
/// the rest made dashes; a random one when nothing is left.
fn slug(displayname: &str) -> String {
    let mut s = String::new();
    for c in displayname.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            s.push(c);
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
        if s.len() >= 40 {
            break;
        }
    }
    let s = s.trim_end_matches('-').to_string();
    if s.is_empty() {
        session::random_token()[..12].to_string()
    } else {
        s
    }
}

fn props_xml(displayname: &str, color: Option<&str>) -> String {
    let mut p = format!("<D:displayname>{}</D:displayname>", xml_text(displayname));
    if let Some(c) = color {
        p.push_str(&format!("<I:calendar-color>{c}</I:calendar-color>"));
    }
    p
}

const NS: &str = "xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\" \
                  xmlns:CR=\"urn:ietf:params:xml:ns:carddav\" xmlns:I=\"http://apple.com/ns/ical/\"";

async fn post(
    state: &Arc<AppState>,
    cur: &Current,
    route: &str,
    form: Form,
    origin: &Origin,
) -> Response<ResponseBody> {
    let flash = |ok: bool, text: String| {
        state.web.set_flash(&cur.key, ok, text);
    };
    match route {
        "logout" => {
            state.web.remove(&cur.key);
            let mut resp = see_other(PREFIX);
            set_cookie(
                &mut resp,
                session::set_cookie(COOKIE, "", origin.secure, std::time::Duration::ZERO),
            );
            resp
        }
        "create" => {
            let Some(kind) = Kind::from_form(form.get("kind")) else {
                return error_page(StatusCode::BAD_REQUEST, "Unknown kind.");
            };
            let dn = form.get("displayname").trim().to_string();
            if dn.is_empty() || dn.chars().count() > 200 {
                flash(
                    false,
                    "Give the new collection a name (at most 200 characters).".into(),
                );
                return see_other(PREFIX);
            }
            let color = valid_color(form.get("color"));
            let base = slug(&dn);
            let mut result = (StatusCode::CONFLICT, String::new());
            for n in 1..20 {
                let name = if n == 1 {
                    base.clone()
                } else {
                    format!("{base}-{n}")
                };
                let (method, body) = match kind {
                    Kind::Calendar => (
                        "MKCALENDAR",
                        format!(
                            "<?xml version=\"1.0\" encoding=\"utf-8\"?><C:mkcalendar {NS}><D:set><D:prop>{}</D:prop></D:set></C:mkcalendar>",
                            props_xml(&dn, color.as_deref())
                        ),
                    ),
                    Kind::AddressBook => (
                        "MKCOL",
                        format!(
                            "<?xml version=\"1.0\" encoding=\"utf-8\"?><D:mkcol {NS}><D:set><D:prop>\
                             <D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>{}</D:prop></D:set></D:mkcol>",
                            props_xml(&dn, color.as_deref())
                        ),
                    ),
                };
                result = dav(state, &cur.user, method, kind, &name, body).await;
                // Taken: 403 resource-must-be-null (MKCALENDAR) or 405 (MKCOL); try the next name.
                if !matches!(
                    result.0,
                    StatusCode::FORBIDDEN | StatusCode::METHOD_NOT_ALLOWED
                ) || !(result.1.contains("resource-must-be-null")
                    || result.0 == StatusCode::METHOD_NOT_ALLOWED)
                {
                    break;
                }
            }
            if result.0 == StatusCode::CREATED {
                flash(true, format!("Created “{dn}”."));
            } else {
                flash(
                    false,
                    format!(
                        "“{dn}” was not created: {}.",
                        dav_reason(result.0, &result.1)
                    ),
                );
            }
            see_other(PREFIX)
        }
        "update" => {
            let Some((kind, name)) = owned(form.get("kind"), form.get("name")) else {
                return error_page(StatusCode::BAD_REQUEST, "Unknown collection.");
            };
            let dn = form.get("displayname").trim().to_string();
            if dn.is_empty() || dn.chars().count() > 200 {
                flash(
                    false,
                    "A name must not be empty (at most 200 characters).".into(),
                );
                return see_other(PREFIX);
            }
            let color = valid_color(form.get("color"));
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><D:propertyupdate {NS}><D:set><D:prop>{}</D:prop></D:set></D:propertyupdate>",
                props_xml(&dn, color.as_deref())
            );
            let (status, text) = dav(state, &cur.user, "PROPPATCH", kind, &name, body).await;
            if status == StatusCode::MULTI_STATUS && proppatch_ok(&text) {
                flash(true, format!("Saved “{dn}”."));
            } else {
                flash(false, format!("Not saved: {}.", dav_reason(status, &text)));
            }
            see_other(PREFIX)
        }
        "delete" => {
            let Some((kind, name)) = owned(form.get("kind"), form.get("name")) else {
                return error_page(StatusCode::BAD_REQUEST, "Unknown collection.");
            };
            if form.get("confirm") != "yes" {
                return see_other(&format!(
                    "{PREFIX}delete?kind={}&name={}",
                    kind.tree(),
                    query_escape(&name)
                ));
            }
            let (status, text) = dav(state, &cur.user, "DELETE", kind, &name, String::new()).await;
            // `name~owner` is always another user's collection shared with this one (DAV
            // translates such a name to the owner's path): its DELETE leaves the share.
            let verb = if name.contains('~') {
                "Left"
            } else {
                "Deleted"
            };
            if status.is_success() {
                flash(true, format!("{verb} {name}."));
            } else {
                flash(
                    false,
                    format!("{name} was not deleted: {}.", dav_reason(status, &text)),
                );
            }
            see_other(PREFIX)
        }
        "import" => import(state, cur, form).await,
        r if r.starts_with("admin/") => {
            if !state.auth.is_admin(&cur.user) {
                return error_page(StatusCode::FORBIDDEN, "For administrators only.");
            }
            admin_post(state, cur, &r["admin/".len()..], form).await
        }
        _ => not_found(),
    }
}

async fn import(state: &Arc<AppState>, cur: &Current, mut form: Form) -> Response<ResponseBody> {
    let Some((kind, name)) = owned(form.get("kind"), form.get("name")) else {
        return error_page(StatusCode::BAD_REQUEST, "Unknown collection.");
    };
    let files: Vec<(PathBuf, Vec<u8>)> = std::mem::take(&mut form.files)
        .into_iter()
        .filter(|(field, _, data)| field == "file" && !data.is_empty())
        .map(|(_, file, data)| {
            // Only the base name, for the report; the extension tells the kind.
            let base = file
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or("upload")
                .to_string();
            (PathBuf::from(base), data)
        })
        .collect();
    if files.is_empty() {
        state
            .web
            .set_flash(&cur.key, false, "Choose a file to import.");
        return see_other(PREFIX);
    }
    // A file whose kind does not match the collection would create one of the other kind
    // under the same name: refuse it here.
    for (file, data) in &files {
        let k = crate::import::Kind::of_file(file, data);
        let matches = matches!(
            (k, kind),
            (Some(crate::import::Kind::Calendar), Kind::Calendar)
                | (Some(crate::import::Kind::Cards), Kind::AddressBook)
        );
        if !matches {
            state.web.set_flash(
                &cur.key,
                false,
                format!(
                    "{} is not {}.",
                    file.display(),
                    match kind {
                        Kind::Calendar => "an iCalendar (.ics) file",
                        Kind::AddressBook => "a vCard (.vcf) file",
                    }
                ),
            );
            return see_other(PREFIX);
        }
    }
    let user = cur.user.clone();
    let coll = name.clone();
    let result = blocking(state, move |s| {
        crate::import::import_sources(s.dav.store(), &user, &coll, files, &crate::progress::silent)
    })
    .await;
    let v = viewer(state, cur);
    match result {
        Some(Ok(report)) => {
            tracing::info!(
                user = cur.user,
                collection = report.collection,
                created = report.created,
                updated = report.updated,
                refused = report.skipped.len(),
                "web import"
            );
            html(StatusCode::OK, pages::import_report(&v, &name, &report))
        }
        Some(Err(e)) => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::message(Some(&v), "Import failed", &e.to_string()),
        ),
        None => error_page(StatusCode::INTERNAL_SERVER_ERROR, "Internal error."),
    }
}

fn format_duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d} d {h} h {m} min")
    } else if h > 0 {
        format!("{h} h {m} min")
    } else {
        format!("{m} min {s} s")
    }
}

async fn admin_page(state: &Arc<AppState>, cur: &Current) -> Response<ResponseBody> {
    let data = blocking(state, |s| -> Result<(Status, Vec<UserRow>), String> {
        let store = s.dav.store();
        let counts = store
            .read()
            .and_then(|r| r.counts())
            .map_err(|e| e.to_string())?;
        let now = crate::backup::unix_now();
        let store_size = match s.store_file.as_deref().map(std::fs::metadata) {
            Some(Ok(m)) => pages_size(m.len()),
            _ => "n/a (database)".into(),
        };
        let status = Status {
            version: env!("CARGO_PKG_VERSION").to_string(),
            uptime: format_duration(now.saturating_sub(s.metrics.started_unix())),
            backend: store.backend_kind().to_string(),
            store_size,
            collections: counts.collections.to_string(),
            objects: counts.objects.to_string(),
            requests: s.metrics.requests_total().to_string(),
            auth_failures: s.metrics.auth_failures_total().to_string(),
            connections: s.metrics.connections_open().to_string(),
            last_backup: s.metrics.last_backup().map(|b| {
                format!(
                    "{} ago, {} objects, {} to {}",
                    format_duration(now.saturating_sub(b.finished_unix)),
                    b.objects,
                    pages_size(b.bytes),
                    b.file.display()
                )
            }),
        };
        let db = UserDb::load_from(s.auth.user_source().clone()).map_err(|e| e.to_string())?;
        let rows = db
            .iter()
            .map(|(name, rec)| UserRow {
                name: name.to_string(),
                admin: rec.admin,
                used: store.usage(name).map(|u| u.0).unwrap_or(0),
                quota: match rec.quota {
                    None => String::new(),
                    Some(UserQuota::Unlimited) => "none".into(),
                    Some(UserQuota::Bytes(b)) => b.to_string(),
                },
            })
            .collect();
        Ok((status, rows))
    })
    .await;
    match data {
        Some(Ok((status, rows))) => {
            let flash = state.web.take_flash(&cur.key);
            html(
                StatusCode::OK,
                pages::admin(&viewer(state, cur), flash.as_ref(), &status, &rows),
            )
        }
        Some(Err(e)) => {
            tracing::error!("web page: admin status: {e}");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The status could not be read.",
            )
        }
        None => error_page(StatusCode::INTERNAL_SERVER_ERROR, "Internal error."),
    }
}

fn pages_size(b: u64) -> String {
    format!("{:.1} MiB", b as f64 / 1048576.0)
}

/// Changes the users document the way `davlite user` does, then makes the server see it now.
fn change_users<T>(
    s: &AppState,
    f: impl FnOnce(&mut UserDb) -> Result<T, crate::ServerError>,
) -> Result<T, String> {
    let mut db = UserDb::load_from(s.auth.user_source().clone()).map_err(|e| e.to_string())?;
    let out = f(&mut db).map_err(|e| e.to_string())?;
    db.save().map_err(|e| e.to_string())?;
    s.auth.reload().map_err(|e| e.to_string())?;
    Ok(out)
}

fn parse_quota(text: &str) -> Result<Option<UserQuota>, String> {
    match text.trim() {
        "" | "default" => Ok(None),
        "none" => Ok(Some(UserQuota::Unlimited)),
        n => n
            .parse()
            .map(|b| Some(UserQuota::Bytes(b)))
            .map_err(|_| format!("{n:?} is neither a number of bytes, `none` nor empty")),
    }
}

async fn admin_post(
    state: &Arc<AppState>,
    cur: &Current,
    action: &str,
    form: Form,
) -> Response<ResponseBody> {
    let back = format!("{PREFIX}admin");
    let target = form.get("user").trim().to_string();
    let flash = |ok: bool, text: String| state.web.set_flash(&cur.key, ok, text);
    match action {
        "add" => {
            let quota = match parse_quota(form.get("quota")) {
                Ok(q) => q,
                Err(e) => {
                    flash(false, e);
                    return see_other(&back);
                }
            };
            let admin = form.get("admin") == "yes";
            let name = target.clone();
            let result = blocking(state, move |s| {
                let password = crate::users::generate_password();
                change_users(s, |db| {
                    db.add(&name, &password)?;
                    db.set_quota(&name, quota)?;
                    db.set_admin(&name, admin)
                })?;
                s.dav.provision_user(&name).map_err(|e| e.to_string())?;
                Ok::<_, String>(password)
            })
            .await;
            match result {
                Some(Ok(password)) => {
                    tracing::info!(by = cur.user, user = target, "web: user added");
                    html(
                        StatusCode::OK,
                        pages::password_shown(
                            &viewer(state, cur),
                            &target,
                            &password,
                            "User added",
                        ),
                    )
                }
                Some(Err(e)) => {
                    flash(false, format!("{target} was not added: {e}"));
                    see_other(&back)
                }
                None => error_page(StatusCode::INTERNAL_SERVER_ERROR, "Internal error."),
            }
        }
        "passwd" => {
            let name = target.clone();
            let result = blocking(state, move |s| {
                let password = crate::users::generate_password();
                change_users(s, |db| db.set_password(&name, &password))?;
                Ok::<_, String>(password)
            })
            .await;
            match result {
                Some(Ok(password)) => {
                    tracing::info!(by = cur.user, user = target, "web: password reset");
                    html(
                        StatusCode::OK,
                        pages::password_shown(
                            &viewer(state, cur),
                            &target,
                            &password,
                            "Password reset",
                        ),
                    )
                }
                Some(Err(e)) => {
                    flash(
                        false,
                        format!("The password of {target} was not reset: {e}"),
                    );
                    see_other(&back)
                }
                None => error_page(StatusCode::INTERNAL_SERVER_ERROR, "Internal error."),
            }
        }
        "quota" => {
            let quota = match parse_quota(form.get("quota")) {
                Ok(q) => q,
                Err(e) => {
                    flash(false, e);
                    return see_other(&back);
                }
            };
            let name = target.clone();
            let result = blocking(state, move |s| {
                change_users(s, |db| db.set_quota(&name, quota))
            })
            .await;
            match result {
                Some(Ok(())) => flash(true, format!("Quota of {target} saved.")),
                Some(Err(e)) => flash(false, format!("Quota of {target} not saved: {e}")),
                None => flash(false, "Internal error.".into()),
            }
            see_other(&back)
        }
        "remove" => {
            if form.get("confirm") != "yes" {
                return see_other(&format!(
                    "{PREFIX}admin/remove?user={}",
                    query_escape(&target)
                ));
            }
            if target == cur.user {
                flash(
                    false,
                    "You cannot remove yourself; another administrator can.".into(),
                );
                return see_other(&back);
            }
            let delete = form.get("delete_data") == "yes";
            let name = target.clone();
            let result = blocking(state, move |s| remove_user(s, &name, delete)).await;
            match result {
                Some(Ok(text)) => {
                    state.web.remove_user(&target);
                    state.forget_provisioned(&target);
                    tracing::info!(by = cur.user, user = target, delete, "web: user removed");
                    flash(true, text);
                }
                Some(Err(e)) => flash(false, format!("{target} was not removed: {e}")),
                None => flash(false, "Internal error.".into()),
            }
            see_other(&back)
        }
        _ => not_found(),
    }
}

/// Removes a user as `davlite user remove` does: their homes deleted or moved aside where no
/// user reaches them, then the login (so a user of that name added later starts empty).
fn remove_user(s: &AppState, user: &str, delete: bool) -> Result<String, String> {
    let store = s.dav.store();
    let db = UserDb::load_from(s.auth.user_source().clone()).map_err(|e| e.to_string())?;
    if db.get(user).is_none() {
        return Err(crate::ServerError::NoSuchUser(user.to_string()).to_string());
    }
    let text = if delete {
        s.dav.remove_user_data(user).map_err(|e| e.to_string())?;
        format!("Removed {user} and deleted their data.")
    } else {
        let homes = crate::admin::homes_of(store, user).map_err(|e| e.to_string())?;
        let moved =
            crate::admin::move_homes_aside(store, user, &homes).map_err(|e| e.to_string())?;
        let places: Vec<String> = moved.into_iter().map(|(_, to)| to).collect();
        if places.is_empty() {
            format!("Removed {user}.")
        } else {
            format!(
                "Removed {user}; their data was moved to {}.",
                places.join(" and ")
            )
        }
    };
    change_users(s, |db| db.remove(user))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_only_for_browsers() {
        let mut h = http::HeaderMap::new();
        assert!(!accepts_html(&h));
        h.insert(header::ACCEPT, "*/*".parse().unwrap());
        assert!(!accepts_html(&h));
        h.insert(
            header::ACCEPT,
            "text/html,application/xhtml+xml,*/*;q=0.8".parse().unwrap(),
        );
        assert!(accepts_html(&h));
        h.insert(header::ACCEPT, "text/html;q=0, */*".parse().unwrap());
        assert!(!accepts_html(&h));
    }

    #[test]
    fn slugs_colors_and_proppatch_answers() {
        assert_eq!(slug("Work & Play 2024!"), "work-play-2024");
        assert_eq!(slug("日本").len(), 12);
        assert_eq!(valid_color("#AABBCCFF").as_deref(), Some("#aabbcc"));
        assert_eq!(valid_color("red"), None);
        assert_eq!(valid_color("#12345\""), None);
        assert!(proppatch_ok("<D:status>HTTP/1.1 200 OK</D:status>"));
        assert!(!proppatch_ok(
            "<D:status>HTTP/1.1 200 OK</D:status><D:status>HTTP/1.1 403 Forbidden</D:status>"
        ));
        assert_eq!(
            dav_reason(
                StatusCode::INSUFFICIENT_STORAGE,
                "<D:error xmlns:D=\"DAV:\"><D:quota-not-exceeded/></D:error>"
            ),
            "507 Insufficient Storage (quota-not-exceeded)"
        );
    }

    #[test]
    fn foreign_posts_are_refused_before_the_token_is_read() {
        let origin = Origin {
            scheme: "http",
            host: "127.0.0.1:5233".into(),
            forwarded: None,
            secure: false,
        };
        let mut h = http::HeaderMap::new();
        assert!(same_origin(&h, &origin));
        h.insert("origin", "http://127.0.0.1:5233".parse().unwrap());
        h.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert!(same_origin(&h, &origin));
        h.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(!same_origin(&h, &origin));
        h.remove("sec-fetch-site");
        h.insert("origin", "https://evil.example".parse().unwrap());
        assert!(!same_origin(&h, &origin));
        h.insert("origin", "null".parse().unwrap());
        assert!(!same_origin(&h, &origin));
    }
}
