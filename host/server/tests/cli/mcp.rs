//! `drydock mcp`: the MCP server over stdio, driven by the official Rust SDK's client (rmcp) spawning the
//! real binary, and the data-directory lock it shares with `drydock serve`.

use std::process::{Command, Stdio};

use drydock_tests::plugins::PLUGIN_DIR;
use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, Implementation, ProtocolVersion,
};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientLifecycleMode, ClientServiceExt, ServiceExt};
use serde_json::json;

use super::{line_with, text};

/// `drydock mcp` on `data` with an empty policy, as an MCP host would start it.
fn mcp_command(data: &std::path::Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_drydock"));
    command
        .args(["mcp", "--plugins", PLUGIN_DIR, "--data-dir"])
        .arg(data)
        .current_dir(data.parent().unwrap())
        .env_remove("DRYDOCK_LIVE")
        .env_remove("DRYDOCK_CONFIG")
        .env_remove("DRYDOCK_BOOTSTRAP_TOKEN");
    command
}

fn call(name: &str, args: serde_json::Value) -> CallToolRequestParams {
    CallToolRequestParams::new(name.to_owned())
        .with_arguments(args.as_object().cloned().unwrap_or_default())
}

#[tokio::test]
async fn drydock_mcp_serves_every_tool_over_stdio_in_dry_run() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("cli-tests", "0.1.0"),
    )
    .with_protocol_version(ProtocolVersion::V_2025_11_25);
    let transport = TokioChildProcess::new(mcp_command(&data)).unwrap();
    let client = config
        .serve(transport)
        .await
        .expect("drydock mcp starts a session");
    assert_eq!(
        client.peer_info().unwrap().protocol_version,
        ProtocolVersion::V_2025_11_25
    );
    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert!(
        names.contains(&"echo_echo") && names.contains(&"http_request"),
        "{names:?}"
    );
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "tools/list is sorted by name");
    let result = client
        .call_tool(call("echo_echo", json!({"text": "over stdio"})))
        .await
        .unwrap();
    assert_eq!(result.structured_content.unwrap()["text"], "over stdio");
    let meta = result.meta.unwrap();
    assert_eq!(meta.0["dev.drydock/mode"], "dry-run");
    client.cancel().await.unwrap();

    // A 2026-07-28 client, without `initialize`, on the same data directory once the first has exited.
    let lifecycle = ClientLifecycleMode::Discover {
        preferred_versions: vec![ProtocolVersion::V_2026_07_28],
    };
    let transport = TokioChildProcess::new(mcp_command(&data)).unwrap();
    let client = ClientConfig::default()
        .serve_with_lifecycle(transport, lifecycle)
        .await
        .expect("a 2026-07-28 client discovers drydock mcp");
    let denied = client
        .call_tool(call("http_request", json!({"url": "https://example.com/"})))
        .await
        .unwrap();
    assert_eq!(
        denied.is_error,
        Some(true),
        "nothing is granted: {denied:?}"
    );
    client.cancel().await.unwrap();
}

#[test]
fn a_second_process_on_one_data_directory_is_refused_naming_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let workflows = dir.path().join("workflows");
    std::fs::create_dir(&workflows).unwrap();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(["serve", "--listen", "127.0.0.1:0", "--plugins", PLUGIN_DIR])
        .arg("--data-dir")
        .arg(&data)
        .arg("--workflows")
        .arg(&workflows)
        .current_dir(dir.path())
        .env("DRYDOCK_BOOTSTRAP_TOKEN", "lock-test")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(serve.stderr.take().unwrap());
    // The server says what it loaded, from where, under which policy.
    let loaded = line_with(&mut stderr, "plugins from");
    assert!(
        loaded.contains(PLUGIN_DIR) && loaded.contains("echo") && loaded.contains("policy: none"),
        "{loaded}"
    );
    line_with(&mut stderr, "drydock is serving on http://");

    let second = Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(["mcp", "--plugins", PLUGIN_DIR, "--data-dir"])
        .arg(&data)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(!second.status.success());
    let message = text(&second.stderr);
    assert!(
        message.contains(&format!("pid {} (`drydock serve`)", serve.id())),
        "{message}"
    );
    assert!(
        message.contains("/mcp") && message.contains("--data-dir"),
        "{message}"
    );
    assert!(second.stdout.is_empty(), "nothing but MCP may go to stdout");
}
