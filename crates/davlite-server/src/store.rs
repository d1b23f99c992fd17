//! Where the store lives in a data directory, and opening it with the server's settings.

use std::path::{Path, PathBuf};

use davlite_store::{Options, Store};

use crate::ServerError;

pub const STORE_FILE: &str = "davlite.redb";

pub fn store_path(data: &Path) -> PathBuf {
    data.join(STORE_FILE)
}

/// Opens (creating if needed) `<data>/davlite.redb` with durable commits: a 2xx to a write
/// means it is on disk. Fails while another process (a running server) holds the file.
pub fn open(data: &Path) -> Result<Store, ServerError> {
    std::fs::create_dir_all(data).map_err(|e| ServerError::io(data, e))?;
    let path = store_path(data);
    Store::open(&path, Options::default())
        .map_err(|e| ServerError::Store(format!("{}: {e}", path.display())))
}
