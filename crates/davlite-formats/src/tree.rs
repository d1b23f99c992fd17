//! A light component tree over iCalendar or vCard bytes, shared by recurrence, filter evaluation,
//! free-busy and expansion. It is built from the content lines of the crate's one lexer
//! ([`crate::scan::Scanner`]), borrows the stored bytes wherever a line is not folded, keeps each
//! property's byte range so `expand` can copy properties verbatim, and never unescapes values up
//! front: most filters look at one or two properties of an object.

use crate::scan::{ContentLine, Keyword, Scanner};
use std::borrow::Cow;
use std::ops::Range;

/// Why bytes could not be read as a component tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TreeError {
    NotUtf8 {
        line: usize,
    },
    Unbalanced {
        line: usize,
        reason: &'static str,
    },
    Empty,
    TooDeep,
    /// The content-line lexer refused a line.
    Syntax {
        line: usize,
        reason: &'static str,
    },
}

impl std::fmt::Display for TreeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TreeError::NotUtf8 { line } => write!(f, "line {line} is not valid UTF-8"),
            TreeError::Unbalanced { line, reason } => write!(f, "line {line}: {reason}"),
            TreeError::Empty => write!(f, "no component found"),
            TreeError::TooDeep => write!(f, "components nested too deeply"),
            TreeError::Syntax { line, reason } => write!(f, "line {line}: {reason}"),
        }
    }
}

/// Nesting deeper than this is refused: real objects nest three levels (VCALENDAR, VEVENT, VALARM).
const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone)]
pub(crate) struct Prop<'a> {
    /// The content line from the name to the end of the value, folds removed: borrowed from the
    /// body unless the line was folded (then one copy holds all three parts). One text with two
    /// offsets instead of a text per part: building the tree costs one check and one small
    /// record per property, and the parts are sliced only when read.
    text: Cow<'a, str>,
    /// Where the parameter text starts in `text` (the end of the name).
    params_at: usize,
    /// Where the value starts in `text` (just after the colon).
    value_at: usize,
    /// Byte range of the whole content line, folds and line ending included.
    pub raw: Range<usize>,
}

impl<'a> Prop<'a> {
    /// Property name as written, a vCard group prefix (`item1.` of `item1.EMAIL`) removed;
    /// compare case-insensitively.
    pub fn name(&self) -> &str {
        &self.text[..self.params_at]
    }

    /// The raw parameter text between the name and the value (`;TZID=X;VALUE=DATE-TIME`),
    /// read on demand: most properties' parameters are never looked at.
    pub fn params(&self) -> &str {
        &self.text[self.params_at..self.value_at - 1]
    }

    /// The raw (still escaped) value after the first unquoted colon.
    pub fn value(&self) -> &str {
        &self.text[self.value_at..]
    }

    pub fn is(&self, name: &str) -> bool {
        // The length first: most properties a search passes over differ in it.
        self.params_at == name.len() && self.name().eq_ignore_ascii_case(name)
    }

    /// The first value of parameter `name`, without quotes.
    ///
    /// Reads the parameter text as [`iter_params`] does (a bare parameter is a `TYPE`), in one
    /// loop that compares each name where it stands and looks for the end of a value only
    /// when the name matched or the value holds a quote: every dated property asks for its
    /// TZID, and the general iterator cost several times more than the search.
    pub fn param<'s>(&'s self, name: &'s str) -> Option<&'s str> {
        let raw = self.params();
        let b = raw.as_bytes();
        let want = name.as_bytes();
        // Text before the first ';' is not a parameter.
        let mut i = b.iter().position(|&c| c == b';')?;
        let v = loop {
            // At a ';'.
            let start = i + 1;
            let mut j = start;
            while j < b.len() && b[j] != b'=' && b[j] != b';' {
                j += 1;
            }
            if j >= b.len() || b[j] == b';' {
                // Written without '=': read as TYPE=<it>.
                if want.eq_ignore_ascii_case(b"TYPE") {
                    break &raw[start..j];
                }
            } else {
                let matched = b[start..j].eq_ignore_ascii_case(want);
                let value_start = j + 1;
                // The value ends at the next ';' outside quotes. Most have no quote or comma
                // (a TZID, nearly every lookup): one search finds their end, and such a value
                // is its own first value.
                let plain_end = b[value_start..]
                    .iter()
                    .position(|&c| matches!(c, b';' | b'"' | b','))
                    .map_or(b.len(), |k| value_start + k);
                if plain_end == b.len() || b[plain_end] == b';' {
                    if matched {
                        return Some(raw[value_start..plain_end].trim_ascii());
                    }
                    j = plain_end;
                } else {
                    j = value_start;
                    let mut quoted = false;
                    while j < b.len() && (quoted || b[j] != b';') {
                        quoted ^= b[j] == b'"';
                        j += 1;
                    }
                    if matched {
                        break &raw[value_start..j];
                    }
                }
            }
            if j >= b.len() {
                return None;
            }
            i = j;
        };
        split_param_list(v).next()
    }

