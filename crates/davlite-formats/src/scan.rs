//! Zero-copy content-line scanner shared by iCalendar (RFC 5545 §3.1) and vCard (RFC 6350 §3.2,
//! RFC 2425, vCard 2.1).
//!
//! The scanner never rewrites the body: each [`ContentLine`] is a set of byte ranges into the
//! bytes as sent, and unfolding, unquoting or quoted-printable decoding happen only when a caller
//! asks for a value ([`ContentLine::value`]). Lines that were not folded cost no allocation.
//!
//! Accepted line endings: CRLF, bare LF and bare CR (old Mac exporters), mixed freely. A fold is
//! a line ending followed by one space or tab; it may fall anywhere, including inside a name, a
//! quoted parameter or a UTF-8 sequence, because unfolding works on bytes. A vCard 2.1
//! quoted-printable value may continue after a soft line break (`=` at the end of the line).
//! Blank lines between content lines are skipped. A UTF-8 byte order mark at the start is
//! skipped.
//!
//! Cost is linear in the input: every byte is looked at a bounded number of times, however long
//! a logical line is and however many folds it holds. Names, parameter text and line ends are
//! found sixteen bytes at a time (the `wide` crate's safe vectors), and a line of the common
//! shape is read from one 64-byte window ([`Scanner::next_line`]).

use std::borrow::Cow;
use std::ops::Range;
use wide::u8x16;

/// A malformed content line. `offset` is a byte offset into the body as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanError {
    pub line: u32,
    pub offset: usize,
    pub reason: &'static str,
}

/// Iterator over the logical content lines of a body.
#[derive(Debug, Clone)]
pub struct Scanner<'a> {
    src: &'a [u8],
    pos: usize,
    /// Physical line number (1-based) of the byte at `pos`.
    line: u32,
    /// Why scanning stopped at a malformed line ([`Scanner::next_line`] returned `None` before
    /// the end of the body); taken by [`Scanner::take_error`] or the iterator.
    error: Option<ScanError>,
    failed: bool,
}

/// One logical content line: `[group "."] name *(";" param) ":" value`.
///
/// All ranges index the body given to [`Scanner::new`]. When a fold falls inside a range, the
/// range still covers the raw bytes including the fold; the accessor methods unfold.
///
/// The parts follow each other, so the line keeps only where each one starts (64 bytes rather
/// than 120 with a range per part): every line is moved from the scanner to its reader.
#[derive(Debug, Clone)]
pub struct ContentLine<'a> {
    src: &'a [u8],
    /// Physical line (1-based) where the content line starts.
    pub line: u32,
    /// Where the line starts: the group if there is one, else the name.
    start: usize,
    /// Where the name starts, just after the group's `.` when there is a group.
    name_start: usize,
    /// Where the parameter text starts (the end of the name).
    params_start: usize,
    /// Where the value starts, just after the colon that ends the parameter text.
    value_start: usize,
    /// The end of the value and of the line, without its final line ending.
    value_end: usize,
    /// A fold (or soft break) falls inside the name (pathological, but legal).
    name_folded: bool,
    /// A fold falls among the parameters (clients fold long ATTENDEE lines there).
    params_folded: bool,
    /// A fold falls inside the value.
    value_folded: bool,
    /// A parameter has no `=` (vCard 2.1's `TEL;HOME:`), noted while the parameters are lexed.
    bare_param: bool,
    /// The name (or its group) holds a lower-case letter, noted while the name is lexed: a
    /// reader matching names against upper-case ones needs no case-folding pass otherwise.
    name_lower: bool,
}

/// Length of the line ending at `i` (`\r\n` = 2, `\r` or `\n` = 1), 0 if none.
#[inline]
fn eol_len(src: &[u8], i: usize) -> usize {
    match src.get(i) {
        Some(b'\r') => {
            if src.get(i + 1) == Some(&b'\n') {
                2
            } else {
                1
            }
        }
        Some(b'\n') => 1,
        _ => 0,
    }
}

/// If a fold (line ending + space/tab) starts at `i`, the index just after it.
#[inline]
fn fold_at(src: &[u8], i: usize) -> Option<usize> {
    let n = eol_len(src, i);
    if n > 0 && matches!(src.get(i + n), Some(b' ' | b'\t')) {
        Some(i + n + 1)
    } else {
        None
    }
}

