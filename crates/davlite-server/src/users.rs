//! The users: names, argon2id hashes of passwords and app passwords (tokens), and per-user
//! quotas, as one TOML document. The store stays free of authentication, so an app embedding
//! the store never carries password code; it only keeps the document when it is shared.
//!
//! Where the document lives follows the store ([`UserSource`]): with the embedded store, the
//! file `<data>/users.toml`, written to a temporary file renamed over the old one (a reader sees
//! the old or the new list, never half); with a shared store (PostgreSQL, several server
//! nodes), a versioned document in the store itself, replaced by compare-and-swap, so every
//! node sees the same users and a change made on one node reaches the others.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};

use crate::ServerError;

pub const USERS_FILE: &str = "users.toml";

/// Name of the users document in a shared store.
pub const USERS_DOCUMENT: &str = "users.toml";

/// Where the users document is kept.
#[derive(Debug, Clone)]
pub enum UserSource {
    /// `<data>/users.toml`.
    File(PathBuf),
    /// A document in a store shared by several processes.
    Shared(davlite_store::Store),
}

impl UserSource {
    /// Whether reading the source costs a network round trip (then the server polls it from a
    /// blocking thread instead of checking it in the request path).
    pub fn is_shared(&self) -> bool {
        matches!(self, UserSource::Shared(_))
    }

    /// Something that changes whenever the document does: the file's modification time and
    /// length, or the document's version. `None` when there is no document yet.
    pub fn stamp(&self) -> Option<(u64, u64)> {
        match self {
            UserSource::File(path) => {
                let meta = std::fs::metadata(path).ok()?;
                let modified = meta.modified().ok()?;
                let nanos = modified
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64);
                Some((nanos, meta.len()))
            }
            UserSource::Shared(store) => match store.document(USERS_DOCUMENT) {
                Ok(Some((version, _))) => Some((version, 0)),
                _ => None,
            },
        }
    }

    fn describe(&self) -> PathBuf {
        match self {
            UserSource::File(path) => path.clone(),
            UserSource::Shared(store) => {
                PathBuf::from(format!("{} store: {USERS_DOCUMENT}", store.backend_kind()))
            }
        }
    }
}

/// One user as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// PHC string of an argon2id hash.
    pub hash: String,
    /// Unix seconds of creation, for `user list`.
    #[serde(default)]
    pub created: i64,
    /// This user's quota; absent: the server's `quota_bytes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<UserQuota>,
    /// App passwords: revocable per-device secrets, each kept as an argon2id hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<TokenRecord>,
    /// May manage users and see the server status on the web page. Absent (older files): no.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub admin: bool,
    /// E-mail addresses, preferred first: the user's calendar user addresses, by which others
    /// find and invite them (`mailto:` in `calendar-user-address-set`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<String>,
    /// The name other users see (`DAV:displayname` of the principal); the user name if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub displayname: Option<String>,
}

/// A per-user quota: a number of bytes, or `"none"` for no quota even when the server has a
/// default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "QuotaRepr", into = "QuotaRepr")]
pub enum UserQuota {
    Bytes(u64),
    Unlimited,
}

impl UserQuota {
    /// The limit for the store; `None` for no quota.
    pub fn limit(self) -> Option<u64> {
        match self {
            UserQuota::Bytes(b) => Some(b),
            UserQuota::Unlimited => None,
        }
    }
}

impl std::fmt::Display for UserQuota {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserQuota::Bytes(b) => write!(f, "{b} bytes"),
            UserQuota::Unlimited => f.write_str("none"),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum QuotaRepr {
    Bytes(u64),
    Word(String),
}

impl TryFrom<QuotaRepr> for UserQuota {
    type Error = String;
    fn try_from(r: QuotaRepr) -> Result<Self, String> {
        match r {
            QuotaRepr::Bytes(b) => Ok(UserQuota::Bytes(b)),
            QuotaRepr::Word(w) if w == "none" => Ok(UserQuota::Unlimited),
            QuotaRepr::Word(w) => Err(format!("quota {w:?} is neither a number nor \"none\"")),
        }
    }
}

impl From<UserQuota> for QuotaRepr {
    fn from(q: UserQuota) -> QuotaRepr {
        match q {
            UserQuota::Bytes(b) => QuotaRepr::Bytes(b),
            UserQuota::Unlimited => QuotaRepr::Word("none".into()),
        }
    }
}

/// One app password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Short random id, also the secret's prefix, so a login checks one hash only.
    pub id: String,
    #[serde(default)]
    pub label: String,
    /// PHC string of an argon2id hash of the whole secret.
    pub hash: String,
    #[serde(default)]
    pub created: i64,
}

