//! Online backup: `davlite backup --to FILE` writes the whole-store dump (the format of
//! `export --dump`, read back by `restore`) from ONE read snapshot of the store. A read snapshot
//! never blocks the committer, so writes keep being accepted and acknowledged while the dump is
//! written; they are simply not in it.
//!
//! A running server holds the store file locked, so the command asks it, over the control socket
//! (see [`crate::control`]), to write the dump; with no server running it opens the store itself.
//! Either way the outcome is recorded in `<data>/last-backup.json` for status pages and
//! `/metrics`.

use crate::progress::{Bar, Unit};
use std::path::{Path, PathBuf};
use std::time::Instant;

use davlite_store::Store;
use serde::{Deserialize, Serialize};

use crate::store::Place;
use crate::users::{UserDb, UserSource};
use crate::{ServerError, dump};

/// File in the data directory recording the last successful backup.
pub const RECORD_FILE: &str = "last-backup.json";

/// One successful backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRecord {
    /// When the dump file was complete and renamed into place (Unix seconds).
    pub finished_unix: u64,
    /// Wall time of the whole backup, from taking the snapshot to the fsynced file.
    pub duration_ms: u64,
    /// Size of the dump file.
    pub bytes: u64,
    pub collections: u64,
    pub objects: u64,
    pub users: u64,
    /// Where it was written.
    pub file: PathBuf,
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Writes a backup of `store` (one snapshot) and the users of `users` to `to` (through a
/// `.partial` file, fsynced, then renamed) and records it in `<data>/last-backup.json`.
pub fn write_backup(
    store: &Store,
    users: UserSource,
    data: &Path,
    to: &Path,
    progress: crate::progress::Report<'_>,
) -> Result<BackupRecord, ServerError> {
    let start = Instant::now();
    let users = UserDb::load_from(users)?;
    let counts = dump::write_dump(store, &users, to, progress)?;
    let bytes = std::fs::metadata(to)
        .map_err(|e| ServerError::io(to, e))?
        .len();
    let rec = BackupRecord {
        finished_unix: unix_now(),
        duration_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
        bytes,
        collections: counts.collections,
        objects: counts.objects,
        users: counts.users,
        file: to.to_path_buf(),
    };
    if let Err(e) = save_record(data, &rec) {
        // The backup itself is complete; only the bookkeeping failed.
        tracing::warn!("backup written, but recording it failed: {e}");
    }
    Ok(rec)
}

/// The last recorded backup of `data`, if any (and readable).
pub fn load_record(data: &Path) -> Option<BackupRecord> {
    let text = std::fs::read_to_string(data.join(RECORD_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

fn save_record(data: &Path, rec: &BackupRecord) -> Result<(), ServerError> {
    let path = data.join(RECORD_FILE);
    let tmp = data.join(format!("{RECORD_FILE}.tmp"));
    let text = serde_json::to_string_pretty(rec).expect("plain struct serialises");
    std::fs::write(&tmp, text + "\n").map_err(|e| ServerError::io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| ServerError::io(&path, e))
}

/// `davlite backup --data DIR [--store URL] --to FILE`.
pub fn backup_cmd(place: &Place, to: &Path) -> anyhow::Result<std::process::ExitCode> {
    let data = &place.data;
    let to = std::path::absolute(to).map_err(|e| anyhow::anyhow!("{}: {e}", to.display()))?;
    let (rec, how) = match crate::control::request_backup(data, &to)? {
        Some(rec) => (rec, "by the running server"),
        None => {
            let store = place.open().map_err(|e| {
                anyhow::anyhow!(
                    "{e}\n(no server answered on {}; if one runs on this data directory, it is too old to take online backups: stop it first)",
                    crate::control::socket_path(data).display()
                )
            })?;
            let users = place.user_source(Some(&store))?;
            (
                {
                    let bar = Bar::new("backup", Unit::Objects);
                    let rec = write_backup(&store, users, data, &to, &bar.report())?;
                    bar.finish();
                    rec
                },
                "from the store directly",
            )
        }
    };
    println!(
        "wrote {} {how} in {} ms: {} bytes, {} collections, {} objects, {} users",
        rec.file.display(),
        rec.duration_ms,
        rec.bytes,
        rec.collections,
        rec.objects,
        rec.users
    );
    Ok(std::process::ExitCode::SUCCESS)
}
