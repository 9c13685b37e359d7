//! Seed 000's chat walkthrough over real HTTP with no language model configured: request → requirements →
//! check the task → modify → approve → follow the run → discuss the results; plus conversation isolation,
//! stale approvals, cancel and bad input. The streaming variant is in `chat_stream.rs`.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use drydock_core::Role;
use drydock_tests::client::send;
use drydock_tests::plugins::{TEMPLATE_PLANNER, WORKSPACE};
use serde_json::{Value, json};

use crate::support::{TestServer, start_server};

pub(crate) const OPERATOR: &str = "operator-token-for-chat-tests";

/// The seed's five messages, word for word.
pub(crate) const REQUEST: &str =
    "I need to deploy a new web application on AWS with a load balancer and auto-scaling.";
const REQUIREMENTS: &str = "It's a Node.js application. I want to deploy it in us-west-2. Auto-scaling should be based on CPU usage (>70%).";
const MODIFY: &str = "I'd like to make a few changes. Can we use t3.medium instances instead? Also, I want to add CloudFront for content delivery.";
const APPROVE: &str = "I approve the plan. Please proceed with the execution.";
const DISCUSS: &str = "Great! The deployment is complete. How can I access my application now?";

pub(crate) async fn start(workspace: &Path, data: &Path) -> TestServer {
    let policy = format!(
        "[plugins.workspace]\nfs = [{{ path = {:?}, access = \"rw\" }}]\n",
        workspace.display().to_string()
    );
    start_server(&policy, &[TEMPLATE_PLANNER, WORKSPACE], data, OPERATOR).await
}

async fn chat(addr: SocketAddr, token: &str, body: Value) -> Value {
    let answer = send(
        addr,
        "POST",
        "/api/v1/chat",
        Some(token),
        Some(&body.to_string()),
    )
    .await;
    assert_eq!(answer.status, 200, "{body} → {}", answer.body);
    answer.json()
}

