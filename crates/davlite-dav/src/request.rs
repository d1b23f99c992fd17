//! One request: authentication check, href decoding, target resolution, dispatch to the method
//! handler, and the mapping of every refusal to a response in one place.

use bytes::Bytes;
use http::{HeaderMap, Method, Response, StatusCode, header};

use crate::error::{DavError, DavResult};
use crate::href::HrefError;
use crate::resource::{self, Target};
use crate::{Dav, DavBody, RequestContext, methods};

/// The owned part of a request that answers need while they are written, possibly after the
/// handler returned (a streamed multistatus): who asks, and under which prefix to write hrefs.
#[derive(Clone)]
pub struct ReqInfo {
    pub dav: Dav,
    pub user: String,
    /// The prefix hrefs are written under (the mount the request used).
    pub prefix: String,
    /// The request path exactly as sent (for echoing the request-URI in a 507 response).
    pub raw_path: String,
    /// Forwarded prefix from a trusted proxy, when configured.
    pub forwarded: Option<String>,
}

impl ReqInfo {
    /// The href of a store path (collection or object) under this request's prefix; a path
    /// another user owns is written as the user reaches it, under their own home (see
    /// [`crate::share`]).
    pub fn href_of(&self, segments: &[&str], collection: bool) -> String {
        match crate::share::to_href(&self.user, segments) {
            Some(bound) => {
                let segs: Vec<&str> = bound.iter().map(|s| s.as_ref()).collect();
                crate::href::href(&self.prefix, &segs, collection)
            }
            None => crate::href::href(&self.prefix, segments, collection),
        }
    }

    /// Decodes an href from a request body or header (multiget, Destination, a share's host
    /// URL) to the store path it names, translating a sharee's path as the request URI is.
    pub fn decode_href(&self, href: &str) -> Result<crate::href::Decoded, HrefError> {
        let mut d = self
            .dav
            .mounts()
            .decode_href(href, self.forwarded.as_deref())?;
        d.segments = crate::share::to_store(&self.user, d.segments);
        Ok(d)
    }

    /// The href of the object `name` in the collection at store path `coll`.
    pub fn member_href(&self, coll: &str, name: &str) -> String {
        let mut segs: Vec<&str> = coll.split('/').collect();
        segs.push(name);
        self.href_of(&segs, false)
    }

    /// The href of the authenticated user's principal.
    pub fn principal_href(&self) -> String {
        self.href_of(&[resource::PRINCIPALS, &self.user], true)
    }

    pub fn forwarded(&self) -> Option<String> {
        self.forwarded.clone()
    }
}

/// What every handler needs to know about the request.
pub struct Req<'a> {
    pub info: ReqInfo,
    pub dav: &'a Dav,
    pub method: Method,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Decoded segments below the mount.
    pub segments: Vec<String>,
    /// The request authority (Host), to tell a Destination on another server apart.
    pub authority: Option<String>,
    /// The target is `/`, outside every mount.
    pub server_root: bool,
}

impl std::ops::Deref for Req<'_> {
    type Target = ReqInfo;
    fn deref(&self) -> &ReqInfo {
        &self.info
    }
}

impl Req<'_> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Resolves the request target over a fresh snapshot.
    pub fn target(&self, reader: &davlite_store::Reader) -> DavResult<Target> {
        if self.server_root {
            return Ok(Target::ServerRoot);
        }
        resource::resolve(reader, &self.segments).map_err(DavError::internal)
    }
}

fn forwarded_prefix(dav: &Dav, headers: &HeaderMap) -> Option<String> {
    if !dav.config().trust_forwarded_prefix {
        return None;
    }
    headers
        .get("x-forwarded-prefix")
        .or_else(|| headers.get("x-script-name"))
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

pub fn handle(dav: &Dav, req: http::Request<Bytes>, ctx: &RequestContext) -> Response<DavBody> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();

    if is_well_known(&path) {
        return redirect_to_base(dav);
    }
    let Some(user) = ctx.user.clone() else {
        return DavError::Unauthorized.into_response();
    };

    // The server refuses oversized bodies before reading them; an embedder that hands us a
    // body directly gets the same answer here, before anything is parsed.
    if body.len() as u64 > dav.config().max_body_bytes {
        return DavError::BodyTooLarge.into_response();
    }
    let forwarded = forwarded_prefix(dav, &parts.headers);
    let server_root = path == "/" || path.is_empty();
    let decoded = if server_root {
        Ok(crate::href::Decoded {
            prefix: dav.mounts().canonical_prefix().to_string(),
            segments: vec![],
            trailing_slash: true,
        })
    } else {
        dav.mounts().decode(&path, forwarded.as_deref())
    };
    let decoded = match decoded {
        Ok(mut d) => {
            d.segments = crate::share::to_store(&user, d.segments);
            d
        }
        Err(HrefError::Foreign) => return DavError::not_found().into_response(),
        Err(HrefError::Hostile(why)) => {
            return DavError::BadRequest(format!("refused request path: {why}")).into_response();
        }
    };
    let authority = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()));
    let info = ReqInfo {
        dav: dav.clone(),
        user,
        prefix: decoded.prefix,
        raw_path: path,
        forwarded,
    };
    let r = Req {
        info,
        dav,
        method: parts.method,
        headers: parts.headers,
        body,
        segments: decoded.segments,
        authority,
        server_root,
    };
    match dispatch(&r) {
        Ok(resp) => resp,
        Err(e) => {
            let segments: Vec<&str> = r.segments.iter().map(String::as_str).collect();
            let href = r.href_of(&segments, r.raw_path.ends_with('/'));
            e.into_response_at(Some(&href))
        }
    }
}

fn dispatch(r: &Req) -> DavResult<Response<DavBody>> {
    match r.method.as_str() {
        "OPTIONS" => methods::options::handle(r),
        "GET" | "HEAD" => methods::get::handle(r),
        "PUT" => methods::put::handle(r),
        "DELETE" => methods::delete::handle(r),
        "PROPFIND" => methods::propfind::handle(r),
        "PROPPATCH" => methods::proppatch::handle(r),
        "MKCOL" | "MKCALENDAR" => methods::mkcol::handle(r),
        "COPY" | "MOVE" => methods::copymove::handle(r),
        "REPORT" => crate::report::handle(r),
        "POST" => methods::post::handle(r),
        _ => Err(DavError::NotImplemented),
    }
}

fn is_well_known(path: &str) -> bool {
    let p = path.trim_end_matches('/');
    p.eq_ignore_ascii_case("/.well-known/caldav") || p.eq_ignore_ascii_case("/.well-known/carddav")
}

/// RFC 6764 §5: the well-known URIs redirect to the DAV root, for any method, with or without
/// credentials, on the same origin (an absolute-path Location).
fn redirect_to_base(dav: &Dav) -> Response<DavBody> {
    Response::builder()
        .status(StatusCode::MOVED_PERMANENTLY)
        .header(header::LOCATION, dav.mounts().canonical_prefix())
        .body(DavBody::empty())
        .expect("valid response")
}