    /// Every value of every parameter `name` (`TYPE=work,voice;TYPE=cell` gives three), quotes
    /// removed; a comma inside quotes does not split.
    pub fn param_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        iter_params(self.params())
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| split_param_list(v))
    }

    /// The first parameter written without `=` (vCard 2.1's `TEL;HOME:`), which RFC 5545 §3.2
    /// and RFC 6350 §3.3 do not allow.
    pub fn bare_param(&self) -> Option<&str> {
        let raw = self.params();
        crate::scan::bare_params(raw.as_bytes())
            .next()
            .map(|r| &raw[r])
    }

    /// The value with RFC 5545 / 6350 text escapes resolved.
    pub fn text(&self) -> Cow<'_, str> {
        unescape(self.value())
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Comp<'a> {
    pub name: Cow<'a, str>,
    /// Where this component's properties are in [`Tree::props`]: one list for the whole tree
    /// rather than one per component, so a tree of any size costs one allocation for its
    /// properties (a client's event has six components; each list was allocated, grown and
    /// freed on every parse). Read through [`CompRef`].
    props: Range<usize>,
    /// The first and last child components and the next sibling, as indices in
    /// [`Tree::comps`] ([`NONE`] for none): links instead of a list of children per
    /// component, so building a tree allocates nothing per parent. See [`Tree::children`].
    first_child: u32,
    last_child: u32,
    next_sibling: u32,
    /// Byte range from the BEGIN line to the end of the END line.
    pub raw: Range<usize>,
}

/// No component (an end of a [`Comp`] link).
const NONE: u32 = u32::MAX;

impl Comp<'_> {
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

/// A component of a [`Tree`] with its properties at hand: what readers hold and pass on
/// (two pointers, copied freely).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CompRef<'t, 'a> {
    comp: &'t Comp<'a>,
    props: &'t [Prop<'a>],
}

impl<'a> std::ops::Deref for CompRef<'_, 'a> {
    type Target = Comp<'a>;

    fn deref(&self) -> &Comp<'a> {
        self.comp
    }
}

impl<'t, 'a> CompRef<'t, 'a> {
    /// The component's properties, in document order.
    pub fn props(&self) -> &'t [Prop<'a>] {
        self.props
    }

    pub fn prop(&self, name: &str) -> Option<&'t Prop<'a>> {
        self.props.iter().find(|p| p.is(name))
    }

    pub fn props_named<'s>(&self, name: &'s str) -> impl Iterator<Item = &'t Prop<'a>> + 's
    where
        't: 's,
    {
        self.props.iter().filter(move |p| p.is(name))
    }
}

/// Components in document order; index 0 is the outermost (VCALENDAR or VCARD).
#[derive(Debug, Clone)]
pub(crate) struct Tree<'a> {
    comps: Vec<Comp<'a>>,
    /// Every component's properties, grouped by component (each in document order).
    props: Vec<Prop<'a>>,
}

impl<'a> Tree<'a> {
    pub fn root(&self) -> CompRef<'_, 'a> {
        self.comp(0)
    }

    /// Component `idx` (document order of the BEGIN lines).
    pub fn comp(&self, idx: usize) -> CompRef<'_, 'a> {
        let comp = &self.comps[idx];
        CompRef {
            comp,
            props: &self.props[comp.props.clone()],
        }
    }

    /// How many components the tree holds.
    pub fn len(&self) -> usize {
        self.comps.len()
    }

