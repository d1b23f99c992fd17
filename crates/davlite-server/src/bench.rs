//! `davlite bench ARGS...`: the load generator of the `davlite-bench` crate, shipped in the same
//! binary so a single download can measure any CalDAV/CardDAV server.

use std::process::ExitCode;

/// Forwards the arguments after `bench` to the benchmark tool.
pub fn run(args: Vec<String>) -> ExitCode {
    forward_to_davlite_bench(args)
}

/// The benchmark crate has no command-line entry point yet; this is where it gets called.
fn forward_to_davlite_bench(args: Vec<String>) -> ExitCode {
    let _ = args;
    eprintln!(
        "davlite bench: the benchmark tool (crate davlite-bench) has no command-line entry point in this build"
    );
    ExitCode::from(2)
}