/// Index of the next `\r` or `\n` at or after `from`, or `src.len()`.
///
/// Most values are short (a date, a name, an address): up to 64 bytes are searched sixteen at
/// a time with one vector compare each, which finds nearly every line end; a longer value is
/// searched on by memchr, whose finder is faster on long haystacks but reads one under sixteen
/// bytes one byte at a time, mispredicting its exit.
#[inline]
fn next_eol(src: &[u8], mut from: usize) -> usize {
    for _ in 0..4 {
        let Some(chunk) = src.get(from..from + 16) else {
            break;
        };
        let v = u8x16::new(chunk.try_into().unwrap_or_default());
        let ends = v.simd_eq(u8x16::splat(b'\r')) | v.simd_eq(u8x16::splat(b'\n'));
        match ends.to_bitmask() {
            0 => from += 16,
            ends => return from + ends.trailing_zeros() as usize,
        }
    }
    let hay = &src[from..];
    // Every x86-64 processor has SSE2, so its finder needs none of the run-time CPU dispatch
    // `memchr2` does on each call.
    #[cfg(target_arch = "x86_64")]
    let found = match memchr::arch::x86_64::sse2::memchr::Two::new(b'\r', b'\n') {
        Some(finder) => finder.find(hay),
        None => memchr::memchr2(b'\r', b'\n', hay),
    };
    #[cfg(not(target_arch = "x86_64"))]
    let found = memchr::memchr2(b'\r', b'\n', hay);
    found.map_or(src.len(), |k| from + k)
}

/// The end of the run of bytes starting at `from` that `class` accepts (its mask has a lane
/// set for each byte of the run): the first byte `stop` accepts, or `src.len()`.
///
/// Sixteen bytes are classified at a time, so a run costs a few instructions and one
/// predictable branch instead of a compare and a branch per byte, whose exit the processor
/// mispredicts on nearly every name and parameter. The last bytes of the body, fewer than
/// sixteen, are read one at a time with `stop`.
#[inline]
fn run_end(
    src: &[u8],
    mut from: usize,
    class: fn(u8x16) -> u8x16,
    stop: impl Fn(u8) -> bool,
) -> usize {
    while let Some(chunk) = src.get(from..from + 16) {
        let chunk: [u8; 16] = chunk.try_into().unwrap_or_default();
        let run = class(u8x16::new(chunk)).to_bitmask().trailing_ones() as usize;
        from += run;
        if run < 16 {
            return from;
        }
    }
    from + src[from..]
        .iter()
        .position(|&b| stop(b))
        .unwrap_or(src.len() - from)
}

/// Lanes holding `lo..=hi`.
#[inline]
fn in_range(v: u8x16, lo: u8, hi: u8) -> u8x16 {
    v.max(u8x16::splat(lo)).simd_eq(v.min(u8x16::splat(hi)))
}

/// The lanes holding a name byte (`is_name_byte`: letters, digits, `-`, `_`), and those
/// holding a lower-case letter.
#[inline]
fn name_lanes(v: u8x16) -> (u8x16, u8x16) {
    let lower = in_range(v, b'a', b'z');
    let name = lower
        | in_range(v, b'A', b'Z')
        | in_range(v, b'0', b'9')
        | v.simd_eq(u8x16::splat(b'-'))
        | v.simd_eq(u8x16::splat(b'_'));
    (name, lower)
}

/// The end of the run of name bytes (`is_name_byte`) starting at `from`, as [`run_end`]
/// finds it, and whether the run holds a lower-case letter (found in the same pass).
#[inline]
fn name_end(src: &[u8], mut from: usize) -> (usize, bool) {
    let mut lower = 0;
    while let Some(chunk) = src.get(from..from + 16) {
        let (name, lower_case) = name_lanes(u8x16::new(chunk.try_into().unwrap_or_default()));
        let run = name.to_bitmask().trailing_ones();
        lower |= lower_case.to_bitmask() & ((1u32 << run) - 1);
        from += run as usize;
        if run < 16 {
            return (from, lower != 0);
        }
    }
    let run = src[from..]
        .iter()
        .position(|&b| !is_name_byte(b))
        .unwrap_or(src.len() - from);
    let tail = &src[from..from + run];
    (
        from + run,
        lower != 0 || tail.iter().any(u8::is_ascii_lowercase),
    )
}

/// Lanes holding plain parameter text: anything but the `PARAM_STOP` bytes.
#[inline]
fn param_text(v: u8x16) -> u8x16 {
    let stop = [b'"', b':', b';', b'=', b'\r', b'\n', 0]
        .into_iter()
        .fold(u8x16::splat(0), |m, b| m | v.simd_eq(u8x16::splat(b)));
    !stop
}

