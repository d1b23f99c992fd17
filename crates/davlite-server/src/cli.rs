//! The `davlite` command line. `main.rs` only calls [`main`].

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use crate::config::{DEFAULT_DATA, Layer};
use crate::store::Place;
use crate::users::{self, UserQuota};

#[derive(Parser)]
#[command(
    name = "davlite",
    version,
    about = "A lightweight CalDAV/CardDAV server on an embedded transactional store",
    long_about = "A lightweight CalDAV/CardDAV server on an embedded transactional store.\n\n\
        Start with `davlite serve`: on the first start it creates a user, prints its password once, \
        and listens on http://127.0.0.1:5233/. Point Apple Calendar, Thunderbird, DAVx5, Evolution \
        or vdirsyncer at that address."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the CalDAV/CardDAV server until SIGTERM or Ctrl-C.
    #[command(
        long_about = "Run the CalDAV/CardDAV server until SIGTERM or Ctrl-C.\n\n\
        Settings come from flags, then DAVLITE_* environment variables (DAVLITE_DATA, DAVLITE_LISTEN, \
        DAVLITE_BASE, DAVLITE_ALIASES, DAVLITE_TLS_CERT, DAVLITE_MAX_BODY_BYTES, ...), then the TOML \
        file given by --config or DAVLITE_CONFIG, then defaults. See README.md for every key."
    )]
    Serve(ServeArgs),
    /// Add, change, remove or list users (names and password hashes in <data>/users.toml).
    #[command(subcommand)]
    User(UserCommand),
    /// Import .ics / .vcf files into a user's calendar or address book (created if missing).
    #[command(
        long_about = "Import .ics / .vcf files into a user's calendar or address book.\n\n\
        A file with many events is split into one object per UID; a .vcf with many cards into one \
        object per card. An entry that does not validate is reported and skipped; the rest is \
        imported. Run it while the server is stopped (the server holds the store open)."
    )]
    Import(ImportArgs),
    /// Export a collection to .ics/.vcf, or the whole store to a checksummed dump.
    Export(ExportArgs),
    /// Load a dump written by `davlite export --dump` into an empty data directory.
    Restore(RestoreArgs),
    /// Sync a user's calendars and address books both ways with a CalDAV/CardDAV account.
    #[command(
        long_about = "Sync a user's calendars and address books both ways with a CalDAV/CardDAV \
        account.\n\n\
        Every remote calendar and address book is synced with the local collection of --user named \
        after the remote collection's last path segment (created when missing). An item changed on \
        both sides is decided by --conflict; the other version is kept in <name>-conflicts and \
        reported. Run it while the server is stopped (the server holds the store open)."
    )]
    Sync(SyncArgs),
    /// Share a calendar or address book with another user, read-only or read-write; end or list shares.
    #[command(
        subcommand,
        long_about = "Share a calendar or address book with another user.\n\n\
        COLLECTION is the store path of an owner's calendar or address book, as in its URL below \
        the DAV base: calendars/alice/work or addressbooks/alice/default. The sharee finds it in \
        their own home as <name>~<owner> (calendars/bob/work~alice/). Clients can share too, with \
        the CalendarServer sharing protocol (Apple Calendar). With the redb store, run it while \
        the server is stopped (the server holds the store open); with PostgreSQL, any time."
    )]
    Share(ShareCommand),
    /// Check every record of the store (checksums, indexes) and the users file.
    Verify(DataArg),
    /// Bring a PostgreSQL store (--store) to this version's schema; `serve` does it on start too.
    Migrate(DataArg),
    /// Write a dump of the whole store from one snapshot, while the server keeps serving.
    #[command(
        long_about = "Write a dump of the whole store (every collection, object and user) from one \
        consistent snapshot, in the format of `export --dump`; `davlite restore FILE --data NEWDIR` \
        reads it back.\n\n\
        With `davlite serve` running on the data directory, the server writes the file (asked \
        through <data>/davlite.sock) and keeps accepting writes meanwhile; they are not in the \
        backup. Without a server, the store is opened directly. The outcome is recorded in \
        <data>/last-backup.json."
    )]
    Backup(BackupArgs),
    /// Load-test any CalDAV/CardDAV server (davlite, Radicale, Xandikos, ...). `davlite bench --help` lists the workloads.
    #[command(disable_help_flag = true)]
    Bench {
        /// Arguments for the benchmark tool.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// One HTML report with charts from earlier `davlite bench --json` output, of one or several servers (scripts/compare-peers --report uses it).
    #[command(name = "bench-report", disable_help_flag = true)]
    BenchReport {
        /// Arguments for the report writer (`davlite bench-report --help`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

#[derive(Args)]
struct DataArg {
    /// Data directory (holds davlite.redb and users.toml).
    #[arg(long, env = "DAVLITE_DATA", default_value = DEFAULT_DATA)]
    data: PathBuf,
    /// The store: `redb` (in --data, the default) or a PostgreSQL URL shared by several servers
    /// (postgres://user@host/db); users then live in the database too.
    #[arg(long, env = "DAVLITE_STORE")]
    store: Option<String>,
}

impl DataArg {
    fn place(&self) -> Result<Place, crate::ServerError> {
        Place::new(self.data.clone(), self.store.as_deref())
    }
}

#[derive(Args)]
struct ServeArgs {
    /// Data directory [default: ./davlite-data] [env: DAVLITE_DATA]
    #[arg(long)]
    data: Option<PathBuf>,
    /// The store: `redb` in --data, or a PostgreSQL URL that several servers share [default: redb] [env: DAVLITE_STORE]
    #[arg(long)]
    store: Option<String>,
    /// Address and port to listen on [default: 127.0.0.1:5233] [env: DAVLITE_LISTEN]
    #[arg(long)]
    listen: Option<String>,
    /// URL path of the DAV tree [default: /dav/] [env: DAVLITE_BASE]
    #[arg(long)]
    base: Option<String>,
    /// Another URL path reaching the same tree, e.g. /caldav/ (repeatable) [env: DAVLITE_ALIASES, comma-separated]
    #[arg(long = "alias")]
    aliases: Vec<String>,
    /// TOML file with the same settings [env: DAVLITE_CONFIG]
    #[arg(long)]
    config: Option<PathBuf>,
    /// PEM certificate chain; serves HTTPS together with --tls-key [env: DAVLITE_TLS_CERT]
    #[arg(long)]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert [env: DAVLITE_TLS_KEY]
    #[arg(long)]
    tls_key: Option<PathBuf>,
    /// Largest request body in bytes [default: 16 MiB] [env: DAVLITE_MAX_BODY_BYTES]
    #[arg(long)]
    max_body_bytes: Option<u64>,
    /// Connections served at once [default: 1024] [env: DAVLITE_MAX_CONNECTIONS]
    #[arg(long)]
    max_connections: Option<usize>,
    /// Serve GET /metrics (Prometheus text format) to clients on this machine [env: DAVLITE_METRICS]
    #[arg(long)]
    metrics: bool,
    /// Log lines as `text` or `json` (one object a line, for log collectors) [default: text] [env: DAVLITE_LOG_FORMAT]
    #[arg(long, value_parser = ["text", "json"])]
    log_format: Option<String>,
    /// Bytes each user may store unless `davlite user set --quota` says otherwise [default: no quota] [env: DAVLITE_QUOTA_BYTES]
    #[arg(long)]
    quota_bytes: Option<u64>,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user with a default calendar and address book. Without a password option, one is generated and printed.
    Add {
        name: String,
        #[command(flatten)]
        password: PasswordArgs,
        /// Bytes this user may store, or `none` [default: the server's quota_bytes]
        #[arg(long, value_parser = parse_quota)]
        quota: Option<UserQuota>,
        /// May manage users and see the server status on the web page.
        #[arg(long)]
        admin: bool,
        #[command(flatten)]
        principal: PrincipalArgs,
        #[command(flatten)]
        data: DataArg,
    },
    /// Set a new password. Without a password option, one is generated and printed.
    Passwd {
        name: String,
        #[command(flatten)]
        password: PasswordArgs,
        #[command(flatten)]
        data: DataArg,
    },
    /// Remove a user: their login, and their calendars and address books from where a new user of the same name would find them.
    #[command(
        long_about = "Remove a user: their login, and their calendars and address books \
        from where a new user of the same name would find them.\n\n\
        Without --delete-data the data is kept, moved to calendars/.removed-NAME-<unix seconds> \
        and addressbooks/.removed-NAME-<unix seconds>, which no user can reach (`davlite export \
        --user .removed-NAME-<unix seconds> --collection C` reads it back). With --delete-data it \
        is deleted. Either way `user add NAME` afterwards starts with empty homes.\n\n\
        The embedded store is held by a running server: stop it first (the command refuses and \
        removes nothing otherwise). A PostgreSQL store works while servers run."
    )]
    Remove {
        name: String,
        /// Delete the user's calendars and address books instead of moving them aside.
        #[arg(long)]
        delete_data: bool,
        #[command(flatten)]
        data: DataArg,
    },
    /// List user names.
    List {
        #[command(flatten)]
        data: DataArg,
    },
    /// Change a user's settings; a running server applies them within a second or two.
    Set {
        name: String,
        /// Bytes this user may store, `none` for no quota, or `default` for the server's quota_bytes.
        #[arg(long, value_parser = parse_quota_setting)]
        quota: Option<QuotaSetting>,
        /// Make the user an administrator of the web page (users, server status).
        #[arg(long, conflicts_with = "no_admin")]
        admin: bool,
        /// Take the administrator rights away.
        #[arg(long)]
        no_admin: bool,
        #[command(flatten)]
        principal: PrincipalArgs,
        /// Remove all of the user's e-mail addresses.
        #[arg(long, conflicts_with = "email")]
        no_email: bool,
        #[command(flatten)]
        data: DataArg,
    },
    /// App passwords: revocable per-device secrets that log in like the password.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand)]
enum ShareCommand {
    /// Share COLLECTION with USER (read-only unless --read-write); run again to change the access.
    Add {
        collection: String,
        user: String,
        /// Let USER create, change and delete the collection's members.
        #[arg(long)]
        read_write: bool,
        #[command(flatten)]
        data: DataArg,
    },
    /// End USER's share of COLLECTION at once.
    Remove {
        collection: String,
        user: String,
        #[command(flatten)]
        data: DataArg,
    },
    /// List shared collections and their sharees (only OWNER's when given).
    List {
        owner: Option<String>,
        #[command(flatten)]
        data: DataArg,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an app password and print it (only this once; only its hash is kept).
    Add {
        name: String,
        /// What the token is for, e.g. the device ("phone").
        #[arg(long, default_value = "")]
        label: String,
        #[command(flatten)]
        data: DataArg,
    },
    /// List a user's app passwords: id, label, creation time.
    List {
        name: String,
        #[command(flatten)]
        data: DataArg,
    },
    /// Revoke app passwords by id or label; a running server refuses them within a second or two.
    Revoke {
        name: String,
        /// Token id or label.
        which: String,
        #[command(flatten)]
        data: DataArg,
    },
}

/// `--quota` of `user set`: a value, or back to the server default.
#[derive(Clone, Copy)]
enum QuotaSetting {
    Set(UserQuota),
    Default,
}

fn parse_quota(v: &str) -> Result<UserQuota, String> {
    match v.trim() {
        "none" => Ok(UserQuota::Unlimited),
        n => n
            .parse()
            .map(UserQuota::Bytes)
            .map_err(|_| format!("{v:?} is neither a number of bytes nor `none`")),
    }
}

fn parse_quota_setting(v: &str) -> Result<QuotaSetting, String> {
    if v.trim() == "default" {
        return Ok(QuotaSetting::Default);
    }
    parse_quota(v).map(QuotaSetting::Set)
}

/// What other users see of a user: their calendar user addresses and name.
#[derive(Args)]
struct PrincipalArgs {
    /// An e-mail address of the user (repeat for several, preferred first): others find and
    /// invite them by it, and it is their `mailto:` calendar user address. With `user set`, the
    /// addresses given replace the old ones.
    #[arg(long = "email", value_name = "ADDR")]
    email: Vec<String>,
    /// The name other users see (`DAV:displayname` of the principal) [default: the user name];
    /// `""` clears it.
    #[arg(long, value_name = "NAME")]
    displayname: Option<String>,
}

impl PrincipalArgs {
    fn is_empty(&self) -> bool {
        self.email.is_empty() && self.displayname.is_none()
    }

    /// Applies what was given; says what changed, one line each.
    fn apply(
        &self,
        db: &mut crate::users::UserDb,
        name: &str,
        clear_email: bool,
    ) -> anyhow::Result<Vec<String>> {
        let mut said = Vec::new();
        if !self.email.is_empty() || clear_email {
            db.set_emails(name, &self.email)?;
            let now = &db
                .get(name)
                .map(|r| r.emails.join(", "))
                .unwrap_or_default();
            said.push(if now.is_empty() {
                format!("e-mail addresses of {name}: none")
            } else {
                format!("e-mail addresses of {name}: {now}")
            });
        }
        if let Some(d) = &self.displayname {
            db.set_displayname(name, Some(d))?;
            let now = db.get(name).and_then(|r| r.displayname.clone());
            said.push(format!(
                "display name of {name}: {}",
                now.as_deref().unwrap_or("(the user name)")
            ));
        }
        Ok(said)
    }
}

#[derive(Args)]
#[group(multiple = false)]
struct PasswordArgs {
    /// The password (visible in the process list and shell history; prefer --password-stdin).
    #[arg(long)]
    password: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Args)]
struct ImportArgs {
    /// Owner of the collection.
    #[arg(long)]
    user: String,
    /// Calendar or address book name (one URL segment); created if missing.
    #[arg(long)]
    collection: String,
    /// .ics or .vcf files (all of one kind).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    data: DataArg,
}

#[derive(Args)]
struct ExportArgs {
    /// Owner of the collection to export.
    #[arg(long, requires = "collection", conflicts_with = "dump")]
    user: Option<String>,
    /// Calendar or address book to export as one .ics / .vcf stream.
    #[arg(long, requires = "user")]
    collection: Option<String>,
    /// Write the whole store (every collection, object and user) to this dump file.
    #[arg(long, required_unless_present = "collection")]
    dump: Option<PathBuf>,
    /// Output file for a collection export [default: standard output].
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[command(flatten)]
    data: DataArg,
}

#[derive(Args)]
struct BackupArgs {
    /// The dump file to write (replaced atomically when complete; mode 0600).
    #[arg(long)]
    to: PathBuf,
    #[command(flatten)]
    data: DataArg,
}

#[derive(Args)]
struct SyncArgs {
    /// The account's URL (https://, or http:// on a trusted network): the server root, a
    /// principal or a home.
    #[arg(long)]
    url: String,
    /// A PEM file of certificates to trust for https besides the system's roots (a self-hosted
    /// server's CA or self-signed certificate).
    #[arg(long, value_name = "PATH")]
    ca_file: Option<PathBuf>,
    /// The user, both on the server and locally.
    #[arg(long)]
    user: String,
    /// Read the server password from the first line of standard input.
    #[arg(long, required = true)]
    password_stdin: bool,
    /// Print one JSON summary object.
    #[arg(long)]
    json: bool,
    /// Who wins when an item changed on both sides: remote, local, or newest (by SEQUENCE,
    /// then LAST-MODIFIED).
    #[arg(long, default_value = "remote", value_parser = ["remote", "local", "newest"])]
    conflict: String,
    /// Also make on the server the local calendars and address books it does not have (ones
    /// never synced), named as locally, and sync them.
    #[arg(long)]
    create_remote: bool,
    #[command(flatten)]
    data: DataArg,
}

#[derive(Args)]
struct RestoreArgs {
    /// A file written by `davlite export --dump`.
    dump: PathBuf,
    #[command(flatten)]
    data: DataArg,
}

/// Parses the command line and runs the command; errors are printed as one message.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("davlite: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => {
            crate::serve::run(serve_config(args)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::User(cmd) => user(cmd),
        Command::Import(a) => {
            crate::admin::import_cmd(&a.data.place()?, &a.user, &a.collection, &a.files)
        }
        Command::Export(a) => match (a.dump, a.user, a.collection) {
            (Some(dump), _, _) => crate::admin::export_dump_cmd(&a.data.place()?, &dump),
            (None, Some(user), Some(coll)) => crate::admin::export_collection_cmd(
                &a.data.place()?,
                &user,
                &coll,
                a.output.as_deref(),
            ),
            _ => bail!("give --dump FILE, or --user NAME --collection NAME"),
        },
        Command::Restore(a) => crate::admin::restore_cmd(&a.data.place()?, &a.dump),
        Command::Sync(a) => {
            let _ = a.password_stdin;
            let policy = match a.conflict.as_str() {
                "local" => davlite_sync::Policy::LocalWins,
                "newest" => davlite_sync::Policy::Newest,
                _ => davlite_sync::Policy::RemoteWins,
            };
            crate::sync::sync_cmd(
                &a.data.place()?,
                &a.url,
                a.ca_file.as_deref(),
                &a.user,
                policy,
                a.create_remote,
                a.json,
            )
        }
        Command::Share(cmd) => share(cmd),
        Command::Verify(a) => crate::admin::verify_cmd(&a.place()?),
        Command::Migrate(a) => {
            let place = a.place()?;
            match crate::store::migrate(&place)? {
                Some(v) => println!("{}: schema version {v}", place.describe()),
                None => println!(
                    "{}: the embedded store needs no migration",
                    place.describe()
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup(a) => crate::backup::backup_cmd(&a.data.place()?, &a.to),
        Command::Bench { args } => Ok(crate::bench::run(args)),
        Command::BenchReport { args } => Ok(crate::bench::report(args)),
    }
}

fn serve_config(args: ServeArgs) -> anyhow::Result<crate::ServeConfig> {
    let flags = Layer {
        data: args.data,
        store: args.store,
        listen: args.listen,
        base: args.base,
        aliases: (!args.aliases.is_empty()).then_some(args.aliases),
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
        max_body_bytes: args.max_body_bytes,
        max_connections: args.max_connections,
        metrics: args.metrics.then_some(true),
        log_format: args.log_format,
        quota_bytes: args.quota_bytes,
        ..Layer::default()
    };
    let env = Layer::from_env(|k| std::env::var(k).ok())?;
    let file = match args
        .config
        .or_else(|| std::env::var_os("DAVLITE_CONFIG").map(PathBuf::from))
    {
        Some(path) => Layer::from_file(&path)?,
        None => Layer::default(),
    };
    Ok(flags.over(env.over(file)).resolve()?)
}

fn user(cmd: UserCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        UserCommand::Add {
            name,
            password,
            quota,
            admin,
            principal,
            data,
        } => {
            let (pw, generated) = password_from(&password)?;
            let mut db = data.place()?.users()?;
            db.add(&name, &pw)?;
            if quota.is_some() {
                db.set_quota(&name, quota)?;
            }
            db.set_admin(&name, admin)?;
            principal.apply(&mut db, &name, false)?;
            db.save()?;
            println!("added user {name}");
            if generated {
                println!("password: {pw}");
            }
            crate::admin::provision_cmd(&data.place()?, &name);
        }
        UserCommand::Passwd {
            name,
            password,
            data,
        } => {
            let mut db = data.place()?.users()?;
            if db.get(&name).is_none() {
                bail!(crate::ServerError::NoSuchUser(name));
            }
            let (pw, generated) = password_from(&password)?;
            db.set_password(&name, &pw)?;
            db.save()?;
            println!("changed the password of {name}; a running server applies it within a second");
            if generated {
                println!("password: {pw}");
            }
        }
        UserCommand::Remove {
            name,
            delete_data,
            data,
        } => return crate::admin::remove_user_cmd(&data.place()?, &name, delete_data),
        UserCommand::List { data } => {
            let db = data.place()?.users()?;
            for name in db.names() {
                println!("{name}");
            }
        }
        UserCommand::Set {
            name,
            quota,
            admin,
            no_admin,
            principal,
            no_email,
            data,
        } => {
            let mut db = data.place()?.users()?;
            if quota.is_none() && principal.is_empty() && !no_email && !admin && !no_admin {
                bail!(
                    "nothing to set; give --quota BYTES|none|default, --email ADDR, --no-email, --displayname NAME, --admin or --no-admin"
                );
            }
            if db.get(&name).is_none() {
                bail!(crate::ServerError::NoSuchUser(name));
            }
            let mut said = Vec::new();
            if admin || no_admin {
                db.set_admin(&name, admin)?;
                said.push(format!(
                    "{name} {} an administrator",
                    if admin { "is now" } else { "is no longer" }
                ));
            }
            if let Some(quota) = quota {
                let value = match quota {
                    QuotaSetting::Set(q) => Some(q),
                    QuotaSetting::Default => None,
                };
                db.set_quota(&name, value)?;
                said.push(match value {
                    Some(q) => format!("quota of {name}: {q}"),
                    None => format!("quota of {name}: the server's quota_bytes"),
                });
            }
            said.extend(principal.apply(&mut db, &name, no_email)?);
            db.save()?;
            for line in said {
                println!("{line}; a running server applies it within a second");
            }
        }
        UserCommand::Token(cmd) => token(cmd)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn share(cmd: ShareCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ShareCommand::Add {
            collection,
            user,
            read_write,
            data,
        } => crate::admin::share_add_cmd(&data.place()?, &collection, &user, read_write),
        ShareCommand::Remove {
            collection,
            user,
            data,
        } => crate::admin::share_remove_cmd(&data.place()?, &collection, &user),
        ShareCommand::List { owner, data } => {
            crate::admin::share_list_cmd(&data.place()?, owner.as_deref())
        }
    }
}

fn token(cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Add { name, label, data } => {
            let mut db = data.place()?.users()?;
            let (id, secret) = db.add_token(&name, &label)?;
            db.save()?;
            println!("added app password {id} for {name}; it is shown only this once:");
            println!("token: {secret}");
        }
        TokenCommand::List { name, data } => {
            let db = data.place()?.users()?;
            let rec = db
                .get(&name)
                .ok_or_else(|| crate::ServerError::NoSuchUser(name.clone()))?;
            for t in &rec.tokens {
                println!("{}\t{}\tcreated {}", t.id, t.label, t.created);
            }
        }
        TokenCommand::Revoke { name, which, data } => {
            let mut db = data.place()?.users()?;
            let n = db.revoke_token(&name, &which)?;
            if n == 0 {
                bail!("{name} has no app password with id or label {which:?}");
            }
            db.save()?;
            println!(
                "revoked {n} app password(s) of {name}; a running server refuses them within a second"
            );
        }
    }
    Ok(())
}

/// The password given by a flag or on stdin, or a generated one (second value true).
fn password_from(args: &PasswordArgs) -> anyhow::Result<(String, bool)> {
    if let Some(pw) = &args.password {
        return Ok((pw.clone(), false));
    }
    if args.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let pw = line.trim_end_matches(['\r', '\n']).to_string();
        if pw.is_empty() {
            bail!("no password on standard input");
        }
        return Ok((pw, false));
    }
    Ok((users::generate_password(), true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn exact_forms_parse() {
        let parse = |s: &str| {
            Cli::try_parse_from(s.split_whitespace())
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        parse("davlite serve --data d --listen 127.0.0.1:1 --base /x/ --alias /a/ --alias /b/ --config c.toml").unwrap();
        parse("davlite user add bob --password pw --data d").unwrap();
        parse("davlite user add bob --password-stdin").unwrap();
        assert!(parse("davlite user add bob --password pw --password-stdin").is_err());
        parse("davlite user passwd bob").unwrap();
        parse("davlite user remove bob --data d").unwrap();
        parse("davlite user remove bob --delete-data --data d").unwrap();
        parse("davlite user list --data d").unwrap();
        parse("davlite user add bob --email b@x.org --email bob@y.org --displayname Bob").unwrap();
        parse("davlite user set bob --email b@x.org --data d").unwrap();
        parse("davlite user set bob --no-email --displayname X --data d").unwrap();
        assert!(parse("davlite user set bob --no-email --email b@x.org").is_err());
        parse("davlite import --user bob --collection work a.ics b.ics").unwrap();
        parse("davlite export --user bob --collection work -o out.ics").unwrap();
        parse("davlite export --dump all.dump").unwrap();
        assert!(parse("davlite export").is_err());
        parse("davlite restore all.dump --data d").unwrap();
        parse("davlite verify --data d").unwrap();
        parse("davlite backup --to b.dump --data d").unwrap();
        assert!(parse("davlite backup --data d").is_err());
        parse("davlite serve --metrics").unwrap();
        parse("davlite bench --url http://x/ --workload get").unwrap();
        parse("davlite bench-report --from a.jsonl b.jsonl --out r.html").unwrap();
    }
}
