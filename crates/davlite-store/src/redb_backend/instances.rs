//! Event instance index: for an event object whose instances the parser could list exactly, the
//! span of each one, so a calendar-query with a VEVENT time-range is decided without reading and
//! parsing the body. A recurring series is a span-index candidate for every week it covers;
//! this table is what tells the weeks it actually occupies.
//!
//! A row is the instances' `(start, end)` pairs as little-endian i64s, 16 bytes each, sorted by
//! start, then one flag byte: 1 when the instances depend on the zone floating DATE-TIMEs and
//! all-day DATEs are read in (`ObjectInfo::floating`; the pairs read them as UTC), else 0. A row
//! of whole pairs without the byte was written before the flag existed and counts as floating.
//! An event whose one instance is its span, fixed in time, has no row: its object record says
//! so (`ObjRec::single_instance`, store format 3), and the reads below take the span from it.
//! Otherwise no row means "not indexed" (the list was not exact, or the object was stored
//! before the table existed), never "no instances": the caller then evaluates the body.

use davlite_formats::TimeSpan;

use crate::error::{Result, StoreError};
use crate::redb_backend::codec::ObjRec;
use crate::redb_backend::reader::RedbReader;

const PAIR: usize = 16;

pub(crate) fn pack(spans: &[TimeSpan], floating: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(spans.len() * PAIR + 1);
    for s in spans {
        out.extend_from_slice(&s.start.to_le_bytes());
        out.extend_from_slice(&s.end.to_le_bytes());
    }
    out.push(u8::from(floating));
    out
}

/// Whether a row's instances depend on the floating zone (a row without the flag byte may).
pub(crate) fn floating(row: &[u8], name: &str) -> Result<bool> {
    match row.len() % PAIR {
        0 => Ok(true),
        1 => match row.last() {
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            _ => Err(corrupt(name)),
        },
        _ => Err(corrupt(name)),
    }
}

fn corrupt(name: &str) -> StoreError {
    StoreError::Corrupt {
        detail: format!("event instances of {name:?} are not whole pairs and a flag"),
    }
}

/// The pairs of a row, without copying it; `Corrupt` when its length is not whole pairs (and
/// the flag byte).
pub(crate) fn pairs<'r>(row: &'r [u8], name: &str) -> Result<impl Iterator<Item = TimeSpan> + 'r> {
    floating(row, name)?;
    let row = &row[..row.len() - row.len() % PAIR];
    Ok(row.chunks_exact(PAIR).map(|c| {
        let (s, e) = c.split_at(8);
        TimeSpan {
            start: i64::from_le_bytes(s.try_into().unwrap_or_default()),
            end: i64::from_le_bytes(e.try_into().unwrap_or_default()),
        }
    }))
}

pub(crate) fn unpack(row: &[u8], name: &str) -> Result<Vec<TimeSpan>> {
    Ok(pairs(row, name)?.collect())
}

impl RedbReader {
    /// Whether an instance of event object `name` overlaps `[start, end)`, for a query whose floating zone (RFC 4791 §9.9) is
    /// UTC (`floating_utc`) or another: then an object whose instances depend on that zone is
    /// `None`, left to its body.
    pub fn event_instances_overlap_in(
        &self,
        coll: &str,
        name: &str,
        start: i64,
        end: i64,
        floating_utc: bool,
    ) -> Result<Option<bool>> {
        let Some(id) = self.id_of(coll)? else {
            return Ok(None);
        };
        let Some(row) = self.snap().instances.get((id, name))? else {
            return Ok(self
                .single_instance(id, name)?
                .map(|s| start < s.end && s.start < end));
        };
        if !floating_utc && floating(row.value(), name)? {
            return Ok(None);
        }
        for s in pairs(row.value(), name)? {
            // Sorted by start: nothing further on can begin before `end`.
            if s.start >= end {
                break;
            }
            if start < s.end {
                return Ok(Some(true));
            }
        }
        Ok(Some(false))
    }

    /// The indexed instance spans of an object, `None` when it has none indexed.
    pub fn event_instances(&self, coll: &str, name: &str) -> Result<Option<Vec<TimeSpan>>> {
        let Some(id) = self.id_of(coll)? else {
            return Ok(None);
        };
        match self.snap().instances.get((id, name))? {
            Some(row) => Ok(Some(unpack(row.value(), name)?)),
            None => Ok(self.single_instance(id, name)?.map(|s| vec![s])),
        }
    }

