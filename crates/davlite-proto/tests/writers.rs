//! Response bodies byte for byte: clients compare status lines as strings, read the first
//! propstat only, and parse error bodies only when they are XML (clients/README.md).

use davlite_proto::{
    BodyCondition, Condition, DavKind, Elem, MultistatusWriter, NeedPrivilege, Prop, PropContent,
    PropStat, PropValue, PropertyUpdate, QName, error_body, mkcol_response,
};
use http::StatusCode;

const ROOT: &str = r#" xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CR="urn:ietf:params:xml:ns:carddav" xmlns:CS="http://calendarserver.org/ns/" xmlns:ICAL="http://apple.com/ns/ical/""#;
const DECL: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

fn s(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap()
}

#[test]
fn propstat_200_first_with_exact_status_lines() {
    let mut w = MultistatusWriter::new();
    w.response_propstat(
        "/dav/calendars/alice/work/",
        &[
            PropStat::not_found([QName::calserver("pushkey"), QName::new("urn:x", "y")]),
            PropStat::ok(vec![
                Prop::text(QName::dav("getetag"), "\"e1\""),
                Prop::new(
                    QName::dav("resourcetype"),
                    PropContent::resourcetype(&[
                        QName::dav("collection"),
                        QName::caldav("calendar"),
                    ]),
                ),
            ]),
        ],
    );
    let out = w.finish();
    assert_eq!(
        s(&out),
        format!(
            "{DECL}<D:multistatus{ROOT}><D:response><D:href>/dav/calendars/alice/work/</D:href>\
<D:propstat><D:prop><D:getetag>\"e1\"</D:getetag><D:resourcetype><D:collection/><C:calendar/></D:resourcetype></D:prop>\
<D:status>HTTP/1.1 200 OK</D:status></D:propstat>\
<D:propstat><D:prop><CS:pushkey/><X0:y xmlns:X0=\"urn:x\"/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>\
</D:response></D:multistatus>"
        )
    );
}

#[test]
fn response_level_status_error_and_sync_token_at_end() {
    let mut w = MultistatusWriter::new();
    w.sync_token("http://davlite/sync/7/42");
    w.response_status("/dav/c/gone.ics", StatusCode::NOT_FOUND, None);
    w.response_status(
        "/dav/c/",
        StatusCode::INSUFFICIENT_STORAGE,
        Some(&Condition::NumberOfMatchesWithinLimits),
    );
    let out = w.finish();
    assert_eq!(
        s(&out),
        format!(
            "{DECL}<D:multistatus{ROOT}>\
<D:response><D:href>/dav/c/gone.ics</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response>\
<D:response><D:href>/dav/c/</D:href><D:status>HTTP/1.1 507 Insufficient Storage</D:status>\
<D:error><D:number-of-matches-within-limits/></D:error></D:response>\
<D:sync-token>http://davlite/sync/7/42</D:sync-token></D:multistatus>"
        )
    );
}

