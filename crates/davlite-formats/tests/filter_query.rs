//! calendar-query (RFC 4791 §9.7) and addressbook-query (RFC 6352 §10.5) filters beyond time
//! ranges: text-match with each collation and negation, is-not-defined, param-filter,
//! prop-filter time ranges, validation errors.

use crate::common::{comp, utc};
use davlite_formats::filter::{
    CardFilter, CardPropFilter, Collation, CompFilter, MatchType, ParamFilter, PropFilter, Test,
    TextMatch, TimeRange,
};
use davlite_formats::{FilterError, matches_calendar, matches_card, validate_calendar_filter};

const EVENT: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:ev1\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240105T100000Z\r\nDTEND:20240105T110000Z\r\nSUMMARY:Team Meeting\\, Straße\r\nDESCRIPTION:A long description that is folded across two lines so that the filter must un\r\n fold it: needle here\r\nATTENDEE;PARTSTAT=ACCEPTED;CN=\"Doe, Jane\":mailto:jane@example.com\r\nATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.com\r\nCATEGORIES:WORK,PROJECT\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:r\r\nTRIGGER:-PT10M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

fn prop(name: &str) -> PropFilter {
    PropFilter {
        name: name.into(),
        is_not_defined: false,
        time_range: None,
        text_match: None,
        param_filters: vec![],
    }
}

fn tm(text: &str, collation: Collation, negate: bool) -> TextMatch {
    TextMatch {
        text: text.into(),
        collation,
        match_type: MatchType::Contains,
        negate,
    }
}

fn event_with(p: PropFilter) -> CompFilter {
    let mut ev = comp("VEVENT");
    ev.prop_filters.push(p);
    let mut root = comp("VCALENDAR");
    root.comp_filters.push(ev);
    root
}

fn summary(text: &str, collation: Collation, negate: bool) -> bool {
    let mut p = prop("SUMMARY");
    p.text_match = Some(tm(text, collation, negate));
    matches_calendar(&event_with(p), EVENT.as_bytes()).unwrap()
}

#[test]
fn collation_ascii_casemap() {
    assert!(summary("team meeting", Collation::AsciiCasemap, false));
    assert!(
        summary("STRAßE", Collation::AsciiCasemap, false),
        "ASCII letters fold, ß stays"
    );
    assert!(
        !summary("STRASSE", Collation::AsciiCasemap, false),
        "ß is not ASCII: no expansion"
    );
    assert!(
        !summary("straẞe", Collation::AsciiCasemap, false),
        "capital ẞ is not folded"
    );
}

#[test]
fn collation_octet() {
    assert!(summary("Team Meeting", Collation::Octet, false));
    assert!(!summary("team meeting", Collation::Octet, false));
}

#[test]
fn collation_unicode_casemap() {
    assert!(summary("STRASSE", Collation::UnicodeCasemap, false));
    assert!(summary("straße", Collation::UnicodeCasemap, false));
    assert!(summary("TEAM MEETING", Collation::UnicodeCasemap, false));
    assert!(!summary("strasse!", Collation::UnicodeCasemap, false));
}

#[test]
fn text_match_sees_unescaped_value() {
    assert!(summary("Meeting, Straße", Collation::Octet, false));
}

#[test]
fn negate_condition_inverts() {
    assert!(!summary("meeting", Collation::AsciiCasemap, true));
    assert!(summary("holiday", Collation::AsciiCasemap, true));
}

#[test]
fn text_match_on_folded_property() {
    let mut p = prop("DESCRIPTION");
    p.text_match = Some(tm("unfold it: needle", Collation::AsciiCasemap, false));
    assert!(matches_calendar(&event_with(p), EVENT.as_bytes()).unwrap());
}

#[test]
fn prop_is_not_defined() {
    let mut p = prop("LOCATION");
    p.is_not_defined = true;
    assert!(matches_calendar(&event_with(p), EVENT.as_bytes()).unwrap());
    let mut p = prop("SUMMARY");
    p.is_not_defined = true;
    assert!(!matches_calendar(&event_with(p), EVENT.as_bytes()).unwrap());
}

#[test]
fn prop_exists_without_tests() {
    assert!(matches_calendar(&event_with(prop("categories")), EVENT.as_bytes()).unwrap());
    assert!(!matches_calendar(&event_with(prop("RRULE")), EVENT.as_bytes()).unwrap());
}