/// Lanes holding quoted parameter text: anything but `"`, CR, LF and NUL.
#[inline]
fn quoted_text(v: u8x16) -> u8x16 {
    let stop = [b'"', b'\r', b'\n', 0]
        .into_iter()
        .fold(u8x16::splat(0), |m, b| m | v.simd_eq(u8x16::splat(b)));
    !stop
}

#[inline]
fn is_name_byte(b: u8) -> bool {
    CLASS[usize::from(b)] == NAME
}

/// Byte classes for what is still read one byte at a time (the first byte of a line, and names
/// and parameters in the last bytes of a body, under a block's sixteen), so each byte costs
/// one table load instead of a chain of comparisons.
const NAME: u8 = 1;
/// Bytes that end a run of plain parameter text: `"`, `:`, `;`, `=`, CR, LF, NUL.
const PARAM_STOP: u8 = 2;
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || c == b'-' || c == b'_' {
            t[b] = NAME;
        }
        if matches!(c, b'"' | b':' | b';' | b'=' | b'\r' | b'\n' | 0) {
            t[b] = PARAM_STOP;
        }
        b += 1;
    }
    t
};

/// The window [`Scanner::next_line`] reads a line of the common shape from: most content lines
/// without parameters are shorter (a date, a UID, a summary).
const SHORT_LINE: usize = 64;

/// `=` and `;` as themselves, every other byte as 0 (see the parameter loop of
/// [`Scanner::scan_line`]).
static SEPARATOR: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'=' as usize] = b'=';
    t[b';' as usize] = b';';
    t
};

