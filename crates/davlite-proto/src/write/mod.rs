//! Response bodies: multistatus, error and mkcol-response.

mod condition;
mod multistatus;
pub(crate) mod xml;

pub use condition::{
    BodyCondition, Condition, DavKind, NeedPrivilege, REASON_NS, error_body,
    error_body_with_reason, precondition_failed_body,
};
pub use multistatus::{
    Elem, MultistatusWriter, Prop, PropContent, PropStat, mkcol_response, render_props,
    render_propstats, xml_document,
};
pub use xml::{escape_attr, escape_text};
