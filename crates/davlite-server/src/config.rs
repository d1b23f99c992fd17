//! Settings of `davlite serve`, from four layers: built-in defaults, a TOML file, `DAVLITE_*`
//! environment variables, command-line flags. A later layer wins, so a packaged config file can
//! be overridden per host by the environment and per run by a flag.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::ServerError;
use crate::client_addr::TrustedProxies;

/// Every setting of a running server, resolved.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Directory holding `davlite.redb` and `users.toml` (with the embedded store), the control
    /// socket and the last-backup record.
    pub data: PathBuf,
    /// `--store`: `None` or `redb` for the embedded store in `data`, else a PostgreSQL URL.
    pub store: Option<String>,
    pub listen: SocketAddr,
    /// Canonical DAV base path, with leading and trailing slash.
    pub base: String,
    /// More prefixes reaching the same tree (`/caldav/`, `/remote.php/dav/`).
    pub aliases: Vec<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub limits: Limits,
    pub auth: AuthSettings,
    /// Honour `X-Forwarded-Prefix` / `X-Script-Name`; only behind a proxy you control.
    pub trust_forwarded_prefix: bool,
    /// Require If-Match to overwrite objects (428 without it).
    pub require_if_match: bool,
    /// `tracing` filter for the logs, e.g. `info` or `davlite_server=debug`.
    pub log: String,
    /// How log lines are written: `text` for people, `json` (one object a line) for collectors.
    pub log_format: LogFormat,
    /// Serve `GET /metrics` (Prometheus text format) to clients on this machine.
    pub metrics: bool,
    /// Bytes of object bodies each user may store unless their entry in `users.toml` says
    /// otherwise (`davlite user set NAME --quota`); `None` for no quota.
    pub quota_bytes: Option<u64>,
    /// Deletions each calendar and address book keeps in its sync log (see
    /// [`crate::retention`]); 0 keeps all.
    pub sync_keep_deletions: u64,
    /// Free bytes the embedded store keeps on its file system; below it, writes that add data
    /// get 507 (deletions still work). See `davlite_store::Options::min_free_bytes`.
    pub min_free_bytes: u64,
    /// Requests to this exact path panic inside the handler call. Tests use it to prove that a
    /// panic answers 500 and the server keeps serving; only settable through the environment.
    pub debug_panic_path: Option<String>,
}

/// The shape of log lines on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One readable line per event, coloured on a terminal.
    #[default]
    Text,
    /// One JSON object per line (timestamp, level, message, fields), for log collectors.
    Json,
}

/// Resource limits: what one client may cost the server.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body; larger ones get 413 before the body is read.
    pub max_body_bytes: u64,
    /// Largest request head (request line and headers); larger ones get 431.
    pub max_header_bytes: usize,
    /// Longest request target; longer ones get 414.
    pub max_uri_bytes: usize,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Time to send a complete request head, which includes the idle time of a kept-alive
    /// connection before its next request.
    pub header_timeout: Duration,
    /// Time to send a request body once its head has arrived (408 after it).
    pub body_timeout: Duration,
    /// Time a response write may stay blocked on a client that does not read.
    pub write_timeout: Duration,
    /// On shutdown, time given to open connections to finish their current request.
    pub shutdown_timeout: Duration,
}

/// Basic-auth throttling. Failures are counted per (user name, client address) and per client
/// address, never per user name alone: failures from one address never refuse the right
/// password from another. The client address is the TCP peer, or what a trusted proxy says
/// (see [`crate::client_addr`]); IPv6 clients count by their /64.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Failed logins for one user name from one client address within `window` before further
    /// attempts for that name from that address get 429 (`auth_max_failures_per_user`).
    pub max_failures_per_user: u32,
    /// Failed logins from one client address, whatever the names, within `window` before
    /// further attempts from that address get 429 (`auth_max_failures_per_addr`).
    pub max_failures_per_addr: u32,
    pub window: Duration,
    /// Peers whose `X-Forwarded-For` / `Forwarded` headers name the client
    /// (`trusted_proxies`); empty by default, so headers are ignored.
    pub trusted_proxies: TrustedProxies,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 16 * 1024 * 1024,
            max_header_bytes: 32 * 1024,
            max_uri_bytes: 8 * 1024,
            max_connections: 1024,
            header_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(60),
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            max_failures_per_user: 10,
            max_failures_per_addr: 30,
            window: Duration::from_secs(300),
            trusted_proxies: TrustedProxies::default(),
        }
    }
}

