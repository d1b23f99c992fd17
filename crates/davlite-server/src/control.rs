//! The control socket: `<data>/davlite.sock`, a Unix-domain socket that `davlite serve` creates
//! (mode 0600, owned by the server's user) and removes when it stops. Administrative commands
//! that need the store while the server holds it locked talk to the server through it; today
//! that is `davlite backup`.
//!
//! Access: the file mode lets only the server's user connect, and the server also checks the
//! peer's credentials (`SO_PEERCRED`): the server's user or root, nobody else. The socket is
//! bound under a temporary name and renamed into place after its mode is set, so there is no
//! moment in which it is reachable with the default mode.
//!
//! Protocol: one JSON object per line each way, one request per connection:
//! `{"op":"backup","to":"/abs/file"}` -> `{"ok":true,"backup":{...}}` or
//! `{"ok":false,"error":"..."}`; `{"op":"status"}` -> `{"ok":true,"backup":<last or null>}`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::backup::BackupRecord;

pub const SOCKET_FILE: &str = "davlite.sock";

pub fn socket_path(data: &Path) -> PathBuf {
    data.join(SOCKET_FILE)
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum ControlRequest {
    Backup { to: PathBuf },
    Status,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ControlResponse {
    ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(default)]
    backup: Option<BackupRecord>,
}

/// Asks the server running on `data` to write a backup to `to` (an absolute path). `Ok(None)`
/// when no server listens there (no socket, or a stale one left by a killed server).
#[cfg(unix)]
pub fn request_backup(data: &Path, to: &Path) -> anyhow::Result<Option<BackupRecord>> {
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::net::UnixStream;

    let path = socket_path(data);
    let mut stream = match UnixStream::connect(&path) {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(None);
        }
        Err(e) => anyhow::bail!("connecting to the server at {}: {e}", path.display()),
    };
    let mut line = serde_json::to_string(&ControlRequest::Backup {
        to: to.to_path_buf(),
    })?;
    line.push('\n');
    stream.write_all(line.as_bytes())?;
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer)?;
    let resp: ControlResponse = serde_json::from_str(&answer).map_err(|e| {
        anyhow::anyhow!(
            "the server at {} gave no usable answer ({e}); see its log",
            path.display()
        )
    })?;
    match (resp.ok, resp.backup) {
        (true, Some(rec)) => Ok(Some(rec)),
        _ => anyhow::bail!(
            "the server could not write the backup: {}",
            resp.error.unwrap_or_else(|| "no reason given".into())
        ),
    }
}

#[cfg(not(unix))]
pub fn request_backup(_data: &Path, _to: &Path) -> anyhow::Result<Option<BackupRecord>> {
    Ok(None)
}

#[cfg(unix)]
pub use server::ControlSocket;

#[cfg(unix)]
mod server {
    use std::future::Future;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::path::{Path, PathBuf};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::{UnixListener, UnixStream};

    use super::{ControlRequest, ControlResponse, socket_path};
    use crate::ServerError;
    use crate::service::{AppState, InFlight};

    /// Longest request line accepted.
    const MAX_LINE: u64 = 64 * 1024;

    /// A bound control socket.
    pub struct ControlSocket {
        listener: UnixListener,
        path: PathBuf,
        owner_uid: u32,
        data: PathBuf,
        busy: Arc<AtomicBool>,
    }

    impl ControlSocket {
        /// Binds `<data>/davlite.sock` with mode 0600, replacing a stale one. Call it while
        /// holding the store (whose lock says that no other server uses this directory), inside
        /// the runtime.
        pub fn bind(data: &Path) -> Result<ControlSocket, ServerError> {
            let path = socket_path(data);
            let tmp = data.join(format!(".davlite.sock.{}", std::process::id()));
            let _ = std::fs::remove_file(&tmp);
            let listener = UnixListener::bind(&tmp).map_err(|e| ServerError::io(&tmp, e))?;
            let setup = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
                .and_then(|()| std::fs::metadata(&tmp))
                .and_then(|meta| {
                    std::fs::rename(&tmp, &path)?;
                    Ok(meta.uid())
                });
            match setup {
                Ok(owner_uid) => Ok(ControlSocket {
                    listener,
                    path,
                    owner_uid,
                    data: data.to_path_buf(),
                    busy: Arc::new(AtomicBool::new(false)),
                }),
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    Err(ServerError::io(&path, e))
                }
            }
        }

