//! `davlite serve`: open the store, make sure someone can log in, listen until told to stop.

use std::net::SocketAddr;

use davlite_dav::{Dav, DavConfig};

use crate::auth::Authenticator;
use crate::config::ServeConfig;
use crate::listener::Server;
use crate::metrics::Metrics;
use crate::service::AppState;
use crate::store::Place;
use crate::users::{self, UserDb};
use crate::{ServerError, backup, logging, tls};

/// Name of the user created on the first start.
pub const FIRST_USER: &str = "admin";

/// Runs the server until SIGTERM or Ctrl-C; returns after in-flight requests finished and the
/// store was closed.
pub fn run(cfg: ServeConfig) -> Result<(), ServerError> {
    logging::init(&cfg.log, cfg.log_format);
    let tls = match (&cfg.tls_cert, &cfg.tls_key) {
        (Some(cert), Some(key)) => Some(tls::acceptor(cert, key)?),
        _ => None,
    };
    let mut place = Place::new(cfg.data.clone(), cfg.store.as_deref())?;
    place.min_free_bytes = cfg.min_free_bytes;
    let store = place.open()?.keep_deletions(cfg.sync_keep_deletions);
    let source = place.user_source(Some(&store))?;
    let mut db = UserDb::load_from(source.clone())?;
    let first_password = if db.is_empty() {
        let password = users::generate_password();
        db.add(FIRST_USER, &password)?;
        // Someone has to be able to manage users from the web page.
        db.set_admin(FIRST_USER, true)?;
        match db.save() {
            Ok(()) => Some(password),
            // Another node of a shared store created the first user at the same moment.
            Err(_) if UserDb::load_from(source.clone()).is_ok_and(|d| !d.is_empty()) => None,
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    let dav = Dav::new(store, dav_config(&cfg));
    if first_password.is_some() {
        dav.provision_user(FIRST_USER)
            .map_err(|e| ServerError::Store(format!("creating the homes of {FIRST_USER}: {e}")))?;
    }
    let auth = Authenticator::new(source, cfg.auth.clone())?;
    // Quotas follow the users file: the server's default, and each user's own where set. The
    // store checks them inside each write transaction. So do the principals other users may
    // find (names, display names, e-mail addresses; never the hashes).
    let quota_store = dav.store().clone();
    let default_quota = cfg.quota_bytes;
    let directory_dav = dav.clone();
    auth.set_reload_hook(Box::new(move |db: &UserDb| {
        quota_store.set_owner_quotas(davlite_store::QuotaPolicy {
            default: default_quota,
            owners: db
                .iter()
                .filter_map(|(n, r)| r.quota.map(|q| (n.to_string(), q.limit())))
                .collect(),
        });
        directory_dav.set_directory(users::directory(db));
    }))?;
    let state = AppState::new(dav, auth, cfg.limits.clone(), cfg.debug_panic_path.clone())
        .with_metrics(
            cfg.metrics,
            place.store_file(),
            Metrics::new(backup::load_record(&cfg.data)),
        )
        .with_tls(tls.is_some());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("davlite")
        .build()
        .map_err(|e| ServerError::io("tokio runtime", e))?;
    runtime.block_on(async {
        let server = Server::bind(cfg.listen, tls, state).await?;
        // One stop signal for the HTTP listener and the control socket.
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop_tx.send(true);
        });
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        start_control(&cfg, &server, stopped(stop_rx.clone()));
        crate::retention::prune_at_start(server.state().dav.store().clone(), cfg.sync_keep_deletions);
        if server.state().auth.shared_users() {
            spawn_user_poller(server.state().clone());
        }
        let addr = server.local_addr().map_err(|e| ServerError::Bind { addr: cfg.listen.to_string(), source: e })?;
        let root = root_url(addr, server.is_tls());
        if let Some(password) = &first_password {
            println!("davlite: no users yet, so one was created. Its password is shown only this once:");
            println!("    user:     {FIRST_USER}");
            println!("    password: {password}");
            println!("davlite: add more with `davlite user add NAME --data {}`", cfg.data.display());
        }
        println!("davlite: listening on {root} (DAV base {}{})", root.trim_end_matches('/'), cfg.base);
        println!("davlite: in Apple Calendar, Thunderbird, DAVx5 or Evolution, enter the server address {root} with your user name and password");
        tracing::info!(%addr, data = %cfg.data.display(), store = %place.describe(), backend = place.backend_kind(), tls = server.is_tls(), "serving");
        if cfg.metrics {
            println!("davlite: metrics at {}metrics (for clients on this machine)", root);
        }
        server.run(stopped(stop_rx)).await;
        Ok::<_, ServerError>(())
    })?;
    // Every connection and handler call has ended, so the last handle to the store is gone
    // with the runtime's tasks.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    tracing::info!("stopped; store closed");
    println!("davlite: stopped");
    Ok(())
}

/// Watches a shared users document for changes made on other nodes, from a blocking thread.
fn spawn_user_poller(state: std::sync::Arc<AppState>) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(crate::auth::POLL_EVERY).await;
            let s = state.clone();
            if tokio::task::spawn_blocking(move || s.auth.poll())
                .await
                .is_err()
            {
                return;
            }
        }
    });
}

/// Opens the control socket (`<data>/davlite.sock`) through which `davlite backup` reaches this
/// server. Without it the server still serves; only online backups are unavailable.
#[cfg(unix)]
fn start_control(
    cfg: &ServeConfig,
    server: &Server,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) {
    match crate::control::ControlSocket::bind(&cfg.data) {
        Ok(sock) => {
            tracing::info!(path = %sock.path().display(), "control socket open");
            tokio::spawn(sock.run(server.state(), stop));
        }
        Err(e) => tracing::warn!("no control socket, so no online backups: {e}"),
    }
}

#[cfg(not(unix))]
fn start_control(
    _cfg: &ServeConfig,
    _server: &Server,
    _stop: impl std::future::Future<Output = ()> + Send + 'static,
) {
}

pub fn dav_config(cfg: &ServeConfig) -> DavConfig {
    DavConfig {
        base: cfg.base.clone(),
        aliases: cfg.aliases.clone(),
        trust_forwarded_prefix: cfg.trust_forwarded_prefix,
        require_if_match: cfg.require_if_match,
        max_body_bytes: cfg.limits.max_body_bytes,
        ..DavConfig::default()
    }
}

fn root_url(addr: SocketAddr, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    if addr.ip().is_unspecified() {
        format!("{scheme}://<this-host>:{}/", addr.port())
    } else {
        format!("{scheme}://{addr}/")
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}