async fn task(addr: SocketAddr, token: &str, id: &str) -> Value {
    let answer = send(
        addr,
        "GET",
        &format!("/api/v1/tasks/{id}"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

/// Polls a task until its status is terminal (bounded: 200 × 50 ms).
async fn wait_until_finished(addr: SocketAddr, token: &str, id: &str) -> Value {
    for _ in 0..200 {
        let task = task(addr, token, id).await;
        if ["completed", "failed", "cancelled"].contains(&task["status"].as_str().unwrap()) {
            return task;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("task {id} did not finish");
}

pub(crate) fn content(reply: &Value) -> &str {
    reply["message"]["content"].as_str().unwrap()
}

#[tokio::test]
async fn seed_000_walkthrough_works_without_a_language_model() {
    let (ws, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(ws.path().join("app.js"), "console.log('hi')\n").unwrap();
    let server = start(ws.path(), data.path()).await;
    let addr = server.addr;

    // 1. Start a conversation: a plan waiting for approval, presented in words.
    let first = chat(
        addr,
        OPERATOR,
        json!({"user_id": "user123", "message": REQUEST}),
    )
    .await;
    let conversation = first["conversation_id"].as_str().unwrap().to_owned();
    let task_id = first["task_id"].as_str().unwrap().to_owned();
    assert_eq!(first["intent"], "new_request");
    assert_eq!(first["message"]["role"], "assistant");
    assert!(first["message"]["timestamp"].is_string());
    let text = content(&first);
    assert!(text.contains("waits for your approval"), "{text}");
    assert!(text.contains("dry run"), "{text}");
    let v1 = task(addr, OPERATOR, &task_id).await;
    assert_eq!(v1["status"], "pending_approval");
    assert_eq!(v1["description"], REQUEST);
    assert!(
        v1["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["tool_name"].as_str().unwrap().starts_with("workspace."))
    );

    // 2. Requirements: a new version with one node per requirement.
    let second = chat(
        addr,
        OPERATOR,
        json!({"user_id": "user123", "conversation_id": conversation, "message": REQUIREMENTS}),
    )
    .await;
    assert_eq!(second["intent"], "requirements");
    assert_eq!(second["task_id"], task_id.as_str());
    assert!(
        content(&second).contains("version 2"),
        "{}",
        content(&second)
    );

    // 3. Check the task: the seed's fields, the requirements as steps.
    let v2 = task(addr, OPERATOR, &task_id).await;
    for field in [
        "id",
        "status",
        "description",
        "steps",
        "created_at",
        "updated_at",
    ] {
        assert!(v2.get(field).is_some(), "task lacks {field}: {v2}");
    }
    assert_eq!(v2["plan"]["version"], 2);
    assert_eq!(
        v2["requirements"],
        json!([
            "It's a Node.js application",
            "deploy it in us-west-2",
            "Auto-scaling should be based on CPU usage (>70%)"
        ])
    );
    let step = &v2["steps"][0];
    for field in ["tool_name", "description", "input", "parameters"] {
        assert!(step.get(field).is_some(), "step lacks {field}: {step}");
    }
    assert!(
        v2["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["node_id"] == "req-3"),
        "{v2}"
    );

    // 4. Modify: version 3, the answer names what changed.
    let third = chat(
        addr,
        OPERATOR,
        json!({"user_id": "user123", "conversation_id": conversation, "message": MODIFY}),
    )
    .await;
    assert_eq!(third["intent"], "modify");
    let text = content(&third);
    assert!(
        text.contains("added requirement: use t3.medium instances instead"),
        "{text}"
    );
    assert!(
        text.contains("added requirement: add CloudFront for content delivery"),
        "{text}"
    );
    assert!(text.contains("new node `req-4`"), "{text}");
    assert!(text.contains("approval again"), "{text}");
    assert_eq!(task(addr, OPERATOR, &task_id).await["plan"]["version"], 3);

    // 5. Approve: the plan runs (dry-run) to completion.
    let fourth = chat(
        addr,
        OPERATOR,
        json!({"user_id": "user123", "conversation_id": conversation, "message": APPROVE}),
    )
    .await;
    assert_eq!(fourth["intent"], "approve");
    assert!(content(&fourth).contains("dry run"), "{}", content(&fourth));
    let done = wait_until_finished(addr, OPERATOR, &task_id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["plan"]["approved"], true);
    assert!(
        done["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "completed"),
        "{done}"
    );
    // Dry run: the real workspace is untouched.
    assert!(!ws.path().join("plans").exists());
    assert!(!ws.path().join("notes").exists());

    // 6. Status, then discuss the results: answered from what ran, honestly.
    let status = chat(
        addr,
        OPERATOR,
        json!({"user_id": "user123", "conversation_id": conversation, "message": "What's the status?"}),
    )
    .await;
    assert_eq!(status["intent"], "status");
    assert!(
        content(&status).contains("is completed"),
        "{}",
        content(&status)
    );
    // The dry run was the plan's rehearsal: the status says what a live run would change.
    assert!(
        content(&status).contains("What will change (rehearsal ")
            && content(&status).contains("fs create /workspace/"),
        "{}",
        content(&status)
    );
    let fifth = chat(
        addr,
        OPERATOR,
        json!({"user_id": "user123", "conversation_id": conversation, "message": DISCUSS}),
    )
    .await;
    assert_eq!(fifth["intent"], "question");
    let text = content(&fifth);
    assert!(text.contains("This was a dry run"), "{text}");
    assert!(text.contains("simulated"), "{text}");
    assert!(text.contains("no language model"), "{text}");
    assert!(text.contains("Artifacts"), "{text}");

    // Listing, messages, events and the audit trail.
    let tasks = send(addr, "GET", "/api/v1/tasks", Some(OPERATOR), None).await;
    assert_eq!(tasks.status, 200);
    assert_eq!(tasks.json().as_array().unwrap().len(), 1);
    let messages = send(
        addr,
        "GET",
        &format!("/api/v1/conversations/{conversation}/messages"),
        Some(OPERATOR),
        None,
    )
    .await;
    assert_eq!(messages.json()["messages"].as_array().unwrap().len(), 12);
    let events = send(
        addr,
        "GET",
        &format!("/api/sessions/{conversation}/plan"),
        Some(OPERATOR),
        None,
    )
    .await;
    assert_eq!(events.status, 200, "a conversation is an ordinary session");
    let audit = send(addr, "GET", "/api/audit?limit=1000", Some(OPERATOR), None).await;
    let actions: Vec<String> = audit.json()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap().to_owned())
        .collect();
    for action in [
        "chat.conversation.create",
        "task.create",
        "task.modify",
        "task.approve",
        "plan.status",
        "chat.message",
        "effect",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "no {action} in {actions:?}"
        );
    }
}

#[tokio::test]
async fn conversations_are_kept_apart_by_token_owner_and_user_id() {
    let (ws, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = start(ws.path(), data.path()).await;
    let addr = server.addr;
    let alice = server
        .core
        .add_user("alice", "pw-alice", Role::User, "test")
        .await
        .unwrap();
    let bob = server
        .core
        .add_user("bob", "pw-bob", Role::User, "test")
        .await
        .unwrap();
    let reply = chat(addr, &alice, json!({"user_id": "a1", "message": REQUEST})).await;
    let (conversation, task_id) = (
        reply["conversation_id"].as_str().unwrap(),
        reply["task_id"].as_str().unwrap(),
    );
    // Bob can neither continue Alice's conversation nor read her task.
    let continued = send(
        addr,
        "POST",
        "/api/v1/chat",
        Some(&bob),
        Some(
            &json!({"user_id": "a1", "conversation_id": conversation, "message": APPROVE})
                .to_string(),
        ),
    )
    .await;
    assert_eq!(continued.status, 404, "{}", continued.body);
    let read = send(
        addr,
        "GET",
        &format!("/api/v1/tasks/{task_id}"),
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(read.status, 404);
    let listed = send(addr, "GET", "/api/v1/tasks", Some(&bob), None).await;
    assert_eq!(listed.json(), json!([]));
    // The same token with another client user_id is another user's conversation, too.
    let other_user = send(
        addr,
        "POST",
        "/api/v1/chat",
        Some(&alice),
        Some(
            &json!({"user_id": "a2", "conversation_id": conversation, "message": APPROVE})
                .to_string(),
        ),
    )
    .await;
    assert_eq!(other_user.status, 404, "{}", other_user.body);
    let filtered = send(addr, "GET", "/api/v1/tasks?user_id=a2", Some(&alice), None).await;
    assert_eq!(filtered.json(), json!([]));
    // Alice's plan is untouched by those attempts.
    assert_eq!(
        task(addr, &alice, task_id).await["status"],
        "pending_approval"
    );
}

#[tokio::test]
async fn approving_a_plan_version_that_is_no_longer_current_is_refused() {
    let (ws, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = start(ws.path(), data.path()).await;
    let addr = server.addr;
    let reply = chat(addr, OPERATOR, json!({"user_id": "u", "message": REQUEST})).await;
    let (conversation, task_id) = (
        reply["conversation_id"].as_str().unwrap(),
        reply["task_id"].as_str().unwrap(),
    );
    chat(
        addr,
        OPERATOR,
        json!({"user_id": "u", "conversation_id": conversation, "message": MODIFY}),
    )
    .await;
    // The user approves version 1, which they saw; the plan is version 2 now.
    let stale = send(
        addr,
        "POST",
        "/api/v1/chat",
        Some(OPERATOR),
        Some(&json!({"user_id": "u", "conversation_id": conversation, "message": APPROVE, "plan_version": 1}).to_string()),
    )
    .await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert_eq!(stale.json()["error"]["code"], "plan_stale");
    let still = task(addr, OPERATOR, task_id).await;
    assert_eq!(still["status"], "pending_approval");
    assert_eq!(still["plan"]["approved"], false);
    // Approving the version they see now works.
    let fresh = chat(
        addr,
        OPERATOR,
        json!({"user_id": "u", "conversation_id": conversation, "message": APPROVE, "plan_version": 2}),
    )
    .await;
    assert_eq!(fresh["intent"], "approve");
    assert_eq!(
        wait_until_finished(addr, OPERATOR, task_id).await["status"],
        "completed"
    );
}

#[tokio::test]
async fn cancel_withdraws_the_plan_and_unclear_messages_are_answered_honestly() {
    let (ws, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = start(ws.path(), data.path()).await;
    let addr = server.addr;
    let unclear = chat(addr, OPERATOR, json!({"user_id": "u", "message": "hmm"})).await;
    assert_eq!(unclear["intent"], "unclear");
    assert!(unclear.get("task_id").is_none());
    assert!(
        content(&unclear).contains("did not understand"),
        "{unclear}"
    );
    let conversation = unclear["conversation_id"].as_str().unwrap();
    let planned = chat(
        addr,
        OPERATOR,
        json!({"user_id": "u", "conversation_id": conversation, "message": REQUEST}),
    )
    .await;
    let task_id = planned["task_id"].as_str().unwrap();
    let cancelled = chat(
        addr,
        OPERATOR,
        json!({"user_id": "u", "conversation_id": conversation, "message": "Cancel the plan."}),
    )
    .await;
    assert_eq!(cancelled["intent"], "cancel");
    assert_eq!(task(addr, OPERATOR, task_id).await["status"], "cancelled");
    // A cancelled task cannot be approved: the conversation has no waiting plan any more.
    let after = chat(
        addr,
        OPERATOR,
        json!({"user_id": "u", "conversation_id": conversation, "message": APPROVE}),
    )
    .await;
    assert_ne!(after["intent"], "approve");
    assert_eq!(task(addr, OPERATOR, task_id).await["status"], "cancelled");
}

#[tokio::test]
async fn bad_chat_input_is_refused_and_stores_nothing() {
    let (ws, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = start(ws.path(), data.path()).await;
    let addr = server.addr;
    let huge = "word ".repeat(5000);
    for (body, status, code) in [
        ("{not json".to_owned(), 400, "invalid_json"),
        (
            json!({"message": REQUEST}).to_string(),
            400,
            "invalid_field",
        ),
        (json!({"user_id": "u"}).to_string(), 400, "invalid_field"),
        (
            json!({"user_id": "u", "message": REQUEST, "extra": 1}).to_string(),
            400,
            "invalid_field",
        ),
        (
            json!({"user_id": "", "message": REQUEST}).to_string(),
            400,
            "invalid_field",
        ),
        (
            json!({"user_id": "u", "message": "   "}).to_string(),
            400,
            "invalid_field",
        ),
        (
            json!({"user_id": "u", "message": huge}).to_string(),
            400,
            "invalid_field",
        ),
        (
            json!({"user_id": "u", "message": REQUEST, "mode": "yolo"}).to_string(),
            400,
            "invalid_field",
        ),
        (
            json!({"user_id": "u", "message": REQUEST, "conversation_id": "nope"}).to_string(),
            404,
            "not_found",
        ),
        (
            format!(
                "{{\"user_id\": \"u\", \"message\": \"{}\"}}",
                "x".repeat(2 << 20)
            ),
            413,
            "payload_too_large",
        ),
    ] {
        let answer = send(addr, "POST", "/api/v1/chat", Some(OPERATOR), Some(&body)).await;
        assert_eq!(
            answer.status,
            status,
            "{} → {}",
            &body[..body.len().min(80)],
            answer.body
        );
        assert_eq!(answer.json()["error"]["code"], code, "{}", answer.body);
    }
    let unauthenticated = send(
        addr,
        "POST",
        "/api/v1/chat",
        None,
        Some(&json!({"user_id": "u", "message": REQUEST}).to_string()),
    )
    .await;
    assert_eq!(unauthenticated.status, 401);
    let missing = send(
        addr,
        "GET",
        "/api/v1/tasks/no-such-task",
        Some(OPERATOR),
        None,
    )
    .await;
    assert_eq!(missing.status, 404);
    let listed = send(addr, "GET", "/api/v1/tasks", Some(OPERATOR), None).await;
    assert_eq!(listed.json(), json!([]), "nothing was stored");
    // A user (not an operator) may not ask for a live run.
    let user = server
        .core
        .add_user("carol", "pw-carol", Role::User, "test")
        .await
        .unwrap();
    let reply = chat(addr, &user, json!({"user_id": "c", "message": REQUEST})).await;
    let live = send(
        addr,
        "POST",
        "/api/v1/chat",
        Some(&user),
        Some(&json!({"user_id": "c", "conversation_id": reply["conversation_id"], "message": APPROVE, "mode": "live"}).to_string()),
    )
    .await;
    assert_eq!(live.status, 403, "{}", live.body);
    let task_id = reply["task_id"].as_str().unwrap();
    assert_eq!(
        task(addr, &user, task_id).await["status"],
        "pending_approval"
    );
}

#[tokio::test]
async fn the_curl_walkthrough_runs_against_a_started_server() {
    let (ws, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = start(ws.path(), data.path()).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/chat-api.sh");
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
    assert!(
        stdout.contains("\"status\":\"pending_approval\""),
        "{stdout}"
    );
    assert!(stdout.contains("completed"), "{stdout}");
    assert!(stdout.contains("This was a dry run"), "{stdout}");
}