thread_local! {
    /// Lexer runs started on this thread, for tests that prove a body is read once.
    static RUNS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many times a body has been lexed ([`Scanner::new`]) on the calling thread. Tests count
/// with it that an event PUT reads its body once, as `davlite-dav` counts listing plans.
#[doc(hidden)]
pub fn lexer_runs_on_this_thread() -> u64 {
    RUNS.with(std::cell::Cell::get)
}

impl<'a> Scanner<'a> {
    pub fn new(src: &'a [u8]) -> Self {
        RUNS.with(|r| r.set(r.get() + 1));
        let pos = if src.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        Scanner {
            src,
            pos,
            line: 1,
            error: None,
            failed: false,
        }
    }

    /// Byte offset of the next unread line.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Physical line number of the next unread line.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// Stops the scan at a malformed line: records why and ends the lines (`None`).
    #[cold]
    fn fail<T>(&mut self, offset: usize, reason: &'static str) -> Option<T> {
        self.failed = true;
        self.error = Some(ScanError {
            line: self.line,
            offset,
            reason,
        });
        None
    }

    /// Why the scan stopped before the end of the body, once [`Scanner::next_line`] returned
    /// `None`; `None` when it reached the end.
    pub fn take_error(&mut self) -> Option<ScanError> {
        self.error.take()
    }

    /// The next content line: `None` at the end of the body, or at a malformed line (then
    /// [`Scanner::take_error`] says why, and no line follows). What the validator's hot loop
    /// calls: a line is handed over as it is, not wrapped in a `Result` as well.
    #[inline]
    pub fn next_line(&mut self) -> Option<ContentLine<'a>> {
        if self.failed {
            return None;
        }
        // Nearly every line starts with its name: no blank line to skip.
        if !self.src.get(self.pos).is_some_and(|&b| is_name_byte(b)) && !self.skip_blank_lines() {
            return None;
        }
        match self.short_line() {
            Ok(line) => Some(line),
            Err(name) => self.scan_line(name),
        }
    }

    /// A line of the shape most lines have, read from one [`SHORT_LINE`]-byte window: a name,
    /// `:`, the value and the line ending all inside it, with no parameters and no fold
    /// (`BEGIN:VEVENT`, `DTSTART:20240612T100000Z`, `UID:...`). Four vector blocks give the
    /// name, the colon and the line end at once, where [`Scanner::scan_line`] searches for each
    /// in turn. `Err` hands any other line (or one in the last bytes of the body) to it, with
    /// the end of the name's first run and whether that holds a lower-case letter when the
    /// window told them; it reads every line the same way (a test in this module compares).
    #[inline]
    fn short_line(&mut self) -> Result<ContentLine<'a>, Option<(usize, bool)>> {
        let src = self.src;
        let start = self.pos;
        let Some(window) = src.get(start..start + SHORT_LINE) else {
            return Err(None);
        };
        let window: &[u8; SHORT_LINE] = window.try_into().map_err(|_| None)?;
        let block = |k: usize| {
            let bytes: [u8; 16] = window[16 * k..16 * (k + 1)].try_into().unwrap_or_default();
            u8x16::new(bytes)
        };
        let first = block(0);
        // Names are short: the first block tells nearly all of them.
        let (name, lower) = name_lanes(first);
        let name_len = name.to_bitmask().trailing_ones() as usize;
        if name_len == 16 {
            return Err(None);
        }
        let lower = lower.to_bitmask() & !(u32::MAX << name_len) != 0;
        let name = Some((start + name_len, lower));
        if window[name_len] != b':' {
            return Err(name);
        }
        let ends = |v: u8x16| {
            let lanes = v.simd_eq(u8x16::splat(b'\r')) | v.simd_eq(u8x16::splat(b'\n'));
            u64::from(lanes.to_bitmask())
        };
        let ends = ends(first) | ends(block(1)) << 16 | ends(block(2)) << 32 | ends(block(3)) << 48;
        // Line ends after the colon (`name_len` < 16 here, so the shift is in range).
        let end = (ends & (u64::MAX << name_len)).trailing_zeros() as usize;
        // The ending and the byte after it (a fold's space) must be in the window too.
        if end + 2 >= SHORT_LINE {
            return Err(name);
        }
        let next = end + 1 + usize::from(window[end] == b'\r' && window[end + 1] == b'\n');
        if matches!(window[next], b' ' | b'\t') {
            return Err(name);
        }
        let line = self.line;
        self.line += 1;
        self.pos = start + next;
        Ok(ContentLine {
            src,
            line,
            start,
            name_start: start,
            params_start: start + name_len,
            value_start: start + name_len + 1,
            value_end: start + end,
            name_folded: false,
            params_folded: false,
            value_folded: false,
            bare_param: false,
            name_lower: lower,
        })
    }

    /// The general line reader. `first_name_run` is where the run of name bytes at the start of
    /// the line ends and whether it holds a lower-case letter, when the caller knows.
    fn scan_line(&mut self, mut first_name_run: Option<(usize, bool)>) -> Option<ContentLine<'a>> {
        let src = self.src;
        let start = self.pos;
        let mut lines = 0u32;
        let mut name_folded = false;
        let mut name_lower = false;
        let mut params_folded = false;
        let mut i = start;
        let mut name_start = start;
        let mut group = None;
        // Name (and group), stopping at ';' or ':'.
        let stop = loop {
            let (end, lower) = match first_name_run.take() {
                Some(run) => run,
                None => name_end(src, i),
            };
            i = end;
            name_lower |= lower;
            // Nearly every name ends at its ':' or ';': one test before the rare cases.
            let b = src.get(i).copied();
            if let Some(b @ (b':' | b';')) = b {
                break b;
            }
            match b {
                Some(b'.') if group.is_none() && i > name_start => {
                    group = Some(name_start..i);
                    i += 1;
                    name_start = i;
                }
                Some(b'\r' | b'\n') => match fold_at(src, i) {
                    Some(next) => {
                        name_folded = true;
                        lines += 1;
                        i = next;
                    }
                    None => return self.fail(i, "content line has no ':' before its end"),
                },
                Some(_) => return self.fail(i, "invalid character in a property name"),
                None => {
                    return self.fail(i, "content line has no ':' before the end of the body");
                }
            }
        };
        if i == name_start {
            return self.fail(i, "content line has an empty property name");
        }
        let name = name_start..i;
        let params_start = i;
        let mut bare_param = false;
        if stop == b';' {
            // Whether the parameter being read has its '=' yet (none is open before the first ';').
            let mut has_eq = true;
            // Read through a reference the compiler cannot see into: knowing the table, it
            // would turn the lookup back into compares and a jump table.
            let separators = std::hint::black_box(&SEPARATOR);
            // Tests in the order the bytes come: most stops are the '=' and ';' between
            // parameters, one is the ':' that ends them, a few open a quoted value.
            loop {
                i = run_end(src, i, param_text, |b| CLASS[usize::from(b)] == PARAM_STOP);
                let b = src.get(i).copied();
                // The '=' and ';' between parameters, told apart by a table: one branch the
                // processor predicts (a compare per byte value becomes a jump table, whose
                // target changes at every stop); which of the two it is only sets the flags.
                let sep = separators[usize::from(b.unwrap_or(0))];
                if sep != 0 {
                    let eq = sep == b'=';
                    bare_param |= !eq && !has_eq;
                    has_eq = eq;
                    i += 1;
                } else if b == Some(b':') {
                    bare_param |= !has_eq;
                    break;
                } else if b == Some(b'"') {
                    // A quoted value is text up to its closing quote (`:`, `;` and `=` too);
                    // a fold may fall inside it.
                    i += 1;
                    loop {
                        i = run_end(src, i, quoted_text, |b| {
                            matches!(b, b'"' | b'\r' | b'\n' | 0)
                        });
                        match src.get(i) {
                            Some(b'"') => break,
                            Some(b'\r' | b'\n') => match fold_at(src, i) {
                                Some(next) => {
                                    params_folded = true;
                                    lines += 1;
                                    i = next;
                                }
                                None => {
                                    return self.fail(i, "quoted parameter value is not closed");
                                }
                            },
                            Some(_) => return self.fail(i, "NUL byte in a parameter"),
                            None => return self.fail(i, "quoted parameter value is not closed"),
                        }
                    }
                    i += 1;
                } else if b == Some(0) {
                    return self.fail(i, "NUL byte in a parameter");
                } else if b.is_none() {
                    return self.fail(i, "content line has no ':' before the end of the body");
                } else {
                    // CR or LF: a fold, or the line ends before its value.
                    match fold_at(src, i) {
                        Some(next) => {
                            params_folded = true;
                            lines += 1;
                            i = next;
                        }
                        None => return self.fail(i, "content line has no ':' before its end"),
                    }
                }
            }
        }
        let params = params_start..i;
        let value_start = i + 1;
        let mut value_folded = false;
        let mut j = value_start;
        let (value_end, next) = loop {
            let e = next_eol(src, j);
            if e == src.len() {
                break (e, e);
            }
            let n = eol_len(src, e);
            match src.get(e + n) {
                _ if e > value_start
                    && src[e - 1] == b'='
                    && contains_ci(&src[params.clone()], b"QUOTED-PRINTABLE") =>
                {
                    // vCard 2.1 soft line break: the value goes on, and a space that starts
                    // the next line is part of it (it is not a fold).
                    lines += 1;
                    j = e + n;
                }
                Some(b' ' | b'\t') => {
                    value_folded = true;
                    lines += 1;
                    j = e + n + 1;
                }
                _ => break (e, e + n),
            }
        };
        let line = self.line;
        self.line += lines + u32::from(next > value_end);
        self.pos = next;
        Some(ContentLine {
            src,
            line,
            start,
            name_start: name.start,
            params_start: params.start,
            value_start,
            value_end,
            name_folded,
            params_folded,
            value_folded,
            bare_param,
            name_lower,
        })
    }
}

