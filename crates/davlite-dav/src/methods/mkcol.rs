//! MKCOL (plain and extended, RFC 5689) and MKCALENDAR (RFC 4791 §5.3.1). A collection is created
//! with all its properties in one transaction, or not at all.

use davlite_formats::{ComponentSet, ObjectKind};
use davlite_proto::{
    BodyCondition, Condition, DavKind, MkCol, MkColKind, MultistatusWriter, PropStat, PropValue,
    QName, XmlError, mkcol_response,
};
use davlite_store::{CollectionKind, NewCollection, StoreError};
use http::{Response, StatusCode, header};

use crate::DavBody;
use crate::access;
use crate::error::{DavError, DavResult};
use crate::props;
use crate::provision::default_limits;
use crate::request::Req;
use crate::resource::Target;

pub fn handle(r: &Req) -> DavResult<Response<DavBody>> {
    let calendar_method = r.method.as_str() == "MKCALENDAR";
    let reader = r.dav.store().read().map_err(DavError::internal)?;
    let target = r.target(&reader)?;
    if target.exists() {
        return Err(if calendar_method {
            DavError::forbidden(Condition::ResourceMustBeNull)
        } else {
            // The 405 lists what this resource allows; MKCOL is not among them.
            DavError::MethodNotAllowed(match target {
                Target::Collection(_) => super::options::ALLOW_COLLECTION_ITSELF,
                _ => super::options::allow(&target),
            })
        });
    }
    let parent_kind = match &target {
        Target::Object { coll, .. } => coll.kind,
        Target::Missing { .. } => return Err(DavError::MissingParent),
        _ => return Err(DavError::MethodNotAllowed(super::options::ALLOW_VIRTUAL)),
    };
    drop(reader);
    access::check_write(r, &target)?;
    let cond = crate::cond::Conditionals::parse(&r.headers)?;
    if !cond.hold(None) {
        return Err(DavError::PreconditionFailed(None));
    }

    let body = if r.body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match MkCol::parse(&r.body) {
            Ok(b) => Some(b),
            Err(XmlError::UnsupportedMkcolRoot(_))
            | Err(XmlError::Malformed(_))
            | Err(XmlError::UnexpectedRoot { .. }) => {
                return Err(DavError::UnsupportedBody);
            }
            Err(e) => return Err(DavError::xml(e)),
        }
    };
    if let Some(b) = &body {
        let expected = if calendar_method {
            MkColKind::Mkcalendar
        } else {
            MkColKind::Mkcol
        };
        if b.kind != expected {
            return Err(DavError::UnsupportedBody);
        }
    }

    let kind = if calendar_method {
        CollectionKind::Calendar
    } else {
        match body.as_ref().map(|b| b.resourcetype.as_slice()) {
            None | Some([]) => CollectionKind::Plain,
            Some(types) => match resourcetype_kind(types) {
                Some(k) => k,
                None => {
                    let mut names = vec![QName::dav("resourcetype")];
                    names.extend(
                        body.as_ref()
                            .map(|b| b.props.iter().map(|p| p.0.clone()).collect::<Vec<_>>())
                            .unwrap_or_default(),
                    );
                    let ps = crate::methods::proppatch::refusal_propstats(
                        &names,
                        &names[..1],
                        Condition::ValidResourcetype,
                    );
                    return Ok(refusal(false, &target.href(&r.prefix), &ps));
                }
            },
        }
    };
    // RFC 4791 §4.2 / RFC 6352 §5.2: no collections inside calendars or address books.
    if parent_kind != CollectionKind::Plain {
        let dk = if kind == CollectionKind::AddressBook {
            DavKind::Addressbook
        } else {
            DavKind::Calendar
        };
        return Err(DavError::forbidden(Condition::CollectionLocationOk {
            kind: dk,
        }));
    }

    let mut limits = default_limits(kind);
    let mut dead: Vec<(String, Vec<u8>)> = Vec::new();
    let props: Vec<(QName, PropValue)> = body.map(|b| b.props).unwrap_or_default();
    let bad: Vec<QName> = props
        .iter()
        .map(|p| p.0.clone())
        .filter(|n| {
            !props::settable_at_creation(n)
                || (*n == QName::caldav("supported-calendar-component-set")
                    && kind != CollectionKind::Calendar)
        })
        .collect();
    if !bad.is_empty() {
        let names: Vec<QName> = props.iter().map(|p| p.0.clone()).collect();
        let ps = crate::methods::proppatch::refusal_propstats(
            &names,
            &bad,
            Condition::CannotModifyProtectedProperty,
        );
        return Ok(refusal(calendar_method, &target.href(&r.prefix), &ps));
    }
    let mut props = props;
    if kind == CollectionKind::Calendar {
        let mut ops: Vec<(QName, Option<PropValue>)> = props
            .iter()
            .map(|(n, v)| (n.clone(), Some(v.clone())))
            .collect();
        if let Err(refused) = crate::timezone::in_step(&mut ops) {
            let (name, cond) = *refused;
            let names: Vec<QName> = props.iter().map(|p| p.0.clone()).collect();
            let ps = crate::methods::proppatch::refusal_propstats(&names, &[name], cond);
            return Ok(refusal(calendar_method, &target.href(&r.prefix), &ps));
        }
        // The companion property the request did not set itself.
        let given = props.len();
        props.extend(
            ops.into_iter()
                .skip(given)
                .filter_map(|(n, v)| v.map(|v| (n, v))),
        );
    }
    for (name, value) in &props {
        if *name == QName::caldav("supported-calendar-component-set") {
            let mut set = ComponentSet::NONE;
            for child in value.child_attrs(&QName::caldav("comp"), "name") {
                match component_kind(&child) {
                    Some(k) => set = set.with(k),
                    None => {
                        let names: Vec<QName> = props.iter().map(|p| p.0.clone()).collect();
                        let ps = crate::methods::proppatch::refusal_propstats(
                            &names,
                            std::slice::from_ref(name),
                            Condition::Body(BodyCondition::SupportedCalendarComponent),
                        );
                        return Ok(refusal(calendar_method, &target.href(&r.prefix), &ps));
                    }
                }
            }
            if set != ComponentSet::NONE {
                limits.components = set;
            }
            continue;
        }
        dead.push((name.to_clark(), value.to_xml(name).into_bytes()));
    }

    let segs = target.segments();
    let path = segs.join("/");
    let owner = r.user.clone();
    match r.dav.store().create_collection(
        &path,
        NewCollection {
            kind,
            owner,
            limits,
            props: dead,
        },
    ) {
        Ok(_) => {}
        Err(StoreError::AlreadyExists) => {
            return Err(if calendar_method {
                DavError::forbidden(Condition::ResourceMustBeNull)
            } else {
                DavError::MethodNotAllowed(super::options::ALLOW_COLLECTION_ITSELF)
            });
        }
        Err(StoreError::WrongKind { .. }) => return Err(DavError::location(kind)),
        Err(e) => return Err(DavError::from_store(e, kind, &|n| n.to_string())),
    }
    Ok(Response::builder()
        .status(StatusCode::CREATED)
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::CONTENT_LENGTH, "0")
        .body(DavBody::empty())
        .expect("valid response"))
}

