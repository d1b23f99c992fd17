//! PRECONDITIONS.md "PUT of a calendar object": every row, checked for status, the CalDAV
//! element in its namespace, `DAV:href` where the row says so, and an unchanged store.

use crate::common;
use common::*;
use davlite_dav::DavConfig;
use davlite_store::{ComponentSet, Limits, ObjectKind, Options};

const ICS: (&str, &str) = ("content-type", "text/calendar; charset=utf-8");
const CALDAV_NS: &str = "xmlns:C=\"urn:ietf:params:xml:ns:caldav\"";

fn cal_body(inner: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{inner}END:VCALENDAR\r\n")
}

fn vevent(uid: &str, extra: &str) -> String {
    format!(
        "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240105T100000Z\r\nDURATION:PT1H\r\n{extra}END:VEVENT\r\n"
    )
}

/// Sends the PUT, expects 403 with `element`, and checks nothing changed.
#[track_caller]
fn refused(f: &Fixture, uri: &str, headers: &[(&str, &str)], body: &str, element: &str) -> Resp {
    let before = f.state();
    let r = f.req("PUT", uri, headers, body);
    r.assert_status(403)
        .assert_contains(&format!("<C:{element}"));
    assert!(r.body.contains(CALDAV_NS), "CalDAV namespace: {}", r.body);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/xml")
    );
    assert_eq!(f.state(), before, "store changed after a refusal");
    r
}

fn set_limits(f: &Fixture, edit: impl FnOnce(&mut Limits)) {
    let store = f.dav.store();
    let mut limits = store
        .collection("calendars/alice/default")
        .unwrap()
        .unwrap()
        .limits;
    edit(&mut limits);
    store
        .update_collection("calendars/alice/default", vec![], Some(limits))
        .unwrap();
}

#[test]
fn content_type_not_text_calendar_or_not_utf8_is_supported_calendar_data() {
    let f = fixture();
    let uri = format!("{CAL}a.ics");
    let body = event("a", "20240105T100000Z");
    for ct in [
        "text/plain",
        "application/json",
        "text/vcard",
        "text/calendar; charset=iso-8859-1",
    ] {
        refused(
            &f,
            &uri,
            &[("content-type", ct)],
            &body,
            "supported-calendar-data",
        );
    }
    refused(&f, &uri, &[], &body, "supported-calendar-data");
    // Quoted, upper-case and absent charsets are fine.
    for (i, ct) in [
        "text/calendar",
        "text/calendar; charset=\"UTF-8\"",
        "TEXT/Calendar;charset=utf-8",
    ]
    .iter()
    .enumerate()
    {
        f.req(
            "PUT",
            &format!("{CAL}ok{i}.ics"),
            &[("content-type", ct)],
            &event(&format!("ok{i}"), "20240105T100000Z"),
        )
        .assert_status(201);
    }
}

#[test]
fn unparseable_body_is_valid_calendar_data() {
    let f = fixture();
    let uri = format!("{CAL}a.ics");
    for body in ["", "hello", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"] {
        refused(&f, &uri, &[ICS], body, "valid-calendar-data");
    }
    // A vCard labelled text/calendar is data of another media type (davlite-formats decides).
    let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:x\r\nFN:x\r\nEND:VCARD\r\n";
    refused(&f, &uri, &[ICS], card, "supported-calendar-data");
}

#[test]
fn rfc4791_object_rules_are_valid_calendar_object_resource() {
    let f = fixture();
    let uri = format!("{CAL}a.ics");
    let cases = [
        cal_body(&format!("METHOD:REQUEST\r\n{}", vevent("a", ""))),
        cal_body(&format!(
            "{}BEGIN:VTODO\r\nUID:a\r\nDTSTAMP:20240101T000000Z\r\nEND:VTODO\r\n",
            vevent("a", "")
        )),
        cal_body(&format!(
            "{}{}",
            vevent("a", ""),
            vevent("b", "RECURRENCE-ID:20240112T100000Z\r\n")
        )),
        cal_body(
            "BEGIN:VEVENT\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240105T100000Z\r\nEND:VEVENT\r\n",
        ),
        cal_body(&format!(
            "{}{}",
            vevent("a", "RECURRENCE-ID:20240112T100000Z\r\n"),
            vevent("a", "RECURRENCE-ID:20240112T100000Z\r\n")
        )),
    ];
    for body in cases {
        refused(&f, &uri, &[ICS], &body, "valid-calendar-object-resource");
    }
}

