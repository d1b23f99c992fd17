//! A light component tree over iCalendar or vCard bytes, shared by recurrence, filter evaluation,
//! free-busy and expansion. It borrows the stored bytes wherever a line is not folded, keeps each
//! property's byte range so `expand` can copy properties verbatim, and never unescapes values up
//! front: most filters look at one or two properties of an object.

use std::borrow::Cow;
use std::ops::Range;

/// Why bytes could not be read as a component tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TreeError {
    NotUtf8 { line: usize },
    Unbalanced { line: usize, reason: &'static str },
    Empty,
    TooDeep,
}

impl std::fmt::Display for TreeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TreeError::NotUtf8 { line } => write!(f, "line {line} is not valid UTF-8"),
            TreeError::Unbalanced { line, reason } => write!(f, "line {line}: {reason}"),
            TreeError::Empty => write!(f, "no component found"),
            TreeError::TooDeep => write!(f, "components nested too deeply"),
        }
    }
}

/// Nesting deeper than this is refused: real objects nest three levels (VCALENDAR, VEVENT, VALARM).
const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone)]
pub(crate) struct Prop<'a> {
    /// Property name as written, a vCard group prefix (`item1.` of `item1.EMAIL`) removed;
    /// compare case-insensitively.
    pub name: Cow<'a, str>,
    /// The raw parameter text between the name and the value (`;TZID=X;VALUE=DATE-TIME`),
    /// read on demand: most properties' parameters are never looked at.
    pub params: Cow<'a, str>,
    /// The raw (still escaped) value after the first unquoted colon.
    pub value: Cow<'a, str>,
    /// Byte range of the whole content line, folds and line ending included.
    pub raw: Range<usize>,
}

impl<'a> Prop<'a> {
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The first value of parameter `name`, without quotes.
    pub fn param<'s>(&'s self, name: &'s str) -> Option<&'s str> {
        self.param_values(name).next()
    }

    /// Every value of every parameter `name` (`TYPE=work,voice;TYPE=cell` gives three), quotes
    /// removed; a comma inside quotes does not split.
    pub fn param_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        iter_params(&self.params)
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| split_param_list(v))
    }

    /// The value with RFC 5545 / 6350 text escapes resolved.
    pub fn text(&self) -> Cow<'_, str> {
        unescape(&self.value)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Comp<'a> {
    pub name: Cow<'a, str>,
    pub props: Vec<Prop<'a>>,
    /// Indices of child components in [`Tree::comps`].
    pub children: Vec<usize>,
    /// Byte range from the BEGIN line to the end of the END line.
    pub raw: Range<usize>,
}

impl<'a> Comp<'a> {
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    pub fn prop(&self, name: &str) -> Option<&Prop<'a>> {
        self.props.iter().find(|p| p.is(name))
    }

    pub fn props_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Prop<'a>> + 's {
        self.props.iter().filter(move |p| p.is(name))
    }
}

/// Components in document order; index 0 is the outermost (VCALENDAR or VCARD).
#[derive(Debug, Clone)]
pub(crate) struct Tree<'a> {
    pub comps: Vec<Comp<'a>>,
}

impl<'a> Tree<'a> {
    pub fn root(&self) -> &Comp<'a> {
        &self.comps[0]
    }

    pub fn children<'s>(&'s self, idx: usize) -> impl Iterator<Item = (usize, &'s Comp<'a>)> + 's {
        self.comps[idx]
            .children
            .iter()
            .map(move |&i| (i, &self.comps[i]))
    }

    /// Parses the first top-level component (and everything inside it) of `bytes`.
    pub fn parse(bytes: &'a [u8]) -> Result<Tree<'a>, TreeError> {
        let mut comps: Vec<Comp<'a>> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        // One check of the whole input is much cheaper than one per line; only input with a
        // fold inside a UTF-8 sequence (or invalid bytes) takes the per-line path.
        let whole = std::str::from_utf8(bytes).ok();
        for line in Lines::new(bytes) {
            let text = match &line.text {
                Cow::Borrowed(b) => Cow::Borrowed(match whole {
                    Some(w) => &w[line.raw.start..line.raw.start + b.len()],
                    None => std::str::from_utf8(b)
                        .map_err(|_| TreeError::NotUtf8 { line: line.number })?,
                }),
                Cow::Owned(b) => Cow::Owned(
                    String::from_utf8(b.clone())
                        .map_err(|_| TreeError::NotUtf8 { line: line.number })?,
                ),
            };
            if text.bytes().all(|b| b == b' ' || b == b'\t') {
                continue;
            }
            let prop = split_line(text, line.raw.clone());
            if prop.is("BEGIN") {
                if stack.len() >= MAX_DEPTH {
                    return Err(TreeError::TooDeep);
                }
                if stack.is_empty() && !comps.is_empty() {
                    break;
                }
                let name = match prop.value {
                    Cow::Borrowed(v) => Cow::Borrowed(v.trim()),
                    Cow::Owned(v) => Cow::Owned(v.trim().to_string()),
                };
                let idx = comps.len();
                comps.push(Comp {
                    name,
                    props: Vec::new(),
                    children: Vec::new(),
                    raw: line.raw.clone(),
                });
                if let Some(&parent) = stack.last() {
                    comps[parent].children.push(idx);
                }
                stack.push(idx);
            } else if prop.is("END") {
                let Some(idx) = stack.pop() else {
                    return Err(TreeError::Unbalanced {
                        line: line.number,
                        reason: "END without BEGIN",
                    });
                };
                if !comps[idx].name.eq_ignore_ascii_case(prop.value.trim()) {
                    return Err(TreeError::Unbalanced {
                        line: line.number,
                        reason: "END does not match BEGIN",
                    });
                }
                comps[idx].raw.end = line.raw.end;
            } else if let Some(&idx) = stack.last() {
                comps[idx].props.push(prop);
            }
        }
        if !stack.is_empty() {
            return Err(TreeError::Unbalanced {
                line: 0,
                reason: "component not closed",
            });
        }
        if comps.is_empty() {
            return Err(TreeError::Empty);
        }
        Ok(Tree { comps })
    }
}