    /// The child components of component `idx`, in document order, with their indices.
    pub fn children<'s>(
        &'s self,
        idx: usize,
    ) -> impl Iterator<Item = (usize, CompRef<'s, 'a>)> + 's {
        let mut next = self.comps[idx].first_child;
        std::iter::from_fn(move || {
            let i = usize::try_from(next).ok().filter(|_| next != NONE)?;
            let comp = self.comp(i);
            next = comp.next_sibling;
            Some((i, comp))
        })
    }

    /// Parses the first top-level component (and everything inside it) of `bytes`, with the
    /// crate's one content-line lexer ([`crate::scan::Scanner`]).
    pub fn parse(bytes: &'a [u8]) -> Result<Tree<'a>, TreeError> {
        let mut builder = TreeBuilder::new(bytes);
        let mut scanner = Scanner::new(bytes);
        while let Some(line) = scanner.next_line() {
            if !builder.push(&line, line.keyword(), scanner.position())? {
                break;
            }
        }
        if let Some(e) = scanner.take_error() {
            return Err(TreeError::Syntax {
                line: e.line as usize,
                reason: e.reason,
            });
        }
        builder.finish()
    }
}

/// Builds a [`Tree`] from content lines as the lexer yields them, so that a caller already
/// scanning a body (validation, in `crate::ical`) gets the tree from the same pass.
pub(crate) struct TreeBuilder<'a> {
    /// The whole body as text when it is valid UTF-8 (one check, not one per line).
    whole: Option<&'a str>,
    comps: Vec<Comp<'a>>,
    props: Vec<Prop<'a>>,
    /// The component each property belongs to, kept only once a property came after another
    /// component's (a property after a child's END): [`TreeBuilder::finish`] then groups them.
    /// Empty for the bodies clients write, whose properties come before their subcomponents.
    owners: Vec<u32>,
    stack: Vec<usize>,
    /// The first top-level component has ended and another began: later lines are ignored.
    done: bool,
}

impl<'a> TreeBuilder<'a> {
    pub fn new(src: &'a [u8]) -> Self {
        Self::with_text(src, std::str::from_utf8(src).ok())
    }

    /// A builder for `src` whose UTF-8 check the caller already made: `text` is `src` as text,
    /// or `None` when it is not UTF-8 as a whole.
    pub fn with_text(src: &'a [u8], text: Option<&'a str>) -> Self {
        debug_assert!(text.is_none_or(|t| t.as_ptr() == src.as_ptr() && t.len() == src.len()));
        TreeBuilder {
            whole: text,
            // A calendar object holds a handful of components (calendar, event, alarm, zone
            // and its two rules): room for them without growing.
            comps: Vec::with_capacity(8),
            // About one property per 48 bytes of body (a client's 1.9 KB event holds 40),
            // bounded so that one long folded line does not reserve room for thousands.
            props: Vec::with_capacity((src.len() / 48).clamp(8, 128)),
            owners: Vec::new(),
            stack: Vec::with_capacity(4),
            done: false,
        }
    }

