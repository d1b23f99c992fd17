//! Properties: the live ones we compute, the dead ones clients store, which are protected, and
//! the propstat answer for one resource.

use std::borrow::Cow;

use davlite_formats::ObjectKind;
use davlite_proto::{Elem, Prop, PropContent, PropStat, PropValue, QName};
use davlite_store::{Collection, CollectionKind, ObjectMeta, Reader};

use crate::error::{PropError, quote_etag};
use crate::request::ReqInfo;
use crate::resource::{ADDRESSBOOKS, CALENDARS, INBOX, OUTBOX, PRINCIPALS, Target, inbox_owner};
use crate::share::{self, Access};
use crate::sync_token;

/// A resource as the property code sees it: borrowed, so listing 10,000 objects clones nothing.
#[derive(Clone, Copy)]
pub enum Res<'a> {
    ServerRoot,
    Root,
    Principals,
    Principal(&'a str),
    /// The scheduling inbox / outbox of a user (virtual, see [`Target::ScheduleInbox`]).
    ScheduleInbox(&'a str),
    ScheduleOutbox(&'a str),
    Collection(&'a Collection),
    Object {
        coll: &'a Collection,
        name: &'a str,
        meta: &'a ObjectMeta,
    },
}

impl<'a> Res<'a> {
    /// The resource of an existing target; `None` for a missing one.
    pub fn of(t: &'a Target) -> Option<Res<'a>> {
        Some(match t {
            Target::ServerRoot => Res::ServerRoot,
            Target::Root => Res::Root,
            Target::Principals => Res::Principals,
            Target::Principal(u) => Res::Principal(u),
            Target::ScheduleInbox(u) => Res::ScheduleInbox(u),
            Target::ScheduleOutbox(u) => Res::ScheduleOutbox(u),
            Target::Collection(c) => Res::Collection(c),
            Target::Object {
                coll,
                name,
                meta: Some(meta),
            } => Res::Object { coll, name, meta },
            _ => return None,
        })
    }

    pub fn href(&self, r: &ReqInfo) -> String {
        match self {
            Res::ServerRoot => "/".into(),
            Res::Root => r.prefix.clone(),
            Res::Principals => r.href_of(&[PRINCIPALS], true),
            Res::Principal(u) => r.href_of(&[PRINCIPALS, u], true),
            Res::ScheduleInbox(u) => r.href_of(&[CALENDARS, u, INBOX], true),
            Res::ScheduleOutbox(u) => r.href_of(&[CALENDARS, u, OUTBOX], true),
            Res::Collection(c) => r.href_of(&c.path.split('/').collect::<Vec<_>>(), true),
            Res::Object { coll, name, .. } => {
                let mut segs: Vec<&str> = coll.path.split('/').collect();
                segs.push(name);
                r.href_of(&segs, false)
            }
        }
    }
}

const fn dav(l: &'static str) -> QName {
    QName::dav(l)
}
const fn cal(l: &'static str) -> QName {
    QName::caldav(l)
}
const fn card(l: &'static str) -> QName {
    QName::carddav(l)
}

/// Live properties nobody may set or remove with PROPPATCH: exactly those the RFCs define as
/// protected (RFC 4918 §15, RFC 3744 §5, RFC 3253, RFC 4331, RFC 5397, RFC 5842, RFC 6578,
/// RFC 4791 §5.2 and §6, RFC 6638 §2 and §9, RFC 6352 §6 and §7, RFC 7809 §5). Everything
/// else a client sends is stored: `schedule-calendar-transp`, `calendar-timezone-id`,
/// `schedule-default-calendar-URL`, Apple's and anyone's properties, and `DAV:` names RFC 4918
/// does not define, which are dead properties like any other.
pub fn is_protected(name: &QName) -> bool {
    let l: &str = &name.local;
    match name.ns.as_str() {
        "DAV:" => matches!(
            l,
            "creationdate"
                | "getcontentlength"
                | "getcontenttype"
                | "getetag"
                | "getlastmodified"
                | "lockdiscovery"
                | "resourcetype"
                | "supportedlock"
                | "owner"
                | "group"
                | "supported-privilege-set"
                | "current-user-privilege-set"
                | "acl"
                | "acl-restrictions"
                | "inherited-acl-set"
                | "principal-collection-set"
                | "principal-URL"
                | "group-membership"
                | "current-user-principal"
                | "supported-report-set"
                | "supported-method-set"
                | "supported-live-property-set"
                | "sync-token"
                | "quota-available-bytes"
                | "quota-used-bytes"
                | "resource-id"
                | "parent-set"
                | "add-member"
        ),
        "urn:ietf:params:xml:ns:caldav" => matches!(
            l,
            "supported-calendar-component-set"
                | "supported-calendar-data"
                | "max-resource-size"
                | "min-date-time"
                | "max-date-time"
                | "max-instances"
                | "max-attendees-per-instance"
                | "calendar-home-set"
                | "calendar-user-address-set"
                | "calendar-user-type"
                | "schedule-inbox-URL"
                | "schedule-outbox-URL"
                | "schedule-tag"
                | "timezone-service-set"
                | "calendar-data"
        ),
        "urn:ietf:params:xml:ns:carddav" => matches!(
            l,
            "supported-address-data"
                | "max-resource-size"
                | "addressbook-home-set"
                | "principal-address"
                | "address-data"
        ),
        "http://calendarserver.org/ns/" => matches!(l, "getctag"),
        // Server and sync-engine state (a Schedule-Tag, what the sync engine last saw): a
        // client that could set it could make either skip or overwrite items.
        ns if davlite_proto::ns::RESERVED.contains(&ns) => true,
        _ => false,
    }
}

/// Whether a stored property (Clark name) is in a reserved namespace (server or sync-engine
/// state): never listed, never settable (see [`is_protected`]), whoever asks.
pub fn is_reserved(clark: &str) -> bool {
    clark
        .strip_prefix('{')
        .and_then(|r| r.split_once('}'))
        .is_some_and(|(ns, _)| davlite_proto::ns::RESERVED.contains(&ns))
}

/// Properties settable at creation (MKCALENDAR / extended MKCOL) besides the dead ones.
pub fn settable_at_creation(name: &QName) -> bool {
    !is_protected(name) || *name == cal("supported-calendar-component-set")
}

/// The live properties `allprop` returns (RFC 4918 §9.1: the ones it defines, cheaply computed).
pub(crate) fn allprop_live(res: &Res) -> Vec<QName> {
    let mut v = vec![dav("resourcetype"), dav("getlastmodified")];
    if let Res::Object { .. } = res {
        v.extend([
            dav("getetag"),
            dav("getcontenttype"),
            dav("getcontentlength"),
        ]);
    }
    if let Res::Principal(_) = res {
        v.extend([dav("displayname"), cal("calendar-user-address-set")]);
    }
    // Discovery with an empty PROPFIND body (allprop) must still name the principal: a 207 at
    // the server root without current-user-principal leaves a client with nowhere to go.
    if matches!(res, Res::ServerRoot | Res::Root | Res::Principal(_)) {
        v.push(dav("current-user-principal"));
    }
    v
}

/// Every live property a resource has, for `propname`.
fn live_names(r: &ReqInfo, res: &Res) -> Vec<QName> {
    let mut v = vec![
        dav("resourcetype"),
        dav("current-user-principal"),
        dav("current-user-privilege-set"),
        dav("supported-report-set"),
        dav("principal-collection-set"),
    ];
    match res {
        Res::Principal(u) => {
            v.extend([
                dav("displayname"),
                dav("principal-URL"),
                cal("calendar-home-set"),
                cal("calendar-user-address-set"),
                cal("calendar-user-type"),
                cal("schedule-inbox-URL"),
                cal("schedule-outbox-URL"),
                QName::calserver("email-address-set"),
                card("addressbook-home-set"),
            ]);
            if *u == r.user {
                v.push(cal("schedule-default-calendar-URL"));
            }
        }
        Res::ScheduleInbox(_) => v.extend([
            dav("owner"),
            cal("supported-calendar-component-set"),
            cal("schedule-default-calendar-URL"),
        ]),
        Res::ScheduleOutbox(_) => v.extend([dav("owner"), cal("supported-calendar-component-set")]),
        Res::Collection(c) => {
            v.extend([
                dav("owner"),
                dav("getlastmodified"),
                dav("sync-token"),
                QName::calserver("getctag"),
                dav("quota-used-bytes"),
                dav("quota-available-bytes"),
            ]);
            match c.kind {
                CollectionKind::Calendar => v.extend([
                    cal("supported-calendar-component-set"),
                    cal("supported-calendar-data"),
                    cal("max-resource-size"),
                    cal("min-date-time"),
                    cal("max-date-time"),
                    cal("max-instances"),
                    cal("max-attendees-per-instance"),
                ]),
                CollectionKind::AddressBook => {
                    v.extend([card("supported-address-data"), card("max-resource-size")])
                }
                _ => {}
            }
        }
        Res::Object { .. } => v.extend([
            dav("owner"),
            dav("getetag"),
            dav("getcontenttype"),
            dav("getcontentlength"),
            dav("getlastmodified"),
        ]),
        _ => {}
    }
    v
}

/// HTTP-date (RFC 9110 §5.6.7) of Unix seconds.
pub fn http_date(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        d,
        MONTHS[(m - 1) as usize],
        y,
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// iCalendar UTC date-time (`20240101T000000Z`) of Unix seconds.
pub fn ical_utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

fn owner_of(res: &Res) -> Option<String> {
    match res {
        Res::Collection(c) => Some(c.owner.clone()),
        Res::Object { coll, .. } => Some(coll.owner.clone()),
        Res::ScheduleInbox(u) | Res::ScheduleOutbox(u) => Some(u.to_string()),
        _ => None,
    }
    .filter(|o| !o.is_empty())
}

/// Computes one live property; `None` when this resource does not have it.
pub fn live(r: &ReqInfo, reader: &Reader, res: &Res, name: &QName) -> Option<PropContent<'static>> {
    let ns = name.ns.as_str();
    let l: &str = &name.local;
    let owned = |s: String| Some(PropContent::Text(Cow::Owned(s)));
    let href = |s: String| Some(PropContent::Hrefs(vec![Cow::Owned(s)]));
    match (ns, l) {
        ("DAV:", "resourcetype") => Some(PropContent::resourcetype(&match res {
            Res::Principal(_) => vec![dav("collection"), dav("principal")],
            // Never `C:calendar`: DAVx5 and Evolution would list them as calendars.
            Res::ScheduleInbox(_) => vec![dav("collection"), cal("schedule-inbox")],
            Res::ScheduleOutbox(_) => vec![dav("collection"), cal("schedule-outbox")],
            Res::Collection(c) if inbox_owner(&c.path).is_some() => {
                vec![dav("collection"), cal("schedule-inbox")]
            }
            Res::Collection(c) => {
                let mut v = match c.kind {
                    CollectionKind::Calendar => vec![dav("collection"), cal("calendar")],
                    CollectionKind::AddressBook => vec![dav("collection"), card("addressbook")],
                    _ => vec![dav("collection")],
                };
                // CalendarServer sharing: how Apple's clients tell a shared collection apart,
                // on the owner's side and on the sharee's.
                if c.owner != r.user && share::access(c, &r.user).is_some() {
                    v.push(QName::calserver("shared"));
                } else if c.owner == r.user && share::shareable(c) && share::is_shared(c) {
                    v.push(QName::calserver("shared-owner"));
                }
                v
            }
            Res::Object { .. } => vec![],
            _ => vec![dav("collection")],
        })),
        ("DAV:", "current-user-principal") => href(r.principal_href()),
        ("DAV:", "principal-URL") => match res {
            Res::Principal(u) => href(r.href_of(&[PRINCIPALS, u], true)),
            _ => None,
        },
        // RFC 3744 §5.8: where clients may search for principals. On every resource, since
        // Thunderbird asks a calendar's parent and Evolution a calendar.
        ("DAV:", "principal-collection-set") => href(r.href_of(&[PRINCIPALS], true)),
        ("DAV:", "displayname") => match res {
            Res::Principal(u) => owned(r.dav.directory().info(u).display().to_string()),
            _ => None,
        },
        ("DAV:", "owner") => owner_of(res)
            .map(|o| PropContent::Hrefs(vec![Cow::Owned(r.href_of(&[PRINCIPALS, &o], true))])),
        ("DAV:", "getetag") => match res {
            Res::Object { meta, .. } => owned(quote_etag(&meta.etag)),
            _ => None,
        },
        ("DAV:", "getcontenttype") => match res {
            Res::Object { meta, .. } => owned(meta.content_type.clone()),
            _ => None,
        },
        ("DAV:", "getcontentlength") => match res {
            Res::Object { meta, .. } => owned(meta.size.to_string()),
            _ => None,
        },
        ("DAV:", "getlastmodified") => match res {
            Res::Object { meta, .. } => owned(http_date(meta.modified)),
            Res::Collection(c) => owned(http_date(c.modified)),
            _ => None,
        },
        ("DAV:", "sync-token") | ("http://calendarserver.org/ns/", "getctag") => match res {
            Res::Collection(c) => owned(sync_token::format_with_children(
                c.id,
                c.seq,
                &child_collections(r, reader, c),
            )),
            _ => None,
        },
        ("DAV:", "supported-report-set") => {
            Some(PropContent::supported_report_set(&supported_reports(res)))
        }
        ("DAV:", "current-user-privilege-set") => {
            Some(PropContent::privilege_set(&privileges(r, res)))
        }
        ("DAV:", "acl") => acl(r, res),
        ("http://calendarserver.org/ns/", "invite") => match res {
            Res::Collection(c) if share::shareable(c) => invite(r, c),
            _ => None,
        },
        // Sharing is offered on what the user owns and may share (Apple's clients show the
        // sharing controls from this; CalendarServer sharing spec §5.1).
        ("http://calendarserver.org/ns/", "allowed-sharing-modes") => match res {
            Res::Collection(c) if c.owner == r.user && share::shareable(c) => Some(
                PropContent::Elements(vec![Elem::empty(QName::calserver("can-be-shared"))]),
            ),
            Res::Collection(c) if share::shareable(c) => Some(PropContent::Elements(vec![])),
            _ => None,
        },
        // On the sharee's side: the collection's URL as its owner knows it.
        ("http://calendarserver.org/ns/", "shared-url") => match res {
            Res::Collection(c) if c.owner != r.user && share::access(c, &r.user).is_some() => {
                let segs: Vec<&str> = c.path.split('/').collect();
                href(crate::href::href(&r.prefix, &segs, true))
            }
            _ => None,
        },
        ("DAV:", "quota-used-bytes") | ("DAV:", "quota-available-bytes") => {
            let o = owner_of(res)?;
            // From the request's snapshot, like every other value in the answer.
            let used = reader.used(&o).ok()?;
            if l == "quota-used-bytes" {
                owned(used.to_string())
            } else {
                // No quota, no number: RFC 4331 §3 lets a server without a limit leave the
                // property out (404 in PROPFIND) rather than invent one.
                let quota = r.dav.store().owner_quota(&o)?;
                owned(quota.saturating_sub(used).to_string())
            }
        }
        ("urn:ietf:params:xml:ns:caldav", "calendar-home-set") => match res {
            Res::Principal(u) => href(r.href_of(&[CALENDARS, u], true)),
            _ => None,
        },
        ("urn:ietf:params:xml:ns:carddav", "addressbook-home-set") => match res {
            Res::Principal(u) => href(r.href_of(&[ADDRESSBOOKS, u], true)),
            _ => None,
        },
        // RFC 6638 §2.4.1: the `mailto:` addresses first (python-caldav and Outlook CalDav
        // Synchronizer take the first one as the user's own), then the principal URL.
        ("urn:ietf:params:xml:ns:caldav", "calendar-user-address-set") => match res {
            Res::Principal(u) => Some(PropContent::Hrefs(address_set(r, u))),
            _ => None,
        },
        ("urn:ietf:params:xml:ns:caldav", "calendar-user-type") => match res {
            Res::Principal(_) => owned("INDIVIDUAL".into()),
            _ => None,
        },
        ("http://calendarserver.org/ns/", "email-address-set") => match res {
            Res::Principal(u) => Some(PropContent::Elements(
                r.dav
                    .directory()
                    .info(u)
                    .addresses()
                    .into_iter()
                    .map(|a| Elem::text(QName::calserver("email-address"), a.to_string()))
                    .collect(),
            )),
            _ => None,
        },
        ("urn:ietf:params:xml:ns:caldav", "schedule-inbox-URL") => match res {
            Res::Principal(u) => href(r.href_of(&[CALENDARS, u, INBOX], true)),
            _ => None,
        },
        ("urn:ietf:params:xml:ns:caldav", "schedule-outbox-URL") => match res {
            Res::Principal(u) => href(r.href_of(&[CALENDARS, u, OUTBOX], true)),
            _ => None,
        },
        // RFC 6638 §9.2 puts it on the inbox; Apple and sabre read it on the principal too.
        // Only the user's own: which calendars another user has is theirs to know.
        ("urn:ietf:params:xml:ns:caldav", "schedule-default-calendar-URL") => match res {
            Res::Principal(u) | Res::ScheduleInbox(u) if *u == r.user => {
                default_calendar(reader, u).map(|p| {
                    PropContent::Hrefs(vec![Cow::Owned(
                        r.href_of(&p.split('/').collect::<Vec<_>>(), true),
                    )])
                })
            }
            Res::Collection(c) if inbox_owner(&c.path) == Some(r.user.as_str()) => {
                default_calendar(reader, &r.user).map(|p| {
                    PropContent::Hrefs(vec![Cow::Owned(
                        r.href_of(&p.split('/').collect::<Vec<_>>(), true),
                    )])
                })
            }
            _ => None,
        },
        ("urn:ietf:params:xml:ns:caldav", "schedule-tag") => match res {
            Res::Object { coll, name, .. } => {
                crate::implicit::schedule_tag(reader, &coll.path, name)
                    .map(|t| PropContent::Text(Cow::Owned(format!("\"{t}\""))))
            }
            _ => None,
        },
        ("urn:ietf:params:xml:ns:caldav", "supported-calendar-component-set") => match res {
            Res::ScheduleInbox(_) | Res::ScheduleOutbox(_) => {
                Some(PropContent::calendar_component_set(&[
                    "VEVENT",
                    "VTODO",
                    "VFREEBUSY",
                ]))
            }
            Res::Collection(c) if inbox_owner(&c.path).is_some() => {
                Some(PropContent::calendar_component_set(&[
                    "VEVENT",
                    "VTODO",
                    "VFREEBUSY",
                ]))
            }
            _ => collection_limit(res, ns, l),
        },
        _ => collection_limit(res, ns, l),
    }
}

/// A principal's calendar user addresses: `mailto:` of each e-mail address, then its URL.
pub fn address_set(r: &ReqInfo, user: &str) -> Vec<Cow<'static, str>> {
    let info = r.dav.directory().info(user);
    let mut v: Vec<Cow<'static, str>> = info
        .addresses()
        .into_iter()
        .map(|a| Cow::Owned(format!("mailto:{a}")))
        .collect();
    v.push(Cow::Owned(r.href_of(&[PRINCIPALS, user], true)));
    v
}

/// Where invitations go by default (RFC 6638 §9.2): the user's `default` calendar when it takes
/// events, else their first calendar that does. A store path.
pub fn default_calendar(reader: &Reader, user: &str) -> Option<String> {
    let takes_events = |c: &Collection| {
        c.kind == CollectionKind::Calendar
            && (c.limits.components.0 == 0 || c.limits.components.contains(ObjectKind::Event))
    };
    let home = format!("{CALENDARS}/{user}");
    if let Ok(Some(c)) = reader.collection(&format!("{home}/default"))
        && takes_events(&c)
    {
        return Some(c.path);
    }
    reader
        .children(&home)
        .ok()?
        .into_iter()
        .find(takes_events)
        .map(|c| c.path)
}

fn collection_limit(res: &Res, ns: &str, l: &str) -> Option<PropContent<'static>> {
    let Res::Collection(c) = res else { return None };
    let text = |s: String| Some(PropContent::Text(Cow::Owned(s)));
    match (c.kind, ns, l) {
        (
            CollectionKind::Calendar,
            "urn:ietf:params:xml:ns:caldav",
            "supported-calendar-component-set",
        ) => {
            let names: Vec<&str> = c
                .limits
                .components
                .iter()
                .filter_map(ObjectKind::component_name)
                .collect();
            Some(PropContent::calendar_component_set(&names))
        }
        (CollectionKind::Calendar, "urn:ietf:params:xml:ns:caldav", "supported-calendar-data") => {
            Some(PropContent::supported_calendar_data())
        }
        (
            CollectionKind::AddressBook,
            "urn:ietf:params:xml:ns:carddav",
            "supported-address-data",
        ) => Some(PropContent::supported_address_data(&["3.0", "4.0"])),
        (CollectionKind::Calendar, "urn:ietf:params:xml:ns:caldav", "max-resource-size")
        | (CollectionKind::AddressBook, "urn:ietf:params:xml:ns:carddav", "max-resource-size") => {
            c.limits.max_resource_size.and_then(|v| text(v.to_string()))
        }
        (CollectionKind::Calendar, "urn:ietf:params:xml:ns:caldav", "min-date-time") => {
            c.limits.min_date.and_then(|v| text(ical_utc(v)))
        }
        (CollectionKind::Calendar, "urn:ietf:params:xml:ns:caldav", "max-date-time") => {
            c.limits.max_date.and_then(|v| text(ical_utc(v)))
        }
        (CollectionKind::Calendar, "urn:ietf:params:xml:ns:caldav", "max-instances") => {
            c.limits.max_instances.and_then(|v| text(v.to_string()))
        }
        (
            CollectionKind::Calendar,
            "urn:ietf:params:xml:ns:caldav",
            "max-attendees-per-instance",
        ) => c.limits.max_attendees.and_then(|v| text(v.to_string())),
        _ => None,
    }
}

/// The child collections a sync token covers: those of a plain collection (a home) that the user
/// may see. Calendars and address books hold no collections.
pub fn child_collections(r: &ReqInfo, reader: &Reader, c: &Collection) -> Vec<Collection> {
    if c.kind != CollectionKind::Plain {
        return Vec::new();
    }
    let mut kids = reader.children(&c.path).unwrap_or_default();
    kids.retain(|k| crate::access::visible(r, k));
    if c.owner == r.user {
        kids.extend(crate::share::shared_in(reader, c));
    }
    kids
}

pub fn supported_reports(res: &Res) -> Vec<QName> {
    match res {
        Res::Collection(c) => match c.kind {
            CollectionKind::Calendar => vec![
                cal("calendar-multiget"),
                cal("calendar-query"),
                cal("free-busy-query"),
                dav("sync-collection"),
                dav("expand-property"),
            ],
            CollectionKind::AddressBook => vec![
                card("addressbook-multiget"),
                card("addressbook-query"),
                dav("sync-collection"),
                dav("expand-property"),
            ],
            _ => vec![dav("sync-collection"), dav("expand-property")],
        },
        Res::Object { coll, .. } => match coll.kind {
            CollectionKind::Calendar => vec![
                cal("calendar-multiget"),
                cal("calendar-query"),
                dav("expand-property"),
            ],
            CollectionKind::AddressBook => vec![
                card("addressbook-multiget"),
                card("addressbook-query"),
                dav("expand-property"),
            ],
            _ => vec![dav("expand-property")],
        },
        Res::ServerRoot | Res::Root | Res::Principals | Res::Principal(_) => vec![
            dav("expand-property"),
            dav("principal-property-search"),
            dav("principal-search-property-set"),
            dav("principal-match"),
        ],
        _ => vec![dav("expand-property")],
    }
}

/// The principal reports (RFC 3744 §9): answered on any resource, because clients send them
/// wherever they stand (python-caldav on its base URL, Evolution on a calendar), and listed in
/// `supported-report-set` on the principal tree and the roots, where they belong.
pub fn is_principal_report(name: &QName) -> bool {
    *name == dav("principal-property-search")
        || *name == dav("principal-search-property-set")
        || *name == dav("principal-match")
}

fn privileges(r: &ReqInfo, res: &Res) -> Vec<QName> {
    // RFC 6638 §6: the owner may take deliveries out of the inbox and send from the outbox
    // (free-busy requests are all davlite sends yet).
    match res {
        Res::ScheduleInbox(u) if *u == r.user => {
            return vec![
                dav("read"),
                dav("read-current-user-privilege-set"),
                dav("unbind"),
            ];
        }
        // The stored inbox and its messages: read and take out, never written by clients.
        Res::Collection(c) if inbox_owner(&c.path) == Some(r.user.as_str()) => {
            return vec![
                dav("read"),
                dav("read-current-user-privilege-set"),
                dav("unbind"),
            ];
        }
        Res::Object { coll, .. } if inbox_owner(&coll.path) == Some(r.user.as_str()) => {
            return vec![
                dav("read"),
                dav("read-current-user-privilege-set"),
                dav("unbind"),
            ];
        }
        Res::ScheduleOutbox(u) if *u == r.user => {
            return vec![
                dav("read"),
                dav("read-current-user-privilege-set"),
                cal("schedule-send-freebusy"),
            ];
        }
        _ => {}
    }
    // What a share gives: read (and free-busy), or also writing the members; the collection
    // itself (its properties, deleting or moving it) stays the owner's.
    let shared = match res {
        Res::Collection(c) if c.owner != r.user && share::shareable(c) => {
            share::access(c, &r.user).map(|a| (a, *c, true))
        }
        Res::Object { coll, .. } if coll.owner != r.user && share::shareable(coll) => {
            share::access(coll, &r.user).map(|a| (a, *coll, false))
        }
        _ => None,
    };
    if let Some((a, c, is_coll)) = shared {
        let mut v = vec![dav("read"), dav("read-current-user-privilege-set")];
        if a == Access::ReadWrite {
            if is_coll {
                v.extend([dav("write-content"), dav("bind"), dav("unbind")]);
            } else {
                v.extend([dav("write"), dav("write-properties"), dav("write-content")]);
            }
        }
        if c.kind == CollectionKind::Calendar {
            v.push(cal("read-free-busy"));
        }
        return v;
    }
    let mine = match res {
        Res::Collection(c) => c.owner == r.user && c.path.split('/').count() >= 2,
        Res::Object { coll, .. } => coll.owner == r.user,
        Res::Principal(u) => *u == r.user,
        _ => false,
    };
    let mut v = vec![dav("read"), dav("read-current-user-privilege-set")];
    if mine {
        v.extend([
            dav("write"),
            dav("write-properties"),
            dav("write-content"),
            dav("bind"),
            dav("unbind"),
        ]);
        if matches!(res, Res::Collection(c) if c.kind == CollectionKind::Calendar) {
            v.push(cal("read-free-busy"));
        }
    }
    v
}

/// `DAV:acl` (RFC 3744 §5.5), read-only: the owner may do everything; each sharee who has
/// accepted may read, and with read-write also write the members. Every ACE is protected: the
/// ACL changes by sharing and unsharing, not by the ACL method.
fn acl(r: &ReqInfo, res: &Res) -> Option<PropContent<'static>> {
    let coll = match res {
        Res::Collection(c) => *c,
        Res::Object { coll, .. } => *coll,
        _ => return None,
    };
    if coll.owner.is_empty() {
        return None;
    }
    let ace = |who: &str, privs: &[QName]| {
        let mut grant = Elem::empty(dav("grant"));
        for p in privs {
            grant = grant.child(Elem::empty(dav("privilege")).child(Elem::empty(p.clone())));
        }
        Elem::empty(dav("ace"))
            .child(
                Elem::empty(dav("principal"))
                    .child(Elem::text(dav("href"), r.href_of(&[PRINCIPALS, who], true))),
            )
            .child(grant)
            .child(Elem::empty(dav("protected")))
    };
    let mut aces = vec![ace(&coll.owner, &[dav("all")])];
    if share::shareable(coll) {
        for g in share::grants(coll) {
            if g.status != share::Status::Accepted {
                continue;
            }
            let privs: &[QName] = match g.access {
                Access::Read => &[dav("read")],
                Access::ReadWrite => &[
                    dav("read"),
                    dav("write-content"),
                    dav("bind"),
                    dav("unbind"),
                ],
            };
            aces.push(ace(&g.sharee, privs));
        }
    }
    Some(PropContent::Elements(aces))
}

/// `CS:invite` (CalendarServer sharing): who the collection is shared with and how; a sharee
/// also sees the owner as `CS:organizer`. `None` for a collection nobody shares.
fn invite(r: &ReqInfo, c: &Collection) -> Option<PropContent<'static>> {
    let grants = share::grants(c);
    if grants.is_empty() {
        return None;
    }
    let dir = r.dav.directory();
    // A sharee is named by their first e-mail address, as Apple's clients name them.
    let user_href = |u: &str| {
        dir.info(u)
            .addresses()
            .first()
            .map(|a| format!("mailto:{a}"))
            .unwrap_or_else(|| r.href_of(&[PRINCIPALS, u], true))
    };
    let mut out = Vec::new();
    if c.owner != r.user {
        out.push(
            Elem::empty(QName::calserver("organizer"))
                .child(Elem::text(dav("href"), user_href(&c.owner)))
                .child(Elem::text(
                    QName::calserver("common-name"),
                    dir.info(&c.owner).display().to_string(),
                )),
        );
    }
    for g in grants {
        let common_name = if g.common_name.is_empty() {
            dir.info(&g.sharee).display().to_string()
        } else {
            g.common_name.clone()
        };
        let mut user =
            Elem::empty(QName::calserver("user"))
                .child(Elem::text(dav("href"), user_href(&g.sharee)))
                .child(Elem::text(QName::calserver("common-name"), common_name))
                .child(Elem::empty(QName::calserver(match g.status {
                    share::Status::Accepted => "invite-accepted",
                    share::Status::Declined => "invite-declined",
                })))
                .child(Elem::empty(QName::calserver("access")).child(Elem::empty(
                    QName::calserver(match g.access {
                        Access::Read => "read",
                        Access::ReadWrite => "read-write",
                    }),
                )));
        if !g.summary.is_empty() {
            user = user.child(Elem::text(QName::calserver("summary"), g.summary.clone()));
        }
        out.push(user);
    }
    Some(PropContent::Elements(out))
}

