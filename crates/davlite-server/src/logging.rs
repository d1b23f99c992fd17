//! Logs to stderr through `tracing`. Request lines come from `service` (target
//! `davlite::request`); nothing logs headers or bodies, so no password or content reaches a log.
//! Text for people, or one JSON object a line for log collectors (`--log-format json`), whose
//! fields (`method`, `path`, `status`, `ms`, `user`, `client`) arrive as separate keys.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber; `RUST_LOG` wins over the configured filter. A second call
/// (tests) is ignored.
pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_target(false)
            .try_init(),
        // Flattened: a request's fields sit beside `message`, not under `fields`, so a
        // collector's query reads `.status` rather than `.fields.status`.
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
}
