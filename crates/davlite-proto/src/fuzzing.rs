//! Entry points shared by the cargo-fuzz targets and the seeded tests in `cargo test`: each runs
//! every parser of one kind on arbitrary input. None may panic; errors are expected.

use crate::headers::{Depth, Destination, IfHeader, parse_if_match, parse_overwrite, parse_prefer};
use crate::request::{MkCol, PropFind, PropertyUpdate, Report};
use crate::value::PropValue;
use crate::write::MultistatusWriter;

/// Feeds `data` to every request-body parser, and writes back whatever dead property values
/// parsed, checking that they read back equal.
pub fn xml_request(data: &[u8]) {
    let _ = PropFind::parse(data);
    let _ = Report::parse(data);
    let _ = MkCol::parse(data);
    if let Ok(u) = PropertyUpdate::parse(data) {
        for op in u.ops {
            if let Some(v) = op.value {
                let xml = v.to_xml(&op.name);
                let back = PropValue::from_xml(xml.as_bytes()).expect("written value must parse");
                assert_eq!(
                    back,
                    (op.name.clone(), v.clone()),
                    "value did not round-trip"
                );
                let mut w = MultistatusWriter::new();
                w.response_propstat(
                    "/x",
                    &[crate::PropStat::ok(vec![crate::Prop::new(
                        op.name,
                        crate::PropContent::Raw(&v),
                    )])],
                );
                let _ = w.finish();
            }
        }
    }
}

/// Feeds `data` (as text) to every header parser.
pub fn headers(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Depth::parse(s);
    let _ = Destination::parse(s);
    let _ = parse_overwrite(Some(s));
    let _ = parse_prefer([s]);
    if let Ok(l) = parse_if_match(s) {
        let _ = l.matches_strong(None);
    }
    if let Ok(h) = IfHeader::parse(s) {
        let _ = h.evaluate(|_| Default::default());
    }
}
