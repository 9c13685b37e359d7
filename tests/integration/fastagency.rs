//! FastAgency wire compatibility over a real websocket (tokio-tungstenite, the library FastAgency's
//! clients' `websockets` counterpart speaks the same protocol as): discovery, initiation, a whole run of
//! the demo `echo_loop` workflow driven only by IOMessages and raw-text answers, resuming after a
//! disconnect, tokens optional but honoured, and hostile first frames.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use drydock_tests::client::send;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::support::{TestServer, start_with_demo_workflows};

const OPERATOR: &str = "operator-token-for-fastagency-tests";
/// How long a test waits for one message before failing.
const WAIT: Duration = Duration::from_secs(20);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn start(data: &Path) -> TestServer {
    start_with_demo_workflows(data, OPERATOR).await
}

async fn connect(addr: SocketAddr, token: Option<&str>) -> Result<Socket, WsError> {
    let mut request = format!("ws://{addr}/fastagency/ws")
        .into_client_request()
        .unwrap();
    if let Some(token) = token {
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    connect_async(request).await.map(|(socket, _)| socket)
}

async fn initiate(addr: SocketAddr, name: &str, token: Option<&str>) -> (u16, Value) {
    let body = json!({
        "workflow_name": name,
        "workflow_uuid": "5d2a4c1e-0000-4000-8000-000000000001",
        "user_id": null,
        "params": {},
    });
    let answer = send(
        addr,
        "POST",
        "/fastagency/initiate_workflow",
        token,
        Some(&body.to_string()),
    )
    .await;
    (answer.status, answer.json())
}

/// The next IOMessage, skipping keep-alives; `None` once the server closed the connection.
async fn next(socket: &mut Socket) -> Option<Value> {
    next_or_timeout(socket)
        .await
        .expect("a message within 20 s")
}

async fn next_or_timeout(
    socket: &mut Socket,
) -> Result<Option<Value>, tokio::time::error::Elapsed> {
    // One deadline for the whole wait: keep-alives do not extend it.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let frame = tokio::time::timeout_at(deadline, socket.next()).await?;
        match frame {
            Some(Ok(Message::Text(text))) => {
                let message: Value = serde_json::from_str(&text).expect("a JSON message");
                if message["type"] != "keep_alive" {
                    return Ok(Some(message));
                }
            }
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return Ok(None),
            Some(Ok(_)) => {}
        }
    }
}

/// Reads messages until one of `kind` arrives; returns it and everything before it.
async fn until(socket: &mut Socket, kind: &str) -> (Value, Vec<Value>) {
    let mut seen = Vec::new();
    loop {
        let message = next_or_timeout(socket)
            .await
            .unwrap_or_else(|_| panic!("no `{kind}` message within 20 s; saw {seen:#?}"))
            .unwrap_or_else(|| panic!("closed before a `{kind}` message; saw {seen:#?}"));
        assert_envelope(&message);
        if message["type"] == kind {
            return (message, seen);
        }
        seen.push(message);
    }
}

fn assert_envelope(message: &Value) {
    let object = message.as_object().expect("an object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "auto_reply",
            "content",
            "recipient",
            "sender",
            "type",
            "uuid",
            "workflow_uuid"
        ],
        "{message}"
    );
    assert_eq!(
        message["uuid"].as_str().map(str::len),
        Some(32),
        "{message}"
    );
}

async fn say(socket: &mut Socket, text: &str) {
    socket
        .send(Message::Text(text.to_owned().into()))
        .await
        .expect("the answer is sent");
}

