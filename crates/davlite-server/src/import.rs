//! `davlite import` and the collection side of `davlite export`.
//!
//! An .ics export of a whole calendar is split into one object per UID (with the time zones each
//! needs), a .vcf into one object per card; every piece is validated like a PUT, so what is
//! imported is exactly what a client could have stored. A piece that does not validate is
//! reported and skipped. Object names come from the UID, so importing the same file twice
//! updates instead of duplicating.

use crate::progress::Report;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use davlite_formats::{Charset, ParseOptions, ParsedObject, split_calendar, split_vcards};
use davlite_proto::{PropValue, QName};
use davlite_store::{CollectionKind, Limits, NewCollection, Precondition, Store, StoreError};

use crate::ServerError;

/// Which kind of collection an import fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Calendar,
    Cards,
}

impl Kind {
    fn top(self) -> &'static str {
        match self {
            Kind::Calendar => "calendars",
            Kind::Cards => "addressbooks",
        }
    }

    fn ext(self) -> &'static str {
        match self {
            Kind::Calendar => "ics",
            Kind::Cards => "vcf",
        }
    }

    fn collection_kind(self) -> CollectionKind {
        match self {
            Kind::Calendar => CollectionKind::Calendar,
            Kind::Cards => CollectionKind::AddressBook,
        }
    }

    /// From the file name, else from the first line of the content.
    pub fn of_file(path: &Path, bytes: &[u8]) -> Option<Kind> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("ics" | "ical" | "ifb" | "icalendar") => return Some(Kind::Calendar),
            Some("vcf" | "vcard") => return Some(Kind::Cards),
            _ => {}
        }
        let start = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let head = String::from_utf8_lossy(&start[..start.len().min(64)])
            .trim_start()
            .to_ascii_uppercase();
        if head.starts_with("BEGIN:VCALENDAR") {
            Some(Kind::Calendar)
        } else if head.starts_with("BEGIN:VCARD") {
            Some(Kind::Cards)
        } else {
            None
        }
    }
}

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub collection: String,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// (file, entry number from 1, reason) of every piece left out.
    pub skipped: Vec<(PathBuf, usize, String)>,
}

/// The store path of a user's collection of this kind.
pub fn collection_path(kind: Kind, user: &str, collection: &str) -> String {
    format!("{}/{user}/{collection}", kind.top())
}

fn validate_collection_name(name: &str) -> Result<(), ServerError> {
    let ok = !name.is_empty()
        && name.len() <= 200
        && name != "."
        && name != ".."
        && !name.contains(['/', '\0', '\\']);
    if ok {
        Ok(())
    } else {
        Err(ServerError::config(
            "collection",
            format!("{name:?} is not a single path segment"),
        ))
    }
}

fn store_err(e: StoreError) -> ServerError {
    ServerError::Store(e.to_string())
}

/// Makes sure the target collection exists with the right kind.
fn ensure_collection(
    store: &Store,
    kind: Kind,
    user: &str,
    collection: &str,
) -> Result<String, ServerError> {
    let path = collection_path(kind, user, collection);
    if let Some(existing) = store.collection(&path).map_err(store_err)? {
        if existing.kind != kind.collection_kind() {
            return Err(ServerError::Store(format!(
                "{path} exists but is not a {}",
                if kind == Kind::Calendar {
                    "calendar"
                } else {
                    "address book"
                }
            )));
        }
        return Ok(path);
    }
    let name = QName::dav("displayname");
    let limits = Limits {
        components: if kind == Kind::Calendar {
            davlite_formats::ComponentSet::ALL_CALENDAR
        } else {
            davlite_formats::ComponentSet::NONE
        },
        ..Limits::default()
    };
    let new = NewCollection {
        kind: kind.collection_kind(),
        owner: user.to_string(),
        limits,
        props: vec![(
            name.to_clark(),
            PropValue::from_text(collection).to_xml(&name).into_bytes(),
        )],
    };
    store.create_collection(&path, new).map_err(store_err)?;
    Ok(path)
}

/// A URL-safe object name from the UID, or a hash of it (or of the bytes, without UID).
pub fn object_name(uid: Option<&str>, bytes: &[u8], ext: &str) -> String {
    match uid {
        Some(u)
            if !u.is_empty()
                && u.len() <= 180
                && u.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.@+=".contains(&b))
                && !u.starts_with('.') =>
        {
            format!("{u}.{ext}")
        }
        Some(u) => format!("{}.{ext}", &blake3::hash(u.as_bytes()).to_hex()[..32]),
        None => format!("{}.{ext}", &blake3::hash(bytes).to_hex()[..32]),
    }
}

