//! sync-collection (RFC 6578). Tokens name their collection and sequence; the store answers the
//! changes since a sequence in O(changes). Depth 0, 1 or none and a missing sync-level are all
//! served as a sync of the members (Thunderbird and Apple send Depth 1, Apple omits sync-level).

use davlite_proto::{Condition, MultistatusWriter, PropRequest};
use davlite_store::{ChangeKind, Collection, CollectionId, CollectionKind, Reader, StoreError};

use super::data::write_object;
use crate::error::{DavError, DavResult, MemberError};
use crate::props::{self, Res};
use crate::request::Req;
use crate::stream::{self, Tail, WriteItem, WriteScanned};
use crate::{DavBody, sync_token};

#[allow(clippy::too_many_arguments)]
pub fn run(
    r: &Req,
    reader: Reader,
    res: &Res,
    token: Option<&str>,
    level: Option<&str>,
    limit: Option<u32>,
    props: &PropRequest,
    minimal: bool,
) -> DavResult<DavBody> {
    let Res::Collection(coll) = res else {
        return Err(DavError::forbidden(Condition::SupportedReport));
    };
    let depth_infinity = r
        .header("depth")
        .is_some_and(|d| d.trim().eq_ignore_ascii_case("infinity"));
    if depth_infinity && level == Some("1") {
        return Err(DavError::BadRequest(
            "sync-level 1 with Depth: infinity".into(),
        ));
    }
    match level.map(str::trim) {
        None | Some("1") => {}
        // A calendar or address book holds no collections, so an infinite sync of one is the
        // sync of its members. Of a plain collection (a home) we do not offer it.
        Some("infinite") if coll.kind != CollectionKind::Plain => {}
        Some("infinite") => return Err(DavError::forbidden(Condition::SupportedReport)),
        // RFC 6578 §6.3 allows "1" and "infinite" only, and names no precondition.
        Some(other) => {
            return Err(DavError::BadRequest(format!(
                "sync-level {other:?} is neither 1 nor infinite"
            )));
        }
    }
    if limit == Some(0) {
        // RFC 6578 §3.7: a limit we cannot honour. A page of nothing would hand back the same
        // token and a client following the 507 would ask again forever.
        return Err(DavError::Insufficient(
            Condition::NumberOfMatchesWithinLimits,
        ));
    }
    let parsed = match token.map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => match sync_token::parse(t) {
            Some(tok) if tok.coll == coll.id => Some(tok),
            _ => return Err(invalid_token(r, coll)),
        },
    };
    let since = parsed.as_ref().map(|t| t.seq);
    // An initial sync of a calendar or address book without a limit is the listing at the
    // snapshot's sequence: one scan of the object records instead of walking the change log and
    // then looking every member up again.
    let listing = since.is_none() && limit.is_none() && coll.kind != CollectionKind::Plain;
    if listing {
        if let Some(mut plan) = super::data::plan(r, &reader, coll, props, minimal) {
            // Calendars and address books hold no child collections: the token is the
            // collection's own sequence in this snapshot.
            let token = sync_token::format_with_children(coll.id, coll.seq, &[]);
            let base = Res::Collection(coll).href(r);
            let prefix = base.clone();
            let path = coll.path.clone();
            let mut href = String::with_capacity(base.len() + 64);
            let write: WriteScanned = Box::new(move |_, reader, w, name, obj| {
                href.clear();
                href.push_str(&prefix);
                crate::href::push_segment(&mut href, name);
                super::data::write_planned(&mut plan, reader, w, &href, &path, name, obj);
            });
            let tail: Tail = Box::new(move |w| w.sync_token(&token));
            let w = MultistatusWriter::new();
            return Ok(stream::scanned(
                r,
                reader,
                w,
                &coll.path,
                &base,
                write,
                Some(tail),
            ));
        }
    }
    let (mut changes, mut metas) = if listing {
        let list = reader.list(&coll.path).map_err(DavError::internal)?;
        let mut changes = Vec::with_capacity(list.len());
        let mut metas = Vec::with_capacity(list.len());
        for (name, meta) in list {
            changes.push(davlite_store::Change {
                name,
                kind: ChangeKind::Upsert,
                is_collection: false,
                seq: meta.seq,
            });
            metas.push(Some(meta));
        }
        (
            davlite_store::Changes {
                changes,
                seq: coll.seq,
                truncated: false,
            },
            metas,
        )
    } else {
        match reader.changes_since(&coll.path, since, limit.map(|l| l as usize)) {
            Ok(c) => (c, Vec::new()),
            Err(StoreError::InvalidSyncToken) => return Err(invalid_token(r, coll)),
            Err(e) => return Err(DavError::internal(e)),
        }
    };
    let children = props::child_collections(r, &reader, coll);
    let token = if changes.truncated {
        // The children's sequences stay as the client had them: content changes of child
        // collections are reported on the last page.
        let kept: Vec<Collection> = children
            .iter()
            .filter_map(|c| {
                let (_, seq) = parsed
                    .as_ref()?
                    .children
                    .iter()
                    .find(|(id, _)| *id == c.id)?;
                Some(Collection {
                    seq: *seq,
                    ..c.clone()
                })
            })
            .collect();
        sync_token::format_with_children(coll.id, changes.seq, &kept)
    } else {
        // An initial sync lists every child too: collections shared into a home are not in
        // the home's own log.
        let known = parsed.as_ref().map_or(&[][..], |t| &t.children[..]);
        add_changed_children(&r.user, &mut changes.changes, &children, known);
        if let Some(tok) = &parsed {
            if coll.owner == r.user {
                add_gone_shares(
                    r,
                    &reader,
                    coll,
                    &mut changes.changes,
                    &children,
                    &tok.children,
                );
            }
        }
        sync_token::format_with_children(coll.id, changes.seq, &children)
    };
    let w = MultistatusWriter::new();
    let coll = (*coll).clone();
    let props = props.clone();
    let truncated = changes.truncated;
    let raw_path = r.raw_path.clone();
    metas.resize(changes.changes.len(), None);
    // The bodies of upserted objects, when the answer carries their data.
    let prefetch = super::data::carries_data(&props).then(|| {
        let path = coll.path.clone();
        let p: stream::Prefetch<(davlite_store::Change, Option<davlite_store::ObjectMeta>)> =
            Box::new(move |_, reader, items| {
                let names: Vec<&str> = items
                    .iter()
                    .filter(|(c, _)| c.kind != ChangeKind::Delete && !c.is_collection)
                    .map(|(c, _)| c.name.as_str())
                    .collect();
                reader.prefetch(&path, &names);
            });
        p
    });
    let items: Vec<(davlite_store::Change, Option<davlite_store::ObjectMeta>)> =
        changes.changes.into_iter().zip(metas).collect();
    let write: WriteItem<(davlite_store::Change, Option<davlite_store::ObjectMeta>)> =
        Box::new(move |info, reader, w, (ch, known)| {
            let mut segs: Vec<&str> = coll.path.split('/').collect();
            segs.push(&ch.name);
            let href = info.href_of(&segs, ch.is_collection);
            match ch.kind {
                ChangeKind::Delete => MemberError::Missing.write(w, &href),
                _ if ch.is_collection => match reader.collection(
                    &crate::share::to_store(
                        &info.user,
                        segs.iter().map(|s| s.to_string()).collect(),
                    )
                    .join("/"),
                ) {
                    Ok(Some(c)) if crate::access::visible(info, &c) => {
                        let res = Res::Collection(&c);
                        let dead = props::dead(info, reader, &res, &super::data::which(&props));
                        let ps = props::propstats(
                            info,
                            reader,
                            &res,
                            &super::data::which(&props),
                            &dead,
                            Vec::new(),
                            minimal,
                        );
                        w.response_propstat(&href, &ps);
                    }
                    Ok(Some(_)) => {}
                    _ => MemberError::Missing.write(w, &href),
                },
                _ => match known
                    .map(|m| Ok(Some(m)))
                    .unwrap_or_else(|| reader.meta(&coll.path, &ch.name))
                {
                    Ok(Some(meta)) => {
                        write_object(
                            info, reader, w, &href, &coll, &ch.name, &meta, None, &props, None,
                            minimal,
                        );
                    }
                    _ => MemberError::Missing.write(w, &href),
                },
            }
        });
    let tail: Tail = Box::new(move |w| {
        if truncated {
            // RFC 6578 §3.6: a 507 for the request-URI, spelled as the client sent it.
            MemberError::Truncated.write(w, &raw_path);
        }
        w.sync_token(&token);
    });
    Ok(stream::members_prefetched(
        r,
        reader,
        w,
        items,
        write,
        Some(tail),
        prefetch,
    ))
}

