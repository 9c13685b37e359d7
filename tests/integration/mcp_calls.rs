//! MCP calls under stress, over streamable HTTP: progress notifications, cancellation (a spinning guest and
//! a waiting one), a client that hangs up mid-call, malformed and unknown messages, and 1,000 concurrent calls
//! from one token. The shared setup is in `mcp.rs`.

use std::time::Duration;

use drydock_tests::client::{send, send_with};
use drydock_tests::peer::Peer;
use drydock_tests::plugins::{ECHO, HOSTILE_INFINITE_LOOP, HTTP, TICKER};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequest, ClientRequest, ProtocolVersion};
use rmcp::service::PeerRequestOptions;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::mcp::{Client, TOKEN, call, served, served_with, session, transport};
use crate::support::TestServer;

#[tokio::test]
async fn host_progress_becomes_progress_notifications_in_order() {
    let peer = Peer::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = served_with(&peer, data.path(), false, "", &[ECHO, HTTP, TICKER]).await;
    let (progress, mut lines) = mpsc::unbounded_channel();
    let client = Client {
        version: ProtocolVersion::V_2025_11_25,
        changes: mpsc::unbounded_channel().0,
        progress,
    }
    .serve(transport(&server, TOKEN))
    .await
    .unwrap();
    let result = client
        .call_tool(call("ticker_count", json!({"to": 3})))
        .await
        .unwrap();
    assert_eq!(result.structured_content.unwrap()["counted"], 3);
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let line = tokio::time::timeout(Duration::from_secs(10), lines.recv())
            .await
            .expect("three progress notifications")
            .unwrap();
        seen.push(line);
    }
    assert_eq!(seen, ["step 1 of 3", "step 2 of 3", "step 3 of 3"]);
    client.cancel().await.unwrap();
}

