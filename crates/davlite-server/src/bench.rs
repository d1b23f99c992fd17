//! `davlite bench ARGS...`: the load generator of the `davlite-bench` crate, shipped in the same
//! binary so a single download can measure any CalDAV/CardDAV server.

use std::process::ExitCode;

/// Forwards the arguments after `bench` to the benchmark tool.
pub fn run(args: Vec<String>) -> ExitCode {
    davlite_bench::cli_main(args)
}

/// Forwards the arguments after `bench-report` to the report writer: earlier JSON results,
/// possibly of several servers, to one HTML page with charts.
pub fn report(args: Vec<String>) -> ExitCode {
    davlite_bench::report_cli_main(args)
}
