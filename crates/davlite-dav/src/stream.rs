//! Streamed multistatus answers: members are written a batch at a time while the HTTP body is
//! sent, so a listing or report over 10,000 objects holds one chunk, never every body.

use bytes::Bytes;
use davlite_proto::MultistatusWriter;
use std::ops::ControlFlow;

use davlite_store::{ObjectView, Reader};

use crate::DavBody;
use crate::error::MemberError;
use crate::request::ReqInfo;

/// Flush to the client once this much is buffered.
const CHUNK: usize = 64 * 1024;

/// Writes one item's `<D:response>` (errors are written as a response by the callee).
pub type WriteItem<T> = Box<dyn FnMut(&ReqInfo, &Reader, &mut MultistatusWriter, T) + Send>;
/// Runs after the last item, before the closing tag (truncation entries, the sync token).
pub type Tail = Box<dyn FnOnce(&mut MultistatusWriter) + Send>;
/// Told the next window of items before they are written, to hand their names to
/// [`Reader::prefetch`] (one round trip for the window on a networked backend).
pub type Prefetch<T> = Box<dyn FnMut(&ReqInfo, &Reader, &[T]) + Send>;

/// A [`Prefetch`] for items that are member names of the collection at store path `coll`.
pub fn prefetch_names(coll: String) -> Prefetch<String> {
    Box::new(move |_, reader, names| {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        reader.prefetch(&coll, &names);
    })
}

/// Items per prefetch window: about one chunk of answers with their bodies.
const WINDOW: usize = 64;

struct Members<T> {
    info: ReqInfo,
    reader: Reader,
    items: std::vec::IntoIter<T>,
    writer: Option<MultistatusWriter>,
    write: WriteItem<T>,
    tail: Option<Tail>,
    prefetch: Option<Prefetch<T>>,
    /// Items left in the current prefetch window.
    window: usize,
}

impl<T> Iterator for Members<T> {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        let w = self.writer.as_mut()?;
        while w.buffered() < CHUNK {
            if self.window == 0
                && let Some(p) = self.prefetch.as_mut()
            {
                let next = self.items.as_slice();
                let next = &next[..next.len().min(WINDOW)];
                if !next.is_empty() {
                    p(&self.info, &self.reader, next);
                }
                self.window = next.len();
            }
            self.window = self.window.saturating_sub(1);
            match self.items.next() {
                Some(item) => (self.write)(&self.info, &self.reader, w, item),
                None => {
                    let mut w = self.writer.take()?;
                    if let Some(t) = self.tail.take() {
                        t(&mut w);
                    }
                    return Some(w.finish());
                }
            }
        }
        Some(w.take_chunk())
    }
}

/// A multistatus whose head (`writer`, holding e.g. the collection's own response) is already
/// written and whose members are written lazily from `items`. Small answers are collected into
/// one buffer right away, so they go out with a Content-Length.
pub fn members<T: Send + 'static>(
    info: &ReqInfo,
    reader: Reader,
    writer: MultistatusWriter,
    items: Vec<T>,
    write: WriteItem<T>,
    tail: Option<Tail>,
) -> DavBody {
    members_prefetched(info, reader, writer, items, write, tail, None)
}

/// As [`members`], telling `prefetch` each window of items before writing it.
pub fn members_prefetched<T: Send + 'static>(
    info: &ReqInfo,
    reader: Reader,
    writer: MultistatusWriter,
    items: Vec<T>,
    write: WriteItem<T>,
    tail: Option<Tail>,
    prefetch: Option<Prefetch<T>>,
) -> DavBody {
    let small = items.len() <= 64;
    let it = Members {
        info: info.clone(),
        reader,
        items: items.into_iter(),
        writer: Some(writer),
        write,
        tail,
        prefetch,
        window: 0,
    };
    if small {
        let mut out = Vec::new();
        for chunk in it {
            out.extend_from_slice(&chunk);
        }
        DavBody::Full(Bytes::from(out))
    } else {
        DavBody::Stream(Box::new(it))
    }
}

/// Writes one scanned object's `<D:response>` from its borrowed record.
pub type WriteScanned =
    Box<dyn FnMut(&ReqInfo, &Reader, &mut MultistatusWriter, &str, &ObjectView<'_>) + Send>;

/// A listing walked straight from the store: each chunk resumes the walk after the last name
/// written, so nothing per member is collected before writing.
struct Scanned {
    info: ReqInfo,
    reader: Reader,
    coll: String,
    href: String,
    after: Option<String>,
    done: bool,
    writer: Option<MultistatusWriter>,
    write: WriteScanned,
    tail: Option<Tail>,
}

impl Scanned {
    fn next_chunk(&mut self) -> Option<Bytes> {
        let w = self.writer.as_mut()?;
        if !self.done {
            let (info, reader, write) = (&self.info, &self.reader, &mut self.write);
            let mut last = None;
            let walked = reader.scan_objects(&self.coll, self.after.as_deref(), |name, obj| {
                write(info, reader, w, name, obj);
                if w.buffered() < CHUNK {
                    return ControlFlow::Continue(());
                }
                last = Some(name.to_owned());
                ControlFlow::Break(())
            });
            match walked {
                Ok(false) => {
                    self.after = last;
                    return Some(w.take_chunk());
                }
                Ok(true) => self.done = true,
                Err(_) => {
                    // The status line is long gone: a 500 entry for the collection tells the
                    // client this listing is incomplete rather than letting it look short.
                    MemberError::Unreadable.write(w, &self.href);
                    self.done = true;
                    self.tail = None;
                }
            }
        }
        let mut w = self.writer.take()?;
        if let Some(t) = self.tail.take() {
            t(&mut w);
        }
        Some(w.finish())
    }
}

impl Iterator for Scanned {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        self.next_chunk()
    }
}

/// A multistatus whose head is already in `writer` and whose members are the objects of the
/// collection at store path `coll` (answered under `href`), written by `write` as the body is
/// sent. An answer that fits in one chunk goes out whole, with a Content-Length.
pub fn scanned(
    info: &ReqInfo,
    reader: Reader,
    writer: MultistatusWriter,
    coll: &str,
    href: &str,
    write: WriteScanned,
    tail: Option<Tail>,
) -> DavBody {
    let mut it = Scanned {
        info: info.clone(),
        reader,
        coll: coll.to_owned(),
        href: href.to_owned(),
        after: None,
        done: false,
        writer: Some(writer),
        write,
        tail,
    };
    let first = it.next_chunk().unwrap_or_default();
    if it.writer.is_none() {
        DavBody::Full(first)
    } else {
        DavBody::Stream(Box::new(std::iter::once(first).chain(it)))
    }
}
