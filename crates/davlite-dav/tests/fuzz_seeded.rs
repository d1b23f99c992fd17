//! The fuzz targets' bodies (`davlite_dav::fuzzing`) run in `cargo test` over seeded inputs:
//! real client requests, byte-level mutations of them, and random hrefs from an alphabet of the
//! characters that matter. Deterministic (fixed seed), so a failure reproduces.

use davlite_testkit::Rng;

use davlite_dav::fuzzing;

/// Encodes a request in the input format `fuzzing::dav_request` reads: method index, path
/// index (no suffix), headers as (index, value), user byte, body.
fn encode(method: u8, path: u8, headers: &[(u8, &str)], body: &str) -> Vec<u8> {
    let mut out = vec![method, path * 3 + 1, headers.len() as u8];
    for (name, value) in headers {
        out.push(*name);
        out.push(value.len() as u8);
        out.extend_from_slice(value.as_bytes());
    }
    out.push(2); // alice
    out.extend_from_slice(body.as_bytes());
    out
}

const EVENT: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240105T100000Z\r\nRRULE:FREQ=DAILY;COUNT=3\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
const CARD: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c\r\nFN:C\r\nN:C;;;;\r\nEND:VCARD\r\n";

fn seeds() -> Vec<Vec<u8>> {
    // Method indexes follow fuzzing::METHODS: OPTIONS 0, GET 1, HEAD 2, PUT 3, DELETE 4,
    // PROPFIND 5, PROPPATCH 6, MKCOL 7, MKCALENDAR 8, COPY 9, MOVE 10, REPORT 11.
    // Header indexes follow fuzzing::HEADERS: depth 0, if-match 1, if-none-match 2, if 3,
    // destination 4, overwrite 5, content-type 6, prefer 7, brief 8, accept 9.
    // Path indexes follow fuzzing::PATHS: 4 calendar, 5 a.ics, 7 book, 8 c.vcf, 11 new.
    vec![
        encode(3, 5, &[(6, "text/calendar"), (2, "*")], EVENT),
        encode(3, 8, &[(6, "text/vcard")], CARD),
        encode(
            5,
            4,
            &[(0, "1"), (8, "t")],
            r#"<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>"#,
        ),
        encode(
            5,
            4,
            &[(0, "1")],
            r#"<propfind xmlns="DAV:"><propname/></propfind>"#,
        ),
        encode(
            11,
            4,
            &[(0, "1")],
            r#"<sync-collection xmlns="DAV:"><sync-token/><prop><getetag/><getcontenttype/></prop></sync-collection>"#,
        ),
        encode(
            11,
            4,
            &[(0, "1")],
            r#"<sync-collection xmlns="DAV:"><sync-token/><sync-level>1</sync-level><limit><nresults>1</nresults></limit><prop><getetag/></prop></sync-collection>"#,
        ),
        encode(
            11,
            4,
            &[(0, "1")],
            r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data><C:expand start="20240101T000000Z" end="20240201T000000Z"/></C:calendar-data></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20240101T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#,
        ),
        encode(
            11,
            4,
            &[],
            r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop><D:href>/dav/calendars/alice/default/a.ics</D:href><D:href>/x/%zz</D:href></C:calendar-multiget>"#,
        ),
        encode(
            11,
            4,
            &[],
            r#"<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20240101T000000Z" end="20240201T000000Z"/></C:free-busy-query>"#,
        ),
        encode(
            11,
            7,
            &[(0, "1")],
            r#"<CR:addressbook-query xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><CR:address-data/></D:prop><CR:filter><CR:prop-filter name="FN"><CR:text-match>c</CR:text-match></CR:prop-filter></CR:filter><CR:limit><CR:nresults>1</CR:nresults></CR:limit></CR:addressbook-query>"#,
        ),
        encode(
            11,
            2,
            &[(0, "0")],
            r#"<D:expand-property xmlns:D="DAV:"><D:property name="current-user-principal"><D:property name="displayname"/></D:property></D:expand-property>"#,
        ),
        encode(
            8,
            11,
            &[],
            r#"<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>N</D:displayname></D:prop></D:set></C:mkcalendar>"#,
        ),
        encode(
            7,
            11,
            &[(6, "application/xml")],
            r#"<D:mkcol xmlns:D="DAV:"><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook xmlns:CR="urn:ietf:params:xml:ns:carddav"/></D:resourcetype></D:prop></D:set></D:mkcol>"#,
        ),
        encode(
            6,
            4,
            &[],
            r#"<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><X:c xmlns:X="http://apple.com/ns/ical/" symbolic-color="custom">#fff</X:c></D:prop></D:set><D:remove><D:prop><D:displayname/></D:prop></D:remove></D:propertyupdate>"#,
        ),
        encode(9, 5, &[(4, "/dav/calendars/alice/new/a.ics"), (5, "F")], ""),
        encode(
            10,
            5,
            &[(4, "http://localhost/dav/calendars/alice/default/b.ics")],
            "",
        ),
        encode(4, 5, &[(1, "\"abc\"")], ""),
        encode(1, 5, &[(2, "W/\"x\""), (9, "text/vcard; version=4.0")], ""),
        encode(1, 4, &[], ""),
        encode(
            3,
            5,
            &[(3, "(<urn:x> [\"e\"]) (Not <urn:y>)"), (6, "text/calendar")],
            EVENT,
        ),
    ]
}

