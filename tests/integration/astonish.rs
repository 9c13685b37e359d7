//! Astonish wire compatibility: the studio's own calls, made the way its web UI makes them (no token,
//! `X-Requested-With: XMLHttpRequest`, SSE read by JSON keys, not by event names): start-up checks, a whole
//! run of the demo `echo_loop` flow with an input, a tool approval, a step validation and a continuation,
//! the flow catalog with its layout and validation errors, the settings round trip with masked keys, and
//! the native routes next to them keeping their shapes (refusals and the console's cookie: `astonish_refusals`).

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use drydock_tests::client::{Answer, send, send_with};
use serde_json::{Value, json};

use crate::support::{TestServer, start_with_demo_workflows};

pub(crate) const OPERATOR: &str = "operator-token-for-astonish-tests";
/// How long one studio request may take before the test fails.
pub(crate) const WAIT: Duration = Duration::from_secs(30);
pub(crate) const XHR: (&str, &str) = ("x-requested-with", "XMLHttpRequest");

pub(crate) async fn start(data: &Path) -> TestServer {
    start_with_demo_workflows(data, OPERATOR).await
}

/// A studio request: JSON body, the studio's header, a token only when given.
pub(crate) async fn studio(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let body = body.map(|b| b.to_string());
    tokio::time::timeout(
        WAIT,
        send_with(addr, method, path, token, body.as_deref(), &[XHR]),
    )
    .await
    .expect("the studio request answers in time")
}

/// What the studio makes of one `data:` line: the first key it checks for that the payload has.
pub(crate) fn studio_kind(data: &Value) -> &'static str {
    let has = |key: &str| !data[key].is_null();
    if has("error") {
        "error"
    } else if has("text") {
        "text"
    } else if has("node") {
        "node"
    } else if has("options") {
        "input_request"
    } else if has("input_request") {
        "nested_input_request"
    } else if has("attempt") && has("maxRetries") {
        "retry"
    } else if has("title") && has("reason") && has("originalError") {
        "error_info"
    } else if has("auto_approved") && has("approval_tool") {
        "tool_auto_approved"
    } else if has("done") {
        "done"
    } else {
        "ignored"
    }
}

/// One `POST /api/chat`, its stream read to the end and classified as the studio does.
pub(crate) async fn chat(
    addr: SocketAddr,
    token: Option<&str>,
    session: &str,
    message: &str,
    auto_approve: bool,
) -> Vec<(&'static str, Value)> {
    let body = json!({
        "agentId": "echo_loop", "message": message, "sessionId": session,
        "provider": "", "model": "", "autoApprove": auto_approve,
    });
    chat_body(addr, token, body).await
}

