//! Answer plans for object members. A listing writes the same properties for every member, and
//! all but a handful of them (ETag, type, length, date, the body) are the same bytes for every
//! member of a collection. A plan renders those once per request with the general property code
//! and then writes each member from its borrowed store record: no property values, propstat
//! vectors or strings are built per member. The output is byte for byte what the general path
//! writes (tested below), so the plan is an optimisation, never a second behaviour.

use std::borrow::Cow;

use davlite_proto::{MultistatusWriter, Prop, PropContent, PropStat, QName};
use davlite_store::{Collection, Etag, ObjectKind, ObjectMeta, ObjectView, Reader};

use crate::error::PropError;
use crate::props::{self, Res, Which};
use crate::request::ReqInfo;

/// One property of the 200 propstat, in request order.
enum Item {
    Etag,
    ContentType,
    ContentLength,
    LastModified,
    /// Markup rendered once (neighbouring constant properties merged).
    Const(Vec<u8>),
    /// `calendar-data` / `address-data`: the stored body as text.
    Data {
        open: Vec<u8>,
        close: Vec<u8>,
    },
}

pub struct ObjectPlan {
    items: Vec<Item>,
    /// Whether the 200 propstat is written at all (the general rule in `props::propstats`).
    ok_propstat: bool,
    /// The rendered 404 propstat, empty when there is none.
    not_found: Vec<u8>,
    /// The last Last-Modified rendered: members written in one burst often share the second.
    date: (i64, String),
}

const DAV_NS: &str = "DAV:";

fn variable(name: &QName) -> Option<Item> {
    if name.ns.as_str() != DAV_NS {
        return None;
    }
    Some(match &*name.local {
        "getetag" => Item::Etag,
        "getcontenttype" => Item::ContentType,
        "getcontentlength" => Item::ContentLength,
        "getlastmodified" => Item::LastModified,
        _ => return None,
    })
}

fn push_const(items: &mut Vec<Item>, prop: Prop<'_>) {
    let xml = davlite_proto::render_props(&[prop]);
    if let Some(Item::Const(prev)) = items.last_mut() {
        prev.extend_from_slice(&xml);
    } else {
        items.push(Item::Const(xml));
    }
}

impl ObjectPlan {
    /// The plan for the objects of `coll`, or `None` where only the general path is right:
    /// `propname`, and any request that could name a dead property when an object of this
    /// collection has one. `data` names the body element a report asked for (plain
    /// calendar-data / address-data, no expansion).
    pub fn new(
        r: &ReqInfo,
        reader: &Reader,
        coll: &Collection,
        which: &Which,
        data: Option<&QName>,
        minimal: bool,
    ) -> Option<ObjectPlan> {
        let dead_possible = match which {
            Which::PropName => return None,
            Which::All(_) => true,
            Which::Names(names) => names.iter().any(|n| !props::is_protected(n)),
        };
        if dead_possible && reader.has_object_props(&coll.path).unwrap_or(true) {
            return None;
        }
        // Every value but the variable ones depends only on the collection and the request.
        let meta = ObjectMeta {
            etag: Etag([0; 16]),
            uid: None,
            kind: ObjectKind::Event,
            size: 0,
            content_type: String::new(),
            modified: 0,
            span: None,
            seq: 0,
        };
        let res = Res::Object {
            coll,
            name: "",
            meta: &meta,
        };
        let mut items = Vec::new();
        let mut missing = Vec::new();
        match which {
            Which::PropName => return None,
            Which::All(include) => {
                if data.is_some() {
                    return None;
                }
                let mut seen: Vec<&QName> = Vec::new();
                let live = props::allprop_live(&res);
                for n in live.iter().chain(include.iter()) {
                    if seen.contains(&n) {
                        continue;
                    }
                    if let Some(item) = variable(n) {
                        seen.push(n);
                        items.push(item);
                    } else if let Some(v) = props::live(r, reader, &res, n) {
                        seen.push(n);
                        push_const(&mut items, Prop::new(n.clone(), v));
                    }
                }
            }
            Which::Names(names) => {
                for n in names.iter() {
                    if data == Some(n) {
                        let marked = davlite_proto::render_props(&[Prop::new(
                            n.clone(),
                            PropContent::Text(Cow::Borrowed("X")),
                        )]);
                        let at = marked.windows(3).position(|w| w == b">X<")?;
                        items.push(Item::Data {
                            open: marked[..at + 1].to_vec(),
                            close: marked[at + 2..].to_vec(),
                        });
                    } else if let Some(item) = variable(n) {
                        items.push(item);
                    } else if let Some(v) = props::live(r, reader, &res, n) {
                        push_const(&mut items, Prop::new(n.clone(), v));
                    } else {
                        missing.push(n.clone());
                    }
                }
            }
        }
        let ok_propstat = !items.is_empty() || missing.is_empty() || minimal;
        let not_found = if !missing.is_empty() && !minimal {
            davlite_proto::render_propstats(&[PropStat::new(
                PropError::Missing.status(),
                missing.into_iter().map(Prop::empty).collect(),
            )])
        } else {
            Vec::new()
        };
        r.dav.count_plan();
        Some(ObjectPlan {
            items,
            ok_propstat,
            not_found,
            date: (i64::MIN, String::new()),
        })
    }