#[tokio::test]
async fn a_fastagency_client_discovers_and_runs_a_public_workflow_without_a_token() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let addr = server.addr;

    let discovery = send(addr, "GET", "/fastagency/discovery", None, None).await;
    assert_eq!(discovery.status, 200, "{}", discovery.body);
    let workflows = discovery.json();
    let echo_loop = workflows
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "echo_loop")
        .expect("the public demo is discoverable without a token")
        .clone();
    assert_eq!(echo_loop.as_object().unwrap().len(), 2, "{echo_loop}");
    assert!(echo_loop["description"].as_str().unwrap().contains("echo"));
    // FastAgency's Python provider asks with a double slash; it gets the same answer.
    let python = send(addr, "GET", "//fastagency/discovery", None, None).await;
    assert_eq!(python.status, 200, "{}", python.body);
    assert_eq!(python.json(), workflows);

    let (status, initiated) = initiate(addr, "echo_loop", None).await;
    assert_eq!(status, 200, "{initiated}");
    assert_eq!(initiated["name"], "echo_loop");
    assert_eq!(initiated["params"], json!({}));
    let run_id = initiated["workflow_uuid"].as_str().unwrap().to_owned();
    assert_ne!(
        run_id, "5d2a4c1e-0000-4000-8000-000000000001",
        "fresh ids, as FastAgency makes them"
    );
    assert!(initiated["user_id"].as_str().is_some(), "{initiated}");

    let mut socket = connect(addr, None).await.expect("the websocket opens");
    say(&mut socket, &initiated.to_string()).await;
    let (started, _) = until(&mut socket, "workflow_started").await;
    assert_eq!(started["workflow_uuid"], run_id.replace('-', ""));
    assert_eq!(started["content"]["name"], "echo_loop");
    assert_eq!(started["content"]["params"]["greeting"], "Echo");
    let (ask, _) = until(&mut socket, "text_input").await;
    assert_eq!(
        ask["content"]["prompt"],
        "What should the echo plugin repeat?"
    );
    assert_eq!(ask["content"]["password"], false);

    say(&mut socket, "hello").await;
    let (call, _) = until(&mut socket, "suggested_function_call").await;
    assert_eq!(call["content"]["function_name"], "echo.echo");
    assert_eq!(call["content"]["arguments"], json!({"text": "Echo: hello"}));
    let (execution, _) = until(&mut socket, "function_call_execution").await;
    assert_eq!(execution["content"]["call_id"], call["content"]["call_id"]);
    let retval = &execution["content"]["retval"];
    assert_eq!(retval["ok"], true, "{retval}");
    assert_eq!(retval["mode"], "dry-run");
    assert_eq!(retval["result"]["text"], "Echo: hello");
    assert_eq!(retval["effects"], json!([]), "echo has no effects");
    let (shown, _) = until(&mut socket, "text_message").await;
    assert_eq!(
        shown["content"]["body"],
        "The echo plugin answered: Echo: hello"
    );

    // The step needs validation: feedback re-runs it with the feedback in its state.
    let (check, _) = until(&mut socket, "text_input").await;
    let prompt = check["content"]["prompt"].as_str().unwrap();
    assert!(prompt.contains("echo_text"), "{prompt}");
    assert!(
        prompt.contains("Echo: hello"),
        "the output to check: {prompt}"
    );
    say(&mut socket, "(louder)").await;
    let (again, _) = until(&mut socket, "suggested_function_call").await;
    assert_eq!(again["content"]["arguments"]["text"], "Echo: hello(louder)");
    let (check, _) = until(&mut socket, "text_input").await;
    assert_ne!(check["uuid"], ask["uuid"]);
    say(&mut socket, "yes").await;

    // A choice: an answer outside it is refused with an error and the question comes again.
    let (choice, _) = until(&mut socket, "multiple_choice").await;
    assert_eq!(choice["content"]["choices"], json!(["yes", "no"]));
    assert_eq!(choice["content"]["single"], true);
    say(&mut socket, "maybe").await;
    let (error, _) = until(&mut socket, "error").await;
    assert_eq!(error["content"]["short"], "invalid answer");
    assert!(
        error["content"]["long"]
            .as_str()
            .unwrap()
            .contains("not one of the options"),
        "{error}"
    );
    let (asked_again, _) = until(&mut socket, "multiple_choice").await;
    assert_eq!(asked_again["uuid"], choice["uuid"]);
    say(&mut socket, "no").await;

    let (done, before) = until(&mut socket, "workflow_completed").await;
    assert!(
        before.iter().any(|m| m["type"] == "text_message"
            && m["content"]["body"]
                .as_str()
                .is_some_and(|b| b.contains("Echoed 1 time(s)"))),
        "{before:#?}"
    );
    assert!(done["content"]["result"].as_str().is_some(), "{done}");
    assert_eq!(next(&mut socket).await, None, "closed once the run ended");

    // The run is a Drydock run: stored, and audited as anonymous with its tool calls.
    let audit = send(
        addr,
        "GET",
        &format!("/api/audit?correlationId={run_id}"),
        Some(OPERATOR),
        None,
    )
    .await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    let rows = audit.json();
    let rows = rows["entries"].as_array().expect("audit entries").clone();
    let actions: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r["actor"].as_str().unwrap(), r["action"].as_str().unwrap()))
        .collect();
    assert!(
        actions.contains(&("anonymous", "workflow.run.start")),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("anonymous", "workflow.tool")),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_disconnected_client_reconnects_and_resumes_the_waiting_run() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let addr = server.addr;
    let (_, initiated) = initiate(addr, "echo_loop", None).await;

    let mut first = connect(addr, None).await.unwrap();
    say(&mut first, &initiated.to_string()).await;
    let (started, _) = until(&mut first, "workflow_started").await;
    let (ask, _) = until(&mut first, "text_input").await;
    drop(first);

    // Same first frame again: the same run, its messages with the same uuids, the same open question.
    let mut second = connect(addr, None).await.unwrap();
    say(&mut second, &initiated.to_string()).await;
    let (started_again, _) = until(&mut second, "workflow_started").await;
    assert_eq!(started_again["uuid"], started["uuid"]);
    let (ask_again, _) = until(&mut second, "text_input").await;
    assert_eq!(ask_again["uuid"], ask["uuid"]);
    say(&mut second, "resumed").await;
    let (call, _) = until(&mut second, "suggested_function_call").await;
    assert_eq!(call["content"]["arguments"]["text"], "Echo: resumed");

    // Leave while the step waits for validation, come back, answer it: only the open question is asked.
    let (check, _) = until(&mut second, "text_input").await;
    drop(second);
    let mut third = connect(addr, None).await.unwrap();
    say(&mut third, &initiated.to_string()).await;
    let (check_again, before) = until(&mut third, "text_input").await;
    assert_eq!(check_again["uuid"], check["uuid"]);
    assert!(
        !before
            .iter()
            .any(|m| m["type"] == "text_input" || m["type"] == "multiple_choice"),
        "answered questions are not asked again: {before:#?}"
    );
    say(&mut third, "yes").await;
    until(&mut third, "multiple_choice").await;
}

