//! The response body handed to hyper: the DAV layer's [`DavBody`] as an `http_body::Body`.
//! A streamed multistatus is pulled piece by piece as the socket drains, so a listing of a
//! hundred thousand objects never sits in memory at once.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use davlite_dav::DavBody;
use http_body::{Frame, SizeHint};

pub enum ResponseBody {
    Full(Option<Bytes>),
    /// Chunks pulled as the socket drains; `blocking` when producing one may wait on the
    /// network (a store on a database server), so the async worker steps aside for it.
    Stream {
        chunks: Box<dyn Iterator<Item = Bytes> + Send>,
        blocking: bool,
    },
}

impl ResponseBody {
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        let b: Bytes = bytes.into();
        ResponseBody::Full(if b.is_empty() { None } else { Some(b) })
    }

    pub fn empty() -> Self {
        ResponseBody::Full(None)
    }
}

impl ResponseBody {
    /// The DAV layer's body; `blocking` as for [`ResponseBody::Stream`].
    pub fn from_dav(body: DavBody, blocking: bool) -> Self {
        match body {
            DavBody::Full(b) => ResponseBody::full(b),
            DavBody::Stream(chunks) => ResponseBody::Stream { chunks, blocking },
        }
    }
}

impl From<DavBody> for ResponseBody {
    fn from(body: DavBody) -> Self {
        ResponseBody::from_dav(body, false)
    }
}

/// A stream cut short (the client went away) still holds its snapshot: with a store on a
/// database server, ending it is a round trip, made with the async worker stepped aside.
impl Drop for ResponseBody {
    fn drop(&mut self) {
        if let ResponseBody::Stream {
            chunks,
            blocking: true,
        } = self
        {
            let rest = std::mem::replace(chunks, Box::new(std::iter::empty()));
            if tokio::runtime::Handle::try_current().is_ok() {
                tokio::task::block_in_place(|| drop(rest));
            }
        }
    }
}

impl http_body::Body for ResponseBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            ResponseBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            ResponseBody::Stream { chunks, blocking } => loop {
                // The status line is already sent: a panic here can only cut the connection, which
                // tells the client the answer is incomplete instead of ending it cleanly.
                let next = || {
                    if *blocking {
                        tokio::task::block_in_place(|| chunks.next())
                    } else {
                        chunks.next()
                    }
                };
                match catch_unwind(AssertUnwindSafe(next)) {
                    Ok(Some(chunk)) if chunk.is_empty() => continue,
                    Ok(Some(chunk)) => return Poll::Ready(Some(Ok(Frame::data(chunk)))),
                    Ok(None) => {
                        // The stream holds the store snapshot; ending it may wait on the
                        // database, so it is dropped here, stepped aside, not by hyper later.
                        let done = std::mem::replace(chunks, Box::new(std::iter::empty()));
                        if *blocking {
                            tokio::task::block_in_place(|| drop(done));
                        }
                        return Poll::Ready(None);
                    }
                    Err(_) => {
                        tracing::error!("response body stream panicked; connection closed");
                        return Poll::Ready(Some(Err(std::io::Error::other(
                            "response stream panicked",
                        ))));
                    }
                }
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, ResponseBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            ResponseBody::Full(None) => SizeHint::with_exact(0),
            ResponseBody::Stream { .. } => SizeHint::default(),
        }
    }
}
