//! Hostile plugins, one attack each: every attack is stopped with its specific error, and the host keeps
//! serving (the next normal invocation on the same runtime succeeds).

use drydock_policy::Outcome;
use drydock_runtime::{InvocationReport, Runtime};
use drydock_tests::peer::Peer;
use drydock_tests::plugins::*;
use serde_json::{Value, json};

use crate::support::{HostOptions, blocked, dry, effects_with, err_code, host, ok};

/// Asserts that the runtime still serves a normal call after an attack.
async fn still_serves(runtime: &Runtime) {
    let report = dry(runtime, "echo.echo", json!({"text": "still here"})).await;
    assert_eq!(ok(&report)["text"], "still here");
}

/// A granted workspace with a canary file outside it, and symlinks inside pointing at the outside.
struct Workspace {
    root: tempfile::TempDir,
}

const CANARY: &str = "canary-4c1d-outside-the-grant";

impl Workspace {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("ws")).unwrap();
        std::fs::create_dir(root.path().join("outside")).unwrap();
        std::fs::write(root.path().join("outside/secret.txt"), CANARY).unwrap();
        std::fs::write(root.path().join("outside.txt"), CANARY).unwrap();
        std::fs::write(root.path().join("ws/ok.txt"), "inside").unwrap();
        std::os::unix::fs::symlink(root.path().join("outside"), root.path().join("ws/escape"))
            .unwrap();
        std::os::unix::fs::symlink(
            root.path().join("outside/secret.txt"),
            root.path().join("ws/link-file"),
        )
        .unwrap();
        Self { root }
    }

    fn grant(&self, plugin: &str, access: &str) -> String {
        format!(
            "[plugins.{plugin}]\nfs = [{{ path = {:?}, access = \"{access}\" }}]\n",
            self.root.path().join("ws").display().to_string()
        )
    }
}

async fn fs_attack(plugin_file: &str, plugin: &str, access: &str) {
    let ws = Workspace::new();
    let runtime = host(
        &ws.grant(plugin, access),
        &[plugin_file, ECHO],
        HostOptions::default(),
    )
    .await;
    let report = dry(&runtime, &format!("{plugin}.run"), json!({})).await;
    let result = blocked(&report);
    assert!(
        !result.to_string().contains(CANARY),
        "outside content leaked: {result}"
    );
    assert_eq!(
        std::fs::read_to_string(ws.root.path().join("outside/secret.txt")).unwrap(),
        CANARY
    );
    still_serves(&runtime).await;
}

#[tokio::test]
async fn path_escape_with_dotdot_is_refused() {
    fs_attack(HOSTILE_PATH_DOTDOT, "hostile_path_dotdot", "ro").await;
}

#[tokio::test]
async fn absolute_paths_outside_the_grant_are_refused() {
    fs_attack(HOSTILE_PATH_ABSOLUTE, "hostile_path_absolute", "ro").await;
}

#[tokio::test]
async fn symlinks_pointing_out_of_the_grant_are_not_followed() {
    fs_attack(HOSTILE_SYMLINK, "hostile_symlink", "rw").await;
}

async fn http_attack(policy: &str, plugin_file: &str, tool: &str, args: Value, peer: &Peer) {
    let runtime = host(policy, &[plugin_file, ECHO], HostOptions::default()).await;
    let report = dry(&runtime, tool, args).await;
    blocked(&report);
    assert_eq!(
        peer.count(),
        0,
        "the attack reached the peer: {:?}",
        peer.requests()
    );
    still_serves(&runtime).await;
}

#[tokio::test]
async fn http_to_an_ungranted_host_is_denied_before_it_leaves() {
    let peer = Peer::start().await;
    let runtime = host("", &[HOSTILE_HTTP_UNGRANTED, ECHO], HostOptions::default()).await;
    let report = dry(
        &runtime,
        "hostile_http_ungranted.run",
        json!({"url": format!("{}/steal", peer.base_url())}),
    )
    .await;
    let result = blocked(&report);
    assert!(
        result["error"]
            .to_string()
            .to_lowercase()
            .contains("denied"),
        "{result}"
    );
    assert_eq!(effects_with(&report, Outcome::Denied).len(), 1);
    assert_eq!(peer.count(), 0);
    still_serves(&runtime).await;
}

#[tokio::test]
async fn an_ip_literal_is_denied_when_only_the_host_name_is_granted() {
    let peer = Peer::start().await;
    let policy = format!(
        "[plugins.hostile_http_ip_literal]\nhttp = [{{ url = \"{}/\", methods = [\"GET\"] }}]\n",
        peer.localhost_url()
    );
    let args = json!({"url": format!("{}/x", peer.base_url())});
    http_attack(
        &policy,
        HOSTILE_HTTP_IP_LITERAL,
        "hostile_http_ip_literal.run",
        args,
        &peer,
    )
    .await;
}

