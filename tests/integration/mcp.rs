//! MCP over streamable HTTP at `/mcp`, driven by the official Rust SDK's client (rmcp) against the real
//! server: both protocol revisions (2025-11-25 with `initialize` and a session, 2026-07-28 stateless), tools
//! with host-computed annotations, dry-run calls that never reach the stand-in server, tool errors as
//! `isError` results, protocol errors as JSON-RPC errors, tokens, Host and Origin. The plan tools and
//! resources are in `mcp_plans.rs`; progress, cancellation, bad input and load in `mcp_calls.rs`; both use
//! the helpers here.

use std::time::Duration;

use drydock_tests::client::{send, send_with};
use drydock_tests::peer::Peer;
use drydock_tests::plugins::{ECHO, HTTP};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ErrorCode,
    GetPromptRequestParams, Implementation, ProgressNotificationParam, ProtocolVersion,
    ReadResourceRequestParams, Tool,
};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{
    ClientHandler, ClientLifecycleMode, ClientServiceExt, RoleClient, ServiceError, ServiceExt,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::support::{HostOptions, TestServer, start_server_with};

pub(crate) const TOKEN: &str = "mcp-operator-token";

/// A server whose `http` plugin may GET and POST on the peer, and may go live with http when the master
/// switch is on; `echo` has no grant at all.
pub(crate) async fn served(peer: &Peer, data: &std::path::Path, master_switch: bool) -> TestServer {
    served_with(peer, data, master_switch, "", &[ECHO, HTTP]).await
}

pub(crate) async fn served_with(
    peer: &Peer,
    data: &std::path::Path,
    master_switch: bool,
    extra_policy: &str,
    plugins: &[&str],
) -> TestServer {
    let policy = format!(
        "[plugins.http]\nhttp = [{{ url = \"{}/\", methods = [\"GET\", \"POST\"] }}]\nlive = [\"http\"]\n{extra_policy}",
        peer.base_url()
    );
    let options = HostOptions {
        master_switch,
        ..HostOptions::default()
    };
    start_server_with(&policy, plugins, data, TOKEN, options).await
}

pub(crate) fn transport(
    server: &TestServer,
    token: &str,
) -> StreamableHttpClientTransport<reqwest::Client> {
    // The workspace's reqwest has no TLS provider of its own (see drydock_package::tls).
    drydock_package::tls::install_ring_provider();
    let config =
        StreamableHttpClientTransportConfig::with_uri(format!("http://{}/mcp", server.addr))
            .auth_header(token);
    StreamableHttpClientTransport::from_config(config)
}

/// A client that asks for `version` in `initialize` and reports list_changed and progress notifications.
#[derive(Clone)]
pub(crate) struct Client {
    pub(crate) version: ProtocolVersion,
    pub(crate) changes: mpsc::UnboundedSender<()>,
    pub(crate) progress: mpsc::UnboundedSender<String>,
}

impl ClientHandler for Client {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("drydock-tests", "0.1.0"),
        )
        .with_protocol_version(self.version.clone())
    }

    async fn on_tool_list_changed(&self, _ctx: NotificationContext<RoleClient>) {
        let _ = self.changes.send(());
    }

    async fn on_progress(
        &self,
        progress: ProgressNotificationParam,
        _ctx: NotificationContext<RoleClient>,
    ) {
        let _ = self.progress.send(progress.message.unwrap_or_default());
    }
}

/// A session started by the official client.
pub(crate) type Session = (
    RunningService<RoleClient, Client>,
    mpsc::UnboundedReceiver<()>,
);

pub(crate) async fn session(server: &TestServer, version: ProtocolVersion) -> Session {
    session_as(server, version, TOKEN).await
}

pub(crate) async fn session_as(
    server: &TestServer,
    version: ProtocolVersion,
    token: &str,
) -> Session {
    let (changes, rx) = mpsc::unbounded_channel();
    let client = Client {
        version,
        changes,
        progress: mpsc::unbounded_channel().0,
    }
    .serve(transport(server, token))
    .await
    .expect("an MCP session starts");
    (client, rx)
}

/// A 2026-07-28 client of the official SDK: no `initialize`, no session, `server/discover` first.
pub(crate) async fn stateless(server: &TestServer) -> RunningService<RoleClient, ClientConfig> {
    let lifecycle = ClientLifecycleMode::Discover {
        preferred_versions: vec![ProtocolVersion::V_2026_07_28],
    };
    ClientConfig::default()
        .serve_with_lifecycle(transport(server, TOKEN), lifecycle)
        .await
        .expect("a 2026-07-28 client discovers the server")
}

