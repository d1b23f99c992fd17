//! Why a benchmark could not run at all. Failed requests during a workload are not errors of
//! this kind: they are counted in the report, because they are a result.

/// A run that could not start or set itself up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// The URL is not an `http://host[:port]/path` URL (TLS is not supported by the driver).
    #[error("not a usable URL: {0}")]
    BadUrl(String),
    /// The host could not be resolved or reached.
    #[error("cannot reach {0}: {1}")]
    Connect(String, String),
    /// A command-line value is missing or malformed.
    #[error("bad arguments: {0}")]
    Usage(String),
    /// Preparing the run failed (creating a collection, discovering the address book, loading
    /// the objects a workload reads): the server's answer is quoted.
    #[error("setup failed: {0}")]
    Setup(String),
    /// The HTML report or one of its charts could not be drawn or written (the run itself
    /// completed and its figures were printed).
    #[error("cannot write the report: {0}")]
    Report(String),
    /// The async runtime could not be built.
    #[error("cannot start the runtime: {0}")]
    Runtime(#[from] std::io::Error),
}
