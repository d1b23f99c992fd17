//! Basic authentication over the users file.
//!
//! An argon2id verification costs ~15 ms of CPU, and clients send the same credentials with every
//! request, so verified credentials are cached under a keyed blake3 hash of user and password (the
//! password itself is never kept). A cache entry remembers the hash it was verified against: when
//! `davlite user passwd` rewrites the users file, the server reloads it within a second and the
//! old password stops working.
//!
//! Failed attempts are counted per (user name, client address) and per client address, never
//! per user name alone; over a limit, new attempts for that pair or from that address get 429
//! without any argon2 work. So an attacker guessing a password from one address cannot lock the
//! real user out: the right password from any other address is checked as usual (even after a
//! restart emptied the cache), and credentials already in the cache keep working everywhere.
//! The client address is the TCP peer unless that is a trusted proxy
//! ([`crate::client_addr`]); IPv6 clients are counted by their /64.
//!
//! A user logs in with their password or any live app password (`davlite user token add`). An
//! app password names its token id (`dlt-<id>-...`), so a login costs one argon2 verification
//! however many tokens a user has; a revoked token is gone from the reloaded file, its cache
//! entries with it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};

use crate::ServerError;
use crate::client_addr;
use crate::config::AuthSettings;
use crate::users::{self, UserDb, UserSource};

/// How often the users file is checked for changes.
const RELOAD_EVERY: Duration = Duration::from_secs(1);

/// How often a server on a shared store looks for user changes made on other nodes.
pub const POLL_EVERY: Duration = Duration::from_millis(500);
/// Entries beyond this are dropped wholesale; a real deployment has far fewer.
const MAX_CACHE: usize = 10_000;
const MAX_FAILURE_KEYS: usize = 100_000;
/// An argon2id hash (default parameters) of a random password nobody knows; verifying against
/// it costs what a real verification costs.
const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$LQFYHZkHOZkE9WLFQFclkw$RVpDUbzp78kJdX70Ob3phwskrtaHsJJJQZNOyJrG/Qg";

/// The result of checking a request's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthOutcome {
    /// Valid credentials for this user.
    User(String),
    /// No `Authorization: Basic` header, or one that does not decode.
    Missing,
    /// Unknown user or wrong password.
    Invalid,
    /// Too many recent failures for this user or address; try again after the duration.
    Limited(Duration),
}

struct CacheEntry {
    user: String,
    /// The PHC hash the password was verified against; a different current hash means the
    /// password changed and the entry is stale.
    hash: Arc<str>,
}

struct Window {
    start: Instant,
    count: u32,
}

#[derive(Hash, PartialEq, Eq, Clone)]
enum FailKey {
    /// A user name tried from one address ([`client_addr::throttle_key`]).
    Pair(String, IpAddr),
    /// Any name tried from one address.
    Addr(IpAddr),
}

/// A user's current hashes: the password's and one per app password (by token id).
struct Creds {
    password: Arc<str>,
    tokens: HashMap<String, Arc<str>>,
    admin: bool,
}

impl Creds {
    /// The hash `secret` must match: its token's when it names a live token, else the password's.
    fn hash_for(&self, secret: &str) -> Arc<str> {
        users::token_id(secret)
            .and_then(|id| self.tokens.get(id))
            .unwrap_or(&self.password)
            .clone()
    }

    fn holds(&self, hash: &Arc<str>) -> bool {
        self.password == *hash || self.tokens.values().any(|h| h == hash)
    }
}

/// Called with the users file after every (re)load: the server derives per-user settings
/// (quotas) from it.
pub type ReloadHook = Box<dyn Fn(&UserDb) + Send + Sync>;

struct Users {
    db: HashMap<String, Creds>,
    stamp: Option<(u64, u64)>,
    checked: Instant,
}

/// Shared by every connection of a server.
pub struct Authenticator {
    source: UserSource,
    settings: AuthSettings,
    users: RwLock<Users>,
    key: [u8; 32],
    cache: Mutex<HashMap<[u8; 32], CacheEntry>>,
    failures: Mutex<HashMap<FailKey, Window>>,
    /// A hash verified for unknown users, so their answer takes as long as a wrong password.
    decoy: Arc<str>,
    /// Bounds concurrent argon2 work to the number of cores.
    verifiers: tokio::sync::Semaphore,
    on_reload: RwLock<Option<ReloadHook>>,
}

impl Authenticator {
    pub fn new(source: UserSource, settings: AuthSettings) -> Result<Authenticator, ServerError> {
        let mut key = [0u8; 32];
        rand::Rng::fill(&mut rand::rng(), &mut key);
        let auth = Authenticator {
            users: RwLock::new(Users {
                db: HashMap::new(),
                stamp: None,
                checked: Instant::now(),
            }),
            source,
            settings,
            key,
            cache: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            decoy: DECOY_HASH.into(),
            verifiers: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
            on_reload: RwLock::new(None),
        };
        auth.reload()?;
        Ok(auth)
    }

