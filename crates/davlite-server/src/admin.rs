//! Administrative commands that open the store directly: import, export, dump, restore,
//! verify. The running server holds a redb store file open, so with the embedded store these
//! run while it is stopped; a PostgreSQL store they share with running servers.

use crate::progress::{Bar, Unit};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use davlite_dav::{Dav, DavConfig};
use davlite_store::Store;

use crate::store::Place;
use crate::users::UserDb;
use crate::{dump, import};

/// The store trees that hold a user's homes (`calendars/NAME`, `addressbooks/NAME`).
const HOME_TREES: [&str; 2] = ["calendars", "addressbooks"];

/// A removed user's homes, kept, are renamed to `<tree>/.removed-NAME-<unix seconds>`. The DAV
/// layer gives `<tree>/X/...` to the user named X only, and no user name starts with a dot
/// ([`crate::users::validate_name`]), so nobody reaches them over DAV, a new user of the same
/// name included. (A top-level collection such as `removed/` would not do: collections outside
/// the user trees are readable by every user.)
pub const REMOVED_PREFIX: &str = ".removed-";

/// The homes of `user` that exist in the store.
pub(crate) fn homes_of(store: &Store, user: &str) -> anyhow::Result<Vec<String>> {
    let reader = store.read().map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut homes = Vec::new();
    for tree in HOME_TREES {
        let home = format!("{tree}/{user}");
        if reader
            .collection(&home)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .is_some()
        {
            homes.push(home);
        }
    }
    Ok(homes)
}

