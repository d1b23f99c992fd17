//! Logs to stderr through `tracing`. Request lines come from `service` (target
//! `davlite::request`); nothing logs headers or bodies, so no password or content reaches a log.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; `RUST_LOG` wins over the configured filter. A second call
/// (tests) is ignored.
pub fn init(filter: &str) {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}
