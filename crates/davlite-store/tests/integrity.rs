//! Integrity on redb's file: a byte flipped inside a body in the file itself (not through the
//! test hook the conformance suite's `a_corrupted_body_reads_as_corrupt` uses) is refused with
//! `Corrupt` after a reopen, the other objects stay readable, and `verify` names the checksum.

use crate::common;
use common::*;
use davlite_store::*;

#[test]
fn a_byte_flipped_in_the_file_reads_as_corrupt_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let marker = "UNIQUE-MARKER-0123456789-abcdefghijklmnopqrstuvwxyz";
    {
        let s = Store::open(&path, Options::default()).unwrap();
        s.create_collection("cals", plain("a")).unwrap();
        s.create_collection(CAL, calendar("a")).unwrap();
        s.put(CAL, "victim.ics", event("v", marker), Precondition::None)
            .unwrap();
        s.put(CAL, "bystander.ics", event("b", "fine"), Precondition::None)
            .unwrap();
        assert_sound(&s);
    }
    let mut bytes = std::fs::read(&path).unwrap();
    let hits: Vec<usize> = bytes
        .windows(marker.len())
        .enumerate()
        .filter(|(_, w)| *w == marker.as_bytes())
        .map(|(i, _)| i)
        .collect();
    assert!(
        !hits.is_empty(),
        "the body is stored verbatim somewhere in the file"
    );
    for at in hits {
        bytes[at + 10] ^= 0x20; // flip one bit inside the body
    }
    std::fs::write(&path, &bytes).unwrap();

    let s = Store::open(&path, Options::default()).unwrap();
    let e = s.get(CAL, "victim.ics").unwrap_err();
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e:?}");
    assert!(s.meta(CAL, "victim.ics").unwrap().is_some());
    assert_eq!(
        s.get(CAL, "bystander.ics").unwrap().unwrap().1,
        event_bytes("b", "fine")
    );
    let report = s.verify().unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("victim.ics") && p.contains("checksum")),
        "{report:?}"
    );
}