/// Dead properties of a resource, decoded from their stored XML. An object's are read from the
/// store only when the request may ask for one (allprop, propname, or a name that is not one of
/// our protected live properties), so a `getetag` listing never touches them.
pub fn dead(r: &ReqInfo, reader: &Reader, res: &Res, which: &Which) -> Vec<(QName, PropValue)> {
    let decode = |m: &std::collections::BTreeMap<String, Vec<u8>>| {
        m.iter()
            .filter(|(clark, _)| !is_reserved(clark))
            .filter_map(|(_, xml)| PropValue::from_xml(xml).ok())
            .collect()
    };
    match res {
        Res::Collection(c) => decode(&crate::share::props_seen_by(reader, &r.user, c)),
        Res::Object { coll, name, .. } => {
            let wanted = match which {
                Which::Names(names) => names.iter().any(|n| !is_protected(n)),
                _ => true,
            };
            if !wanted {
                return Vec::new();
            }
            reader
                .object_props(&coll.path, name)
                .map(|m| decode(&m))
                .unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

/// How a PROPFIND or report asks for properties.
pub enum Which<'a> {
    Names(&'a [QName]),
    All(&'a [QName]),
    PropName,
}

/// The propstats of one resource. `extra` holds report-specific values (calendar-data,
/// address-data) already computed by the caller; `minimal` drops the 404 propstat.
pub fn propstats<'a>(
    r: &ReqInfo,
    reader: &Reader,
    res: &Res,
    which: &Which,
    dead_values: &'a [(QName, PropValue)],
    extra: Vec<Prop<'a>>,
    minimal: bool,
) -> Vec<PropStat<'a>> {
    let mut found: Vec<Prop<'a>> = Vec::new();
    let mut missing: Vec<QName> = Vec::new();
    match which {
        Which::PropName => {
            for n in live_names(r, res) {
                found.push(Prop::empty(n));
            }
            for (n, _) in dead_values {
                found.push(Prop::empty(n.clone()));
            }
        }
        Which::All(include) => {
            for n in allprop_live(res).iter().chain(include.iter()) {
                if let Some(v) = live(r, reader, res, n) {
                    if !found.iter().any(|p| p.name == *n) {
                        found.push(Prop::new(n.clone(), v));
                    }
                }
            }
            for (n, v) in dead_values {
                found.push(Prop::new(n.clone(), PropContent::Raw(v)));
            }
        }
        Which::Names(names) => {
            for n in names.iter() {
                if let Some(p) = extra.iter().find(|p| p.name == *n) {
                    found.push(p.clone());
                } else if let Some(v) = live(r, reader, res, n) {
                    found.push(Prop::new(n.clone(), v));
                } else if let Some((_, v)) = dead_values.iter().find(|(dn, _)| dn == n) {
                    found.push(Prop::new(n.clone(), PropContent::Raw(v)));
                } else {
                    missing.push(n.clone());
                }
            }
        }
    }
    let mut out = Vec::with_capacity(2);
    if !found.is_empty() || missing.is_empty() || minimal {
        out.push(PropStat::ok(found));
    }
    if !missing.is_empty() && !minimal {
        out.push(PropStat::new(
            PropError::Missing.status(),
            missing.into_iter().map(Prop::empty).collect(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(1_700_000_000), "Tue, 14 Nov 2023 22:13:20 GMT");
        assert_eq!(ical_utc(1_700_000_000), "20231114T221320Z");
    }
}
