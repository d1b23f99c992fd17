//! Administrative commands that open the store directly: import, export, dump, restore,
//! verify. The running server holds a redb store file open, so with the embedded store these
//! run while it is stopped; a PostgreSQL store they share with running servers.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use davlite_dav::{Dav, DavConfig};
use davlite_store::Store;

use crate::store::Place;
use crate::users::UserDb;
use crate::{dump, import};

/// Creates the user's homes if the store can be opened now; a running server does it instead
/// on the user's first login.
pub fn provision_cmd(place: &Place, user: &str) {
    match place.open() {
        Ok(s) => match Dav::new(s, DavConfig::default()).provision_user(user) {
            Ok(()) => println!("created the default calendar and address book of {user}"),
            Err(e) => eprintln!(
                "davlite: warning: could not create the homes of {user} now ({e}); the server creates them on first login"
            ),
        },
        Err(_) => println!(
            "the store is in use (server running?): {user}'s calendar and address book are created on their first login"
        ),
    }
}

fn open_store(place: &Place) -> anyhow::Result<Store> {
    place.open().with_context(|| "cannot open the store; if `davlite serve` is running on this data directory, stop it first")
}

pub fn import_cmd(
    place: &Place,
    user: &str,
    collection: &str,
    files: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    let store = open_store(place)?;
    let users = UserDb::load_from(place.user_source(Some(&store))?)?;
    if users.get(user).is_none() {
        bail!(crate::ServerError::NoSuchUser(user.to_string()));
    }
    Dav::new(store.clone(), DavConfig::default())
        .provision_user(user)
        .map_err(|e| anyhow::anyhow!("creating the homes of {user}: {e}"))?;
    let tty = std::io::stderr().is_terminal();
    let progress = move |done: usize, total: usize| {
        if tty && (done % 50 == 0 || done == total) {
            let width = 30;
            let filled = (done * width).checked_div(total).unwrap_or(width);
            eprint!(
                "\r[{}{}] {done}/{total}",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
            if done == total {
                eprintln!();
            }
        }
    };
    let report = import::import_files(&store, user, collection, files, &progress)?;
    for (file, entry, reason) in &report.skipped {
        eprintln!("skipped {} entry {entry}: {reason}", file.display());
    }
    println!(
        "imported into {}: {} created, {} updated, {} unchanged, {} skipped",
        report.collection,
        report.created,
        report.updated,
        report.unchanged,
        report.skipped.len()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn export_collection_cmd(
    place: &Place,
    user: &str,
    collection: &str,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let store = open_store(place)?;
    match out {
        Some(path) => {
            let mut f = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("creating {}", path.display()))?,
            );
            let n = import::export_collection(&store, user, collection, &mut f)?;
            eprintln!("exported {n} objects to {}", path.display());
        }
        None => {
            import::export_collection(&store, user, collection, &mut std::io::stdout().lock())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn export_dump_cmd(place: &Place, path: &Path) -> anyhow::Result<ExitCode> {
    let store = open_store(place)?;
    let users = UserDb::load_from(place.user_source(Some(&store))?)?;
    let counts = dump::write_dump(&store, &users, path)?;
    println!(
        "wrote {}: {} collections, {} objects, {} users",
        path.display(),
        counts.collections,
        counts.objects,
        counts.users
    );
    Ok(ExitCode::SUCCESS)
}

pub fn restore_cmd(place: &Place, path: &Path) -> anyhow::Result<ExitCode> {
    let store = open_store(place)?;
    let mut users = UserDb::load_from(place.user_source(Some(&store))?)?;
    if !users.is_empty() {
        bail!(
            "{} already has users; restore into an empty store",
            place.describe()
        );
    }
    if !store
        .read()
        .and_then(|r| r.children(""))
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .is_empty()
    {
        bail!(
            "the store in {} is not empty; restore into an empty store",
            place.describe()
        );
    }
    let counts = dump::restore_dump(&store, &mut users, path)?;
    users.save()?;
    println!(
        "restored {}: {} collections, {} objects, {} users",
        path.display(),
        counts.collections,
        counts.objects,
        counts.users
    );
    Ok(ExitCode::SUCCESS)
}

pub fn verify_cmd(place: &Place) -> anyhow::Result<ExitCode> {
    let store = open_store(place)?;
    let users = UserDb::load_from(place.user_source(Some(&store))?).context("users")?;
    let report = store.verify().map_err(|e| anyhow::anyhow!("verify: {e}"))?;
    println!(
        "{} users, {} collections, {} objects ({} body bytes), {} change-log entries",
        users.names().count(),
        report.collections,
        report.objects,
        report.body_bytes,
        report.changes
    );
    if report.is_ok() {
        println!("ok: every record is consistent");
        Ok(ExitCode::SUCCESS)
    } else {
        for p in &report.problems {
            println!("problem: {p}");
        }
        println!("{} problems found", report.problems.len());
        Ok(ExitCode::FAILURE)
    }
}
