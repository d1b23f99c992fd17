//! One keep-alive HTTP/1.1 connection per worker, reopened only when the server closes it (an
//! HTTP/1.0 server such as Radicale's closes after every answer; that cost is the server's and
//! is measured). Requests are written in origin form against one resolved address.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::{BenchError, base64};

/// Where requests go: resolved once, so name resolution is never measured.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    /// More servers sharing the same store (several `davlite serve` nodes on one database):
    /// workers are spread over `addr` and these, the same paths on each.
    pub nodes: Vec<SocketAddr>,
    pub authority: String,
    pub authorization: Option<String>,
}

impl Target {
    /// Splits an `http://host:port/path` URL into the target and the path.
    pub fn parse(
        url: &str,
        user: Option<&str>,
        password: Option<&str>,
    ) -> Result<(Target, String), BenchError> {
        let uri: http::Uri = url
            .parse()
            .map_err(|_| BenchError::BadUrl(url.to_string()))?;
        if uri.scheme_str() != Some("http") {
            return Err(BenchError::BadUrl(format!(
                "{url} (only http:// is supported)"
            )));
        }
        let auth = uri
            .authority()
            .ok_or_else(|| BenchError::BadUrl(url.to_string()))?;
        let port = auth.port_u16().unwrap_or(80);
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&(auth.host(), port))
            .map_err(|e| BenchError::Connect(url.to_string(), e.to_string()))?
            .next()
            .ok_or_else(|| BenchError::BadUrl(url.to_string()))?;
        let authorization = user.map(|u| {
            format!(
                "Basic {}",
                base64::encode(format!("{u}:{}", password.unwrap_or("")).as_bytes())
            )
        });
        let mut path = uri.path().to_string();
        if !path.ends_with('/') {
            path.push('/');
        }
        Ok((
            Target {
                addr,
                nodes: Vec::new(),
                authority: auth.as_str().to_string(),
                authorization,
            },
            path,
        ))
    }
}

impl Target {
    /// The target worker `id` talks to: the servers taken in turn.
    pub fn for_worker(&self, id: usize) -> Target {
        let mut t = self.clone();
        if !self.nodes.is_empty() {
            let i = id % (self.nodes.len() + 1);
            if i > 0 {
                t.addr = self.nodes[i - 1];
            }
        }
        t
    }

    /// Resolves `--node` values (`host:port`).
    pub fn resolve_node(node: &str) -> Result<SocketAddr, BenchError> {
        std::net::ToSocketAddrs::to_socket_addrs(node)
            .map_err(|e| BenchError::Connect(node.to_string(), e.to_string()))?
            .next()
            .ok_or_else(|| BenchError::BadUrl(node.to_string()))
    }
}

/// A request as workloads describe it; headers beyond Host and Authorization are explicit.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: &'static str,
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

impl Req {
    pub fn new(method: &'static str, path: impl Into<String>) -> Req {
        Req {
            method,
            path: path.into(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Req {
        self.headers.push((name, value.into()));
        self
    }
    pub fn body(mut self, content_type: &str, body: impl Into<Bytes>) -> Req {
        self.body = body.into();
        self.header("content-type", content_type.to_string())
    }
}

/// What came back: status, the ETag header if any, and the whole body.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub etag: Option<String>,
    pub body: Bytes,
}

/// A worker's connection.
pub struct Conn {
    target: std::sync::Arc<Target>,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    pub fn new(target: std::sync::Arc<Target>) -> Conn {
        Conn {
            target,
            sender: None,
        }
    }

    /// Opens the connection now, so that setup cost is not charged to the first request.
    pub async fn connect(&mut self) -> Result<(), String> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = TcpStream::connect(self.target.addr)
                .await
                .map_err(|e| format!("connect: {e}"))?;
            stream
                .set_nodelay(true)
                .map_err(|e| format!("nodelay: {e}"))?;
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            self.sender = Some(sender);
        }
        Ok(())
    }

    /// Sends one request; an I/O failure is returned as text and drops the connection. A request
    /// that found the kept-alive connection already closed by the server is retried once on a
    /// fresh one, as every HTTP client does.
    pub async fn send(&mut self, req: &Req) -> Result<Resp, String> {
        for attempt in 0..2 {
            self.connect().await?;
            let sender = self.sender.as_mut().expect("connected above");
            if sender.ready().await.is_err() {
                self.sender = None;
                continue;
            }
            let mut b = http::Request::builder()
                .method(req.method)
                .uri(&req.path)
                .header("host", &self.target.authority);
            if let Some(a) = &self.target.authorization {
                b = b.header("authorization", a);
            }
            for (k, v) in &req.headers {
                b = b.header(*k, v);
            }
            let request = b
                .body(Full::new(req.body.clone()))
                .map_err(|e| format!("request: {e}"))?;
            let resp = match sender.send_request(request).await {
                Ok(r) => r,
                Err(e) if attempt == 0 && e.is_canceled() => {
                    self.sender = None;
                    continue;
                }
                Err(e) => {
                    self.sender = None;
                    return Err(format!("{} {}: {e}", req.method, req.path));
                }
            };
            let status = resp.status().as_u16();
            let close = resp.version() == http::Version::HTTP_10
                || resp
                    .headers()
                    .get("connection")
                    .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
            let etag = resp
                .headers()
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = match resp.into_body().collect().await {
                Ok(b) => b.to_bytes(),
                Err(e) => {
                    self.sender = None;
                    return Err(format!("{} {}: reading body: {e}", req.method, req.path));
                }
            };
            if close {
                self.sender = None;
            }
            return Ok(Resp { status, etag, body });
        }
        Err(format!(
            "{} {}: connection closed by server",
            req.method, req.path
        ))
    }
}
