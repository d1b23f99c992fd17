//! Administrative commands that open the store directly: import, export, dump, restore,
//! verify. The running server holds the store file open, so these run while it is stopped.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::bail;
use davlite_dav::{Dav, DavConfig};

use crate::store;

/// Creates the user's homes if the store can be opened now; a running server does it instead
/// on the user's first login.
pub fn provision_cmd(data: &Path, user: &str) {
    match store::open(data) {
        Ok(s) => match Dav::new(s, DavConfig::default()).provision_user(user) {
            Ok(()) => println!("created the default calendar and address book of {user}"),
            Err(e) => eprintln!(
                "davlite: warning: could not create the homes of {user} now ({e:?}); the server creates them on first login"
            ),
        },
        Err(_) => println!(
            "the store is in use (server running?): {user}'s calendar and address book are created on their first login"
        ),
    }
}

pub fn import_cmd(
    data: &Path,
    user: &str,
    collection: &str,
    files: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    let _ = (data, user, collection, files);
    bail!("import needs the store implementation, which this build does not have yet")
}

pub fn export_collection_cmd(
    data: &Path,
    user: &str,
    collection: &str,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let _ = (data, user, collection, out);
    bail!("export needs the store implementation, which this build does not have yet")
}

pub fn export_dump_cmd(data: &Path, dump: &Path) -> anyhow::Result<ExitCode> {
    let _ = (data, dump);
    bail!("export needs the store implementation, which this build does not have yet")
}

pub fn restore_cmd(data: &Path, dump: &Path) -> anyhow::Result<ExitCode> {
    let _ = (data, dump);
    bail!("restore needs the store implementation, which this build does not have yet")
}

pub fn verify_cmd(data: &Path) -> anyhow::Result<ExitCode> {
    let _ = data;
    bail!("verify needs the store implementation, which this build does not have yet")
}