    /// Runs `hook` with the users file now and after every reload.
    pub fn set_reload_hook(&self, hook: ReloadHook) -> Result<(), ServerError> {
        *self.on_reload.write() = Some(hook);
        self.reload()
    }

    /// Re-reads the users file and forgets cached credentials whose hash changed.
    pub fn reload(&self) -> Result<(), ServerError> {
        let stamp = self.source.stamp();
        let db = UserDb::load_from(self.source.clone())?;
        let map: HashMap<String, Creds> = db
            .iter()
            .map(|(n, r)| {
                let creds = Creds {
                    password: Arc::from(r.hash.as_str()),
                    tokens: r
                        .tokens
                        .iter()
                        .map(|t| (t.id.clone(), Arc::from(t.hash.as_str())))
                        .collect(),
                    admin: r.admin,
                };
                (n.to_string(), creds)
            })
            .collect();
        if let Some(hook) = &*self.on_reload.read() {
            hook(&db);
        }
        self.cache
            .lock()
            .retain(|_, e| map.get(&e.user).is_some_and(|c| c.holds(&e.hash)));
        let mut users = self.users.write();
        users.db = map;
        users.stamp = stamp;
        users.checked = Instant::now();
        Ok(())
    }

    /// Reloads the users file if it changed. Cached logins look at most once per
    /// `RELOAD_EVERY`; a login that needs a hash check anyway (`force`) looks now, so a user
    /// added or a password changed a moment ago is not refused.
    fn reload_if_changed(&self, force: bool) {
        // A shared source costs a round trip: [`Authenticator::poll`] watches it from a
        // blocking thread instead of every request.
        if self.source.is_shared() {
            return;
        }
        if !force {
            let users = self.users.read();
            if users.checked.elapsed() < RELOAD_EVERY {
                return;
            }
        }
        self.reload_on_change();
    }

    /// Where the users are kept.
    pub fn user_source(&self) -> &UserSource {
        &self.source
    }

    /// Whether the users source uses the network (then call [`Authenticator::poll`]).
    pub fn shared_users(&self) -> bool {
        self.source.is_shared()
    }

    /// Reloads a shared users document if another node changed it. Blocking: call from a
    /// blocking thread about every [`POLL_EVERY`], so a password changed on one node applies on
    /// every node within a second or two.
    pub fn poll(&self) {
        self.reload_on_change();
    }

    fn reload_on_change(&self) {
        let stamp = self.source.stamp();
        let changed = {
            let mut users = self.users.write();
            users.checked = Instant::now();
            users.stamp != stamp
        };
        if changed {
            match self.reload() {
                Ok(()) => tracing::info!("users file changed, reloaded"),
                // Keep serving with the last good list; a half-edited file must not lock everyone out.
                Err(e) => tracing::error!(
                    "users file changed but cannot be loaded, keeping the previous list: {e}"
                ),
            }
        }
    }

    /// The client address of a request from `peer` (see [`crate::client_addr`]).
    pub fn client_addr(&self, peer: IpAddr, headers: &http::HeaderMap) -> IpAddr {
        self.settings.trusted_proxies.client_addr(peer, headers)
    }

    /// Checks the `Authorization` header of a request from client address `addr`.
    pub async fn check(&self, authorization: Option<&[u8]>, addr: IpAddr) -> AuthOutcome {
        self.reload_if_changed(false);
        let Some((user, password)) = authorization.and_then(parse_basic) else {
            return AuthOutcome::Missing;
        };
        self.check_password(user, password, addr).await.0
    }

    /// Checks a user name and password (or app password) typed into the web page's sign-in
    /// form, with the same cache and the same throttling as Basic credentials. On success also
    /// returns the stored hash it matched, which [`Authenticator::still_valid`] compares later:
    /// a web session ends when that password is changed or that app password revoked.
    pub async fn login(
        &self,
        user: &str,
        password: &str,
        addr: IpAddr,
    ) -> (AuthOutcome, Option<Arc<str>>) {
        self.reload_if_changed(false);
        self.check_password(user.to_string(), password.to_string(), addr)
            .await
    }

    /// Whether `user` still exists and still has the credential whose hash is `hash`.
    pub fn still_valid(&self, user: &str, hash: &Arc<str>) -> bool {
        self.reload_if_changed(false);
        self.users
            .read()
            .db
            .get(user)
            .is_some_and(|c| c.holds(hash))
    }

