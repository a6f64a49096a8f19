//! The `safegrade` command-line tool: check, test and evaluate rule files.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
