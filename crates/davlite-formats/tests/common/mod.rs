//! Builders shared by the formats tests.
#![allow(dead_code)]

use davlite_formats::filter::CompFilter;

/// A UTC `YYYYMMDDTHHMMSSZ` time as Unix seconds.
pub fn utc(s: &str) -> i64 {
    chrono::NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ")
        .unwrap()
        .and_utc()
        .timestamp()
}

/// A comp-filter on `name` with nothing inside.
pub fn comp(name: &str) -> CompFilter {
    CompFilter {
        name: name.into(),
        is_not_defined: false,
        time_range: None,
        prop_filters: vec![],
        comp_filters: vec![],
    }
}