impl<'a> Iterator for Scanner<'a> {
    type Item = Result<ContentLine<'a>, ScanError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_line() {
            Some(line) => Some(Ok(line)),
            None => self.error.take().map(Err),
        }
    }
}

impl Scanner<'_> {
    /// Skips blank lines (a line of only spaces/tabs counts as blank): `false` at the end of
    /// the body, or when a continuation line has no content line before it (a failed scan).
    /// Apart from [`Scanner::next_line`] so that the line scan has one call site there.
    #[cold]
    fn skip_blank_lines(&mut self) -> bool {
        loop {
            let src = self.src;
            let p = self.pos;
            if p >= src.len() {
                return false;
            }
            let mut q = p;
            while matches!(src.get(q), Some(b' ' | b'\t')) {
                q += 1;
            }
            let n = eol_len(src, q);
            if n > 0 {
                self.pos = q + n;
                self.line += 1;
                continue;
            }
            if q >= src.len() {
                self.pos = q;
                return false;
            }
            if q > p {
                return self
                    .fail::<()>(p, "continuation line with no content line before it")
                    .is_some();
            }
            return true;
        }
    }
}

/// The parameters of a raw parameter text (`;A=1;HOME;B="x;y"`), in order: where each name
/// is and where its value is (`None` for a parameter written without `=`); a quoted value is
/// one value whatever it holds. Text before the first `;` is skipped.
pub fn param_ranges(raw: &[u8]) -> impl Iterator<Item = (Range<usize>, Option<Range<usize>>)> + '_ {
    // Each search runs over a slice iterator (no bounds check per byte); between calls `i` is
    // at a ';' or at the end.
    let mut i = raw.iter().position(|&b| b == b';').unwrap_or(raw.len());
    std::iter::from_fn(move || {
        if i >= raw.len() {
            return None;
        }
        i += 1;
        let start = i;
        i += raw[i..]
            .iter()
            .position(|&b| b == b'=' || b == b';')
            .unwrap_or(raw.len() - i);
        if i >= raw.len() || raw[i] == b';' {
            return Some((start..i, None));
        }
        let name = start..i;
        i += 1;
        let value_start = i;
        let mut quoted = false;
        i += raw[i..]
            .iter()
            .position(|&b| {
                quoted ^= b == b'"';
                b == b';' && !quoted
            })
            .unwrap_or(raw.len() - i);
        Some((name, Some(value_start..i)))
    })
}

