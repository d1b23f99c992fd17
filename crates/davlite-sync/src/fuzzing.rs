//! Entry points shared by the cargo-fuzz target `fuzz/fuzz_targets/sync_answer.rs` and the
//! seeded test `tests/fuzz_seeded.rs`: what a hostile or broken server can answer. Not API:
//! hidden from the docs and free to change.

use crate::discover::RemoteKind;
use crate::engine;
use crate::xml;

/// Reads `data` as every answer the client reads is read: as a multistatus (listings,
/// multigets, discovery) and as a `DAV:error` body; then walks it as a first sync's listing of
/// a calendar and of an address book, with a batch size from its first byte. Whatever the
/// bytes, nothing panics and the walk keeps its promises (see `engine::check_first_listing`
/// in the crate's source). Returns how many bodies the two walks handed over.
pub fn server_answer(data: &[u8]) -> usize {
    let _ = xml::multistatus(data, "fuzz", |_| Ok(()));
    let _ = xml::error_conditions(data);
    let batch = 1 + usize::from(data.first().copied().unwrap_or(0) % 8);
    engine::check_first_listing(RemoteKind::Calendar, data, batch)
        + engine::check_first_listing(RemoteKind::AddressBook, data, batch)
}
