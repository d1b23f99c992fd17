//! Per-object answers shared by the reports: the requested properties of one object plus its
//! `calendar-data` / `address-data` when asked for.

use std::borrow::Cow;

use davlite_proto::{MultistatusWriter, Prop, PropContent, PropRequest, QName};
use davlite_store::{Collection, ObjectMeta, Reader};

use crate::error::{DavError, DavResult, MemberError};
use crate::plan::ObjectPlan;
use crate::props::{self, Res, Which};
use crate::request::ReqInfo;

pub fn which(props: &PropRequest) -> Which<'_> {
    match &props.which {
        davlite_proto::PropFind::Prop(n) => Which::Names(n),
        davlite_proto::PropFind::AllProp { include } => Which::All(include),
        davlite_proto::PropFind::PropName => Which::PropName,
    }
}

/// Whether the answer carries each object's calendar-data or address-data (so its body).
pub fn carries_data(props: &PropRequest) -> bool {
    wants_data(props).is_some()
}

fn wants_data(props: &PropRequest) -> Option<QName> {
    let cd = QName::caldav("calendar-data");
    let ad = QName::carddav("address-data");
    props
        .names()
        .iter()
        .find(|n| **n == cd || **n == ad)
        .cloned()
}

/// A plan for the objects of `coll` (see `crate::plan`), where `props` allows one: the body is
/// wanted as stored, or not at all.
pub fn plan(
    r: &ReqInfo,
    reader: &Reader,
    coll: &Collection,
    props: &PropRequest,
    minimal: bool,
) -> Option<ObjectPlan> {
    let data = wants_data(props);
    if data.is_some() {
        if props
            .address_data
            .as_ref()
            .is_some_and(|a| !address_data_producible(a))
        {
            return None;
        }
        if props
            .calendar_data
            .as_ref()
            .is_some_and(|c| c.expand.is_some() || c.limit_recurrence_set.is_some())
        {
            return None;
        }
        // A version asked for may mean a converted card, a selection a part of the object:
        // not the stored bytes.
        if wanted_card_version(props).is_some()
            || props
                .address_data
                .as_ref()
                .is_some_and(|a| a.props.is_some())
            || props
                .calendar_data
                .as_ref()
                .is_some_and(|c| c.comp.is_some())
        {
            return None;
        }
    }
    ObjectPlan::new(r, reader, coll, &which(props), data.as_ref(), minimal)
}

/// Writes one member through `plan`, reading its body only when the plan needs it.
pub fn write_planned(
    plan: &mut ObjectPlan,
    reader: &Reader,
    w: &mut MultistatusWriter,
    href: &str,
    coll: &str,
    name: &str,
    obj: &davlite_store::ObjectView<'_>,
) {
    if !plan.wants_body() {
        plan.write(w, href, obj, None);
        return;
    }
    match reader.with_object(coll, name, |obj, body| plan.write(w, href, obj, Some(body))) {
        Ok(Some(())) => {}
        Ok(None) => MemberError::Missing.write(w, href),
        Err(_) => MemberError::Unreadable.write(w, href),
    }
}

/// Writes the `<D:response>` of one object. `href` is the spelling to answer with. A body that
/// cannot be read (corrupt on disk) becomes a 500 entry for that href: the status line of a
/// streamed answer is long gone, and the other members are still answered.
#[allow(clippy::too_many_arguments)]
pub fn write_object(
    r: &ReqInfo,
    reader: &Reader,
    w: &mut MultistatusWriter,
    href: &str,
    coll: &Collection,
    name: &str,
    meta: &ObjectMeta,
    body: Option<&[u8]>,
    props: &PropRequest,
    floating: Option<&davlite_formats::tz::Zone>,
    minimal: bool,
) {
    let done = try_write_object(
        r, reader, w, href, coll, name, meta, body, props, floating, minimal,
    );
    if done.is_err() {
        MemberError::Unreadable.write(w, href);
    }
}