/// `davlite user remove NAME [--delete-data]`: removes the login, and deletes the user's homes
/// or moves them aside (see [`REMOVED_PREFIX`]), so that a user added later under the same name
/// starts with fresh, empty homes.
///
/// With the embedded store the data goes first and the login after, and nothing is removed
/// when the store cannot be opened (a running server holds it): a user is never removed while
/// their data stays where a new user of that name would find it. With a shared store, servers
/// keep running: the login goes first (every node stops accepting it within a second or so),
/// then the data; if that fails, the login is put back.
pub fn remove_user_cmd(place: &Place, user: &str, delete_data: bool) -> anyhow::Result<ExitCode> {
    let store = place.open().map_err(|e| {
        anyhow::anyhow!(
            "cannot open the store of {}: {e}\n`davlite serve` holds the embedded store while it runs; \
             stop it and run this command again. {user} was not removed.",
            place.describe()
        )
    })?;
    let mut db = UserDb::load_from(place.user_source(Some(&store))?)?;
    let record = db.get(user).cloned();
    let homes = homes_of(&store, user)?;
    if record.is_none() && homes.is_empty() {
        bail!(crate::ServerError::NoSuchUser(user.to_string()));
    }
    let shared = place.is_shared();
    if shared && record.is_some() {
        db.remove(user)?;
        db.save()?;
        // Servers poll the shared users every POLL_EVERY; past two polls none accepts the
        // login any more, so no request of the old user writes into the homes behind us.
        std::thread::sleep(crate::auth::POLL_EVERY * 3);
    }
    let outcome = if delete_data {
        Dav::new(store.clone(), DavConfig::default())
            .remove_user_data(user)
            .map(|()| Vec::new())
            .map_err(|e| anyhow::anyhow!("deleting the homes of {user}: {e}"))
    } else {
        move_homes_aside(&store, user, &homes)
    };
    let moved = match outcome {
        Ok(moved) => moved,
        Err(e) => {
            if let (true, Some(rec)) = (shared, record) {
                let mut db = UserDb::load_from(place.user_source(Some(&store))?)?;
                db.insert_record(user, rec)?;
                db.save()
                    .context("the data step failed and the login could not be put back")?;
            }
            return Err(e.context(format!("{user} was not removed")));
        }
    };
    if !shared && record.is_some() {
        db.remove(user)?;
        db.save()?;
    }
    match record {
        Some(_) => println!("removed user {user}"),
        None => println!("{user} has no login; cleared the homes left behind under that name"),
    }
    if delete_data {
        println!("deleted the calendars and address books of {user}");
    } else if moved.is_empty() {
        println!("{user} had no calendars or address books");
    } else {
        for (from, to) in &moved {
            println!("moved {from} to {to}");
        }
        let stamp = moved[0].1.rsplit('/').next().unwrap_or_default();
        println!(
            "no user can reach them over DAV; `davlite export --user {stamp} --collection NAME` \
             reads one back"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Moves each home to `<tree>/.removed-NAME-<unix seconds>` (with `-2`, `-3`, ... when taken).
/// A copy into the tree and a delete rather than a rename, because a copy takes the owner of its
/// new parent: renamed homes would keep counting against the quota (and the
/// `quota-used-bytes`) of whoever has the name next.
pub(crate) fn move_homes_aside(
    store: &Store,
    user: &str,
    homes: &[String],
) -> anyhow::Result<Vec<(String, String)>> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let err = |e: davlite_store::StoreError| anyhow::anyhow!("{e}");
    let mut moved = Vec::new();
    for home in homes {
        let tree = home.split('/').next().unwrap_or_default();
        let base = format!("{tree}/{REMOVED_PREFIX}{user}-{stamp}");
        let mut to = base.clone();
        let mut n = 1;
        while store
            .read()
            .and_then(|r| r.collection(&to))
            .map_err(err)?
            .is_some()
        {
            n += 1;
            to = format!("{base}-{n}");
        }
        store
            .copy_collection(home, &to, false)
            .map_err(|e| anyhow::anyhow!("copying {home} to {to}: {e}"))?;
        store
            .delete_collection(home)
            .map_err(|e| anyhow::anyhow!("deleting {home} after copying it to {to}: {e}"))?;
        moved.push((home.clone(), to));
    }
    Ok(moved)
}

/// Creates the user's homes if the store can be opened now; a running server does it instead
/// on the user's first login.
pub fn provision_cmd(place: &Place, user: &str) {
    match place.open() {
        Ok(s) => match homes_of(&s, user) {
            Ok(homes) if !homes.is_empty() => eprintln!(
                "davlite: warning: the store already holds {} (not removed with \
                 `davlite user remove`?); {user} sees what is in it. `davlite user remove {user}` \
                 then `user add` again starts them empty",
                homes.join(" and ")
            ),
            _ => provision_now(s, user),
        },
        Err(_) => println!(
            "the store is in use (server running?): {user}'s calendar and address book are created on their first login"
        ),
    }
}

fn provision_now(s: Store, user: &str) {
    {
        match Dav::new(s, DavConfig::default()).provision_user(user) {
            Ok(()) => println!("created the default calendar and address book of {user}"),
            Err(e) => eprintln!(
                "davlite: warning: could not create the homes of {user} now ({e}); the server creates them on first login"
            ),
        }
    }
}

fn open_store(place: &Place) -> anyhow::Result<Store> {
    place.open().with_context(|| "cannot open the store; if `davlite serve` is running on this data directory, stop it first")
}

/// A store path from what a person types: `calendars/alice/work`, with or without slashes
/// around it or the DAV base (`/dav/`) in front.
fn collection_path(arg: &str) -> String {
    let t = arg.trim().trim_matches('/');
    let t = t.strip_prefix("dav/").unwrap_or(t);
    t.trim_end_matches('/').to_string()
}

fn dav_error(e: davlite_dav::DavError) -> anyhow::Error {
    anyhow::anyhow!("{}", e.reason())
}

pub fn share_add_cmd(
    place: &Place,
    collection: &str,
    user: &str,
    read_write: bool,
) -> anyhow::Result<ExitCode> {
    let store = open_store(place)?;
    let users = UserDb::load_from(place.user_source(Some(&store))?)?;
    if users.get(user).is_none() {
        bail!(crate::ServerError::NoSuchUser(user.to_string()));
    }
    let path = collection_path(collection);
    let access = if read_write {
        davlite_dav::share::Access::ReadWrite
    } else {
        davlite_dav::share::Access::Read
    };
    davlite_dav::share::set(&store, &path, davlite_dav::share::Grant::new(user, access))
        .map_err(dav_error)?;
    let name = davlite_dav::share::bound_path(user, &path);
    println!(
        "shared {path} with {user} ({}); {user} finds it at {name}/",
        access.as_str()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn share_remove_cmd(place: &Place, collection: &str, user: &str) -> anyhow::Result<ExitCode> {
    let store = open_store(place)?;
    let path = collection_path(collection);
    if davlite_dav::share::remove(&store, &path, user).map_err(dav_error)? {
        println!("{user} no longer has {path}");
        Ok(ExitCode::SUCCESS)
    } else {
        bail!("{path} is not shared with {user}")
    }
}

pub fn share_list_cmd(place: &Place, owner: Option<&str>) -> anyhow::Result<ExitCode> {
    let store = open_store(place)?;
    for (path, grants) in davlite_dav::share::list(&store, owner).map_err(dav_error)? {
        for g in grants {
            let status = match g.status {
                davlite_dav::share::Status::Accepted => "",
                davlite_dav::share::Status::Declined => " (declined)",
            };
            println!("{path}\t{}\t{}{status}", g.sharee, g.access.as_str());
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn import_cmd(
    place: &Place,
    user: &str,
    collection: &str,
    files: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    let store = open_store(place)?;
    let users = UserDb::load_from(place.user_source(Some(&store))?)?;
    // A user without a login but with homes is real too: the local user of a store that
    // `davlite sync` fills has no users file.
    if users.get(user).is_none() && homes_of(&store, user)?.is_empty() {
        bail!(crate::ServerError::NoSuchUser(user.to_string()));
    }
    Dav::new(store.clone(), DavConfig::default())
        .provision_user(user)
        .map_err(|e| anyhow::anyhow!("creating the homes of {user}: {e}"))?;
    let bar = Bar::new("import", Unit::Objects);
    let report = import::import_files(&store, user, collection, files, &bar.report())?;
    bar.finish();
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
            let bar = Bar::new("export", Unit::Objects);
            let n = import::export_collection(&store, user, collection, &mut f, &bar.report())?;
            bar.finish();
            eprintln!("exported {n} objects to {}", path.display());
        }
        None => {
            // Standard output carries the data; the bar still goes to a terminal's stderr.
            let bar = Bar::new("export", Unit::Objects);
            import::export_collection(
                &store,
                user,
                collection,
                &mut std::io::stdout().lock(),
                &bar.report(),
            )?;
            bar.finish();
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn export_dump_cmd(place: &Place, path: &Path) -> anyhow::Result<ExitCode> {
    let store = open_store(place)?;
    let users = UserDb::load_from(place.user_source(Some(&store))?)?;
    let bar = Bar::new("export", Unit::Objects);
    let counts = dump::write_dump(&store, &users, path, &bar.report())?;
    bar.finish();
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
    let bar = Bar::new("restore", Unit::Bytes);
    let counts = dump::restore_dump(&store, &mut users, path, &bar.report());
    bar.finish();
    let counts = counts?;
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
    let total = store
        .read()
        .and_then(|r| r.counts())
        .map_err(|e| anyhow::anyhow!("verify: {e}"))?
        .objects;
    let bar = Bar::new("verify", Unit::Objects);
    // The total is a moment older than the verify's own snapshot: writes may land in between.
    let report = store
        .verify_with_progress(&mut |done| bar.set(done, total.max(done)))
        .map_err(|e| anyhow::anyhow!("verify: {e}"));
    if let Ok(r) = &report {
        bar.set(r.objects, r.objects.max(1));
    }
    bar.finish();
    let report = report?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homes_moved_aside_belong_to_no_possible_user() {
        // The DAV layer gives `calendars/X/...` to the user named X: the names of homes moved
        // aside must be names no user can have.
        let aside = format!("{REMOVED_PREFIX}bob-1700000000");
        assert!(crate::users::validate_name(&aside).is_err());
        assert!(crate::users::validate_name("bob-1700000000").is_ok());
    }
}
