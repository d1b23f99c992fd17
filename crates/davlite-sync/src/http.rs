//! A minimal blocking HTTP/1.1 client on hyper: one origin, Basic credentials, bodies read
//! whole. The engine is synchronous (the local store is); each request runs on a small
//! current-thread runtime owned by the client.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::error::SyncError;

/// Largest answer read: a listing of 100,000 members is about 20 MB.
const MAX_BODY: usize = 256 * 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(120);

pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

pub struct Http {
    rt: tokio::runtime::Runtime,
    client: HyperClient<HttpConnector, Full<Bytes>>,
    /// `http://host:port`, no trailing slash.
    origin: String,
    auth: String,
    /// Requests sent, for the summary and the tests.
    pub requests: u64,
}

impl Http {
    /// `url` must be `http://host[:port]/...`; returns the client and the URL's path.
    pub fn new(url: &str, user: &str, password: &str) -> Result<(Http, String), SyncError> {
        let bad = |reason| SyncError::BadUrl {
            url: url.to_string(),
            reason,
        };
        let rest = if url.starts_with("https://") {
            return Err(bad(
                "https is not supported by davlite sync yet; use http://",
            ));
        } else {
            url.strip_prefix("http://")
                .ok_or(bad("expected http://host/path"))?
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.is_empty() {
            return Err(bad("no host"));
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|_| bad("cannot start the I/O runtime"))?;
        let client = HyperClient::builder(TokioExecutor::new()).build(HttpConnector::new());
        let auth = format!("Basic {}", base64(format!("{user}:{password}").as_bytes()));
        Ok((
            Http {
                rt,
                client,
                origin: format!("http://{authority}"),
                auth,
                requests: 0,
            },
            path.to_string(),
        ))
    }

    /// Sends one request to `wire_path` (already percent-encoded). Idempotent methods are
    /// retried once when the connection fails (a connection dropped mid-answer).
    pub fn send(
        &mut self,
        method: &str,
        wire_path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<Response, SyncError> {
        let idempotent = matches!(method, "GET" | "PROPFIND" | "REPORT");
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.send_once(method, wire_path, headers, body.clone()) {
                Err(SyncError::Connection { .. }) if idempotent && attempt < 3 => {
                    std::thread::sleep(Duration::from_millis(100 * attempt));
                    continue;
                }
                Ok(r) if r.status == 401 => return Err(SyncError::Unauthorized),
                other => return other,
            }
        }
    }

    fn send_once(
        &mut self,
        method: &str,
        wire_path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<Response, SyncError> {
        self.requests += 1;
        let conn_err = |detail: String| SyncError::Connection {
            method: method.to_string(),
            path: wire_path.to_string(),
            detail,
        };
        let mut req = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).map_err(|e| conn_err(e.to_string()))?)
            .uri(format!("{}{}", self.origin, wire_path))
            .header("Authorization", &self.auth)
            .header("User-Agent", "davlite-sync/0.1")
            // Compressing proxies weaken ETags; ask for the bytes as stored.
            .header("Accept-Encoding", "identity");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| conn_err(e.to_string()))?;
        let client = &self.client;
        let fut = async move {
            let resp = client.request(req).await.map_err(|e| format!("{e:?}"))?;
            let (parts, body) = resp.into_parts();
            let limited = http_body_util::Limited::new(body, MAX_BODY);
            let bytes = limited
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok::<_, String>(Response {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body: bytes,
            })
        };
        match self
            .rt
            .block_on(async { tokio::time::timeout(TIMEOUT, fut).await })
        {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err(conn_err(e)),
            Err(_) => Err(conn_err("timed out".into())),
        }
    }
}

fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(super::base64(b"fooba"), "Zm9vYmE=");
        assert_eq!(super::base64(b"foob"), "Zm9vYg==");
    }
}
