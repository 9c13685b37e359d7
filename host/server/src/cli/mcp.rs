//! `drydock mcp`: the MCP server over stdio, for an MCP host that starts Drydock itself (Claude Code, Claude
//! Desktop, Cursor, VS Code).
//!
//! The sandbox runs in this process with the same flags as `drydock serve`, acting as the data
//! directory's local operator account (created on first use, its password printed to stderr). Standard
//! output carries MCP messages and nothing else; every log line goes to stderr. The data directory is
//! locked: a `drydock serve` on the same directory makes this refuse to start, naming it (the MCP host can
//! use that server's `/mcp` instead).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use rmcp::ServiceExt;
use tokio::net::unix::pipe;

use super::{HostArgs, data_lock, serve, setup};
use crate::api::mcp::{Caller, DrydockMcp};

/// Flags of `drydock mcp`.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Directory of workflow files imported at start, as for `drydock serve`.
    #[arg(long, env = "DRYDOCK_WORKFLOWS")]
    pub workflows: Option<PathBuf>,
    #[command(flatten)]
    pub host: HostArgs,
}

pub async fn run(args: McpArgs) -> anyhow::Result<ExitCode> {
    let _lock = data_lock::take(&args.host.data_dir, "mcp")?;
    let runtime = setup::runtime_with_plugins(&args.host).await?;
    setup::report_loaded(&runtime, &args.host);
    let core = setup::open_core(&args.host, runtime).await?;
    if let Some((username, password, _token)) = core.ensure_first_operator().await? {
        eprintln!(
            "created the first operator `{username}` (password {password}); `drydock mcp` acts as this account"
        );
    }
    serve::import_workflows(&core, args.workflows.as_deref()).await?;
    let actor = core.local_operator().await?;
    tracing::info!(actor = actor.name, "drydock mcp is serving on stdio");
    let server = DrydockMcp::new(core, Caller::Fixed(actor));
    let running = match pipes() {
        Some(pipes) => server.serve(pipes).await,
        None => server.serve(rmcp::transport::stdio()).await,
    }
    .context("the MCP client did not start a session")?;
    running
        .waiting()
        .await
        .context("the MCP session ended with an error")?;
    Ok(ExitCode::SUCCESS)
}

/// Standard input and output as non-blocking pipes, when they are pipes (as an MCP host starts us). tokio's
/// `stdin()`/`stdout()` read and write on its blocking pool, which puts two thread hand-offs on every
/// message; a pipe is watched by the reactor like a socket instead. Anything else (a terminal, a file) keeps
/// the blocking-pool streams.
fn pipes() -> Option<(pipe::Receiver, pipe::Sender)> {
    use std::os::fd::AsFd;
    let input = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
    let output = std::io::stdout().as_fd().try_clone_to_owned().ok()?;
    let receiver = pipe::Receiver::from_owned_fd(input).ok()?;
    let sender = pipe::Sender::from_owned_fd(output).ok()?;
    Some((receiver, sender))
}
