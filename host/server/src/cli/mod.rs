//! The command line. Two kinds of commands:
//! - on this machine, without a server: `drydock serve`, `drydock mcp` (stdio), `plugin check|list`, `tool list|invoke`, `plan
//!   generate` (the sandbox in-process, so a plugin author can try a plugin), `audit verify`, `user add`;
//! - as a client of a running server ([`client`]): `drydock login`, `drydock shell`, `drydock workflow
//!   list|run`, `drydock policy suggest`.

mod admin;
pub mod client;
mod data_lock;
mod mcp;
mod packages;
mod plan;
mod plugin;
mod policy;
mod print;
mod serve;
mod setup;
mod shown;
mod tool;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Drydock: a WebAssembly-sandboxed plugin platform for AI agents. Every run is a dry run unless an operator
/// turned a capability live, the process has DRYDOCK_LIVE=1, and the run asked for live.
#[derive(Debug, Parser)]
#[command(name = "drydock", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve(serve::ServeArgs),
    /// Serve every tool to an MCP host over stdio (dry run, always).
    Mcp(mcp::McpArgs),
    /// Check the audit log of a data directory.
    #[command(subcommand)]
    Audit(admin::AuditCommand),
    /// Manage users of a data directory.
    #[command(subcommand)]
    User(admin::UserCommand),
    /// Work with plugin components: start, build, check, sign and publish them; install them on a server.
    #[command(subcommand)]
    Plugin(plugin::PluginCommand),
    /// Signing keys for plugin packages.
    #[command(subcommand)]
    Key(plugin::KeyCommand),
    /// List and invoke tools.
    #[command(subcommand)]
    Tool(tool::ToolCommand),
    /// Ask a planner plugin for a plan.
    #[command(subcommand)]
    Plan(plan::PlanCommand),
    /// Log in to a Drydock server; the token is kept in ~/.drydock/credentials (mode 0600).
    Login(client::LoginArgs),
    /// The interactive prompt (`drydock>`) on a Drydock server you logged in to.
    Shell(client::ServerArgs),
    /// List and run workflows on a Drydock server you logged in to.
    #[command(subcommand)]
    Workflow(client::WorkflowCommand),
    /// Least-privilege policies from what a run used, on a Drydock server you logged in to as an operator.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
}

/// Where plugins, policy and data live; shared by every command that runs plugins.
#[derive(Debug, Clone, Args)]
pub struct HostArgs {
    /// Directory of plugin components (*.wasm). The default holds the example plugins `cargo xtask plugins`
    /// puts there, without the test fixtures.
    #[arg(long, env = "DRYDOCK_PLUGINS", default_value = "plugins/dist")]
    pub plugins: PathBuf,
    /// Policy file (TOML). Default: ./drydock.toml when present, otherwise nothing is granted.
    #[arg(long, env = "DRYDOCK_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory (compile cache).
    #[arg(long, env = "DRYDOCK_DATA_DIR", default_value = ".drydock-data")]
    pub data_dir: PathBuf,
    /// Print the whole report as JSON instead of the readable summary.
    #[arg(long)]
    pub json: bool,
}

/// An error and its causes on one line, `context: cause: cause`, each cause once: an error whose message
/// already quotes its cause (as `thiserror`'s `{source}` does) would otherwise repeat it.
pub fn error_chain(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let cause = cause.to_string();
        if text.contains(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}

/// Runs the parsed command; the exit code says whether it succeeded.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::Mcp(args) => mcp::run(args).await,
        Command::Audit(command) => admin::audit(command),
        Command::User(command) => admin::user(command),
        Command::Plugin(command) => plugin::run(command).await,
        Command::Key(plugin::KeyCommand::Generate { out }) => packages::generate_key(&out),
        Command::Tool(command) => tool::run(command).await,
        Command::Plan(command) => plan::run(command).await,
        Command::Login(args) => client::login(args).await,
        Command::Shell(args) => client::shell(args).await,
        Command::Workflow(command) => client::workflow(command).await,
        Command::Policy(command) => policy::run(command).await,
    }
}

#[cfg(test)]
mod error_chain_tests {
    use super::error_chain;

    #[test]
    fn a_cause_already_quoted_by_its_error_is_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file (os error 2)");
        #[derive(Debug, thiserror::Error)]
        #[error("cannot read `x`: {source}")]
        struct Read {
            source: std::io::Error,
        }
        let err = anyhow::Error::new(Read { source: io }).context("cannot use policy `x`");
        assert_eq!(
            error_chain(&err),
            "cannot use policy `x`: cannot read `x`: No such file (os error 2)"
        );
    }
}
