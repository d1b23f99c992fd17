//! Web sessions: kept in memory only, so a restart signs everyone out (nothing to leak from the
//! data directory, nothing to expire on disk). The cookie carries a random 256-bit token; the
//! table is keyed by a hash of it, so the map itself never holds a usable cookie value.
//!
//! A session ends when it is idle for [`IDLE`], at most [`MAX_AGE`] after sign-in, on sign-out,
//! and as soon as the password (or app password) it signed in with is changed or revoked, or
//! the user removed (checked on every request, see `Authenticator::still_valid`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Idle time after which a session is forgotten.
pub const IDLE: Duration = Duration::from_secs(8 * 3600);
/// Longest life of a session, however busy.
pub const MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// Sessions kept at most; past it, expired ones are dropped, then the oldest.
const MAX_SESSIONS: usize = 10_000;

/// The cookie holding the session token.
pub const COOKIE: &str = "davlite_session";
/// The cookie holding the sign-in form's anti-forgery token (no session exists yet).
pub const LOGIN_COOKIE: &str = "davlite_login";

/// A message for the next page a session sees (after a redirect).
#[derive(Debug, Clone)]
pub struct Flash {
    pub ok: bool,
    pub text: String,
}

struct Session {
    user: String,
    /// The stored hash of the credential the user signed in with.
    cred: Arc<str>,
    csrf: String,
    created: Instant,
    seen: Instant,
    flash: Option<Flash>,
}

/// What a request learns of its session.
#[derive(Debug, Clone)]
pub struct Current {
    pub user: String,
    pub cred: Arc<str>,
    /// The token every state-changing form of this session must carry.
    pub csrf: String,
    /// The session's key (a hash of the cookie), to set or take its flash message.
    pub key: String,
}

/// Every session of a server.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Starts a session; returns the cookie value.
    pub fn create(&self, user: &str, cred: Arc<str>) -> String {
        let token = random_token();
        let now = Instant::now();
        let mut map = self.map.lock();
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, s| !expired(s, now));
            if map.len() >= MAX_SESSIONS
                && let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, s)| s.created)
                    .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(
            key_of(&token),
            Session {
                user: user.to_string(),
                cred,
                csrf: random_token(),
                created: now,
                seen: now,
                flash: None,
            },
        );
        token
    }

    /// The live session named by a cookie value; an expired one is removed.
    pub fn get(&self, token: &str) -> Option<Current> {
        let key = key_of(token);
        let now = Instant::now();
        let mut map = self.map.lock();
        let s = map.get_mut(&key)?;
        if expired(s, now) {
            map.remove(&key);
            return None;
        }
        s.seen = now;
        Some(Current {
            user: s.user.clone(),
            cred: s.cred.clone(),
            csrf: s.csrf.clone(),
            key,
        })
    }

    pub fn remove(&self, key: &str) {
        self.map.lock().remove(key);
    }

    /// Ends every session of `user` (removed by an admin).
    pub fn remove_user(&self, user: &str) {
        self.map.lock().retain(|_, s| s.user != user);
    }

    pub fn set_flash(&self, key: &str, ok: bool, text: impl Into<String>) {
        if let Some(s) = self.map.lock().get_mut(key) {
            s.flash = Some(Flash {
                ok,
                text: text.into(),
            });
        }
    }

    pub fn take_flash(&self, key: &str) -> Option<Flash> {
        self.map.lock().get_mut(key).and_then(|s| s.flash.take())
    }
}

fn expired(s: &Session, now: Instant) -> bool {
    now.duration_since(s.seen) >= IDLE || now.duration_since(s.created) >= MAX_AGE
}

fn key_of(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

/// 256 random bits, hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::Rng::fill(&mut rand::rng(), &mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// A `Set-Cookie` value: never readable by scripts, never sent by another site's requests,
/// over TLS only when the server speaks TLS. `max_age` 0 deletes the cookie.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Duration) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        max_age.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_live_until_removed() {
        let s = Sessions::default();
        let token = s.create("alice", Arc::from("h"));
        let cur = s.get(&token).unwrap();
        assert_eq!(cur.user, "alice");
        assert_eq!(cur.csrf.len(), 64);
        assert!(s.get("nope").is_none());
        s.set_flash(&cur.key, true, "done");
        assert_eq!(s.take_flash(&cur.key).unwrap().text, "done");
        assert!(s.take_flash(&cur.key).is_none());
        s.remove_user("alice");
        assert!(s.get(&token).is_none());
    }

    #[test]
    fn cookies_parse_and_carry_their_attributes() {
        let mut h = http::HeaderMap::new();
        h.insert("cookie", "a=1; davlite_session=xyz ; b=2".parse().unwrap());
        assert_eq!(cookie(&h, COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "c"), None);
        let c = set_cookie(COOKIE, "v", true, IDLE);
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Secure"] {
            assert!(c.contains(attr), "{c}");
        }
        assert!(!set_cookie(COOKIE, "v", false, IDLE).contains("Secure"));
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("a", "ab"));
    }
}