/// A read of a resource the caller cannot see is refused as not found with `code` (2025-11-25's `-32002`,
/// 2026-07-28's `-32602`), with the URI in the message and in `data.uri` (SEP-2164), and without saying
/// whether it exists for someone else.
pub(crate) fn assert_not_found(refused: ServiceError, uri: &str, code: ErrorCode) {
    let ServiceError::McpError(error) = refused else {
        panic!("a JSON-RPC error: {refused:?}");
    };
    assert_eq!(error.code, code, "{error:?}");
    assert!(error.message.contains(uri), "{error:?}");
    assert_eq!(error.data, Some(json!({ "uri": uri })), "{error:?}");
}

pub(crate) fn call(name: &str, args: Value) -> CallToolRequestParams {
    CallToolRequestParams::new(name.to_owned())
        .with_arguments(args.as_object().cloned().unwrap_or_default())
}

fn tool<'a>(tools: &'a [Tool], name: &str) -> &'a Tool {
    tools
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no tool `{name}` in the list"))
}

fn journal(result: &CallToolResult) -> Value {
    let meta = result.meta.as_ref().expect("the result carries _meta");
    meta.0["dev.drydock/journal"].clone()
}

#[tokio::test]
async fn tools_are_listed_sorted_with_annotations_the_host_computes_from_the_grants() {
    let peer = Peer::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = served(&peer, data.path(), false).await;
    for version in [ProtocolVersion::V_2025_11_25, ProtocolVersion::V_2025_06_18] {
        let (client, _) = session(&server, version.clone()).await;
        assert_eq!(client.peer_info().unwrap().protocol_version, version);
        let tools = client.list_all_tools().await.unwrap();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(
            names,
            [
                "drydock_execute_plan",
                "drydock_plan_status",
                "drydock_propose_plan",
                "echo_echo",
                "http_request"
            ]
        );
        // Names the strictest hosts accept (Claude Desktop refuses the whole list over one dot); the Drydock
        // name is in `_meta`.
        for name in &names {
            assert!(
                name.len() <= 64
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
                "{name}"
            );
        }
        let drydock_name = |listed: &str| {
            tool(&tools, listed).meta.as_ref().unwrap().0["dev.drydock/tool"].clone()
        };
        assert_eq!(drydock_name("echo_echo"), "echo.echo");
        assert_eq!(drydock_name("http_request"), "http.request");
        let propose = tool(&tools, "drydock_propose_plan")
            .annotations
            .clone()
            .unwrap();
        assert_eq!(propose.destructive_hint, Some(false));
        assert!(
            names
                .iter()
                .all(|n| !n.contains("approve") && !n.contains("grant") && !n.contains("live")),
            "no MCP tool approves, grants or toggles anything: {names:?}"
        );

        let echo = tool(&tools, "echo_echo").annotations.clone().unwrap();
        assert_eq!(
            echo.read_only_hint,
            Some(true),
            "no grant at all: read-only"
        );
        assert_eq!(echo.open_world_hint, Some(false));
        assert_eq!(echo.destructive_hint, Some(false));
        assert_eq!(echo.idempotent_hint, Some(false));

        let http = tool(&tools, "http_request");
        let annotations = http.annotations.clone().unwrap();
        assert_eq!(annotations.read_only_hint, Some(false), "POST is granted");
        assert_eq!(annotations.open_world_hint, Some(true));
        assert_eq!(
            annotations.destructive_hint,
            Some(false),
            "without the master switch nothing can go live"
        );
        let grants = &http.meta.as_ref().unwrap().0["dev.drydock/grants"];
        assert_eq!(grants["http"][0]["methods"], json!(["GET", "POST"]));
        assert!(http.input_schema.contains_key("properties"));
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn destructive_hint_follows_the_live_policy_and_clients_hear_that_the_list_changed() {
    let peer = Peer::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = served(&peer, data.path(), true).await;
    let (client, mut changes) = session(&server, ProtocolVersion::V_2025_11_25).await;
    let tools = client.list_all_tools().await.unwrap();
    let hint = |tools: &[Tool]| {
        tool(tools, "http_request")
            .annotations
            .clone()
            .unwrap()
            .destructive_hint
    };
    assert_eq!(
        hint(&tools),
        Some(true),
        "the LivePolicy lists http and the master switch is on"
    );

    let off = send(
        server.addr,
        "PUT",
        "/api/policy/plugins/http/live",
        Some(TOKEN),
        Some(r#"{"capabilities": []}"#),
    )
    .await;
    assert_eq!(off.status, 200, "{}", off.body);
    tokio::time::timeout(Duration::from_secs(10), changes.recv())
        .await
        .expect("notifications/tools/list_changed arrives")
        .unwrap();
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(hint(&tools), Some(false));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_call_is_a_dry_run_that_never_reaches_the_peer_and_shows_its_journal() {
    let peer = Peer::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = served(&peer, data.path(), true).await;
    let (client, _) = session(&server, ProtocolVersion::V_2025_11_25).await;
    let url = format!("{}/rest/api/2/issue", peer.base_url());
    let result = client
        .call_tool(call(
            "http_request",
            json!({"url": url, "method": "POST", "body": "{}"}),
        ))
        .await
        .unwrap();
    assert_ne!(result.is_error, Some(true), "{result:?}");
    assert_eq!(peer.count(), 0, "a dry-run POST reached the peer");
    let structured = result.structured_content.clone().unwrap();
    assert_eq!(structured["status"], 202);
    let effects = journal(&result)["effects"].clone();
    assert_eq!(effects[0]["outcome"], "simulated", "{effects}");
    assert_eq!(effects[0]["capability"], "http");
    assert!(
        effects[0]["reason"].as_str().unwrap().contains("dry"),
        "{effects}"
    );
    let text = result.content[0].as_text().unwrap().text.clone();
    assert!(
        text.contains("Dry run") && text.contains("simulated http POST"),
        "{text}"
    );

    // The call is audited as the token's owner, through the mcp channel, under its correlation id.
    let correlation = result.meta.as_ref().unwrap().0["dev.drydock/correlationId"]
        .as_str()
        .unwrap()
        .to_owned();
    let audit = send(
        server.addr,
        "GET",
        &format!("/api/audit?correlationId={correlation}"),
        Some(TOKEN),
        None,
    )
    .await
    .json();
    let rows = audit["entries"].as_array().cloned().unwrap_or_default();
    let invoke = rows
        .iter()
        .find(|row| row["action"] == "tool.invoke")
        .unwrap_or_else(|| panic!("no tool.invoke row: {audit}"));
    assert_eq!(invoke["detail"]["channel"], "mcp");
    assert_eq!(invoke["detail"]["mode"], "dry-run");
    assert_eq!(
        invoke["target"], "http.request",
        "the log names the tool as Drydock does, whatever name the client used"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn tool_failures_are_error_results_and_unknown_tools_are_protocol_errors() {
    let peer = Peer::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = served(&peer, data.path(), false).await;
    let (client, _) = session(&server, ProtocolVersion::V_2025_11_25).await;

    let denied = client
        .call_tool(call(
            "http.request",
            json!({"url": "https://elsewhere.example/x"}),
        ))
        .await
        .unwrap();
    assert_eq!(denied.is_error, Some(true));
    assert_eq!(journal(&denied)["effects"][0]["outcome"], "denied");
    let text = denied.content[0].as_text().unwrap().text.clone();
    assert!(text.contains("no http grant"), "{text}");

    let invalid = client
        .call_tool(call("echo.echo", json!({"text": 42})))
        .await
        .unwrap();
    assert_eq!(invalid.is_error, Some(true));
    let error = &invalid.meta.as_ref().unwrap().0["dev.drydock/error"];
    assert_eq!(error["code"], "invalid_input", "{error}");

    let unknown = client
        .call_tool(call("nope.tool", json!({})))
        .await
        .unwrap_err();
    match unknown {
        ServiceError::McpError(error) => {
            assert_eq!(error.code, ErrorCode::INVALID_PARAMS);
            assert!(
                error.message.contains("no tool named `nope.tool`"),
                "{error:?}"
            );
        }
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
    // A name shaped like a listed one that lists nothing is refused alike.
    let unlisted = client
        .call_tool(call("nope_tool", json!({})))
        .await
        .unwrap_err();
    assert!(
        matches!(&unlisted, ServiceError::McpError(e) if e.code == ErrorCode::INVALID_PARAMS && e.message.contains("`nope_tool`")),
        "{unlisted:?}"
    );
    // The server keeps serving after each, under either name of a tool.
    for name in ["echo_echo", "echo.echo"] {
        let ok = client
            .call_tool(call(name, json!({"text": "hi"})))
            .await
            .unwrap();
        assert_eq!(ok.structured_content.unwrap()["text"], "hi", "{name}");
    }
    assert_eq!(peer.count(), 0);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_2026_client_lists_and_calls_without_a_session() {
    let peer = Peer::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = served(&peer, data.path(), false).await;
    let client = stateless(&server).await;
    assert_eq!(
        client.peer_info().unwrap().protocol_version,
        ProtocolVersion::V_2026_07_28
    );
    assert_eq!(client.list_all_tools().await.unwrap().len(), 5);
    let result = client
        .call_tool(call("echo_echo", json!({"text": "stateless"})))
        .await
        .unwrap();
    assert_eq!(result.structured_content.unwrap()["text"], "stateless");
    // 2026-07-28 names a missing resource `invalid params` (SEP-2164), with the URI in `data`.
    let uri = "drydock://artifacts/0f3e";
    let missing = client
        .read_resource(ReadResourceRequestParams::new(uri))
        .await
        .unwrap_err();
    assert_not_found(missing, uri, ErrorCode::INVALID_PARAMS);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_rehearse_prompt_is_listed_and_carries_the_goal_for_both_revisions() {
    let peer = Peer::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = served(&peer, data.path(), false).await;
    let (legacy, _) = session(&server, ProtocolVersion::V_2025_11_25).await;
    let stateless = stateless(&server).await;
    assert!(
        legacy.peer_info().unwrap().capabilities.prompts.is_some(),
        "the server declares prompts"
    );
    for client in [legacy.peer(), stateless.peer()] {
        let prompts = client.list_all_prompts().await.unwrap();
        let names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["rehearse"]);
        let goal = prompts[0].arguments.as_ref().unwrap();
        assert_eq!(
            (goal[0].name.as_str(), goal[0].required),
            ("goal", Some(true))
        );

        let asked = GetPromptRequestParams::new("rehearse").with_arguments(
            json!({"goal": "tidy the notes"})
                .as_object()
                .cloned()
                .unwrap(),
        );
        let prompt = client.get_prompt(asked).await.unwrap();
        let message = serde_json::to_value(&prompt.messages[0]).unwrap();
        assert_eq!(message["role"], "user");
        let text = message["content"]["text"].as_str().unwrap();
        assert!(text.starts_with("Goal: tidy the notes"), "{text}");

        for (name, args) in [("rehearse", json!({})), ("nope", json!({"goal": "x"}))] {
            let asked = GetPromptRequestParams::new(name)
                .with_arguments(args.as_object().cloned().unwrap());
            match client.get_prompt(asked).await.unwrap_err() {
                ServiceError::McpError(error) => {
                    assert_eq!(error.code, ErrorCode::INVALID_PARAMS, "{error:?}")
                }
                other => panic!("expected a JSON-RPC error, got {other:?}"),
            }
        }
    }
    legacy.cancel().await.unwrap();
    stateless.cancel().await.unwrap();
}

#[tokio::test]
async fn without_a_valid_token_mcp_answers_401_pointing_at_the_resource_metadata() {
    let peer = Peer::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = served(&peer, data.path(), false).await;
    let initialize = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;
    let accept = [("accept", "application/json, text/event-stream")];
    for token in [None, Some("not-a-token")] {
        let answer = send_with(
            server.addr,
            "POST",
            "/mcp",
            token,
            Some(initialize),
            &accept,
        )
        .await;
        assert_eq!(answer.status, 401, "{}", answer.body);
        let challenge = answer
            .header("www-authenticate")
            .unwrap_or_default()
            .to_owned();
        let expected = format!(
            "Bearer resource_metadata=\"http://{}/.well-known/oauth-protected-resource\"",
            server.addr
        );
        assert_eq!(challenge, expected);
    }
    let metadata = send(
        server.addr,
        "GET",
        "/.well-known/oauth-protected-resource",
        None,
        None,
    )
    .await;
    assert_eq!(metadata.status, 200);
    let document = metadata.json();
    assert_eq!(document["resource"], format!("http://{}/mcp", server.addr));
    assert_eq!(document["bearer_methods_supported"], json!(["header"]));
    // The official client with a wrong token is refused too.
    let refused = Client {
        version: ProtocolVersion::V_2025_11_25,
        changes: mpsc::unbounded_channel().0,
        progress: mpsc::unbounded_channel().0,
    }
    .serve(transport(&server, "not-a-token"))
    .await;
    assert!(refused.is_err(), "a session started without a valid token");
}

#[tokio::test]
async fn mcp_refuses_a_foreign_host_and_a_foreign_origin() {
    let peer = Peer::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = served(&peer, data.path(), false).await;
    let ping = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    let accept = ("accept", "application/json, text/event-stream");
    let origin = send_with(
        server.addr,
        "POST",
        "/mcp",
        Some(TOKEN),
        Some(ping),
        &[accept, ("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(origin.status, 403, "{}", origin.body);
    let get_origin = send_with(
        server.addr,
        "GET",
        "/mcp",
        Some(TOKEN),
        None,
        &[("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(
        get_origin.status, 403,
        "Origin is checked on every /mcp request"
    );
}
