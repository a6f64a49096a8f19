//! The `safegrade` command-line tool: flags, dispatch and exit codes.
//!
//! Each subcommand lives in its own module and returns an [`ExitCode`];
//! `main` only maps a fatal error (an unreadable file, a bad flag value) to
//! exit code 2 with its message on stderr. Files are read here, never in the
//! library.
//!
//! Nothing here prints with `println!` or `eprintln!`, which panic when the
//! reader of stdout or stderr has gone: `outln!` and `errln!` drop what the
//! reader no longer takes, and the command keeps its exit code.
#![deny(clippy::print_stdout, clippy::print_stderr)]

#[macro_use]
mod output;

mod atomic;

mod check;
mod choices;
mod clash;
mod encoding;
mod eval;
mod excel;
mod files;
mod gen;
mod manifest;
mod parquet;
mod report;
mod score;
#[cfg(feature = "serve")]
mod serve;
mod template;
mod test;
mod text;
mod verify;
mod xlsx_out;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use choices::{EvalFormat, Format, Lang};

/// Batch runs allocate many small per-firm buffers on several threads;
/// mimalloc serves them from thread-local pages (about a fifth of a run's
/// time went to glibc's allocator).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Evaluate one firm and print the result: as text on a terminal, as JSON otherwise.
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
        /// `text` for people, `json` (the result contract) for machines;
        /// defaults to text when stdout is a terminal, JSON otherwise.
        #[arg(long, value_enum)]
        format: Option<EvalFormat>,
        /// The language of the text: the rule set's Chinese or English
        /// labels (Chinese where a rule file has no English).
        #[arg(long, value_enum, default_value_t = Lang::Zh)]
        lang: Lang,
    },
    /// Write empty files to fill for `score`: the firm file and one file per
    /// list with the columns the rules read, and a column guide.
    Template {
        /// The rule file or scheme.
        #[arg(long)]
        rules: String,
        /// The folder includes and scheme steps must lie in; defaults to the
        /// folder of the rule file, or for a scheme the folder above it.
        #[arg(long, value_name = "DIR")]
        rules_root: Option<String>,
        /// Headers: Chinese labels (`zh`) or input names (`en`); the guide in that language.
        #[arg(long, value_enum, default_value_t = Lang::Zh)]
        lang: Lang,
        /// The firm file, `NAME.csv`; beside it `NAME.LIST.csv` for each list
        /// and `NAME.columns.csv`, the column guide.
        #[arg(long, value_name = "FILE.csv")]
        out: String,
        /// Start each file with a UTF-8 BOM (for Excel).
        #[arg(long)]
        bom: bool,
        /// Replace files that exist.
        #[arg(long)]
        force: bool,
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
    /// Serve the rule files of a folder over HTTP: questionnaires, evaluations and batches as JSON.
    #[cfg(feature = "serve")]
    Serve {
        #[command(flatten)]
        args: serve::ServeArgs,
    },
    /// Write a synthetic data set (firms and list files) for demos and benchmarks.
    Gen {
        /// Number of firms (1 to 10,000,000).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=gen::MAX_FIRMS))]
        firms: u64,
        /// Random seed, any number from 0 to 2^64 - 1: the same seed gives the same files.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The date the data is current to (YYYY-MM-DD).
        #[arg(long, default_value = "2026-06-30")]
        as_of: String,
        /// Output directory: a new or empty one, or one whose data files
        /// may be replaced with --force.
        #[arg(long)]
        out: String,
        /// Write into a directory that already holds files, replacing the
        /// data files of the same names.
        #[arg(long)]
        force: bool,
        /// The files: `csv`, or `parquet` (typed columns, the same rows).
        #[arg(long, value_enum, default_value_t = gen::GenFormat::Csv)]
        format: gen::GenFormat,
    },
    /// Print a shell completion script, e.g. `safegrade completions bash > ~/.local/share/bash-completion/completions/safegrade`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page, or write one page per command into a folder.
    Man {
        /// Write `safegrade.1` and `safegrade-COMMAND.1` here instead.
        #[arg(long, value_name = "DIR")]
        out: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match guarded(move || run(cli.command)) {
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
            errln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Check { rules, rules_root, format } => check::run(&rules, rules_root.as_deref(), format),
        Command::Test { rules, rules_root } => test::run(&rules, rules_root.as_deref()),
        Command::Eval { rules, rules_root, input, as_of, format, lang } => {
            let text =
                format.map_or_else(|| std::io::IsTerminal::is_terminal(&std::io::stdout()), |f| f == EvalFormat::Text);
            let text = text.then_some(lang);
            eval::run(&rules, rules_root.as_deref(), &input, as_of.as_deref(), text)
        }
        Command::Template { rules, rules_root, lang, out, bom, force } => {
            template::run(&rules, rules_root.as_deref(), lang, &out, bom, force)
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "safegrade", &mut script);
            write_stdout(&script)
        }
        Command::Man { out } => man(out.as_deref()),
        Command::Score { rules, explain, batch } => score::run(score::Mode::Score { rules: &rules, explain }, &batch),
        Command::Compare { rules, against, against_as_of, batch } => {
            let new = against.as_deref().unwrap_or(&rules);
            let mode = score::Mode::Compare { old: &rules, new, new_as_of: against_as_of.as_deref() };
            score::run(mode, &batch)
        }
        Command::Gen { firms, seed, as_of, out, force, format } => gen::run(firms, seed, &as_of, &out, force, format),
        Command::Verify { manifest } => verify::run(&manifest),
        #[cfg(feature = "serve")]
        Command::Serve { args } => serve::run(args),
    }
}

/// Writes bytes to stdout as they are (a completion script, a manual
/// page: generated from the command definitions, so free of untrusted
/// text); a reader gone early is not an error.
fn write_stdout(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// `safegrade man`: the main page on stdout, or every page into `out`,
/// all or none.
fn man(out: Option<&str>) -> anyhow::Result<ExitCode> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = out else {
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut page)?;
        return write_stdout(&page);
    };
    let mut pages = Vec::new();
    for c in std::iter::once(cmd.clone()).chain(cmd.get_subcommands().filter(|c| !c.is_hide_set()).cloned()) {
        let man = clap_mangen::Man::new(c);
        let mut page = Vec::new();
        man.render(&mut page)?;
        pages.push((std::path::Path::new(dir).join(man.get_filename()), page));
    }
    let mut staged = Vec::new();
    for (path, page) in &pages {
        staged.push(atomic::Staged::create("--out", path)?.finish_with(page)?);
    }
    atomic::commit_all(staged)?;
    for (path, _) in &pages {
        errln!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a command; a panic, which is a bug, becomes a fatal error (exit 2)
/// like any other, never a success. Unwinding has dropped every staged
/// output by then, so the files of earlier runs are as they were.
fn guarded(command: impl FnOnce() -> anyhow::Result<ExitCode> + std::panic::UnwindSafe) -> anyhow::Result<ExitCode> {
    std::panic::catch_unwind(command).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("no message");
        anyhow::bail!("internal error: {what}; please report this with the command and its input files")
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_is_a_fatal_error() {
        let err = super::guarded(|| panic!("a bug")).unwrap_err().to_string();
        assert_eq!(err, "internal error: a bug; please report this with the command and its input files");
        assert!(super::guarded(|| Ok(std::process::ExitCode::SUCCESS)).is_ok());
    }
}