/// Imports `files` into `<kind>/<user>/<collection>`; `progress(done, total)` after each piece.
pub fn import_files(
    store: &Store,
    user: &str,
    collection: &str,
    files: &[PathBuf],
    progress: Report<'_>,
) -> Result<ImportReport, ServerError> {
    let mut sources = Vec::with_capacity(files.len());
    for file in files {
        let bytes = std::fs::read(file).map_err(|e| ServerError::io(file, e))?;
        sources.push((file.clone(), bytes));
    }
    import_sources(store, user, collection, sources, progress)
}

/// Imports files already read, each `(name, bytes)` (the web page's uploads), exactly as
/// [`import_files`] does; the name tells the kind (by extension) and names the file in the
/// report.
pub fn import_sources(
    store: &Store,
    user: &str,
    collection: &str,
    sources: Vec<(PathBuf, Vec<u8>)>,
    progress: Report<'_>,
) -> Result<ImportReport, ServerError> {
    validate_collection_name(collection)?;
    let mut kind = None;
    let mut pieces: Vec<(PathBuf, usize, Result<ParsedObject, String>)> = Vec::new();
    let mut skipped = Vec::new();
    for (file, bytes) in sources {
        let file = &file;
        let k = Kind::of_file(file, &bytes).ok_or_else(|| {
            ServerError::config(
                "FILE",
                format!("{}: neither iCalendar nor vCard", file.display()),
            )
        })?;
        if *kind.get_or_insert(k) != k {
            return Err(ServerError::config(
                "FILE",
                "all files of one import must be of one kind (.ics or .vcf)",
            ));
        }
        let charset = if std::str::from_utf8(&bytes).is_ok() {
            Charset::Utf8
        } else {
            Charset::Windows1252
        };
        let opts = ParseOptions::import(charset);
        let split = match k {
            // An iCalendar stream (our own export) is split one VCALENDAR at a time, so each
            // keeps its own time zones and line endings.
            Kind::Calendar => davlite_formats::vcalendar_blocks(&bytes)
                .into_iter()
                .map(split_calendar)
                .collect::<Result<Vec<_>, _>>()
                .map(|v| v.concat()),
            Kind::Cards => split_vcards(&bytes),
        };
        let split = match split {
            Ok(s) => s,
            Err(e) => {
                skipped.push((file.clone(), 0, e.to_string()));
                continue;
            }
        };
        for (i, piece) in split.into_iter().enumerate() {
            let parsed = piece.map_err(|e| e.to_string()).and_then(|b| {
                match k {
                    Kind::Calendar => ParsedObject::calendar_with(b, &opts),
                    Kind::Cards => ParsedObject::vcard_with(b, &opts),
                }
                .map_err(|e| e.to_string())
            });
            pieces.push((file.clone(), i + 1, parsed));
        }
    }
    let Some(kind) = kind else {
        return Err(ServerError::config("FILE", "no files given"));
    };
    let path = ensure_collection(store, kind, user, collection)?;
    let report = Mutex::new(ImportReport {
        collection: path.clone(),
        skipped,
        ..ImportReport::default()
    });
    let total = pieces.len();
    let done = AtomicUsize::new(0);
    // Several writers at once let the store's group commit put many objects under one fsync.
    // Pieces that land on the same object (one UID in several files, or twice in one file) go
    // to the same writer in input order, so the last one wins every time, not whichever thread
    // happened to be slower.
    let workers = 8.min(total.max(1));
    let mut queues: Vec<Vec<usize>> = vec![Vec::new(); workers];
    for (i, (_, _, parsed)) in pieces.iter().enumerate() {
        let key = match parsed {
            Ok(obj) => object_name(obj.info().uid.as_deref(), obj.bytes(), kind.ext()),
            Err(_) => String::new(),
        };
        let shard = blake3::hash(key.as_bytes()).as_bytes()[0] as usize % workers;
        queues[shard].push(i);
    }
    std::thread::scope(|s| {
        for queue in &queues {
            let (pieces, report, done, path) = (&pieces, &report, &done, &path);
            s.spawn(move || {
                for &i in queue {
                    let (file, entry, parsed) = &pieces[i];
                    let outcome = match parsed {
                        Err(e) => Err(e.clone()),
                        Ok(obj) => put_object(store, path, kind, obj.clone()),
                    };
                    {
                        let mut r = report.lock().expect("report lock");
                        match outcome {
                            Ok(Stored::Created) => r.created += 1,
                            Ok(Stored::Updated) => r.updated += 1,
                            Ok(Stored::Unchanged) => r.unchanged += 1,
                            Err(e) => r.skipped.push((file.clone(), *entry, e)),
                        }
                    }
                    progress(
                        (done.fetch_add(1, Ordering::Relaxed) + 1) as u64,
                        total as u64,
                    );
                }
            });
        }
    });
    let mut report = report.into_inner().expect("report lock");
    report.skipped.sort();
    Ok(report)
}