/// Where the parameters without `=` are in a raw parameter text (`;A=1;HOME;B="x;y"` has one,
/// `HOME`), in order.
pub fn bare_params(raw: &[u8]) -> impl Iterator<Item = Range<usize>> + '_ {
    param_ranges(raw).filter_map(|(name, value)| value.is_none().then_some(name))
}

/// ASCII case-insensitive substring search (for short needles).
pub fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Removes every fold (line ending + one space/tab) from `raw`; other bytes are kept as they are.
pub fn unfold(raw: &[u8]) -> Cow<'_, [u8]> {
    match first_fold(raw, 0) {
        None => Cow::Borrowed(raw),
        Some(_) => {
            let mut buf = Vec::with_capacity(raw.len());
            unfold_into(raw, &mut buf);
            Cow::Owned(buf)
        }
    }
}

/// Appends `raw` with every fold removed to `out`.
pub fn unfold_into(raw: &[u8], out: &mut Vec<u8>) {
    let mut from = 0;
    while let Some((e, after)) = first_fold(raw, from) {
        out.extend_from_slice(&raw[from..e]);
        from = after;
    }
    out.extend_from_slice(&raw[from..]);
}

/// The first fold in `raw` at or after `from`: where it starts and the index just after it.
fn first_fold(raw: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut i = from;
    while i < raw.len() {
        let e = next_eol(raw, i);
        if e == raw.len() {
            return None;
        }
        match fold_at(raw, e) {
            Some(after) => return Some((e, after)),
            None => i = e + eol_len(raw, e),
        }
    }
    None
}

/// What a content line does to the component structure ([`ContentLine::keyword`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    Begin,
    End,
    Property,
}

