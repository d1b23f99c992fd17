//! PRECONDITIONS.md "PUT of a contact (CardDAV)": every row, with the CardDAV element in its
//! namespace and an unchanged store after each refusal.

use crate::common;
use common::*;

const VCF: (&str, &str) = ("content-type", "text/vcard; charset=utf-8");
const CARDDAV_NS: &str = "xmlns:CR=\"urn:ietf:params:xml:ns:carddav\"";

#[track_caller]
fn refused(f: &Fixture, uri: &str, headers: &[(&str, &str)], body: &str, element: &str) -> Resp {
    let before = f.state();
    let r = f.req("PUT", uri, headers, body);
    r.assert_status(403)
        .assert_contains(&format!("<CR:{element}"));
    assert!(r.body.contains(CARDDAV_NS), "{}", r.body);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/xml")
    );
    assert_eq!(f.state(), before, "store changed after a refusal");
    r
}

fn card(lines: &str) -> String {
    format!("BEGIN:VCARD\r\n{lines}END:VCARD\r\n")
}

#[test]
fn wrong_media_type_or_unsupported_version_is_supported_address_data() {
    let f = fixture();
    let uri = format!("{BOOK}a.vcf");
    let body = vcard("a", "A");
    for ct in [
        "text/plain",
        "text/calendar",
        "text/vcard; version=2.1",
        "text/vcard; charset=iso-8859-1",
    ] {
        refused(
            &f,
            &uri,
            &[("content-type", ct)],
            &body,
            "supported-address-data",
        );
    }
    let v21 = card("VERSION:2.1\r\nUID:a\r\nFN:A\r\nN:A;;;;\r\n");
    refused(&f, &uri, &[VCF], &v21, "supported-address-data");
    // text/x-vcard and version parameters are accepted.
    f.req(
        "PUT",
        &format!("{BOOK}x.vcf"),
        &[("content-type", "text/x-vcard")],
        &vcard("x", "X"),
    )
    .assert_status(201);
    let v4 = card("VERSION:4.0\r\nUID:v4\r\nFN:Four\r\n");
    f.req(
        "PUT",
        &format!("{BOOK}v4.vcf"),
        &[("content-type", "text/vcard; version=4.0")],
        &v4,
    )
    .assert_status(201);
}

#[test]
fn unparseable_multiple_or_incomplete_vcards_are_valid_address_data() {
    let f = fixture();
    let uri = format!("{BOOK}a.vcf");
    let cases = [
        "not a vcard".to_string(),
        format!("{}{}", vcard("a", "A"), vcard("b", "B")),
        "VERSION:3.0\r\nUID:a\r\nFN:A\r\n".to_string(),
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a\r\nFN:A\r\n".to_string(),
        card("UID:a\r\nFN:A\r\nN:A;;;;\r\n"),
        card("VERSION:3.0\r\nUID:a\r\nN:A;;;;\r\n"),
        card("VERSION:3.0\r\nFN:A\r\nN:A;;;;\r\n"),
    ];
    for body in cases {
        refused(&f, &uri, &[VCF], &body, "valid-address-data");
    }
}

/// A vCard without UID: RFC 6352's `valid-address-data`, then
/// `valid-addressbook-object-resource` for clients that look for that name; nothing stored.
#[test]
fn vcard_without_uid_names_both_address_book_elements() {
    let f = fixture();
    let uri = format!("{BOOK}no-uid.vcf");
    let body = card("VERSION:3.0\r\nFN:A\r\nN:A;;;;\r\n");
    refused(&f, &uri, &[VCF], &body, "valid-address-data")
        .assert_contains("<CR:valid-address-data/><CR:valid-addressbook-object-resource/>");
    f.req("GET", &uri, &[], "").assert_status(404);
}

#[test]
fn uid_conflict_and_uid_change_are_no_uid_conflict_with_href() {
    let f = fixture();
    f.put_card(&format!("{BOOK}holder.vcf"), "u1", &[])
        .assert_status(201);
    refused(&f, &format!("{BOOK}other.vcf"), &[VCF], &vcard("u1", "Other"), "no-uid-conflict")
        .assert_contains("<CR:no-uid-conflict><D:href>/dav/addressbooks/alice/default/holder.vcf</D:href></CR:no-uid-conflict>");
    refused(
        &f,
        &format!("{BOOK}holder.vcf"),
        &[VCF],
        &vcard("u2", "Changed"),
        "no-uid-conflict",
    )
    .assert_contains("<D:href>/dav/addressbooks/alice/default/holder.vcf</D:href>");
}

#[test]
fn body_over_max_resource_size_is_carddav_max_resource_size() {
    let f = fixture();
    let store = f.dav.store();
    let mut limits = store
        .collection("addressbooks/alice/default")
        .unwrap()
        .unwrap()
        .limits;
    limits.max_resource_size = Some(100);
    store
        .update_collection("addressbooks/alice/default", vec![], Some(limits))
        .unwrap();
    let big = card(&format!(
        "VERSION:3.0\r\nUID:big\r\nFN:Big\r\nN:Big;;;;\r\nNOTE:{}\r\n",
        "x".repeat(200)
    ));
    refused(
        &f,
        &format!("{BOOK}big.vcf"),
        &[VCF],
        &big,
        "max-resource-size",
    );
    f.propfind(BOOK, "0", "<CR:max-resource-size/>")
        .assert_contains("<CR:max-resource-size>100</CR:max-resource-size>");
}