    /// The one instance an object's record holds, if it holds one (see the module's doc).
    fn single_instance(&self, id: u64, name: &str) -> Result<Option<TimeSpan>> {
        match self.snap().objects.get((id, name))? {
            Some(rec) => ObjRec::stored_single_instance(rec.value()),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::*;
    use redb::ReadableTableMetadata;

    const DAY: i64 = 86_400;
    /// Monday 2024-03-04 00:00 UTC.
    const MAR4: i64 = 1_709_510_400;

    /// Weekly on Mondays 09:00-10:00 UTC from 2024-03-04, `count` times, minus `exdate`.
    fn weekly(uid: &str, count: u32, extra: &str) -> ParsedObject {
        let body = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n\
             UID:{uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240304T090000Z\r\n\
             DTEND:20240304T100000Z\r\nRRULE:FREQ=WEEKLY;COUNT={count}\r\n{extra}\
             END:VEVENT\r\nEND:VCALENDAR\r\n"
        );
        ParsedObject::calendar(body.into_bytes()).unwrap()
    }

    fn week(n: i64) -> (i64, i64) {
        (MAR4 + n * 7 * DAY, MAR4 + (n + 1) * 7 * DAY)
    }

    fn overlap(store: &Store, coll: &str, name: &str, w: i64) -> Option<bool> {
        let (s, e) = week(w);
        store
            .read()
            .unwrap()
            .event_instances_overlap(coll, name, s, e)
            .unwrap()
    }

    fn calendar_store() -> Store {
        calendar_backend().1
    }

    fn calendar_backend() -> (RedbStore, Store) {
        let redb = RedbStore::in_memory(Options::default()).unwrap();
        let store = Store::new(redb.clone());
        for c in ["a", "b"] {
            let new = NewCollection {
                kind: CollectionKind::Calendar,
                ..Default::default()
            };
            store.create_collection(c, new).unwrap();
        }
        (redb, store)
    }

    /// Instance rows left in the table, whatever the object records say.
    fn instance_rows(redb: &RedbStore) -> u64 {
        let reader = RedbReader::begin(&redb.engine.db().unwrap()).unwrap();
        reader.snap().instances.len().unwrap()
    }

    fn assert_sound(store: &Store) {
        let report = store.verify().unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    }

    #[test]
    fn put_update_and_delete_keep_the_row_in_step() {
        let (redb, store) = calendar_backend();
        let obj = weekly("u1", 4, "EXDATE:20240311T090000Z\r\n");
        let listed = obj.info().event_instances.clone().unwrap();
        assert_eq!(listed.len(), 3);
        store.put("a", "e.ics", obj, Precondition::None).unwrap();
        assert_eq!(
            store.read().unwrap().event_instances("a", "e.ics").unwrap(),
            Some(listed)
        );
        assert_eq!(overlap(&store, "a", "e.ics", 0), Some(true));
        assert_eq!(overlap(&store, "a", "e.ics", 1), Some(false), "EXDATE");
        assert_eq!(overlap(&store, "a", "e.ics", 3), Some(true));
        assert_eq!(overlap(&store, "a", "e.ics", 4), Some(false), "after COUNT");
        assert_eq!(overlap(&store, "a", "e.ics", -1), Some(false));
        // Edges: the instance is [09:00, 10:00) on Monday.
        let r = store.read().unwrap();
        let nine = MAR4 + 9 * 3600;
        assert_eq!(
            r.event_instances_overlap("a", "e.ics", nine - 60, nine)
                .unwrap(),
            Some(false)
        );
        assert_eq!(
            r.event_instances_overlap("a", "e.ics", nine + 3600, nine + 7200)
                .unwrap(),
            Some(false)
        );
        assert_eq!(
            r.event_instances_overlap("a", "e.ics", nine + 3599, nine + 7200)
                .unwrap(),
            Some(true)
        );
        drop(r);

        // A longer series replaces the row; an unbounded one removes it.
        store
            .put("a", "e.ics", weekly("u1", 10, ""), Precondition::None)
            .unwrap();
        assert_eq!(overlap(&store, "a", "e.ics", 1), Some(true));
        assert_eq!(overlap(&store, "a", "e.ics", 9), Some(true));
        let open = crate::conformance::fixtures::weekly_unbounded("u1");
        store.put("a", "e.ics", open, Precondition::None).unwrap();
        assert_eq!(overlap(&store, "a", "e.ics", 1), None);
        store
            .put("a", "e.ics", weekly("u1", 2, ""), Precondition::None)
            .unwrap();
        assert_eq!(overlap(&store, "a", "e.ics", 1), Some(true));
        assert_sound(&store);

        store.delete("a", "e.ics", Precondition::None).unwrap();
        assert_eq!(overlap(&store, "a", "e.ics", 0), None);
        assert_eq!(instance_rows(&redb), 0);
        assert_sound(&store);
    }

    /// Most events have one instance, their span: the object's record holds it, no row is
    /// written, and the query still decides without the body.
    #[test]
    fn a_single_instance_lives_in_the_record() {
        let (redb, store) = calendar_backend();
        store
            .put("a", "one.ics", weekly("u1", 1, ""), Precondition::None)
            .unwrap();
        assert_eq!(instance_rows(&redb), 0);
        let nine = MAR4 + 9 * 3600;
        let one = TimeSpan {
            start: nine,
            end: nine + 3600,
        };
        let r = store.read().unwrap();
        assert_eq!(r.event_instances("a", "one.ics").unwrap(), Some(vec![one]));
        assert_eq!(
            r.event_instances_overlap("a", "one.ics", nine - 60, nine)
                .unwrap(),
            Some(false)
        );
        assert_eq!(
            r.event_instances_overlap("a", "one.ics", nine + 3599, nine + 7200)
                .unwrap(),
            Some(true)
        );
        drop(r);
        assert_eq!(overlap(&store, "a", "one.ics", 1), Some(false));

        // Becoming a series writes the row; a single instance again removes it.
        store
            .put("a", "one.ics", weekly("u1", 3, ""), Precondition::None)
            .unwrap();
        assert_eq!(instance_rows(&redb), 1);
        assert_eq!(overlap(&store, "a", "one.ics", 2), Some(true));
        store
            .put("a", "one.ics", weekly("u1", 1, ""), Precondition::None)
            .unwrap();
        assert_eq!(instance_rows(&redb), 0);
        assert_eq!(overlap(&store, "a", "one.ics", 2), Some(false));
        assert_sound(&store);

        // A row beside a record that holds the instance is one too many.
        redb.write(move |tx| {
            let id = tx.coll("a")?.map_or(0, |c| c.0);
            tx.instances
                .insert((id, "one.ics"), pack(&[one], false).as_slice())?;
            Ok(())
        })
        .unwrap();
        let report = store.verify().unwrap();
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.contains("one.ics") && p.contains("record holds")),
            "{:?}",
            report.problems
        );
    }