pub const DEFAULT_DATA: &str = "./davlite-data";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:5233";
pub const DEFAULT_BASE: &str = "/dav/";
/// Deletions a collection's sync log keeps by default (see [`crate::retention`]).
pub const DEFAULT_SYNC_KEEP_DELETIONS: u64 = 10_000;

/// One layer of settings: every field optional. The TOML file has exactly these keys.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    pub data: Option<PathBuf>,
    pub store: Option<String>,
    pub listen: Option<String>,
    pub base: Option<String>,
    pub aliases: Option<Vec<String>>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub max_body_bytes: Option<u64>,
    pub max_header_bytes: Option<usize>,
    pub max_uri_bytes: Option<usize>,
    pub max_connections: Option<usize>,
    pub header_timeout_secs: Option<u64>,
    pub body_timeout_secs: Option<u64>,
    pub write_timeout_secs: Option<u64>,
    pub shutdown_timeout_secs: Option<u64>,
    pub auth_max_failures_per_user: Option<u32>,
    pub auth_max_failures_per_addr: Option<u32>,
    pub auth_window_secs: Option<u64>,
    /// Addresses or CIDR networks of reverse proxies whose forwarding headers are believed.
    pub trusted_proxies: Option<Vec<String>>,
    pub trust_forwarded_prefix: Option<bool>,
    pub require_if_match: Option<bool>,
    pub log: Option<String>,
    /// `text` or `json`.
    pub log_format: Option<String>,
    pub metrics: Option<bool>,
    pub quota_bytes: Option<u64>,
    pub sync_keep_deletions: Option<u64>,
    pub min_free_bytes: Option<u64>,
}

macro_rules! overlay {
    ($top:expr, $low:expr; $($field:ident),*) => {
        Layer { $($field: $top.$field.or($low.$field)),* }
    };
}

impl Layer {
    /// `self` wins over `lower` field by field.
    pub fn over(self, lower: Layer) -> Layer {
        overlay!(self, lower; data, store, listen, base, aliases, tls_cert, tls_key, max_body_bytes,
            max_header_bytes, max_uri_bytes, max_connections, header_timeout_secs, body_timeout_secs,
            write_timeout_secs, shutdown_timeout_secs, auth_max_failures_per_user,
            auth_max_failures_per_addr, auth_window_secs, trusted_proxies, trust_forwarded_prefix, require_if_match, log, log_format, metrics,
            quota_bytes, sync_keep_deletions, min_free_bytes)
    }

    pub fn from_file(path: &Path) -> Result<Layer, ServerError> {
        let text = std::fs::read_to_string(path).map_err(|e| ServerError::io(path, e))?;
        toml::from_str(&text)
            .map_err(|e| ServerError::config(path.display().to_string(), e.to_string()))
    }