#[tokio::test]
async fn private_workflows_need_a_token_and_a_wrong_token_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let addr = server.addr;
    let demo = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows/echo_loop.yaml"),
    )
    .unwrap();
    let private = demo
        .replace("name: echo_loop", "name: private_echo")
        .replace("public: true", "public: false");
    let put = send(
        addr,
        "PUT",
        "/api/workflows/private_echo",
        Some(OPERATOR),
        Some(&private),
    )
    .await;
    assert!(put.status == 200 || put.status == 201, "{}", put.body);

    let anonymous = send(addr, "GET", "/fastagency/discovery", None, None).await;
    assert!(
        !anonymous.body.contains("private_echo"),
        "{}",
        anonymous.body
    );
    let with_token = send(addr, "GET", "/fastagency/discovery", Some(OPERATOR), None).await;
    assert!(
        with_token.body.contains("private_echo"),
        "{}",
        with_token.body
    );
    let wrong = send(
        addr,
        "GET",
        "/fastagency/discovery",
        Some("not-a-token"),
        None,
    )
    .await;
    assert_eq!(wrong.status, 401, "a wrong token is not a silent downgrade");

    let (status, body) = initiate(addr, "private_echo", None).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        initiate(addr, "private_echo", Some("not-a-token")).await.0,
        401
    );
    let (status, initiated) = initiate(addr, "private_echo", Some(OPERATOR)).await;
    assert_eq!(status, 200, "{initiated}");

    // The websocket: a wrong token fails the upgrade; no token cannot start the private workflow.
    match connect(addr, Some("not-a-token")).await {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 401),
        other => panic!("expected a 401 upgrade refusal, got {other:?}"),
    }
    let mut anonymous = connect(addr, None).await.unwrap();
    say(&mut anonymous, &initiated.to_string()).await;
    let (refused, _) = until(&mut anonymous, "error").await;
    assert!(
        refused["content"]["long"]
            .as_str()
            .unwrap()
            .contains("private_echo"),
        "{refused}"
    );
    assert_eq!(next(&mut anonymous).await, None);

    // With the token the same frame starts it; afterwards an anonymous caller cannot attach to it.
    let mut owner = connect(addr, Some(OPERATOR)).await.unwrap();
    say(&mut owner, &initiated.to_string()).await;
    until(&mut owner, "text_input").await;
    let mut intruder = connect(addr, None).await.unwrap();
    say(&mut intruder, &initiated.to_string()).await;
    let first = next(&mut intruder).await.expect("a refusal");
    assert_eq!(first["type"], "error", "{first}");
    assert_eq!(next(&mut intruder).await, None);
}

