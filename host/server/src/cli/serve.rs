//! `drydock serve`: the HTTP server on the demo (or given) policy, until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use drydock_core::Core;

use super::{HostArgs, data_lock, setup};
use crate::api::{AllowedHosts, AppState, StateParts, serve};

/// Flags of `drydock serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "DRYDOCK_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Directory of workflow files (`*.yaml`, `*.yml`) imported at start when their workflow is not yet
    /// stored; `./workflows` when that exists. An invalid file is logged and skipped.
    #[arg(long, env = "DRYDOCK_WORKFLOWS")]
    pub workflows: Option<PathBuf>,
    /// A host name or address the server answers under, besides localhost, 127.0.0.1 and ::1 (repeat, or
    /// comma-separate in DRYDOCK_ALLOWED_HOSTS). Requests naming any other host get 421: this is what stops
    /// DNS rebinding.
    #[arg(
        long = "allowed-host",
        env = "DRYDOCK_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,
    /// The largest plugin package the server fetches or accepts (`POST /api/plugins`), in MiB.
    #[arg(long, env = "DRYDOCK_MAX_PACKAGE_MIB", default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub max_package_mib: u64,
    /// Mark the web console's cookies `Secure`: set it when people reach the server over HTTPS (through a
    /// TLS-terminating proxy), so a browser never sends the session over plain HTTP.
    #[arg(long, env = "DRYDOCK_SECURE_COOKIES")]
    pub secure_cookies: bool,
    #[command(flatten)]
    pub host: HostArgs,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<std::process::ExitCode> {
    // Before anything reads or writes the data directory: one process per directory.
    let _lock = data_lock::take(&args.host.data_dir, "serve")?;
    let runtime = setup::runtime_with_plugins(&args.host).await?;
    setup::report_loaded(&runtime, &args.host);
    let core = setup::open_core(&args.host, runtime).await?;
    core.set_package_limit(args.max_package_mib << 20);
    if let Some((username, password, token)) = core.ensure_first_operator().await? {
        // Printed once, on the first start of an empty data directory; only hashes are stored.
        println!("created the first operator `{username}` (password {password})");
        println!("operator token: {token}");
    }
    import_workflows(&core, args.workflows.as_deref()).await?;
    let state = AppState::from(StateParts {
        allowed_hosts: Arc::new(AllowedHosts::with(&args.allowed_hosts)),
        secure_cookies: args.secure_cookies,
        ..StateParts::new(core)
    });
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let local = listener.local_addr()?;
    tracing::info!(address = %local, "drydock is serving");
    eprintln!("drydock is serving on http://{local}");
    eprintln!("open the console at http://{local}/ and sign in");
    serve(listener, state, shutdown_signal())
        .await
        .context("the server stopped with an error")?;
    eprintln!("drydock stopped");
    Ok(std::process::ExitCode::SUCCESS)
}

/// Imports the workflows directory: the one given, else `./workflows` when it exists. A directory that was
/// named but cannot be read stops the start; invalid files only warn.
pub(super) async fn import_workflows(core: &Core, dir: Option<&Path>) -> anyhow::Result<()> {
    let default = Path::new("workflows");
    let Some(dir) = dir.or_else(|| default.is_dir().then_some(default)) else {
        return Ok(());
    };
    if !dir.is_dir() {
        anyhow::bail!("the workflows directory `{}` does not exist", dir.display());
    }
    let report = core.import_workflow_dir(dir).await?;
    for (file, why) in &report.skipped {
        eprintln!("workflow file `{}` skipped:\n{why}", file.display());
    }
    tracing::info!(
        directory = %dir.display(),
        imported = report.imported.len(),
        kept = report.kept.len(),
        skipped = report.skipped.len(),
        "workflows imported"
    );
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
