//! The chat agent with a language model: a stand-in OpenAI-compatible server (real HTTP, scripted replies)
//! configured through the settings routes. The model reads intent, the `llm_planner` plugin plans through
//! it, and questions are answered from the task's results; malformed, failing and slow replies fall back to
//! the built-in agent with a clear note. Keys never leave the settings store.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use drydock_core::Role;
use drydock_tests::client::{send, sse};
use drydock_tests::llm_peer::{LlmPeer, Reply};
use drydock_tests::plugins::{LLM_PLANNER, TEMPLATE_PLANNER, WORKSPACE};
use serde_json::{Value, json};

use crate::support::{TestServer, start_server};

const OPERATOR: &str = "operator-token-for-chat-llm-tests";
const KEY: &str = "sk-test-DO-NOT-LEAK-0123456789abcdef";

async fn start(workspace: &Path, data: &Path) -> TestServer {
    let policy = format!(
        "[plugins.workspace]\nfs = [{{ path = {:?}, access = \"rw\" }}]\n\n[plugins.llm_planner]\nllm = true\n",
        workspace.display().to_string()
    );
    start_server(
        &policy,
        &[TEMPLATE_PLANNER, LLM_PLANNER, WORKSPACE],
        data,
        OPERATOR,
    )
    .await
}

fn settings(peer: &LlmPeer, timeout_ms: u64) -> Value {
    json!({"llm": {
        "providers": [{"id": "standin", "baseUrl": peer.base_url(), "model": "stand-in-small", "apiKey": KEY, "timeoutMs": timeout_ms}],
        "defaultProvider": "standin",
    }})
}

async fn put_settings(addr: SocketAddr, body: &Value) -> drydock_tests::client::Answer {
    send(
        addr,
        "PUT",
        "/api/settings",
        Some(OPERATOR),
        Some(&body.to_string()),
    )
    .await
}

async fn chat(addr: SocketAddr, body: Value) -> Value {
    let answer = send(
        addr,
        "POST",
        "/api/v1/chat",
        Some(OPERATOR),
        Some(&body.to_string()),
    )
    .await;
    assert_eq!(answer.status, 200, "{body} → {}", answer.body);
    answer.json()
}

fn plan_from_model() -> String {
    json!({"nodes": [
        {"nodeId": "survey", "title": "Survey the workspace", "dependsOn": [], "suggestedBranch": "feature/deploy", "tags": ["analysis"],
         "steps": [{"tool": "workspace.list_files", "args": {"path": ".", "recursive": true}}]},
        {"nodeId": "write-runbook", "title": "Write the deployment runbook", "dependsOn": ["survey"], "suggestedBranch": "feature/deploy", "tags": ["docs"],
         "steps": [{"tool": "workspace.write_file", "args": {"path": "RUNBOOK.md", "content": "# Deploy\n"}}]}
    ]})
    .to_string()
}