#[tokio::test]
async fn hostile_first_frames_and_bodies_get_clear_errors() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let addr = server.addr;

    for (frame, expect) in [
        ("not json", "first message must be"),
        (r#"{"name": "echo_loop"}"#, "workflow_uuid"),
        (
            r#"{"name": "echo_loop", "workflow_uuid": "../etc/passwd", "user_id": null, "params": {}}"#,
            "must be a UUID",
        ),
        (
            r#"{"name": "no_such_flow", "workflow_uuid": "6c3b1f0e-1111-4222-8333-444455556666", "user_id": null, "params": {}}"#,
            "no_such_flow",
        ),
        (
            r#"{"name": "echo_loop", "workflow_uuid": "6c3b1f0e-1111-4222-8333-444455556667", "user_id": null, "params": {"colour": "red"}}"#,
            "colour",
        ),
    ] {
        let mut socket = connect(addr, None).await.unwrap();
        say(&mut socket, frame).await;
        let message = next(&mut socket).await.expect("an error message");
        assert_eq!(message["type"], "error", "{frame}: {message}");
        let long = message["content"]["long"].as_str().unwrap();
        assert!(long.contains(expect), "{frame}: {long}");
        assert_eq!(
            next(&mut socket).await,
            None,
            "{frame}: closed after the error"
        );
    }

    // An answer larger than the frame limit ends the connection; the run still waits, unharmed.
    let (_, initiated) = initiate(addr, "echo_loop", None).await;
    let mut socket = connect(addr, None).await.unwrap();
    say(&mut socket, &initiated.to_string()).await;
    let (ask, _) = until(&mut socket, "text_input").await;
    let _ = socket
        .send(Message::Text("x".repeat(200 << 10).into()))
        .await;
    assert_eq!(next(&mut socket).await, None);
    let mut back = connect(addr, None).await.unwrap();
    say(&mut back, &initiated.to_string()).await;
    let (ask_again, _) = until(&mut back, "text_input").await;
    assert_eq!(ask_again["uuid"], ask["uuid"]);

    // Initiation bodies.
    let bad_params = send(
        addr,
        "POST",
        "/fastagency/initiate_workflow",
        None,
        Some(r#"{"workflow_name": "echo_loop", "workflow_uuid": "x", "user_id": null, "params": [1]}"#),
    )
    .await;
    assert_eq!(bad_params.status, 400, "{}", bad_params.body);
    assert!(bad_params.body.contains("params"), "{}", bad_params.body);
    let not_json = send(
        addr,
        "POST",
        "/fastagency/initiate_workflow",
        None,
        Some("{"),
    )
    .await;
    assert_eq!(not_json.status, 400, "{}", not_json.body);
    let no_name = send(
        addr,
        "POST",
        "/fastagency/initiate_workflow",
        None,
        Some("{}"),
    )
    .await;
    assert_eq!(no_name.status, 400, "{}", no_name.body);
    // Not an upgrade at all.
    let plain = send(addr, "GET", "/fastagency/ws", None, None).await;
    assert!(
        plain.status >= 400 && plain.status < 500,
        "{}",
        plain.status
    );
}