#[test]
fn param_filter_text_match_and_is_not_defined() {
    let mut p = prop("ATTENDEE");
    p.text_match = Some(tm("bob@", Collation::AsciiCasemap, false));
    p.param_filters.push(ParamFilter {
        name: "PARTSTAT".into(),
        is_not_defined: false,
        text_match: Some(tm("needs-action", Collation::AsciiCasemap, false)),
    });
    assert!(matches_calendar(&event_with(p.clone()), EVENT.as_bytes()).unwrap());
    // Both tests must hold on the same ATTENDEE: bob has not accepted.
    p.param_filters[0].text_match = Some(tm("ACCEPTED", Collation::Octet, false));
    assert!(!matches_calendar(&event_with(p), EVENT.as_bytes()).unwrap());
    let mut q = prop("ATTENDEE");
    q.param_filters.push(ParamFilter {
        name: "CN".into(),
        is_not_defined: true,
        text_match: None,
    });
    assert!(
        matches_calendar(&event_with(q.clone()), EVENT.as_bytes()).unwrap(),
        "bob has no CN"
    );
    q.param_filters[0] = ParamFilter {
        name: "CN".into(),
        is_not_defined: false,
        text_match: Some(tm("doe, jane", Collation::AsciiCasemap, false)),
    };
    assert!(
        matches_calendar(&event_with(q), EVENT.as_bytes()).unwrap(),
        "quoted value with a comma"
    );
}

#[test]
fn prop_filter_time_range() {
    let mut p = prop("DTSTART");
    p.time_range = Some(TimeRange {
        start: Some(utc("20240105T100000Z")),
        end: Some(utc("20240105T100001Z")),
    });
    assert!(matches_calendar(&event_with(p.clone()), EVENT.as_bytes()).unwrap());
    p.time_range = Some(TimeRange {
        start: Some(utc("20240105T100001Z")),
        end: None,
    });
    assert!(!matches_calendar(&event_with(p), EVENT.as_bytes()).unwrap());
}

#[test]
fn comp_is_not_defined_and_nesting() {
    let mut root = comp("VCALENDAR");
    let mut todo = comp("VTODO");
    todo.is_not_defined = true;
    root.comp_filters.push(todo);
    assert!(matches_calendar(&root, EVENT.as_bytes()).unwrap());
    let mut root = comp("VCALENDAR");
    let mut ev = comp("VEVENT");
    let mut alarm = comp("VALARM");
    alarm.is_not_defined = true;
    ev.comp_filters.push(alarm);
    root.comp_filters.push(ev);
    assert!(!matches_calendar(&root, EVENT.as_bytes()).unwrap());
    assert!(
        !matches_calendar(
            &{
                let mut r = comp("VCALENDAR");
                r.comp_filters.push(comp("VTODO"));
                r
            },
            EVENT.as_bytes()
        )
        .unwrap()
    );
    assert!(
        matches_calendar(&comp("VCALENDAR"), EVENT.as_bytes()).unwrap(),
        "bare VCALENDAR matches all"
    );
}

#[test]
fn invalid_filters_are_refused_before_data() {
    let not_root = comp("VEVENT");
    assert!(matches!(
        validate_calendar_filter(&not_root),
        Err(FilterError::Invalid { .. })
    ));
    let mut backwards = comp("VEVENT");
    backwards.time_range = Some(TimeRange {
        start: Some(10),
        end: Some(10),
    });
    let mut root = comp("VCALENDAR");
    root.comp_filters.push(backwards);
    let err = validate_calendar_filter(&root).unwrap_err();
    assert!(matches!(err, FilterError::Invalid { .. }));
    assert_eq!(err.element(), "time-range");
    let mut root = comp("VCALENDAR");
    root.comp_filters.push(comp("VALARM"));
    assert!(
        matches!(
            validate_calendar_filter(&root),
            Err(FilterError::Invalid { .. })
        ),
        "VALARM directly in VCALENDAR"
    );
    let mut tz = comp("VTIMEZONE");
    tz.time_range = Some(TimeRange {
        start: Some(0),
        end: None,
    });
    let mut root = comp("VCALENDAR");
    root.comp_filters.push(tz);
    assert!(matches!(
        validate_calendar_filter(&root),
        Err(FilterError::Invalid { .. })
    ));
    // matches_calendar refuses the same filters without reading the bytes.
    assert!(matches_calendar(&not_root, b"garbage").is_err());
}

const CARD: &str = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:1\r\nFN:Jöhn Doe\r\nN:Doe;Jöhn;;;\r\nitem1.EMAIL;TYPE=work:john@Example.com\r\nTEL;TYPE=cell,voice:+1 555 0100\r\nEND:VCARD\r\n";

