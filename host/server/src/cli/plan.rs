//! `drydock plan generate --planner NAME --work-item JSON`: what a planner proposes for a work item.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use super::{HostArgs, print, setup, shown};

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Ask a planner plugin for a plan (the planner runs sandboxed and cannot call tools).
    Generate {
        /// The planner plugin.
        #[arg(long, default_value = "template_planner")]
        planner: String,
        /// The work item `{id, title, description, type?, labels?}` as JSON.
        #[arg(long)]
        work_item: String,
        #[command(flatten)]
        host: HostArgs,
    },
}

pub async fn run(command: PlanCommand) -> anyhow::Result<ExitCode> {
    let PlanCommand::Generate {
        planner,
        work_item,
        host,
    } = command;
    let work_item: serde_json::Value = serde_json::from_str(&work_item)
        .with_context(|| format!("--work-item is not valid JSON: {work_item}"))?;
    let runtime = setup::runtime_with_plugins(&host).await?;
    let correlation_id = drydock_runtime::new_correlation_id();
    let report = runtime
        .generate_plan(&planner, &work_item, &correlation_id)
        .await;
    if host.json {
        println!("{}", shown::json(&serde_json::to_string_pretty(&report)?));
    } else {
        print::plan(&report);
    }
    Ok(if report.outcome.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
