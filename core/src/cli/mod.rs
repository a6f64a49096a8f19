//! The command line: flags, dispatch and exit codes.
//!
//! Each subcommand lives in its own module and returns an [`ExitCode`];
//! `main` only maps a fatal error (an unreadable file, a bad flag value) to
//! exit code 2 with its message on stderr. Files are read here, never in the
//! library.

mod check;
mod eval;
mod files;
mod test;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Enterprise safety-credit and risk-grading scoring from rule files.
#[derive(Parser, Debug)]
#[command(name = "safegrade", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check rule files: syntax, names, types, grade bands. Exit 1 on errors.
    Check {
        /// Rule files, scheme files, or directories (searched for *.toml).
        #[arg(required = true)]
        rules: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Run the test cases embedded in rule files. Exit 1 on any failure.
    Test {
        /// Rule files, scheme files, or directories (searched for *.toml).
        #[arg(required = true)]
        rules: Vec<String>,
    },
    /// Evaluate one firm and print the result as JSON.
    Eval {
        /// The rule file or scheme.
        #[arg(long)]
        rules: String,
        /// The firm's data as JSON; `-` reads stdin.
        #[arg(long)]
        input: String,
        /// The date to assess as of (YYYY-MM-DD); defaults to today.
        #[arg(long)]
        as_of: Option<String>,
    },
}

/// How diagnostics are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// For people: snippets and help lines.
    Human,
    /// One JSON document for machines.
    Json,
}

pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Check { rules, format } => check::run(&rules, format),
        Command::Test { rules } => test::run(&rules),
        Command::Eval { rules, input, as_of } => eval::run(&rules, &input, as_of.as_deref()),
    };
    match res {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