    #[test]
    fn copies_and_moves_take_the_row_along() {
        let (redb, store) = calendar_backend();
        store
            .put("a", "e.ics", weekly("u1", 3, ""), Precondition::None)
            .unwrap();
        store
            .put("a", "f.ics", weekly("u2", 1, ""), Precondition::None)
            .unwrap();
        store
            .copy(("a", "e.ics"), ("b", "e.ics"), false, Precondition::None)
            .unwrap();
        assert_eq!(overlap(&store, "b", "e.ics", 2), Some(true));
        assert_eq!(overlap(&store, "a", "e.ics", 2), Some(true));
        // A move over an object with a shorter series: the destination row is the source's.
        store
            .move_object(("a", "e.ics"), ("a", "f.ics"), true, Precondition::None)
            .unwrap();
        assert_eq!(overlap(&store, "a", "e.ics", 0), None);
        assert_eq!(overlap(&store, "a", "f.ics", 2), Some(true));
        store
            .put("b", "e.ics", weekly("u1", 1, ""), Precondition::None)
            .unwrap();
        assert_eq!(overlap(&store, "b", "e.ics", 2), Some(false));
        store
            .move_object(("a", "f.ics"), ("b", "e.ics"), true, Precondition::None)
            .unwrap();
        assert_eq!(overlap(&store, "a", "f.ics", 2), None);
        assert_eq!(overlap(&store, "b", "e.ics", 2), Some(true));
        assert_sound(&store);

        // Whole collections: a copy gets rows of its own, a move keeps them, a delete drops them.
        store.copy_collection("b", "c", false).unwrap();
        assert_eq!(overlap(&store, "c", "e.ics", 2), Some(true));
        store.move_collection("c", "d", false).unwrap();
        assert_eq!(overlap(&store, "d", "e.ics", 2), Some(true));
        assert_eq!(overlap(&store, "c", "e.ics", 2), None);
        store.delete_collection("b").unwrap();
        assert_eq!(overlap(&store, "b", "e.ics", 2), None);
        assert_eq!(overlap(&store, "d", "e.ics", 2), Some(true));
        assert_sound(&store);
        store.delete_collection("d").unwrap();
        assert_eq!(instance_rows(&redb), 0);
        assert_sound(&store);
    }

