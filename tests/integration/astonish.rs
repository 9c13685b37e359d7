//! Astonish wire compatibility: the studio's own calls, made the way its web UI makes them (no token,
//! `X-Requested-With: XMLHttpRequest`, SSE read by JSON keys, not by event names): start-up checks, a whole
//! run of the demo `echo_loop` flow with an input, a tool approval, a step validation and a continuation,
//! the flow catalog with its layout and validation errors, the settings round trip with masked keys, and
//! bad input on every new route. The native routes next to them keep their shapes.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use drydock_tests::client::{Answer, send, send_with};
use serde_json::{Value, json};

use crate::support::{TestServer, start_with_demo_workflows};

const OPERATOR: &str = "operator-token-for-astonish-tests";
/// How long one studio request may take before the test fails.
const WAIT: Duration = Duration::from_secs(30);
const XHR: (&str, &str) = ("x-requested-with", "XMLHttpRequest");

async fn start(data: &Path) -> TestServer {
    start_with_demo_workflows(data, OPERATOR).await
}

/// A studio request: JSON body, the studio's header, a token only when given.
async fn studio(
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
fn studio_kind(data: &Value) -> &'static str {
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
async fn chat(
    addr: SocketAddr,
    token: Option<&str>,
    session: &str,
    message: &str,
    auto_approve: bool,
) -> Vec<(&'static str, Value)> {
    let answer = studio(
        addr,
        "POST",
        "/api/chat",
        token,
        Some(json!({
            "agentId": "echo_loop", "message": message, "sessionId": session,
            "provider": "gemini", "model": "x", "autoApprove": auto_approve,
        })),
    )
    .await;
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

fn texts(messages: &[(&str, Value)]) -> String {
    messages
        .iter()
        .filter(|(kind, _)| *kind == "text")
        .map(|(_, d)| d["text"].as_str().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

fn options(messages: &[(&str, Value)]) -> Option<Value> {
    messages
        .iter()
        .rev()
        .find(|(kind, _)| *kind == "input_request")
        .map(|(_, d)| d["options"].clone())
}

fn ended(messages: &[(&str, Value)]) -> bool {
    messages
        .iter()
        .any(|(kind, d)| *kind == "node" && d["node"] == "END")
}

fn nodes(messages: &[(&str, Value)]) -> Vec<String> {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_on_every_studio_route_is_refused_with_a_reason() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let addr = server.addr;
    let token = Some(OPERATOR);
    let refused = |answer: Answer, status: u16| {
        assert_eq!(answer.status, status, "{}", answer.body);
        assert!(
            answer.json()["error"].is_string(),
            "Astonish's error shape: {}",
            answer.body
        );
    };

    let not_json = send_with(addr, "POST", "/api/chat", None, Some("{"), &[XHR]).await;
    refused(not_json, 400);
    refused(
        studio(
            addr,
            "POST",
            "/api/chat",
            None,
            Some(json!({ "agentId": 5 })),
        )
        .await,
        400,
    );
    refused(
        studio(
            addr,
            "POST",
            "/api/chat",
            None,
            Some(json!({ "agentId": "echo_loop", "autoApprove": "yes" })),
        )
        .await,
        400,
    );
    refused(
        studio(
            addr,
            "POST",
            "/api/chat",
            None,
            Some(json!({ "agentId": "echo_loop", "sessionId": "a b" })),
        )
        .await,
        400,
    );
    refused(
        studio(
            addr,
            "POST",
            "/api/chat",
            None,
            Some(json!({ "agentId": "echo_loop", "message": "x".repeat(70_000) })),
        )
        .await,
        400,
    );
    refused(
        studio(
            addr,
            "POST",
            "/api/chat",
            None,
            Some(json!({ "agentId": "x".repeat(2_000_000) })),
        )
        .await,
        413,
    );
    // An unknown flow: the stream says so and ends, so the studio does not wait forever.
    let unknown = studio(
        addr,
        "POST",
        "/api/chat",
        None,
        Some(json!({ "agentId": "nope", "sessionId": "s-unknown" })),
    )
    .await;
    assert_eq!(unknown.status, 200);
    assert!(
        unknown.body.contains("no workflow `nope`") && unknown.body.contains("\"node\":\"END\""),
        "{}",
        unknown.body
    );

    // Another caller's session is not there for them.
    chat(addr, None, "session-mine", "", false).await;
    refused(
        studio(
            addr,
            "POST",
            "/api/session/session-mine/keepalive",
            token,
            None,
        )
        .await,
        404,
    );
    refused(
        studio(addr, "POST", "/api/session/session-mine/stop", token, None).await,
        404,
    );
    refused(
        studio(addr, "POST", "/api/session/never-made/stop", None, None).await,
        404,
    );

    refused(
        studio(
            addr,
            "PUT",
            "/api/agents/x",
            token,
            Some(json!({ "yaml": 5 })),
        )
        .await,
        400,
    );
    refused(
        studio(
            addr,
            "PUT",
            "/api/agents/x",
            token,
            Some(json!({ "yaml": "a: b\n".repeat(60_000) })),
        )
        .await,
        413,
    );
    refused(
        studio(addr, "GET", "/api/agents/no_such_flow", None, None).await,
        404,
    );

    refused(
        studio(
            addr,
            "PUT",
            "/api/settings/config",
            token,
            Some(json!({ "providers": 5 })),
        )
        .await,
        400,
    );
    refused(
        studio(
            addr,
            "PUT",
            "/api/settings/config",
            token,
            Some(json!({ "general": { "default_model": 3 } })),
        )
        .await,
        400,
    );
    refused(
        studio(
            addr,
            "PUT",
            "/api/settings/config",
            token,
            Some(json!({ "bogus": 1 })),
        )
        .await,
        400,
    );
    refused(
        studio(
            addr,
            "PUT",
            "/api/settings/config",
            token,
            Some(json!({ "providers": { "p": { "region": "eu" } } })),
        )
        .await,
        400,
    );
    refused(
        studio(
            addr,
            "PUT",
            "/api/settings/mcp",
            token,
            Some(json!({ "mcpServers": 3 })),
        )
        .await,
        400,
    );

    refused(
        studio(
            addr,
            "POST",
            "/api/ai/chat",
            None,
            Some(json!({ "message": "make a flow" })),
        )
        .await,
        403,
    );
    refused(
        studio(
            addr,
            "POST",
            "/api/ai/chat",
            token,
            Some(json!({ "message": "" })),
        )
        .await,
        400,
    );
    refused(
        studio(
            addr,
            "POST",
            "/api/ai/chat",
            token,
            Some(json!({ "message": 7 })),
        )
        .await,
        400,
    );
    let no_model = studio(
        addr,
        "POST",
        "/api/ai/chat",
        token,
        Some(json!({ "message": "make a flow" })),
    )
    .await;
    assert_eq!(no_model.status, 200, "{}", no_model.body);
    assert!(
        no_model.json()["message"]
            .as_str()
            .unwrap()
            .contains("No language model")
    );
    assert_eq!(no_model.json()["action"], "info");

    refused(
        studio(addr, "GET", "/api/agents", Some("not-a-token"), None).await,
        401,
    );

    // The native list is unchanged for its own clients: a token gets Drydock's shape, none a 401.
    assert_eq!(
        send(addr, "GET", "/api/tools", None, None).await.status,
        401
    );
    let native = send(addr, "GET", "/api/tools", token, None).await.json();
    assert!(
        native["tools"][0]["inputSchema"].is_object() && native["tools"][0]["liveNeeds"].is_array()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_session_cookie_makes_the_studio_its_visitor_only_for_page_scripts() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let addr = server.addr;
    crate::server::user_token(&server, "olga", drydock_core::Role::Operator).await;
    let jar = crate::console_auth::signed_in(&server, "olga", "correct horse").await;
    let cookie = jar.header();
    let flow = "description: From the studio\nnodes:\n  - name: say\n    type: output\n    user_message:\n      - hi\nflow:\n  - from: START\n    to: say\n  - from: say\n    to: END\n";
    let body = json!({ "yaml": flow }).to_string();
    let put = |headers: Vec<(&'static str, String)>| {
        let body = body.clone();
        async move {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            send_with(
                addr,
                "PUT",
                "/api/agents/studio_flow",
                None,
                Some(&body),
                &headers,
            )
            .await
        }
    };
    // A write with the cookie but without the page-script header is not the visitor's (a form of another
    // site could send that): anonymous, read-only.
    let plain = put(vec![("cookie", cookie.clone())]).await;
    assert_eq!(plain.status, 403, "{}", plain.body);
    let scripted = put(vec![("cookie", cookie.clone()), (XHR.0, XHR.1.to_owned())]).await;
    assert_eq!(scripted.status, 200, "{}", scripted.body);
    // Reads with the cookie see what the visitor sees, and the flow is theirs to change.
    let listed = send_with(
        addr,
        "GET",
        "/api/agents",
        None,
        None,
        &[("cookie", &cookie)],
    )
    .await
    .json();
    let mine = listed["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "studio_flow")
        .cloned()
        .unwrap();
    assert_eq!(
        (mine["source"].clone(), mine.get("isReadOnly")),
        (json!("local"), None)
    );
    // A cross-site page cannot write with it either (the Origin check of every route).
    let foreign = put(vec![
        ("cookie", cookie.clone()),
        (XHR.0, XHR.1.to_owned()),
        ("origin", "http://evil.example".to_owned()),
    ])
    .await;
    assert_eq!(foreign.status, 403);
}
