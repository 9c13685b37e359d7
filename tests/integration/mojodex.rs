//! Mojodex wire compatibility with Mojodex's own kind of client: `mojodex_client.py` (beside this file)
//! talks to a real server with `requests` and `python-socketio`, as the seed's Python CLI does. It logs
//! in, lists the workflows, runs the demo `echo_loop` over the websocket transport (rejecting its
//! validated step with feedback, then validating the re-run) and over polling (rejecting without
//! feedback), and prints what it saw; the assertions are here.
//!
//! python-socketio is installed from PyPI into a virtualenv under the test target directory, once, at a
//! pinned version ([`PYTHON_SOCKETIO`]); `cargo test` (and so `cargo xtask test`) needs python3 with its
//! venv module and PyPI, as the schemathesis step does.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use drydock_core::Role;
use drydock_tests::client::{Answer, send_with};
use serde_json::{Value, json};

use crate::support::{TestServer, start_with_demo_workflows};

/// The python-socketio release the client test installs (its `client` extra brings `requests` and
/// `websocket-client`).
pub const PYTHON_SOCKETIO: &str = "5.18.1";
pub const OPERATOR: &str = "operator-token-for-mojodex-tests";
/// The most the Python client may take before the test fails (its own waits are bounded too).
const CLIENT_DEADLINE: Duration = Duration::from_secs(300);

/// The server, with the demo workflows, and a user `alice` (password `pw-alice`).
pub async fn start(data: &Path) -> (TestServer, String) {
    let server = start_with_demo_workflows(data, OPERATOR).await;
    let alice = server
        .core
        .add_user("alice", "pw-alice", Role::User, "test")
        .await
        .unwrap();
    (server, alice)
}

