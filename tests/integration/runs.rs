//! Workflow runs over real HTTP with the demo `echo_loop` workflow (an input, a sandboxed tool call that
//! needs validation, a counter, a branch and a loop): answers, reject-with-feedback re-runs the step,
//! reject-without-feedback ends the run, events replay, and bad requests are refused.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use drydock_core::Role;
use drydock_tests::client::{send, sse};
use serde_json::{Value, json};

use crate::support::{TestServer, start_with_demo_workflows};

const OPERATOR: &str = "operator-token-for-run-tests";

async fn start(data: &Path) -> TestServer {
    start_with_demo_workflows(data, OPERATOR).await
}

async fn post(addr: SocketAddr, path: &str, body: Value) -> (u16, Value) {
    let answer = send(addr, "POST", path, Some(OPERATOR), Some(&body.to_string())).await;
    (answer.status, answer.json())
}

fn question(run: &Value) -> (String, String) {
    let q = &run["question"];
    (
        q["questionUuid"].as_str().unwrap().to_owned(),
        q["step"].as_str().unwrap().to_owned(),
    )
}

async fn answer(addr: SocketAddr, run: &Value, value: Value) -> Value {
    let id = run["runId"].as_str().unwrap();
    let (uuid, _) = question(run);
    let (status, body) = post(
        addr,
        &format!("/api/runs/{id}/answers"),
        json!({"questionUuid": uuid, "value": value}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn validate(addr: SocketAddr, run: &Value, body: Value) -> (u16, Value) {
    let id = run["runId"].as_str().unwrap();
    let (_, step) = question(run);
    post(
        addr,
        &format!("/api/runs/{id}/steps/{step}/validation"),
        body,
    )
    .await
}

#[tokio::test]
async fn an_answer_naming_the_question_by_its_earlier_snake_case_name_is_accepted() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let (status, run) = post(server.addr, "/api/workflows/echo_loop/runs", json!({})).await;
    assert_eq!(status, 201, "{run}");
    let (uuid, _) = question(&run);
    let id = run["runId"].as_str().unwrap();
    let (status, run) = post(
        server.addr,
        &format!("/api/runs/{id}/answers"),
        json!({"question_uuid": uuid, "value": "autumn"}),
    )
    .await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "waiting_validation", "{run}");
}

#[tokio::test]
async fn a_run_asks_calls_the_tool_takes_feedback_loops_and_completes() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let addr = server.addr;
    let (status, run) = post(
        addr,
        "/api/workflows/echo_loop/runs",
        json!({"inputs": {"greeting": "Hi"}}),
    )
    .await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(run["status"], "waiting_input");
    assert_eq!(run["question"]["step"], "ask_text");

    // The input leads to the sandboxed echo call, whose result waits for validation.
    let run = answer(addr, &run, json!("spring")).await;
    assert_eq!(run["status"], "waiting_validation", "{run}");
    assert_eq!(run["question"]["step"], "echo_text");
    // The step's result is shown for validation; it reaches the state once accepted.
    assert!(
        run["question"]["output"].to_string().contains("Hi: spring"),
        "{run}"
    );

    // Rejected with feedback: the step runs again with the feedback in its state.
    let (status, run) = validate(
        addr,
        &run,
        json!({"validated": false, "feedback": " (louder)"}),
    )
    .await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "waiting_validation");
    assert!(
        run["question"]["output"]
            .to_string()
            .contains("Hi: spring(louder)"),
        "{run}"
    );

    // Accepted: counter, transcript, then the branch question; "yes" loops, "no" ends.
    let (_, run) = validate(addr, &run, json!({"validated": true})).await;
    assert_eq!(run["question"]["step"], "ask_again", "{run}");
    assert_eq!(run["state"]["echo_count"], 1);
    let run = answer(addr, &run, json!("yes")).await;
    assert_eq!(run["question"]["step"], "ask_text");
    let run = answer(addr, &run, json!("summer")).await;
    let (_, run) = validate(addr, &run, json!({"validated": true})).await;
    let run = answer(addr, &run, json!("no")).await;
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(run["result"]["echo_count"], 2);
    assert_eq!(
        run["result"]["transcript"],
        json!(["Hi: spring(louder)", "Hi: summer"])
    );

    // The events replay in order, with the tool call and its effects.
    let id = run["runId"].as_str().unwrap();
    let (status, events) = sse(
        addr,
        &format!("/api/runs/{id}/events"),
        OPERATOR,
        Some("0"),
        1000,
        Duration::from_secs(2),
    )
    .await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = events.iter().filter_map(|e| e.event.as_deref()).collect();
    assert_eq!(kinds.first(), Some(&"workflow_started"));
    assert_eq!(kinds.last(), Some(&"completed"));
    for kind in [
        "question",
        "tool_call",
        "effects",
        "tool_result",
        "step_validated",
        "message",
    ] {
        assert!(kinds.contains(&kind), "no {kind} in {kinds:?}");
    }
    // Their fields are camelCase, like the run's own.
    let data = |kind: &str| -> Value {
        let event = events.iter().find(|e| e.event.as_deref() == Some(kind));
        serde_json::from_str(&event.expect(kind).data).unwrap()
    };
    assert!(data("step_started")["nodeType"].is_string());
    assert!(data("question")["questionUuid"].is_string());
    let call = data("tool_call");
    assert_eq!(call["functionName"], "echo.echo");
    assert_eq!(data("effects")["callId"], call["callId"]);
    assert!(run["steps"][0]["nodeType"].is_string(), "{run}");
    // Each tool call was audited under the run's id.
    let audit = send(
        addr,
        "GET",
        &format!("/api/audit?correlationId={id}"),
        Some(OPERATOR),
        None,
    )
    .await;
    let actions: Vec<String> = audit.json()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        actions.contains(&"workflow.run.start".to_owned()),
        "{actions:?}"
    );
    assert_eq!(
        actions.iter().filter(|a| *a == "workflow.tool").count(),
        3,
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_rejection_without_feedback_ends_the_run_rejected() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let addr = server.addr;
    let (_, run) = post(addr, "/api/workflows/echo_loop/runs", json!({})).await;
    let run = answer(addr, &run, json!("autumn")).await;
    let (status, run) = validate(addr, &run, json!({"validated": false})).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "rejected");
    // A finished run takes no more answers.
    let id = run["runId"].as_str().unwrap();
    let (status, body) = post(
        addr,
        &format!("/api/runs/{id}/steps/echo_text/validation"),
        json!({"validated": true}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "run_not_waiting");
}

