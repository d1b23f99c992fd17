//! The bench CLI on its own, for when the `davlite` binary is not built:
//! `cargo run --release -p davlite-bench --example bench -- --url ... --workload all`.

fn main() -> std::process::ExitCode {
    davlite_bench::cli_main(std::env::args().skip(1).collect())
}
