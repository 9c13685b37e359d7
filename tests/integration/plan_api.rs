//! Seed 001's "done when" over real HTTP: create a session from a work item, generate a plan, execute a
//! node, observe its events and artifacts; plus dependency order, stale plans, live gating, isolation and
//! restart recovery.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use drydock_core::{ExecutionRow, ExecutionStatus, Role, Store};
use drydock_tests::client::{send, sse};
use drydock_tests::plugins::{TEMPLATE_PLANNER, WORKSPACE};
use serde_json::{Value, json};

use crate::support::{TestServer, start_server};

const OPERATOR: &str = "operator-token-for-plan-tests";

async fn start(workspace: &Path, data: &Path) -> TestServer {
    let policy = format!(
        "[plugins.workspace]\nfs = [{{ path = {:?}, access = \"rw\" }}]\n",
        workspace.display().to_string()
    );
    start_server(&policy, &[TEMPLATE_PLANNER, WORKSPACE], data, OPERATOR).await
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("upload.rs"), "// ABC-123: retry uploads\n").unwrap();
    dir
}

const WORK_ITEM: &str = r#"{"workItem": {"id": "ABC-123", "title": "Retry failed uploads", "description": "Uploads fail on flaky networks", "type": "feature", "labels": ["backend"]}}"#;

