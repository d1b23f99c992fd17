//! Streamed multistatus answers: members are written a batch at a time while the HTTP body is
//! sent, so a listing or report over 10,000 objects holds one chunk, never every body.

use bytes::Bytes;
use davlite_proto::MultistatusWriter;
use davlite_store::Reader;

use crate::DavBody;
use crate::request::ReqInfo;

/// Flush to the client once this much is buffered.
const CHUNK: usize = 64 * 1024;

/// Writes one item's `<D:response>` (errors are written as a response by the callee).
pub type WriteItem<T> = Box<dyn FnMut(&ReqInfo, &Reader, &mut MultistatusWriter, T) + Send>;
/// Runs after the last item, before the closing tag (truncation entries, the sync token).
pub type Tail = Box<dyn FnOnce(&mut MultistatusWriter) + Send>;

struct Members<T> {
    info: ReqInfo,
    reader: Reader,
    items: std::vec::IntoIter<T>,
    writer: Option<MultistatusWriter>,
    write: WriteItem<T>,
    tail: Option<Tail>,
}

impl<T> Iterator for Members<T> {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        let w = self.writer.as_mut()?;
        while w.buffered() < CHUNK {
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
    let small = items.len() <= 64;
    let it = Members {
        info: info.clone(),
        reader,
        items: items.into_iter(),
        writer: Some(writer),
        write,
        tail,
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