#[test]
fn escaping_of_hrefs_text_and_calendar_data() {
    let mut w = MultistatusWriter::new();
    let data = "BEGIN:VCALENDAR\r\nSUMMARY:a<b & c]]>\r\nEND:VCALENDAR\r\n";
    w.response_propstat(
        "/dav/c/a&b<c>.ics",
        &[PropStat::ok(vec![
            Prop::text(QName::caldav("calendar-data"), data),
            Prop::text(QName::dav("displayname"), "Tom & \"Jerry\""),
        ])],
    );
    let out = w.finish();
    let text = s(&out);
    assert!(text.contains("<D:href>/dav/c/a&amp;b&lt;c&gt;.ics</D:href>"));
    assert!(text.contains(
        "<C:calendar-data>BEGIN:VCALENDAR&#13;\nSUMMARY:a&lt;b &amp; c]]&gt;&#13;\nEND:VCALENDAR&#13;\n</C:calendar-data>"
    ));
    assert!(text.contains("<D:displayname>Tom &amp; \"Jerry\"</D:displayname>"));
    // Our own reader gets the exact bytes back, CRLF included.
    let back = PropValue::from_xml(
        format!(
            "<C:calendar-data xmlns:C=\"urn:ietf:params:xml:ns:caldav\">{}</C:calendar-data>",
            &text[text.find("<C:calendar-data>").unwrap() + 17
                ..text.find("</C:calendar-data>").unwrap()]
        )
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(back.1.text(), data);
}

#[test]
fn structured_live_properties() {
    let mut w = MultistatusWriter::new();
    w.response_propstat(
        "/h/",
        &[PropStat::ok(vec![
            Prop::new(
                QName::dav("supported-report-set"),
                PropContent::supported_report_set(&[
                    QName::caldav("calendar-multiget"),
                    QName::dav("sync-collection"),
                ]),
            ),
            Prop::new(
                QName::dav("current-user-privilege-set"),
                PropContent::privilege_set(&[QName::dav("read"), QName::dav("write")]),
            ),
            Prop::new(
                QName::caldav("supported-calendar-component-set"),
                PropContent::calendar_component_set(&["VEVENT", "VTODO"]),
            ),
            Prop::new(
                QName::caldav("supported-calendar-data"),
                PropContent::supported_calendar_data(),
            ),
            Prop::new(
                QName::carddav("supported-address-data"),
                PropContent::supported_address_data(&["3.0", "4.0"]),
            ),
            Prop::new(
                QName::dav("current-user-principal"),
                PropContent::Hrefs(vec!["/dav/principals/alice/".into()]),
            ),
            Prop::new(
                QName::new("urn:x", "custom"),
                PropContent::Elements(vec![
                    Elem::text(QName::new("urn:x", "v"), "1").attr("k", "a\"b"),
                ]),
            ),
            Prop::text(QName::dav("getcontentlength"), ""),
        ])],
    );
    let out = w.finish();
    let t = s(&out);
    for want in [
        "<D:supported-report-set><D:supported-report><D:report><C:calendar-multiget/></D:report></D:supported-report><D:supported-report><D:report><D:sync-collection/></D:report></D:supported-report></D:supported-report-set>",
        "<D:current-user-privilege-set><D:privilege><D:read/></D:privilege><D:privilege><D:write/></D:privilege></D:current-user-privilege-set>",
        "<C:supported-calendar-component-set><C:comp name=\"VEVENT\"/><C:comp name=\"VTODO\"/></C:supported-calendar-component-set>",
        "<C:supported-calendar-data><C:calendar-data content-type=\"text/calendar\" version=\"2.0\"/></C:supported-calendar-data>",
        "<CR:supported-address-data><CR:address-data-type content-type=\"text/vcard\" version=\"3.0\"/><CR:address-data-type content-type=\"text/vcard\" version=\"4.0\"/></CR:supported-address-data>",
        "<D:current-user-principal><D:href>/dav/principals/alice/</D:href></D:current-user-principal>",
        "<X0:custom xmlns:X0=\"urn:x\"><X0:v k=\"a&quot;b\">1</X0:v></X0:custom>",
        "<D:getcontentlength/>",
    ] {
        assert!(t.contains(want), "missing {want}\nin {t}");
    }
}

#[test]
fn dead_property_written_back_as_set() {
    let u = PropertyUpdate::parse(
        br##"<propertyupdate xmlns="DAV:"><set><prop><x:calendar-color xmlns:x="http://apple.com/ns/ical/" symbolic-color="custom">#711A76FF</x:calendar-color><q:thing xmlns:q="urn:q" xmlns:r="urn:r"><r:a r:b="1"/></q:thing></prop></set></propertyupdate>"##,
    )
    .unwrap();
    let stored: Vec<(QName, PropValue)> = u
        .ops
        .into_iter()
        .map(|o| {
            // Through the storage form, as the DAV layer keeps it.
            let xml = o.value.unwrap().to_xml(&o.name);
            PropValue::from_xml(xml.as_bytes()).unwrap()
        })
        .collect();
    let mut w = MultistatusWriter::new();
    let props: Vec<Prop> = stored
        .iter()
        .map(|(n, v)| Prop::new(n.clone(), PropContent::Raw(v)))
        .collect();
    w.response_propstat("/c/", &[PropStat::ok(props)]);
    let t = String::from_utf8(w.finish().to_vec()).unwrap();
    assert!(
        t.contains(
            r##"<ICAL:calendar-color symbolic-color="custom">#711A76FF</ICAL:calendar-color>"##
        ),
        "{t}"
    );
    assert!(
        t.contains(r#"<X0:thing xmlns:X0="urn:q"><X1:a xmlns:X1="urn:r" X1:b="1"/></X0:thing>"#),
        "{t}"
    );
}

#[test]
fn streaming_chunks_concatenate_to_the_whole_document() {
    let mut whole = MultistatusWriter::new();
    let mut chunked = MultistatusWriter::new();
    let mut parts = Vec::new();
    for i in 0..100 {
        let href = format!("/c/{i}.ics");
        let etag = format!("\"{i}\"");
        for w in [&mut whole, &mut chunked] {
            w.response_propstat(
                &href,
                &[PropStat::ok(vec![Prop::text(
                    QName::dav("getetag"),
                    etag.as_str(),
                )])],
            );
        }
        if chunked.buffered() > 512 {
            parts.extend_from_slice(&chunked.take_chunk());
            assert_eq!(chunked.buffered(), 0);
        }
    }
    parts.extend_from_slice(&chunked.finish());
    assert_eq!(parts, whole.finish().to_vec());
}

#[test]
fn propstat_with_error_and_424() {
    let mut w = MultistatusWriter::new();
    w.response_propstat(
        "/c/",
        &[
            PropStat::new(
                StatusCode::FAILED_DEPENDENCY,
                vec![Prop::empty(QName::dav("displayname"))],
            ),
            PropStat::new(
                StatusCode::FORBIDDEN,
                vec![Prop::empty(QName::dav("getetag"))],
            )
            .with_error(Condition::CannotModifyProtectedProperty),
        ],
    );
    let t = String::from_utf8(w.finish().to_vec()).unwrap();
    assert!(t.contains(
        "<D:propstat><D:prop><D:displayname/></D:prop><D:status>HTTP/1.1 424 Failed Dependency</D:status></D:propstat>\
<D:propstat><D:prop><D:getetag/></D:prop><D:status>HTTP/1.1 403 Forbidden</D:status><D:error><D:cannot-modify-protected-property/></D:error></D:propstat>"
    ), "{t}");
}

#[test]
fn error_bodies() {
    assert_eq!(
        s(&error_body(Condition::ValidSyncToken)),
        format!("{DECL}<D:error{ROOT}><D:valid-sync-token/></D:error>")
    );
    assert_eq!(
        s(&error_body(Condition::NoUidConflict {
            kind: DavKind::Calendar,
            href: "/dav/c/a b.ics".into()
        })),
        format!(
            "{DECL}<D:error{ROOT}><C:no-uid-conflict><D:href>/dav/c/a b.ics</D:href></C:no-uid-conflict></D:error>"
        )
    );
    assert_eq!(
        s(&error_body(Condition::NoUidConflict {
            kind: DavKind::Addressbook,
            href: "/x".into()
        })),
        format!(
            "{DECL}<D:error{ROOT}><CR:no-uid-conflict><D:href>/x</D:href></CR:no-uid-conflict></D:error>"
        )
    );
    assert_eq!(
        s(&error_body(Condition::SupportedFilter {
            kind: DavKind::Calendar,
            element: QName::caldav("prop-filter"),
            name: Some("X-FOO".into())
        })),
        format!(
            "{DECL}<D:error{ROOT}><C:supported-filter><C:prop-filter name=\"X-FOO\"/></C:supported-filter></D:error>"
        )
    );
    assert_eq!(
        s(&error_body(Condition::SupportedCollation {
            kind: DavKind::Addressbook,
            collation: Some("i;x".into())
        })),
        format!(
            "{DECL}<D:error{ROOT}><CR:supported-collation>i;x</CR:supported-collation></D:error>"
        )
    );
    assert_eq!(
        s(&error_body(Condition::NeedPrivileges(vec![
            NeedPrivilege {
                href: "/dav/calendars/bob/".into(),
                privilege: QName::dav("read")
            }
        ]))),
        format!(
            "{DECL}<D:error{ROOT}><D:need-privileges><D:resource><D:href>/dav/calendars/bob/</D:href><D:privilege><D:read/></D:privilege></D:resource></D:need-privileges></D:error>"
        )
    );
    for (c, el) in [
        (
            Condition::Body(BodyCondition::SupportedCalendarData),
            "C:supported-calendar-data",
        ),
        (
            Condition::Body(BodyCondition::ValidCalendarData),
            "C:valid-calendar-data",
        ),
        (
            Condition::Body(BodyCondition::ValidCalendarObjectResource),
            "C:valid-calendar-object-resource",
        ),
        (
            Condition::Body(BodyCondition::SupportedCalendarComponent),
            "C:supported-calendar-component",
        ),
        (
            Condition::MaxResourceSize {
                kind: DavKind::Calendar,
            },
            "C:max-resource-size",
        ),
        (
            Condition::MaxResourceSize {
                kind: DavKind::Addressbook,
            },
            "CR:max-resource-size",
        ),
        (Condition::MinDateTime, "C:min-date-time"),
        (Condition::MaxDateTime, "C:max-date-time"),
        (Condition::MaxInstances, "C:max-instances"),
        (
            Condition::MaxAttendeesPerInstance,
            "C:max-attendees-per-instance",
        ),
        (
            Condition::CollectionLocationOk {
                kind: DavKind::Calendar,
            },
            "C:calendar-collection-location-ok",
        ),
        (
            Condition::CollectionLocationOk {
                kind: DavKind::Addressbook,
            },
            "CR:addressbook-collection-location-ok",
        ),
        (Condition::ValidFilter, "C:valid-filter"),
        (
            Condition::Body(BodyCondition::SupportedAddressData),
            "CR:supported-address-data",
        ),
        (
            Condition::Body(BodyCondition::ValidAddressData),
            "CR:valid-address-data",
        ),
        (
            Condition::SupportedAddressDataConversion,
            "CR:supported-address-data-conversion",
        ),
        (Condition::QuotaNotExceeded, "D:quota-not-exceeded"),
        (Condition::SufficientDiskSpace, "D:sufficient-disk-space"),
        (Condition::ResourceMustBeNull, "D:resource-must-be-null"),
        (Condition::ValidResourcetype, "D:valid-resourcetype"),
        (
            Condition::CannotModifyProtectedProperty,
            "D:cannot-modify-protected-property",
        ),
        (Condition::SupportedReport, "D:supported-report"),
        (Condition::PropfindFiniteDepth, "D:propfind-finite-depth"),
        (
            Condition::NumberOfMatchesWithinLimits,
            "D:number-of-matches-within-limits",
        ),
        (
            Condition::Other(QName::new("urn:davlite", "exists")),
            "X0:exists xmlns:X0=\"urn:davlite\"",
        ),
    ] {
        assert_eq!(
            s(&error_body(c)),
            format!("{DECL}<D:error{ROOT}><{el}/></D:error>")
        );
    }
}

#[test]
fn mkcol_response_body() {
    let b = mkcol_response(&[
        PropStat::new(
            StatusCode::FAILED_DEPENDENCY,
            vec![Prop::empty(QName::dav("displayname"))],
        ),
        PropStat::new(
            StatusCode::FORBIDDEN,
            vec![Prop::empty(QName::dav("resourcetype"))],
        )
        .with_error(Condition::ValidResourcetype),
    ]);
    assert_eq!(
        s(&b),
        format!(
            "{DECL}<D:mkcol-response{ROOT}>\
<D:propstat><D:prop><D:displayname/></D:prop><D:status>HTTP/1.1 424 Failed Dependency</D:status></D:propstat>\
<D:propstat><D:prop><D:resourcetype/></D:prop><D:status>HTTP/1.1 403 Forbidden</D:status><D:error><D:valid-resourcetype/></D:error></D:propstat>\
</D:mkcol-response>"
        )
    );
}

#[test]
fn our_output_parses_with_our_reader() {
    // Every body we write must itself be well-formed, namespace-correct XML.
    let mut w = MultistatusWriter::new();
    w.response_propstat(
        "/a",
        &[
            PropStat::ok(vec![Prop::text(QName::new("urn:é", "x"), "\u{0}bad\u{1b}")]),
            PropStat::not_found([QName::new("", "bare")]),
        ],
    );
    w.sync_token("t:1");
    let body = w.finish();
    let (name, v) = PropValue::from_xml(&body).unwrap();
    assert_eq!(name, QName::dav("multistatus"));
    assert!(v.text().contains("\u{FFFD}bad\u{FFFD}"));
}

#[test]
fn error_body_with_reason_escapes_and_stays_parseable() {
    let b = davlite_proto::error_body_with_reason(
        Condition::Body(BodyCondition::ValidCalendarData),
        "line 3: <BEGIN> & \u{7} missing",
    );
    assert_eq!(
        s(&b),
        format!(
            "{DECL}<D:error{ROOT}><C:valid-calendar-data/><X0:reason xmlns:X0=\"urn:davlite:error\">line 3: &lt;BEGIN&gt; &amp; \u{FFFD} missing</X0:reason></D:error>"
        )
    );
    let (name, v) = PropValue::from_xml(&b).unwrap();
    assert_eq!(name, QName::dav("error"));
    assert_eq!(
        v.child_names()[1],
        QName::new(davlite_proto::write::REASON_NS, "reason")
    );
}
