//! Request bodies as real clients send them (bodies from /work/shared/clients/*.md), plus the
//! hostile and malformed inputs the parsers must refuse.

use davlite_formats::filter::{Collation, MatchType, Test, TimeRange};
use davlite_proto::{
    DavKind, Limit, MkCol, MkColKind, PropFind, PropertyUpdate, QName, Report, XmlError,
};

fn names(p: PropFind) -> Vec<QName> {
    match p {
        PropFind::Prop(v) => v,
        other => panic!("expected prop, got {other:?}"),
    }
}

#[test]
fn apple_principal_propfind_with_per_element_prefixes() {
    let body = br#"<A:propfind xmlns:A="DAV:">
     <A:prop>
       <B:calendar-home-set xmlns:B="urn:ietf:params:xml:ns:caldav"/>
       <A:current-user-principal/>
       <C:email-address-set xmlns:C="http://calendarserver.org/ns/"/>
       <A:supported-report-set/>
     </A:prop>
   </A:propfind>"#;
    assert_eq!(
        names(PropFind::parse(body).unwrap()),
        vec![
            QName::caldav("calendar-home-set"),
            QName::dav("current-user-principal"),
            QName::calserver("email-address-set"),
            QName::dav("supported-report-set"),
        ]
    );
}

#[test]
fn davx5_default_namespace_propfind() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
   <propfind xmlns="DAV:" xmlns:CAL="urn:ietf:params:xml:ns:caldav" xmlns:A="http://apple.com/ns/ical/">
     <prop><resourcetype/><CAL:supported-calendar-component-set/><A:calendar-color/></prop>
   </propfind>"#;
    assert_eq!(
        names(PropFind::parse(body).unwrap()),
        vec![
            QName::dav("resourcetype"),
            QName::caldav("supported-calendar-component-set"),
            QName::apple_ical("calendar-color"),
        ]
    );
}

#[test]
fn foreign_namespace_is_not_dav() {
    let body =
        br#"<D:propfind xmlns:D="DAV:"><D:prop><x:getetag xmlns:x="urn:x"/></D:prop></D:propfind>"#;
    let n = names(PropFind::parse(body).unwrap());
    assert_eq!(n, vec![QName::new("urn:x", "getetag")]);
    assert_ne!(n[0], QName::dav("getetag"));
    // The same prefix rebound to DAV: in a nested scope is DAV:.
    let body = br#"<D:propfind xmlns:D="DAV:" xmlns:x="urn:x"><D:prop xmlns:x="DAV:"><x:getetag/></D:prop></D:propfind>"#;
    assert_eq!(
        names(PropFind::parse(body).unwrap()),
        vec![QName::dav("getetag")]
    );
}