    /// Whether `user` is marked as an administrator (`davlite user set NAME --admin`).
    pub fn is_admin(&self, user: &str) -> bool {
        self.users.read().db.get(user).is_some_and(|c| c.admin)
    }

    async fn check_password(
        &self,
        user: String,
        password: String,
        addr: IpAddr,
    ) -> (AuthOutcome, Option<Arc<str>>) {
        let key = self.cache_key(&user, &password);
        let current = self.current_hash(&user, &password);
        let cached = current.as_ref().is_some_and(|hash| {
            self.cache
                .lock()
                .get(&key)
                .is_some_and(|e| e.user == user && e.hash == *hash)
        });
        if cached {
            return (AuthOutcome::User(user), current);
        }
        if let Some(wait) = self.limited(&user, addr) {
            return (AuthOutcome::Limited(wait), None);
        }
        // About to spend an argon2 verification: a stat of the users file first is cheap.
        self.reload_if_changed(true);
        let current = self.current_hash(&user, &password);
        let Ok(_permit) = self.verifiers.acquire().await else {
            return (AuthOutcome::Invalid, None);
        };
        let target = current.clone().unwrap_or_else(|| self.decoy.clone());
        let pw = password.clone();
        let ok = tokio::task::spawn_blocking(move || users::verify_hash(&target, &pw))
            .await
            .unwrap_or(false);
        match current {
            Some(hash) if ok => {
                let mut cache = self.cache.lock();
                if cache.len() >= MAX_CACHE {
                    cache.clear();
                }
                cache.insert(
                    key,
                    CacheEntry {
                        user: user.clone(),
                        hash: hash.clone(),
                    },
                );
                drop(cache);
                // Only this pair's count: a success must not let an address that also has an
                // account of its own spray guesses at other names.
                self.failures.lock().remove(&FailKey::Pair(
                    user.clone(),
                    client_addr::throttle_key(addr),
                ));
                (AuthOutcome::User(user), Some(hash))
            }
            _ => {
                self.record_failure(&user, addr);
                (AuthOutcome::Invalid, None)
            }
        }
    }

    /// The stored hash `password` must match for `user`: their password's, or an app
    /// password's when it has the token form. `None` for an unknown user.
    fn current_hash(&self, user: &str, password: &str) -> Option<Arc<str>> {
        self.users.read().db.get(user).map(|c| c.hash_for(password))
    }

    fn cache_key(&self, user: &str, password: &str) -> [u8; 32] {
        let mut h = blake3::Hasher::new_keyed(&self.key);
        h.update(&(user.len() as u64).to_le_bytes());
        h.update(user.as_bytes());
        h.update(password.as_bytes());
        *h.finalize().as_bytes()
    }

    fn limited(&self, user: &str, addr: IpAddr) -> Option<Duration> {
        let addr = client_addr::throttle_key(addr);
        let failures = self.failures.lock();
        let window = self.settings.window;
        let over = |key: FailKey, max: u32| {
            failures.get(&key).and_then(|w| {
                let age = w.start.elapsed();
                (age < window && w.count >= max).then(|| window - age)
            })
        };
        over(
            FailKey::Pair(user.to_string(), addr),
            self.settings.max_failures_per_user,
        )
        .or_else(|| over(FailKey::Addr(addr), self.settings.max_failures_per_addr))
    }

    fn record_failure(&self, user: &str, client: IpAddr) {
        let addr = client_addr::throttle_key(client);
        let mut failures = self.failures.lock();
        let window = self.settings.window;
        if failures.len() >= MAX_FAILURE_KEYS {
            failures.retain(|_, w| w.start.elapsed() < window);
        }
        for key in [FailKey::Pair(user.to_string(), addr), FailKey::Addr(addr)] {
            let w = failures.entry(key).or_insert(Window {
                start: Instant::now(),
                count: 0,
            });
            if w.start.elapsed() >= window {
                *w = Window {
                    start: Instant::now(),
                    count: 0,
                };
            }
            w.count += 1;
        }
        tracing::warn!(user, addr = %client, "failed login");
    }
}