impl<'a> ContentLine<'a> {
    /// The body the ranges index.
    pub fn source(&self) -> &'a [u8] {
        self.src
    }

    /// The whole logical line, without its final line ending.
    pub fn span(&self) -> Range<usize> {
        self.start..self.value_end
    }

    /// Where the vCard group (`item1` in `item1.EMAIL`) is, if there is one.
    pub fn group_range(&self) -> Option<Range<usize>> {
        (self.name_start > self.start).then(|| self.start..self.name_start - 1)
    }

    /// Where the name is.
    pub fn name_range(&self) -> Range<usize> {
        self.name_start..self.params_start
    }

    /// Where the parameter text is: everything between the name and the colon, starting at the
    /// first `;` (empty when there are no parameters).
    pub fn params_range(&self) -> Range<usize> {
        self.params_start..self.value_start - 1
    }

    /// Where the raw value after the colon is.
    pub fn value_range(&self) -> Range<usize> {
        self.value_start..self.value_end
    }

    /// The raw name bytes (may hold a fold in pathological input; see [`Self::name`]).
    pub fn name_raw(&self) -> &'a [u8] {
        &self.src[self.name_range()]
    }

    /// The property name, unfolded (case as sent).
    pub fn name(&self) -> Cow<'a, [u8]> {
        if self.name_folded {
            unfold(self.name_raw())
        } else {
            Cow::Borrowed(self.name_raw())
        }
    }

    /// Whether the line opens or closes a component, or is a property: the question every
    /// reader asks of every line first, answered by the name's length before any comparison.
    #[inline]
    pub fn keyword(&self) -> Keyword {
        let name = self.name_raw();
        if self.name_folded {
            return match &*self.name() {
                n if n.eq_ignore_ascii_case(b"BEGIN") => Keyword::Begin,
                n if n.eq_ignore_ascii_case(b"END") => Keyword::End,
                _ => Keyword::Property,
            };
        }
        match name.len() {
            5 if name.eq_ignore_ascii_case(b"BEGIN") => Keyword::Begin,
            3 if name.eq_ignore_ascii_case(b"END") => Keyword::End,
            _ => Keyword::Property,
        }
    }

    /// Case-insensitive name comparison; `upper` must be upper-case ASCII.
    #[inline]
    pub fn is(&self, upper: &[u8]) -> bool {
        if self.name_folded {
            self.name().eq_ignore_ascii_case(upper)
        } else {
            self.name_raw().eq_ignore_ascii_case(upper)
        }
    }

    /// The vCard group, unfolded.
    pub fn group(&self) -> Option<Cow<'a, [u8]>> {
        self.group_range().map(|g| unfold(&self.src[g]))
    }

    /// The raw value bytes, folds included.
    pub fn value_raw(&self) -> &'a [u8] {
        &self.src[self.value_range()]
    }

    /// The value with folds removed; borrowed unless the value was folded. Escapes
    /// (`\n`, `\,`) and quoted-printable are left alone: see [`unescape_text`].
    pub fn value(&self) -> Cow<'a, [u8]> {
        if self.value_folded {
            unfold(self.value_raw())
        } else {
            Cow::Borrowed(self.value_raw())
        }
    }

    /// Appends the unfolded value to `out` (for callers that reuse a buffer).
    pub fn write_value(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.value());
    }

    /// Appends the name, the parameter text, a colon and the value to `out`, each unfolded as
    /// [`Self::name`], [`Self::params_text`] and [`Self::value`] unfold it (a vCard 2.1 soft
    /// line break stays); returns where the parameter text and the value start in `out`.
    ///
    /// One pass over the line, copying the runs between its folds: a fold never straddles two
    /// parts, and a part without one holds no line ending, so removing every fold before the
    /// value (and in the value when it is folded) unfolds each part as its own reader does.
    pub fn write_unfolded(&self, out: &mut Vec<u8>) -> (usize, usize) {
        let start = self.name_start;
        let mut params_at = self.params_start - start;
        let mut value_at = self.value_start - start;
        let unfold_to = if self.value_folded {
            self.value_end
        } else {
            self.value_start
        };
        let folds = &self.src[..unfold_to];
        let mut from = start;
        while let Some((fold, after)) = first_fold(folds, from) {
            out.extend_from_slice(&self.src[from..fold]);
            if fold < self.params_start {
                params_at -= after - fold;
            }
            if fold < self.value_start {
                value_at -= after - fold;
            }
            from = after;
        }
        out.extend_from_slice(&self.src[from..self.value_end]);
        (params_at, value_at)
    }

    /// Whether a parameter has no `=` (RFC 5545 §3.2 and RFC 6350 §3.3 require one; vCard
    /// 2.1 writes `TEL;HOME:`).
    pub fn has_bare_param(&self) -> bool {
        self.bare_param
    }

    /// Whether the name may hold a lower-case letter (`false`: it is upper-case as written,
    /// as clients nearly always write it).
    pub fn name_has_lower(&self) -> bool {
        self.name_lower
    }

    /// Whether any fold falls inside this line.
    pub fn is_folded(&self) -> bool {
        self.name_folded || self.params_folded || self.value_folded
    }

    /// The parameter text (from the first `;` to the colon), unfolded; borrowed unless a fold
    /// fell before the colon.
    pub fn params_text(&self) -> Cow<'a, [u8]> {
        let raw = &self.src[self.params_range()];
        if self.params_folded {
            unfold(raw)
        } else {
            Cow::Borrowed(raw)
        }
    }

    /// The parameters, in order.
    pub fn params(&self) -> Params<'a> {
        let raw = &self.src[self.params_range()];
        let buf = if self.params_folded {
            unfold(raw)
        } else {
            Cow::Borrowed(raw)
        };
        Params { buf, pos: 0 }
    }

    /// The first value of the first parameter called `upper` (unquoted, unfolded).
    pub fn param(&self, upper: &[u8]) -> Option<Cow<'a, [u8]>> {
        if self.params_range().is_empty() {
            return None;
        }
        self.params()
            .find(|p| p.name.eq_ignore_ascii_case(upper))
            .map(|p| p.value)
    }

    /// Whether a parameter called `upper` is present (also vCard 2.1 bare parameters such as
    /// `TEL;HOME:`, which have no value).
    pub fn has_param(&self, upper: &[u8]) -> bool {
        !self.params_range().is_empty() && self.params().any(|p| p.name.eq_ignore_ascii_case(upper))
    }
}

/// One parameter: name and its whole (unquoted) value; several values separated by commas stay
/// together, see [`Param::values`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param<'a> {
    pub name: Cow<'a, [u8]>,
    pub value: Cow<'a, [u8]>,
}

impl Param<'_> {
    /// The comma-separated values (quotes removed; a comma inside quotes does not split).
    pub fn values(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut cur = Vec::new();
        let mut quoted = false;
        for &b in self.value.iter() {
            match b {
                b'"' => quoted = !quoted,
                b',' if !quoted => out.push(std::mem::take(&mut cur)),
                _ => cur.push(b),
            }
        }
        out.push(cur);
        out
    }
}

/// Iterator over the parameters of a content line.
#[derive(Debug, Clone)]
pub struct Params<'a> {
    buf: Cow<'a, [u8]>,
    pos: usize,
}

