//! Media types of request bodies: what a calendar or an address book accepts.

/// The parsed essentials of a `Content-Type` header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    /// `type/subtype`, lower-cased.
    pub essence: String,
    /// `charset` parameter, lower-cased, unquoted.
    pub charset: Option<String>,
    /// `version` parameter (vCard), unquoted.
    pub version: Option<String>,
}

pub fn parse(value: &str) -> MediaType {
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let mut charset = None;
    let mut version = None;
    for p in parts {
        let Some((k, v)) = p.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"').to_string();
        match k.trim().to_ascii_lowercase().as_str() {
            "charset" => charset = Some(v.to_ascii_lowercase()),
            "version" => version = Some(v),
            _ => {}
        }
    }
    MediaType {
        essence,
        charset,
        version,
    }
}

fn utf8_charset(m: &MediaType) -> bool {
    matches!(
        m.charset.as_deref(),
        None | Some("utf-8") | Some("utf8") | Some("us-ascii")
    )
}

/// Whether a calendar accepts a body of this media type (RFC 4791 §5.3.2: text/calendar, and we
/// store only UTF-8).
pub fn calendar_ok(m: &MediaType) -> bool {
    m.essence == "text/calendar" && utf8_charset(m)
}

/// Whether an address book accepts a body of this media type (RFC 6352 §5.1; `text/x-vcard` is
/// what older clients send).
pub fn vcard_ok(m: &MediaType) -> bool {
    (m.essence == "text/vcard" || m.essence == "text/x-vcard")
        && utf8_charset(m)
        && matches!(m.version.as_deref(), None | Some("3.0") | Some("4.0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_and_cased_parameters() {
        assert!(calendar_ok(&parse("text/calendar; charset=\"utf-8\"")));
        assert!(calendar_ok(&parse(
            "Text/Calendar;charset=UTF-8; component=VEVENT"
        )));
        assert!(calendar_ok(&parse("text/calendar")));
        assert!(!calendar_ok(&parse("text/calendar; charset=iso-8859-1")));
        assert!(!calendar_ok(&parse("application/octet-stream")));
        assert!(vcard_ok(&parse("text/vcard; version=4.0")));
        assert!(vcard_ok(&parse("text/x-vcard; charset=utf-8")));
        assert!(!vcard_ok(&parse("text/x-vlist")));
        assert!(!vcard_ok(&parse("text/vcard; version=2.1")));
    }
}