#[test]
fn dav_request_seeds_and_mutations_always_get_a_status() {
    for s in seeds() {
        fuzzing::dav_request(&s);
    }
    let seeds = seeds();
    let mut rng = Rng::new(0x5EED_DA11_1234_5678);
    for _ in 0..3000 {
        let seed = rng.pick(&seeds).clone();
        fuzzing::dav_request(&rng.mutate(&seed));
    }
    for _ in 0..1000 {
        let n = rng.below(200);
        let input: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
        fuzzing::dav_request(&input);
    }
}

#[test]
fn href_decoding_round_trips_on_seeded_inputs() {
    let fixed = [
        "/caldav.php/calendars/alice/default/a%40b.ics",
        "/caldav/calendars/alice/default/",
        "http://host:8443/caldav/x%2Fy",
        "/caldav/%2e%2e/x",
        "/caldav/a/../b",
        "/caldav//a///b/",
        "/caldav/%C3%BC%c3%bc",
        "/caldav/%ff%fe",
        "/caldav/a%00b",
        "/proxy\n/proxy/caldav/a",
        "/caldav/a%2525b",
        "caldav/relative",
        "/CALDAV/x",
        "/caldav.php",
        "/caldav",
        "",
    ];
    for s in fixed {
        fuzzing::href(s.as_bytes());
    }
    let alphabet: &[&str] = &[
        "/",
        "%",
        "2",
        "F",
        "f",
        "e",
        "E",
        "0",
        "a",
        "@",
        ":",
        "+",
        " ",
        ".",
        "..",
        "ü",
        "\n",
        "?",
        "#",
        "caldav",
        "caldav.php",
        "calendars",
        "http://h",
        "%25",
        "%2F",
        "%2e",
        "~",
        "\t",
    ];
    let mut rng = Rng::new(0x0123_4567_89AB_CDEF);
    for _ in 0..20_000 {
        let mut s = String::new();
        if rng.below(2) == 0 {
            s.push_str(["/caldav/", "/caldav.php/", "http://h/caldav/", "/"][rng.below(4)]);
        }
        for _ in 0..rng.below(16) {
            s.push_str(alphabet[rng.below(alphabet.len())]);
        }
        fuzzing::href(s.as_bytes());
    }
}

#[test]
fn dav_request_every_method_on_every_path_as_every_user() {
    for method in 0..15u8 {
        for path in 0..13u8 {
            for user in [0u8, 1, 2] {
                for depth in ["", "0", "1", "infinity"] {
                    let mut input = vec![method, path * 3 + 1];
                    if depth.is_empty() {
                        input.push(0);
                    } else {
                        input.extend_from_slice(&[1, 0, depth.len() as u8]);
                        input.extend_from_slice(depth.as_bytes());
                    }
                    input.push(user);
                    fuzzing::dav_request(&input);
                }
            }
        }
    }
}

/// Found by `scripts/fuzz campaign` (dav_href): under a long forwarded prefix, an href we wrote
/// held more segments than the decoder accepted, so the server would answer with an href it
/// then refused. Forwarded prefixes are bounded and the path bound covers prefix, mount and
/// the deepest resource.
#[test]
fn an_href_written_under_a_long_forwarded_prefix_decodes_again() {
    let forwarded = "caldav/dav/*/9d)adv/dav/*/8d)ada*/8d)adav/*av/*d)aQQQQQQQQQdAQ+)@v/d)a//8d)adav/*ax/*av/*d)aQQQQQQQQQdAQd)@v/d)a///vadav/*av//da//*/*/Ad)da//*/*?8d)aa*/8d)a1av/*av/@v/d)a///v/da//*vdav/*/8)@";
    let path = "caldav/v/dav/*/8d)adav/* av/ av/4v/v/da*d)/v/*/8d)adav/*a)/";
    fuzzing::href(format!("{forwarded}\n{path}").as_bytes());
    // 31 collections and an object: the deepest resource (MAX_DEPTH, 32 segments).
    let deep = format!("/caldav/{}x.ics", "d/".repeat(31));
    fuzzing::href(format!("/a/b/c/d/e/f/g/h\n{deep}").as_bytes());
}
