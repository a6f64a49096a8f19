//! The command line: flags, dispatch and exit codes.
//!
//! Each subcommand lives in its own module and returns an [`ExitCode`];
//! `main` only maps a fatal error (an unreadable file, a bad flag value) to
//! exit code 2 with its message on stderr. Files are read here, never in the
//! library.

mod atomic;
/// `println!` that returns an error instead of panicking when stdout is
/// closed early (`safegrade test rules/ | head`); `main` treats that as success.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)
    }};
}

mod check;
mod clash;
mod eval;
mod files;
mod gen;
mod manifest;
mod report;
mod score;
mod test;
mod verify;

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
        /// The folder includes and scheme steps must lie in; defaults to the
        /// folder of each rule file, or for a scheme the folder above it.
        #[arg(long, value_name = "DIR")]
        rules_root: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Run the test cases embedded in rule files. Exit 1 on any failure.
    Test {
        /// Rule files, scheme files, or directories (searched for *.toml).
        #[arg(required = true)]
        rules: Vec<String>,
        /// The folder includes and scheme steps must lie in; defaults to the
        /// folder of each rule file, or for a scheme the folder above it.
        #[arg(long, value_name = "DIR")]
        rules_root: Option<String>,
    },
    /// Evaluate one firm and print the result as JSON.
    Eval {
        /// The rule file or scheme.
        #[arg(long)]
        rules: String,
        /// The folder includes and scheme steps must lie in; defaults to the
        /// folder of each rule file, or for a scheme the folder above it.
        #[arg(long, value_name = "DIR")]
        rules_root: Option<String>,
        /// The firm's data as JSON; `-` reads stdin.
        #[arg(long)]
        input: String,
        /// The date to assess as of (YYYY-MM-DD); defaults to today.
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Score every firm of a CSV export: results, rejects, summary. Exit 3 when rows were rejected.
    Score {
        /// The rule file or scheme.
        #[arg(long)]
        rules: String,
        /// Add the items fired (with their points) and the overrides applied.
        #[arg(long)]
        explain: bool,
        #[command(flatten)]
        batch: score::BatchArgs,
    },
    /// Score the same firms under two rule versions (or as-of dates) and show who moves.
    Compare {
        /// The current rule file or scheme.
        #[arg(long)]
        rules: String,
        /// The new rule file or scheme (defaults to --rules, to compare two dates).
        #[arg(long)]
        against: Option<String>,
        /// The as-of date for the new side; defaults to --as-of.
        #[arg(long)]
        against_as_of: Option<String>,
        #[command(flatten)]
        batch: score::BatchArgs,
    },
    /// Re-score a `score` run from its manifest and report any difference.
    /// Exit 0 when identical, 1 when anything differs, 2 on an error.
    Verify {
        /// The manifest (`<out>.manifest.json`).
        manifest: String,
    },
    /// Write a synthetic data set (firms and list files) for demos and benchmarks.
    Gen {
        /// Number of firms.
        #[arg(long)]
        firms: u64,
        /// Random seed: the same seed gives the same files.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The date the data is current to (YYYY-MM-DD).
        #[arg(long, default_value = "2026-06-30")]
        as_of: String,
        /// Output directory.
        #[arg(long)]
        out: String,
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
        Command::Check { rules, rules_root, format } => check::run(&rules, rules_root.as_deref(), format),
        Command::Test { rules, rules_root } => test::run(&rules, rules_root.as_deref()),
        Command::Eval { rules, rules_root, input, as_of } => {
            eval::run(&rules, rules_root.as_deref(), &input, as_of.as_deref())
        }
        Command::Score { rules, explain, batch } => score::run(score::Mode::Score { rules: &rules, explain }, &batch),
        Command::Compare { rules, against, against_as_of, batch } => {
            let new = against.as_deref().unwrap_or(&rules);
            let mode = score::Mode::Compare { old: &rules, new, new_as_of: against_as_of.as_deref() };
            score::run(mode, &batch)
        }
        Command::Gen { firms, seed, as_of, out } => gen::run(firms, seed, &as_of, &out),
        Command::Verify { manifest } => verify::run(&manifest),
    };
    match res {
        Ok(code) => code,
        // The reader went away (`| head`): not an error of ours.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
