//! vCard validation (RFC 6350 for 4.0, RFC 2426 for 3.0; 2.1 for import only).
//!
//! A body must be exactly one `BEGIN:VCARD` ... `END:VCARD` with one VERSION. FN is required for
//! 3.0 and 4.0. UID is required on CardDAV PUT (PRECONDITIONS.md: valid-address-data); the
//! server never invents one, because that would change the bytes the client sent and the
//! client would never learn the UID. Import may switch the requirement off
//! ([`crate::ParseOptions::require_uid`]) and then names the object itself.
//!
//! vCard 2.1 is refused on PUT as supported-address-data (CardDAV clients speak 3.0 or 4.0);
//! import accepts it, including quoted-printable values with soft line breaks and nested AGENT
//! cards.

use crate::charset::Charset;
use crate::error::{Format, FormatError};
use crate::scan::{ContentLine, Scanner, decode_quoted_printable};

/// Nested cards (vCard 2.1 AGENT) deeper than this are refused.
pub const MAX_DEPTH: usize = 4;

/// The vCard version a card declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VCardVersion {
    V21,
    V30,
    V40,
}

impl VCardVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            VCardVersion::V21 => "2.1",
            VCardVersion::V30 => "3.0",
            VCardVersion::V40 => "4.0",
        }
    }
}

/// What a card says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardInfo {
    pub version: VCardVersion,
    /// UID as written (unfolded; a 4.0 `urn:uuid:` URI stays a URI).
    pub uid: Option<String>,
    /// FN, unfolded, unescaped and (2.1) quoted-printable decoded; the first one when a 4.0
    /// card has several.
    pub full_name: Option<String>,
}

fn structure(line: u32, reason: impl Into<String>) -> FormatError {
    FormatError::Structure {
        format: Format::Card,
        line,
        reason: reason.into(),
    }
}

fn property(line: u32, reason: impl Into<String>) -> FormatError {
    FormatError::Property {
        format: Format::Card,
        line,
        reason: reason.into(),
    }
}

/// A value as text: quoted-printable decoded when the line says so, then escapes undone.
fn text_value(line: &ContentLine<'_>, cs: Charset, unescape: bool) -> String {
    let raw = line.value();
    let qp = line
        .param(b"ENCODING")
        .is_some_and(|e| e.eq_ignore_ascii_case(b"QUOTED-PRINTABLE"))
        || line.has_param(b"QUOTED-PRINTABLE");
    let decoded = if qp {
        decode_quoted_printable(&raw).into()
    } else {
        raw
    };
    let cs = line
        .param(b"CHARSET")
        .and_then(|c| Charset::from_label(&String::from_utf8_lossy(&c)))
        .unwrap_or(cs);
    let bytes = if unescape {
        crate::scan::unescape_text(&decoded).into_owned()
    } else {
        decoded.into_owned()
    };
    cs.decode(&bytes).into_owned()
}