fn slice_cow<'a>(buf: &Cow<'a, [u8]>, r: Range<usize>) -> Cow<'a, [u8]> {
    match buf {
        Cow::Borrowed(b) => Cow::Borrowed(&b[r]),
        Cow::Owned(v) => Cow::Owned(v[r].to_vec()),
    }
}

impl<'a> Iterator for Params<'a> {
    type Item = Param<'a>;

    fn next(&mut self) -> Option<Param<'a>> {
        let b: &[u8] = &self.buf;
        if self.pos >= b.len() {
            return None;
        }
        // At a ';'.
        let name_start = self.pos + 1;
        let mut i = name_start;
        while i < b.len() && b[i] != b'=' && b[i] != b';' {
            i += 1;
        }
        let name = name_start..i;
        if i >= b.len() || b[i] == b';' {
            self.pos = i;
            return Some(Param {
                name: slice_cow(&self.buf, name),
                value: Cow::Borrowed(&[]),
            });
        }
        let vstart = i + 1;
        let mut quoted = false;
        let mut j = vstart;
        while j < b.len() && (quoted || b[j] != b';') {
            if b[j] == b'"' {
                quoted = !quoted;
            }
            j += 1;
        }
        self.pos = j;
        let raw = &b[vstart..j];
        let value = if raw.len() >= 2 && raw[0] == b'"' && raw[raw.len() - 1] == b'"' {
            // A single quoted value: strip the quotes; lists keep theirs for `values()`.
            if memchr::memchr(b'"', &raw[1..raw.len() - 1]).is_none() {
                slice_cow(&self.buf, vstart + 1..j - 1)
            } else {
                slice_cow(&self.buf, vstart..j)
            }
        } else {
            slice_cow(&self.buf, vstart..j)
        };
        Some(Param {
            name: slice_cow(&self.buf, name),
            value,
        })
    }
}

/// Undoes TEXT escaping (RFC 5545 §3.3.11, RFC 6350 §3.4): `\n`/`\N` to a line feed, `\\`,
/// `\,`, `\;` to the character. Unknown escapes keep the character after the backslash.
pub fn unescape_text(raw: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(b'\\', raw).is_none() {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut it = raw.iter();
    while let Some(&b) = it.next() {
        if b == b'\\' {
            match it.next() {
                Some(b'n' | b'N') => out.push(b'\n'),
                Some(&c) => out.push(c),
                None => out.push(b'\\'),
            }
        } else {
            out.push(b);
        }
    }
    Cow::Owned(out)
}

/// Decodes a quoted-printable value (vCard 2.1), removing soft line breaks.
pub fn decode_quoted_printable(raw: &[u8]) -> Vec<u8> {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'=' {
            let n = eol_len(raw, i + 1);
            if n > 0 {
                i += 1 + n;
                continue;
            }
            if let (Some(h), Some(l)) = (
                raw.get(i + 1).and_then(|&c| hex(c)),
                raw.get(i + 2).and_then(|&c| hex(c)),
            ) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Scanner;

    /// Every line [`Scanner::short_line`] takes, [`Scanner::scan_line`] reads the same way: the
    /// same parts, flags, next position and line count, over names of every length around a
    /// block's sixteen bytes, values up to past the window, each line ending, with and without
    /// a fold or more lines after.
    #[test]
    fn the_short_line_window_reads_lines_as_the_general_reader_does() {
        let mut taken = 0;
        for name_len in 1..=18 {
            for value_len in (0..70).step_by(3) {
                for ending in ["\r\n", "\n", "\r"] {
                    for after in ["NEXT:1\r\n", " folded\r\n", "\tfolded\r\n", ""] {
                        for lower in [false, true] {
                            let name: String = (0..name_len)
                                .map(|k| match k {
                                    1 if lower => 'x',
                                    _ => char::from(b'A' + (k % 26) as u8),
                                })
                                .collect();
                            let body = format!(
                                "{name}:{}{ending}{after}{}",
                                "v".repeat(value_len),
                                "X".repeat(70)
                            );
                            let mut short = Scanner::new(body.as_bytes());
                            let mut general = short.clone();
                            let Ok(line) = short.short_line() else {
                                continue;
                            };
                            taken += 1;
                            let want = general.scan_line(None).expect("the line scans");
                            assert_eq!(format!("{line:?}"), format!("{want:?}"), "{body:?}");
                            assert_eq!((short.pos, short.line), (general.pos, general.line));
                        }
                    }
                }
            }
        }
        // The window takes the common lines (so the comparison compared something).
        assert!(taken > 1000, "{taken}");
    }
}
