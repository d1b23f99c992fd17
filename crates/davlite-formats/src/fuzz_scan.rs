//! Bodies of the `ical_scan` and `vcard_scan` fuzz targets, kept in the crate so ordinary
//! `cargo test` runs them too (tests/fuzz_seeded.rs) and the targets stay three-line shims.
//!
//! Besides "no panic", each checks what must hold for every input: scanned ranges lie inside
//! the body and follow each other, accepted bytes come back unchanged, every refusal names a
//! line inside the body, and split pieces can be fed back in.

use crate::charset::Charset;
use crate::parse::ParseOptions;
use crate::scan::Scanner;
use crate::{FormatError, ParsedObject};

fn check_scanner(data: &[u8]) {
    let mut last_end = 0;
    let mut last_line = 0;
    for line in Scanner::new(data) {
        let Ok(line) = line else { break };
        assert!(line.span().start >= last_end && line.span().end <= data.len());
        assert!(
            line.name_range().start >= line.span().start
                && line.value_range().end == line.span().end
        );
        assert!(
            line.name_range().end <= line.params_range().start
                && line.params_range().end < line.value_range().start
        );
        assert!(line.line > last_line);
        let _ = (
            line.value(),
            line.name(),
            line.params().count(),
            line.group(),
        );
        last_end = line.span().end;
        last_line = line.line;
    }
}

fn check_refusal(data: &[u8], err: &FormatError) {
    let _ = (err.to_string(), err.precondition().element());
    if let Some(line) = err.line() {
        let physical = crate::charset::line_of(data, data.len()) + 1;
        assert!(
            line >= 1 && line <= physical,
            "line {line} outside the body ({physical} lines)"
        );
    }
}

/// Scans, validates and splits arbitrary bytes as iCalendar.
pub fn ical_scan(data: &[u8]) {
    check_scanner(data);
    for opts in [ParseOptions::PUT, ParseOptions::import(Charset::Latin1)] {
        match ParsedObject::calendar_with(data.to_vec(), &opts) {
            Ok(obj) => {
                assert_eq!(obj.bytes(), data);
                if let Some(span) = obj.info().span {
                    assert!(span.start < span.end, "empty span {span:?}");
                }
            }
            Err(e) => check_refusal(data, &e),
        }
    }
    if let Ok(pieces) = crate::split_calendar(data) {
        for piece in pieces.into_iter().flatten() {
            let _ = ParsedObject::calendar_with(piece, &ParseOptions::import(Charset::Latin1));
        }
    }
}

/// Scans, validates and splits arbitrary bytes as vCard.
pub fn vcard_scan(data: &[u8]) {
    check_scanner(data);
    for opts in [
        ParseOptions::PUT,
        ParseOptions::import(Charset::Windows1252),
    ] {
        match ParsedObject::vcard_with(data.to_vec(), &opts) {
            Ok(obj) => {
                assert_eq!(obj.bytes(), data);
                assert!(obj.card_info().is_some());
            }
            Err(e) => check_refusal(data, &e),
        }
    }
    if let Ok(pieces) = crate::split_vcards(data) {
        for piece in pieces.into_iter().flatten() {
            let _ = ParsedObject::vcard_with(piece, &ParseOptions::import(Charset::Utf8));
        }
    }
}
