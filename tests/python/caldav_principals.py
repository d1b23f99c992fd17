#!/usr/bin/env python3
"""python-caldav's principal and free-busy calls against a running davlite server with two
users: the principal and its calendar user addresses, principal search across users, the
scheduling outbox, a free-busy request for the other user's busy time, and an invitation
saved with save_with_invites() that the other user finds in their inbox and accepts.

Usage: caldav_principals.py ROOT_URL USER PASSWORD OTHER_USER OTHER_EMAIL OTHER_PASSWORD
The other user must have one event on 2026-03-02 10:00-11:00 UTC. Exits 0 when every check
holds; otherwise prints what differed and exits 1 (2 when a needed package is missing).
"""

import datetime as dt
import re
import sys
import warnings
from urllib.parse import unquote, urlparse

try:
    import caldav
except ImportError as e:  # pragma: no cover - environment problem, not a server problem
    print(f"missing Python package ({e}); run scripts/test", file=sys.stderr)
    sys.exit(2)

UTC = dt.timezone.utc


class Mismatch(Exception):
    """A check that did not hold."""


def check(cond, message):
    if not cond:
        raise Mismatch(message)


def step(text):
    print(f"-- {text}", flush=True)


def path_of(url):
    return unquote(urlparse(str(url)).path)


def unfold(data):
    """iCalendar text with folded lines joined (RFC 5545 §3.1), whatever the line ends."""
    return re.sub(r"\r?\n[ \t]", "", str(data))


def main():
    root, user, password, other, other_email = sys.argv[1:6]
    client = caldav.DAVClient(url=root, username=user, password=password)

    step("client.principal()")
    principal = client.principal()
    check(path_of(principal.url) == f"/dav/principals/{user}/",
          f"principal URL {principal.url}")

    step("calendar_user_address_set()")
    addresses = principal.calendar_user_address_set()
    check(addresses and addresses[0] == f"mailto:{user}@example.com",
          f"first calendar user address: {addresses}")
    check(f"/dav/principals/{user}/" in [path_of(a) for a in addresses[1:]],
          f"principal URL among the addresses: {addresses}")

    step("client.principals(name=...) finds the other user")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        found = client.principals(name=other[:3].upper())
    paths = [path_of(p.url) for p in found]
    check(f"/dav/principals/{other}/" in paths, f"principals(name={other[:3].upper()!r}): {paths}")
    check(f"/dav/principals/{user}/" not in paths, f"search found the searcher too: {paths}")
    every = [path_of(p.url) for p in client.search_principals()]
    check({f"/dav/principals/{user}/", f"/dav/principals/{other}/"} <= set(every),
          f"search_principals() without a name: {every}")

    step("schedule_inbox() / schedule_outbox()")
    inbox = principal.schedule_inbox()
    outbox = principal.schedule_outbox()
    check(path_of(inbox.url) == f"/dav/calendars/{user}/inbox/", f"inbox {inbox.url}")
    check(path_of(outbox.url) == f"/dav/calendars/{user}/outbox/", f"outbox {outbox.url}")

    step("freebusy_request() for the other user")
    answer = principal.freebusy_request(
        dt.datetime(2026, 3, 2, 0, 0, tzinfo=UTC),
        dt.datetime(2026, 3, 3, 0, 0, tzinfo=UTC),
        [f"mailto:{other_email}", "mailto:nobody@example.invalid"],
    )
    check(not answer["errors"].get(f"mailto:{other_email}"),
          f"errors for the other user: {answer['errors']}")
    check("mailto:nobody@example.invalid" in answer["errors"],
          f"an unknown attendee is an error: {answer}")
    fb = answer[f"mailto:{other_email}"]
    text = fb.data if isinstance(fb.data, str) else fb.data.decode()
    check("FREEBUSY;FBTYPE=BUSY:20260302T100000Z/20260302T110000Z" in text.replace("\r\n ", ""),
          f"busy time of the other user:\n{text}")

    step("save_with_invites() reaches the other user's inbox and calendar")
    other_password = sys.argv[6]
    calendar = principal.calendars()[0]
    ical = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davlite//py//EN\r\nBEGIN:VEVENT\r\n"
            "UID:py-invite-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260304T090000Z\r\n"
            "DTEND:20260304T100000Z\r\nSUMMARY:Python invite\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    calendar.save_with_invites(ical, [principal, f"mailto:{other_email}"])
    other_client = caldav.DAVClient(url=root, username=other, password=other_password)
    other_principal = other_client.principal()
    items = other_principal.schedule_inbox().get_items()
    invites = [i for i in items if i.is_invite_request()]
    check(len(invites) == 1 and "py-invite-1" in str(invites[0].data),
          f"the other user's inbox: {[str(i.data) for i in items]}")
    copy = other_principal.calendars()[0].event_by_uid("py-invite-1")
    check("PARTSTAT=NEEDS-ACTION" in unfold(copy.data),
          f"the other user's copy:\n{copy.data}")

    step("accept_invite() updates the organizer's copy and sends a REPLY")
    invites[0].accept_invite(other_principal.calendars()[0])
    mine = calendar.event_by_uid("py-invite-1")
    attendee = [line for line in unfold(mine.data).splitlines()
                if line.startswith("ATTENDEE") and line.lower().endswith(other_email.lower())]
    check(attendee and "PARTSTAT=ACCEPTED" in attendee[0], f"organizer copy:\n{mine.data}")
    replies = [i for i in principal.schedule_inbox().get_items() if i.is_invite_reply()]
    check(len(replies) == 1, f"REPLYs in the organizer's inbox: {len(replies)}")
    print("all checks passed", flush=True)


if __name__ == "__main__":
    try:
        main()
    except Mismatch as e:
        print(f"MISMATCH: {e}", flush=True)
        sys.exit(1)
