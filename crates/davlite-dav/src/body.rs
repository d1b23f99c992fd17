//! Response bodies: whole, or produced piece by piece so a multistatus over many objects never
//! holds every body in memory at once.

use bytes::Bytes;

/// A response body. The server turns `Stream` into a chunked HTTP body.
pub enum DavBody {
    Full(Bytes),
    Stream(Box<dyn Iterator<Item = Bytes> + Send>),
}

impl DavBody {
    pub fn empty() -> Self {
        DavBody::Full(Bytes::new())
    }

    /// Collects the whole body (tests, small answers).
    pub fn into_bytes(self) -> Bytes {
        match self {
            DavBody::Full(b) => b,
            DavBody::Stream(it) => {
                let mut out = Vec::new();
                for chunk in it {
                    out.extend_from_slice(&chunk);
                }
                Bytes::from(out)
            }
        }
    }
}

impl std::fmt::Debug for DavBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DavBody::Full(b) => write!(f, "DavBody::Full({} bytes)", b.len()),
            DavBody::Stream(_) => f.write_str("DavBody::Stream"),
        }
    }
}