/// The audit row of the newest `tool.invoke` of `tool`, once there is one (bounded wait).
async fn invoke_row(server: &TestServer, tool: &str) -> Value {
    for _ in 0..300 {
        let audit = send(
            server.addr,
            "GET",
            "/api/audit?limit=1000",
            Some(TOKEN),
            None,
        )
        .await
        .json();
        let row = audit["entries"]
            .as_array()
            .and_then(|rows| {
                rows.iter()
                    .rev()
                    .find(|r| r["action"] == "tool.invoke" && r["target"] == tool)
            })
            .cloned();
        if let Some(row) = row {
            return row;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no tool.invoke row for {tool}");
}

// Several workers, as `drydock serve` has: a spinning guest holds one until the epoch stops it, and the
// cancel notification must be read by another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_call_stops_the_plugin_where_it_is_and_is_audited_as_cancelled() {
    let peer = Peer::start().await;
    let data = tempfile::tempdir().unwrap();
    let limits = "[plugins.hostile_infinite_loop.limits]\ntimeout_ms = 30000\n\
                  [plugins.ticker.limits]\ntimeout_ms = 30000\n";
    let plugins = [ECHO, HTTP, TICKER, HOSTILE_INFINITE_LOOP];
    let server = served_with(&peer, data.path(), false, limits, &plugins).await;
    let (client, _) = session(&server, ProtocolVersion::V_2025_11_25).await;
    // One plugin spinning in wasm (stopped by the epoch), one waiting on the host (stopped at its await).
    for (tool, args) in [
        ("hostile_infinite_loop.run", json!({})),
        ("ticker.count", json!({"to": 1000, "pause_ms": 1000})),
    ] {
        let request = ClientRequest::CallToolRequest(CallToolRequest::new(call(tool, args)));
        let handle = client
            .send_cancellable_request(request, PeerRequestOptions::no_options())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        handle
            .cancel(Some("the user changed their mind".into()))
            .await
            .unwrap();
        let row = invoke_row(&server, tool).await;
        assert_eq!(row["detail"]["outcome"], "cancelled", "{tool}: {row}");
        assert_eq!(row["detail"]["channel"], "mcp");
    }
    let ok = client
        .call_tool(call("echo_echo", json!({"text": "after"})))
        .await
        .unwrap();
    assert_eq!(ok.structured_content.unwrap()["text"], "after");
    client.cancel().await.unwrap();
}

/// One raw POST to `/mcp` (as any MCP client would send it), optionally in a session; the status, the
/// `Mcp-Session-Id` answered, and the JSON-RPC message of the answer (from JSON or an event stream).
async fn raw_post(
    server: &TestServer,
    session: Option<&str>,
    body: &str,
) -> (u16, Option<String>, Value) {
    let mut headers = vec![("accept", "application/json, text/event-stream")];
    if let Some(id) = session {
        headers.push(("mcp-session-id", id));
    }
    let answer = send_with(
        server.addr,
        "POST",
        "/mcp",
        Some(TOKEN),
        Some(body),
        &headers,
    )
    .await;
    let session_id = answer.header("mcp-session-id").map(str::to_owned);
    let message = serde_json::from_str(&answer.body).unwrap_or_else(|_| {
        answer
            .body
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
            .find(|m| m.get("id").is_some())
            .unwrap_or(Value::Null)
    });
    (answer.status, session_id, message)
}

/// A 2025-11-25 session opened by hand; its id.
async fn raw_session(server: &TestServer) -> String {
    let initialize = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"#;
    let (status, session, message) = raw_post(server, None, initialize).await;
    assert_eq!(status, 200, "{message}");
    let session = session.expect("a session id");
    let initialized = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
    let (status, _, _) = raw_post(server, Some(&session), initialized).await;
    assert_eq!(status, 202);
    session
}

#[tokio::test]
async fn malformed_and_unknown_messages_get_the_errors_the_specification_names() {
    let peer = Peer::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = served(&peer, data.path(), false).await;
    for (body, code) in [
        ("{not json", -32700),
        (r#"{"id": 1, "method": "ping"}"#, -32600),
        ("[]", -32600),
        ("42", -32600),
    ] {
        let (status, _, message) = raw_post(&server, None, body).await;
        assert_eq!(status, 400, "{body}: {message}");
        assert_eq!(message["error"]["code"], code, "{body}: {message}");
    }
    let oversized = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"pad":"{}"}}}}"#,
        "x".repeat(1 << 20)
    );
    let (status, _, message) = raw_post(&server, None, &oversized).await;
    assert_eq!(status, 413, "{message}");
    assert!(
        message["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1048576"),
        "{message}"
    );

    let session = raw_session(&server).await;
    let (_, _, unknown) = raw_post(
        &server,
        Some(&session),
        r#"{"jsonrpc":"2.0","id":7,"method":"no/such/method"}"#,
    )
    .await;
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    let call = r#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"echo_echo","arguments":{"text":"still here"}}}"#;
    let (_, _, answer) = raw_post(&server, Some(&session), call).await;
    assert_eq!(
        answer["result"]["structuredContent"]["text"], "still here",
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_disconnects_mid_call_leaves_a_finished_audited_call_and_a_serving_server() {
    use tokio::io::AsyncWriteExt;
    let peer = Peer::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = served_with(&peer, data.path(), false, "", &[ECHO, HTTP, TICKER]).await;
    let session_id = raw_session(&server).await;
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"ticker_count","arguments":{"to":3,"pause_ms":200}}}"#;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let request = format!(
        "POST /mcp HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {TOKEN}\r\nAccept: application/json, text/event-stream\r\n\
         Content-Type: application/json\r\nMcp-Session-Id: {session_id}\r\nContent-Length: {}\r\n\r\n{body}",
        server.addr,
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    // Hang up while the plugin is counting (three steps of 200 ms).
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(stream);
    let row = invoke_row(&server, "ticker.count").await;
    let outcome = row["detail"]["outcome"].as_str().unwrap().to_owned();
    assert!(outcome == "ok" || outcome == "cancelled", "{row}");
    let (client, _) = session(&server, ProtocolVersion::V_2025_11_25).await;
    let ok = client
        .call_tool(call("echo_echo", json!({"text": "serving"})))
        .await
        .unwrap();
    assert_eq!(ok.structured_content.unwrap()["text"], "serving");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_from_one_token_are_queued_up_to_a_bound_and_refused_past_it() {
    let peer = Peer::start().await;
    let data = tempfile::tempdir().unwrap();
    // A budget big enough that the concurrency bound, not the request budget, is what refuses.
    let budget = "[budgets]\nper_token = { requests = 100000, per_seconds = 60 }\n";
    let server = std::sync::Arc::new(
        served_with(&peer, data.path(), false, budget, &[ECHO, HTTP, TICKER]).await,
    );
    let session = raw_session(&server).await;
    let mut calls = tokio::task::JoinSet::new();
    for id in 0..1000 {
        let (server, session) = (server.clone(), session.clone());
        calls.spawn(async move {
            let body = format!(
                r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"ticker_count","arguments":{{"to":1,"pause_ms":300}}}}}}"#
            );
            raw_post(&server, Some(&session), &body).await.2
        });
    }
    let (mut done, mut busy) = (0, 0);
    while let Some(answer) = calls.join_next().await {
        let answer = answer.unwrap();
        if answer["result"]["structuredContent"]["counted"] == 1 {
            done += 1;
        } else if answer["error"]["code"] == -32000 {
            assert!(
                answer["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("too many calls in flight")
            );
            busy += 1;
        } else {
            panic!("neither a result nor a clear refusal: {answer}");
        }
    }
    assert_eq!(done + busy, 1000);
    assert!(busy > 0, "1,000 calls at once were all queued");
    assert!(done >= 32, "only {done} ran");
    let (_, _, answer) = raw_post(
        &server,
        Some(&session),
        r#"{"jsonrpc":"2.0","id":5000,"method":"tools/call","params":{"name":"echo_echo","arguments":{"text":"after"}}}"#,
    )
    .await;
    assert_eq!(
        answer["result"]["structuredContent"]["text"], "after",
        "{answer}"
    );
}
