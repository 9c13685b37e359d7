//! `drydock plugin check FILE.wasm`: is this a Drydock plugin, which world, which tools, which schemas.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use super::{HostArgs, print, setup, shown};

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Check a component: its world, its tools and their schemas, or what is wrong with it.
    Check {
        /// The component file.
        file: PathBuf,
        #[command(flatten)]
        host: HostArgs,
    },
    /// List the plugins of the plugin directory and the ones that were refused.
    List {
        #[command(flatten)]
        host: HostArgs,
    },
}

pub async fn run(command: PluginCommand) -> anyhow::Result<ExitCode> {
    match command {
        PluginCommand::Check { file, host } => {
            let runtime = setup::runtime(&host)?;
            match runtime.check_file(&file).await {
                Ok(info) => {
                    if host.json {
                        println!("{}", shown::json(&serde_json::to_string_pretty(&info)?));
                    } else {
                        print::plugin(&info, &runtime.policy());
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(err) => {
                    eprintln!("error: {}", shown::line(&err.to_string()));
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        PluginCommand::List { host } => {
            let runtime = setup::runtime(&host)?;
            let report = runtime.load_dir(&host.plugins).await?;
            for info in &report.loaded {
                print::plugin(info, &runtime.policy());
            }
            for failure in &report.failed {
                println!(
                    "refused  {}: {}",
                    shown::line(&failure.file.display().to_string()),
                    shown::line(&failure.error.to_string())
                );
            }
            Ok(if report.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}
