//! Deployment settings of the DAV layer and per-request context from the server.

/// How the DAV tree is mounted.
#[derive(Debug, Clone)]
pub struct DavConfig {
    /// The canonical base path, with leading and trailing slash (default `/dav/`).
    pub base: String,
    /// Further prefixes that reach the same tree (`/caldav/`, `/remote.php/dav/`); answers to a
    /// request under an alias use that alias in every href.
    pub aliases: Vec<String>,
    /// Honour `X-Forwarded-Prefix` / `X-Script-Name` (only behind a trusted proxy).
    pub trust_forwarded_prefix: bool,
    /// Answer an invalid sync token with 400 instead of 403 to Thunderbird's address book.
    pub thunderbird_sync_400: bool,
    /// Require If-Match to overwrite an existing object (428 without it). Off by default.
    pub require_if_match: bool,
    /// Largest request body the handlers accept (the server enforces it before reading).
    pub max_body_bytes: u64,
    /// Most objects one calendar-query or addressbook-query answers: a calendar-query over
    /// more candidates is refused (403 `number-of-matches-within-limits`, RFC 4791 has no
    /// partial answer), an addressbook-query is cut short with a 507 member (RFC 6352 §8.6.2).
    /// Far above real collection sizes by default, so clients never meet it.
    pub max_query_results: usize,
}

impl Default for DavConfig {
    fn default() -> Self {
        DavConfig {
            base: "/dav/".to_string(),
            aliases: Vec::new(),
            trust_forwarded_prefix: false,
            thunderbird_sync_400: true,
            require_if_match: false,
            max_body_bytes: 16 * 1024 * 1024,
            max_query_results: 100_000,
        }
    }
}

/// What the server knows about a request that the HTTP message does not carry.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// The authenticated user, `None` if the request carried no valid credentials.
    pub user: Option<String>,
}
