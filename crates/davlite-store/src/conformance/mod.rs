//! The conformance suite of the storage contract: one set of checks every backend must pass.
//! A backend that passes it is a backend. Each check is a plain function taking a [`Harness`];
//! [`crate::conformance_tests!`] turns the whole list into `#[test]`s in a backend's crate:
//!
//! ```ignore
//! static HARNESS: std::sync::LazyLock<MyHarness> = std::sync::LazyLock::new(MyHarness::start);
//! davlite_store::conformance_tests!(&*HARNESS);
//! ```
//!
//! Checks are grouped by concern in the modules below and re-exported here under their own
//! names; each takes a fresh store (or several) from the harness, so they run in parallel.
//! The checks use only the public API, and they are meant to be able to fail: each asserts the
//! exact answer the contract promises, not merely "no panic". Where the contract's prose is
//! silent, they pin the answer of the redb backend, the reference (for example `list` of a
//! missing collection is `NotFound` while `get` is `None`).
//!
//! For a harness:
//! - `fresh` is called once or more per check, concurrently from many tests; each store must
//!   start with no collections, no documents and no quota policy.
//! - `corrupt_body` gets a `Store` the harness made; [`Store::same_backend`] finds which one
//!   (see `tests/conformance.rs` of this crate, which keeps `(Store, RedbStore)` pairs).
//! - The races use 16 threads on one store; a backend answering `Busy` to any of them fails
//!   the check: the contract promises one winner and losers told why, not retries.
//! - The model check runs 4 x 400 operations, reading the whole state back after each.
//!
//! Not part of the stable API.

use crate::Store;

pub mod batches;
pub mod collections;
pub mod documents;
pub mod fixtures;
pub mod integrity;
pub mod model;
pub mod objects;
pub mod props;
pub mod quota;
pub mod races;
pub mod reads;
pub mod sync;

pub use batches::{
    a_batch_lands_whole_and_each_op_sees_the_ones_before, a_failing_op_writes_nothing_and_is_named,
    a_put_and_its_properties_act_as_two_ops, collection_props_expect_is_checked_in_the_write,
    collections_created_by_a_batch_land_with_it,
    racing_batches_exactly_one_wins_and_none_is_half_applied,
};
pub use collections::{
    collection_props_and_limits_update, collection_tree_rules,
    copy_collection_is_deep_and_independent, delete_collection_removes_members_and_frees_uids,
    move_collection_refuses_cycles_and_respects_overwrite,
};
pub use documents::documents_are_versioned_by_compare_and_swap;
pub use integrity::{a_corrupted_body_reads_as_corrupt, verify_is_clean_after_a_mixed_workload};
pub use model::model;
pub use objects::{
    copy_and_move_objects_check_uid_and_preconditions, delete_checks_existence_before_conditionals,
    kinds_and_components_are_enforced, limits_refuse_without_writing,
    list_returns_names_and_etags_in_order, overlapping_finds_spans_of_every_length,
    preconditions_follow_rfc_9110, put_then_get_returns_the_exact_bytes_and_a_blake3_etag,
    refused_puts_leave_every_row_as_it_was, uid_conflicts_name_the_holder,
    updates_move_span_rows_only_when_they_change,
};
pub use props::{
    deleted_objects_keep_their_props_while_the_tombstone_lasts,
    object_properties_live_and_die_with_the_object,
};
pub use quota::{
    collection_copy_counts_against_the_destination_owner,
    each_owner_has_their_own_limit_and_the_default_applies_to_the_rest,
};
pub use races::{
    concurrent_writers_and_readers_see_consistent_snapshots,
    racing_creates_of_one_name_exactly_one_wins, racing_document_writers_exactly_one_wins,
    racing_if_match_updates_exactly_one_wins, racing_writers_never_pass_the_quota,
    reads_never_go_back_in_time, sixteen_threads_racing_for_one_uid,
};
pub use reads::{
    counts_follow_writes, event_instances_follow_copies_and_moves,
    event_instances_follow_puts_and_deletes,
    floating_instances_are_left_to_the_body_in_another_zone, prefetched_reads_answer_as_plain_ones,
    scan_objects_in_name_order_and_resume_after, with_object_borrows_the_checked_body,
};
pub use sync::{
    a_batch_that_recreates_what_it_deleted_logs_each_name_once,
    a_bounded_handle_prunes_tombstones_as_it_deletes, a_moved_collection_keeps_its_id_and_tokens,
    change_log_is_compacted_and_tokens_are_checked,
    delete_recreate_loops_keep_the_change_log_exact,
    pruning_raises_the_floor_and_drops_only_tombstones,
    tokens_ahead_or_below_the_floor_are_invalid,
    tombstones_beyond_the_kept_number_are_pruned_oldest_first,
    truncated_changes_continue_without_loss_or_repeat,
};