#[tokio::test]
async fn a_forged_host_header_cannot_redirect_a_granted_request() {
    let peer = Peer::start().await;
    let policy = format!(
        "[plugins.hostile_forged_host]\nhttp = [{{ url = \"{}/\", methods = [\"GET\"] }}]\n",
        peer.base_url()
    );
    let runtime = host(
        &policy,
        &[HOSTILE_FORGED_HOST, ECHO],
        HostOptions::default(),
    )
    .await;
    let args = json!({"url": format!("{}/x", peer.base_url()), "host": "evil.example"});
    let report = dry(&runtime, "hostile_forged_host.run", args).await;
    blocked(&report);
    assert!(
        peer.requests().iter().all(|r| r
            .headers
            .iter()
            .all(|(k, v)| k != "host" || !v.contains("evil"))),
        "a forged Host header reached the peer: {:?}",
        peer.requests()
    );
    still_serves(&runtime).await;
}

async fn limit_attack(
    policy: &str,
    plugin_file: &str,
    tool: &str,
    expected_code: &str,
) -> InvocationReport {
    let runtime = host(policy, &[plugin_file, ECHO], HostOptions::default()).await;
    let report = dry(&runtime, tool, json!({})).await;
    assert_eq!(err_code(&report), expected_code, "{:?}", report.outcome);
    still_serves(&runtime).await;
    report
}

#[tokio::test]
async fn an_infinite_loop_is_stopped_by_the_timeout() {
    let policy = "[plugins.hostile_infinite_loop.limits]\ntimeout_ms = 300\n";
    let report = limit_attack(
        policy,
        HOSTILE_INFINITE_LOOP,
        "hostile_infinite_loop.run",
        "timeout",
    )
    .await;
    assert!(report.duration_ms < 5_000, "took {} ms", report.duration_ms);
}

#[tokio::test]
async fn a_memory_bomb_hits_the_memory_limit() {
    let policy = "[plugins.hostile_memory_bomb.limits]\nmemory_mib = 32\n";
    let report = limit_attack(
        policy,
        HOSTILE_MEMORY_BOMB,
        "hostile_memory_bomb.run",
        "memory_limit",
    )
    .await;
    let message = report.outcome.unwrap_err().to_string();
    assert!(message.contains("33554432"), "{message}");
}

#[tokio::test]
async fn deep_recursion_is_a_stack_overflow_not_a_host_crash() {
    limit_attack(
        "",
        HOSTILE_DEEP_RECURSION,
        "hostile_deep_recursion.run",
        "stack_overflow",
    )
    .await;
}

#[tokio::test]
async fn an_output_bomb_is_refused_and_its_logs_are_bounded() {
    let policy = "[plugins.hostile_output_bomb.limits]\nmemory_mib = 400\noutput_kib = 1024\ntimeout_ms = 20000\n";
    let report = limit_attack(
        policy,
        HOSTILE_OUTPUT_BOMB,
        "hostile_output_bomb.run",
        "output_limit",
    )
    .await;
    assert!(
        report.record.logs.len() <= 1000,
        "{} log lines kept",
        report.record.logs.len()
    );
    assert!(report.record.dropped_log_lines > 0);
}

#[tokio::test]
async fn call_tool_recursion_stops_at_the_depth_limit() {
    let runtime = host(
        "",
        &[HOSTILE_CALL_TOOL_RECURSION, ECHO],
        HostOptions::default(),
    )
    .await;
    let report = dry(&runtime, "hostile_call_tool_recursion.run", json!({})).await;
    let text = ok(&report).to_string();
    assert!(text.contains("depth limit"), "{text}");
    still_serves(&runtime).await;
}

#[tokio::test]
async fn a_panic_is_reported_with_the_panic_message() {
    let report = limit_attack("", HOSTILE_PANIC, "hostile_panic.run", "trap").await;
    let message = report.outcome.unwrap_err().to_string();
    assert!(
        message.contains("hostile plugin panicked on purpose"),
        "{message}"
    );
}

#[test]
fn every_built_component_has_a_test() {
    let covered = [
        "echo",
        "http",
        "jira",
        "workspace",
        // The conformance suite's Rust build (languages.rs).
        "notes",
        "template_planner",
        "llm_planner",
        "relay",
        "ticker",
        "hostile_path_dotdot",
        "hostile_path_absolute",
        "hostile_symlink",
        "hostile_http_ungranted",
        "hostile_http_ip_literal",
        "hostile_forged_host",
        "hostile_env",
        "hostile_secret_exfil",
        "hostile_infinite_loop",
        "hostile_memory_bomb",
        "hostile_deep_recursion",
        "hostile_output_bomb",
        "hostile_call_tool_recursion",
        "hostile_panic",
        // The hostile review's findings (hardening.rs, and host/server/tests/cli.rs for the CLI).
        "hostile_disguised_write",
        "hostile_secret_in_media_type",
        "hostile_call_tool_secret",
        "hostile_secret_disguise",
        "hostile_artifact_bomb",
        "hostile_journal_bomb",
        "hostile_diff_bomb",
        "hostile_terminal_escape",
        // Secret flow (guards_secrets.rs): a secret granted for one host, taken elsewhere.
        "hostile_secret_misroute",
        // Rehearsal-bound live runs (rehearsal_live.rs): a plugin that writes more once it is live.
        "sleeper",
    ];
    for plugin in ALL_PLUGINS {
        assert!(
            covered.contains(plugin),
            "component `{plugin}` has no test; add one and list it here"
        );
    }
    for plugin in covered {
        assert!(
            ALL_PLUGINS.contains(&plugin),
            "component `{plugin}` was not built"
        );
    }
}
