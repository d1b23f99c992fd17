//! vCard acceptance for CardDAV PUT and for import.

use davlite_formats::{
    Charset, FormatError, ObjectKind, ParseOptions, ParsedObject, Precondition, VCardVersion,
};

fn card(version: &str, extra: &str) -> String {
    format!("BEGIN:VCARD\r\nVERSION:{version}\r\n{extra}END:VCARD\r\n")
}

#[test]
fn vcard_3_and_4_are_accepted_with_uid_and_unchanged_bytes() {
    for v in ["3.0", "4.0"] {
        let body = card(v, "UID:urn:uuid:1234\r\nFN:Jane Doe\r\nN:Doe;Jane;;;\r\n");
        let obj = ParsedObject::vcard(body.clone().into_bytes()).unwrap();
        assert_eq!(obj.bytes(), body.as_bytes());
        assert_eq!(obj.info().kind, ObjectKind::Card);
        assert_eq!(obj.info().uid.as_deref(), Some("urn:uuid:1234"));
        assert_eq!(obj.content_type(), "text/vcard; charset=utf-8");
        let info = obj.card_info().unwrap();
        assert_eq!(info.full_name.as_deref(), Some("Jane Doe"));
        assert_eq!(info.version.as_str(), v);
    }
}

#[test]
fn vcard_without_uid_is_refused_on_put_and_accepted_by_import() {
    let body = card("3.0", "FN:No Uid\r\n").into_bytes();
    let err = ParsedObject::vcard(body.clone()).unwrap_err();
    assert!(matches!(err, FormatError::MissingUid { .. }));
    assert_eq!(
        err.precondition(),
        Precondition::ValidAddressbookObjectResource
    );
    assert!(err.precondition().is_carddav());
    let obj = ParsedObject::vcard_with(body.clone(), &ParseOptions::import(Charset::Utf8)).unwrap();
    assert_eq!(obj.info().uid, None);
    assert_eq!(obj.bytes(), body);
}

#[test]
fn vcard_without_fn_or_version_is_invalid_address_data() {
    let no_fn = ParsedObject::vcard(card("4.0", "UID:a\r\n").into_bytes()).unwrap_err();
    assert_eq!(no_fn.precondition(), Precondition::ValidAddressData);
    let no_version = "BEGIN:VCARD\r\nUID:a\r\nFN:x\r\nEND:VCARD\r\n";
    let err = ParsedObject::vcard(no_version.as_bytes().to_vec()).unwrap_err();
    assert_eq!(err.precondition(), Precondition::ValidAddressData);
}

#[test]
fn two_vcards_in_one_body_are_refused() {
    let one = card("3.0", "UID:a\r\nFN:x\r\n");
    let err = ParsedObject::vcard(format!("{one}{one}").into_bytes()).unwrap_err();
    assert_eq!(err.precondition(), Precondition::ValidAddressData);
    assert!(err.to_string().contains("second vCard"), "{err}");
}

#[test]
fn missing_end_vcard_is_refused() {
    let err = ParsedObject::vcard(b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a\r\nFN:x\r\n".to_vec())
        .unwrap_err();
    assert_eq!(err.precondition(), Precondition::ValidAddressData);
    assert_eq!(err.line(), Some(1));
}

#[test]
fn vcard_21_is_unsupported_on_put_but_imported_with_quoted_printable() {
    let body = "BEGIN:VCARD\r\nVERSION:2.1\r\nN:M=C3=BCller;Hans\r\n\
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Hans M=C3=BC=\r\nller\r\nTEL;HOME;VOICE:123\r\nEND:VCARD\r\n";
    let err = ParsedObject::vcard(body.as_bytes().to_vec()).unwrap_err();
    assert_eq!(err.precondition(), Precondition::SupportedAddressData);
    let opts = ParseOptions::import(Charset::Utf8);
    let obj = ParsedObject::vcard_with(body.as_bytes().to_vec(), &opts).unwrap();
    let info = obj.card_info().unwrap();
    assert_eq!(info.version, VCardVersion::V21);
    assert_eq!(info.full_name.as_deref(), Some("Hans Müller"));
}

#[test]
fn vcard_groups_and_lower_case_are_accepted() {
    let body = card(
        "3.0",
        "uid:g-1\r\nfn:Grouped\r\nitem1.EMAIL;type=INTERNET:a@b\r\nitem1.X-ABLabel:work\r\n",
    );
    let obj = ParsedObject::vcard(body.into_bytes()).unwrap();
    assert_eq!(obj.info().uid.as_deref(), Some("g-1"));
}

#[test]
fn non_utf8_vcard_is_refused_and_imported_as_windows_1252() {
    let mut body = card("3.0", "UID:w\r\nFN:Ren\u{e9}\r\n").into_bytes();
    let at = body.windows(2).position(|w| w == [0xC3, 0xA9]).unwrap();
    body.splice(at..at + 2, [0xE9]);
    let err = ParsedObject::vcard(body.clone()).unwrap_err();
    assert!(matches!(err, FormatError::NotUtf8 { offset, .. } if offset == at));
    assert_eq!(err.precondition(), Precondition::ValidAddressData);
    let obj = ParsedObject::vcard_with(body.clone(), &ParseOptions::import(Charset::Windows1252))
        .unwrap();
    assert_eq!(obj.content_type(), "text/vcard; charset=windows-1252");
    assert_eq!(obj.bytes(), body);
    assert_eq!(obj.card_info().unwrap().full_name.as_deref(), Some("René"));
}

#[test]
fn folded_fn_is_unfolded_and_unescaped() {
    let body = card(
        "4.0",
        "UID:f\r\nFN:Doe\\, Jane and a very long na\r\n me\r\n",
    );
    let obj = ParsedObject::vcard(body.into_bytes()).unwrap();
    assert_eq!(
        obj.card_info().unwrap().full_name.as_deref(),
        Some("Doe, Jane and a very long name")
    );
}

#[test]
fn deeply_nested_vcards_are_refused_quickly() {
    let mut body = String::from("BEGIN:VCARD\r\nVERSION:2.1\r\n");
    for _ in 0..100_000 {
        body.push_str("BEGIN:VCARD\r\n");
    }
    let err = ParsedObject::vcard_with(body.into_bytes(), &ParseOptions::import(Charset::Utf8))
        .unwrap_err();
    assert_eq!(err.precondition(), Precondition::ValidAddressData);
}

#[test]
fn a_parameter_without_equals_is_valid_address_data_outside_vcard_21() {
    for version in ["3.0", "4.0"] {
        let body = card(version, "UID:u1\r\nFN:A\r\nTEL;HOME;VOICE:123\r\n");
        let err = ParsedObject::vcard(body.into_bytes()).unwrap_err();
        assert_eq!(err.precondition(), Precondition::ValidAddressData);
        assert!(err.to_string().contains("has no '='"), "{err}");
    }
    let ok = card("4.0", "UID:u1\r\nFN:A\r\nTEL;TYPE=\"home;voice\":123\r\n");
    assert!(ParsedObject::vcard(ok.into_bytes()).is_ok());
    // Apple's Address Book writes PHOTO;BASE64: in its 3.0 cards: kept; 4.0 has no ENCODING.
    let photo = "UID:u1\r\nFN:A\r\nPHOTO;BASE64:\r\n  /9j/4AAQ\r\n";
    assert!(ParsedObject::vcard(card("3.0", photo).into_bytes()).is_ok());
    let err = ParsedObject::vcard(card("4.0", photo).into_bytes()).unwrap_err();
    assert_eq!(err.precondition(), Precondition::ValidAddressData);
}
