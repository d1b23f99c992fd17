//! vCard 3.0 (RFC 2426) <-> 4.0 (RFC 6350) conversion, so a card DAVx5 wrote in 4.0 reaches
//! Apple Contacts in 3.0 and comes back without losing what both versions can carry. The stored
//! bytes never change: a conversion is a view made when a client asks for the other version
//! (GET with `Accept: text/vcard; version=...`, `address-data version="..."`).
//!
//! What changes, line by line (groups, unknown and `X-` properties pass through):
//!
//! | 3.0 | 4.0 |
//! |---|---|
//! | `TYPE=PREF` (in a TYPE list) | `PREF=1` |
//! | `PHOTO;ENCODING=b;TYPE=JPEG:<base64>` (also LOGO, SOUND, KEY) | `PHOTO:data:image/jpeg;base64,<base64>` |
//! | `PHOTO;VALUE=uri:<uri>` | `PHOTO:<uri>` |
//! | `X-ADDRESSBOOKSERVER-KIND:group`, `X-ADDRESSBOOKSERVER-MEMBER` (Apple groups) | `KIND:group`, `MEMBER` |
//! | `X-GENDER`, `X-ANNIVERSARY` | `GENDER`, `ANNIVERSARY` |
//! | `CHARSET=` parameter, `NAME`, `PROFILE`, `MAILER`, `CLASS`, `SORT-STRING` (no 4.0 form) | dropped |
//!
//! and the reverse; 4.0's `PID`, `ALTID`, `CALSCALE`, `SORT-AS` and `LABEL` parameters and its
//! `CLIENTPIDMAP` and `XML` properties have no 3.0 form and are dropped; `TEL;VALUE=uri:tel:...`
//! becomes a 3.0 phone number. Lines are folded at 75 octets with CRLF.

use std::borrow::Cow;

use crate::scan::Scanner;
use crate::vcard::VCardVersion;

/// Why a card cannot be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertError(pub String);

impl std::fmt::Display for ConvertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "vCard conversion: {}", self.0)
    }
}

impl std::error::Error for ConvertError {}

/// The version a stored card declares (3.0 or 4.0), or `None`.
pub fn card_version(bytes: &[u8]) -> Option<VCardVersion> {
    Scanner::new(bytes)
        .map_while(Result::ok)
        .find(|l| l.is(b"VERSION"))
        .and_then(|l| match l.value().trim_ascii() {
            b"3.0" => Some(VCardVersion::V30),
            b"4.0" => Some(VCardVersion::V40),
            b"2.1" => Some(VCardVersion::V21),
            _ => None,
        })
}

/// `bytes` as a card of version `to`: the stored bytes themselves when they are that version
/// already, else a converted copy.
pub fn convert_vcard(bytes: &[u8], to: VCardVersion) -> Result<Cow<'_, [u8]>, ConvertError> {
    let from = card_version(bytes).ok_or_else(|| ConvertError("no VERSION".into()))?;
    if from == to {
        return Ok(Cow::Borrowed(bytes));
    }
    if !matches!(
        (from, to),
        (VCardVersion::V30, VCardVersion::V40) | (VCardVersion::V40, VCardVersion::V30)
    ) {
        return Err(ConvertError(format!(
            "from {} to {} is not supported",
            from.as_str(),
            to.as_str()
        )));
    }
    let up = to == VCardVersion::V40;
    let mut out = Vec::with_capacity(bytes.len() + 64);
    for line in Scanner::new(bytes) {
        let line = line.map_err(|e| ConvertError(format!("line {}: {}", e.line, e.reason)))?;
        let name = String::from_utf8_lossy(&line.name()).to_ascii_uppercase();
        let group = line
            .group()
            .map(|g| String::from_utf8_lossy(&g).into_owned());
        let mut params: Vec<(String, Vec<String>)> = line
            .params()
            .map(|p| {
                let values = p
                    .values()
                    .into_iter()
                    .map(|v| String::from_utf8_lossy(&v).into_owned())
                    .collect();
                (
                    String::from_utf8_lossy(&p.name).to_ascii_uppercase(),
                    values,
                )
            })
            .collect();
        let mut value = String::from_utf8_lossy(&line.value()).into_owned();
        let name = if up {
            match to_v4(&name, &mut params, &mut value) {
                Some(n) => n,
                None => continue,
            }
        } else {
            match to_v3(&name, &mut params, &mut value) {
                Some(n) => n,
                None => continue,
            }
        };
        let mut text = String::new();
        if let Some(g) = group {
            text.push_str(&g);
            text.push('.');
        }
        text.push_str(&name);
        for (k, vs) in &params {
            text.push(';');
            text.push_str(k);
            if !vs.is_empty() {
                text.push('=');
                let joined: Vec<Cow<'_, str>> = vs.iter().map(|v| quote(v)).collect();
                text.push_str(&joined.join(","));
            }
        }
        text.push(':');
        text.push_str(&value);
        fold_into(&mut out, &text);
    }
    Ok(Cow::Owned(out))
}