    /// The text of `range` of the body when the body is text and the line has no fold: the
    /// common case, taken without building the unfolded view first.
    #[inline]
    fn plain(&self, line: &ContentLine<'a>, range: &Range<usize>) -> Option<&'a str> {
        match self.whole {
            Some(w) if !line.is_folded() => w.get(range.clone()),
            _ => None,
        }
    }

    /// The value of a BEGIN or END line as text.
    fn value_text(&self, line: &ContentLine<'a>) -> Result<Cow<'a, str>, TreeError> {
        if let Some(v) = self.plain(line, &line.value_range()) {
            return Ok(Cow::Borrowed(v));
        }
        let not_text = TreeError::NotUtf8 {
            line: line.line as usize,
        };
        match line.value() {
            Cow::Borrowed(b) => std::str::from_utf8(b)
                .map(Cow::Borrowed)
                .map_err(|_| not_text),
            Cow::Owned(v) => String::from_utf8(v).map(Cow::Owned).map_err(|_| not_text),
        }
    }

    /// A property line as a [`Prop`]: name, parameters and value as one text, borrowed from
    /// the body when it can be. A folded line is unfolded into one copy. The parts split at
    /// ASCII bytes (`;`, `:`), so the text is UTF-8 exactly when each part is.
    fn prop(&self, line: &ContentLine<'a>, raw: Range<usize>) -> Result<Prop<'a>, TreeError> {
        let start = line.name_range().start;
        let end = line.value_range().end;
        let not_text = TreeError::NotUtf8 {
            line: line.line as usize,
        };
        if !line.is_folded() {
            let text = match self.plain(line, &(start..end)) {
                Some(text) => text,
                None => std::str::from_utf8(&line.source()[start..end]).map_err(|_| not_text)?,
            };
            return Ok(Prop {
                text: Cow::Borrowed(text),
                params_at: line.params_range().start - start,
                value_at: line.value_range().start - start,
                raw,
            });
        }
        let mut buf = Vec::with_capacity(end - start);
        let (params_at, value_at) = line.write_unfolded(&mut buf);
        Ok(Prop {
            text: Cow::Owned(String::from_utf8(buf).map_err(|_| not_text)?),
            params_at,
            value_at,
            raw,
        })
    }

    /// Adds one content line, which ends (line ending included) at byte `end` and does what
    /// `keyword` says (the caller has asked [`ContentLine::keyword`] already). `Ok(false)`
    /// once the first top-level component is complete and another begins.
    pub fn push(
        &mut self,
        line: &ContentLine<'a>,
        keyword: Keyword,
        end: usize,
    ) -> Result<bool, TreeError> {
        if self.done {
            return Ok(false);
        }
        let number = line.line as usize;
        let raw = line.span().start..end;
        if keyword == Keyword::Property {
            let prop = self.prop(line, raw)?;
            if let Some(&idx) = self.stack.last() {
                let at = self.props.len();
                let range = &mut self.comps[idx].props;
                if range.end == at && self.owners.is_empty() {
                    range.end += 1;
                } else {
                    self.note_owner(idx);
                }
                self.props.push(prop);
            }
            return Ok(true);
        }
        let value = self.value_text(line)?;
        if keyword == Keyword::Begin {
            if self.stack.len() >= MAX_DEPTH {
                return Err(TreeError::TooDeep);
            }
            if self.stack.is_empty() && !self.comps.is_empty() {
                self.done = true;
                return Ok(false);
            }
            let name = match value {
                Cow::Borrowed(v) => Cow::Borrowed(trim(v)),
                Cow::Owned(v) => Cow::Owned(trim(&v).to_string()),
            };
            let idx = self.comps.len();
            // At most `ical::MAX_COMPONENTS` components are read, far below u32::MAX.
            let link = u32::try_from(idx).map_err(|_| TreeError::TooDeep)?;
            self.comps.push(Comp {
                name,
                props: self.props.len()..self.props.len(),
                first_child: NONE,
                last_child: NONE,
                next_sibling: NONE,
                raw,
            });
            if let Some(&parent) = self.stack.last() {
                match self.comps[parent].last_child {
                    NONE => self.comps[parent].first_child = link,
                    last => self.comps[last as usize].next_sibling = link,
                }
                self.comps[parent].last_child = link;
            }
            self.stack.push(idx);
        } else if keyword == Keyword::End {
            let Some(idx) = self.stack.pop() else {
                return Err(TreeError::Unbalanced {
                    line: number,
                    reason: "END without BEGIN",
                });
            };
            // Written the same way as the BEGIN nearly always: compared as bytes first.
            let name = trim(&value);
            if *self.comps[idx].name != *name && !self.comps[idx].name.eq_ignore_ascii_case(name) {
                return Err(TreeError::Unbalanced {
                    line: number,
                    reason: "END does not match BEGIN",
                });
            }
            self.comps[idx].raw.end = raw.end;
            if self.stack.is_empty() {
                self.done = true;
            }
        }
        Ok(true)
    }

    /// The property the last [`TreeBuilder::push`] added, if it added one.
    pub fn last_prop(&self) -> Option<&Prop<'a>> {
        // A property is added whenever a component is open.
        self.stack.last()?;
        self.props.last()
    }

    /// Records that the next property belongs to component `idx` although it does not follow
    /// that component's others: from here on every property's component is kept, and
    /// [`TreeBuilder::finish`] groups them.
    #[cold]
    fn note_owner(&mut self, idx: usize) {
        if self.owners.is_empty() {
            self.owners = vec![0; self.props.len()];
            for (c, comp) in self.comps.iter().enumerate() {
                for k in comp.props.clone() {
                    self.owners[k] = c as u32;
                }
            }
        }
        self.owners.push(idx as u32);
    }

    /// Groups the properties by component, each in document order, when some came after
    /// another component's ([`TreeBuilder::note_owner`]).
    #[cold]
    fn group_props(&mut self) {
        let mut order: Vec<usize> = (0..self.props.len()).collect();
        // Stable: a component's properties keep their order.
        order.sort_by_key(|&k| self.owners[k]);
        let mut slots: Vec<Option<Prop<'a>>> = std::mem::take(&mut self.props)
            .into_iter()
            .map(Some)
            .collect();
        for comp in &mut self.comps {
            comp.props = 0..0;
        }
        for (at, &k) in order.iter().enumerate() {
            let owner = self.owners[k] as usize;
            let range = &mut self.comps[owner].props;
            if range.start == range.end {
                *range = at..at;
            }
            range.end = at + 1;
            self.props.extend(slots[k].take());
        }
        self.owners.clear();
    }

    pub fn finish(mut self) -> Result<Tree<'a>, TreeError> {
        if !self.stack.is_empty() {
            return Err(TreeError::Unbalanced {
                line: 0,
                reason: "component not closed",
            });
        }
        if self.comps.is_empty() {
            return Err(TreeError::Empty);
        }
        if !self.owners.is_empty() {
            self.group_props();
        }
        Ok(Tree {
            comps: self.comps,
            props: self.props,
        })
    }
}

/// `s.trim()`, with the common case (a value with no white space at either end) answered from
/// its two end bytes: `str::trim` decodes and classifies a character at each end, which cost
/// more than the date parse it usually comes before.
pub(crate) fn trim(s: &str) -> &str {
    match s.as_bytes() {
        [only] if only.is_ascii_graphic() => s,
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => s,
        _ => s.trim(),
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
    // The ranges split at ASCII bytes, so they are character boundaries of `raw`.
    crate::scan::param_ranges(raw.as_bytes()).map(|(name, value)| match value {
        Some(v) => (&raw[name], &raw[v]),
        None => ("TYPE", &raw[name]),
    })
}

/// `s` without the double quotes at its start and end (as `trim_matches('"')`, byte by byte).
fn trim_quotes(s: &str) -> &str {
    let b = s.as_bytes();
    let start = b.iter().position(|&c| c != b'"').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b'"').map_or(start, |i| i + 1);
    // Both ends are next to an ASCII quote or at an end of `s`: character boundaries.
    &s[start..end]
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
        Some(trim_quotes(item.trim_ascii()))
    })
}

