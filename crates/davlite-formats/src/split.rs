//! Splitting files that hold many objects (`davlite import`): an .ics export into one calendar
//! object per UID, a .vcf into one card each.
//!
//! Splitting works on physical lines and is forgiving: a broken entry becomes an `Err` in its
//! place and the rest still come out, so the importer can report and skip it. Each piece is then
//! validated by [`crate::ParsedObject::calendar_with`] / [`crate::ParsedObject::vcard_with`]
//! like any PUT. Components and cards are copied byte for byte; a calendar piece gets the
//! original `BEGIN:VCALENDAR` line, the calendar's properties except METHOD (which RFC 4791 §4.1
//! forbids in stored objects), the VTIMEZONEs its components name, and `END:VCALENDAR`.

use std::collections::HashMap;
use std::ops::Range;

use crate::error::{Format, FormatError};
use crate::scan::Scanner;

/// Length of the line ending at `i` (2 for CRLF, 1 for LF or CR, 0 for none).
pub(crate) fn eol_at(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'\r') if b.get(i + 1) == Some(&b'\n') => 2,
        Some(b'\r' | b'\n') => 1,
        _ => 0,
    }
}

/// Physical lines as (start, end of content, end including the line ending).
fn physical_lines(b: &[u8]) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let mut pos = usize::from(b.starts_with(b"\xEF\xBB\xBF")) * 3;
    std::iter::from_fn(move || {
        if pos >= b.len() {
            return None;
        }
        let start = pos;
        let end = memchr::memchr2(b'\r', b'\n', &b[pos..]).map_or(b.len(), |k| pos + k);
        pos = end + eol_at(b, end);
        Some((start, end, pos))
    })
}

fn keyword<'b>(line: &'b [u8], key: &[u8]) -> Option<&'b [u8]> {
    (line.len() > key.len() && line[..key.len()].eq_ignore_ascii_case(key))
        .then(|| line[key.len()..].trim_ascii())
}

fn is(line: &[u8], key: &[u8], name: &[u8]) -> bool {
    keyword(line, key).is_some_and(|v| v.eq_ignore_ascii_case(name))
}

/// The bytes of `r`, with a line ending appended if the source ends without one.
fn piece(b: &[u8], r: Range<usize>, eol: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&b[r.clone()]);
    if r.end == r.start || eol_at(b, r.end - 1) == 0 && !matches!(b[r.end - 1], b'\n') {
        out.extend_from_slice(eol);
    }
}

fn first_eol(b: &[u8]) -> &'static [u8] {
    match memchr::memchr2(b'\r', b'\n', b) {
        Some(i) if b[i] == b'\n' => b"\n",
        Some(i) if b.get(i + 1) == Some(&b'\n') => b"\r\n",
        Some(_) => b"\r",
        None => b"\r\n",
    }
}

/// Splits a .vcf into its cards. `Err` only when the file holds no card at all.
pub fn split_vcards(bytes: &[u8]) -> Result<Vec<Result<Vec<u8>, FormatError>>, FormatError> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut start_line = 0u32;
    let mut stray = false;
    for (no, (s, e, next)) in physical_lines(bytes).enumerate() {
        let no = no as u32 + 1;
        let line = &bytes[s..e];
        if is(line, b"BEGIN:", b"VCARD") {
            if depth == 0 {
                start = s;
                start_line = no;
            }
            depth += 1;
            stray = false;
        } else if is(line, b"END:", b"VCARD") {
            if depth == 0 {
                out.push(Err(structure(
                    Format::Card,
                    no,
                    "END:VCARD without BEGIN:VCARD",
                )));
                continue;
            }
            depth -= 1;
            if depth == 0 {
                out.push(Ok(bytes[start..next].to_vec()));
            }
        } else if depth == 0 && !line.trim_ascii().is_empty() && !stray {
            stray = true;
            out.push(Err(structure(
                Format::Card,
                no,
                "content outside BEGIN:VCARD/END:VCARD",
            )));
        }
    }
    if depth > 0 {
        out.push(Err(structure(
            Format::Card,
            start_line,
            "BEGIN:VCARD is never closed (truncated file?)",
        )));
    }
    if out.is_empty() {
        return Err(FormatError::Empty {
            format: Format::Card,
        });
    }
    Ok(out)
}

fn structure(format: Format, line: u32, reason: &str) -> FormatError {
    FormatError::Structure {
        format,
        line,
        reason: reason.into(),
    }
}

struct Entry {
    header: Vec<u8>,
    zones: Vec<String>,
    body: Vec<u8>,
}