fn resourcetype_kind(types: &[QName]) -> Option<CollectionKind> {
    let mut kind = None;
    let mut collection = false;
    for t in types {
        if *t == QName::dav("collection") {
            collection = true;
        } else if *t == QName::caldav("calendar") && kind.is_none() {
            kind = Some(CollectionKind::Calendar);
        } else if *t == QName::carddav("addressbook") && kind.is_none() {
            kind = Some(CollectionKind::AddressBook);
        } else {
            return None;
        }
    }
    if !collection {
        return None;
    }
    Some(kind.unwrap_or(CollectionKind::Plain))
}

fn component_kind(name: &str) -> Option<ObjectKind> {
    match name.to_ascii_uppercase().as_str() {
        "VEVENT" => Some(ObjectKind::Event),
        "VTODO" => Some(ObjectKind::Todo),
        "VJOURNAL" => Some(ObjectKind::Journal),
        "VFREEBUSY" => Some(ObjectKind::FreeBusy),
        _ => None,
    }
}

/// MKCALENDAR answers a failed property with 207 (RFC 4791 §5.3.1.2); extended MKCOL with 403
/// and an `mkcol-response` body (RFC 5689 §3.3).
fn refusal(calendar_method: bool, href: &str, ps: &[PropStat]) -> Response<DavBody> {
    if calendar_method {
        let mut w = MultistatusWriter::new();
        w.response_propstat(href, ps);
        super::propfind::multistatus(DavBody::Full(w.finish()), false)
    } else {
        DavError::PropertiesRefused(mkcol_response(ps)).into_response()
    }
}
