//! `davlite sync`: two-way sync of a local user's collections with a CalDAV/CardDAV account,
//! through davlite-sync.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context, bail};
use davlite_dav::{Dav, DavConfig};
use davlite_sync::{Account, Policy, Progress, SyncOptions};

use crate::store::Place;

pub fn sync_cmd(
    place: &Place,
    url: &str,
    ca_file: Option<&std::path::Path>,
    user: &str,
    policy: Policy,
    create_remote: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    let store = place.open().with_context(|| {
        "cannot open the store; if `davlite serve` is running on this data directory, stop it first"
    })?;
    Dav::new(store.clone(), DavConfig::default())
        .provision_user(user)
        .map_err(|e| anyhow::anyhow!("creating the homes of {user}: {e}"))?;
    let account = Account {
        url: url.to_string(),
        user: user.to_string(),
        password,
        ca_file: ca_file.map(|p| p.to_path_buf()),
    };
    let options = SyncOptions {
        policy,
        create_remote,
        ..SyncOptions::for_user(user)
    };
    let tty = std::io::stderr().is_terminal();
    // Collections are synced several at once: the line counts those started, and the items
    // of all of them.
    let (mut started, mut of, mut fetched, mut pushed) = (0, 0, 0, 0);
    let mut progress = |p: &Progress<'_>| {
        if !tty {
            return;
        }
        match p {
            Progress::Collection { total, .. } => {
                started += 1;
                of = *total;
            }
            Progress::Fetched { total } => fetched = *total,
            Progress::Pushed { total } => pushed = *total,
            Progress::Discovered { .. } => return,
        }
        eprint!("\r\x1b[K{started}/{of} collections: {fetched} fetched, {pushed} pushed");
    };
    let summary = davlite_sync::sync(&store, &account, &options, &mut progress)?;
    if tty {
        eprintln!();
    }
    if json {
        let conflicts: Vec<_> = summary
            .conflicts
            .iter()
            .map(|c| {
                serde_json::json!({
                    "collection": c.collection,
                    "name": c.name,
                    "href": c.href,
                    "what": c.what,
                    "loser_copy": c.loser_copy,
                })
            })
            .collect();
        let out = serde_json::json!({
            "collections": summary.collections,
            "fetched": summary.fetched,
            "deleted_local": summary.deleted_local,
            "pushed": summary.pushed,
            "created_remote": summary.created_remote,
            "deleted_remote": summary.deleted_remote,
            "rewritten": summary.rewritten,
            "conflicts": summary.conflicts.len(),
            "conflict_details": conflicts,
            "errors": summary.errors,
            "requests": summary.requests,
        });
        println!("{out}");
    } else {
        println!(
            "synced {} collections ({} made on the server): {} fetched, {} deleted locally, {} pushed, {} deleted on the server, {} conflicts, {} errors",
            summary.collections,
            summary.created_remote,
            summary.fetched,
            summary.deleted_local,
            summary.pushed,
            summary.deleted_remote,
            summary.conflicts.len(),
            summary.errors.len()
        );
        for c in &summary.conflicts {
            println!(
                "conflict: {}/{}: {}{}",
                c.collection,
                c.name,
                c.what,
                c.loser_copy
                    .as_ref()
                    .map(|l| format!(" (other version kept as {l})"))
                    .unwrap_or_default()
            );
        }
    }
    for e in &summary.errors {
        eprintln!("davlite sync: {e}");
    }
    Ok(if summary.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