        pub fn path(&self) -> &Path {
            &self.path
        }

        /// Answers requests until `stop` resolves. A backup that is running holds an in-flight
        /// mark, so the server's shutdown waits for it. The socket file goes with `self`,
        /// whether this returns or the runtime drops the task first.
        pub async fn run(self, state: Arc<AppState>, stop: impl Future<Output = ()>) {
            tokio::pin!(stop);
            loop {
                let stream = tokio::select! {
                    r = self.listener.accept() => match r {
                        Ok((s, _)) => s,
                        Err(e) => {
                            tracing::warn!("control socket accept failed: {e}");
                            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                            continue;
                        }
                    },
                    () = &mut stop => break,
                };
                let allowed = stream
                    .peer_cred()
                    .is_ok_and(|c| c.uid() == self.owner_uid || c.uid() == 0);
                if !allowed {
                    tracing::warn!("control socket: refused a connection from another user");
                    continue;
                }
                let state = state.clone();
                let data = self.data.clone();
                let busy = self.busy.clone();
                tokio::spawn(async move { handle(stream, state, data, busy).await });
            }
        }
    }

    impl Drop for ControlSocket {
        /// A stopped server leaves no socket behind: `davlite backup` then opens the store
        /// itself instead of asking a server that is gone.
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.path);
        }
    }

    async fn handle(
        stream: UnixStream,
        state: Arc<AppState>,
        data: PathBuf,
        busy: Arc<AtomicBool>,
    ) {
        let (read, mut write) = stream.into_split();
        let mut line = String::new();
        let read_ok = BufReader::new(read.take(MAX_LINE))
            .read_line(&mut line)
            .await
            .is_ok();
        let resp = match serde_json::from_str::<ControlRequest>(&line) {
            Ok(_) if !read_ok => error("unreadable request"),
            Ok(ControlRequest::Status) => ControlResponse {
                ok: true,
                error: None,
                backup: state.metrics.last_backup(),
            },
            Ok(ControlRequest::Backup { to }) => backup(&state, data, to, &busy).await,
            Err(e) => error(&format!("bad request: {e}")),
        };
        let mut text = serde_json::to_string(&resp).expect("plain struct serialises");
        text.push('\n');
        let _ = write.write_all(text.as_bytes()).await;
        let _ = write.shutdown().await;
    }

    fn error(msg: &str) -> ControlResponse {
        ControlResponse {
            ok: false,
            error: Some(msg.to_string()),
            backup: None,
        }
    }

    async fn backup(
        state: &Arc<AppState>,
        data: PathBuf,
        to: PathBuf,
        busy: &Arc<AtomicBool>,
    ) -> ControlResponse {
        if !to.is_absolute() {
            return error("the backup file must be an absolute path");
        }
        if busy.swap(true, Ordering::AcqRel) {
            return error("another backup is running");
        }
        // Reading the snapshot and writing the file is blocking work: off the async workers,
        // marked in flight so that a shutdown waits for the file to be complete.
        let guard = InFlight::enter(state);
        let store = state.dav.store().clone();
        let users = state.auth.user_source().clone();
        let job = move || {
            let _guard = guard;
            crate::backup::write_backup(&store, users, &data, &to, &crate::progress::silent)
        };
        let result = tokio::task::spawn_blocking(job).await;
        busy.store(false, Ordering::Release);
        match result {
            Ok(Ok(rec)) => {
                state.metrics.backup_done(Ok(&rec));
                tracing::info!(
                    objects = rec.objects,
                    bytes = rec.bytes,
                    ms = rec.duration_ms,
                    "backup written"
                );
                ControlResponse {
                    ok: true,
                    error: None,
                    backup: Some(rec),
                }
            }
            Ok(Err(e)) => {
                state.metrics.backup_done(Err(()));
                tracing::error!("backup failed: {e}");
                error(&e.to_string())
            }
            Err(_) => {
                state.metrics.backup_done(Err(()));
                tracing::error!("backup task panicked");
                error("internal error")
            }
        }
    }
}