#[tokio::test]
async fn settings_mask_the_key_validate_and_list_the_providers_models() {
    let (ws, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = start(ws.path(), data.path()).await;
    let addr = server.addr;
    let peer = LlmPeer::start().await;
    let put = put_settings(addr, &settings(&peer, 5_000)).await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert!(!put.body.contains(KEY), "{}", put.body);
    assert_eq!(put.json()["active"]["provider"], "standin");
    // The snake_case names of earlier versions are still read; answers use the camelCase ones only.
    let snake = json!({"llm": {
        "providers": [{"id": "standin", "base_url": peer.base_url(), "model": "stand-in-small", "api_key": KEY}],
        "default_provider": "standin",
    }});
    let put = put_settings(addr, &snake).await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(
        put.json()["llm"]["defaultProvider"],
        "standin",
        "{}",
        put.body
    );
    assert!(!put.body.contains("base_url"), "{}", put.body);
    assert_eq!(
        put_settings(addr, &settings(&peer, 5_000)).await.status,
        200
    );
    let shown = send(addr, "GET", "/api/settings", Some(OPERATOR), None).await;
    assert!(!shown.body.contains(KEY), "{}", shown.body);
    let masked = shown.json()["llm"]["providers"][0]["apiKey"].clone();
    assert!(masked.as_str().unwrap().ends_with("cdef"), "{masked}");
    // Sending the masked key back keeps the real one.
    let mut again = settings(&peer, 5_000);
    again["llm"]["providers"][0]["apiKey"] = masked;
    assert_eq!(put_settings(addr, &again).await.status, 200);
    let models = send(
        addr,
        "GET",
        "/api/providers/standin/models",
        Some(OPERATOR),
        None,
    )
    .await;
    assert_eq!(models.status, 200, "{}", models.body);
    assert_eq!(
        models.json()["models"],
        json!(["stand-in-small", "stand-in-large"])
    );
    let sent = peer.requests();
    assert_eq!(
        sent.last().unwrap().header("authorization"),
        Some(format!("Bearer {KEY}").as_str()),
        "the kept key is the real one"
    );

    // Bad settings are refused and change nothing.
    for (body, needle) in [
        (
            json!({"llm": {"providers": [], "extra": 1}}),
            "unknown field",
        ),
        (json!({"other": {}}), "unknown settings section"),
        (
            json!({"llm": {"providers": [{"id": "x", "baseUrl": "ftp://nowhere", "model": "m"}]}}),
            "providers[0]",
        ),
        (
            json!({"llm": {"providers": [{"id": "Bad Id", "baseUrl": "http://127.0.0.1:1/v1", "model": "m"}]}}),
            "id must be",
        ),
        (
            json!({"llm": {"providers": [], "defaultProvider": "ghost"}}),
            "ghost",
        ),
        (
            json!({"llm": {"providers": [{"id": "a", "base_url": "http://127.0.0.1:1/v1", "model": "m", "timeoutMs": 0}]}}),
            "timeoutMs",
        ),
    ] {
        let answer = put_settings(addr, &body).await;
        assert_eq!(answer.status, 400, "{body} → {}", answer.body);
        assert!(answer.body.contains(needle), "{body} → {}", answer.body);
    }
    assert_eq!(
        send(addr, "GET", "/api/settings", Some(OPERATOR), None)
            .await
            .json()["active"]["provider"],
        "standin"
    );
    // Users may not read or change the settings; unknown providers are 404; an unreachable one is 502.
    let user = server
        .core
        .add_user("u", "pw-u", Role::User, "test")
        .await
        .unwrap();
    assert_eq!(
        send(addr, "GET", "/api/settings", Some(&user), None)
            .await
            .status,
        403
    );
    assert_eq!(
        send(
            addr,
            "GET",
            "/api/providers/ghost/models",
            Some(OPERATOR),
            None
        )
        .await
        .status,
        404
    );
    let unreachable = json!({"llm": {"providers": [{"id": "down", "baseUrl": "http://127.0.0.1:9/v1", "model": "m"}]}});
    assert_eq!(put_settings(addr, &unreachable).await.status, 200);
    let down = send(
        addr,
        "GET",
        "/api/providers/down/models",
        Some(OPERATOR),
        None,
    )
    .await;
    assert_eq!(down.status, 502, "{}", down.body);
    assert_eq!(down.json()["error"]["code"], "upstream_failed");

    // The key is in no audit row.
    let audit = send(addr, "GET", "/api/audit?limit=1000", Some(OPERATOR), None).await;
    assert!(audit.body.contains("settings.update"));
    assert!(!audit.body.contains(KEY));
}

#[tokio::test]
async fn the_model_reads_intent_plans_through_the_llm_planner_and_discusses_results() {
    let (ws, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = start(ws.path(), data.path()).await;
    let addr = server.addr;
    let peer = LlmPeer::start().await;
    assert_eq!(
        put_settings(addr, &settings(&peer, 1_000)).await.status,
        200
    );

    // 1. Intent from the model, plan from the llm_planner plugin through the same model.
    peer.script([
        Reply::content(r#"{"intent": "new_request"}"#),
        Reply::content(format!(
            "Here is the plan:\n```json\n{}\n```",
            plan_from_model()
        )),
    ]);
    let first = chat(
        addr,
        json!({"user_id": "u", "message": "Deploy my web app with a load balancer."}),
    )
    .await;
    assert_eq!(first["intent"], "new_request");
    let (conversation, task_id) = (
        first["conversation_id"].as_str().unwrap().to_owned(),
        first["task_id"].as_str().unwrap().to_owned(),
    );
    let task = send(
        addr,
        "GET",
        &format!("/api/v1/tasks/{task_id}"),
        Some(OPERATOR),
        None,
    )
    .await
    .json();
    let nodes: Vec<&str> = task["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["node_id"].as_str().unwrap())
        .collect();
    assert_eq!(nodes, ["survey", "write-runbook"], "{task}");
    assert_eq!(peer.count(), 2);

    // 2. Garbage for the intent: the built-in recogniser takes over. Then an invalid plan twice: the
    //    template planner's plan is stored instead, and the answer says why. Nothing invalid is stored.
    peer.script([
        Reply::Malformed("{\"choices\": \"not a list\"".into()),
        Reply::content("I think you should use Kubernetes."),
        Reply::content(r#"{"nodes": [{"nodeId": "x", "title": "X", "steps": [{"tool": "aws.deploy", "args": {}}]}]}"#),
    ]);
    let second = chat(
        addr,
        json!({"user_id": "u", "conversation_id": conversation, "message": "It's a Node.js application. Deploy it in us-west-2."}),
    )
    .await;
    assert_eq!(second["intent"], "requirements");
    let text = second["message"]["content"].as_str().unwrap();
    assert!(
        text.contains("language-model planner could not make a valid plan"),
        "{text}"
    );
    assert!(text.contains("could not read this message"), "{text}");
    let task = send(
        addr,
        "GET",
        &format!("/api/v1/tasks/{task_id}"),
        Some(OPERATOR),
        None,
    )
    .await
    .json();
    assert_eq!(task["plan"]["version"], 2);
    assert!(
        task["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["tool_name"].as_str().unwrap().starts_with("workspace.")),
        "{task}"
    );

    // 3. A slow model (past the 1 s timeout) for the approval's intent: the recogniser approves.
    peer.script([Reply::Slow(
        Duration::from_secs(3),
        r#"{"intent": "unclear"}"#.into(),
    )]);
    let third = chat(
        addr,
        json!({"user_id": "u", "conversation_id": conversation, "message": "I approve the plan. Please proceed."}),
    )
    .await;
    assert_eq!(third["intent"], "approve");
    let text = third["message"]["content"].as_str().unwrap();
    assert!(text.contains("could not read this message"), "{text}");
    assert!(
        text.contains("1s") || text.contains("1000ms") || text.contains("timed out"),
        "the note names the timeout: {text}"
    );
    for _ in 0..200 {
        let status = send(
            addr,
            "GET",
            &format!("/api/v1/tasks/{task_id}"),
            Some(OPERATOR),
            None,
        )
        .await
        .json()["status"]
            .clone();
        if status == "completed" {
            break;
        }
        assert_ne!(status, "failed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // 4. A question after completion: the model answers from the facts Drydock gives it.
    let answer = "Nothing is deployed yet: the run was a dry run, so its writes were simulated.";
    peer.script([
        Reply::content(r#"{"intent": "question"}"#),
        Reply::content(answer),
    ]);
    let fourth = chat(
        addr,
        json!({"user_id": "u", "conversation_id": conversation, "message": "How can I access my application now?"}),
    )
    .await;
    assert_eq!(fourth["intent"], "question");
    assert_eq!(fourth["message"]["content"], answer);
    let asked = peer.requests().last().unwrap().clone();
    assert_eq!(asked.body["stream"], true);
    let facts = asked.message_texts().join("\n");
    assert!(
        facts.contains("completed"),
        "the model got the task's facts: {facts}"
    );
    assert!(facts.contains("simulated"), "{facts}");

    // Nothing the model or the settings hold leaks into events or the audit log.
    let (_, events) = sse(
        addr,
        &format!("/api/sessions/{conversation}/events"),
        OPERATOR,
        Some("0"),
        10_000,
        Duration::from_secs(2),
    )
    .await;
    assert!(events.len() > 10);
    assert!(events.iter().all(|e| !e.data.contains(KEY)));
    let audit = send(addr, "GET", "/api/audit?limit=1000", Some(OPERATOR), None).await;
    assert!(!audit.body.contains(KEY));
}
