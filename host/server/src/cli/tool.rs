//! `drydock tool list` and `drydock tool invoke TOOL --args JSON [--live]`.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use drydock_policy::{Mode, PlanApproval};
use drydock_runtime::InvokeRequest;

use super::{HostArgs, print, setup, shown};

#[derive(Debug, Subcommand)]
pub enum ToolCommand {
    /// List every tool of the loaded plugins.
    List {
        #[command(flatten)]
        host: HostArgs,
    },
    /// Invoke a tool in a fresh sandbox and print its result and effect journal (dry run by default).
    Invoke {
        /// The tool, `<plugin>.<tool>`.
        tool: String,
        /// Arguments as a JSON object.
        #[arg(long, default_value = "{}")]
        args: String,
        /// Ask for live mode. Writes still stay simulated unless DRYDOCK_LIVE=1 is set and the policy's
        /// `live` list names the capability for this plugin.
        #[arg(long)]
        live: bool,
        #[command(flatten)]
        host: HostArgs,
    },
}

pub async fn run(command: ToolCommand) -> anyhow::Result<ExitCode> {
    match command {
        ToolCommand::List { host } => {
            let runtime = setup::runtime_with_plugins(&host).await?;
            let tools = runtime.tools();
            if host.json {
                println!("{}", shown::json(&serde_json::to_string_pretty(&tools)?));
            } else {
                for tool in tools {
                    println!(
                        "{:<32} {}",
                        shown::line(&tool.name),
                        shown::line(&tool.description)
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ToolCommand::Invoke {
            tool,
            args,
            live,
            host,
        } => {
            let args: serde_json::Value = serde_json::from_str(&args)
                .with_context(|| format!("--args is not valid JSON: {args}"))?;
            let runtime = setup::runtime_with_plugins(&host).await?;
            let request = InvokeRequest {
                mode: if live { Mode::Live } else { Mode::DryRun },
                plan_approval: PlanApproval::NotAPlan,
                ..InvokeRequest::dry_run(tool, args)
            };
            let report = runtime.invoke(request).await;
            if host.json {
                println!("{}", shown::json(&serde_json::to_string_pretty(&report)?));
            } else {
                print::report(&report);
            }
            Ok(if report.outcome.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}
