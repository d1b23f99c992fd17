//! Request bodies: PROPFIND, PROPPATCH, MKCOL / MKCALENDAR, REPORT and the sharing POSTs.

mod filter;
mod principal;
pub(crate) mod propfind;
mod proppatch;
mod report;
mod share;
pub(crate) mod time;

pub use principal::{
    MatchType, PrincipalMatch, PrincipalMatchKind, PrincipalPropertySearch, PropertySearch,
};
pub use propfind::{
    AddressDataRequest, CalendarDataRequest, CompSelect, PropFind, PropRequest, PropSelect,
    UtcRange,
};
pub use proppatch::{MkCol, MkColKind, PropertyUpdate, SetOrRemove};
pub use report::{ExpandItem, Report};
pub use share::{SharePost, ShareSet};
pub use time::parse_utc;
