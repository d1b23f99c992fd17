//! The conformance suite of the storage contract: one set of checks every backend must pass.
//! A backend that passes it is a backend. Each check is a plain function taking a [`Harness`];
//! [`crate::conformance_tests!`] turns the whole list into `#[test]`s in a backend's crate:
//!
//! ```ignore
//! static HARNESS: std::sync::LazyLock<MyHarness> = std::sync::LazyLock::new(MyHarness::start);
//! davlite_store::conformance_tests!(&*HARNESS);
//! ```
//!
//! Not part of the stable API.

use crate::Store;

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
        $crate::conformance_tests!(@each $harness;);
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