fn card_prop(name: &str, text: &str, mt: MatchType) -> CardPropFilter {
    CardPropFilter {
        name: name.into(),
        is_not_defined: false,
        test: Test::AnyOf,
        text_matches: vec![TextMatch {
            text: text.into(),
            collation: Collation::UnicodeCasemap,
            match_type: mt,
            negate: false,
        }],
        param_filters: vec![],
    }
}

fn card(f: CardFilter) -> bool {
    matches_card(&f, CARD.as_bytes()).unwrap()
}

#[test]
fn card_match_types() {
    let one = |p| CardFilter {
        test: Test::AnyOf,
        prop_filters: vec![p],
    };
    assert!(card(one(card_prop("FN", "jöhn doe", MatchType::Equals))));
    assert!(!card(one(card_prop("FN", "jöhn", MatchType::Equals))));
    assert!(card(one(card_prop("FN", "JÖHN", MatchType::StartsWith))));
    assert!(!card(one(card_prop("FN", "doe", MatchType::StartsWith))));
    assert!(card(one(card_prop("FN", "DOE", MatchType::EndsWith))));
    assert!(
        card(one(card_prop("EMAIL", "example.COM", MatchType::Contains))),
        "grouped property"
    );
}

#[test]
fn card_anyof_allof_and_negate() {
    let a = card_prop("FN", "nobody", MatchType::Contains);
    let b = card_prop("EMAIL", "john@", MatchType::StartsWith);
    assert!(card(CardFilter {
        test: Test::AnyOf,
        prop_filters: vec![a.clone(), b.clone()]
    }));
    assert!(!card(CardFilter {
        test: Test::AllOf,
        prop_filters: vec![a.clone(), b.clone()]
    }));
    let mut neg = a;
    neg.text_matches[0].negate = true;
    assert!(card(CardFilter {
        test: Test::AllOf,
        prop_filters: vec![neg, b]
    }));
}

#[test]
fn card_prop_test_allof_with_param_filter() {
    let mut p = card_prop("TEL", "555", MatchType::Contains);
    p.test = Test::AllOf;
    p.param_filters.push(ParamFilter {
        name: "TYPE".into(),
        is_not_defined: false,
        text_match: Some(TextMatch {
            text: "cell".into(),
            collation: Collation::AsciiCasemap,
            match_type: MatchType::Equals,
            negate: false,
        }),
    });
    assert!(card(CardFilter {
        test: Test::AnyOf,
        prop_filters: vec![p.clone()]
    }));
    p.param_filters[0].text_match.as_mut().unwrap().text = "home".into();
    assert!(!card(CardFilter {
        test: Test::AnyOf,
        prop_filters: vec![p.clone()]
    }));
    p.test = Test::AnyOf;
    assert!(
        card(CardFilter {
            test: Test::AnyOf,
            prop_filters: vec![p]
        }),
        "anyof: the text-match alone suffices"
    );
}

#[test]
fn card_is_not_defined_and_empty_filter() {
    let missing = CardPropFilter {
        name: "NICKNAME".into(),
        is_not_defined: true,
        test: Test::AnyOf,
        text_matches: vec![],
        param_filters: vec![],
    };
    assert!(card(CardFilter {
        test: Test::AnyOf,
        prop_filters: vec![missing]
    }));
    let present = CardPropFilter {
        name: "FN".into(),
        is_not_defined: true,
        test: Test::AnyOf,
        text_matches: vec![],
        param_filters: vec![],
    };
    assert!(!card(CardFilter {
        test: Test::AnyOf,
        prop_filters: vec![present]
    }));
    assert!(card(CardFilter::default()));
}

#[test]
fn card_vcard21_bare_type_parameters() {
    let v21 = b"BEGIN:VCARD\r\nVERSION:2.1\r\nN:Doe;John\r\nFN:John Doe\r\nTEL;HOME;VOICE:555 0100\r\nEND:VCARD\r\n";
    let p = |ty: &str| CardPropFilter {
        name: "TEL".into(),
        is_not_defined: false,
        test: Test::AnyOf,
        text_matches: vec![],
        param_filters: vec![ParamFilter {
            name: "TYPE".into(),
            is_not_defined: false,
            text_match: Some(TextMatch {
                text: ty.into(),
                collation: Collation::AsciiCasemap,
                match_type: MatchType::Equals,
                negate: false,
            }),
        }],
    };
    let f = |ty: &str| CardFilter {
        test: Test::AnyOf,
        prop_filters: vec![p(ty)],
    };
    assert!(matches_card(&f("home"), v21).unwrap());
    assert!(matches_card(&f("voice"), v21).unwrap());
    assert!(!matches_card(&f("work"), v21).unwrap());
}