    /// The `DAVLITE_<KEY>` variables, key in upper case (`DAVLITE_MAX_BODY_BYTES`);
    /// `DAVLITE_ALIASES` and `DAVLITE_TRUSTED_PROXIES` are comma-separated.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Layer, ServerError> {
        fn parse<T: std::str::FromStr>(
            get: &impl Fn(&str) -> Option<String>,
            key: &str,
        ) -> Result<Option<T>, ServerError>
        where
            T::Err: std::fmt::Display,
        {
            match get(key) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|e| ServerError::config(key, format!("{v:?}: {e}"))),
            }
        }
        let g = &get;
        let list = |key: &str| {
            get(key).map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
        };
        Ok(Layer {
            data: get("DAVLITE_DATA").map(PathBuf::from),
            store: get("DAVLITE_STORE"),
            listen: get("DAVLITE_LISTEN"),
            base: get("DAVLITE_BASE"),
            aliases: list("DAVLITE_ALIASES"),
            tls_cert: get("DAVLITE_TLS_CERT").map(PathBuf::from),
            tls_key: get("DAVLITE_TLS_KEY").map(PathBuf::from),
            max_body_bytes: parse(g, "DAVLITE_MAX_BODY_BYTES")?,
            max_header_bytes: parse(g, "DAVLITE_MAX_HEADER_BYTES")?,
            max_uri_bytes: parse(g, "DAVLITE_MAX_URI_BYTES")?,
            max_connections: parse(g, "DAVLITE_MAX_CONNECTIONS")?,
            header_timeout_secs: parse(g, "DAVLITE_HEADER_TIMEOUT_SECS")?,
            body_timeout_secs: parse(g, "DAVLITE_BODY_TIMEOUT_SECS")?,
            write_timeout_secs: parse(g, "DAVLITE_WRITE_TIMEOUT_SECS")?,
            shutdown_timeout_secs: parse(g, "DAVLITE_SHUTDOWN_TIMEOUT_SECS")?,
            auth_max_failures_per_user: parse(g, "DAVLITE_AUTH_MAX_FAILURES_PER_USER")?,
            auth_max_failures_per_addr: parse(g, "DAVLITE_AUTH_MAX_FAILURES_PER_ADDR")?,
            auth_window_secs: parse(g, "DAVLITE_AUTH_WINDOW_SECS")?,
            trusted_proxies: list("DAVLITE_TRUSTED_PROXIES"),
            trust_forwarded_prefix: parse(g, "DAVLITE_TRUST_FORWARDED_PREFIX")?,
            require_if_match: parse(g, "DAVLITE_REQUIRE_IF_MATCH")?,
            log: get("DAVLITE_LOG"),
            log_format: get("DAVLITE_LOG_FORMAT"),
            metrics: parse(g, "DAVLITE_METRICS")?,
            quota_bytes: parse(g, "DAVLITE_QUOTA_BYTES")?,
            sync_keep_deletions: parse(g, "DAVLITE_SYNC_KEEP_DELETIONS")?,
            min_free_bytes: parse(g, "DAVLITE_MIN_FREE_BYTES")?,
        })
    }

    /// Fills the gaps with defaults and checks every value.
    pub fn resolve(self) -> Result<ServeConfig, ServerError> {
        let listen_text = self.listen.unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen = listen_text.parse().map_err(|_| {
            ServerError::config(
                "listen",
                format!("{listen_text:?} is not an address like 127.0.0.1:5233"),
            )
        })?;
        let base = normalize_prefix("base", self.base.as_deref().unwrap_or(DEFAULT_BASE))?;
        let aliases = self
            .aliases
            .unwrap_or_default()
            .iter()
            .map(|a| normalize_prefix("alias", a))
            .collect::<Result<Vec<_>, _>>()?;
        if aliases.contains(&base) {
            return Err(ServerError::config(
                "alias",
                format!("{base} is already the base"),
            ));
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err(ServerError::config(
                "tls_cert/tls_key",
                "give both the certificate and the key, or neither",
            ));
        }
        let d = Limits::default();
        let secs = |v: Option<u64>, def: Duration| v.map(Duration::from_secs).unwrap_or(def);
        let limits = Limits {
            max_body_bytes: self.max_body_bytes.unwrap_or(d.max_body_bytes),
            max_header_bytes: self.max_header_bytes.unwrap_or(d.max_header_bytes),
            max_uri_bytes: self.max_uri_bytes.unwrap_or(d.max_uri_bytes),
            max_connections: self.max_connections.unwrap_or(d.max_connections),
            header_timeout: secs(self.header_timeout_secs, d.header_timeout),
            body_timeout: secs(self.body_timeout_secs, d.body_timeout),
            write_timeout: secs(self.write_timeout_secs, d.write_timeout),
            shutdown_timeout: secs(self.shutdown_timeout_secs, d.shutdown_timeout),
        };
        // hyper reads heads into a buffer of at least 8 KiB; smaller limits could not be told apart.
        if limits.max_header_bytes < 1024 {
            return Err(ServerError::config(
                "max_header_bytes",
                "must be at least 1024",
            ));
        }
        if limits.max_connections == 0 {
            return Err(ServerError::config("max_connections", "must be at least 1"));
        }
        for (key, t) in [
            ("header_timeout_secs", limits.header_timeout),
            ("body_timeout_secs", limits.body_timeout),
            ("write_timeout_secs", limits.write_timeout),
        ] {
            if t.is_zero() {
                return Err(ServerError::config(key, "must be at least 1 second"));
            }
        }
        let da = AuthSettings::default();
        let auth = AuthSettings {
            max_failures_per_user: self
                .auth_max_failures_per_user
                .unwrap_or(da.max_failures_per_user),
            max_failures_per_addr: self
                .auth_max_failures_per_addr
                .unwrap_or(da.max_failures_per_addr),
            window: secs(self.auth_window_secs, da.window),
            trusted_proxies: TrustedProxies::parse(&self.trusted_proxies.unwrap_or_default())
                .map_err(|e| ServerError::config("trusted_proxies", e))?,
        };
        Ok(ServeConfig {
            data: self.data.unwrap_or_else(|| PathBuf::from(DEFAULT_DATA)),
            store: match self.store {
                Some(spec) => {
                    crate::store::Backend::parse(&spec)?;
                    Some(spec)
                }
                None => None,
            },
            listen,
            base,
            aliases,
            tls_cert: self.tls_cert,
            tls_key: self.tls_key,
            limits,
            auth,
            trust_forwarded_prefix: self.trust_forwarded_prefix.unwrap_or(false),
            require_if_match: self.require_if_match.unwrap_or(false),
            log: self.log.unwrap_or_else(|| "info".to_string()),
            log_format: match self.log_format.as_deref().map(str::trim) {
                None | Some("text") => LogFormat::Text,
                Some("json") => LogFormat::Json,
                Some(other) => {
                    return Err(ServerError::config(
                        "log_format",
                        format!("{other:?} is neither text nor json"),
                    ));
                }
            },
            metrics: self.metrics.unwrap_or(false),
            quota_bytes: self.quota_bytes,
            sync_keep_deletions: self
                .sync_keep_deletions
                .unwrap_or(DEFAULT_SYNC_KEEP_DELETIONS),
            min_free_bytes: self
                .min_free_bytes
                .unwrap_or(davlite_store::DEFAULT_MIN_FREE_BYTES),
            debug_panic_path: std::env::var("DAVLITE_DEBUG_PANIC_PATH")
                .ok()
                .filter(|p| p.starts_with('/')),
        })
    }
}

