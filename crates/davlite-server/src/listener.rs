//! Accepting connections: at most `max_connections` at once (the rest wait in the kernel's
//! backlog), optional TLS, HTTP/1.1 through hyper with the head-size and head-time limits, and a
//! graceful stop that lets every connection finish the request it is serving.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::ServerError;
use crate::io::WriteTimeout;
use crate::service::{self, AppState};

/// A bound, not yet running server.
pub struct Server {
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    state: Arc<AppState>,
}

impl Server {
    pub async fn bind(
        addr: SocketAddr,
        tls: Option<TlsAcceptor>,
        state: AppState,
    ) -> Result<Server, ServerError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| ServerError::Bind {
                addr: addr.to_string(),
                source: e,
            })?;
        Ok(Server {
            listener,
            tls,
            state: Arc::new(state),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// What the server's connections share (for the control socket).
    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// Serves until `stop` resolves, then stops accepting, lets open connections finish their
    /// current request (up to the shutdown timeout) and waits for every handler call to return.
    pub async fn run(self, stop: impl Future<Output = ()>) {
        let Server {
            listener,
            tls,
            state,
        } = self;
        let limits = state.limits.clone();
        let slots = Arc::new(Semaphore::new(limits.max_connections));
        let graceful = GracefulShutdown::new();
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .max_header_size(limits.max_header_bytes)
            .max_buf_size(limits.max_header_bytes.max(8192) + 8192)
            .keep_alive(true);
        let builder = Arc::new(builder);
        tokio::pin!(stop);
        loop {
            let slot = tokio::select! {
                s = slots.clone().acquire_owned() => s.expect("semaphore never closed"),
                () = &mut stop => break,
            };
            let (stream, peer) = tokio::select! {
                r = listener.accept() => match r {
                    Ok(conn) => conn,
                    Err(e) => {
                        // Out of file descriptors and the like: wait instead of spinning.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
                () = &mut stop => break,
            };
            let _ = stream.set_nodelay(true);
            let state = state.clone();
            let builder = builder.clone();
            let watcher = graceful.watcher();
            let tls = tls.clone();
            tokio::spawn(async move {
                let _slot = slot;
                let metrics_state = state.clone();
                let _open = metrics_state.metrics.connection();
                match tls {
                    None => serve_conn(stream, peer, state, &builder, watcher).await,
                    Some(acceptor) => {
                        // The handshake counts against the head timeout: a client that opens a
                        // socket and says nothing is dropped.
                        match tokio::time::timeout(
                            state.limits.header_timeout,
                            acceptor.accept(stream),
                        )
                        .await
                        {
                            Ok(Ok(tls_stream)) => {
                                serve_conn(tls_stream, peer, state, &builder, watcher).await
                            }
                            Ok(Err(e)) => tracing::debug!(%peer, "TLS handshake failed: {e}"),
                            Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                        }
                    }
                }
            });
        }
        drop(listener);
        tracing::info!("shutting down: no new connections, finishing open requests");
        if tokio::time::timeout(limits.shutdown_timeout, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(
                "some connections did not finish within {:?}",
                limits.shutdown_timeout
            );
        }
        // Writes whose client vanished still run to their commit; the store closes after them.
        state.handlers_idle().await;
    }
}

async fn serve_conn<I>(
    io: I,
    peer: SocketAddr,
    state: Arc<AppState>,
    builder: &http1::Builder,
    watcher: hyper_util::server::graceful::Watcher,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(WriteTimeout::new(io, state.limits.write_timeout));
    let svc = service_fn(move |req| {
        let state = state.clone();
        async move { Ok::<_, Infallible>(service::serve(state, req, peer).await) }
    });
    if let Err(e) = watcher.watch(builder.serve_connection(io, svc)).await {
        tracing::debug!(%peer, "connection ended: {e}");
    }
}
