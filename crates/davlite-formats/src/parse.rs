//! The entry points the DAV layer and the importer call: bytes in, a [`ParsedObject`] or a
//! typed refusal out.

use crate::charset::{Charset, check_controls, check_utf8};
use crate::error::{Format, FormatError};
use crate::object::{ObjectInfo, ObjectKind, ParsedObject};
use crate::vcard::{CardInfo, VCardVersion};

/// How strict parsing is. [`ParseOptions::PUT`] is what CalDAV/CardDAV PUT uses; import loosens
/// it explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// The body's charset. Anything but UTF-8 is recorded in the content type
    /// (`charset=windows-1252`) and the bytes are kept as they are.
    pub charset: Charset,
    /// Accept vCard 2.1 (import only: CardDAV PUT answers supported-address-data).
    pub allow_vcard21: bool,
    /// Refuse a vCard without UID (CardDAV PUT); import may turn this off and name the object
    /// itself.
    pub require_uid: bool,
}

impl ParseOptions {
    /// CalDAV/CardDAV PUT: UTF-8, vCard 3.0/4.0, UID required.
    pub const PUT: ParseOptions = ParseOptions {
        charset: Charset::Utf8,
        allow_vcard21: false,
        require_uid: true,
    };

    /// `davlite import`: the given charset, vCard 2.1 accepted, vCards without UID accepted.
    pub fn import(charset: Charset) -> ParseOptions {
        ParseOptions {
            charset,
            allow_vcard21: true,
            require_uid: false,
        }
    }
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions::PUT
    }
}

impl ParsedObject {
    /// Validates an iCalendar body for CalDAV PUT (UTF-8 only) and extracts its index fields.
    /// The bytes are kept exactly as given.
    ///
    /// ```
    /// let body = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:a\r\n\
    /// DTSTAMP:20240101T000000Z\r\nDTSTART:20240101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    /// let obj = davlite_formats::ParsedObject::calendar(body.to_vec()).unwrap();
    /// assert_eq!(obj.info().uid.as_deref(), Some("a"));
    /// assert_eq!(obj.content_type(), "text/calendar; charset=utf-8; component=vevent");
    /// ```
    pub fn calendar(bytes: Vec<u8>) -> Result<ParsedObject, FormatError> {
        ParsedObject::calendar_with(bytes, &ParseOptions::PUT)
    }

    /// [`ParsedObject::calendar`] with explicit options (import of non-UTF-8 files).
    pub fn calendar_with(bytes: Vec<u8>, opts: &ParseOptions) -> Result<ParsedObject, FormatError> {
        // The body as text: as it is when it is UTF-8 as a whole (one check serves validation and
        // the tree), decoded when it is in another charset (every one davlite reads keeps CR, LF
        // and the ASCII syntax where they are, so line numbers stay true). The stored bytes are
        // the ones given either way.
        let decoded: String;
        let (source, text): (&[u8], Option<&str>) = if opts.charset == Charset::Utf8 {
            (&bytes, check_utf8(&bytes, Format::Calendar)?)
        } else {
            decoded = opts.charset.decode(&bytes).into_owned();
            (decoded.as_bytes(), Some(&decoded))
        };
        // One lexer pass validates and builds the component tree extraction reads.
        let (cal, tree) = crate::ical::parse(source, text)?;
        check_controls(&bytes, Format::Calendar)?;
        let info = crate::extract::calendar_info(cal, tree);
        let component = match info.kind {
            ObjectKind::Todo => "vtodo",
            ObjectKind::Journal => "vjournal",
            ObjectKind::FreeBusy => "vfreebusy",
            _ => "vevent",
        };
        let charset = opts.charset.label();
        let mut content_type = String::with_capacity(48);
        for part in [
            "text/calendar; charset=",
            charset,
            "; component=",
            component,
        ] {
            content_type.push_str(part);
        }
        Ok(ParsedObject::from_parts(bytes, content_type, info))
    }

    /// Validates a vCard body for CardDAV PUT: UTF-8, version 3.0 or 4.0, exactly one card
    /// with VERSION, FN and UID. A card without UID is refused with valid-address-data
    /// ([`FormatError::MissingUid`]); the server does not invent one.
    pub fn vcard(bytes: Vec<u8>) -> Result<ParsedObject, FormatError> {
        ParsedObject::vcard_with(bytes, &ParseOptions::PUT)
    }

    /// [`ParsedObject::vcard`] with explicit options (import: charsets, 2.1, no UID).
    pub fn vcard_with(bytes: Vec<u8>, opts: &ParseOptions) -> Result<ParsedObject, FormatError> {
        if opts.charset == Charset::Utf8 {
            check_utf8(&bytes, Format::Card)?;
        }
        let card = crate::vcard::parse(&bytes, opts.charset, opts.allow_vcard21, opts.require_uid)?;
        check_controls(&bytes, Format::Card)?;
        let info = ObjectInfo {
            uid: card.uid,
            kind: ObjectKind::Card,
            ..ObjectInfo::default()
        };
        let content_type = format!("text/vcard; charset={}", opts.charset.label());
        Ok(ParsedObject::from_parts(bytes, content_type, info))
    }

    /// Version, UID and FN of a stored vCard (for listings and conversions); `None` when the
    /// object is not a card or no longer parses.
    pub fn card_info(&self) -> Option<CardInfo> {
        if self.info().kind != ObjectKind::Card {
            return None;
        }
        let cs = self
            .content_type()
            .split(';')
            .find_map(|p| p.trim().strip_prefix("charset="))
            .and_then(Charset::from_label)
            .unwrap_or_default();
        crate::vcard::parse(self.bytes(), cs, true, false).ok()
    }
}

/// Version, UID and FN of a vCard body without building a [`ParsedObject`].
pub fn card_summary(bytes: &[u8], opts: &ParseOptions) -> Result<CardInfo, FormatError> {
    if opts.charset == Charset::Utf8 {
        check_utf8(bytes, Format::Card)?;
    }
    crate::vcard::parse(bytes, opts.charset, opts.allow_vcard21, opts.require_uid)
}

impl VCardVersion {
    /// Whether CardDAV PUT takes this version.
    pub fn is_carddav(self) -> bool {
        !matches!(self, VCardVersion::V21)
    }
}
