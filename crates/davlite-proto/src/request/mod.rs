//! Request bodies: PROPFIND, PROPPATCH, MKCOL / MKCALENDAR and REPORT.

mod filter;
mod principal;
pub(crate) mod propfind;
mod proppatch;
mod report;
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
pub use time::parse_utc;
