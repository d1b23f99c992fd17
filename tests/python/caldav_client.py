#!/usr/bin/env python3
"""End-to-end run of real clients against a running davlite server.

Calendars through the python-caldav library (discovery from the root URL, calendar creation,
events and todos, time-range search with a recurring event, sync tokens, update, delete);
contacts through plain HTTP requests (PUT, PROPFIND, addressbook-multiget, addressbook-query,
sync-collection, DELETE).

Usage: caldav_client.py ROOT_URL USER PASSWORD
Exits 0 when every check holds; otherwise prints what differed and exits 1 (2 when a needed
package is missing: run scripts/test, which installs scripts/requirements-test.txt).
"""

import datetime as dt
import sys
import xml.etree.ElementTree as ET
from urllib.parse import unquote, urljoin, urlparse

try:
    import caldav
    import requests
    from caldav.lib import error as caldav_error
except ImportError as e:  # pragma: no cover - environment problem, not a server problem
    print(f"missing Python package ({e}); run scripts/test to install "
          "scripts/requirements-test.txt", file=sys.stderr)
    sys.exit(2)

UTC = dt.timezone.utc
NS = {"d": "DAV:", "card": "urn:ietf:params:xml:ns:carddav"}


class Mismatch(Exception):
    """A check that did not hold; the message says what was expected and what came."""


def check(cond, message):
    if not cond:
        raise Mismatch(message)


def step(text):
    print(f"-- {text}", flush=True)


def path_of(url):
    return unquote(urlparse(str(url)).path)


def uid_of(obj):
    return str(obj.icalendar_component["UID"])


def vevent(uid, start, summary, rrule=None, minutes=60):
    end = start + dt.timedelta(minutes=minutes)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//davlite//interop test//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
        f"DTEND:{end:%Y%m%dT%H%M%SZ}",
        f"SUMMARY:{summary}",
    ]
    if rrule:
        lines.append(f"RRULE:{rrule}")
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines)


def vtodo(uid, summary, due=None):
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//davlite//interop test//EN",
        "BEGIN:VTODO",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"SUMMARY:{summary}",
        "STATUS:NEEDS-ACTION",
    ]
    if due:
        lines.append(f"DUE:{due:%Y%m%dT%H%M%SZ}")
    lines += ["END:VTODO", "END:VCALENDAR", ""]
    return "\r\n".join(lines)