fn quote(v: &str) -> Cow<'_, str> {
    if v.contains([':', ';', ',']) {
        Cow::Owned(format!("\"{}\"", v.replace('"', "'")))
    } else {
        Cow::Borrowed(v)
    }
}

/// Writes one logical line folded at 75 octets (RFC 6350 §3.2), never inside a UTF-8 sequence.
fn fold_into(out: &mut Vec<u8>, line: &str) {
    let mut width = 0;
    for ch in line.chars() {
        let n = ch.len_utf8();
        if width + n > 75 {
            out.extend_from_slice(b"\r\n ");
            width = 1;
        }
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        width += n;
    }
    out.extend_from_slice(b"\r\n");
}

fn take_param(params: &mut Vec<(String, Vec<String>)>, name: &str) -> Option<Vec<String>> {
    let at = params.iter().position(|(k, _)| k == name)?;
    Some(params.remove(at).1)
}

const BINARY: [&str; 4] = ["PHOTO", "LOGO", "SOUND", "KEY"];

fn media_type(prop: &str, ty: &str) -> String {
    let ty = ty.to_ascii_lowercase();
    if ty.contains('/') {
        return ty;
    }
    let top = match prop {
        "SOUND" => "audio",
        "KEY" => "application",
        _ => "image",
    };
    format!("{top}/{ty}")
}

/// One 3.0 line as 4.0; `None` drops it.
fn to_v4(
    name: &str,
    params: &mut Vec<(String, Vec<String>)>,
    value: &mut String,
) -> Option<String> {
    take_param(params, "CHARSET");
    match name {
        "VERSION" => {
            *value = "4.0".into();
            return Some(name.into());
        }
        "NAME" | "PROFILE" | "MAILER" | "CLASS" | "SORT-STRING" => return None,
        "X-ADDRESSBOOKSERVER-KIND" => return Some("KIND".into()),
        "X-ADDRESSBOOKSERVER-MEMBER" => return Some("MEMBER".into()),
        "X-GENDER" => return Some("GENDER".into()),
        "X-ANNIVERSARY" => return Some("ANNIVERSARY".into()),
        _ => {}
    }
    if let Some(types) = params.iter_mut().find(|(k, _)| k == "TYPE") {
        let before = types.1.len();
        types.1.retain(|t| !t.eq_ignore_ascii_case("PREF"));
        if types.1.len() != before {
            if types.1.is_empty() {
                take_param(params, "TYPE");
            }
            params.push(("PREF".into(), vec!["1".into()]));
        }
    }
    if BINARY.contains(&name) {
        let encoding = take_param(params, "ENCODING");
        let is_uri = take_param(params, "VALUE")
            .is_some_and(|v| v.iter().any(|x| x.eq_ignore_ascii_case("uri")));
        if encoding.is_some_and(|e| e.iter().any(|x| x.eq_ignore_ascii_case("b"))) && !is_uri {
            let ty = take_param(params, "TYPE")
                .and_then(|t| t.into_iter().next())
                .unwrap_or_else(|| "octet-stream".into());
            let mime = if ty == "octet-stream" {
                "application/octet-stream".to_string()
            } else {
                media_type(name, &ty)
            };
            *value = format!("data:{mime};base64,{value}");
        }
    }
    Some(name.into())
}