#[test]
fn component_outside_the_supported_set_is_supported_calendar_component() {
    let f = fixture();
    set_limits(&f, |l| {
        l.components = ComponentSet::NONE.with(ObjectKind::Event)
    });
    let todo =
        cal_body("BEGIN:VTODO\r\nUID:t\r\nDTSTAMP:20240101T000000Z\r\nSUMMARY:x\r\nEND:VTODO\r\n");
    refused(
        &f,
        &format!("{CAL}t.ics"),
        &[ICS],
        &todo,
        "supported-calendar-component",
    );
}

#[test]
fn uid_used_elsewhere_names_the_holder_and_uid_change_names_itself() {
    let f = fixture();
    f.put_event(&format!("{CAL}holder.ics"), "shared", &[])
        .assert_status(201);
    f.put_event(&format!("{CAL}mine.ics"), "mine", &[])
        .assert_status(201);
    refused(&f, &format!("{CAL}new.ics"), &[ICS], &event("shared", "20240105T100000Z"), "no-uid-conflict")
        .assert_contains("<C:no-uid-conflict><D:href>/dav/calendars/alice/default/holder.ics</D:href></C:no-uid-conflict>");
    refused(
        &f,
        &format!("{CAL}mine.ics"),
        &[ICS],
        &event("changed", "20240105T100000Z"),
        "no-uid-conflict",
    )
    .assert_contains("<D:href>/dav/calendars/alice/default/mine.ics</D:href>");
    // The same UID in another calendar is no conflict.
    f.req("MKCALENDAR", "/dav/calendars/alice/other/", &[], "")
        .assert_status(201);
    f.put_event("/dav/calendars/alice/other/x.ics", "shared", &[])
        .assert_status(201);
}

#[test]
fn body_over_max_resource_size_is_max_resource_size() {
    let f = fixture();
    set_limits(&f, |l| l.max_resource_size = Some(200));
    let big = cal_body(&vevent(
        "big",
        &format!("DESCRIPTION:{}\r\n", "x".repeat(300)),
    ));
    refused(
        &f,
        &format!("{CAL}big.ics"),
        &[ICS],
        &big,
        "max-resource-size",
    );
    let p = f.propfind(CAL, "0", "<C:max-resource-size/>");
    p.assert_contains("<C:max-resource-size>200</C:max-resource-size>");
}

#[test]
fn dates_outside_min_and_max_date_time_are_refused() {
    let f = fixture();
    // 2023-01-01 .. 2025-01-01
    set_limits(&f, |l| {
        l.min_date = Some(1_672_531_200);
        l.max_date = Some(1_735_689_600);
    });
    refused(
        &f,
        &format!("{CAL}old.ics"),
        &[ICS],
        &event("old", "20200105T100000Z"),
        "min-date-time",
    );
    refused(
        &f,
        &format!("{CAL}late.ics"),
        &[ICS],
        &event("late", "20300105T100000Z"),
        "max-date-time",
    );
    f.put_event(&format!("{CAL}in.ics"), "in", &[])
        .assert_status(201);
    f.propfind(CAL, "0", "<C:min-date-time/><C:max-date-time/>")
        .assert_contains("<C:min-date-time>20230101T000000Z</C:min-date-time>")
        .assert_contains("<C:max-date-time>20250101T000000Z</C:max-date-time>");
}

#[test]
fn too_many_instances_is_max_instances() {
    let f = fixture();
    set_limits(&f, |l| l.max_instances = Some(5));
    let body = cal_body(&vevent("r", "RRULE:FREQ=DAILY;COUNT=10\r\n"));
    refused(&f, &format!("{CAL}r.ics"), &[ICS], &body, "max-instances");
    let ok = cal_body(&vevent("r", "RRULE:FREQ=DAILY;COUNT=5\r\n"));
    f.req("PUT", &format!("{CAL}r.ics"), &[ICS], &ok)
        .assert_status(201);
}

