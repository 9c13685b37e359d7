//! The CLI as a client of a running server (seed 003, on Drydock's API): `drydock login`, the interactive
//! `drydock shell` (prompt `drydock>`), and `drydock workflow list|run` for scripts. Everything goes through
//! the HTTP API with the stored token; nothing here opens the data directory.

mod credentials;
pub(crate) mod http;
mod login;
mod shell;
mod spinner;
mod workflow;

use std::process::ExitCode;

use clap::{Args, Subcommand};

pub use http::Server;

/// The server the CLI talks to, and how to reach it.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// The Drydock server (default: the one you logged in to, else http://127.0.0.1:8080).
    #[arg(long, env = "DRYDOCK_SERVER")]
    pub server: Option<String>,
}

/// `drydock login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// The username (asked when absent).
    #[arg(long)]
    username: Option<String>,
    /// Read the password from the first line of standard input instead of asking (for scripts).
    #[arg(long)]
    password_stdin: bool,
}

/// `drydock workflow ...`.
#[derive(Debug, Subcommand)]
pub enum WorkflowCommand {
    /// List the workflows: `1. <icon> <name> - <description>`.
    List {
        /// The server.
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Run a workflow, asking for its inputs and step validations as they come.
    Run {
        /// The server.
        #[command(flatten)]
        server: ServerArgs,
        /// The workflow's name (or its number in `workflow list`).
        name: String,
        /// Answers given in advance, `name=value`, used instead of asking (repeatable): `name` is one of
        /// the workflow's inputs, or an input node, which is then answered with `value` each time it asks.
        #[arg(long = "input", value_name = "NAME=VALUE")]
        inputs: Vec<String>,
        /// Accept every step that needs validation without asking (for scripts).
        #[arg(long)]
        yes: bool,
    },
}

/// Runs `drydock login`.
pub async fn login(args: LoginArgs) -> anyhow::Result<ExitCode> {
    login::run(args).await
}

/// Runs `drydock shell`.
pub async fn shell(args: ServerArgs) -> anyhow::Result<ExitCode> {
    shell::run(args).await
}

/// Runs `drydock workflow ...`.
pub async fn workflow(command: WorkflowCommand) -> anyhow::Result<ExitCode> {
    match command {
        WorkflowCommand::List { server } => {
            let server = connect(&server)?;
            workflow::list(&server, &mut std::io::stdout()).await?;
            Ok(ExitCode::SUCCESS)
        }
        WorkflowCommand::Run {
            server,
            name,
            inputs,
            yes,
        } => {
            let server = connect(&server)?;
            let mut io = shell::Terminal::stdio();
            let preset = workflow::parse_inputs(&inputs)?;
            let ok = workflow::run(&server, &name, preset, yes, &mut io).await?;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

/// The server to talk to and the token for it: `DRYDOCK_TOKEN` (for scripts), else the one `drydock login`
/// stored for that server.
pub(crate) fn connect(args: &ServerArgs) -> anyhow::Result<Server> {
    let stored = credentials::load()?;
    let from_env = std::env::var("DRYDOCK_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty());
    let url = args
        .server
        .clone()
        .or_else(|| stored.as_ref().map(|c| c.server.clone()))
        .unwrap_or_else(|| "http://127.0.0.1:8080".to_owned());
    let token = from_env.or_else(|| {
        stored
            .filter(|c| c.server.trim_end_matches('/') == url.trim_end_matches('/'))
            .map(|c| c.token)
    });
    if token.is_none() {
        anyhow::bail!(
            "not logged in to {url}: run `drydock login --server {url}` first (or set DRYDOCK_TOKEN)"
        );
    }
    Server::new(&url, token)
}