#[test]
fn propfind_variants() {
    assert_eq!(
        PropFind::parse(b"").unwrap(),
        PropFind::AllProp { include: vec![] }
    );
    assert_eq!(
        PropFind::parse(b"  \r\n").unwrap(),
        PropFind::AllProp { include: vec![] }
    );
    assert_eq!(
        PropFind::parse(br#"<propfind xmlns="DAV:"><propname/></propfind>"#).unwrap(),
        PropFind::PropName
    );
    assert_eq!(
        PropFind::parse(
            br#"<propfind xmlns="DAV:"><allprop/><include><C:calendar-data xmlns:C="urn:ietf:params:xml:ns:caldav"/></include></propfind>"#
        )
        .unwrap(),
        PropFind::AllProp {
            include: vec![QName::caldav("calendar-data")]
        }
    );
    assert_eq!(
        names(
            PropFind::parse(
                br#"<propfind xmlns="DAV:"><prop><getetag/><getetag/></prop></propfind>"#
            )
            .unwrap()
        ),
        vec![QName::dav("getetag")]
    );
    assert!(matches!(
        PropFind::parse(br#"<propfind xmlns="DAV:"/>"#),
        Err(XmlError::Invalid(_))
    ));
    assert!(matches!(
        PropFind::parse(br#"<propfind xmlns="DAV:"><prop/><propname/></propfind>"#),
        Err(XmlError::Invalid(_))
    ));
    assert_eq!(
        PropFind::parse(br#"<propfind xmlns="urn:x"><prop/></propfind>"#),
        Err(XmlError::UnexpectedRoot {
            found: QName::new("urn:x", "propfind")
        })
    );
}

#[test]
fn malformed_bodies_are_malformed() {
    for bad in [
        &b"<propfind xmlns=\"DAV:\"><prop>"[..],
        b"<propfind xmlns=\"DAV:\"></prop>",
        b"<D:propfind><D:prop/></D:propfind>",
        b"not xml",
        b"<propfind xmlns=\"DAV:\">\xff\xfe</propfind>",
    ] {
        assert!(
            matches!(PropFind::parse(bad), Err(XmlError::Malformed(_))),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn bombs_are_refused_quickly() {
    let billion_laughs = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<propfind xmlns="DAV:"><prop><displayname>&lol2;</displayname></prop></propfind>"#;
    let t = std::time::Instant::now();
    assert_eq!(PropFind::parse(billion_laughs), Err(XmlError::Doctype));
    assert_eq!(Report::parse(billion_laughs), Err(XmlError::Doctype));
    let deep = format!(
        "<propertyupdate xmlns=\"DAV:\"><set><prop><x>{}{}</x></prop></set></propertyupdate>",
        "<y>".repeat(100_000),
        "</y>".repeat(100_000)
    );
    assert_eq!(
        PropertyUpdate::parse(deep.as_bytes()),
        Err(XmlError::TooLarge(Limit::Depth))
    );
    // Both are refused at their first offending event, not after reading the document: a
    // generous bound that still catches any quadratic or expand-first behaviour.
    assert!(
        t.elapsed().as_millis() < 1000,
        "guards took {:?}",
        t.elapsed()
    );
    let wide = format!(
        "<C:calendar-multiget xmlns:C=\"urn:ietf:params:xml:ns:caldav\" xmlns:D=\"DAV:\">{}</C:calendar-multiget>",
        "<D:href>/a</D:href>".repeat(300_000)
    );
    assert_eq!(
        Report::parse(wide.as_bytes()),
        Err(XmlError::TooLarge(Limit::Elements))
    );
    let huge_attr = format!(
        "<propfind xmlns=\"DAV:\" a=\"{}\"><prop/></propfind>",
        "x".repeat(1 << 20)
    );
    assert_eq!(
        PropFind::parse(huge_attr.as_bytes()),
        Err(XmlError::TooLarge(Limit::AttributeLength))
    );
    let many_attrs = format!(
        "<propfind xmlns=\"DAV:\" {}><prop/></propfind>",
        (0..100)
            .map(|i| format!("a{i}=\"1\""))
            .collect::<Vec<_>>()
            .join(" ")
    );
    assert_eq!(
        PropFind::parse(many_attrs.as_bytes()),
        Err(XmlError::TooLarge(Limit::Attributes))
    );
}

#[test]
fn proppatch_keeps_order_and_apple_color_attribute() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<A:propertyupdate xmlns:A="DAV:">
  <A:set><A:prop>
    <A:displayname>Work &amp; Play</A:displayname>
    <B:calendar-color xmlns:B="http://apple.com/ns/ical/" symbolic-color="custom">#711A76FF</B:calendar-color>
  </A:prop></A:set>
  <A:remove><A:prop><B:calendar-order xmlns:B="http://apple.com/ns/ical/"/></A:prop></A:remove>
  <A:set><A:prop><me-card xmlns="http://calendarserver.org/ns/"><A:href>/dav/addressbooks/alice/c/me.vcf</A:href></me-card></A:prop></A:set>
</A:propertyupdate>"#;
    let u = PropertyUpdate::parse(body).unwrap();
    let got: Vec<(QName, bool)> = u
        .ops
        .iter()
        .map(|o| (o.name.clone(), o.value.is_some()))
        .collect();
    assert_eq!(
        got,
        vec![
            (QName::dav("displayname"), true),
            (QName::apple_ical("calendar-color"), true),
            (QName::apple_ical("calendar-order"), false),
            (QName::calserver("me-card"), true),
        ]
    );
    assert_eq!(u.ops[0].value.as_ref().unwrap().text(), "Work & Play");
    let color = u.ops[1].value.as_ref().unwrap();
    assert_eq!(color.text(), "#711A76FF");
    assert_eq!(
        color.to_xml(&u.ops[1].name),
        r##"<ICAL:calendar-color xmlns:ICAL="http://apple.com/ns/ical/" symbolic-color="custom">#711A76FF</ICAL:calendar-color>"##
    );
    let me = u.ops[3].value.as_ref().unwrap();
    assert_eq!(me.child_names(), vec![QName::dav("href")]);
    assert!(matches!(
        PropertyUpdate::parse(br#"<propertyupdate xmlns="DAV:"/>"#),
        Err(XmlError::Invalid(_))
    ));
}

#[test]
fn apple_mkcalendar_and_vdirsyncer_extended_mkcol() {
    let body = br##"<?xml version="1.0" encoding="UTF-8"?>
<B:mkcalendar xmlns:B="urn:ietf:params:xml:ns:caldav">
  <A:set xmlns:A="DAV:">
    <A:prop>
      <D:calendar-order xmlns:D="http://apple.com/ns/ical/">1</D:calendar-order>
      <B:supported-calendar-component-set><B:comp name="VEVENT"/></B:supported-calendar-component-set>
      <D:calendar-color xmlns:D="http://apple.com/ns/ical/" symbolic-color="custom">#882F00FF</D:calendar-color>
      <A:displayname>Untitled</A:displayname>
      <B:calendar-timezone><![CDATA[BEGIN:VCALENDAR
END:VCALENDAR
]]></B:calendar-timezone>
    </A:prop>
  </A:set>
</B:mkcalendar>"##;
    let m = MkCol::parse(body).unwrap();
    assert_eq!(m.kind, MkColKind::Mkcalendar);
    assert!(m.resourcetype.is_empty());
    let names: Vec<_> = m.props.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(
        names,
        vec![
            QName::apple_ical("calendar-order"),
            QName::caldav("supported-calendar-component-set"),
            QName::apple_ical("calendar-color"),
            QName::dav("displayname"),
            QName::caldav("calendar-timezone"),
        ]
    );
    assert_eq!(m.props[2].1.attributes()[0].1, "custom");
    assert_eq!(m.props[4].1.text(), "BEGIN:VCALENDAR\nEND:VCALENDAR\n");

    let v = br#"<mkcol xmlns="DAV:">
     <set><prop><resourcetype><collection/><C:calendar xmlns:C="urn:ietf:params:xml:ns:caldav"/></resourcetype></prop></set>
   </mkcol>"#;
    let m = MkCol::parse(v).unwrap();
    assert_eq!(m.kind, MkColKind::Mkcol);
    assert_eq!(
        m.resourcetype,
        vec![QName::dav("collection"), QName::caldav("calendar")]
    );
    assert!(m.props.is_empty());

    assert_eq!(
        MkCol::parse(br#"<propertyupdate xmlns="DAV:"/>"#),
        Err(XmlError::UnsupportedMkcolRoot(QName::dav("propertyupdate")))
    );
}

#[test]
fn ios_open_ended_calendar_query() {
    let body = br#"<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav">
    <A:prop xmlns:A="DAV:"><A:getetag/><A:getcontenttype/></A:prop>
    <C:filter>
      <C:comp-filter name="VCALENDAR">
        <C:comp-filter name="VEVENT"><C:time-range start="20260601T000000Z"/></C:comp-filter>
      </C:comp-filter>
    </C:filter>
  </C:calendar-query>"#;
    let Report::CalendarQuery {
        props,
        filter,
        timezone,
        ..
    } = Report::parse(body).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        props.names(),
        &[QName::dav("getetag"), QName::dav("getcontenttype")]
    );
    assert!(props.calendar_data.is_none());
    assert_eq!(filter.name, "VCALENDAR");
    assert_eq!(filter.comp_filters[0].name, "VEVENT");
    assert_eq!(
        filter.comp_filters[0].time_range,
        Some(TimeRange {
            start: Some(1_780_272_000),
            end: None
        })
    );
    assert_eq!(timezone, None);
}

#[test]
fn calendar_query_with_calendar_data_options_and_text_match() {
    let body = br#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop>
    <C:calendar-data>
      <C:comp name="VCALENDAR"><C:allprop/>
        <C:comp name="VEVENT"><C:prop name="SUMMARY"/><C:prop name="uid" novalue="yes"/></C:comp>
      </C:comp>
      <C:expand start="20240101T000000Z" end="20240108T000000Z"/>
    </C:calendar-data>
  </D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="vevent">
    <C:prop-filter name="SUMMARY">
      <C:text-match collation="i;octet" negate-condition="yes">Meeting</C:text-match>
      <C:param-filter name="LANGUAGE"><C:is-not-defined/></C:param-filter>
    </C:prop-filter>
  </C:comp-filter></C:comp-filter></C:filter>
  <C:timezone>BEGIN:VCALENDAR</C:timezone>
</C:calendar-query>"#;
    let Report::CalendarQuery {
        props,
        filter,
        timezone,
        ..
    } = Report::parse(body).unwrap()
    else {
        panic!()
    };
    let cd = props.calendar_data.unwrap();
    let exp = cd.expand.unwrap();
    assert_eq!((exp.start, exp.end), (1_704_067_200, 1_704_672_000));
    let comp = cd.comp.unwrap();
    assert_eq!(comp.props, None);
    let ev = &comp.comps.as_ref().unwrap()[0];
    assert_eq!(ev.name, "VEVENT");
    let ps = ev.props.as_ref().unwrap();
    assert_eq!((ps[1].name.as_str(), ps[1].novalue), ("UID", true));
    let pf = &filter.comp_filters[0].prop_filters[0];
    assert_eq!(filter.comp_filters[0].name, "VEVENT");
    let tm = pf.text_match.as_ref().unwrap();
    assert_eq!(
        (tm.text.as_str(), tm.collation, tm.negate),
        ("Meeting", Collation::Octet, true)
    );
    assert!(pf.param_filters[0].is_not_defined);
    assert_eq!(timezone.as_deref(), Some("BEGIN:VCALENDAR"));
}

#[test]
fn filter_errors_are_typed() {
    let q = |inner: &str| {
        Report::parse(format!(
            r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR">{inner}</C:comp-filter></C:filter></C:calendar-query>"#
        ).as_bytes())
    };
    assert!(matches!(
        q(
            r#"<C:comp-filter name="VEVENT"><C:time-range start="20240101T000000"/></C:comp-filter>"#
        ),
        Err(XmlError::InvalidFilter(_))
    ));
    assert!(matches!(
        q(
            r#"<C:comp-filter name="VEVENT"><C:time-range start="20240102T000000Z" end="20240101T000000Z"/></C:comp-filter>"#
        ),
        Err(XmlError::InvalidFilter(_))
    ));
    assert!(matches!(
        q(r#"<C:comp-filter name="VEVENT"><C:time-range/></C:comp-filter>"#),
        Err(XmlError::InvalidFilter(_))
    ));
    assert!(matches!(
        q(r#"<C:comp-filter name="VCALENDAR"/>"#),
        Err(XmlError::InvalidFilter(_))
    ));
    assert_eq!(
        q(
            r#"<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match collation="i;klingon">x</C:text-match></C:prop-filter></C:comp-filter>"#
        ),
        Err(XmlError::UnsupportedCollation {
            kind: DavKind::Calendar,
            collation: "i;klingon".into()
        })
    );
    let e = q(r#"<C:comp-filter name="VEVENT"><C:prop-filter name="DTSTART"><X:regex xmlns:X="urn:x"/></C:prop-filter></C:comp-filter>"#)
        .unwrap_err();
    assert_eq!(
        e,
        XmlError::UnsupportedFilter {
            kind: DavKind::Calendar,
            element: QName::new("urn:x", "regex"),
            name: None
        }
    );
    let cond = e.condition().unwrap();
    assert_eq!(cond.element(), QName::caldav("supported-filter"));
    assert!(matches!(
        Report::parse(br#"<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav"/>"#),
        Err(XmlError::Invalid(_))
    ));
}

#[test]
fn multigets_keep_hrefs_as_sent() {
    let body = br#"<CAL:calendar-multiget xmlns="DAV:" xmlns:CAL="urn:ietf:params:xml:ns:caldav">
     <prop><getcontenttype/><getetag/><CAL:schedule-tag/><CAL:calendar-data/></prop>
     <href>/dav/calendars/alice/work/abc%40x.ics</href>
     <href>
       /dav/calendars/alice/work/a b@c.ics
     </href>
     <href>/dav/calendars/alice%40example.com/work/x&amp;y.ics</href>
   </CAL:calendar-multiget>"#;
    let Report::CalendarMultiget { props, hrefs } = Report::parse(body).unwrap() else {
        panic!()
    };
    assert_eq!(
        hrefs,
        vec![
            "/dav/calendars/alice/work/abc%40x.ics",
            "/dav/calendars/alice/work/a b@c.ics",
            "/dav/calendars/alice%40example.com/work/x&y.ics"
        ]
    );
    assert_eq!(props.names().len(), 4);
    assert_eq!(props.calendar_data, Some(Default::default()));

    let vdir = br#"<C:addressbook-multiget xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
     <prop><getetag/><C:address-data Content-Type="text/vcard" version="4.0"/></prop>
     <href>/dav/addressbooks/alice/contacts/a.vcf</href>
   </C:addressbook-multiget>"#;
    let Report::AddressbookMultiget { props, hrefs } = Report::parse(vdir).unwrap() else {
        panic!()
    };
    assert_eq!(hrefs.len(), 1);
    let ad = props.address_data.unwrap();
    assert_eq!(ad.content_type.as_deref(), Some("text/vcard"));
    assert_eq!(ad.version.as_deref(), Some("4.0"));
    assert_eq!(ad.props, None);
}

#[test]
fn sync_collection_variants() {
    let first = br#"<sync-collection xmlns="DAV:"><sync-token/><sync-level>1</sync-level><prop><getetag/><resourcetype/></prop></sync-collection>"#;
    let Report::SyncCollection {
        sync_token,
        sync_level,
        limit,
        props,
    } = Report::parse(first).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (sync_token, sync_level.as_deref(), limit),
        (None, Some("1"), None)
    );
    assert_eq!(
        props.names(),
        &[QName::dav("getetag"), QName::dav("resourcetype")]
    );

    let apple = br#"<A:sync-collection xmlns:A="DAV:">
    <A:sync-token>data:,36_31</A:sync-token>
    <A:prop><A:getetag/><A:getcontenttype/></A:prop>
  </A:sync-collection>"#;
    let Report::SyncCollection {
        sync_token,
        sync_level,
        ..
    } = Report::parse(apple).unwrap()
    else {
        panic!()
    };
    assert_eq!(sync_token.as_deref(), Some("data:,36_31"));
    assert_eq!(sync_level, None);

    let tb = br#"<sync-collection xmlns="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/" xmlns:d="DAV:">
  <sync-token>http://example/sync/42</sync-token>
  <sync-level>1</sync-level>
  <d:limit><d:nresults>50</d:nresults></d:limit>
  <prop><getetag/><card:address-data/></prop>
</sync-collection>"#;
    let Report::SyncCollection { limit, props, .. } = Report::parse(tb).unwrap() else {
        panic!()
    };
    assert_eq!(limit, Some(50));
    assert!(props.address_data.is_some());
    assert!(matches!(
        Report::parse(br#"<sync-collection xmlns="DAV:"><limit><nresults>many</nresults></limit></sync-collection>"#),
        Err(XmlError::Invalid(_))
    ));
}

#[test]
fn addressbook_query() {
    let body = br#"<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:prop><D:getetag/><C:address-data><C:prop name="fn"/><C:prop name="EMAIL"/></C:address-data></D:prop>
  <C:filter test="allof">
    <C:prop-filter name="FN" test="anyof">
      <C:text-match collation="i;unicode-casemap" match-type="starts-with">dan</C:text-match>
      <C:text-match match-type="equals" negate-condition="yes">x</C:text-match>
    </C:prop-filter>
    <C:prop-filter name="EMAIL"><C:param-filter name="type"><C:text-match>work</C:text-match></C:param-filter></C:prop-filter>
  </C:filter>
  <C:limit><C:nresults>10</C:nresults></C:limit>
</C:addressbook-query>"#;
    let Report::AddressbookQuery {
        props,
        filter,
        limit,
    } = Report::parse(body).unwrap()
    else {
        panic!()
    };
    assert_eq!(limit, Some(10));
    assert_eq!(filter.test, Test::AllOf);
    assert_eq!(
        props.address_data.unwrap().props,
        Some(vec!["FN".into(), "EMAIL".into()])
    );
    let fnf = &filter.prop_filters[0];
    assert_eq!(fnf.text_matches[0].match_type, MatchType::StartsWith);
    assert_eq!(fnf.text_matches[0].collation, Collation::UnicodeCasemap);
    assert!(fnf.text_matches[1].negate);
    assert_eq!(filter.prop_filters[1].param_filters[0].name, "TYPE");
    let bad = br#"<C:addressbook-query xmlns:C="urn:ietf:params:xml:ns:carddav"><C:filter><C:prop-filter name="FN"><C:text-match match-type="regex">x</C:text-match></C:prop-filter></C:filter></C:addressbook-query>"#;
    assert_eq!(
        Report::parse(bad)
            .unwrap_err()
            .condition()
            .unwrap()
            .element(),
        QName::carddav("supported-filter")
    );
}

#[test]
fn free_busy_expand_property_and_unknown() {
    let fb = br#"<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20240101T000000Z" end="20240102T000000Z"/></C:free-busy-query>"#;
    assert_eq!(
        Report::parse(fb).unwrap(),
        Report::FreeBusyQuery {
            start: Some(1_704_067_200),
            end: Some(1_704_153_600)
        }
    );
    let ep = br#"<D:expand-property xmlns:D="DAV:">
  <D:property name="calendar-proxy-write-for" namespace="http://calendarserver.org/ns/">
    <D:property name="displayname"/>
    <D:property name="principal-URL"/>
  </D:property>
</D:expand-property>"#;
    let Report::ExpandProperty { tree } = Report::parse(ep).unwrap() else {
        panic!()
    };
    assert_eq!(tree[0].name, QName::calserver("calendar-proxy-write-for"));
    assert_eq!(tree[0].children[1].name, QName::dav("principal-URL"));
    assert_eq!(
        Report::parse(br#"<x:acl-principal-prop-set xmlns:x="DAV:"/>"#).unwrap(),
        Report::Unknown(QName::dav("acl-principal-prop-set"))
    );
    assert_eq!(
        Report::parse(br#"<x:principal-search-property-set xmlns:x="DAV:"/>"#).unwrap(),
        Report::PrincipalSearchPropertySet
    );
    // Right local name, wrong namespace: not the CalDAV report.
    assert_eq!(
        Report::parse(br#"<calendar-query xmlns="DAV:"/>"#).unwrap(),
        Report::Unknown(QName::dav("calendar-query"))
    );
}

#[test]
fn caldav_text_match_accepts_only_contains_as_match_type() {
    let q = |attr: &str| {
        Report::parse(format!(
            r#"<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match {attr}>x</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#
        ).as_bytes())
    };
    let Report::CalendarQuery { filter, .. } = q(r#"match-type="contains""#).unwrap() else {
        panic!()
    };
    let tm = filter.comp_filters[0].prop_filters[0]
        .text_match
        .as_ref()
        .unwrap();
    assert_eq!(tm.match_type, MatchType::Contains);
    assert_eq!(tm.collation, Collation::AsciiCasemap, "default collation");
    assert!(matches!(
        q(r#"match-type="equals""#),
        Err(XmlError::UnsupportedFilter {
            kind: DavKind::Calendar,
            ..
        })
    ));
    assert!(matches!(
        q(r#"negate-condition="maybe""#),
        Err(XmlError::InvalidFilter(_))
    ));
}

#[test]
fn errors_read_as_sentences() {
    let e = PropFind::parse(format!("{}{}", "<a>".repeat(70), "</a>".repeat(70)).as_bytes())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "request body refused: elements nested too deeply"
    );
    let e = Report::parse(br#"<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="2024"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid query filter: \"2024\" is not a UTC date-time (YYYYMMDDTHHMMSSZ)"
    );
}

#[test]
fn outlook_utf8_bom_and_declaration_are_accepted() {
    // .NET's XmlWriter with Encoding.UTF8 starts the body with a byte-order mark.
    let body = b"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><D:propfind xmlns:D=\"DAV:\"><D:prop><D:getetag /></D:prop></D:propfind>";
    assert_eq!(
        names(PropFind::parse(body).unwrap()),
        vec![QName::dav("getetag")]
    );
    let crlf = b"<?xml version=\"1.0\"?>\r\n<D:propfind xmlns:D=\"DAV:\">\r\n<!-- comment --><D:prop><D:getetag/></D:prop>\r\n</D:propfind>\r\n";
    assert_eq!(
        names(PropFind::parse(crlf).unwrap()),
        vec![QName::dav("getetag")]
    );
}

#[test]
fn principal_reports_as_clients_send_them() {
    use davlite_proto::{MatchType, PrincipalMatchKind};
    // Apple: anyof, match-type, several searches.
    let apple = br#"<D:principal-property-search xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/" test="anyof">
  <D:property-search><D:prop><D:displayname/></D:prop><D:match match-type="starts-with"> chr </D:match></D:property-search>
  <D:property-search><D:prop><CS:email-address-set/></D:prop><D:match>chr</D:match></D:property-search>
  <D:prop><D:displayname/><D:principal-URL/></D:prop>
</D:principal-property-search>"#;
    let Report::PrincipalPropertySearch(s) = Report::parse(apple).unwrap() else {
        panic!()
    };
    assert!(s.any_of && !s.apply_to_principal_collection_set);
    assert_eq!(s.searches.len(), 2);
    assert_eq!(s.searches[0].text, "chr");
    assert_eq!(s.searches[0].match_type, MatchType::StartsWith);
    assert_eq!(s.searches[1].match_type, MatchType::Contains);
    assert_eq!(s.searches[1].props, [QName::calserver("email-address-set")]);
    assert_eq!(
        s.props,
        [QName::dav("displayname"), QName::dav("principal-URL")]
    );
    // python-caldav: wanted properties as siblings of an empty prop, no search at all.
    let pyc = br#"<D:principal-property-search xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop/><C:calendar-home-set/><D:displayname/></D:principal-property-search>"#;
    let Report::PrincipalPropertySearch(s) = Report::parse(pyc).unwrap() else {
        panic!()
    };
    assert!(s.searches.is_empty() && !s.any_of);
    assert_eq!(
        s.props,
        [
            QName::caldav("calendar-home-set"),
            QName::dav("displayname")
        ]
    );
    // Evolution: apply-to-principal-collection-set.
    let evo = br#"<principal-property-search xmlns="DAV:"><apply-to-principal-collection-set/><property-search><prop><calendar-user-address-set xmlns="urn:ietf:params:xml:ns:caldav"/></prop><match>a@b.c</match></property-search><prop><displayname/></prop></principal-property-search>"#;
    let Report::PrincipalPropertySearch(s) = Report::parse(evo).unwrap() else {
        panic!()
    };
    assert!(s.apply_to_principal_collection_set);
    for bad in [
        &br#"<D:principal-property-search xmlns:D="DAV:" test="some"/>"#[..],
        br#"<D:principal-property-search xmlns:D="DAV:"><D:property-search><D:match>x</D:match></D:property-search></D:principal-property-search>"#,
        br#"<D:principal-property-search xmlns:D="DAV:"><D:property-search><D:prop><D:displayname/></D:prop><D:match match-type="regex">x</D:match></D:property-search></D:principal-property-search>"#,
        br#"<D:principal-match xmlns:D="DAV:"><D:prop/></D:principal-match>"#,
    ] {
        assert!(Report::parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
    }
    let m = br#"<D:principal-match xmlns:D="DAV:"><D:principal-property><D:owner/></D:principal-property><D:prop><D:displayname/></D:prop></D:principal-match>"#;
    let Report::PrincipalMatch(m) = Report::parse(m).unwrap() else {
        panic!()
    };
    assert_eq!(m.kind, PrincipalMatchKind::Property(QName::dav("owner")));
    assert_eq!(m.props, [QName::dav("displayname")]);
    let Report::PrincipalMatch(m) =
        Report::parse(br#"<D:principal-match xmlns:D="DAV:"><D:self/></D:principal-match>"#)
            .unwrap()
    else {
        panic!()
    };
    assert_eq!(m.kind, PrincipalMatchKind::Myself);
}