#[test]
fn too_many_attendees_is_max_attendees_per_instance() {
    let f = fixture();
    set_limits(&f, |l| l.max_attendees = Some(1));
    let body = cal_body(&vevent(
        "m",
        "ORGANIZER:mailto:a@example.com\r\nATTENDEE:mailto:b@example.com\r\nATTENDEE:mailto:c@example.com\r\n",
    ));
    refused(
        &f,
        &format!("{CAL}m.ics"),
        &[ICS],
        &body,
        "max-attendees-per-instance",
    );
}

#[test]
fn quota_exceeded_is_507_quota_not_exceeded_for_put_copy_and_move() {
    let size = event("a", "20240105T100000Z").len() as u64;
    // Room for one event and a bit, never for two.
    let f = fixture_opts(
        DavConfig::default(),
        Options {
            owner_quota: Some(size * 2 - 1),
            ..Options::default()
        },
    );
    f.req("MKCALENDAR", "/dav/calendars/alice/two/", &[], "")
        .assert_status(201);
    f.put_event(&format!("{CAL}a.ics"), "a", &[])
        .assert_status(201);
    let before = f.state();
    let r = f.put_event(&format!("{CAL}b.ics"), "b", &[]);
    r.assert_status(507)
        .assert_contains("<D:quota-not-exceeded/>");
    assert_eq!(f.state(), before);
    let r = f.req(
        "COPY",
        &format!("{CAL}a.ics"),
        &[("destination", "/dav/calendars/alice/two/a.ics")],
        "",
    );
    r.assert_status(507)
        .assert_contains("<D:quota-not-exceeded/>");
    assert_eq!(f.state(), before);
    // A move does not grow the usage: it succeeds.
    f.req(
        "MOVE",
        &format!("{CAL}a.ics"),
        &[("destination", "/dav/calendars/alice/two/a.ics")],
        "",
    )
    .assert_status(201);
    let q = f.propfind(
        "/dav/calendars/alice/two/",
        "0",
        "<D:quota-used-bytes/><D:quota-available-bytes/>",
    );
    q.assert_contains(&format!("<D:quota-used-bytes>{size}</D:quota-used-bytes>"))
        .assert_contains(&format!(
            "<D:quota-available-bytes>{}</D:quota-available-bytes>",
            size - 1
        ));
}

#[test]
fn body_over_the_hard_request_limit_is_413() {
    let f = fixture_with(DavConfig {
        max_body_bytes: 1000,
        ..DavConfig::default()
    });
    let before = f.state();
    let big = cal_body(&vevent(
        "h",
        &format!("DESCRIPTION:{}\r\n", "x".repeat(2000)),
    ));
    let r = f.req("PUT", &format!("{CAL}h.ics"), &[ICS], &big);
    r.assert_status(413);
    assert_eq!(f.state(), before);
}

#[test]
fn missing_parent_is_409_and_collection_target_is_405_with_allow() {
    let f = fixture();
    let before = f.state();
    f.put_event("/dav/calendars/alice/missing/a.ics", "a", &[])
        .assert_status(409);
    let r = f.req("PUT", CAL, &[ICS], &event("a", "20240105T100000Z"));
    r.assert_status(405);
    let allow = r.header("allow").expect("Allow on 405");
    assert!(
        allow.contains("PROPFIND") && !allow.contains("PUT"),
        "{allow}"
    );
    assert_eq!(f.state(), before);
}

/// RFC 5545 §3.3.10: an invalid recurrence rule (a BYDAY ordinal with FREQ=WEEKLY, a BYDAY
/// item not ending in a weekday, COUNT with UNTIL, an hour of 24) is valid-calendar-data, said
/// at PUT rather than discovered by a later query.
#[test]
fn invalid_recurrence_rule_is_valid_calendar_data() {
    let f = fixture();
    for (i, rule) in [
        "FREQ=WEEKLY;BYDAY=1MO",
        "FREQ=MONTHLY;BYDAY=MO1",
        "FREQ=DAILY;COUNT=3;UNTIL=20240201T000000Z",
        "FREQ=DAILY;BYHOUR=24",
        "RRULE:AnythingRandom;FREQ=WEEKLY",
    ]
    .into_iter()
    .enumerate()
    {
        let body = cal_body(&vevent(&format!("r{i}"), &format!("RRULE:{rule}\r\n")));
        refused(
            &f,
            &format!("{CAL}r{i}.ics"),
            &[ICS],
            &body,
            "valid-calendar-data",
        )
        .assert_contains("RRULE");
    }
}