    /// Whether members need their bodies read.
    pub fn wants_body(&self) -> bool {
        self.items.iter().any(|i| matches!(i, Item::Data { .. }))
    }

    /// Writes one member's `<D:response>`; `body` is required when [`wants_body`] says so.
    pub fn write(
        &mut self,
        w: &mut MultistatusWriter,
        href: &str,
        obj: &ObjectView<'_>,
        body: Option<&[u8]>,
    ) {
        w.push_raw(b"<D:response><D:href>");
        w.push_text(href);
        w.push_raw(b"</D:href>");
        if self.ok_propstat {
            if self.items.is_empty() {
                w.push_raw(b"<D:propstat><D:prop/>");
            } else {
                w.push_raw(b"<D:propstat><D:prop>");
                for item in &self.items {
                    write_item(w, item, obj, body, &mut self.date);
                }
                w.push_raw(b"</D:prop>");
            }
            w.push_raw(b"<D:status>HTTP/1.1 200 OK</D:status></D:propstat>");
        }
        w.push_raw(&self.not_found);
        w.push_raw(b"</D:response>");
    }
}

fn write_item(
    w: &mut MultistatusWriter,
    item: &Item,
    obj: &ObjectView<'_>,
    body: Option<&[u8]>,
    date: &mut (i64, String),
) {
    match item {
        Item::Const(xml) => w.push_raw(xml),
        Item::Etag => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let mut buf = [0u8; 34];
            buf[0] = b'"';
            for (i, b) in obj.etag.0.iter().enumerate() {
                buf[1 + 2 * i] = HEX[(b >> 4) as usize];
                buf[2 + 2 * i] = HEX[(b & 15) as usize];
            }
            buf[33] = b'"';
            w.push_raw(b"<D:getetag>");
            w.push_raw(&buf);
            w.push_raw(b"</D:getetag>");
        }
        Item::ContentType if obj.content_type.is_empty() => w.push_raw(b"<D:getcontenttype/>"),
        Item::ContentType => {
            w.push_raw(b"<D:getcontenttype>");
            w.push_text(obj.content_type);
            w.push_raw(b"</D:getcontenttype>");
        }
        Item::ContentLength => {
            w.push_raw(b"<D:getcontentlength>");
            w.push_raw(obj.size.to_string().as_bytes());
            w.push_raw(b"</D:getcontentlength>");
        }
        Item::LastModified => {
            if date.0 != obj.modified {
                *date = (obj.modified, props::http_date(obj.modified));
            }
            w.push_raw(b"<D:getlastmodified>");
            w.push_raw(date.1.as_bytes());
            w.push_raw(b"</D:getlastmodified>");
        }
        Item::Data { open, close } => {
            let text = String::from_utf8_lossy(body.unwrap_or_default());
            if text.is_empty() {
                // What the general writer makes of an empty text value.
                let mut tag = open.clone();
                tag.pop();
                tag.extend_from_slice(b"/>");
                w.push_raw(&tag);
            } else {
                w.push_raw(open);
                w.push_text(&text);
                w.push_raw(close);
            }
        }
    }
}