/// Validates one vCard. `allow_v21` and `require_uid` come from [`crate::ParseOptions`].
pub(crate) fn parse(
    bytes: &[u8],
    cs: Charset,
    allow_v21: bool,
    require_uid: bool,
) -> Result<CardInfo, FormatError> {
    let mut depth = 0usize;
    let mut open_line = 0u32;
    let mut closed = false;
    let mut version: Option<(VCardVersion, u32)> = None;
    let mut uid: Option<String> = None;
    let mut full_name: Option<String> = None;
    // Parameters without '=': vCard 2.1 writes them (`TEL;HOME:`), and VERSION may come after
    // them there, so they are judged at the end. Apple's Address Book writes `PHOTO;BASE64:` in
    // 3.0 cards (its spelling of ENCODING=b), which stays accepted there.
    let mut bare: Option<(u32, String)> = None;
    let mut bare_base64: Option<(u32, String)> = None;
    for line in Scanner::new(bytes) {
        let line = line.map_err(|e| FormatError::Syntax {
            format: Format::Card,
            line: e.line,
            reason: e.reason,
        })?;
        let n = line.line;
        let is_card = || line.value().trim_ascii().eq_ignore_ascii_case(b"VCARD");
        if closed {
            return Err(if line.is(b"BEGIN") && is_card() {
                structure(n, "a second vCard: a contact resource holds exactly one")
            } else {
                structure(n, "content after END:VCARD")
            });
        }
        if line.is(b"BEGIN") {
            if depth == 0 && line.value().trim_ascii().eq_ignore_ascii_case(b"VCALENDAR") {
                return Err(FormatError::WrongFormat {
                    expected: Format::Card,
                    line: n,
                });
            }
            if !is_card() {
                return Err(structure(
                    n,
                    format!(
                        "BEGIN:{} in a vCard",
                        String::from_utf8_lossy(&line.value())
                    ),
                ));
            }
            if depth == 0 {
                open_line = n;
            }
            depth += 1;
            if depth > MAX_DEPTH {
                return Err(structure(
                    n,
                    format!("vCards nested deeper than {MAX_DEPTH}"),
                ));
            }
            continue;
        }
        if depth == 0 {
            return Err(structure(n, "body does not start with BEGIN:VCARD"));
        }
        if line.is(b"END") {
            if !is_card() {
                return Err(structure(
                    n,
                    format!("END:{} in a vCard", String::from_utf8_lossy(&line.value())),
                ));
            }
            depth -= 1;
            closed = depth == 0;
            continue;
        }
        if depth > 1 {
            continue;
        }
        if line.has_bare_param() {
            let params = line.params_text();
            for r in crate::scan::bare_params(&params) {
                let slot = if params[r].eq_ignore_ascii_case(b"BASE64") {
                    &mut bare_base64
                } else {
                    &mut bare
                };
                slot.get_or_insert_with(|| (n, String::from_utf8_lossy(&line.name()).into_owned()));
            }
        }
        if line.is(b"VERSION") {
            if version.is_some() {
                return Err(property(n, "VERSION appears twice"));
            }
            let v = line.value();
            let parsed = match v.trim_ascii() {
                b"4.0" => VCardVersion::V40,
                b"3.0" => VCardVersion::V30,
                b"2.1" if allow_v21 => VCardVersion::V21,
                other => {
                    return Err(FormatError::UnsupportedVersion {
                        format: Format::Card,
                        version: String::from_utf8_lossy(other).into_owned(),
                        line: n,
                    });
                }
            };
            version = Some((parsed, n));
        } else if line.is(b"UID") {
            if uid.is_some() {
                return Err(property(n, "UID appears twice"));
            }
            let v = text_value(&line, cs, false);
            if v.trim().is_empty() {
                return Err(FormatError::MissingUid {
                    format: Format::Card,
                    line: n,
                });
            }
            uid = Some(v);
        } else if line.is(b"FN") && full_name.is_none() {
            full_name = Some(text_value(&line, cs, true));
        }
    }
    if depth > 0 {
        return Err(structure(
            open_line,
            "BEGIN:VCARD is never closed (truncated body?)",
        ));
    }
    if !closed {
        return Err(FormatError::Empty {
            format: Format::Card,
        });
    }
    let Some((version, _)) = version else {
        return Err(property(open_line, "vCard has no VERSION"));
    };
    if version != VCardVersion::V21 && full_name.is_none() {
        return Err(property(open_line, "vCard has no FN"));
    }
    let refused = match version {
        VCardVersion::V21 => None,
        VCardVersion::V30 => bare,
        _ => bare.or(bare_base64),
    };
    if let Some((line, name)) = refused {
        return Err(property(
            line,
            format!("a parameter of {name} has no '=' (RFC 6350 §3.3)"),
        ));
    }
    if require_uid && uid.is_none() {
        return Err(FormatError::MissingUid {
            format: Format::Card,
            line: open_line,
        });
    }
    Ok(CardInfo {
        version,
        uid,
        full_name,
    })
}
