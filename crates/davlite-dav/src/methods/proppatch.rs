//! PROPPATCH: all or nothing (RFC 4918 §9.2). Protected live properties are refused with
//! `cannot-modify-protected-property`, and then nothing is applied: every other property answers
//! 424 Failed Dependency.

use davlite_proto::{Condition, MultistatusWriter, Prop, PropStat, PropertyUpdate, QName};
use http::Response;

use crate::DavBody;
use crate::access;
use crate::error::{DavError, DavResult, PropError};
use crate::props;
use crate::request::Req;
use crate::resource::Target;

/// Checks a list of property changes: the names that may not be changed, or `None` when all may.
pub fn refused(names: &[QName]) -> Vec<QName> {
    names
        .iter()
        .filter(|n| props::is_protected(n))
        .cloned()
        .collect()
}

/// The 207 body for an all-or-nothing refusal: 403 for the refused names, 424 for the rest.
pub fn refusal_propstats<'a>(all: &[QName], bad: &[QName], cond: Condition) -> Vec<PropStat<'a>> {
    let ok: Vec<Prop> = all
        .iter()
        .filter(|n| !bad.contains(n))
        .cloned()
        .map(Prop::empty)
        .collect();
    let mut v = vec![
        PropStat::new(
            PropError::Refused.status(),
            bad.iter().cloned().map(Prop::empty).collect(),
        )
        .with_error(cond),
    ];
    if !ok.is_empty() {
        v.push(PropStat::new(PropError::NotAttempted.status(), ok));
    }
    v
}

pub fn handle(r: &Req) -> DavResult<Response<DavBody>> {
    let update = PropertyUpdate::parse(&r.body).map_err(DavError::xml)?;
    let reader = r.dav.store().read().map_err(DavError::internal)?;
    let target = r.target(&reader)?;
    drop(reader);
    if !target.exists() {
        return Err(DavError::not_found());
    }
    // A sharee's name, colour and the like for a collection shared with them are their own:
    // kept apart from the owner's, writable with read access alone.
    let personal = matches!(&target, Target::Collection(c) if c.owner != r.user)
        && !update.ops.is_empty()
        && update
            .ops
            .iter()
            .all(|o| crate::share::is_personal(&o.name));
    if personal {
        access::check_read(r, &target)?;
    } else {
        access::check_write(r, &target)?;
    }
    let cond = crate::cond::Conditionals::parse(&r.headers)?;
    let etag = match &target {
        Target::Object { meta, .. } => meta.as_ref().map(|m| m.etag),
        _ => None,
    };
    // If-Match / If-None-Match on an object go to the store and are checked in the write
    // transaction; what the store cannot express (the If: header, both at once, conditions on
    // a collection) is checked on the snapshot as well, as PUT does.
    let in_store = matches!(target, Target::Object { .. });
    let both = cond.if_match.is_some() && cond.if_none_match.is_some();
    if (!in_store || both || cond.if_header.is_some()) && !cond.hold(etag.as_ref()) {
        return Err(DavError::PreconditionFailed(etag));
    }
    let names: Vec<QName> = update.ops.iter().map(|o| o.name.clone()).collect();
    let href = target.href(&r.prefix);
    let bad = refused(&names);
    let mut w = MultistatusWriter::new();
    if !bad.is_empty() {
        w.response_propstat(
            &href,
            &refusal_propstats(&names, &bad, Condition::CannotModifyProtectedProperty),
        );
        return Ok(super::propfind::multistatus(
            DavBody::Full(w.finish()),
            false,
        ));
    }
    let mut ops: Vec<(QName, Option<davlite_proto::PropValue>)> = update
        .ops
        .iter()
        .map(|o| (o.name.clone(), o.value.clone()))
        .collect();
    // calendar-timezone and calendar-timezone-id: validated, and kept in step.
    if let Target::Collection(c) = &target
        && c.kind == davlite_store::CollectionKind::Calendar
        && let Err(refused) = crate::timezone::in_step(&mut ops)
    {
        let (name, cond) = *refused;
        w.response_propstat(&href, &refusal_propstats(&names, &[name], cond));
        return Ok(super::propfind::multistatus(
            DavBody::Full(w.finish()),
            false,
        ));
    }
    let changes: Vec<(String, Option<Vec<u8>>)> = ops
        .iter()
        .map(|(name, value)| {
            (
                name.to_clark(),
                value.as_ref().map(|v| v.to_xml(name).into_bytes()),
            )
        })
        .collect();
    match &target {
        Target::Collection(c) if personal => {
            crate::share::set_personal(r.dav.store(), &r.user, &c.path, changes)?;
        }
        Target::Collection(c) => {
            r.dav
                .store()
                .update_collection(&c.path, changes, None)
                .map_err(DavError::internal)?;
        }
        Target::Object { coll, name, .. } => {
            r.dav
                .store()
                .update_object_props(&coll.path, name, changes, cond.to_store())
                .map_err(|e| DavError::from_store(e, coll.kind, &|n| n.to_string()))?;
        }
        _ => {
            return Err(DavError::forbidden(
                Condition::CannotModifyProtectedProperty,
            ));
        }
    }
    let mut unique: Vec<QName> = Vec::new();
    for n in names {
        if !unique.contains(&n) {
            unique.push(n);
        }
    }
    w.response_propstat(
        &href,
        &[PropStat::ok(unique.into_iter().map(Prop::empty).collect())],
    );
    Ok(super::propfind::multistatus(
        DavBody::Full(w.finish()),
        false,
    ))
}