#[allow(clippy::too_many_arguments)]
fn try_write_object(
    r: &ReqInfo,
    reader: &Reader,
    w: &mut MultistatusWriter,
    href: &str,
    coll: &Collection,
    name: &str,
    meta: &ObjectMeta,
    body: Option<&[u8]>,
    props: &PropRequest,
    floating: Option<&davlite_formats::tz::Zone>,
    minimal: bool,
) -> DavResult<()> {
    let res = Res::Object { coll, name, meta };
    if props
        .address_data
        .as_ref()
        .is_some_and(|a| !address_data_producible(a))
    {
        // RFC 6352 §8.7.2: a representation we cannot produce is 415 for that href, with the
        // precondition, and the rest of the report is answered.
        MemberError::UnsupportedConversion.write(w, href);
        return Ok(());
    }
    let mut extra: Vec<Prop> = Vec::new();
    let mut owned_body = None;
    if let Some(data_name) = wants_data(props) {
        let bytes = match body {
            Some(b) => Cow::Borrowed(b),
            None => match reader.get(&coll.path, name).map_err(DavError::internal)? {
                Some((_, b)) => Cow::Owned(b),
                None => return Ok(()),
            },
        };
        let Some(text) = render_data(&bytes, props, coll, floating) else {
            // An expansion that failed is an error for this href, never the unexpanded body
            // passed off as the expanded one.
            MemberError::TooManyInstances.write(w, href);
            return Ok(());
        };
        owned_body = Some((data_name, text));
    }
    if let Some((n, text)) = &owned_body {
        extra.push(Prop::new(
            n.clone(),
            PropContent::Text(Cow::Borrowed(text.as_str())),
        ));
    }
    let dead = props::dead(r, reader, &res, &which(props));
    let ps = props::propstats(r, reader, &res, &which(props), &dead, extra, minimal);
    w.response_propstat(href, &ps);
    Ok(())
}

/// The vCard version an `address-data` request names, if any (3.0 or 4.0).
fn wanted_card_version(props: &PropRequest) -> Option<davlite_formats::VCardVersion> {
    match props.address_data.as_ref()?.version.as_deref()?.trim() {
        "3.0" => Some(davlite_formats::VCardVersion::V30),
        "4.0" => Some(davlite_formats::VCardVersion::V40),
        _ => None,
    }
}

/// Whether we can answer an `address-data` request: vCard text, version 3.0 or 4.0 (a card
/// stored in the other version is converted, see `davlite_formats::convert_vcard`).
fn address_data_producible(a: &davlite_proto::AddressDataRequest) -> bool {
    let type_ok = a.content_type.as_deref().is_none_or(|t| {
        let t = t.trim();
        t.eq_ignore_ascii_case("text/vcard") || t.eq_ignore_ascii_case("text/x-vcard")
    });
    let version_ok = a
        .version
        .as_deref()
        .is_none_or(|v| matches!(v.trim(), "3.0" | "4.0"));
    type_ok && version_ok
}

/// The calendar-data / address-data text: the stored bytes, or the expanded / limited form the
/// client asked for (RFC 4791 §9.6), floating times placed in `floating` (the query's zone),
/// else in the calendar's (`calendar-timezone`), then cut to the parts a `C:comp` or `CR:prop`
/// selection names. `None` when an expansion asked for cannot be made.
fn render_data(
    bytes: &[u8],
    props: &PropRequest,
    coll: &Collection,
    floating: Option<&davlite_formats::tz::Zone>,
) -> Option<String> {
    if let Some(cd) = &props.calendar_data {
        let zone = || {
            floating
                .cloned()
                .unwrap_or_else(|| crate::timezone::collection_zone(coll))
        };
        let shaped = if let Some(range) = cd.expand {
            Cow::Owned(
                davlite_formats::expand::expand_in(bytes, range.start, range.end, &zone()).ok()?,
            )
        } else if let Some(range) = cd.limit_recurrence_set {
            Cow::Owned(
                davlite_formats::expand::limit_recurrence_set_in(
                    bytes,
                    range.start,
                    range.end,
                    &zone(),
                )
                .ok()?,
            )
        } else {
            Cow::Borrowed(bytes)
        };
        let selected = match &cd.comp {
            Some(c) => Cow::Owned(davlite_formats::select::select_calendar(&shaped, &pick(c))),
            None => shaped,
        };
        return Some(String::from_utf8_lossy(&selected).into_owned());
    }
    let mut card = Cow::Borrowed(bytes);
    if let Some(v) = wanted_card_version(props)
        && let Ok(converted) = davlite_formats::convert_vcard(bytes, v)
    {
        card = Cow::Owned(converted.into_owned());
    }
    if let Some(names) = props.address_data.as_ref().and_then(|a| a.props.as_ref()) {
        card = Cow::Owned(davlite_formats::select::select_card(&card, names));
    }
    Some(String::from_utf8_lossy(&card).into_owned())
}

/// The formats crate's form of a `C:comp` selection.
fn pick(c: &davlite_proto::CompSelect) -> davlite_formats::select::CompPick {
    davlite_formats::select::CompPick {
        name: c.name.clone(),
        props: c.props.as_ref().map(|ps| {
            ps.iter()
                .map(|p| davlite_formats::select::PropPick {
                    name: p.name.clone(),
                    novalue: p.novalue,
                })
                .collect()
        }),
        comps: c.comps.as_ref().map(|cs| cs.iter().map(pick).collect()),
    }
}