def calendars(root, user, password):
    base = f"/dav/calendars/{user}/"
    client = caldav.DAVClient(url=root, username=user, password=password, timeout=60)

    step("well-known redirect without credentials")
    r = requests.get(urljoin(root, "/.well-known/caldav"), allow_redirects=False, timeout=60)
    check(r.status_code in (301, 302, 307), f"GET /.well-known/caldav: {r.status_code}")
    target = urlparse(urljoin(root, r.headers.get("Location", "")))
    check((target.netloc, target.path) == (urlparse(root).netloc, "/dav/"),
          f"/.well-known/caldav redirects to {r.headers.get('Location')!r}")

    step("discovery from the root URL")
    principal = client.principal()
    check(path_of(principal.url) == f"/dav/principals/{user}/",
          f"principal URL from {root}: got {principal.url}")
    home = principal.calendar_home_set
    check(path_of(home.url) == base, f"calendar-home-set: got {home.url}, want {base}")

    step("list calendars")
    found = {path_of(c.url) for c in principal.calendars()}
    check(f"{base}default/" in found, f"default calendar not listed: {sorted(found)}")

    step("create a calendar")
    cal = principal.make_calendar(name="Interop Test", cal_id="interop")
    check(path_of(cal.url) == f"{base}interop/", f"new calendar URL: {cal.url}")
    listed = {path_of(c.url): c for c in principal.calendars()}
    check(f"{base}interop/" in listed, f"created calendar not listed: {sorted(listed)}")
    name = listed[f"{base}interop/"].get_display_name()
    check(name == "Interop Test", f"displayname of the new calendar: {name!r}")

    step("initial sync-collection (empty calendar)")
    snapshot = cal.objects_by_sync_token(load_objects=True, disable_fallback=True)
    token0 = snapshot.sync_token
    check(token0 and not str(token0).startswith("fake-"),
          f"no real sync token from the server: {token0!r}")
    check(len(snapshot) == 0, f"new calendar not empty: {[str(o.url) for o in snapshot]}")

    step("save events and todos")
    march = dt.datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    saved = {
        "ev-march": cal.save_event(vevent("ev-march", march, "In March")),
        "ev-june": cal.save_event(vevent("ev-june", dt.datetime(2026, 6, 1, 9, tzinfo=UTC),
                                         "In June")),
        "ev-feb": cal.save_event(vevent("ev-feb", dt.datetime(2026, 2, 3, 9, tzinfo=UTC),
                                        "In February")),
        # Mondays from 5 January 2026, 20 times (last: 18 May): master outside March.
        "ev-weekly": cal.save_event(vevent("ev-weekly", dt.datetime(2026, 1, 5, 8, tzinfo=UTC),
                                           "Weekly", rrule="FREQ=WEEKLY;COUNT=20")),
        "todo-due": cal.save_todo(vtodo("todo-due", "With due date",
                                        due=dt.datetime(2026, 3, 20, 12, tzinfo=UTC))),
        "todo-open": cal.save_todo(vtodo("todo-open", "Without due date")),
    }
    for uid, obj in saved.items():
        check(obj.url is not None and path_of(obj.url).startswith(f"{base}interop/"),
              f"{uid} saved at {obj.url}")
    events = {uid_of(e) for e in cal.events()}
    check(events == {"ev-march", "ev-june", "ev-feb", "ev-weekly"}, f"events(): {events}")
    todos = {uid_of(t) for t in cal.todos()}
    check(todos == {"todo-due", "todo-open"}, f"todos(): {todos}")
    loaded = cal.event_by_uid("ev-march")
    check(uid_of(loaded) == "ev-march" and
          str(loaded.icalendar_component["SUMMARY"]) == "In March",
          f"event_by_uid data: {loaded.data!r}")

    step("time-range search (server-side filter, no client post-filter)")
    start = dt.datetime(2026, 3, 1, tzinfo=UTC)
    end = dt.datetime(2026, 4, 1, tzinfo=UTC)
    hits = {uid_of(e) for e in cal.search(start=start, end=end, event=True, post_filter=False)}
    check(hits == {"ev-march", "ev-weekly"},
          f"events in March: got {sorted(hits)}, want ev-march and ev-weekly")
    expanded = cal.search(start=start, end=end, event=True, expand=True)
    starts = sorted(e.icalendar_component["DTSTART"].dt for e in expanded
                    if uid_of(e) == "ev-weekly")
    want = [dt.datetime(2026, 3, d, 8, tzinfo=UTC) for d in (2, 9, 16, 23, 30)]
    check(starts == want, f"weekly instances in March: got {starts}, want {want}")
    later = {uid_of(e) for e in cal.search(start=dt.datetime(2026, 5, 19, tzinfo=UTC),
                                           end=dt.datetime(2026, 7, 1, tzinfo=UTC),
                                           event=True, post_filter=False)}
    check(later == {"ev-june"}, f"after the last weekly instance: {sorted(later)}")
    open_end = {uid_of(e) for e in cal.search(start=dt.datetime(2026, 3, 31, tzinfo=UTC),
                                              event=True, post_filter=False)}
    check(open_end == {"ev-weekly", "ev-june"}, f"open-ended from 31 March: {sorted(open_end)}")
    due = {uid_of(t) for t in cal.search(start=start, end=end, todo=True, post_filter=False)}
    check("todo-due" in due, f"todo due in March not found: {sorted(due)}")

    step("incremental sync: every new object since the first token")
    updated, deleted = snapshot.sync()
    got = {uid_of(o) for o in updated}
    check(got == set(saved), f"sync after saves: updated {sorted(got)}")
    check(not deleted, f"sync after saves: deleted {[str(o.url) for o in deleted]}")
    token1 = snapshot.sync_token
    check(not str(snapshot.sync_token).startswith("fake-"),
          "python-caldav fell back to full listing: sync-collection failed")
    check(token1 != token0, "sync token did not change after six saves")

    step("update an event")
    ev = cal.event_by_uid("ev-march")
    old_etag = ev.etag
    with ev.edit_icalendar_component() as comp:
        comp["SUMMARY"] = "In March (moved)"
    ev.save()
    again = cal.event_by_uid("ev-march")
    check(str(again.icalendar_component["SUMMARY"]) == "In March (moved)",
          f"summary after update: {again.icalendar_component['SUMMARY']}")
    check(again.etag and again.etag != old_etag,
          f"ETag after update: {again.etag!r} (before {old_etag!r})")

    step("delete an event and a todo")
    cal.event_by_uid("ev-june").delete()
    cal.todo_by_uid("todo-open").delete()
    try:
        cal.event_by_uid("ev-june")
        raise Mismatch("ev-june still found after delete")
    except caldav_error.NotFoundError:
        pass

    step("incremental sync: one update, two removals")
    updated, deleted = snapshot.sync()
    got = {uid_of(o) for o in updated}
    check(got == {"ev-march"}, f"sync after update: updated {sorted(got)}")
    gone = {path_of(o.url).rsplit("/", 1)[-1] for o in deleted}
    want_gone = {path_of(saved["ev-june"].url).rsplit("/", 1)[-1],
                 path_of(saved["todo-open"].url).rsplit("/", 1)[-1]}
    check(gone == want_gone, f"sync after deletes: removed {sorted(gone)}, want {sorted(want_gone)}")
    check(snapshot.sync_token != token1, "sync token did not change after update and deletes")
    check(not str(snapshot.sync_token).startswith("fake-"),
          "python-caldav fell back to full listing: sync-collection failed")
    same = cal.objects_by_sync_token(sync_token=snapshot.sync_token, disable_fallback=True)
    check(len(same) == 0, f"sync with the newest token: {[str(o.url) for o in same]}")

    step("delete the calendar")
    cal.delete()
    left = {path_of(c.url) for c in principal.calendars()}
    check(f"{base}interop/" not in left, f"deleted calendar still listed: {sorted(left)}")


