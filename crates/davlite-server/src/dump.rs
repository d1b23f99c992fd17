//! The whole-store dump (`davlite export --dump`, `davlite restore`): a portable, checksummed
//! copy of every collection, object and user, independent of the redb file format.
//!
//! Layout: the magic line `DAVLITE-DUMP 1\n`, then frames of
//! `kind: u8 | length: u32 LE | crc32(kind, payload): u32 LE | payload`, and a final `End` frame
//! with the counts, so a truncated file is detected, not half restored. Payload fields are
//! length-prefixed (u32 LE) byte strings and little-endian integers. Collections come before
//! their members and children (tree order), so a restore can create them as it reads.
//! Sync tokens are not carried over: after a restore, clients resynchronise once.

use crate::progress::Report;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use davlite_formats::{ComponentSet, ParseOptions, ParsedObject};
use davlite_store::{
    Collection, CollectionKind, Limits, NewCollection, Precondition, Reader, Store,
};

use crate::ServerError;
use crate::users::{TokenRecord, UserDb, UserQuota, UserRecord};

/// What a user frame carries after name, hash and creation time, as TOML text: the per-user
/// quota, the app-password hashes, the admin flag, the e-mail addresses and the display name.
/// Absent in dumps written before them (and when all are empty); readers that predate it
/// ignore the trailing field, and fields they do not know.
#[derive(Default, serde::Serialize, serde::Deserialize)]
struct UserExtras {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    quota: Option<UserQuota>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tokens: Vec<TokenRecord>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    admin: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    emails: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    displayname: Option<String>,
}

const MAGIC: &[u8] = b"DAVLITE-DUMP 1\n";
const COLLECTION: u8 = 1;
const OBJECT: u8 = 2;
const USER: u8 = 3;
const END: u8 = 0xFF;
/// No single frame is larger than this; a length above it means a damaged file.
const MAX_FRAME: u32 = 1 << 30;

/// What a dump holds (written or read).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DumpCounts {
    pub collections: u64,
    pub objects: u64,
    pub users: u64,
}

fn dump_err(msg: impl Into<String>) -> ServerError {
    ServerError::Dump(msg.into())
}

#[derive(Default)]
struct Enc(Vec<u8>);

impl Enc {
    fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend_from_slice(&(b.len() as u32).to_le_bytes());
        self.0.extend_from_slice(b);
        self
    }
    fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn opt_u64(&mut self, v: Option<u64>) -> &mut Self {
        self.0.push(u8::from(v.is_some()));
        self.u64(v.unwrap_or(0))
    }
    fn opt_i64(&mut self, v: Option<i64>) -> &mut Self {
        self.0.push(u8::from(v.is_some()));
        self.0.extend_from_slice(&v.unwrap_or(0).to_le_bytes());
        self
    }
}

struct Dec<'a>(&'a [u8]);

impl<'a> Dec<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ServerError> {
        if self.0.len() < n {
            return Err(dump_err("frame shorter than its fields"));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, ServerError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, ServerError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> Result<u64, ServerError> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn bytes(&mut self) -> Result<&'a [u8], ServerError> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn str(&mut self) -> Result<String, ServerError> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| dump_err("text field is not UTF-8"))
    }
    fn opt_u64(&mut self) -> Result<Option<u64>, ServerError> {
        let some = self.u8()? != 0;
        let v = self.u64()?;
        Ok(some.then_some(v))
    }
    fn opt_i64(&mut self) -> Result<Option<i64>, ServerError> {
        Ok(self.opt_u64()?.map(|v| v as i64))
    }
}

fn frame(out: &mut impl Write, kind: u8, payload: &[u8]) -> Result<(), ServerError> {
    let mut crc = crc32fast::Hasher::new();
    crc.update(&[kind]);
    crc.update(payload);
    let mut head = [0u8; 9];
    head[0] = kind;
    head[1..5].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    head[5..9].copy_from_slice(&crc.finalize().to_le_bytes());
    out.write_all(&head)
        .and_then(|()| out.write_all(payload))
        .map_err(|e| ServerError::io("dump output", e))
}

fn kind_code(k: CollectionKind) -> u8 {
    match k {
        CollectionKind::Plain => 0,
        CollectionKind::Calendar => 1,
        CollectionKind::AddressBook => 2,
    }
}

