//! Query filters as data: the CalDAV calendar-query filter (RFC 4791 §9.7) and the CardDAV
//! addressbook-query filter (RFC 6352 §10.5). `davlite-proto` builds these from XML; this crate
//! evaluates them against stored bytes. Times are UTC seconds since the Unix epoch.

/// How text is compared (RFC 4790 collations a CalDAV/CardDAV server must offer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Collation {
    /// `i;ascii-casemap`: ASCII letters compared without case (the default).
    #[default]
    AsciiCasemap,
    /// `i;octet`: bytes compared exactly.
    Octet,
    /// `i;unicode-casemap` (RFC 5051): Unicode simple case folding.
    UnicodeCasemap,
}

impl Collation {
    /// Parses a collation identifier; `None` for one we do not support (answer
    /// `supported-collation`).
    pub fn parse(name: &str) -> Option<Collation> {
        match name {
            "i;ascii-casemap" => Some(Collation::AsciiCasemap),
            "i;octet" => Some(Collation::Octet),
            "i;unicode-casemap" => Some(Collation::UnicodeCasemap),
            _ => None,
        }
    }
}

/// CardDAV text-match `match-type`; CalDAV text-match is always `Contains`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchType {
    Equals,
    #[default]
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMatch {
    pub text: String,
    pub collation: Collation,
    pub match_type: MatchType,
    pub negate: bool,
}

/// `<C:time-range start=… end=…>`; either bound may be absent (open-ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub start: Option<i64>,
    pub end: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamFilter {
    /// Parameter name, upper-cased.
    pub name: String,
    pub is_not_defined: bool,
    pub text_match: Option<TextMatch>,
}

/// CalDAV `<C:prop-filter>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropFilter {
    /// Property name, upper-cased.
    pub name: String,
    pub is_not_defined: bool,
    pub time_range: Option<TimeRange>,
    pub text_match: Option<TextMatch>,
    pub param_filters: Vec<ParamFilter>,
}

/// CalDAV `<C:comp-filter>`; the filter's root is the VCALENDAR comp-filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompFilter {
    /// Component name, upper-cased (`VCALENDAR`, `VEVENT`, `VALARM`, ...).
    pub name: String,
    pub is_not_defined: bool,
    pub time_range: Option<TimeRange>,
    pub prop_filters: Vec<PropFilter>,
    pub comp_filters: Vec<CompFilter>,
}

/// How several tests combine (CardDAV `test="anyof|allof"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Test {
    #[default]
    AnyOf,
    AllOf,
}

/// CardDAV `<CR:prop-filter>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardPropFilter {
    /// Property name, upper-cased.
    pub name: String,
    pub is_not_defined: bool,
    pub test: Test,
    pub text_matches: Vec<TextMatch>,
    pub param_filters: Vec<ParamFilter>,
}

/// CardDAV `<CR:filter>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CardFilter {
    pub test: Test,
    pub prop_filters: Vec<CardPropFilter>,
}
