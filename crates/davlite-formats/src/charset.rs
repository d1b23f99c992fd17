//! Character sets: UTF-8 is the only one CalDAV/CardDAV PUT takes; import may name another one,
//! which is then recorded in the content type while the bytes stay as they are.

use std::borrow::Cow;

use crate::error::{Format, FormatError};
use crate::scan::{Scanner, unfold};

/// The charset of a body, named by whoever imports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Charset {
    #[default]
    Utf8,
    /// ISO-8859-1: every byte is the code point of the same number.
    Latin1,
    /// Windows-1252: Latin-1 with printable characters in 0x80..0x9F (what most "ANSI"
    /// exporters write).
    Windows1252,
}

impl Charset {
    /// Parses a charset label (case-insensitive, the common aliases).
    pub fn from_label(label: &str) -> Option<Charset> {
        match label.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Charset::Utf8),
            "iso-8859-1" | "iso8859-1" | "latin1" | "latin-1" | "l1" => Some(Charset::Latin1),
            "windows-1252" | "cp1252" | "x-cp1252" => Some(Charset::Windows1252),
            _ => None,
        }
    }

    /// The label written into the content type.
    pub fn label(self) -> &'static str {
        match self {
            Charset::Utf8 => "utf-8",
            Charset::Latin1 => "iso-8859-1",
            Charset::Windows1252 => "windows-1252",
        }
    }

    /// Decodes bytes of this charset to text. For UTF-8 the bytes were validated beforehand;
    /// anything left over is replaced rather than trusted.
    pub fn decode(self, b: &[u8]) -> Cow<'_, str> {
        match self {
            Charset::Utf8 => String::from_utf8_lossy(b),
            Charset::Latin1 => b.iter().map(|&c| char::from(c)).collect::<String>().into(),
            Charset::Windows1252 => b.iter().map(|&c| cp1252(c)).collect::<String>().into(),
        }
    }
}

fn cp1252(c: u8) -> char {
    const HIGH: [u16; 32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
        0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ];
    if (0x80..0xA0).contains(&c) {
        char::from_u32(u32::from(HIGH[usize::from(c - 0x80)])).unwrap_or('\u{FFFD}')
    } else {
        char::from(c)
    }
}

/// Refuses the control characters RFC 5545 §3.1 and RFC 6350 §3.3 exclude from content lines
/// (U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+007F; tab and line endings are allowed).
/// Besides being invalid data, such a character cannot be written in XML 1.0 at all, so a
/// calendar-data or address-data answer would have to alter the object: it is refused at the
/// door instead, and what is stored is always served byte for byte.
pub fn check_controls(bytes: &[u8], format: Format) -> Result<(), FormatError> {
    // `b | 4 == 13` is tab or CR (the only two bytes it holds for), so the allowed controls
    // cost two compares where a match of three costs three: about a sixth fewer vector
    // operations per chunk.
    let forbidden = |b: u8| (b < 0x20 && (b | 4) != b'\r' && b != b'\n') || b == 0x7f;
    // A chunk is judged without early exit (the compiler turns that into vector compares; it
    // does so fully only for chunks of a length it knows, hence `chunks_exact` and the rest
    // apart); only a chunk that holds a forbidden byte is searched byte by byte.
    const CHUNK: usize = 64;
    let chunks = bytes.chunks_exact(CHUNK);
    let rest = chunks.remainder();
    let found = chunks
        .map(|chunk| chunk.iter().fold(false, |any, &b| any | forbidden(b)))
        .position(|any| any)
        .map(|i| i * CHUNK..(i + 1) * CHUNK)
        .or_else(|| {
            // The rest after the chunks is judged as the body's last whole chunk (overlapping
            // the one before) when there is one: a vector pass instead of a byte loop.
            let start = bytes.len() - rest.len();
            let any = match bytes.len().checked_sub(CHUNK).map(|at| &bytes[at..]) {
                Some(last) if !rest.is_empty() => <&[u8; CHUNK]>::try_from(last)
                    .is_ok_and(|last| last.iter().fold(false, |any, &b| any | forbidden(b))),
                _ => rest.iter().any(|&b| forbidden(b)),
            };
            any.then_some(start..bytes.len())
        })
        .and_then(|range| {
            let start = range.start;
            bytes[range]
                .iter()
                .position(|&b| forbidden(b))
                .map(|p| start + p)
        });
    let Some(at) = found else {
        return Ok(());
    };
    let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count() as u32;
    Err(FormatError::Syntax {
        format,
        line,
        reason: "a control character (U+0000-U+001F other than tab, or U+007F) in a content line",
    })
}

/// Checks that `bytes` are UTF-8 once folds are removed. The whole body is checked first (fast
/// path, which gives the body as text: `Some`); only when that fails are lines unfolded one by
/// one, because a client may fold inside a multi-byte sequence (RFC 5545 §3.1 allows it) and
/// that is still valid (`None`: valid, but only line by line).
pub fn check_utf8(bytes: &[u8], format: Format) -> Result<Option<&str>, FormatError> {
    let e = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(Some(text)),
        Err(e) => e,
    };
    let raw_offset = e.valid_up_to();
    for line in Scanner::new(bytes) {
        let Ok(line) = line else {
            // A malformed line is reported by the structural pass; judge its bytes as they are.
            break;
        };
        let span = line.span();
        let text = if line.is_folded() {
            unfold(&bytes[span.clone()])
        } else {
            Cow::Borrowed(&bytes[span.clone()])
        };
        if let Err(err) = std::str::from_utf8(&text) {
            let offset = if span.contains(&raw_offset) {
                raw_offset
            } else {
                span.start + err.valid_up_to()
            };
            return Err(FormatError::NotUtf8 {
                format,
                offset,
                line: line.line,
            });
        }
    }
    // Every content line is fine after unfolding; bytes outside content lines (the BOM, blank
    // lines) must be fine as they are.
    let bom = usize::from(bytes.starts_with(b"\xEF\xBB\xBF")) * 3;
    let mut scanned_to = bom;
    for line in Scanner::new(bytes).flatten() {
        if std::str::from_utf8(&bytes[scanned_to..line.span().start]).is_err() {
            return Err(FormatError::NotUtf8 {
                format,
                offset: scanned_to,
                line: line.line,
            });
        }
        scanned_to = line.span().end;
    }
    let tail_ok = std::str::from_utf8(&bytes[scanned_to.min(bytes.len())..]).is_ok();
    if tail_ok {
        Ok(None)
    } else {
        Err(FormatError::NotUtf8 {
            format,
            offset: raw_offset,
            line: line_of(bytes, raw_offset),
        })
    }
}

/// Physical line number (1-based) of a byte offset, counting CRLF, LF and CR endings.
pub fn line_of(bytes: &[u8], offset: usize) -> u32 {
    let mut line = 1u32;
    let mut i = 0;
    let end = offset.min(bytes.len());
    while i < end {
        match bytes[i] {
            b'\r' => {
                line += 1;
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => line += 1,
            _ => {}
        }
        i += 1;
    }
    line
}