fn encode_collection(c: &Collection) -> Vec<u8> {
    let mut e = Enc::default();
    e.bytes(c.path.as_bytes())
        .bytes(&[kind_code(c.kind)])
        .bytes(c.owner.as_bytes());
    let l = &c.limits;
    e.opt_u64(l.max_resource_size)
        .bytes(&[l.components.0])
        .opt_i64(l.min_date)
        .opt_i64(l.max_date);
    e.opt_u64(l.max_instances)
        .opt_u64(l.max_attendees.map(u64::from));
    e.u64(c.props.len() as u64);
    for (k, v) in &c.props {
        e.bytes(k.as_bytes()).bytes(v);
    }
    e.0
}

/// Writes the whole store (one consistent snapshot) and the users of `data` to `path`.
/// `progress` counts objects against the snapshot's total.
pub fn write_dump(
    store: &Store,
    users: &UserDb,
    path: &Path,
    progress: Report<'_>,
) -> Result<DumpCounts, ServerError> {
    let tmp = path.with_extension("partial");
    // The dump holds every user's password hash: readable by its owner only.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&tmp).map_err(|e| ServerError::io(&tmp, e))?;
    let mut out = BufWriter::new(file);
    out.write_all(MAGIC).map_err(|e| ServerError::io(&tmp, e))?;
    let mut counts = DumpCounts::default();
    for (name, rec) in users.iter() {
        let mut e = Enc::default();
        e.bytes(name.as_bytes())
            .bytes(rec.hash.as_bytes())
            .u64(rec.created as u64);
        if rec.quota.is_some()
            || !rec.tokens.is_empty()
            || rec.admin
            || !rec.emails.is_empty()
            || rec.displayname.is_some()
        {
            let extras = UserExtras {
                quota: rec.quota,
                tokens: rec.tokens.clone(),
                admin: rec.admin,
                emails: rec.emails.clone(),
                displayname: rec.displayname.clone(),
            };
            let text = toml::to_string(&extras).map_err(|e| dump_err(e.to_string()))?;
            e.bytes(text.as_bytes());
        }
        frame(&mut out, USER, &e.0)?;
        counts.users += 1;
    }
    let reader = store
        .read()
        .map_err(|e| ServerError::Store(e.to_string()))?;
    let mut stack: Vec<Collection> = reader
        .children("")
        .map_err(|e| ServerError::Store(e.to_string()))?;
    stack.reverse();
    let total = reader
        .counts()
        .map_err(|e| ServerError::Store(e.to_string()))?
        .objects;
    progress(0, total);
    while let Some(c) = stack.pop() {
        frame(&mut out, COLLECTION, &encode_collection(&c))?;
        counts.collections += 1;
        counts.objects += dump_objects(&reader, &c.path, &mut out)?;
        progress(counts.objects, total);
        let mut kids = reader
            .children(&c.path)
            .map_err(|e| ServerError::Store(e.to_string()))?;
        kids.reverse();
        stack.extend(kids);
    }
    let mut e = Enc::default();
    e.u64(counts.collections)
        .u64(counts.objects)
        .u64(counts.users);
    frame(&mut out, END, &e.0)?;
    let file = out
        .into_inner()
        .map_err(|e| ServerError::io(&tmp, e.into_error()))?;
    file.sync_all().map_err(|e| ServerError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| ServerError::io(path, e))?;
    Ok(counts)
}

fn dump_objects(reader: &Reader, coll: &str, out: &mut impl Write) -> Result<u64, ServerError> {
    let mut n = 0;
    for (name, meta) in reader
        .list(coll)
        .map_err(|e| ServerError::Store(e.to_string()))?
    {
        // `get` checks the body's crc32: a corrupt record stops the dump instead of being copied.
        let Some((_, body)) = reader
            .get(coll, &name)
            .map_err(|e| ServerError::Store(format!("{coll}/{name}: {e}")))?
        else {
            continue;
        };
        let mut e = Enc::default();
        e.bytes(coll.as_bytes())
            .bytes(name.as_bytes())
            .bytes(meta.content_type.as_bytes())
            .bytes(&body);
        frame(out, OBJECT, &e.0)?;
        n += 1;
    }
    Ok(n)
}

/// Writers putting objects at once, so that the store's group commit shares one fsync among
/// many objects (one writer pays an fsync per object: 20,000 objects took 90 s).
const RESTORE_WRITERS: usize = 8;

