//! POST: the only resource that takes one is a scheduling outbox (see `crate::schedule`);
//! everything else answers 405 with what it does allow.

use http::Response;

use crate::DavBody;
use crate::error::{DavError, DavResult};
use crate::request::Req;

pub fn handle(r: &Req) -> DavResult<Response<DavBody>> {
    let reader = r.dav.store().read().map_err(DavError::internal)?;
    let target = r.target(&reader)?;
    crate::schedule::post(r, &reader, &target)
}