/// One `POST /api/chat` with this body, read and classified as [`chat`] does.
pub(crate) async fn chat_body(
    addr: SocketAddr,
    token: Option<&str>,
    body: Value,
) -> Vec<(&'static str, Value)> {
    let answer = studio(addr, "POST", "/api/chat", token, Some(body)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/event-stream")),
        "{:?}",
        answer.headers
    );
    let messages: Vec<(&'static str, Value)> = answer
        .body
        .split("\n\n")
        .flat_map(|block| block.lines())
        .filter_map(|line| line.strip_prefix("data: "))
        .map(|data| {
            let data: Value = serde_json::from_str(data).expect("every data line is JSON");
            (studio_kind(&data), data)
        })
        .collect();
    assert_eq!(
        messages.last().map(|m| m.0),
        Some("done"),
        "every stream ends with done: {messages:?}"
    );
    assert!(
        messages.iter().any(|(_, d)| d["status"] == "connected"),
        "ping first: {messages:?}"
    );
    messages
}

pub(crate) fn texts(messages: &[(&str, Value)]) -> String {
    messages
        .iter()
        .filter(|(kind, _)| *kind == "text")
        .map(|(_, d)| d["text"].as_str().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn options(messages: &[(&str, Value)]) -> Option<Value> {
    messages
        .iter()
        .rev()
        .find(|(kind, _)| *kind == "input_request")
        .map(|(_, d)| d["options"].clone())
}

pub(crate) fn ended(messages: &[(&str, Value)]) -> bool {
    messages
        .iter()
        .any(|(kind, d)| *kind == "node" && d["node"] == "END")
}

pub(crate) fn nodes(messages: &[(&str, Value)]) -> Vec<String> {
    messages
        .iter()
        .filter(|(kind, _)| *kind == "node")
        .map(|(_, d)| d["node"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_studio_loads_and_runs_echo_loop_anonymously_with_an_approval_and_a_validation() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let addr = server.addr;

    // What the studio asks on load: none of it is a 401 (a login loop), and only setup-status is a 404.
    assert_eq!(
        studio(addr, "GET", "/api/auth/setup-status", None, None)
            .await
            .status,
        404
    );
    let status = studio(addr, "GET", "/api/settings/status", None, None).await;
    assert_eq!(status.status, 200);
    assert_eq!(status.json()["setupRequired"], false);
    let sandbox = studio(addr, "GET", "/api/sandbox/status", None, None).await;
    assert_eq!(
        (sandbox.status, sandbox.json()["available"].clone()),
        (200, json!(true))
    );
    assert_eq!(
        studio(addr, "GET", "/api/version", None, None).await.json()["version"],
        "dev"
    );
    let agents = studio(addr, "GET", "/api/agents", None, None).await;
    assert_eq!(agents.status, 200);
    let echo = agents.json()["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "echo_loop")
        .cloned()
        .expect("the public demo is listed");
    assert_eq!(echo["source"], "system");
    assert_eq!(echo["isReadOnly"], true);
    let tools = studio(addr, "GET", "/api/tools", None, None).await;
    assert_eq!(tools.status, 200);
    assert_eq!(
        tools.json()["tools"][0]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["description", "name", "source"]
    );
    let settings = studio(addr, "GET", "/api/settings/config", None, None).await;
    assert_eq!(
        (settings.status, settings.json()["providers"].clone()),
        (200, json!([]))
    );
    let flow = studio(addr, "GET", "/api/agents/echo_loop", None, None).await;
    assert_eq!(flow.status, 200);
    assert!(
        flow.json()["yaml"]
            .as_str()
            .unwrap()
            .starts_with("# A demo")
    );
    // Starting a run, the studio saves the flow first: read-only here, and the run goes on regardless.
    let save = studio(
        addr,
        "PUT",
        "/api/agents/echo_loop",
        None,
        Some(json!({ "yaml": flow.json()["yaml"] })),
    )
    .await;
    assert_eq!(save.status, 403, "{}", save.body);
    assert!(save.json()["error"].as_str().unwrap().contains("read-only"));

    let session = "session-1700000000000";
    let first = chat(addr, None, session, "", false).await;
    assert_eq!(nodes(&first), ["ask_text"]);
    assert!(texts(&first).contains("What should the echo plugin repeat?"));
    assert_eq!(options(&first), Some(json!([])), "free text: {first:?}");
    assert!(!ended(&first));
    // No state payload may pass for another message.
    assert!(first.iter().all(|(kind, d)| *kind != "ignored"
        || d.get("variables").is_some()
        || d.get("status").is_some()));

    let asked = chat(addr, None, session, "hello", false).await;
    assert_eq!(nodes(&asked), ["echo_text"]);
    assert!(
        texts(&asked).contains("calls the tool `echo.echo`"),
        "{asked:?}"
    );
    assert!(texts(&asked).contains("dry run"), "{asked:?}");
    assert_eq!(options(&asked), Some(json!(["Yes", "No"])));

    let approved = chat(addr, None, session, "Yes", false).await;
    let said = texts(&approved);
    assert!(said.contains("Dry run of `echo.echo`"), "{said}");
    assert!(
        said.contains("The echo plugin answered: Echo: hello"),
        "{said}"
    );
    assert!(said.contains("Answer **yes** to accept it"), "{said}");
    assert_eq!(options(&approved), Some(json!([])));

    let validated = chat(addr, None, session, "yes", false).await;
    assert!(texts(&validated).contains("accepted"));
    assert_eq!(nodes(&validated), ["count_echo", "remember", "ask_again"]);
    assert_eq!(options(&validated), Some(json!(["yes", "no"])));

    let last = chat(addr, None, session, "no", false).await;
    assert!(texts(&last).contains("Echoed 1 time(s):"), "{last:?}");
    assert!(ended(&last), "the run ends with node END: {last:?}");

    assert_eq!(
        studio(
            addr,
            "POST",
            &format!("/api/session/{session}/keepalive"),
            None,
            None
        )
        .await
        .json(),
        json!({ "ok": true })
    );
    assert_eq!(
        studio(
            addr,
            "POST",
            &format!("/api/session/{session}/stop"),
            None,
            None
        )
        .await
        .json(),
        json!({ "stopped": true })
    );
    assert_eq!(
        studio(
            addr,
            "POST",
            &format!("/api/session/{session}/stop"),
            None,
            None
        )
        .await
        .status,
        404
    );

    // Audited as anonymous, like FastAgency's face.
    let audit = send(addr, "GET", "/api/audit", Some(OPERATOR), None)
        .await
        .body;
    assert!(
        audit.contains("workflow.run.start") && audit.contains("\"anonymous\""),
        "{audit}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_approve_runs_tool_calls_without_asking_and_no_declines_them() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let addr = server.addr;
    chat(addr, None, "auto", "", true).await;
    let ran = chat(addr, None, "auto", "hi", true).await;
    assert!(
        ran.iter()
            .any(|(kind, d)| *kind == "tool_auto_approved" && d["approval_tool"] == "echo.echo"),
        "{ran:?}"
    );
    assert!(texts(&ran).contains("Dry run of `echo.echo`"));

    chat(addr, None, "decline", "", false).await;
    chat(addr, None, "decline", "hi", false).await;
    let wrong = chat(addr, None, "decline", "maybe", false).await;
    assert!(
        wrong
            .iter()
            .any(|(kind, d)| *kind == "error" && d["error"] == "answer Yes or No")
    );
    assert_eq!(options(&wrong), Some(json!(["Yes", "No"])));
    let declined = chat(addr, None, "decline", "No", false).await;
    assert!(texts(&declined).contains("cancelled"), "{declined:?}");
    assert!(ended(&declined));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_keeps_the_text_beside_the_layout_and_refuses_invalid_flows() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let addr = server.addr;
    let token = Some(OPERATOR);
    let original = send(addr, "GET", "/api/workflows/echo_loop", token, None)
        .await
        .body;

    // The studio's save: comments gone, a layout block added; the document means the same.
    let reserialised: String = original
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    let layout = "layout:\n  nodes:\n    START:\n      x: 200\n      y: 50\n    ask_text:\n      x: 200\n      y: 150\n";
    let saved = studio(
        addr,
        "PUT",
        "/api/agents/echo_loop",
        token,
        Some(json!({ "yaml": format!("{reserialised}{layout}") })),
    )
    .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.json()["status"], "ok");
    assert_eq!(
        send(addr, "GET", "/api/workflows/echo_loop", token, None)
            .await
            .body,
        original,
        "the file's text is kept"
    );
    let shown = studio(addr, "GET", "/api/agents/echo_loop", token, None)
        .await
        .json();
    let yaml = shown["yaml"].as_str().unwrap();
    assert!(
        yaml.starts_with("# A demo") && yaml.trim_end().ends_with("y: 150"),
        "{yaml}"
    );
    assert_eq!(shown["config"]["name"], "echo_loop");

    // A new flow, named by its URL as Astonish names flows by file.
    let hello = "description: Says hello\nnodes:\n  - name: say\n    type: output\n    user_message:\n      - hello\nflow:\n  - from: START\n    to: say\n  - from: say\n    to: END\n";
    let created = studio(
        addr,
        "PUT",
        "/api/agents/hello_flow",
        token,
        Some(json!({ "yaml": hello })),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let agents = studio(addr, "GET", "/api/agents", token, None).await.json();
    let listed = agents["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "hello_flow")
        .cloned()
        .unwrap();
    assert_eq!(
        (listed["source"].clone(), listed.get("isReadOnly")),
        (json!("local"), None)
    );

    let invalid = studio(
        addr,
        "PUT",
        "/api/agents/hello_flow",
        token,
        Some(json!({ "yaml": format!("{hello}colour: blue\n") })),
    )
    .await;
    assert_eq!(invalid.status, 400);
    let error = invalid.json()["error"].as_str().unwrap().to_owned();
    assert!(
        error.contains("line 12") && error.contains("colour"),
        "{error}"
    );
    let bad_layout = studio(
        addr,
        "PUT",
        "/api/agents/hello_flow",
        token,
        Some(json!({ "yaml": format!("{hello}layout: 3\n") })),
    )
    .await;
    assert_eq!(bad_layout.status, 400, "{}", bad_layout.body);

    assert_eq!(
        studio(addr, "DELETE", "/api/agents/hello_flow", None, None)
            .await
            .status,
        403
    );
    let deleted = studio(addr, "DELETE", "/api/agents/hello_flow", token, None).await;
    assert_eq!(
        deleted.json(),
        json!({ "status": "ok", "deleted": "hello_flow" })
    );
    let gone = studio(addr, "GET", "/api/agents/hello_flow", token, None).await;
    assert_eq!(gone.status, 404);
    assert!(gone.json()["error"].is_string());
    assert_eq!(
        studio(addr, "DELETE", "/api/agents/hello_flow", token, None)
            .await
            .status,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_round_trip_masks_the_key_and_a_masked_value_keeps_it() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let addr = server.addr;
    let token = Some(OPERATOR);
    let key = "sk-secret-key-0123456789";
    let put = studio(addr, "PUT", "/api/settings/config", token, Some(json!({
        "general": { "default_provider": "local", "default_model": "small" },
        "providers": { "local": { "type": "openai_compat", "base_url": "http://127.0.0.1:9/v1", "model": "small", "api_key": key } },
    }))).await;
    assert_eq!(
        (put.status, put.json()),
        (200, json!({ "status": "ok" })),
        "{}",
        put.body
    );
    let native_before = send(addr, "GET", "/api/settings", token, None).await.json();

    let shown = studio(addr, "GET", "/api/settings/config", token, None).await;
    assert!(!shown.body.contains("secret-key"), "{}", shown.body);
    let shown = shown.json();
    assert_eq!(shown["general"]["default_provider"], "local");
    assert_eq!(shown["general"]["default_model"], "small");
    let provider = &shown["providers"][0];
    assert_eq!(
        (provider["name"].clone(), provider["configured"].clone()),
        (json!("local"), json!(true))
    );
    let masked = provider["fields"]["api_key"].as_str().unwrap().to_owned();
    assert!(masked.starts_with("****"), "{masked}");

    // The studio sends the masked value back with another change: the key stays.
    let again = studio(
        addr,
        "PUT",
        "/api/settings/config",
        token,
        Some(json!({
            "providers": { "local": { "api_key": masked, "model": "bigger" } },
        })),
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.body);
    let native_after = send(addr, "GET", "/api/settings", token, None).await.json();
    assert_eq!(
        native_after["llm"]["providers"][0]["apiKey"],
        native_before["llm"]["providers"][0]["apiKey"]
    );
    assert_eq!(native_after["llm"]["providers"][0]["model"], "bigger");

    let status = studio(addr, "GET", "/api/settings/status", None, None)
        .await
        .json();
    assert_eq!(
        status,
        json!({ "setupRequired": false, "hasDefaultProvider": true, "hasDefaultModel": true, "configuredProviders": ["local"] })
    );
    let anonymous = studio(addr, "GET", "/api/settings/config", None, None)
        .await
        .json();
    assert_eq!(
        (
            anonymous["general"]["default_provider"].clone(),
            anonymous["providers"].clone()
        ),
        (json!("local"), json!([]))
    );
    assert_eq!(
        studio(
            addr,
            "PUT",
            "/api/settings/config",
            None,
            Some(json!({ "general": {} }))
        )
        .await
        .status,
        403
    );

    assert_eq!(
        studio(addr, "GET", "/api/settings/mcp", None, None)
            .await
            .json(),
        json!({ "mcpServers": {} })
    );
    let refused = studio(
        addr,
        "PUT",
        "/api/settings/mcp",
        token,
        Some(json!({ "mcpServers": { "fs": { "command": "npx" } } })),
    )
    .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.json()["error"]
            .as_str()
            .unwrap()
            .contains("sandbox")
    );
}