/// One object frame, decoded, for a restore writer.
struct ObjectFrame {
    coll: String,
    name: String,
    content_type: String,
    body: Vec<u8>,
    kind: CollectionKind,
}

/// Reads a dump into `store` (which must hold no collections) and `users`. Collections are
/// created in dump order by this thread; objects are parsed and stored by several writers (each
/// name appears once in a dump, so their order does not matter).
pub fn restore_dump(
    store: &Store,
    users: &mut UserDb,
    path: &Path,
    progress: Report<'_>,
) -> Result<DumpCounts, ServerError> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<ObjectFrame>(RESTORE_WRITERS * 4);
    let rx = std::sync::Mutex::new(rx);
    let failure: std::sync::Mutex<Option<ServerError>> = std::sync::Mutex::new(None);
    let stored = std::sync::atomic::AtomicU64::new(0);
    let failed = std::sync::atomic::AtomicBool::new(false);
    let result = std::thread::scope(|s| {
        for _ in 0..RESTORE_WRITERS {
            let (rx, failure, stored, failed) = (&rx, &failure, &stored, &failed);
            s.spawn(move || {
                loop {
                    let next = rx.lock().expect("restore queue").recv();
                    let Ok(f) = next else { return };
                    if failed.load(std::sync::atomic::Ordering::Relaxed) {
                        continue;
                    }
                    let (coll, name) = (f.coll.clone(), f.name.clone());
                    let outcome = parse_stored(f.kind, f.body, &f.content_type)
                        .map_err(|e| dump_err(format!("{coll}/{name}: {e}")))
                        .and_then(|parsed| {
                            store
                                .put(&coll, &name, parsed, Precondition::None)
                                .map_err(|e| ServerError::Store(format!("{coll}/{name}: {e}")))
                        });
                    match outcome {
                        Ok(_) => {
                            stored.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        Err(e) => {
                            failed.store(true, std::sync::atomic::Ordering::Relaxed);
                            failure.lock().expect("restore failure").get_or_insert(e);
                        }
                    }
                }
            });
        }
        let read = read_frames(store, users, path, &tx, &failed, progress);
        drop(tx);
        read
    });
    if let Some(e) = failure.into_inner().expect("restore failure") {
        return Err(e);
    }
    let (mut counts, expected) = result?;
    counts.objects = stored.into_inner();
    if expected != counts {
        return Err(dump_err(format!(
            "end frame announces {expected:?} but the dump held {counts:?}"
        )));
    }
    Ok(counts)
}

