//! Request budgets over real loopback sockets, with tiny budgets from the test policy: a token past its
//! budget gets 429 with `Retry-After` on every expensive route (they share one budget) while cheap routes
//! and other tokens go on; anonymous callers are counted per address; over MCP each `tools/call` costs one
//! and `tools/list` nothing.

use drydock_core::Role;
use drydock_tests::client::{Answer, send, send_with};
use drydock_tests::plugins::ECHO;
use serde_json::Value;

use crate::server::{BOOTSTRAP, user_token};
use crate::support::{TestServer, start_server};

const INVOKE: &str = "/api/tools/echo.echo/invoke";
const ECHO_ARGS: &str = r#"{"args": {"text": "hi"}}"#;

/// A 429 `rate_limited` whose `Retry-After` is whole seconds within the budget's period.
fn assert_over_budget(answer: &Answer, period_seconds: u64) {
    assert_eq!(answer.status, 429, "{}", answer.body);
    let seconds: u64 = answer
        .header("retry-after")
        .expect("a Retry-After header")
        .parse()
        .expect("Retry-After in whole seconds");
    assert!((1..=period_seconds).contains(&seconds), "{seconds}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_past_its_budget_gets_429_on_every_expensive_route_and_others_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let policy = "[budgets]\nper_token = { requests = 2, per_seconds = 3600 }\n";
    let server = start_server(policy, &[ECHO], dir.path(), BOOTSTRAP).await;
    let alice = user_token(&server, "alice", Role::User).await;
    let bob = user_token(&server, "bob", Role::User).await;
    for _ in 0..2 {
        let ok = send(server.addr, "POST", INVOKE, Some(&alice), Some(ECHO_ARGS)).await;
        assert_eq!(ok.status, 200, "{}", ok.body);
    }
    let refused = send(server.addr, "POST", INVOKE, Some(&alice), Some(ECHO_ARGS)).await;
    assert_over_budget(&refused, 3600);
    let error = &refused.json()["error"];
    assert_eq!(error["code"], "rate_limited");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("tool calls") && message.contains("try again in"),
        "{message}"
    );
    assert!(!message.contains(&alice), "the token is in the message");
    // One budget for every expensive route: a workflow run and a plan node are refused before any work.
    let run = send(
        server.addr,
        "POST",
        "/api/workflows/anything/runs",
        Some(&alice),
        Some("{}"),
    )
    .await;
    assert_over_budget(&run, 3600);
    let node = send(
        server.addr,
        "POST",
        "/api/sessions/no-such-session/plan/execute-node",
        Some(&alice),
        Some(r#"{"nodeId": "n1"}"#),
    )
    .await;
    assert_over_budget(&node, 3600);
    // Cheap routes, other tokens and unknown tokens are not affected.
    assert_eq!(
        send(server.addr, "GET", "/api/tools", Some(&alice), None)
            .await
            .status,
        200
    );
    let other = send(server.addr, "POST", INVOKE, Some(&bob), Some(ECHO_ARGS)).await;
    assert_eq!(other.status, 200, "{}", other.body);
    let unknown = send(
        server.addr,
        "POST",
        INVOKE,
        Some("dd_nope"),
        Some(ECHO_ARGS),
    )
    .await;
    assert_eq!(unknown.status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_callers_are_budgeted_per_address_apart_from_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let policy = "[budgets]\nanonymous = { requests = 1, per_seconds = 600 }\n";
    let server = start_server(policy, &[ECHO], dir.path(), BOOTSTRAP).await;
    let demos = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows");
    server.core.import_workflow_dir(&demos).await.unwrap();
    let initiate =
        r#"{"workflow_name": "echo_loop", "workflow_uuid": "", "user_id": null, "params": {}}"#;
    let first = send(
        server.addr,
        "POST",
        "/fastagency/initiate_workflow",
        None,
        Some(initiate),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let second = send(
        server.addr,
        "POST",
        "/fastagency/initiate_workflow",
        None,
        Some(initiate),
    )
    .await;
    assert_over_budget(&second, 600);
    assert!(
        second.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("this address without a token"),
        "{}",
        second.body
    );
    // The socket that starts the run is charged to the same budget.
    let socket = send_with(
        server.addr,
        "GET",
        "/fastagency/ws",
        None,
        None,
        &[
            ("connection", "upgrade"),
            ("upgrade", "websocket"),
            ("sec-websocket-version", "13"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ],
    )
    .await;
    assert_over_budget(&socket, 600);
    // A caller with a token has the token's budget, not the address's.
    let with_token = send(
        server.addr,
        "POST",
        "/fastagency/initiate_workflow",
        Some(BOOTSTRAP),
        Some(initiate),
    )
    .await;
    assert_eq!(with_token.status, 200, "{}", with_token.body);
}

/// Posts one JSON-RPC message to `/mcp`; returns the status, the `Retry-After` header and the message
/// (from a JSON body or from the event stream's data lines).
async fn mcp_post(
    server: &TestServer,
    token: &str,
    session: Option<&str>,
    body: &str,
) -> (u16, Option<String>, Option<String>, Value) {
    let mut headers = vec![("accept", "application/json, text/event-stream")];
    if let Some(id) = session {
        headers.push(("mcp-session-id", id));
    }
    let answer = send_with(
        server.addr,
        "POST",
        "/mcp",
        Some(token),
        Some(body),
        &headers,
    )
    .await;
    let message = serde_json::from_str(&answer.body).unwrap_or_else(|_| {
        answer
            .body
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
            .find(|m| m.get("id").is_some())
            .unwrap_or(Value::Null)
    });
    (
        answer.status,
        answer.header("mcp-session-id").map(str::to_owned),
        answer.header("retry-after").map(str::to_owned),
        message,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_tools_call_costs_the_budget_and_tools_list_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let policy = "[budgets]\nper_token = { requests = 1, per_seconds = 900 }\n";
    let server = start_server(policy, &[ECHO], dir.path(), BOOTSTRAP).await;
    let initialize = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"#;
    let (status, session, _, message) = mcp_post(&server, BOOTSTRAP, None, initialize).await;
    assert_eq!(status, 200, "{message}");
    let session = session.expect("a session id");
    let initialized = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
    let (status, ..) = mcp_post(&server, BOOTSTRAP, Some(&session), initialized).await;
    assert_eq!(status, 202);
    let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    for _ in 0..3 {
        let (status, _, _, message) = mcp_post(&server, BOOTSTRAP, Some(&session), list).await;
        assert_eq!(status, 200, "{message}");
        assert!(message["result"]["tools"].is_array(), "{message}");
    }
    let call = |id: u32| {
        format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"echo.echo","arguments":{{"text":"hi"}}}}}}"#
        )
    };
    let (status, _, _, message) = mcp_post(&server, BOOTSTRAP, Some(&session), &call(2)).await;
    assert_eq!(status, 200, "{message}");
    assert_eq!(
        message["result"]["structuredContent"]["text"], "hi",
        "{message}"
    );
    let (status, _, retry_after, message) =
        mcp_post(&server, BOOTSTRAP, Some(&session), &call(3)).await;
    assert_eq!(status, 429, "{message}");
    let seconds: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=900).contains(&seconds), "{seconds}");
    assert_eq!(message["id"], 3, "{message}");
    assert_eq!(message["error"]["code"], -32000, "{message}");
    assert!(
        message["error"]["message"]
            .as_str()
            .unwrap()
            .contains("MCP tools/call"),
        "{message}"
    );
    let (status, _, _, message) = mcp_post(&server, BOOTSTRAP, Some(&session), list).await;
    assert_eq!(status, 200, "tools/list stays free: {message}");
}
