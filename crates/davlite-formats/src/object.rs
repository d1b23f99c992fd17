//! The result of parsing: the exact bytes plus the fields the store indexes.

/// What kind of resource a stored object is. Calendar kinds name the one component type the
/// object holds besides VTIMEZONE (RFC 4791 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum ObjectKind {
    Event,
    Todo,
    Journal,
    FreeBusy,
    /// A vCard (RFC 6350 / 2426).
    Card,
    /// Any other resource (plain WebDAV collections hold files of any media type).
    #[default]
    Other,
}

impl ObjectKind {
    /// Stable one-byte code for on-disk records.
    pub fn code(self) -> u8 {
        match self {
            ObjectKind::Event => 1,
            ObjectKind::Todo => 2,
            ObjectKind::Journal => 3,
            ObjectKind::FreeBusy => 4,
            ObjectKind::Card => 5,
            ObjectKind::Other => 0,
        }
    }

    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            1 => ObjectKind::Event,
            2 => ObjectKind::Todo,
            3 => ObjectKind::Journal,
            4 => ObjectKind::FreeBusy,
            5 => ObjectKind::Card,
            0 => ObjectKind::Other,
            _ => return None,
        })
    }

    /// The iCalendar component name, for calendar kinds.
    pub fn component_name(self) -> Option<&'static str> {
        match self {
            ObjectKind::Event => Some("VEVENT"),
            ObjectKind::Todo => Some("VTODO"),
            ObjectKind::Journal => Some("VJOURNAL"),
            ObjectKind::FreeBusy => Some("VFREEBUSY"),
            _ => None,
        }
    }

    pub fn is_calendar(self) -> bool {
        self.component_name().is_some()
    }
}

/// A set of calendar component kinds (a calendar's supported-calendar-component-set), as a bit set
/// of [`ObjectKind::code`] so it stores in one byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ComponentSet(pub u8);

impl ComponentSet {
    pub const NONE: ComponentSet = ComponentSet(0);
    /// VEVENT, VTODO, VJOURNAL, VFREEBUSY.
    pub const ALL_CALENDAR: ComponentSet = ComponentSet(0b1_1110);

    pub fn with(self, kind: ObjectKind) -> Self {
        ComponentSet(self.0 | (1 << kind.code()))
    }

    pub fn contains(self, kind: ObjectKind) -> bool {
        self.0 & (1 << kind.code()) != 0
    }

    pub fn iter(self) -> impl Iterator<Item = ObjectKind> {
        [
            ObjectKind::Event,
            ObjectKind::Todo,
            ObjectKind::Journal,
            ObjectKind::FreeBusy,
        ]
        .into_iter()
        .filter(move |k| self.contains(*k))
    }
}

/// A half-open interval of UTC seconds since the Unix epoch, `[start, end)`.
/// `i64::MIN` / `i64::MAX` stand for an open start / end (an unbounded recurrence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeSpan {
    pub start: i64,
    pub end: i64,
}

impl TimeSpan {
    pub const ALL: TimeSpan = TimeSpan {
        start: i64::MIN,
        end: i64::MAX,
    };

    /// Whether the span overlaps `[start, end)`.
    pub fn overlaps(&self, start: i64, end: i64) -> bool {
        self.start < end && start < self.end
    }
}

/// What the store indexes about an object, extracted once outside any transaction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectInfo {
    /// The UID shared by all components (iCalendar) or the vCard UID. `None` for plain resources.
    pub uid: Option<String>,
    pub kind: ObjectKind,
    /// The time the object occupies over all its instances; `None` when no time-range can match
    /// it (a journal without DTSTART, a card, a plain resource). A todo without any date spans
    /// [`TimeSpan::ALL`]: RFC 4791 §9.9 matches it to every range.
    pub span: Option<TimeSpan>,
    /// Number of recurrence instances; `None` when unbounded.
    pub instances: Option<u64>,
    /// Largest number of attendees in any one instance.
    pub max_attendees: u32,
    /// Earliest and latest date-time values in the object, for min/max-date-time checks.
    pub earliest: Option<i64>,
    pub latest: Option<i64>,
    /// The span of every instance of an event object (overrides, EXDATEs and RDATEs applied),
    /// sorted by start, such that a `VCALENDAR > VEVENT > time-range` filter matches exactly
    /// when one of them overlaps the range: the store keeps them so that query needs no body.
    /// A zero-length instance is one second long. `None` when the list would not be exact or
    /// small: anything but events, unbounded or very long series, bytes the recurrence engine
    /// cannot read.
    pub event_instances: Option<Vec<TimeSpan>>,
    /// Whether `event_instances` depend on the zone floating DATE-TIMEs and all-day DATEs are
    /// read in (they, like `span`, read them as UTC). A query in another floating zone (RFC 4791
    /// §9.9, RFC 7809) must not be decided from the list then. Meaningful only with
    /// `event_instances`.
    pub floating: bool,
}

/// Bytes a client sent, validated, with the fields the store indexes.
///
/// The fields are private so that the index data can only come from the bytes: the one way to
/// build a calendar or card object is to parse it ([`ParsedObject::calendar`],
/// [`ParsedObject::vcard`] and their `_with` forms), and an index that disagrees with the body
/// cannot be made, not even by a test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedObject {
    bytes: Vec<u8>,
    content_type: String,
    info: ObjectInfo,
}

impl ParsedObject {
    /// A resource of any media type in a plain collection: nothing is validated or indexed.
    pub fn opaque(bytes: Vec<u8>, content_type: impl Into<String>) -> Self {
        ParsedObject {
            bytes,
            content_type: content_type.into(),
            info: ObjectInfo::default(),
        }
    }

    /// Only the parsers in this crate build an object with index data.
    pub(crate) fn from_parts(bytes: Vec<u8>, content_type: String, info: ObjectInfo) -> Self {
        ParsedObject {
            bytes,
            content_type,
            info,
        }
    }

    /// Exactly the bytes that were validated; stored and served unchanged.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes, for a caller that keeps them after the index data is written.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The media type to serve the object with (`text/calendar; charset=utf-8; component=vevent`).
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// What the store indexes, as read from [`ParsedObject::bytes`].
    pub fn info(&self) -> &ObjectInfo {
        &self.info
    }

    /// The parts, for a store that writes them to different tables.
    pub fn into_parts(self) -> (Vec<u8>, String, ObjectInfo) {
        (self.bytes, self.content_type, self.info)
    }
}