/// Reads every frame: users and collections are applied here, objects go to the writers.
/// Returns the counts seen (objects: sent) and the counts the end frame announces.
fn read_frames(
    store: &Store,
    users: &mut UserDb,
    path: &Path,
    writers: &std::sync::mpsc::SyncSender<ObjectFrame>,
    failed: &std::sync::atomic::AtomicBool,
    progress: Report<'_>,
) -> Result<(DumpCounts, DumpCounts), ServerError> {
    let file = std::fs::File::open(path).map_err(|e| ServerError::io(path, e))?;
    // Progress in bytes read: the end frame, which holds the counts, comes last.
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut input = BufReader::new(file);
    let mut magic = [0u8; MAGIC.len()];
    input
        .read_exact(&mut magic)
        .map_err(|_| dump_err("not a davlite dump (file too short)"))?;
    if magic != MAGIC {
        return Err(dump_err("not a davlite dump (wrong magic line)"));
    }
    let mut counts = DumpCounts::default();
    let mut kinds = std::collections::HashMap::new();
    let mut offset = MAGIC.len() as u64;
    loop {
        let mut head = [0u8; 9];
        input
            .read_exact(&mut head)
            .map_err(|_| dump_err(format!("truncated at byte {offset}: no end frame")))?;
        let kind = head[0];
        let len = u32::from_le_bytes(head[1..5].try_into().expect("4 bytes"));
        let crc = u32::from_le_bytes(head[5..9].try_into().expect("4 bytes"));
        if len > MAX_FRAME {
            return Err(dump_err(format!("damaged frame at byte {offset}")));
        }
        let mut payload = vec![0u8; len as usize];
        input
            .read_exact(&mut payload)
            .map_err(|_| dump_err(format!("truncated frame at byte {offset}")))?;
        let mut h = crc32fast::Hasher::new();
        h.update(&[kind]);
        h.update(&payload);
        if h.finalize() != crc {
            return Err(dump_err(format!(
                "checksum mismatch in the frame at byte {offset}"
            )));
        }
        let mut d = Dec(&payload);
        match kind {
            USER => {
                let name = d.str()?;
                let hash = d.str()?;
                let created = d.u64()? as i64;
                let extras = if d.0.is_empty() {
                    UserExtras::default()
                } else {
                    toml::from_str(&d.str()?)
                        .map_err(|e| dump_err(format!("user {name:?}: {e}")))?
                };
                users.insert_record(
                    &name,
                    UserRecord {
                        hash,
                        created,
                        quota: extras.quota,
                        tokens: extras.tokens,
                        admin: extras.admin,
                        emails: extras.emails,
                        displayname: extras.displayname,
                    },
                )?;
                counts.users += 1;
            }
            COLLECTION => {
                let (path, new) = decode_collection(&mut d)?;
                kinds.insert(path.clone(), new.kind);
                store
                    .create_collection(&path, new)
                    .map_err(|e| ServerError::Store(format!("{path}: {e}")))?;
                counts.collections += 1;
            }
            OBJECT => {
                let coll = d.str()?;
                let name = d.str()?;
                let content_type = d.str()?;
                let body = d.bytes()?.to_vec();
                let kind = *kinds.get(&coll).ok_or_else(|| {
                    dump_err(format!("object {name} before its collection {coll}"))
                })?;
                if failed.load(std::sync::atomic::Ordering::Relaxed) {
                    // A writer failed; its error is what the restore reports.
                    return Ok((counts, DumpCounts::default()));
                }
                let frame = ObjectFrame {
                    coll,
                    name,
                    content_type,
                    body,
                    kind,
                };
                if writers.send(frame).is_err() {
                    return Err(dump_err("restore writers stopped"));
                }
                counts.objects += 1;
            }
            END => {
                let expected = DumpCounts {
                    collections: d.u64()?,
                    objects: d.u64()?,
                    users: d.u64()?,
                };
                progress(offset + 9 + u64::from(len), size);
                return Ok((counts, expected));
            }
            other => {
                return Err(dump_err(format!(
                    "unknown frame kind {other} at byte {offset}"
                )));
            }
        }
        offset += 9 + u64::from(len);
        progress(offset, size);
    }
}

fn decode_collection(d: &mut Dec<'_>) -> Result<(String, NewCollection), ServerError> {
    let path = d.str()?;
    let kind = match d.bytes()? {
        [0] => CollectionKind::Plain,
        [1] => CollectionKind::Calendar,
        [2] => CollectionKind::AddressBook,
        _ => return Err(dump_err("unknown collection kind")),
    };
    let owner = d.str()?;
    let max_resource_size = d.opt_u64()?;
    let components = match d.bytes()? {
        [c] => ComponentSet(*c),
        _ => return Err(dump_err("bad component set")),
    };
    let limits = Limits {
        max_resource_size,
        components,
        min_date: d.opt_i64()?,
        max_date: d.opt_i64()?,
        max_instances: d.opt_u64()?,
        max_attendees: d.opt_u64()?.map(|v| v as u32),
    };
    let n = d.u64()?;
    let mut props = Vec::new();
    for _ in 0..n {
        props.push((d.str()?, d.bytes()?.to_vec()));
    }
    Ok((
        path,
        NewCollection {
            kind,
            owner,
            limits,
            props,
        },
    ))
}

/// Re-derives the index fields from stored bytes, accepting what import accepted (charsets
/// other than UTF-8 are named in the stored content type).
fn parse_stored(
    kind: CollectionKind,
    body: Vec<u8>,
    content_type: &str,
) -> Result<ParsedObject, String> {
    let charset = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("charset="))
        .find_map(|c| davlite_formats::Charset::from_label(c.trim_matches('"')))
        .unwrap_or(davlite_formats::Charset::Utf8);
    let opts = ParseOptions::import(charset);
    match kind {
        CollectionKind::Calendar => {
            ParsedObject::calendar_with(body, &opts).map_err(|e| e.to_string())
        }
        CollectionKind::AddressBook => {
            ParsedObject::vcard_with(body, &opts).map_err(|e| e.to_string())
        }
        CollectionKind::Plain => Ok(ParsedObject::opaque(body, content_type)),
    }
}
