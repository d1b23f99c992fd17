//! The `davlite` binary; everything lives in the library so tests and benches can reach it.

fn main() -> std::process::ExitCode {
    davlite_server::cli::main()
}