/// `dav`, `/dav`, `/dav/` all mean `/dav/`; the root and paths with dot segments are refused.
fn normalize_prefix(key: &str, raw: &str) -> Result<String, ServerError> {
    let trimmed = raw.trim().trim_matches('/');
    if trimmed.is_empty() {
        return Err(ServerError::config(
            key,
            "must not be the root: the root answers discovery",
        ));
    }
    let ok = trimmed.split('/').all(|seg| {
        !seg.is_empty()
            && seg != "."
            && seg != ".."
            && seg
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'%' && b != b'?' && b != b'#')
    });
    if !ok || trimmed.starts_with(".well-known") {
        return Err(ServerError::config(
            key,
            format!("{raw:?} is not a plain path like /dav/"),
        ));
    }
    Ok(format!("/{trimmed}/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let owned: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| {
            owned
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn flags_win_over_env_which_wins_over_file() {
        let file: Layer =
            toml::from_str("listen = \"127.0.0.1:1\"\nbase = \"file\"\nmax_body_bytes = 10\n")
                .unwrap();
        let env = Layer::from_env(env(&[
            ("DAVLITE_BASE", "/env/"),
            ("DAVLITE_LISTEN", "127.0.0.1:2"),
        ]))
        .unwrap();
        let flags = Layer {
            listen: Some("127.0.0.1:3".into()),
            ..Layer::default()
        };
        let cfg = flags.over(env.over(file)).resolve().unwrap();
        assert_eq!(cfg.listen.port(), 3);
        assert_eq!(cfg.base, "/env/");
        assert_eq!(cfg.limits.max_body_bytes, 10);
        assert_eq!(cfg.data, PathBuf::from(DEFAULT_DATA));
        assert!(!cfg.metrics, "metrics are off by default");
    }

    #[test]
    fn log_format_text_by_default_json_on_request_else_refused() {
        assert_eq!(
            Layer::default().resolve().unwrap().log_format,
            LogFormat::Text
        );
        let file: Layer = toml::from_str("log_format = \"json\"\n").unwrap();
        assert_eq!(file.resolve().unwrap().log_format, LogFormat::Json);
        let bad = Layer {
            log_format: Some("xml".into()),
            ..Layer::default()
        };
        assert!(bad.resolve().is_err());
    }

    #[test]
    fn metrics_from_file_env_and_flag() {
        let file: Layer = toml::from_str("metrics = true\n").unwrap();
        assert!(file.clone().resolve().unwrap().metrics);
        let env_off = Layer::from_env(env(&[("DAVLITE_METRICS", "false")])).unwrap();
        assert!(!env_off.clone().over(file).resolve().unwrap().metrics);
        let flag = Layer {
            metrics: Some(true),
            ..Layer::default()
        };
        assert!(flag.over(env_off).resolve().unwrap().metrics);
        assert!(Layer::from_env(env(&[("DAVLITE_METRICS", "yes")])).is_err());
    }

    #[test]
    fn prefixes_are_normalized_and_checked() {
        assert_eq!(normalize_prefix("b", "caldav").unwrap(), "/caldav/");
        assert_eq!(
            normalize_prefix("b", "/remote.php/dav").unwrap(),
            "/remote.php/dav/"
        );
        assert!(normalize_prefix("b", "/").is_err());
        assert!(normalize_prefix("b", "/a/../b/").is_err());
        assert!(normalize_prefix("b", "/.well-known/x").is_err());
    }

    #[test]
    fn trusted_proxies_from_file_and_env() {
        let none = Layer::default().resolve().unwrap();
        assert!(
            none.auth.trusted_proxies.is_empty(),
            "nobody is trusted by default"
        );
        let file: Layer = toml::from_str("trusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n").unwrap();
        let cfg = file.clone().resolve().unwrap();
        assert!(
            cfg.auth
                .trusted_proxies
                .contains("10.3.2.1".parse().unwrap())
        );
        assert!(cfg.auth.trusted_proxies.contains("::1".parse().unwrap()));
        assert!(
            !cfg.auth
                .trusted_proxies
                .contains("11.0.0.1".parse().unwrap())
        );
        let from_env = Layer::from_env(env(&[(
            "DAVLITE_TRUSTED_PROXIES",
            "127.0.0.1, 192.168.0.0/16",
        )]))
        .unwrap();
        let cfg = from_env.over(file).resolve().unwrap();
        assert!(
            cfg.auth
                .trusted_proxies
                .contains("192.168.4.4".parse().unwrap())
        );
        assert!(
            !cfg.auth
                .trusted_proxies
                .contains("10.3.2.1".parse().unwrap())
        );
        let bad = Layer::from_env(env(&[("DAVLITE_TRUSTED_PROXIES", "10.0.0.0/40")])).unwrap();
        assert!(bad.resolve().is_err());
    }

    #[test]
    fn unknown_file_keys_and_bad_env_values_are_errors() {
        assert!(toml::from_str::<Layer>("lisen = \"x\"").is_err());
        assert!(Layer::from_env(env(&[("DAVLITE_MAX_CONNECTIONS", "many")])).is_err());
        let half_tls = Layer {
            tls_cert: Some("c.pem".into()),
            ..Layer::default()
        };
        assert!(half_tls.resolve().is_err());
    }
}
