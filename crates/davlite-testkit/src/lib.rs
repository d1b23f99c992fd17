//! What the tests of every davlite crate share, kept in one dev-only crate so no test file grows
//! its own copy: a seeded generator (a failure reproduces from its seed), the one way to find
//! the shared corpus of real-world files, and a throwaway PostgreSQL cluster
//! ([`postgres::PgCluster`], which only runs the installed binaries). No dependencies, so every
//! crate can use it.

mod corpus;
pub mod postgres;
mod rng;

pub use corpus::{corpus_dir, corpus_files, read_corpus};
pub use rng::Rng;