/// One 4.0 line as 3.0; `None` drops it.
fn to_v3(
    name: &str,
    params: &mut Vec<(String, Vec<String>)>,
    value: &mut String,
) -> Option<String> {
    for p in [
        "PID", "ALTID", "CALSCALE", "SORT-AS", "LABEL", "GEO", "TZ", "CC", "INDEX", "LEVEL",
    ] {
        take_param(params, p);
    }
    match name {
        "VERSION" => {
            *value = "3.0".into();
            return Some(name.into());
        }
        "CLIENTPIDMAP" | "XML" => return None,
        "KIND" if value.eq_ignore_ascii_case("individual") => return None,
        "KIND" => return Some("X-ADDRESSBOOKSERVER-KIND".into()),
        "MEMBER" => return Some("X-ADDRESSBOOKSERVER-MEMBER".into()),
        "GENDER" => return Some("X-GENDER".into()),
        "ANNIVERSARY" => return Some("X-ANNIVERSARY".into()),
        _ => {}
    }
    if let Some(pref) = take_param(params, "PREF")
        && pref.first().is_some_and(|p| p.trim() == "1")
    {
        match params.iter_mut().find(|(k, _)| k == "TYPE") {
            Some((_, types)) => types.push("PREF".into()),
            None => params.push(("TYPE".into(), vec!["PREF".into()])),
        }
    }
    let value_param = take_param(params, "VALUE");
    let is_uri = value_param
        .as_ref()
        .is_some_and(|v| v.iter().any(|x| x.eq_ignore_ascii_case("uri")));
    if name == "TEL" {
        if let Some(number) = value.strip_prefix("tel:") {
            *value = number.to_string();
        } else if is_uri {
            params.push(("VALUE".into(), vec!["uri".into()]));
        }
        return Some(name.into());
    }
    if BINARY.contains(&name) {
        if let Some(rest) = value.strip_prefix("data:") {
            if let Some((meta, data)) = rest.split_once(',') {
                let mime = meta.trim_end_matches(";base64");
                let sub = mime.rsplit('/').next().unwrap_or(mime).to_ascii_uppercase();
                take_param(params, "MEDIATYPE");
                params.push(("ENCODING".into(), vec!["b".into()]));
                params.push(("TYPE".into(), vec![sub]));
                *value = data.to_string();
            }
        } else {
            take_param(params, "MEDIATYPE");
            params.push(("VALUE".into(), vec!["uri".into()]));
        }
        return Some(name.into());
    }
    if let Some(v) = value_param
        && !v.iter().all(|x| x.eq_ignore_ascii_case("text"))
    {
        params.push(("VALUE".into(), v));
    }
    Some(name.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(b: Cow<'_, [u8]>) -> String {
        String::from_utf8(b.into_owned()).unwrap()
    }

    const V4: &str = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1\r\nFN:Jane Doe\r\nN:Doe;Jane;;;\r\nKIND:individual\r\nTEL;VALUE=uri;TYPE=cell;PREF=1:tel:+1-555-555-0100\r\nEMAIL;TYPE=work:jane@example.com\r\nitem1.ADR;TYPE=home;LABEL=\"1 Main St\":;;1 Main St;Springfield;;12345;USA\r\nPHOTO:data:image/png;base64,iVBORw0KGgo=\r\nGENDER:F\r\nANNIVERSARY:20090808\r\nCLIENTPIDMAP:1;urn:uuid:x\r\nX-SOCIAL:foo\r\nEND:VCARD\r\n";

    #[test]
    fn four_to_three_keeps_what_three_can_carry() {
        let out = s(convert_vcard(V4.as_bytes(), VCardVersion::V30).unwrap());
        assert!(out.contains("VERSION:3.0\r\n"), "{out}");
        assert!(
            out.contains("TEL;TYPE=cell,PREF:+1-555-555-0100\r\n"),
            "{out}"
        );
        assert!(
            out.contains("EMAIL;TYPE=work:jane@example.com\r\n"),
            "{out}"
        );
        assert!(
            out.contains("item1.ADR;TYPE=home:;;1 Main St;Springfield;;12345;USA\r\n"),
            "{out}"
        );
        assert!(
            out.contains("PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgo=\r\n"),
            "{out}"
        );
        assert!(out.contains("X-GENDER:F\r\n") && out.contains("X-ANNIVERSARY:20090808\r\n"));
        assert!(out.contains("X-SOCIAL:foo\r\n"));
        assert!(
            !out.contains("KIND") && !out.contains("CLIENTPIDMAP"),
            "{out}"
        );
        crate::ParsedObject::vcard(out.into_bytes()).expect("a valid 3.0 card");
    }

    #[test]
    fn three_to_four_and_back_is_stable() {
        let v3 = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:abc\r\nFN:Bob\r\nN:B;Bob;;;\r\nTEL;TYPE=HOME,VOICE,PREF:+1 555\r\nPHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ\r\nX-ADDRESSBOOKSERVER-KIND:group\r\nX-ADDRESSBOOKSERVER-MEMBER:urn:uuid:m1\r\nCLASS:PUBLIC\r\nEND:VCARD\r\n";
        let four = s(convert_vcard(v3.as_bytes(), VCardVersion::V40).unwrap());
        assert!(four.contains("VERSION:4.0\r\n"), "{four}");
        assert!(
            four.contains("TEL;TYPE=HOME,VOICE;PREF=1:+1 555\r\n"),
            "{four}"
        );
        assert!(
            four.contains("PHOTO:data:image/jpeg;base64,/9j/4AAQ\r\n"),
            "{four}"
        );
        assert!(
            four.contains("KIND:group\r\nMEMBER:urn:uuid:m1\r\n"),
            "{four}"
        );
        assert!(!four.contains("CLASS"));
        crate::ParsedObject::vcard(four.clone().into_bytes()).expect("a valid 4.0 card");
        let back = s(convert_vcard(four.as_bytes(), VCardVersion::V30).unwrap());
        assert!(
            back.contains("TEL;TYPE=HOME,VOICE,PREF:+1 555\r\n"),
            "{back}"
        );
        assert!(
            back.contains("PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ\r\n"),
            "{back}"
        );
        assert!(
            back.contains("X-ADDRESSBOOKSERVER-KIND:group\r\n"),
            "{back}"
        );
        let again = s(convert_vcard(back.as_bytes(), VCardVersion::V40).unwrap());
        assert_eq!(again, four, "a second round trip changes nothing");
    }

    #[test]
    fn same_version_is_the_stored_bytes_and_long_lines_fold() {
        assert!(matches!(
            convert_vcard(V4.as_bytes(), VCardVersion::V40).unwrap(),
            Cow::Borrowed(_)
        ));
        let long = format!(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u\r\nFN:{}\r\nEND:VCARD\r\n",
            "é".repeat(100)
        );
        let out = s(convert_vcard(long.as_bytes(), VCardVersion::V40).unwrap());
        assert!(out.lines().all(|l| l.len() <= 75), "{out}");
        let card = crate::ParsedObject::vcard(out.into_bytes()).unwrap();
        assert_eq!(
            card.card_info().unwrap().full_name.unwrap(),
            "é".repeat(100)
        );
        assert!(convert_vcard(b"BEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n", VCardVersion::V30).is_err());
    }
}