/// A request with the token raw in `Authorization`, as Mojodex's clients send it.
pub async fn mojodex(
    server: &TestServer,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Answer {
    let text = body.map(Value::to_string);
    let headers: Vec<(&str, &str)> = token.map(|t| ("authorization", t)).into_iter().collect();
    send_with(server.addr, method, path, None, text.as_deref(), &headers).await
}

/// Logs `username` in through `POST /user`; the token.
pub async fn log_in(server: &TestServer, username: &str, password: &str) -> String {
    let body = json!({
        "email": username, "password": password, "login_method": "email_password", "datetime": "now",
    });
    let answer = mojodex(server, "POST", "/user", None, Some(&body)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["token"].as_str().unwrap().to_owned()
}

/// `echo_loop` as `token`'s owner lists it.
pub async fn echo_loop(server: &TestServer, token: &str) -> Value {
    let answer = mojodex(
        server,
        "GET",
        "/user_workflow?datetime=now&platform=webapp&version=0.0.0",
        Some(token),
        None,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["user_workflows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "echo_loop")
        .cloned()
        .expect("echo_loop is listed")
}

/// Creates an execution of `echo_loop` for `token`'s owner.
pub async fn create_execution(server: &TestServer, token: &str) -> Value {
    let workflow = echo_loop(server, token).await;
    let body = json!({ "datetime": "now", "user_workflow_pk": workflow["user_workflow_pk"], "platform": "webapp" });
    let answer = mojodex(
        server,
        "POST",
        "/user_workflow_execution",
        Some(token),
        Some(&body),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

/// The virtualenv's python, with python-socketio installed (made once per test run).
fn python_with_socketio() -> PathBuf {
    static READY: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut ready = READY.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(python) = ready.as_ref() {
        return python.clone();
    }
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mojodex-client-venv");
    let python = venv.join("bin").join("python");
    let version_check = "import importlib.metadata as m; print(m.version('python-socketio'))";
    let installed = Command::new(&python)
        .args(["-c", version_check])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_default();
    if installed != PYTHON_SOCKETIO {
        if !python.exists() {
            let made = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .expect("python3 is needed for the Mojodex client test");
            assert!(made.success(), "python3 -m venv {} failed", venv.display());
        }
        let pip = Command::new(venv.join("bin").join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("python-socketio[client]=={PYTHON_SOCKETIO}"))
            .status()
            .expect("running pip");
        assert!(
            pip.success(),
            "installing python-socketio {PYTHON_SOCKETIO} from PyPI into {} failed",
            venv.display()
        );
    }
    *ready = Some(python.clone());
    python
}

/// Runs the Python client against `server` as alice; what it saw.
async fn run_client(server: &TestServer, other_session: &str) -> Value {
    let python = tokio::task::spawn_blocking(python_with_socketio)
        .await
        .unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("integration/mojodex_client.py");
    let mut child = tokio::process::Command::new(python);
    child
        .arg(script)
        .arg(format!("http://{}", server.addr))
        .args(["alice", "pw-alice", other_session])
        .kill_on_drop(true);
    let out = tokio::time::timeout(CLIENT_DEADLINE, child.output())
        .await
        .expect("the Mojodex client finished in time")
        .expect("the Mojodex client ran");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the Mojodex client failed: {}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// The events of a run named `name`.
fn events<'a>(run: &'a Value, name: &str) -> Vec<&'a Value> {
    run["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == name)
        .map(|e| &e["data"])
        .collect()
}

fn step_names(events: &[&Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["step_name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_socketio_client_logs_in_runs_validates_and_rejects_steps() {
    let data = tempfile::tempdir().unwrap();
    let (server, _) = start(data.path()).await;
    let bob = server
        .core
        .add_user("bob", "pw-bob", Role::User, "test")
        .await
        .unwrap();
    let bobs = create_execution(&server, &bob).await;
    let seen = run_client(&server, bobs["session_id"].as_str().unwrap()).await;

    let login = &seen["login"];
    assert!(!login["token"].as_str().unwrap().is_empty());
    assert_eq!(login["name"], "alice");
    assert_eq!(login["company_fk"], Value::Null);
    assert_eq!(login["terms_and_conditions_agreed"], true);
    let echo = seen["workflows"]["user_workflows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "echo_loop")
        .unwrap();
    let inputs: Vec<&str> = echo["inputs_spec"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["input_name"].as_str().unwrap())
        .collect();
    assert_eq!(inputs, ["greeting", "text", "again"]);
    let steps: Vec<&str> = echo["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "ask_text",
            "echo_text",
            "count_echo",
            "remember",
            "ask_again",
            "summary"
        ]
    );
    assert!(
        seen["anonymous_connect"]
            .as_str()
            .unwrap()
            .starts_with("refused"),
        "{}",
        seen["anonymous_connect"]
    );

    let run = &seen["validated_run"];
    let session = run["created"]["session_id"].as_str().unwrap();
    assert_eq!(run["created"]["status"], "created");
    assert!(
        run["created"]["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["value"].is_null())
    );
    assert_eq!(
        run["foreign_join"]["joined"], false,
        "{}",
        run["foreign_join"]
    );
    assert!(run["foreign_join_event"]["error"].is_string());
    assert_eq!(run["join"]["joined"], true, "{}", run["join"]);
    assert_eq!(run["start_status"], 200);
    assert!(
        run["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["data"]["session_id"] == session),
        "every event names the room it went to"
    );
    let started = events(run, "workflow_step_execution_started");
    assert_eq!(step_names(&started)[..2], ["ask_text", "echo_text"]);
    let ended = events(run, "workflow_step_execution_ended");
    let echoes: Vec<&&Value> = ended
        .iter()
        .filter(|e| e["step_name"] == "echo_text")
        .collect();
    assert_eq!(echoes.len(), 2, "the step ran twice: {ended:?}");
    assert_eq!(echoes[0]["validated"], false);
    assert_eq!(echoes[0]["result"][0]["text"], "Echo: hi");
    assert_eq!(echoes[1]["result"][0]["text"], "Echo: hi!");
    assert_ne!(
        echoes[0]["user_workflow_step_execution_pk"],
        echoes[1]["user_workflow_step_execution_pk"]
    );
    assert_eq!(
        echoes[0]["workflow_step_pk"],
        echo["steps"][1]["workflow_step_pk"]
    );
    let after_end = &run["status_after_end"];
    assert_eq!(after_end["status"], "waiting_validation");
    assert_eq!(
        after_end["current_step_execution"]["step_name"],
        "echo_text"
    );
    assert_eq!(after_end["current_step_execution"]["validated"], false);
    assert_eq!(
        after_end["current_step_execution"]["result"][0]["text"],
        "Echo: hi"
    );
    assert_eq!(run["rejection"]["status"], 200);
    assert_eq!(run["rejection"]["body"]["message"], "Step rejected");
    let invalidated = events(run, "workflow_step_execution_invalidated");
    assert_eq!(step_names(&invalidated), ["echo_text"]);
    assert_eq!(invalidated[0]["feedback"], "!");
    assert_eq!(run["validation"]["status"], 200);
    assert_eq!(run["validation"]["body"]["message"], "Step validated");
    assert_eq!(
        run["validation_of_old"]["status"], 409,
        "{}",
        run["validation_of_old"]
    );
    let finished = events(run, "workflow_execution_ended");
    assert_eq!(finished.last().unwrap()["status"], "completed");
    let last = &run["final"];
    assert_eq!(last["status"], "completed");
    assert_eq!(last["result"]["transcript"], json!(["Echo: hi!"]));
    let validated = step_names(
        &last["validated_steps_executions"]
            .as_array()
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        validated,
        [
            "ask_text",
            "echo_text",
            "count_echo",
            "remember",
            "ask_again",
            "summary"
        ]
    );
    assert_eq!(
        last["inputs"],
        json!([
            {"input_name": "greeting", "value": null},
            {"input_name": "text", "value": "hi"},
            {"input_name": "again", "value": "no"},
        ])
    );

    let rejected = &seen["rejected_run"];
    assert_eq!(rejected["transport"], "polling");
    assert_eq!(rejected["join"]["joined"], true);
    assert_eq!(rejected["rejection"]["body"]["message"], "Step rejected");
    assert_eq!(
        step_names(&events(rejected, "workflow_step_execution_invalidated")),
        ["echo_text"]
    );
    assert_eq!(
        events(rejected, "workflow_execution_ended").last().unwrap()["status"],
        "rejected"
    );
    assert_eq!(rejected["final"]["status"], "rejected");
}
