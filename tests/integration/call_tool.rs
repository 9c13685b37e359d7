//! call-tool: a callee runs with its own grants, in the caller's mode, and its effects land in the caller's
//! journal one level deeper.

use drydock_policy::Outcome;
use drydock_tests::peer::Peer;
use drydock_tests::plugins::{HTTP, RELAY};
use serde_json::json;

use crate::support::{HostOptions, dry, effects_with, err_code, host, ok};

#[tokio::test]
async fn a_callee_uses_its_own_grants_not_the_callers() {
    let peer = Peer::start().await;
    let policy = format!(
        "[plugins.http]\nhttp = [{{ url = \"{}/\", methods = [\"GET\", \"POST\"] }}]\n",
        peer.base_url()
    );
    let runtime = host(&policy, &[RELAY, HTTP], HostOptions::default()).await;
    let args =
        json!({"tool": "http.request", "args": {"url": format!("{}/via-relay", peer.base_url())}});
    let report = dry(&runtime, "relay.call", args).await;
    assert_eq!(ok(&report)["status"], 200);
    assert_eq!(peer.count(), 1);
    let reads = effects_with(&report, Outcome::Read);
    assert_eq!(reads[0].plugin, "http");
    assert_eq!(reads[0].depth, 1);
}

#[tokio::test]
async fn a_callee_inherits_dry_run_mode() {
    let peer = Peer::start().await;
    let policy = format!(
        "[plugins.http]\nhttp = [{{ url = \"{}/\", methods = [\"POST\"] }}]\nlive = [\"http\"]\n",
        peer.base_url()
    );
    let runtime = host(
        &policy,
        &[RELAY, HTTP],
        HostOptions {
            master_switch: true,
            ..HostOptions::default()
        },
    )
    .await;
    let args = json!({"tool": "http.request", "args": {"url": format!("{}/w", peer.base_url()), "method": "POST"}});
    let report = dry(&runtime, "relay.call", args).await;
    assert_eq!(ok(&report)["status"], 202);
    assert_eq!(peer.count(), 0);
    assert_eq!(effects_with(&report, Outcome::Simulated).len(), 1);
}

#[tokio::test]
async fn calling_an_unknown_tool_is_an_error_the_caller_sees() {
    let runtime = host("", &[RELAY], HostOptions::default()).await;
    let report = dry(
        &runtime,
        "relay.call",
        json!({"tool": "nope.nothing", "args": {}}),
    )
    .await;
    assert_eq!(err_code(&report), "tool_invalid_input");
}

#[tokio::test]
async fn the_llm_is_denied_without_the_grant() {
    let runtime = host("", &[RELAY], HostOptions::default()).await;
    let report = dry(
        &runtime,
        "relay.complete",
        json!({"messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(err_code(&report), "tool_denied");
    let denied = effects_with(&report, Outcome::Denied);
    assert_eq!(denied[0].action, "llm completion");
    assert!(denied[0].reason.contains("llm"), "{}", denied[0].reason);
}

#[tokio::test]
async fn a_granted_llm_without_a_configured_model_says_so() {
    let runtime = host(
        "[plugins.relay]\nllm = true\n",
        &[RELAY],
        HostOptions::default(),
    )
    .await;
    let report = dry(
        &runtime,
        "relay.complete",
        json!({"messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(err_code(&report), "tool_denied");
    let message = report.outcome.unwrap_err().to_string();
    assert!(
        message.contains("no language model is configured"),
        "{message}"
    );
}