enum Stored {
    Created,
    Updated,
    Unchanged,
}

fn put_object(store: &Store, coll: &str, kind: Kind, obj: ParsedObject) -> Result<Stored, String> {
    let mut name = object_name(obj.info().uid.as_deref(), obj.bytes(), kind.ext());
    // The UID may already live under another name (stored by a client): update that object.
    if let Some(Ok(Some(existing))) = obj
        .info()
        .uid
        .as_deref()
        .map(|uid| store.find_uid(coll, uid))
    {
        name = existing;
    }
    match store.put(coll, &name, obj, Precondition::None) {
        Ok(o) if o.created => Ok(Stored::Created),
        Ok(o) if o.changed => Ok(Stored::Updated),
        Ok(_) => Ok(Stored::Unchanged),
        Err(e) => Err(e.to_string()),
    }
}

/// Writes every object of a collection, in name order, as one stream: concatenated VCALENDAR
/// objects (an iCalendar stream, RFC 5545 §3.4) or vCards. Each object's bytes are written
/// exactly as stored.
pub fn export_collection(
    store: &Store,
    user: &str,
    collection: &str,
    out: &mut dyn Write,
    progress: Report<'_>,
) -> Result<usize, ServerError> {
    let reader = store.read().map_err(store_err)?;
    let path = [Kind::Calendar, Kind::Cards]
        .into_iter()
        .map(|k| collection_path(k, user, collection))
        .find(|p| reader.collection(p).ok().flatten().is_some())
        .ok_or_else(|| {
            ServerError::Store(format!(
                "user {user} has no calendar or address book named {collection:?}"
            ))
        })?;
    export_path(&reader, &path, out, progress)
}

/// Writes every object of the collection at store path `path` as one stream, like
/// [`export_collection`] (which finds the path from a user and a collection name).
pub fn export_path(
    reader: &davlite_store::Reader,
    path: &str,
    out: &mut dyn Write,
    progress: Report<'_>,
) -> Result<usize, ServerError> {
    let mut n = 0;
    let members = reader.list(path).map_err(store_err)?;
    let total = members.len() as u64;
    progress(0, total);
    for (name, _) in members {
        let Some((_, bytes)) = reader.get(path, &name).map_err(store_err)? else {
            continue;
        };
        out.write_all(&bytes)
            .map_err(|e| ServerError::io("export output", e))?;
        // Objects must not run into each other when one was stored without a final line end.
        if !bytes.ends_with(b"\n") && !bytes.ends_with(b"\r") {
            out.write_all(b"\r\n")
                .map_err(|e| ServerError::io("export output", e))?;
        }
        n += 1;
        progress(n as u64, total);
    }
    out.flush()
        .map_err(|e| ServerError::io("export output", e))?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_uids_are_url_safe() {
        assert_eq!(
            object_name(Some("abc-123@example.org"), b"", "ics"),
            "abc-123@example.org.ics"
        );
        let odd = object_name(Some("a/b c"), b"", "ics");
        assert!(odd.ends_with(".ics") && odd.len() == 36 && !odd.contains('/'));
        assert_ne!(
            object_name(None, b"x", "vcf"),
            object_name(None, b"y", "vcf")
        );
    }

    #[test]
    fn streams_split_into_calendars() {
        let one = b"BEGIN:VCALENDAR\r\nX:1\r\nEND:VCALENDAR\r\n";
        assert_eq!(davlite_formats::vcalendar_blocks(one), vec![&one[..]]);
        let two = b"BEGIN:VCALENDAR\nA\nEND:VCALENDAR\nBEGIN:VCALENDAR\r\nB\r\nEND:VCALENDAR";
        assert_eq!(
            davlite_formats::vcalendar_blocks(two),
            vec![
                &b"BEGIN:VCALENDAR\nA\nEND:VCALENDAR\n"[..],
                &b"BEGIN:VCALENDAR\r\nB\r\nEND:VCALENDAR"[..]
            ]
        );
    }

    #[test]
    fn kind_from_extension_or_content() {
        assert_eq!(Kind::of_file(Path::new("a.ICS"), b""), Some(Kind::Calendar));
        assert_eq!(
            Kind::of_file(Path::new("a.txt"), b"\xEF\xBB\xBF BEGIN:VCARD\r\n"),
            Some(Kind::Cards)
        );
        assert_eq!(Kind::of_file(Path::new("a.txt"), b"hello"), None);
    }
}
