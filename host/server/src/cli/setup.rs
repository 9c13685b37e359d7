//! Building a runtime from the command line's [`HostArgs`]: policy, plugin directory, compile cache.

use std::path::{Path, PathBuf};

use anyhow::Context;
use drydock_policy::Policy;
use drydock_runtime::{HostValues, Runtime, RuntimeConfig};

use super::HostArgs;

/// The policy file to use: the one named, else `./drydock.toml` if it exists.
pub fn policy_path(args: &HostArgs) -> Option<PathBuf> {
    args.config.clone().or_else(|| {
        let default = PathBuf::from("drydock.toml");
        default.is_file().then_some(default)
    })
}

/// Reads the policy (or grants nothing, saying so).
pub fn load_policy(args: &HostArgs) -> anyhow::Result<Policy> {
    match policy_path(args) {
        Some(path) => {
            Policy::load(&path).with_context(|| format!("cannot use policy `{}`", path.display()))
        }
        None => {
            eprintln!(
                "note: no policy file (drydock.toml or --config): nothing is granted to any plugin"
            );
            Ok(Policy::empty())
        }
    }
}

/// A runtime with the policy, secrets from the environment, the master switch from `DRYDOCK_LIVE`, and a
/// compile cache in the data directory. Plugins are not loaded yet.
pub fn runtime(args: &HostArgs) -> anyhow::Result<Runtime> {
    let policy = load_policy(args)?;
    let config = RuntimeConfig {
        cache_dir: Some(args.data_dir.join("compile-cache")),
        ..RuntimeConfig::from_env()
    };
    Runtime::new(config, policy, HostValues::process()).context("cannot start the sandbox")
}

/// Says on stderr which plugins a server loaded, from where, and under which policy file (refused plugins
/// were already listed, each with why), so an operator sees what agents will be offered.
pub fn report_loaded(runtime: &Runtime, args: &HostArgs) {
    let mut names: Vec<String> = runtime.plugins().into_iter().map(|p| p.name).collect();
    names.sort();
    let policy = policy_path(args).map_or_else(
        || "none (nothing is granted)".to_owned(),
        |path| path.display().to_string(),
    );
    eprintln!(
        "loaded {} plugins from {}: {}; policy: {policy}",
        names.len(),
        args.plugins.display(),
        names.join(", ")
    );
    tracing::info!(plugins = ?names, directory = %args.plugins.display(), policy, "plugins loaded");
}

/// Opens the core on the data directory (migrations, recovery), with `DRYDOCK_BOOTSTRAP_TOKEN` as an
/// operator token when it is set.
pub async fn open_core(args: &HostArgs, runtime: Runtime) -> anyhow::Result<drydock_core::Core> {
    let config = drydock_core::CoreConfig {
        data_dir: args.data_dir.clone(),
        bootstrap_token: std::env::var("DRYDOCK_BOOTSTRAP_TOKEN").ok(),
    };
    let core = drydock_core::Core::open(config, runtime)
        .await
        .with_context(|| {
            format!(
                "cannot open the data directory `{}`",
                args.data_dir.display()
            )
        })?;
    // Suggestions edit the file the grants came from, wherever the server's working directory moves.
    core.set_policy_file(policy_path(args).map(|path| std::path::absolute(&path).unwrap_or(path)));
    Ok(core)
}

/// A runtime with every plugin of the plugin directory loaded; refused plugins are listed on stderr.
pub async fn runtime_with_plugins(args: &HostArgs) -> anyhow::Result<Runtime> {
    let runtime = runtime(args)?;
    let report = runtime
        .load_dir(&args.plugins)
        .await
        .with_context(|| missing_plugins_hint(&args.plugins))?;
    for failure in &report.failed {
        eprintln!(
            "warning: plugin `{}` refused: {}",
            failure.file.display(),
            failure.error
        );
    }
    Ok(runtime)
}

fn missing_plugins_hint(dir: &Path) -> String {
    format!(
        "no plugins at `{}`; build them with `cargo xtask plugins` or point --plugins at a directory of .wasm files",
        dir.display()
    )
}