/// `Basic <base64(user:password)>`, scheme case-insensitive (RFC 7617). The password may
/// contain ':'; the user name may not.
pub fn parse_basic(header: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(header).ok()?.trim();
    let (scheme, rest) = text.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = <base64ct::Base64 as base64ct::Encoding>::decode_vec(rest.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64ct::Encoding;

    fn basic(user: &str, pw: &str) -> Vec<u8> {
        format!(
            "Basic {}",
            base64ct::Base64::encode_string(format!("{user}:{pw}").as_bytes())
        )
        .into_bytes()
    }

    #[test]
    fn parses_basic_credentials() {
        assert_eq!(
            parse_basic(&basic("a", "b:c")),
            Some(("a".into(), "b:c".into()))
        );
        assert_eq!(parse_basic(b"bAsIc YTpi"), Some(("a".into(), "b".into())));
        assert_eq!(parse_basic(b"Bearer xyz"), None);
        assert_eq!(parse_basic(b"Basic !!!"), None);
    }

    #[tokio::test]
    async fn cache_rate_limit_and_password_change() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = UserDb::load(dir.path()).unwrap();
        db.add("alice", "right").unwrap();
        db.save().unwrap();
        let settings = AuthSettings {
            max_failures_per_user: 3,
            max_failures_per_addr: 100,
            window: Duration::from_secs(60),
            ..AuthSettings::default()
        };
        let source = UserSource::File(UserDb::path_in(dir.path()));
        let auth = Authenticator::new(source, settings).unwrap();
        let addr: IpAddr = "127.0.0.1".parse().unwrap();

        assert_eq!(auth.check(None, addr).await, AuthOutcome::Missing);
        assert_eq!(
            auth.check(Some(&basic("alice", "right")), addr).await,
            AuthOutcome::User("alice".into())
        );
        for _ in 0..3 {
            assert_eq!(
                auth.check(Some(&basic("alice", "wrong")), addr).await,
                AuthOutcome::Invalid
            );
        }
        assert!(matches!(
            auth.check(Some(&basic("alice", "wrong")), addr).await,
            AuthOutcome::Limited(_)
        ));
        // Already verified credentials still pass while the name is throttled.
        assert_eq!(
            auth.check(Some(&basic("alice", "right")), addr).await,
            AuthOutcome::User("alice".into())
        );

        db.set_password("alice", "newer").unwrap();
        db.save().unwrap();
        auth.reload().unwrap();
        assert!(matches!(
            auth.check(Some(&basic("alice", "right")), addr).await,
            AuthOutcome::Limited(_)
        ));
        let other: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(
            auth.check(Some(&basic("bob", "x")), other).await,
            AuthOutcome::Invalid
        );
    }

    #[tokio::test]
    async fn failures_from_one_address_never_refuse_the_right_password_from_another() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = UserDb::load(dir.path()).unwrap();
        db.add("alice", "right").unwrap();
        db.save().unwrap();
        let settings = AuthSettings {
            max_failures_per_user: 3,
            max_failures_per_addr: 5,
            window: Duration::from_secs(60),
            ..AuthSettings::default()
        };
        let source = UserSource::File(UserDb::path_in(dir.path()));
        // A fresh authenticator has nothing cached, like a server just restarted.
        let auth = Authenticator::new(source, settings).unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let attacker = ip("203.0.113.66");
        for _ in 0..3 {
            assert_eq!(
                auth.check(Some(&basic("alice", "guess")), attacker).await,
                AuthOutcome::Invalid
            );
        }
        // The pair is throttled, even for the right password...
        assert!(matches!(
            auth.check(Some(&basic("alice", "right")), attacker).await,
            AuthOutcome::Limited(_)
        ));
        // ...but the name is not: the right password from elsewhere is checked and accepted.
        assert_eq!(
            auth.check(Some(&basic("alice", "right")), ip("198.51.100.7"))
                .await,
            AuthOutcome::User("alice".into())
        );
        // And a wrong one from elsewhere is merely wrong.
        assert_eq!(
            auth.check(Some(&basic("alice", "typo")), ip("198.51.100.8"))
                .await,
            AuthOutcome::Invalid
        );
        // The address limit covers other names from the attacker, not from others.
        for name in ["bob", "carol"] {
            assert_eq!(
                auth.check(Some(&basic(name, "guess")), attacker).await,
                AuthOutcome::Invalid
            );
        }
        assert!(matches!(
            auth.check(Some(&basic("dave", "guess")), attacker).await,
            AuthOutcome::Limited(_)
        ));
        assert_eq!(
            auth.check(Some(&basic("dave", "guess")), ip("198.51.100.9"))
                .await,
            AuthOutcome::Invalid
        );
        // An IPv6 client counts by its /64: a fresh address in it does not start over.
        for _ in 0..3 {
            auth.check(Some(&basic("alice", "guess")), ip("2001:db8:1:2::1"))
                .await;
        }
        // (A wrong password: the right one is cached by now and would pass anywhere.)
        assert!(matches!(
            auth.check(Some(&basic("alice", "guess")), ip("2001:db8:1:2::ffff"))
                .await,
            AuthOutcome::Limited(_)
        ));
        assert_eq!(
            auth.check(Some(&basic("alice", "guess")), ip("2001:db8:1:3::1"))
                .await,
            AuthOutcome::Invalid
        );
    }
}
