//! The MCP plan tools and resources, over streamable HTTP with the official client: a proposal is rehearsed
//! dry, waits for a person's approval through the plan API, and goes live only when every key turns;
//! artifacts are resources their owner can read and nobody else can. The shared setup is in `mcp.rs`.

use drydock_core::Role;
use drydock_tests::client::send;
use drydock_tests::peer::Peer;
use drydock_tests::plugins::{ECHO, HTTP, WORKSPACE};
use rmcp::RoleClient;
use rmcp::model::{ErrorCode, ProtocolVersion, ReadResourceRequestParams, ResourceContents};
use rmcp::service::RunningService;
use serde_json::json;

use crate::mcp::{Client, TOKEN, assert_not_found, call, served, served_with, session, session_as};
use crate::support::TestServer;

/// Proposes one POST to the peer over MCP and returns the session id, checking the rehearsal was dry.
async fn propose_post(client: &RunningService<RoleClient, Client>, peer: &Peer) -> String {
    let url = format!("{}/rest/api/2/issue", peer.base_url());
    // The tool as tools/list names it; the plan keeps its Drydock name.
    let step = json!({"tool": "http_request", "args": {"url": url, "method": "POST", "body": "{}"}, "description": "File the issue"});
    let proposed = client
        .call_tool(call(
            "drydock_propose_plan",
            json!({"title": "File an issue", "steps": [step]}),
        ))
        .await
        .unwrap();
    assert_ne!(proposed.is_error, Some(true), "{proposed:?}");
    let structured = proposed.structured_content.unwrap();
    assert_eq!(structured["plan"]["status"], "pending_approval");
    let node = &structured["plan"]["nodes"][0];
    assert_eq!(node["steps"][0]["tool"], "http.request", "{node}");
    let effects = &structured["rehearsal"][0]["effects"];
    assert_eq!(
        effects[0]["outcome"], "simulated",
        "the rehearsal is dry: {effects}"
    );
    assert_eq!(peer.count(), 0);
    // What will change: the report's summary, the one write and the hash an approval binds.
    let report = &structured["rehearsalReport"];
    assert_eq!(report["writes"], 1, "{report}");
    assert_eq!(report["nodes"][0]["targets"][0]["target"], url, "{report}");
    assert_eq!(report["hash"].as_str().map(str::len), Some(64), "{report}");
    assert!(
        proposed.content[0]
            .as_text()
            .unwrap()
            .text
            .contains("What will change"),
        "{:?}",
        proposed.content
    );
    structured["sessionId"].as_str().unwrap().to_owned()
}

/// `drydock_execute_plan` of the session's plan.
async fn execute(
    client: &RunningService<RoleClient, Client>,
    session_id: &str,
) -> rmcp::model::CallToolResult {
    client
        .call_tool(call(
            "drydock_execute_plan",
            json!({"sessionId": session_id}),
        ))
        .await
        .unwrap()
}

