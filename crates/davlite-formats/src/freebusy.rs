//! Free-busy time (RFC 4791 §7.10).

use crate::TimeSpan;
use crate::recurrence::Calendar;

/// Extent of a VFREEBUSY component: its FREEBUSY periods, else DTSTART..DTEND.
pub(crate) fn component_extent(cal: &Calendar<'_>, idx: usize) -> Option<TimeSpan> {
    let _ = (cal, idx);
    None
}
