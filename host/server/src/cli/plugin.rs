//! `drydock plugin new|build|check|list`: start a plugin project in Rust, Python or JavaScript, build it into
//! a component (installing its toolchain on first use), and check what a component is and offers.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use drydock_toolchain::{BuildRequest, Language, Project, Toolchains};

use super::client::ServerArgs;
use super::{HostArgs, packages, print, setup, shown};

/// How the server signs in to a registry it fetches a package from.
#[derive(Debug, clap::Args)]
pub struct RegistryLoginArgs {
    /// The registry user the server signs in as.
    #[arg(long, requires = "registry_password_secret")]
    pub registry_user: Option<String>,
    /// The name of the server's secret (an environment variable of the server) holding the registry
    /// password; the password itself is never sent.
    #[arg(long, requires = "registry_user")]
    pub registry_password_secret: Option<String>,
}

/// `drydock key …`.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Make a new ed25519 signing key; prints the public key operators put in their policy's `[trust]`.
    Generate {
        /// Where to write the secret key (created with mode 0600; never overwritten).
        #[arg(long)]
        out: PathBuf,
    },
}

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
    /// Sign a package (a component carrying its manifest) with your key.
    Sign {
        /// The component.
        file: PathBuf,
        /// Your secret key (`drydock key generate`).
        #[arg(long)]
        key: PathBuf,
        /// Write the signed component here instead of in place.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Publish a package to an OCI registry (credentials: DRYDOCK_REGISTRY_USER, DRYDOCK_REGISTRY_PASSWORD).
    Push {
        /// The component.
        file: PathBuf,
        /// Where: `oci://registry/repository:tag`.
        reference: String,
    },
    /// Install a package on a running server: shows what it requests and asks which to accept.
    Install {
        /// A component file (uploaded), an https:// URL or an oci:// reference (fetched by the server).
        source: String,
        /// Accept these requests without asking: `all`, `none`, or request ids (`http#1`, `fs#1`,
        /// `secret:NAME`, `env:NAME`, `llm`); repeat for several.
        #[arg(long = "grant")]
        grants: Vec<String>,
        /// The directory for an accepted fs request: `fs#1=/srv/notes`.
        #[arg(long = "dir")]
        dirs: Vec<String>,
        #[command(flatten)]
        login: RegistryLoginArgs,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Upgrade an installed package; new requests are held until `drydock plugin grant`.
    Upgrade {
        /// The installed plugin.
        name: String,
        /// The new version: a file, an https:// URL or an oci:// reference.
        source: String,
        #[command(flatten)]
        login: RegistryLoginArgs,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Accept requests an upgrade held.
    Grant {
        /// The installed plugin.
        name: String,
        /// The request ids to accept.
        #[arg(required = true)]
        ids: Vec<String>,
        /// The directory for an accepted fs request: `fs#1=/srv/notes`.
        #[arg(long = "dir")]
        dirs: Vec<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Remove an installed package from a running server.
    Remove {
        /// The installed plugin.
        name: String,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// The plugins a running server has loaded: installed ones with their versions, and the directory's.
    Installed {
        #[command(flatten)]
        server: ServerArgs,
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
        PluginCommand::Sign { file, key, out } => packages::sign_file(&file, &key, out.as_deref()),
        PluginCommand::Push { file, reference } => packages::push(&file, &reference).await,
        PluginCommand::Install {
            source,
            grants,
            dirs,
            login,
            server,
        } => packages::install(&server, &source, &grants, &dirs, &login).await,
        PluginCommand::Upgrade {
            name,
            source,
            login,
            server,
        } => packages::upgrade(&server, &name, &source, &login).await,
        PluginCommand::Grant {
            name,
            ids,
            dirs,
            server,
        } => packages::grant(&server, &name, &ids, &dirs).await,
        PluginCommand::Remove { name, server } => packages::remove(&server, &name).await,
        PluginCommand::Installed { server } => packages::installed(&server).await,
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
            let dir_for_manifest = dir.clone();
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
                    match packages::embed_project_manifest(&dir_for_manifest, &component) {
                        Ok(note) => {
                            eprintln!("{}", shown::line(&note));
                            println!("{}", shown::line(&component.display().to_string()));
                            Ok(ExitCode::SUCCESS)
                        }
                        Err(err) => {
                            let _ = std::fs::remove_file(&component);
                            eprintln!("error: {}", shown::block(&format!("{err:#}")));
                            Ok(ExitCode::FAILURE)
                        }
                    }
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
                    match packages::check_package(&file, &info.name) {
                        Ok(said) => {
                            println!("{}", shown::block(&said));
                            Ok(ExitCode::SUCCESS)
                        }
                        Err(err) => {
                            eprintln!("error: {}", shown::block(&format!("{err:#}")));
                            Ok(ExitCode::FAILURE)
                        }
                    }
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