async fn approve(server: &TestServer, session_id: &str) {
    let approved = send(
        server.addr,
        "POST",
        &format!("/api/sessions/{session_id}/plan/approve"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
}

/// A served Drydock (master switch as given) with a 2025-11-25 client that proposed one POST to the peer.
struct Proposed {
    peer: Peer,
    _data: tempfile::TempDir,
    server: TestServer,
    client: RunningService<RoleClient, Client>,
    session_id: String,
}

async fn proposed(master_switch: bool) -> Proposed {
    let peer = Peer::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = served(&peer, data.path(), master_switch).await;
    let (client, _) = session(&server, ProtocolVersion::V_2025_11_25).await;
    let session_id = propose_post(&client, &peer).await;
    Proposed {
        peer,
        _data: data,
        server,
        client,
        session_id,
    }
}

#[tokio::test]
async fn a_proposed_plan_goes_live_only_after_a_person_approves_it_and_every_key_turns() {
    let Proposed {
        peer,
        _data,
        server,
        client,
        session_id,
    } = proposed(true).await;

    let status = client
        .call_tool(call(
            "drydock_plan_status",
            json!({"sessionId": session_id}),
        ))
        .await
        .unwrap();
    let status = status.structured_content.unwrap();
    assert_eq!(status["plan"]["status"], "pending_approval");
    let report = send(
        server.addr,
        "GET",
        &format!("/api/sessions/{session_id}/plan/rehearsal"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(
        status["rehearsalReport"]["hash"],
        report.json()["hash"],
        "the status carries the hash of the report an approval binds: {status}"
    );
    let early = execute(&client, &session_id).await;
    assert_eq!(early.is_error, Some(true), "an unapproved plan is refused");
    assert!(
        early.content[0]
            .as_text()
            .unwrap()
            .text
            .contains("approves it first")
    );
    assert_eq!(peer.count(), 0);

    // The plan API shows the proposal like any other plan; a person approves it there.
    let plan = send(
        server.addr,
        "GET",
        &format!("/api/sessions/{session_id}/plan"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(plan.json()["status"], "pending_approval", "{}", plan.body);
    // And the chat API as a task of a conversation of the client user `mcp`.
    let tasks = send(
        server.addr,
        "GET",
        "/api/v1/tasks?user_id=mcp",
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(tasks.status, 200, "{}", tasks.body);
    let tasks = tasks.json();
    let task = tasks
        .as_array()
        .or_else(|| tasks["tasks"].as_array())
        .and_then(|all| all.first())
        .unwrap_or_else(|| panic!("no task listed: {tasks}"))
        .clone();
    assert_eq!(task["status"], "pending_approval", "{task}");
    assert_eq!(task["steps"][0]["tool_name"], "http.request", "{task}");
    let messages = send(
        server.addr,
        "GET",
        &format!("/api/v1/conversations/{session_id}/messages"),
        Some(TOKEN),
        None,
    )
    .await;
    assert!(
        messages
            .body
            .contains("An agent proposed this plan over MCP"),
        "{}",
        messages.body
    );
    approve(&server, &session_id).await;

    let run = execute(&client, &session_id).await;
    assert_ne!(run.is_error, Some(true), "{run:?}");
    let structured = run.structured_content.unwrap();
    assert_eq!(structured["mode"], "live");
    assert_eq!(
        structured["plan"]["approvedRehearsalHash"],
        report.json()["hash"],
        "{structured}"
    );
    assert_eq!(structured["plan"]["status"], "completed");
    assert_eq!(peer.count(), 1, "the approved POST went out exactly once");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn an_approved_plan_stays_dry_without_the_master_switch() {
    let Proposed {
        peer,
        _data,
        server,
        client,
        session_id,
    } = proposed(false).await;
    approve(&server, &session_id).await;
    let run = execute(&client, &session_id).await;
    assert_ne!(run.is_error, Some(true), "{run:?}");
    assert_eq!(
        peer.count(),
        0,
        "without DRYDOCK_LIVE=1 the write is simulated"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn artifacts_are_resources_their_owner_can_read_and_nobody_else_can() {
    let peer = Peer::start().await;
    let data = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let grant = format!(
        "[plugins.workspace]\nfs = [{{ path = {:?}, access = \"rw\" }}]\n",
        workspace.path().display().to_string()
    );
    let server = served_with(&peer, data.path(), false, &grant, &[ECHO, HTTP, WORKSPACE]).await;
    let (client, _) = session(&server, ProtocolVersion::V_2025_11_25).await;
    let step =
        json!({"tool": "workspace.write_file", "args": {"path": "notes.md", "content": "hello\n"}});
    let proposed = client
        .call_tool(call(
            "drydock_propose_plan",
            json!({"title": "Write notes", "steps": [step]}),
        ))
        .await
        .unwrap();
    assert_ne!(proposed.is_error, Some(true), "{proposed:?}");

    let resources = client.list_all_resources().await.unwrap();
    let diff = resources
        .iter()
        .find(|r| r.name.ends_with(".diff"))
        .unwrap_or_else(|| panic!("the rehearsal's diff is a resource: {resources:?}"));
    assert!(diff.uri.starts_with("drydock://artifacts/"), "{}", diff.uri);
    assert_eq!(diff.mime_type.as_deref(), Some("text/x-diff"));
    let read = client
        .read_resource(ReadResourceRequestParams::new(diff.uri.clone()))
        .await
        .unwrap();
    match &read.contents[0] {
        ResourceContents::TextResourceContents { text, .. } => {
            assert!(text.contains("+hello"), "{text}")
        }
        other => panic!("a diff is text: {other:?}"),
    }
    assert!(
        !workspace.path().join("notes.md").exists(),
        "the rehearsal was dry"
    );

    // Another user sees none of it.
    let other = server
        .core
        .add_user("mallory", "correct horse", Role::User, "test")
        .await
        .unwrap();
    let (stranger, _) = session_as(&server, ProtocolVersion::V_2025_11_25, &other).await;
    assert!(stranger.list_all_resources().await.unwrap().is_empty());
    let refused = stranger
        .read_resource(ReadResourceRequestParams::new(diff.uri.clone()))
        .await
        .unwrap_err();
    assert_not_found(refused, &diff.uri, ErrorCode::RESOURCE_NOT_FOUND);
    let garbage = client
        .read_resource(ReadResourceRequestParams::new("file:///etc/passwd"))
        .await
        .unwrap_err();
    assert_not_found(garbage, "file:///etc/passwd", ErrorCode::RESOURCE_NOT_FOUND);
    stranger.cancel().await.unwrap();
    client.cancel().await.unwrap();
}
