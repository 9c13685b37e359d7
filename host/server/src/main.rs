//! `drydock`: the binary. Parses the command line, starts logging, and hands over to a subcommand.
//!
//! Glue only (as in ripgrep): the work happens in the `drydock` library and the crates below it.

use clap::Parser;
use drydock::cli;

/// mimalloc, not the system's malloc: under load glibc's `malloc` and `free` were at the leaf of a fifth of
/// the server's samples, and an audited tool call allocates on every step (the store, WASI context, journal,
/// JSON). With mimalloc the HTTP bench served 14–29% more audited calls per second on the same two cores, in
/// runs interleaved with a glibc build (`docs/benchmarks.md`, "The allocator"). The benches that measure
/// Drydock in their own process declare it too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    // One TLS backend (ring) for every HTTP client of the process; see drydock_package::tls.
    drydock_package::tls::install_ring_provider();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DRYDOCK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal: a log file or a pipe gets plain text.
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", drydock::cli::error_chain(&err));
            std::process::ExitCode::FAILURE
        }
    }
}
