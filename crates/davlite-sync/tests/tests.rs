//! The crate's integration tests, one module per concern, compiled into one test binary. The
//! sync engine against real servers is tested from the workspace's `tests` crate, which starts
//! them.

mod fuzz_seeded;
