//! `drydock plugin new|build|check|list`: start a plugin project in Rust, Python or JavaScript, build it into
//! a component (installing its toolchain on first use), and check what a component is and offers.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use drydock_toolchain::{BuildRequest, Language, Project, Toolchains};

use super::{HostArgs, print, setup, shown};

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Start a plugin project: the SDK and the contract copied in, a tool that reads a file, one that
    /// POSTs, a development policy, a local test (`test.sh`) and a README.
    New {
        /// The plugin's name (lower-case letters, digits, `_` or `-`): the component is `<name>.wasm` and its
        /// tools `<name>.<tool>`, with `-` written `_`.
        name: String,
        /// The language: rust, python or js.
        #[arg(long = "lang", value_parser = parse_language)]
        language: Language,
        /// Where to put the project (default: `./NAME`). It must not exist or be empty.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Build a plugin project into a component (`target/drydock/<name>.wasm`), installing componentize-py
    /// or componentize-js into the toolchain cache first if the project needs it.
    Build {
        /// The project directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Where to write the component instead.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The toolchain cache (default: $XDG_CACHE_HOME/drydock/toolchains or ~/.cache/drydock/toolchains).
        #[arg(long, env = "DRYDOCK_TOOLCHAINS")]
        toolchains: Option<PathBuf>,
    },
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

fn parse_language(text: &str) -> Result<Language, String> {
    text.parse()
}

pub async fn run(command: PluginCommand) -> anyhow::Result<ExitCode> {
    match command {
        PluginCommand::New {
            name,
            language,
            dir,
        } => {
            let plugin = name.replace('-', "_");
            let dir = dir.unwrap_or_else(|| PathBuf::from(&name));
            match drydock_toolchain::scaffold(&dir, &plugin, language) {
                Ok(_) => {
                    println!(
                        "created the {language} plugin `{plugin}` in {}\nnext:\n  cd {}\n  sh test.sh    # builds it and tries its tools in the sandbox (dry run)",
                        shown::line(&dir.display().to_string()),
                        shown::line(&dir.display().to_string()),
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(err) => {
                    eprintln!("error: {}", shown::line(&err.to_string()));
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        PluginCommand::Build {
            dir,
            out,
            toolchains,
        } => {
            let built = tokio::task::spawn_blocking(move || {
                let toolchains = match toolchains {
                    Some(home) => Toolchains::at(home),
                    None => Toolchains::for_user()?,
                };
                let mut request = BuildRequest::standalone(Project::open(&dir)?);
                if let Some(out) = out {
                    request.out = out;
                }
                drydock_toolchain::build(&request, &toolchains)
            })
            .await?;
            match built {
                Ok(component) => {
                    println!("{}", shown::line(&component.display().to_string()));
                    Ok(ExitCode::SUCCESS)
                }
                Err(err) => {
                    // A build error is several lines (the toolchain's message with file and line).
                    eprintln!("error: {}", shown::block(&err.to_string()));
                    Ok(ExitCode::FAILURE)
                }
            }
        }
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