/// App passwords look like `dlt-<id>-<secret>`: the id names the token to check.
pub const TOKEN_PREFIX: &str = "dlt-";

/// The id inside a presented app password, if it has the shape of one.
pub fn token_id(secret: &str) -> Option<&str> {
    let rest = secret.strip_prefix(TOKEN_PREFIX)?;
    let (id, tail) = rest.split_once('-')?;
    (id.len() == 8 && !tail.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then_some(id)
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct UsersFile {
    #[serde(default)]
    users: BTreeMap<String, UserRecord>,
}

/// The users, as last loaded or saved.
#[derive(Debug, Clone)]
pub struct UserDb {
    source: UserSource,
    /// The shared document's version when it was loaded (`None`: it did not exist), so a save
    /// that raced another node's is refused instead of undoing it.
    version: Option<u64>,
    users: BTreeMap<String, UserRecord>,
}

impl UserDb {
    pub fn path_in(data: &Path) -> PathBuf {
        data.join(USERS_FILE)
    }

    /// Loads `<data>/users.toml`; a missing file is an empty list.
    pub fn load(data: &Path) -> Result<UserDb, ServerError> {
        Self::load_from(UserSource::File(Self::path_in(data)))
    }

    /// Loads the users document from `source`; a missing document is an empty list.
    pub fn load_from(source: UserSource) -> Result<UserDb, ServerError> {
        let path = source.describe();
        let (text, version) = match &source {
            UserSource::File(path) => match std::fs::read_to_string(path) {
                Ok(t) => (t, None),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), None),
                Err(e) => return Err(ServerError::io(path, e)),
            },
            UserSource::Shared(store) => match store.document(USERS_DOCUMENT) {
                Ok(Some((version, bytes))) => (
                    String::from_utf8(bytes).map_err(|_| ServerError::UsersFile {
                        path: path.clone(),
                        reason: "the users document is not UTF-8".into(),
                    })?,
                    Some(version),
                ),
                Ok(None) => (String::new(), None),
                Err(e) => return Err(ServerError::Store(format!("{}: {e}", path.display()))),
            },
        };
        let file: UsersFile = toml::from_str(&text).map_err(|e| ServerError::UsersFile {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        for (name, rec) in &file.users {
            validate_name(name)?;
            for hash in std::iter::once(&rec.hash).chain(rec.tokens.iter().map(|t| &t.hash)) {
                PasswordHash::new(hash).map_err(|e| ServerError::UsersFile {
                    path: path.clone(),
                    reason: format!("user {name:?} has an unreadable hash: {e}"),
                })?;
            }
        }
        Ok(UserDb {
            source,
            version,
            users: file.users,
        })
    }

    /// Where these users are kept.
    pub fn source(&self) -> &UserSource {
        &self.source
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.users.keys().map(String::as_str)
    }

    pub fn get(&self, name: &str) -> Option<&UserRecord> {
        self.users.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &UserRecord)> {
        self.users.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Adds a user in memory; call [`UserDb::save`] to keep it.
    pub fn add(&mut self, name: &str, password: &str) -> Result<(), ServerError> {
        validate_name(name)?;
        if self.users.contains_key(name) {
            return Err(ServerError::UserExists(name.to_string()));
        }
        let hash = hash_password(password)?;
        self.users.insert(
            name.to_string(),
            UserRecord {
                hash,
                created: now_secs(),
                quota: None,
                tokens: Vec::new(),
                admin: false,
                emails: Vec::new(),
                displayname: None,
            },
        );
        Ok(())
    }

    pub fn set_password(&mut self, name: &str, password: &str) -> Result<(), ServerError> {
        let hash = hash_password(password)?;
        let rec = self
            .users
            .get_mut(name)
            .ok_or_else(|| ServerError::NoSuchUser(name.to_string()))?;
        rec.hash = hash;
        Ok(())
    }

    fn record_mut(&mut self, name: &str) -> Result<&mut UserRecord, ServerError> {
        self.users
            .get_mut(name)
            .ok_or_else(|| ServerError::NoSuchUser(name.to_string()))
    }

    /// Sets (`Some`) or clears (`None`: the server default applies) a user's quota.
    pub fn set_quota(&mut self, name: &str, quota: Option<UserQuota>) -> Result<(), ServerError> {
        self.record_mut(name)?.quota = quota;
        Ok(())
    }

    /// Marks a user as an administrator of the web page, or not.
    pub fn set_admin(&mut self, name: &str, admin: bool) -> Result<(), ServerError> {
        self.record_mut(name)?.admin = admin;
        Ok(())
    }

    /// Replaces a user's e-mail addresses. Each is checked ([`validate_email`]), a leading
    /// `mailto:` dropped; an address another user already has is refused, since an invitation
    /// or a free-busy request to it could not tell the two apart.
    pub fn set_emails(&mut self, name: &str, emails: &[String]) -> Result<(), ServerError> {
        let mut clean: Vec<String> = Vec::new();
        for e in emails {
            let e = validate_email(e)?;
            if !clean.iter().any(|c| c.eq_ignore_ascii_case(&e)) {
                clean.push(e);
            }
        }
        for (other, rec) in &self.users {
            if other == name {
                continue;
            }
            let theirs = rec
                .emails
                .iter()
                .map(String::as_str)
                .chain(other.contains('@').then_some(other.as_str()));
            for t in theirs {
                if let Some(e) = clean.iter().find(|e| e.eq_ignore_ascii_case(t)) {
                    return Err(ServerError::InvalidEmail(
                        e.clone(),
                        format!("user {other} already has it"),
                    ));
                }
            }
        }
        self.record_mut(name)?.emails = clean;
        Ok(())
    }

    /// Sets (or with `None` or an empty name, clears) the name other users see.
    pub fn set_displayname(
        &mut self,
        name: &str,
        display: Option<&str>,
    ) -> Result<(), ServerError> {
        let display = display.map(str::trim).filter(|d| !d.is_empty());
        if display.is_some_and(|d| d.chars().any(char::is_control)) {
            return Err(ServerError::InvalidDisplayName(
                "it contains control characters",
            ));
        }
        self.record_mut(name)?.displayname = display.map(str::to_string);
        Ok(())
    }

    /// Creates an app password; returns its id and the secret (shown once, only its hash kept).
    pub fn add_token(&mut self, name: &str, label: &str) -> Result<(String, String), ServerError> {
        let rec = self.record_mut(name)?;
        let id = loop {
            let id: String = generate_password().chars().take(8).collect();
            if !rec.tokens.iter().any(|t| t.id == id) {
                break id;
            }
        };
        let secret = format!("{TOKEN_PREFIX}{id}-{}", generate_password());
        let hash = hash_password(&secret)?;
        rec.tokens.push(TokenRecord {
            id: id.clone(),
            label: label.to_string(),
            hash,
            created: now_secs(),
        });
        Ok((id, secret))
    }

    /// Revokes the tokens whose id or label is `which`; returns how many.
    pub fn revoke_token(&mut self, name: &str, which: &str) -> Result<usize, ServerError> {
        let rec = self.record_mut(name)?;
        let before = rec.tokens.len();
        rec.tokens.retain(|t| t.id != which && t.label != which);
        Ok(before - rec.tokens.len())
    }

    pub fn remove(&mut self, name: &str) -> Result<(), ServerError> {
        self.users
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| ServerError::NoSuchUser(name.to_string()))
    }

    /// Inserts a record as is (restore from a dump).
    pub fn insert_record(&mut self, name: &str, rec: UserRecord) -> Result<(), ServerError> {
        validate_name(name)?;
        self.users.insert(name.to_string(), rec);
        Ok(())
    }

    /// Writes the users back where they came from: the file atomically (temporary file, fsync,
    /// rename, fsync of the directory, readable by the owner only), or the shared document if
    /// nobody replaced it since it was loaded.
    pub fn save(&mut self) -> Result<(), ServerError> {
        let path = match &self.source {
            UserSource::File(path) => path.clone(),
            UserSource::Shared(store) => {
                let text = self.text(&self.source.describe())?;
                return match store.put_document(USERS_DOCUMENT, text.into_bytes(), self.version) {
                    Ok(v) => {
                        self.version = Some(v);
                        Ok(())
                    }
                    Err(davlite_store::StoreError::PreconditionFailed { .. }) => {
                        Err(ServerError::UsersFile {
                            path: self.source.describe(),
                            reason: "another node changed the users meanwhile; nothing was saved, run the command again".into(),
                        })
                    }
                    Err(e) => Err(ServerError::Store(e.to_string())),
                };
            }
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| ServerError::io(dir, e))?;
        let text = self.text(&path)?;
        let tmp = path.with_extension(format!("toml.tmp.{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = opts.open(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(())
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            ServerError::io(&path, e)
        })
    }

    fn text(&self, path: &Path) -> Result<String, ServerError> {
        let file = UsersFile {
            users: self.users.clone(),
        };
        let body = toml::to_string(&file).map_err(|e| ServerError::UsersFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Ok(format!(
            "# davlite users: names and argon2id password hashes. Change with `davlite user`.\n{body}"
        ))
    }
}

/// The principals the DAV layer shows, from the users: name, display name, e-mail addresses.
pub fn directory(db: &UserDb) -> davlite_dav::Directory {
    davlite_dav::Directory::new(db.iter().map(|(name, rec)| davlite_dav::PrincipalInfo {
        name: name.to_string(),
        displayname: rec.displayname.clone(),
        emails: rec.emails.clone(),
    }))
}

/// Checks a password against a stored PHC hash; costs one argon2 evaluation (~15 ms).
pub fn verify_hash(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// argon2id with the crate's defaults (19 MiB, 2 passes): the OWASP minimum for argon2id.
pub fn hash_password(password: &str) -> Result<String, ServerError> {
    if password.is_empty() {
        return Err(ServerError::InvalidPassword("it is empty"));
    }
    if password.chars().any(char::is_control) {
        return Err(ServerError::InvalidPassword(
            "it contains control characters",
        ));
    }
    let mut salt_bytes = [0u8; 16];
    rand::Rng::fill(&mut rand::rng(), &mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| ServerError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServerError::Hash(e.to_string()))
}

/// 20 characters from a 56-letter alphabet without look-alikes (0/O, 1/l/I): about 116 bits.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[rand::Rng::random_range(&mut rng, 0..ALPHABET.len())] as char)
        .collect()
}

/// Names become URL segments (`/dav/principals/<name>/`) and store paths, so they stay in an
/// alphabet that needs no escaping anywhere.
pub fn validate_name(name: &str) -> Result<(), ServerError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'));
    if ok {
        Ok(())
    } else {
        Err(ServerError::InvalidUserName(name.to_string()))
    }
}

/// An e-mail address as a calendar user address: `local@domain`, no spaces, no control or
/// URI-breaking characters; a leading `mailto:` is dropped. Returns the address to keep.
pub fn validate_email(addr: &str) -> Result<String, ServerError> {
    let a = addr.trim();
    let a = match a.get(..7) {
        Some(s) if s.eq_ignore_ascii_case("mailto:") => &a[7..],
        _ => a,
    };
    let bad = |why: &str| Err(ServerError::InvalidEmail(addr.to_string(), why.to_string()));
    let Some((local, domain)) = a.rsplit_once('@') else {
        return bad("it has no @");
    };
    if local.is_empty() || domain.is_empty() || domain.starts_with('.') || domain.ends_with('.') {
        return bad("it is not local@domain");
    }
    if a.len() > 254 {
        return bad("it is longer than 254 characters");
    }
    if a.chars()
        .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '<' | '>' | '"' | ',' | ';'))
    {
        return bad("it contains spaces, control characters or one of < > \" , ;");
    }
    Ok(a.to_string())
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_save_load_verify_passwd_remove() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = UserDb::load(dir.path()).unwrap();
        assert!(db.is_empty());
        db.add("alice", "s3cret").unwrap();
        assert!(matches!(
            db.add("alice", "x"),
            Err(ServerError::UserExists(_))
        ));
        db.save().unwrap();
        let text = std::fs::read_to_string(UserDb::path_in(dir.path())).unwrap();
        assert!(text.contains("$argon2id$") && !text.contains("s3cret"));

        let mut db = UserDb::load(dir.path()).unwrap();
        let hash = db.get("alice").unwrap().hash.clone();
        assert!(verify_hash(&hash, "s3cret"));
        assert!(!verify_hash(&hash, "s3cret "));
        db.set_password("alice", "new").unwrap();
        assert!(verify_hash(&db.get("alice").unwrap().hash, "new"));
        db.remove("alice").unwrap();
        assert!(matches!(
            db.remove("alice"),
            Err(ServerError::NoSuchUser(_))
        ));
    }

    #[test]
    fn files_without_the_admin_flag_still_load() {
        let dir = tempfile::tempdir().unwrap();
        let hash = hash_password("pw").unwrap();
        let old = format!("[users.alice]\nhash = \"{hash}\"\ncreated = 1\n");
        std::fs::write(UserDb::path_in(dir.path()), old).unwrap();
        let mut db = UserDb::load(dir.path()).unwrap();
        assert!(!db.get("alice").unwrap().admin);
        db.set_admin("alice", true).unwrap();
        db.save().unwrap();
        let text = std::fs::read_to_string(UserDb::path_in(dir.path())).unwrap();
        assert!(text.contains("admin = true"), "{text}");
        assert!(
            UserDb::load(dir.path())
                .unwrap()
                .get("alice")
                .unwrap()
                .admin
        );
        db.set_admin("alice", false).unwrap();
        db.save().unwrap();
        let text = std::fs::read_to_string(UserDb::path_in(dir.path())).unwrap();
        assert!(!text.contains("admin"), "{text}");
    }

    #[test]
    fn names_are_url_safe() {
        for good in ["alice", "bob.smith", "a_b-c", "me@example.org"] {
            validate_name(good).unwrap();
        }
        for bad in ["", ".hidden", "a/b", "a b", "é", "x%2F", &"a".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn emails_are_checked_unique_and_survive_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = UserDb::load(dir.path()).unwrap();
        db.add("alice", "pw").unwrap();
        db.add("bob", "pw").unwrap();
        db.add("carol@example.org", "pw").unwrap();
        db.set_emails(
            "alice",
            &[
                "mailto:Alice@Example.com".into(),
                "alice@example.com".into(),
            ],
        )
        .unwrap();
        assert_eq!(db.get("alice").unwrap().emails, ["Alice@Example.com"]);
        for taken in ["ALICE@example.com", "carol@example.org"] {
            assert!(matches!(
                db.set_emails("bob", &[taken.into()]),
                Err(ServerError::InvalidEmail(..))
            ));
        }
        for bad in ["bob", "@x", "b@", "b c@x", "b@x;y", "b@.x"] {
            assert!(validate_email(bad).is_err(), "{bad}");
        }
        db.set_displayname("alice", Some(" Alice Liddell "))
            .unwrap();
        db.save().unwrap();
        let db = UserDb::load(dir.path()).unwrap();
        let a = db.get("alice").unwrap();
        assert_eq!(a.displayname.as_deref(), Some("Alice Liddell"));
        assert_eq!(a.emails, ["Alice@Example.com"]);
        assert!(db.get("bob").unwrap().emails.is_empty());
    }

    #[test]
    fn users_files_from_before_addresses_still_load() {
        let dir = tempfile::tempdir().unwrap();
        let hash = hash_password("pw").unwrap();
        std::fs::write(
            UserDb::path_in(dir.path()),
            format!("[users.old]\nhash = \"{hash}\"\ncreated = 1\n"),
        )
        .unwrap();
        let db = UserDb::load(dir.path()).unwrap();
        let old = db.get("old").unwrap();
        assert!(old.emails.is_empty() && old.displayname.is_none());
    }

    #[test]
    fn generated_passwords_differ_and_hash() {
        let (a, b) = (generate_password(), generate_password());
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
        assert!(verify_hash(&hash_password(&a).unwrap(), &a));
    }
}