def vcard(uid, fn, note=""):
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{fn}", f"N:{fn};;;;"]
    if note:
        lines.append(f"NOTE:{note}")
    lines += ["END:VCARD", ""]
    return "\r\n".join(lines)


def multistatus(resp, what):
    check(resp.status_code == 207, f"{what}: status {resp.status_code}: {resp.text[:500]}")
    return ET.fromstring(resp.content)


def responses(root):
    """href -> (response-level status, {prop tag: element}) for each <response>."""
    out = {}
    for r in root.findall("d:response", NS):
        href = unquote(r.findtext("d:href", namespaces=NS).strip())
        props = {}
        for ps in r.findall("d:propstat", NS):
            if " 200 " in ps.findtext("d:status", namespaces=NS):
                for p in ps.find("d:prop", NS):
                    props[p.tag] = p
        out[href] = (r.findtext("d:status", namespaces=NS), props)
    return out


def contacts(root, user, password):
    s = requests.Session()
    s.auth = (user, password)
    book = f"/dav/addressbooks/{user}/default/"
    url = urljoin(root, book)
    xml = {"Content-Type": "application/xml; charset=utf-8"}
    cards = {
        "ada.vcf": vcard("card-ada", "Ada Lovelace", "first programmer"),
        "alan.vcf": vcard("card-alan", "Alan Turing"),
        "grace.vcf": vcard("card-grace", "Grace Hopper"),
    }

    step("contacts: initial sync-collection")
    sync_body = ('<?xml version="1.0" encoding="utf-8"?>'
                 '<d:sync-collection xmlns:d="DAV:"><d:sync-token>{}</d:sync-token>'
                 '<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop>'
                 '</d:sync-collection>')
    r = s.request("REPORT", url, data=sync_body.format(""), headers=xml)
    ms = multistatus(r, "initial sync-collection")
    token0 = ms.findtext("d:sync-token", namespaces=NS)
    check(token0 and ":" in token0, f"sync-token must be a URI: {token0!r}")
    check(not responses(ms), f"default address book not empty: {list(responses(ms))}")

    step("contacts: PUT vCards")
    etags = {}
    for name, body in cards.items():
        r = s.put(url + name, data=body.encode(), headers={
            "Content-Type": "text/vcard; charset=utf-8", "If-None-Match": "*"})
        check(r.status_code == 201, f"PUT {name}: {r.status_code} {r.text[:300]}")
        etag = r.headers.get("ETag")
        check(etag and etag.startswith('"'), f"PUT {name}: strong ETag expected, got {etag!r}")
        etags[name] = etag
        g = s.get(url + name)
        check(g.status_code == 200 and g.content == body.encode(),
              f"GET {name} is not byte-identical: {g.status_code} {g.content!r}")
        check(g.headers.get("ETag") == etag, f"GET {name} ETag {g.headers.get('ETag')} != {etag}")
    r = s.put(url + "ada.vcf", data=cards["ada.vcf"].encode(),
              headers={"Content-Type": "text/vcard", "If-None-Match": "*"})
    check(r.status_code == 412, f"PUT over an existing card with If-None-Match: {r.status_code}")

    step("contacts: PROPFIND Depth 1")
    r = s.request("PROPFIND", url, headers={**xml, "Depth": "1"}, data=(
        '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop>'
        '<d:getetag/><d:getcontenttype/><d:resourcetype/></d:prop></d:propfind>'))
    listing = responses(multistatus(r, "PROPFIND Depth 1"))
    members = {h.rsplit("/", 1)[-1]: p for h, (_, p) in listing.items() if h != book}
    check(book in listing, f"PROPFIND lacks the collection itself: {sorted(listing)}")
    check(set(members) == set(cards), f"PROPFIND members: {sorted(members)}")
    for name, props in members.items():
        check(props["{DAV:}getetag"].text == etags[name],
              f"{name}: getetag {props['{DAV:}getetag'].text} != PUT ETag {etags[name]}")
        ctype = props["{DAV:}getcontenttype"].text or ""
        check(ctype.startswith("text/vcard"), f"{name}: getcontenttype {ctype!r}")

    step("contacts: addressbook-multiget (two present, one missing)")
    hrefs = [book + "ada.vcf", book + "grace.vcf", book + "nobody.vcf"]
    r = s.request("REPORT", url, headers={**xml, "Depth": "1"}, data=(
        '<?xml version="1.0"?><card:addressbook-multiget xmlns:d="DAV:" '
        'xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><card:address-data/>'
        '</d:prop>' + "".join(f"<d:href>{h}</d:href>" for h in hrefs) +
        '</card:addressbook-multiget>'))
    got = responses(multistatus(r, "addressbook-multiget"))
    check(set(got) == set(hrefs), f"multiget hrefs: {sorted(got)}")
    for name in ("ada.vcf", "grace.vcf"):
        data = got[book + name][1]["{urn:ietf:params:xml:ns:carddav}address-data"].text
        # An XML parser turns CRLF into LF, so compare line by line.
        check(data.splitlines() == cards[name].splitlines(), f"multiget {name}: {data!r}")
    missing = got[book + "nobody.vcf"][0] or ""
    check(" 404 " in missing, f"multiget of a missing href: status {missing!r}")

    step("contacts: addressbook-query on FN")
    r = s.request("REPORT", url, headers={**xml, "Depth": "1"}, data=(
        '<?xml version="1.0"?><card:addressbook-query xmlns:d="DAV:" '
        'xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/></d:prop>'
        '<card:filter><card:prop-filter name="FN"><card:text-match '
        'collation="i;unicode-casemap" match-type="contains">turing</card:text-match>'
        '</card:prop-filter></card:filter></card:addressbook-query>'))
    got = responses(multistatus(r, "addressbook-query"))
    check(set(got) == {book + "alan.vcf"}, f"query FN contains 'turing': {sorted(got)}")

    step("contacts: change one card, delete another, sync from the first token")
    changed = vcard("card-alan", "Alan Turing", "Bletchley Park")
    r = s.put(url + "alan.vcf", data=changed.encode(),
              headers={"Content-Type": "text/vcard", "If-Match": etags["alan.vcf"]})
    check(r.status_code in (200, 204), f"PUT update with If-Match: {r.status_code}")
    new_etag = r.headers.get("ETag")
    check(new_etag and new_etag != etags["alan.vcf"], f"ETag after update: {new_etag!r}")
    # A byte-identical retry may succeed (PRECONDITIONS.md); a different body must not.
    r = s.put(url + "alan.vcf", data=vcard("card-alan", "Alan Turing", "lost update").encode(),
              headers={"Content-Type": "text/vcard", "If-Match": etags["alan.vcf"]})
    check(r.status_code == 412, f"PUT with a stale If-Match: {r.status_code}")
    r = s.delete(url + "grace.vcf")
    check(r.status_code in (200, 204), f"DELETE grace.vcf: {r.status_code}")
    check(s.get(url + "grace.vcf").status_code == 404, "grace.vcf still there after DELETE")
    check(s.delete(url + "grace.vcf").status_code == 404, "second DELETE of grace.vcf not 404")

    r = s.request("REPORT", url, data=sync_body.format(token0), headers=xml)
    ms = multistatus(r, "sync-collection from the first token")
    token1 = ms.findtext("d:sync-token", namespaces=NS)
    check(token1 and token1 != token0, f"sync-token did not move: {token1!r}")
    got = responses(ms)
    # Created after token0 and deleted since: absent or reported removed, never as present.
    check(set(got) <= {book + n for n in cards},
          f"sync-collection hrefs: {sorted(got)}")
    for name in ("ada.vcf", "alan.vcf"):
        status, props = got.get(book + name, (None, {}))
        check("{DAV:}getetag" in props, f"sync: {name} not reported as present ({status})")
    check(got[book + "alan.vcf"][1]["{DAV:}getetag"].text == new_etag,
          "sync: alan.vcf ETag is not the updated one")
    if book + "grace.vcf" in got:
        status = got[book + "grace.vcf"][0] or ""
        check(" 404 " in status, f"sync: deleted grace.vcf reported with {status!r}")

    step("contacts: sync from the second token sees only the removal")
    s.delete(url + "ada.vcf")
    r = s.request("REPORT", url, data=sync_body.format(token1), headers=xml)
    got = responses(multistatus(r, "sync-collection from the second token"))
    check(set(got) == {book + "ada.vcf"}, f"sync after deleting ada.vcf: {sorted(got)}")
    check(" 404 " in (got[book + "ada.vcf"][0] or ""), "removed card without a 404 status")

    step("contacts: an unknown sync token is refused with valid-sync-token")
    r = s.request("REPORT", url, data=sync_body.format("http://davlite/sync/bogus/1"),
                  headers=xml)
    check(r.status_code == 403 and b"valid-sync-token" in r.content,
          f"bogus token: {r.status_code} {r.text[:300]}")


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    root, user, password = sys.argv[1:]
    print(f"python-caldav {caldav.__version__}, requests {requests.__version__}", flush=True)
    try:
        calendars(root, user, password)
        contacts(root, user, password)
    except Mismatch as e:
        print(f"MISMATCH: {e}", file=sys.stderr)
        return 1
    print("all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