/// What the suite needs from a backend under test.
pub trait Harness: Send + Sync {
    /// A fresh, empty store on the backend, isolated from every other store this harness made
    /// (tests run in parallel).
    fn fresh(&self) -> Store;
    /// Damages the stored body of `coll/name` in `store` behind the backend's back (flips a
    /// byte, keeping the recorded crc), so the suite can check that reads refuse it.
    fn corrupt_body(&self, store: &Store, coll: &str, name: &str);
}

/// Expands to one `#[test]` per conformance check, each calling it with `$harness` (an
/// expression of type `&impl Harness`, evaluated in each test).
#[macro_export]
macro_rules! conformance_tests {
    ($harness:expr) => {
        $crate::conformance_tests!(@each $harness;
            // collections
            collection_tree_rules
            collection_props_and_limits_update
            delete_collection_removes_members_and_frees_uids
            move_collection_refuses_cycles_and_respects_overwrite
            copy_collection_is_deep_and_independent
            // objects
            put_then_get_returns_the_exact_bytes_and_a_blake3_etag
            preconditions_follow_rfc_9110
            delete_checks_existence_before_conditionals
            uid_conflicts_name_the_holder
            refused_puts_leave_every_row_as_it_was
            kinds_and_components_are_enforced
            limits_refuse_without_writing
            list_returns_names_and_etags_in_order
            overlapping_finds_spans_of_every_length
            copy_and_move_objects_check_uid_and_preconditions
            updates_move_span_rows_only_when_they_change
            // dead properties of objects
            object_properties_live_and_die_with_the_object
            deleted_objects_keep_their_props_while_the_tombstone_lasts
            // reads
            scan_objects_in_name_order_and_resume_after
            with_object_borrows_the_checked_body
            counts_follow_writes
            event_instances_follow_puts_and_deletes
            event_instances_follow_copies_and_moves
            floating_instances_are_left_to_the_body_in_another_zone
            prefetched_reads_answer_as_plain_ones
            // races
            sixteen_threads_racing_for_one_uid
            racing_if_match_updates_exactly_one_wins
            racing_creates_of_one_name_exactly_one_wins
            concurrent_writers_and_readers_see_consistent_snapshots
            reads_never_go_back_in_time
            racing_writers_never_pass_the_quota
            racing_document_writers_exactly_one_wins
            // sync
            change_log_is_compacted_and_tokens_are_checked
            tokens_ahead_or_below_the_floor_are_invalid
            truncated_changes_continue_without_loss_or_repeat
            pruning_raises_the_floor_and_drops_only_tombstones
            tombstones_beyond_the_kept_number_are_pruned_oldest_first
            a_bounded_handle_prunes_tombstones_as_it_deletes
            delete_recreate_loops_keep_the_change_log_exact
            a_batch_that_recreates_what_it_deleted_logs_each_name_once
            a_moved_collection_keeps_its_id_and_tokens
            // quota
            each_owner_has_their_own_limit_and_the_default_applies_to_the_rest
            collection_copy_counts_against_the_destination_owner
            // integrity
            a_corrupted_body_reads_as_corrupt
            verify_is_clean_after_a_mixed_workload
            // documents
            documents_are_versioned_by_compare_and_swap
            // batches
            a_batch_lands_whole_and_each_op_sees_the_ones_before
            a_failing_op_writes_nothing_and_is_named
            a_put_and_its_properties_act_as_two_ops
            collections_created_by_a_batch_land_with_it
            racing_batches_exactly_one_wins_and_none_is_half_applied
            collection_props_expect_is_checked_in_the_write
            // the model
            model
        );
    };
    (@each $harness:expr; $($check:ident)*) => {
        $(
            #[test]
            fn $check() {
                $crate::conformance::$check($harness);
            }
        )*
    };
}
