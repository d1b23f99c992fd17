//! The crate's integration tests, one module per concern, compiled into one test binary
//! (a binary per file cost a link each and most of CI's time).

mod clients_apple;
mod clients_davx5;
mod clients_evolution;
mod clients_outlook;
mod clients_python_caldav;
mod clients_thunderbird;
mod clients_vdirsyncer;
mod collections;
mod common;
mod fuzz_seeded;
mod listing_plan;
mod preconditions_collections;
mod preconditions_conditional;
mod preconditions_copymove;
mod preconditions_lessons;
mod preconditions_put_calendar;
mod preconditions_put_contact;
mod preconditions_reports;
mod preconditions_transport;
mod propfind_sync;
mod put_get;
mod seed_mounts;
mod time_zones;
