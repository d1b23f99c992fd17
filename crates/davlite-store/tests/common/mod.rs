//! Fixture builders for the redb-only integration tests: the conformance suite's own.

pub use davlite_store::conformance::fixtures::{
    self, CAL, assert_sound, calendar, event, event_bytes, plain,
};