/// Splits an .ics with many components into one calendar object per UID, each with the
/// VTIMEZONEs it refers to. `Err` only when the file holds no VCALENDAR at all.
pub fn split_calendar(bytes: &[u8]) -> Result<Vec<Result<Vec<u8>, FormatError>>, FormatError> {
    let eol = first_eol(bytes);
    let mut results: Vec<Result<usize, FormatError>> = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut by_uid: HashMap<String, usize> = HashMap::new();
    let mut timezones: HashMap<String, Range<usize>> = HashMap::new();
    let mut depth = 0usize;
    let mut header: Vec<u8> = Vec::new();
    let mut comp_start = 0;
    let mut comp_line = 0u32;
    let mut comp_is_tz = false;
    let mut found = false;
    // Depth inside a component that stands outside any VCALENDAR (skipped whole).
    let mut stray = 0usize;
    // The calendar property being copied is METHOD, so its continuation lines go too.
    let mut dropping = false;
    for (no, (s, e, next)) in physical_lines(bytes).enumerate() {
        let no = no as u32 + 1;
        let line = &bytes[s..e];
        if stray > 0 {
            if keyword(line, b"BEGIN:").is_some() {
                stray += 1;
            } else if keyword(line, b"END:").is_some() {
                stray -= 1;
            }
            continue;
        }
        if keyword(line, b"BEGIN:").is_some() {
            if depth == 0 {
                if !is(line, b"BEGIN:", b"VCALENDAR") {
                    results.push(Err(structure(
                        Format::Calendar,
                        no,
                        "component outside VCALENDAR",
                    )));
                    stray = 1;
                    continue;
                }
                found = true;
                header.clear();
                header.extend_from_slice(&bytes[s..next]);
                if next == e {
                    header.extend_from_slice(eol);
                }
            } else if depth == 1 {
                comp_start = s;
                comp_line = no;
                comp_is_tz = is(line, b"BEGIN:", b"VTIMEZONE");
            }
            depth += 1;
        } else if keyword(line, b"END:").is_some() {
            if depth == 0 {
                results.push(Err(structure(Format::Calendar, no, "END without BEGIN")));
                continue;
            }
            depth -= 1;
            if depth == 1 {
                let comp = &bytes[comp_start..next];
                if comp_is_tz {
                    if let Some(id) = tzid_of_timezone(comp) {
                        timezones.insert(id, comp_start..next);
                    }
                    continue;
                }
                let (uid, zones) = uid_and_zones(comp);
                let Some(uid) = uid else {
                    results.push(Err(FormatError::MissingUid {
                        format: Format::Calendar,
                        line: comp_line,
                    }));
                    continue;
                };
                let idx = *by_uid.entry(uid).or_insert_with(|| {
                    entries.push(Entry {
                        header: header.clone(),
                        zones: Vec::new(),
                        body: Vec::new(),
                    });
                    results.push(Ok(entries.len() - 1));
                    entries.len() - 1
                });
                let entry = &mut entries[idx];
                for z in zones {
                    if !entry.zones.contains(&z) {
                        entry.zones.push(z);
                    }
                }
                piece(bytes, comp_start..next, eol, &mut entry.body);
            }
        } else if depth == 1 && (line.starts_with(b" ") || line.starts_with(b"\t")) {
            if !dropping {
                header.extend_from_slice(&bytes[s..next]);
            }
        } else if depth == 1 && !line.trim_ascii().is_empty() {
            // The name may itself be folded (`METHOD` CRLF ` :PUBLISH`): read the logical line.
            dropping = Scanner::new(&bytes[s..])
                .next()
                .and_then(Result::ok)
                .is_some_and(|l| l.is(b"METHOD"));
            if !dropping {
                header.extend_from_slice(&bytes[s..next]);
                if next == e {
                    header.extend_from_slice(eol);
                }
            }
        }
    }
    if depth > 0 {
        results.push(Err(structure(
            Format::Calendar,
            comp_line.max(1),
            "VCALENDAR is never closed (truncated file?)",
        )));
    }
    if !found {
        return Err(FormatError::Empty {
            format: Format::Calendar,
        });
    }
    Ok(results
        .into_iter()
        .map(|r| {
            r.map(|idx| {
                let entry = &entries[idx];
                let mut out = entry.header.clone();
                for z in &entry.zones {
                    if let Some(r) = timezones.get(z) {
                        piece(bytes, r.clone(), eol, &mut out);
                    }
                }
                out.extend_from_slice(&entry.body);
                out.extend_from_slice(b"END:VCALENDAR");
                out.extend_from_slice(eol);
                out
            })
        })
        .collect())
}

fn tzid_of_timezone(comp: &[u8]) -> Option<String> {
    Scanner::new(comp)
        .map_while(Result::ok)
        .find(|l| l.is(b"TZID"))
        .map(|l| String::from_utf8_lossy(&l.value()).trim().to_string())
}

/// The component's own UID (not one of a nested component) and every TZID parameter in it.
fn uid_and_zones(comp: &[u8]) -> (Option<String>, Vec<String>) {
    let mut uid = None;
    let mut zones: Vec<String> = Vec::new();
    let mut depth = 0usize;
    for line in Scanner::new(comp).map_while(Result::ok) {
        if line.is(b"BEGIN") {
            depth += 1;
        } else if line.is(b"END") {
            depth = depth.saturating_sub(1);
        } else if depth == 1 && uid.is_none() && line.is(b"UID") {
            uid = Some(String::from_utf8_lossy(&line.value()).into_owned());
        } else if let Some(tz) = line.param(b"TZID") {
            let tz = String::from_utf8_lossy(&tz).trim().to_string();
            if !zones.contains(&tz) {
                zones.push(tz);
            }
        }
    }
    (uid, zones)
}

/// The VCALENDAR objects of an iCalendar stream (exports and some clients concatenate several);
/// the whole input when it holds fewer than two. Each block then goes through [`split_calendar`].
pub fn vcalendar_blocks(bytes: &[u8]) -> Vec<&[u8]> {
    let mut blocks = Vec::new();
    let mut start = None;
    let mut pos = 0;
    while pos < bytes.len() {
        let end = bytes[pos..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .map_or(bytes.len(), |k| pos + k);
        let mut next = end;
        if bytes.get(next) == Some(&b'\r') {
            next += 1;
        }
        if bytes.get(next) == Some(&b'\n') {
            next += 1;
        }
        let line = bytes[pos..end].trim_ascii();
        if line.eq_ignore_ascii_case(b"BEGIN:VCALENDAR") && start.is_none() {
            start = Some(pos);
        } else if line.eq_ignore_ascii_case(b"END:VCALENDAR") {
            if let Some(s) = start.take() {
                blocks.push(&bytes[s..next]);
            }
        }
        pos = next.max(end + 1);
    }
    if blocks.len() < 2 {
        vec![bytes]
    } else {
        blocks
    }
}