#[cfg(test)]
mod tests {
    use super::Tree;

    fn names(props: &[super::Prop<'_>]) -> Vec<String> {
        props.iter().map(|p| p.value().to_string()).collect()
    }

    /// The properties of one list stay grouped by component, in document order, when a
    /// component's property comes after a child's END (some exporters write that).
    #[test]
    fn properties_after_a_child_stay_with_their_component() {
        let body = b"BEGIN:VCALENDAR\r\nA:1\r\nBEGIN:VEVENT\r\nB:2\r\nBEGIN:VALARM\r\nC:3\r\n\
END:VALARM\r\nD:4\r\nBEGIN:VALARM\r\nF:6\r\nEND:VALARM\r\nEND:VEVENT\r\nE:5\r\nEND:VCALENDAR\r\n";
        let tree = Tree::parse(body).unwrap();
        assert_eq!(names(tree.root().props()), ["1", "5"]);
        let (event, _) = tree.children(0).next().unwrap();
        assert_eq!(names(tree.comp(event).props()), ["2", "4"]);
        let alarms: Vec<Vec<String>> = tree
            .children(event)
            .map(|(_, c)| names(c.props()))
            .collect();
        assert_eq!(alarms, [["3"], ["6"]]);
        assert_eq!(tree.comp(event).prop("D").map(|p| p.value()), Some("4"));
    }
}