struct Line<'a> {
    number: usize,
    text: Cow<'a, [u8]>,
    raw: Range<usize>,
}

/// Logical lines: folds (CRLF, LF or CR followed by space or tab) removed, on bytes so that a
/// fold inside a UTF-8 sequence joins correctly.
struct Lines<'a> {
    bytes: &'a [u8],
    pos: usize,
    number: usize,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let pos = if bytes.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        Lines {
            bytes,
            pos,
            number: 0,
        }
    }

    /// End of the physical line starting at `from`: (content end, next line start).
    fn physical(&self, from: usize) -> (usize, usize) {
        let b = self.bytes;
        match b[from..].iter().position(|&c| c == b'\n' || c == b'\r') {
            None => (b.len(), b.len()),
            Some(p) => {
                let end = from + p;
                if b[end] == b'\r' && b.get(end + 1) == Some(&b'\n') {
                    (end, end + 2)
                } else {
                    (end, end + 1)
                }
            }
        }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Line<'a>> {
        if self.pos >= self.bytes.len() {
            return None;
        }
        self.number += 1;
        let number = self.number;
        let start = self.pos;
        let (mut end, mut next) = self.physical(start);
        let mut owned: Option<Vec<u8>> = None;
        while matches!(self.bytes.get(next), Some(b' ' | b'\t')) {
            self.number += 1;
            let buf = owned.get_or_insert_with(|| self.bytes[start..end].to_vec());
            let (e, n) = self.physical(next + 1);
            buf.extend_from_slice(&self.bytes[next + 1..e]);
            end = e;
            next = n;
        }
        self.pos = next;
        let text = match owned {
            Some(v) => Cow::Owned(v),
            None => Cow::Borrowed(&self.bytes[start..end]),
        };
        Some(Line {
            number,
            text,
            raw: start..next,
        })
    }
}

fn sub<'a>(s: &Cow<'a, str>, r: Range<usize>) -> Cow<'a, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(&b[r]),
        Cow::Owned(o) => Cow::Owned(o[r].to_string()),
    }
}

/// Splits `[group.]NAME *(;PARAM=value) : value`, honouring double quotes in parameter values.
fn split_line(text: Cow<'_, str>, raw: Range<usize>) -> Prop<'_> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() && bytes[i] != b';' && bytes[i] != b':' {
        i += 1;
    }
    let full_name = 0..i;
    let name = match bytes[full_name.clone()].iter().position(|&b| b == b'.') {
        Some(dot) => sub(&text, dot + 1..i),
        None => sub(&text, full_name),
    };
    let pstart = i;
    let mut quoted = false;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => quoted = !quoted,
            b':' if !quoted => break,
            _ => {}
        }
        i += 1;
    }
    let params = sub(&text, pstart..i);
    let value = if i < bytes.len() {
        sub(&text, i + 1..bytes.len())
    } else {
        Cow::Borrowed("")
    };
    Prop {
        name,
        params,
        value,
        raw,
    }
}

/// Resolves `\n`, `\N`, `\,`, `\;`, `\\`; other backslashes are kept as written.
pub(crate) fn unescape(v: &str) -> Cow<'_, str> {
    if !v.contains('\\') {
        return Cow::Borrowed(v);
    }
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(o @ (',' | ';' | '\\' | ':')) => out.push(o),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// Splits a raw multi-valued text (CATEGORIES, RDATE, EXDATE) on unescaped commas.
pub(crate) fn split_commas(v: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(v);
    std::iter::from_fn(move || {
        let s = rest?;
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'\\' {
                i += 2;
                continue;
            }
            if b[i] == b',' {
                rest = Some(&s[i + 1..]);
                return Some(&s[..i]);
            }
            i += 1;
        }
        rest = None;
        Some(s)
    })
}

/// `(name, raw value)` of each parameter in `;A=1;B="x;y":`-style text. A vCard 2.1 bare
/// parameter (`TEL;HOME:`) reads as `TYPE=HOME`.
fn iter_params(raw: &str) -> impl Iterator<Item = (&str, &str)> {
    let bytes = raw.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() && bytes[i] != b';' {
            i += 1;
        }
        if i >= bytes.len() {
            return None;
        }
        i += 1;
        let pstart = i;
        while i < bytes.len() && !matches!(bytes[i], b'=' | b';') {
            i += 1;
        }
        let pname = &raw[pstart..i];
        if i >= bytes.len() || bytes[i] == b';' {
            return Some(("TYPE", pname));
        }
        i += 1;
        let vstart = i;
        let mut quoted = false;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => quoted = !quoted,
                b';' if !quoted => break,
                _ => {}
            }
            i += 1;
        }
        Some((pname, &raw[vstart..i]))
    })
}

/// Splits a raw parameter value on commas outside double quotes and removes the quotes.
fn split_param_list(v: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(v);
    std::iter::from_fn(move || {
        let s = rest?;
        let mut quoted = false;
        let mut cut = None;
        for (i, b) in s.bytes().enumerate() {
            match b {
                b'"' => quoted = !quoted,
                b',' if !quoted => {
                    cut = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let item = match cut {
            Some(i) => {
                rest = Some(&s[i + 1..]);
                &s[..i]
            }
            None => {
                rest = None;
                s
            }
        };
        Some(item.trim().trim_matches('"'))
    })
}
