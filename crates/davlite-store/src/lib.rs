//! Placeholder: replaced by the store implementation.
#[derive(Clone)]
pub struct Store;
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {}