    #[test]
    fn verify_reports_rows_that_do_not_belong() {
        let (redb, store) = calendar_backend();
        store
            .put("a", "e.ics", weekly("u1", 3, ""), Precondition::None)
            .unwrap();
        assert_sound(&store);
        redb.write(|tx| {
            tx.instances.insert((999, "x.ics"), &[][..])?;
            let id = tx.coll("a")?.map_or(0, |c| c.0);
            let unsorted = [TimeSpan { start: 5, end: 6 }, TimeSpan { start: 1, end: 2 }];
            tx.instances
                .insert((id, "e.ics"), pack(&unsorted, false).as_slice())?;
            Ok(())
        })
        .unwrap();
        let problems = store.verify().unwrap().problems;
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("without an object")));
        assert!(problems.iter().any(|p| p.contains("not sorted")));
    }

    #[test]
    fn rows_round_trip_and_reject_partial_pairs() {
        let spans = vec![
            TimeSpan { start: -5, end: 7 },
            TimeSpan {
                start: i64::MIN,
                end: i64::MAX,
            },
        ];
        for flag in [false, true] {
            let row = pack(&spans, flag);
            assert_eq!(unpack(&row, "x").unwrap(), spans);
            assert_eq!(floating(&row, "x").unwrap(), flag);
            assert!(matches!(
                unpack(&row[..row.len() - 2], "x"),
                Err(StoreError::Corrupt { .. })
            ));
        }
        // A row from before the flag: whole pairs, read as floating.
        let legacy = &pack(&spans, false)[..32];
        assert_eq!(unpack(legacy, "x").unwrap(), spans);
        assert!(floating(legacy, "x").unwrap());
        assert!(unpack(&[], "x").unwrap().is_empty());
        let mut bad = pack(&spans, false);
        *bad.last_mut().unwrap() = 7;
        assert!(matches!(unpack(&bad, "x"), Err(StoreError::Corrupt { .. })));
    }

    /// All-day on 2024-03-10: as UTC `[00:00Z, 24:00Z)`. In New York it is 05:00Z..04:00Z the
    /// next day, so a query in another floating zone must not be answered from the row.
    #[test]
    fn floating_rows_are_left_to_the_body_for_a_query_in_another_zone() {
        let store = calendar_store();
        let body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n\
                    UID:d\r\nDTSTAMP:20240101T000000Z\r\nDTSTART;VALUE=DATE:20240310\r\n\
                    END:VEVENT\r\nEND:VCALENDAR\r\n";
        let obj = ParsedObject::calendar(body.as_bytes().to_vec()).unwrap();
        assert!(obj.info().floating);
        store.put("a", "d.ics", obj, Precondition::None).unwrap();
        store
            .put("a", "w.ics", weekly("w", 2, ""), Precondition::None)
            .unwrap();
        let midnight = 1_710_028_800;
        let r = store.read().unwrap();
        let q = |name: &str, utc: bool| {
            r.event_instances_overlap_in("a", name, midnight - 3600, midnight, utc)
                .unwrap()
        };
        assert_eq!(q("d.ics", true), Some(false));
        assert_eq!(q("d.ics", false), None);
        assert_eq!(
            q("w.ics", false),
            Some(false),
            "a UTC series is decided anyway"
        );
        // A copy keeps the flag.
        drop(r);
        store
            .copy(("a", "d.ics"), ("b", "d.ics"), true, Precondition::None)
            .unwrap();
        let r = store.read().unwrap();
        assert_eq!(
            r.event_instances_overlap_in("b", "d.ics", 0, 1, false)
                .unwrap(),
            None
        );
        drop(r);
        assert_sound(&store);
    }
}
