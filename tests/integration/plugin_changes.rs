//! The loaded plugins change while the runtime serves (what installing, upgrading and removing a package
//! does underneath): a change is all or nothing, calls in flight finish on the version they started with,
//! and the grants an install gives a plugin go with it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use drydock_policy::{PluginGrants, Policy};
use drydock_runtime::{InvocationReport, InvokeRequest, ProgressSink, Runtime};
use drydock_tests::plugins::{ECHO, HTTP, TICKER};
use serde_json::json;

use crate::support::{HostOptions, dry, err_code, host, ok};

/// `component` with a custom section appended: the same plugin, different bytes (a new version).
fn new_version_of(component: &str, dir: &Path) -> PathBuf {
    let mut bytes = std::fs::read(component).unwrap();
    drydock_package::sections::append_custom_section(&mut bytes, "test-version", b"2");
    let file = dir.join(Path::new(component).file_name().unwrap());
    std::fs::write(&file, bytes).unwrap();
    file
}

/// A `ticker.count` call (three steps, 300 ms apart) that is surely running: it reported its first number.
async fn ticker_in_flight(runtime: &Runtime) -> tokio::task::JoinHandle<InvocationReport> {
    let (started_tx, started) = std::sync::mpsc::sync_channel::<String>(8);
    let mut request = InvokeRequest::dry_run("ticker.count", json!({"to": 3, "pause_ms": 300}));
    request.progress = Some(ProgressSink(Arc::new(move |line| {
        let _ = started_tx.try_send(line);
    })));
    let in_flight = {
        let runtime = runtime.clone();
        tokio::spawn(async move { runtime.invoke(request).await })
    };
    let first = tokio::task::spawn_blocking(move || started.recv_timeout(Duration::from_secs(60)))
        .await
        .unwrap();
    assert!(first.is_ok(), "the ticker never started");
    in_flight
}

fn http_grant(url: &str) -> PluginGrants {
    let text = format!("[plugins.http]\nhttp = [{{ url = \"{url}\", methods = [\"GET\"] }}]\n");
    Policy::parse(&text, "grants", Path::new("/"))
        .unwrap()
        .grants("http")
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_added_plugin_serves_its_next_call_and_a_taken_name_changes_nothing() {
    let runtime = host("", &[TICKER], HostOptions::default()).await;
    assert_eq!(
        err_code(&dry(&runtime, "echo.echo", json!({"text": "hi"})).await),
        "unknown_tool"
    );

    let info = runtime
        .add_plugin(Path::new(ECHO), PluginGrants::default())
        .await
        .unwrap();
    assert_eq!(info.name, "echo");
    assert_eq!(
        ok(&dry(&runtime, "echo.echo", json!({"text": "hi"})).await)["text"],
        "hi"
    );

    let again = runtime
        .add_plugin(Path::new(ECHO), PluginGrants::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(again.contains("already loaded"), "{again}");
    assert_eq!(runtime.plugin_count(), 2, "nothing was added twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_plugins_call_in_flight_finishes_and_the_next_call_is_refused() {
    let runtime = host(
        "[plugins.ticker.limits]\ntimeout_ms = 30000\n",
        &[TICKER, ECHO],
        HostOptions::default(),
    )
    .await;
    let in_flight = ticker_in_flight(&runtime).await;
    let removed = runtime
        .remove_plugin("ticker")
        .await
        .expect("ticker was loaded");
    assert_eq!(removed.name, "ticker");
    let finished = in_flight.await.unwrap();
    assert!(
        finished.outcome.is_ok(),
        "the call in flight finished: {:?}",
        finished.outcome
    );
    assert_eq!(
        err_code(&dry(&runtime, "ticker.count", json!({"to": 1})).await),
        "unknown_tool"
    );
    assert!(
        runtime.remove_plugin("ticker").await.is_none(),
        "removing twice finds nothing"
    );
    assert_eq!(
        ok(&dry(&runtime, "echo.echo", json!({"text": "still"})).await)["text"],
        "still"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_plugin_serves_the_new_version_and_a_bad_replacement_keeps_the_old() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = host("", &[ECHO], HostOptions::default()).await;
    let old = runtime.plugins()[0].sha256.clone();

    let newer = new_version_of(ECHO, dir.path());
    let info = runtime
        .replace_plugin(&newer, PluginGrants::default())
        .await
        .unwrap();
    assert_ne!(info.sha256, old, "the new bytes are in force");
    assert_eq!(runtime.plugins()[0].sha256, info.sha256);
    assert_eq!(
        ok(&dry(&runtime, "echo.echo", json!({"text": "v2"})).await)["text"],
        "v2"
    );

    let broken = dir.path().join("broken").join("echo.wasm");
    std::fs::create_dir_all(broken.parent().unwrap()).unwrap();
    std::fs::write(&broken, b"\0asm not really").unwrap();
    assert!(
        runtime
            .replace_plugin(&broken, PluginGrants::default())
            .await
            .is_err()
    );
    assert_eq!(
        runtime.plugins()[0].sha256,
        info.sha256,
        "the old version stays"
    );
    assert_eq!(
        ok(&dry(&runtime, "echo.echo", json!({"text": "ok"})).await)["text"],
        "ok"
    );

    let stranger = runtime
        .replace_plugin(Path::new(TICKER), PluginGrants::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(stranger.contains("nothing to replace"), "{stranger}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_installed_plugins_grants_come_and_go_with_it_and_the_policy_file_wins() {
    let runtime = host("", &[], HostOptions::default()).await;
    runtime
        .add_plugin(Path::new(HTTP), http_grant("https://api.example.com/"))
        .await
        .unwrap();
    assert_eq!(runtime.policy().grants("http").http.len(), 1);
    runtime.remove_plugin("http").await.unwrap();
    assert!(
        runtime.policy().grants("http").http.is_empty(),
        "no grant outlives its plugin"
    );

    // A plugin the policy file names keeps the file's grants, whatever an install accepted.
    let runtime = host(
        "[plugins.http]\nenv = [\"HOME\"]\n",
        &[],
        HostOptions::default(),
    )
    .await;
    runtime
        .add_plugin(Path::new(HTTP), http_grant("https://api.example.com/"))
        .await
        .unwrap();
    assert!(runtime.file_names("http"));
    assert!(runtime.policy().grants("http").http.is_empty());
    assert!(runtime.policy().grants("http").env.contains("HOME"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_in_flight_during_an_upgrade_finishes_on_the_old_version() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = host(
        "[plugins.ticker.limits]\ntimeout_ms = 30000\n",
        &[TICKER],
        HostOptions::default(),
    )
    .await;
    let old = runtime.plugins()[0].sha256.clone();
    let in_flight = ticker_in_flight(&runtime).await;
    let newer = runtime
        .replace_plugin(&new_version_of(TICKER, dir.path()), PluginGrants::default())
        .await
        .unwrap();
    assert_ne!(newer.sha256, old);
    let finished = in_flight.await.unwrap();
    assert!(finished.outcome.is_ok(), "{:?}", finished.outcome);
    assert_eq!(
        ok(&finished)["counted"],
        3,
        "the old version ran to the end: {:?}",
        finished.outcome
    );
    assert_eq!(
        runtime.plugins()[0].sha256,
        newer.sha256,
        "the next call gets the new one"
    );
}