#[tokio::test]
async fn bad_run_requests_are_refused_and_runs_are_private() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let addr = server.addr;
    let (status, body) = post(addr, "/api/workflows/nope/runs", json!({})).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = post(
        addr,
        "/api/workflows/echo_loop/runs",
        json!({"inputs": {"unknown": 1}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = post(
        addr,
        "/api/workflows/echo_loop/runs",
        json!({"inputs": [1]}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = post(
        addr,
        "/api/workflows/echo_loop/runs",
        json!({"extra": true}),
    )
    .await;
    assert_eq!(status, 400);
    let (_, run) = post(addr, "/api/workflows/echo_loop/runs", json!({})).await;
    let id = run["runId"].as_str().unwrap();
    let (status, body) = post(
        addr,
        &format!("/api/runs/{id}/answers"),
        json!({"questionUuid": "wrong", "value": "x"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = post(
        addr,
        &format!("/api/runs/{id}/answers"),
        json!({"value": "x"}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, body) = post(
        addr,
        &format!("/api/runs/{id}/steps/echo_text/validation"),
        json!({"validated": true}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    // Another user can neither read nor answer it.
    let user = server
        .core
        .add_user("mallory", "pw-mallory", Role::User, "test")
        .await
        .unwrap();
    let read = send(addr, "GET", &format!("/api/runs/{id}"), Some(&user), None).await;
    assert_eq!(read.status, 404);
    let (uuid, _) = question(&run);
    let answered = send(
        addr,
        "POST",
        &format!("/api/runs/{id}/answers"),
        Some(&user),
        Some(&json!({"questionUuid": uuid, "value": "x"}).to_string()),
    )
    .await;
    assert_eq!(answered.status, 404);
    // Cancel ends it.
    let (status, run) = post(addr, &format!("/api/runs/{id}/cancel"), json!({})).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "cancelled");
    assert_eq!(
        send(addr, "GET", "/api/runs/no-such-run", Some(OPERATOR), None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn a_run_left_in_the_middle_of_a_tool_call_goes_on_after_a_restart() {
    const ID: &str = "3f9a1c2e-5b6d-4e7f-8a9b-0c1d2e3f4a5b";
    let data = tempfile::tempdir().unwrap();
    // What a process that died during the run's tool call leaves behind: the run stored as `running`
    // with the call pending (the store is written before each call is made).
    {
        let store = drydock_core::store::Store::open(data.path()).unwrap();
        let yaml = "name: straight_to_tool\ndescription: One tool call.\nnodes:\n  - name: call\n    type: tool\n    \
                    tools_selection: [echo.echo]\n    args:\n      text: resumed\n    output_model:\n      echoed: dict\n\
                    flow:\n  - from: START\n    to: call\n  - from: call\n    to: END\n";
        let limits = drydock_workflow::Limits::default();
        let flow =
            drydock_workflow::load_flow(yaml, &["echo.echo".to_owned()].into(), &limits).unwrap();
        let (run, events) =
            drydock_workflow::Run::start_with_id(ID.into(), flow, Default::default(), &limits)
                .unwrap();
        assert!(run.pending_effect().is_some(), "the run waits on its call");
        let row = drydock_core::runs::RunRow {
            id: ID.into(),
            workflow: "straight_to_tool".into(),
            owner: String::new(),
            started_by: "anonymous".into(),
            status: "running".into(),
            run: serde_json::to_value(&run).unwrap(),
            version: 1,
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
            hold_tools: false,
            llm: None,
            client_key: None,
        };
        let events: Vec<Value> = events
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .collect();
        store.insert_run(&row, &events).unwrap();
    }
    let server = start(data.path()).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let run = loop {
        let answer = send(
            server.addr,
            "GET",
            &format!("/api/runs/{ID}"),
            Some(OPERATOR),
            None,
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let run = answer.json();
        if run["status"] != "running" {
            break run;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the run never went on: {run}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(run["state"]["echoed"]["text"], "resumed", "{run}");
}
