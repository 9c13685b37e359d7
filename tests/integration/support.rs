//! Building a runtime for a test: a policy from TOML text, chosen plugins, chosen host values, a shared
//! compile cache (so each component is compiled once per test run, not once per test).

use std::path::PathBuf;
use std::sync::Arc;

use drydock_policy::{Mode, Outcome, PlanApproval, Policy};
use drydock_runtime::{
    Effect, HostValues, InvocationReport, InvokeRequest, Runtime, RuntimeConfig, StaticValues,
};
use serde_json::Value;

/// Options of a test host.
#[derive(Default)]
pub struct HostOptions<'a> {
    pub master_switch: bool,
    pub secrets: Vec<(&'a str, &'a str)>,
    pub env: Vec<(&'a str, &'a str)>,
    pub limits: Option<drydock_runtime::Limits>,
    pub engine: Option<drydock_runtime::EngineSettings>,
}

/// A runtime with `policy` (TOML) and the named plugins loaded.
pub async fn host(policy: &str, plugins: &[&str], options: HostOptions<'_>) -> Runtime {
    let policy = Policy::parse(policy, "test-policy.toml", &std::env::temp_dir())
        .expect("the test policy parses");
    let mut config = RuntimeConfig {
        cache_dir: Some(cache_dir()),
        master_switch: options.master_switch,
        ..RuntimeConfig::default()
    };
    if let Some(limits) = options.limits {
        config.limits = limits;
    }
    if let Some(engine) = options.engine {
        config.engine = engine;
    }
    let values = HostValues {
        secrets: Arc::new(StaticValues::of(options.secrets)),
        env: Arc::new(StaticValues::of(options.env)),
    };
    let runtime = Runtime::new(config, policy, values).expect("the runtime starts");
    let files: Vec<PathBuf> = plugins.iter().map(PathBuf::from).collect();
    let report = runtime.load_files(&files).await;
    assert!(
        report.failed.is_empty(),
        "plugins failed to load: {:?}",
        report
            .failed
            .iter()
            .map(|f| f.error.to_string())
            .collect::<Vec<_>>()
    );
    runtime
}

fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("drydock-compile-cache")
}

/// Invokes `tool` dry-run.
pub async fn dry(runtime: &Runtime, tool: &str, args: Value) -> InvocationReport {
    runtime.invoke(InvokeRequest::dry_run(tool, args)).await
}

/// Invokes `tool` asking for live mode.
pub async fn live(runtime: &Runtime, tool: &str, args: Value) -> InvocationReport {
    runtime
        .invoke(InvokeRequest {
            mode: Mode::Live,
            plan_approval: PlanApproval::NotAPlan,
            ..InvokeRequest::dry_run(tool, args)
        })
        .await
}

/// The result of a report that must have succeeded.
pub fn ok(report: &InvocationReport) -> &Value {
    match &report.outcome {
        Ok(value) => value,
        Err(err) => panic!(
            "`{}` failed: {err}\nrecord: {:#?}",
            report.tool, report.record
        ),
    }
}

/// The result of a hostile plugin's report, which must say the attack was blocked.
pub fn blocked(report: &InvocationReport) -> &Value {
    let result = ok(report);
    assert_eq!(
        result["blocked"], true,
        "the attack was not blocked: {result}"
    );
    result
}

/// The error code of a report that must have failed.
pub fn err_code(report: &InvocationReport) -> &'static str {
    match &report.outcome {
        Ok(value) => panic!("`{}` unexpectedly succeeded with {value}", report.tool),
        Err(err) => err.code(),
    }
}

/// The effects with this outcome.
pub fn effects_with(report: &InvocationReport, outcome: Outcome) -> Vec<&Effect> {
    report
        .record
        .effects
        .iter()
        .filter(|e| e.outcome == outcome)
        .collect()
}

/// The whole report as JSON text (to search it for leaks).
pub fn as_text(report: &InvocationReport) -> String {
    serde_json::to_string(report).expect("reports serialize")
}

/// A Drydock server running in this process on an ephemeral loopback port; stops when dropped.
pub struct TestServer {
    pub addr: std::net::SocketAddr,
    pub core: drydock_core::Core,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the real server (real core, SQLite in `data_dir`, the named plugins) with `bootstrap` as the
/// operator token.
pub async fn start_server(
    policy: &str,
    plugins: &[&str],
    data_dir: &std::path::Path,
    bootstrap: &str,
) -> TestServer {
    start_server_with(policy, plugins, data_dir, bootstrap, HostOptions::default()).await
}

/// [`start_server`] with chosen host options (the master switch, secrets...).
pub async fn start_server_with(
    policy: &str,
    plugins: &[&str],
    data_dir: &std::path::Path,
    bootstrap: &str,
    options: HostOptions<'_>,
) -> TestServer {
    let runtime = host(policy, plugins, options).await;
    let core = drydock_core::Core::open(
        drydock_core::CoreConfig {
            data_dir: data_dir.to_path_buf(),
            bootstrap_token: Some(bootstrap.into()),
        },
        runtime,
    )
    .await
    .expect("the core opens");
    let state = drydock::api::AppState::new(core.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    let task = tokio::spawn(async move {
        let _ = drydock::api::serve(listener, state, std::future::pending()).await;
    });
    TestServer { addr, core, task }
}

/// [`start_server`] with the echo plugin and the committed demo workflows (`workflows/`) imported.
pub async fn start_with_demo_workflows(data_dir: &std::path::Path, bootstrap: &str) -> TestServer {
    let server = start_server("", &[drydock_tests::plugins::ECHO], data_dir, bootstrap).await;
    let demos = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows");
    server
        .core
        .import_workflow_dir(&demos)
        .await
        .expect("the demo workflows import");
    server
}
