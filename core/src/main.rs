//! The `safegrade` command-line tool: check, test and evaluate rule files.

mod cli;

/// Batch runs allocate many small per-firm buffers on several threads;
/// mimalloc serves them from thread-local pages (about a fifth of a run's
/// time went to glibc's allocator).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