async fn new_session(addr: SocketAddr, token: &str) -> String {
    let created = send(addr, "POST", "/api/sessions", Some(token), Some(WORK_ITEM)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.json()["sessionId"].as_str().unwrap().to_owned()
}

/// Polls an execution until it is terminal (bounded: 100 × 50 ms).
async fn wait_for(addr: SocketAddr, token: &str, correlation: &str) -> Value {
    for _ in 0..100 {
        let answer = send(
            addr,
            "GET",
            &format!("/api/executions/{correlation}"),
            Some(token),
            None,
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let execution = answer.json();
        if ["completed", "failed", "interrupted"].contains(&execution["status"].as_str().unwrap()) {
            return execution;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("execution {correlation} did not finish");
}

async fn execute(
    addr: SocketAddr,
    token: &str,
    session: &str,
    body: &str,
) -> drydock_tests::client::Answer {
    send(
        addr,
        "POST",
        &format!("/api/sessions/{session}/plan/execute-node"),
        Some(token),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn seed_001_session_plan_execute_events_and_artifacts() {
    let (ws, data) = (workspace(), tempfile::tempdir().unwrap());
    let original = std::fs::read(ws.path().join("upload.rs")).unwrap();
    let server = start(ws.path(), data.path()).await;
    let token = server
        .core
        .add_user("alice", "pw-alice", Role::User, "test")
        .await
        .unwrap();
    let session = new_session(server.addr, &token).await;

    let generated = send(
        server.addr,
        "POST",
        &format!("/api/sessions/{session}/plan/generate"),
        Some(&token),
        Some("{}"),
    )
    .await;
    assert_eq!(generated.status, 200, "{}", generated.body);
    let summary = generated.json();
    assert_eq!(
        summary["nodeCount"],
        summary["nodes"].as_array().unwrap().len()
    );
    let first = &summary["nodes"][0];
    for field in ["nodeId", "title", "dependsOn", "suggestedBranch", "tags"] {
        assert!(first.get(field).is_some(), "node lacks `{field}`: {first}");
    }
    assert_eq!(
        first["suggestedBranch"],
        "feature/ABC-123-retry-failed-uploads"
    );
    let again = send(
        server.addr,
        "POST",
        &format!("/api/sessions/{session}/plan/generate"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(
        again.json()["planId"],
        summary["planId"],
        "an existing plan is returned unless force"
    );

    let plan = send(
        server.addr,
        "GET",
        &format!("/api/sessions/{session}/plan"),
        Some(&token),
        None,
    )
    .await
    .json();
    assert_eq!(plan["status"], "pending_approval");
    assert_eq!(plan["version"], 1);
    assert_eq!(plan["approval"]["approved"], false);

    // implement depends on analyze: refused until analyze completed.
    let early = execute(server.addr, &token, &session, r#"{"nodeId": "implement"}"#).await;
    assert_eq!(early.status, 409, "{}", early.body);
    assert_eq!(early.json()["error"]["code"], "dependencies_incomplete");
    assert!(
        early.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("analyze")
    );

    let accepted = execute(server.addr, &token, &session, r#"{"nodeId": "analyze"}"#).await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    assert_eq!(accepted.json()["accepted"], true);
    let analyze = accepted.json()["correlationId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        wait_for(server.addr, &token, &analyze).await["status"],
        "completed"
    );

    let implement = execute(server.addr, &token, &session, r#"{"nodeId": "implement"}"#)
        .await
        .json();
    let implement = implement["correlationId"].as_str().unwrap().to_owned();
    let execution = wait_for(server.addr, &token, &implement).await;
    assert_eq!(execution["status"], "completed", "{execution}");
    assert_eq!(execution["mode"], "dry-run");
    assert_eq!(
        std::fs::read(ws.path().join("upload.rs")).unwrap(),
        original
    );
    assert!(
        !ws.path().join("notes").exists(),
        "a dry run must not write the workspace"
    );
    let artifact_id = execution["artifacts"][0]["id"]
        .as_str()
        .expect("the diff artifact")
        .to_owned();
    let content = send(
        server.addr,
        "GET",
        &format!("/api/artifacts/{artifact_id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(content.status, 200);
    assert_eq!(content.header("content-type"), Some("text/x-diff"));
    assert!(
        content.body.contains("+++ b/notes/ABC-123.md"),
        "{}",
        content.body
    );

    let listed = send(
        server.addr,
        "GET",
        &format!("/api/sessions/{session}/artifacts"),
        Some(&token),
        None,
    )
    .await
    .json();
    assert!(!listed["artifacts"].as_array().unwrap().is_empty());

    // Events: replay everything, then replay after a Last-Event-ID.
    let (status, events) = sse(
        server.addr,
        &format!("/api/sessions/{session}/events"),
        &token,
        None,
        100,
        Duration::from_secs(2),
    )
    .await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = events.iter().filter_map(|e| e.event.as_deref()).collect();
    for kind in [
        "plan_updated",
        "node_started",
        "step_started",
        "effect",
        "artifact_created",
        "node_completed",
    ] {
        assert!(kinds.contains(&kind), "no `{kind}` event in {kinds:?}");
    }
    let effect = events
        .iter()
        .find(|e| e.event.as_deref() == Some("effect"))
        .unwrap();
    let effect: Value = serde_json::from_str(&effect.data).unwrap();
    assert_eq!(effect["payload"]["outcome"], "simulated");
    assert_eq!(effect["correlationId"], json!(implement));
    let middle = events[events.len() / 2].id.clone().unwrap();
    let (_, replayed) = sse(
        server.addr,
        &format!("/api/sessions/{session}/events"),
        &token,
        Some(&middle),
        100,
        Duration::from_millis(500),
    )
    .await;
    assert_eq!(replayed.len(), events.len() - events.len() / 2 - 1);
    assert_eq!(replayed[0].id, events[events.len() / 2 + 1].id);
}

#[tokio::test]
async fn a_changed_plan_is_stale_and_live_execution_is_refused_until_approved_again() {
    let (ws, data) = (workspace(), tempfile::tempdir().unwrap());
    let server = start(ws.path(), data.path()).await;
    let session = new_session(server.addr, OPERATOR).await;
    send(
        server.addr,
        "POST",
        &format!("/api/sessions/{session}/plan/generate"),
        Some(OPERATOR),
        None,
    )
    .await;
    let unapproved = execute(
        server.addr,
        OPERATOR,
        &session,
        r#"{"nodeId": "analyze", "mode": "live"}"#,
    )
    .await;
    assert_eq!(unapproved.status, 409);
    assert_eq!(unapproved.json()["error"]["code"], "plan_not_approved");

    let approved = send(
        server.addr,
        "POST",
        &format!("/api/sessions/{session}/plan/approve"),
        Some(OPERATOR),
        None,
    )
    .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.json()["approval"]["approved"], true);
    let regenerated = send(
        server.addr,
        "POST",
        &format!("/api/sessions/{session}/plan/generate"),
        Some(OPERATOR),
        Some(r#"{"force": true}"#),
    )
    .await;
    assert_eq!(regenerated.status, 200);
    let plan = send(
        server.addr,
        "GET",
        &format!("/api/sessions/{session}/plan"),
        Some(OPERATOR),
        None,
    )
    .await
    .json();
    assert_eq!(plan["version"], 2);
    assert_eq!(
        plan["approval"]["approved"], false,
        "a new version resets approval"
    );
    let refused = execute(
        server.addr,
        OPERATOR,
        &session,
        r#"{"nodeId": "analyze", "mode": "live"}"#,
    )
    .await;
    assert_eq!(refused.status, 409);

    // Approved without a rehearsal, a node cannot go live; rehearsed (a dry run) and approved, it can.
    send(
        server.addr,
        "POST",
        &format!("/api/sessions/{session}/plan/approve"),
        Some(OPERATOR),
        None,
    )
    .await;
    let unrehearsed = execute(
        server.addr,
        OPERATOR,
        &session,
        r#"{"nodeId": "analyze", "mode": "live"}"#,
    )
    .await;
    assert_eq!(unrehearsed.status, 409, "{}", unrehearsed.body);
    assert_eq!(unrehearsed.json()["error"]["code"], "rehearsal_missing");
    let dry = execute(server.addr, OPERATOR, &session, r#"{"nodeId": "analyze"}"#).await;
    let dry = dry.json()["correlationId"].as_str().unwrap().to_owned();
    wait_for(server.addr, OPERATOR, &dry).await;
    let changed = execute(
        server.addr,
        OPERATOR,
        &session,
        r#"{"nodeId": "analyze", "mode": "live"}"#,
    )
    .await;
    assert_eq!(changed.status, 409, "{}", changed.body);
    assert_eq!(
        changed.json()["error"]["code"],
        "rehearsal_missing",
        "the approval predates the rehearsal"
    );
    send(
        server.addr,
        "POST",
        &format!("/api/sessions/{session}/plan/approve"),
        Some(OPERATOR),
        None,
    )
    .await;
    let live = execute(
        server.addr,
        OPERATOR,
        &session,
        r#"{"nodeId": "analyze", "mode": "live"}"#,
    )
    .await;
    assert_eq!(live.status, 202, "{}", live.body);
}

#[tokio::test]
async fn live_execution_needs_an_operator_and_sessions_are_private() {
    let (ws, data) = (workspace(), tempfile::tempdir().unwrap());
    let server = start(ws.path(), data.path()).await;
    let alice = server
        .core
        .add_user("alice", "pw", Role::User, "test")
        .await
        .unwrap();
    let bob = server
        .core
        .add_user("bob", "pw", Role::User, "test")
        .await
        .unwrap();
    let session = new_session(server.addr, &alice).await;
    send(
        server.addr,
        "POST",
        &format!("/api/sessions/{session}/plan/generate"),
        Some(&alice),
        None,
    )
    .await;
    let live = execute(
        server.addr,
        &alice,
        &session,
        r#"{"nodeId": "analyze", "mode": "live"}"#,
    )
    .await;
    assert_eq!(live.status, 403);
    for path in [
        format!("/api/sessions/{session}"),
        format!("/api/sessions/{session}/plan"),
        format!("/api/sessions/{session}/artifacts"),
    ] {
        let answer = send(server.addr, "GET", &path, Some(&bob), None).await;
        assert_eq!(answer.status, 404, "bob can see {path}");
    }
    let listed = send(server.addr, "GET", "/api/sessions", Some(&bob), None)
        .await
        .json();
    assert!(listed["sessions"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn bad_session_input_is_refused_and_leaves_nothing_behind() {
    let (ws, data) = (workspace(), tempfile::tempdir().unwrap());
    let server = start(ws.path(), data.path()).await;
    for body in [
        r#"{"workItem": {"title": "no id", "description": ""}}"#,
        r#"{"workItem": {"id": "A-1", "title": "", "description": ""}}"#,
        r#"{"workItem": {"id": "A-1", "title": "t", "description": "", "owner": "x"}}"#,
        r#"{"workItem": "text"}"#,
        r#"{"work_item": {}}"#,
        "[]",
    ] {
        let answer = send(
            server.addr,
            "POST",
            "/api/sessions",
            Some(OPERATOR),
            Some(body),
        )
        .await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.body);
    }
    let listed = send(server.addr, "GET", "/api/sessions", Some(OPERATOR), None)
        .await
        .json();
    assert!(listed["sessions"].as_array().unwrap().is_empty());
    let session = new_session(server.addr, OPERATOR).await;
    let wrong_item = send(
        server.addr,
        "POST",
        &format!("/api/sessions/{session}/plan/generate"),
        Some(OPERATOR),
        Some(r#"{"workItemId": "OTHER-1"}"#),
    )
    .await;
    assert_eq!(wrong_item.status, 400);
    let typo = send(
        server.addr,
        "POST",
        &format!("/api/sessions/{session}/plan/generate"),
        Some(OPERATOR),
        Some(r#"{"forse": true}"#),
    )
    .await;
    assert_eq!(typo.status, 400, "{}", typo.body);
    assert_eq!(typo.json()["error"]["code"], "invalid_field");
    let no_plan = execute(server.addr, OPERATOR, &session, r#"{"nodeId": "analyze"}"#).await;
    assert_eq!(no_plan.status, 409);
    let unknown = send(
        server.addr,
        "GET",
        "/api/sessions/does-not-exist/plan",
        Some(OPERATOR),
        None,
    )
    .await;
    assert_eq!(unknown.status, 404);
    let bad_id = drydock_tests::client::send_with(
        server.addr,
        "GET",
        &format!("/api/sessions/{session}/events"),
        Some(OPERATOR),
        None,
        &[("last-event-id", "abc")],
    )
    .await;
    assert_eq!(bad_id.status, 400);
}

#[tokio::test]
async fn a_restart_marks_a_running_execution_interrupted() {
    let (ws, data) = (workspace(), tempfile::tempdir().unwrap());
    let (session, correlation) = {
        let server = start(ws.path(), data.path()).await;
        let session = new_session(server.addr, OPERATOR).await;
        (session, "11111111-2222-3333-4444-555555555555".to_owned())
    };
    // A process that died mid-execution leaves a `running` row behind.
    {
        let store = Store::open(data.path()).unwrap();
        store
            .insert_execution(&ExecutionRow {
                correlation_id: correlation.clone(),
                session_id: session.clone(),
                plan_id: None,
                node_id: Some("analyze".into()),
                mode: "dry-run".into(),
                status: ExecutionStatus::Running,
                requested_by: "bootstrap".into(),
                started_at: String::new(),
                finished_at: None,
                detail: json!({ "steps": [] }),
            })
            .unwrap();
    }
    let server = start(ws.path(), data.path()).await;
    let execution = send(
        server.addr,
        "GET",
        &format!("/api/executions/{correlation}"),
        Some(OPERATOR),
        None,
    )
    .await
    .json();
    assert_eq!(execution["status"], "interrupted", "{execution}");
    let (_, events) = sse(
        server.addr,
        &format!("/api/sessions/{session}/events"),
        OPERATOR,
        None,
        10,
        Duration::from_millis(500),
    )
    .await;
    assert!(
        events
            .iter()
            .any(|e| e.event.as_deref() == Some("node_interrupted")),
        "{events:?}"
    );
}

#[tokio::test]
async fn the_curl_example_runs_against_a_started_server() {
    let (ws, data) = (workspace(), tempfile::tempdir().unwrap());
    let server = start(ws.path(), data.path()).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/plan-api.sh");
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new("bash")
            .arg(script)
            .env("DRYDOCK_URL", format!("http://{}", server.addr))
            .env("DRYDOCK_TOKEN", OPERATOR)
            .output(),
    )
    .await
    .expect("the example finishes within a minute")
    .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the example failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("+++ b/notes/ABC-123.md"), "{stdout}");
    assert!(stdout.contains("event: node_completed"), "{stdout}");
}
