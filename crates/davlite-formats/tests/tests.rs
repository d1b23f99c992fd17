//! The crate's integration tests, one module per concern, compiled into one test binary
//! (a binary per file cost a link each and most of CI's time).

mod common;
mod corpus_golden;
mod event_instances;
mod filter_fuzz_seeds;
mod filter_query;
mod filter_time_range;
mod fuzz_seeded;
mod parse_once;
mod scanner;
mod split;
mod time_expand;
mod time_freebusy;
mod time_recurrence;
mod validation;
mod vcard;