/// Reports child collections whose own sequence moved since the token (their members changed)
/// and that the collection's log does not already list.
fn add_changed_children(
    user: &str,
    changes: &mut Vec<davlite_store::Change>,
    children: &[Collection],
    known: &[(CollectionId, u64)],
) {
    for c in children {
        let name = crate::share::name_in_home(user, c);
        let name = name.as_str();
        let was = known.iter().find(|(id, _)| *id == c.id).map(|(_, s)| *s);
        if was != Some(c.seq) && !changes.iter().any(|ch| ch.name == name) {
            changes.push(davlite_store::Change {
                name: name.to_string(),
                kind: ChangeKind::Upsert,
                is_collection: true,
                seq: c.seq,
            });
        }
    }
}

/// Reports as removed the collections shared into the home `home` that the token's client was
/// told of and that are no longer there: the share was revoked or declined (the collection is
/// found by its id and named as the sharee saw it), or the owner deleted the collection (named
/// from the binding left in the home). The home's own change log cannot hold these: nothing of
/// the home changed.
fn add_gone_shares(
    r: &Req,
    reader: &Reader,
    home: &Collection,
    changes: &mut Vec<davlite_store::Change>,
    children: &[Collection],
    known: &[(CollectionId, u64)],
) {
    let mut gone = Vec::new();
    let mut unresolved = false;
    for (id, _) in known {
        if children.iter().any(|c| c.id == *id) {
            continue;
        }
        match reader.collection_by_id(*id) {
            Ok(Some(c)) if c.owner != r.user => {
                gone.push(crate::share::name_in_home(&r.user, &c));
            }
            // Still the user's own (moved or deleted: the home's log says so) or unreadable.
            Ok(Some(_)) | Err(_) => {}
            Ok(None) => unresolved = true,
        }
    }
    if unresolved {
        gone.extend(crate::share::dangling_bindings(reader, home, &r.user));
    }
    for name in gone {
        if !changes.iter().any(|ch| ch.name == name) {
            changes.push(davlite_store::Change {
                name,
                kind: ChangeKind::Delete,
                is_collection: true,
                seq: home.seq,
            });
        }
    }
}

/// 403 `valid-sync-token`; Thunderbird's address book recovers only from 400, so it gets 400
/// with the same body when the compatibility switch is on.
fn invalid_token(r: &Req, coll: &Collection) -> DavError {
    let tb = r.dav.config().thunderbird_sync_400
        && coll.kind == CollectionKind::AddressBook
        && r.header("user-agent")
            .is_some_and(|ua| ua.contains("Thunderbird/"));
    DavError::InvalidSyncToken { as_bad_request: tb }
}
