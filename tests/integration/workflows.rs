//! The workflow catalog over real HTTP (issue 5): put, list, read, replace and delete a workflow as YAML;
//! validation errors with their lines; bad documents, oversized bodies and unknown names refused with
//! 4xx; writes need an operator and leave audit rows; a workflows directory is imported at start
//! without letting a bad file stop it.

use std::path::Path;

use drydock_core::Role;
use drydock_tests::client::{send, send_with};
use drydock_tests::plugins::ECHO;
use serde_json::Value;

use crate::support::{TestServer, start_server};

const OPERATOR: &str = "operator-token-for-workflow-tests";

/// A workflow with an input, a branch, a tool call and a validated step.
const GREET: &str = "\
name: greet
description: Greets someone, loudly or not
public: true
inputs:
  - name: who
    description: Whom to greet
nodes:
  - name: ask_style
    type: input
    prompt: \"Loud or quiet?\"
    output_model:
      style: str
    options:
      - loud
      - quiet
  - name: shout
    type: tool
    tools_selection:
      - echo.echo
    args:
      text: \"HELLO {who}\"
    output_model:
      greeting: str
    user_validation_required: true
  - name: whisper
    type: output
    user_message:
      - \"hello {who}\"
flow:
  - from: START
    to: ask_style
  - from: ask_style
    edges:
      - to: shout
        condition: \"lambda x: x['style'] == 'loud'\"
      - to: whisper
        condition: \"lambda x: x['style'] == 'quiet'\"
  - from: shout
    to: END
  - from: whisper
    to: END
";

async fn start(data: &Path) -> TestServer {
    start_server("", &[ECHO], data, OPERATOR).await
}

async fn put(server: &TestServer, token: &str, name: &str, yaml: &str) -> (u16, Value) {
    let answer = send(
        server.addr,
        "PUT",
        &format!("/api/workflows/{name}"),
        Some(token),
        Some(yaml),
    )
    .await;
    let body = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    (answer.status, body)
}

async fn audit_actions(server: &TestServer) -> Vec<(String, String)> {
    let answer = send(server.addr, "GET", "/api/audit", Some(OPERATOR), None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|row| {
            row["action"]
                .as_str()
                .is_some_and(|a| a.starts_with("workflow."))
        })
        .map(|row| {
            (
                row["action"].as_str().unwrap_or_default().to_owned(),
                row["target"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_workflow_is_put_listed_read_replaced_and_deleted_with_audit_rows() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let (status, created) = put(&server, OPERATOR, "greet", GREET).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["name"], "greet");

    let list = send(server.addr, "GET", "/api/workflows", Some(OPERATOR), None).await;
    assert_eq!(list.status, 200, "{}", list.body);
    let list = list.json();
    let greet = &list[0];
    assert_eq!(greet["description"], "Greets someone, loudly or not");
    assert_eq!(greet["public"], true);
    assert_eq!(greet["inputs"][0]["name"], "who");
    let steps: Vec<(&str, &str)> = greet["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("ask_style", "input"),
            ("shout", "tool"),
            ("whisper", "output")
        ]
    );
    assert_eq!(greet["steps"][1]["userValidationRequired"], true);

    let read = send(
        server.addr,
        "GET",
        "/api/workflows/greet",
        Some(OPERATOR),
        None,
    )
    .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.header("content-type"), Some("application/yaml"));
    assert_eq!(read.body, GREET);

    let edited = GREET.replace("loudly or not", "in two ways");
    let (status, replaced) = put(&server, OPERATOR, "greet", &edited).await;
    assert_eq!(status, 200, "{replaced}");
    let read = send(
        server.addr,
        "GET",
        "/api/workflows/greet",
        Some(OPERATOR),
        None,
    )
    .await;
    assert_eq!(read.body, edited);

    let path = "/api/workflows/greet";
    let deleted = send(server.addr, "DELETE", path, Some(OPERATOR), None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(
        send(server.addr, "GET", path, Some(OPERATOR), None)
            .await
            .status,
        404
    );
    let again = send(server.addr, "DELETE", path, Some(OPERATOR), None).await;
    assert_eq!(again.status, 404);

    let greet = || "greet".to_owned();
    assert_eq!(
        audit_actions(&server).await,
        [
            ("workflow.put".to_owned(), greet()),
            ("workflow.put".to_owned(), greet()),
            ("workflow.delete".to_owned(), greet()),
        ]
    );
}

#[tokio::test]
async fn a_workflow_is_read_as_json_when_accept_asks_for_json_and_as_yaml_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    assert_eq!(put(&server, OPERATOR, "greet", GREET).await.0, 201);
    let read = |accept: &'static str| {
        let addr = server.addr;
        async move {
            send_with(
                addr,
                "GET",
                "/api/workflows/greet",
                Some(OPERATOR),
                None,
                &[("accept", accept)],
            )
            .await
        }
    };
    let json = read("application/json").await;
    assert_eq!(json.status, 200, "{}", json.body);
    assert_eq!(json.header("content-type"), Some("application/json"));
    let document = json.json();
    assert_eq!(document["name"], "greet");
    assert_eq!(document["public"], true);
    assert_eq!(document["nodes"][0]["output_model"]["style"], "str");
    for accept in [
        "application/yaml",
        "*/*",
        "application/json, application/yaml",
    ] {
        let yaml = read(accept).await;
        assert_eq!(
            yaml.header("content-type"),
            Some("application/yaml"),
            "{accept}"
        );
        assert_eq!(yaml.body, GREET, "{accept}");
    }
}

#[tokio::test]
async fn validation_errors_name_their_line_path_and_hint() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    // Line 19 names a tool no plugin offers.
    let broken = GREET.replace("      - echo.echo", "      - echo.shout");
    let answer = send(
        server.addr,
        "POST",
        "/api/workflows/validate",
        Some(OPERATOR),
        Some(&broken),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let report = answer.json();
    assert_eq!(report["valid"], false);
    let error = &report["errors"][0];
    assert_eq!(error["code"], "unknown_tool", "{report}");
    assert_eq!(error["line"], 19, "{report}");
    assert!(error["column"].as_u64().unwrap() > 0);
    assert!(error["path"].as_str().unwrap().contains("tools_selection"));
    assert!(!error["hint"].as_str().unwrap().is_empty());

    let fine = send(
        server.addr,
        "POST",
        "/api/workflows/validate",
        Some(OPERATOR),
        Some(GREET),
    )
    .await;
    assert_eq!(
        fine.json(),
        serde_json::json!({"valid": true, "errors": []})
    );

    // PUT refuses the same document with the same diagnostics, and stores nothing.
    let (status, body) = put(&server, OPERATOR, "greet", &broken).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_workflow");
    assert_eq!(body["error"]["details"][0]["line"], 19);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 19")
    );
    let list = send(server.addr, "GET", "/api/workflows", Some(OPERATOR), None).await;
    assert_eq!(list.json(), serde_json::json!([]));
}

#[tokio::test]
async fn bad_yaml_oversized_bodies_wrong_names_and_unknown_workflows_are_4xx() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let (status, body) = put(&server, OPERATOR, "greet", "name: [unclosed\n").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["details"][0]["code"], "yaml_syntax");
    // The parser notices the unclosed list where the document ends: line 2.
    assert_eq!(body["error"]["details"][0]["line"], 2);

    let (status, body) = put(&server, OPERATOR, "hello", GREET).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["details"][0]["path"], "name");
    assert_eq!(body["error"]["details"][0]["line"], 1);

    let (status, body) = put(&server, OPERATOR, "greet", "  \n").await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &"invalid_body".into())
    );

    let huge = format!("{GREET}# {}\n", "x".repeat(256 * 1024));
    let (status, body) = put(&server, OPERATOR, "greet", &huge).await;
    assert_eq!(status, 413, "{body}");
    let validate = send(
        server.addr,
        "POST",
        "/api/workflows/validate",
        Some(OPERATOR),
        Some(&huge),
    )
    .await;
    assert_eq!(validate.status, 413);

    let missing = send(
        server.addr,
        "GET",
        "/api/workflows/nope",
        Some(OPERATOR),
        None,
    )
    .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"]["code"], "not_found");
    let anonymous = send(server.addr, "GET", "/api/workflows", None, None).await;
    assert_eq!(anonymous.status, 401);
    assert!(audit_actions(&server).await.is_empty());
}

#[tokio::test]
async fn only_operators_change_workflows_but_users_read_them() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let user = server
        .core
        .add_user("dana", "pw-dana", Role::User, "test")
        .await
        .unwrap();
    let (status, body) = put(&server, &user, "greet", GREET).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    assert_eq!(put(&server, OPERATOR, "greet", GREET).await.0, 201);
    let path = "/api/workflows/greet";
    assert_eq!(
        send(server.addr, "DELETE", path, Some(&user), None)
            .await
            .status,
        403
    );
    let read = send(server.addr, "GET", path, Some(&user), None).await;
    assert_eq!(read.status, 200);
    let list = send(server.addr, "GET", "/api/workflows", Some(&user), None).await;
    assert_eq!(list.json()[0]["name"], "greet");
}

#[tokio::test]
async fn a_workflows_directory_is_imported_once_and_bad_files_are_skipped() {
    let (data, dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = start(data.path()).await;
    std::fs::write(dir.path().join("greet.yaml"), GREET).unwrap();
    std::fs::write(dir.path().join("broken.yml"), "name: broken\nnodes: 3\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a workflow").unwrap();
    let report = server.core.import_workflow_dir(dir.path()).await.unwrap();
    assert_eq!(report.imported, ["greet"]);
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    assert!(report.skipped[0].0.ends_with("broken.yml"));
    assert!(
        report.skipped[0].1.contains("line 2"),
        "{}",
        report.skipped[0].1
    );

    // An operator's edit wins over the file on the next start.
    let edited = GREET.replace("loudly or not", "edited");
    assert_eq!(put(&server, OPERATOR, "greet", &edited).await.0, 200);
    let report = server.core.import_workflow_dir(dir.path()).await.unwrap();
    assert_eq!(
        (report.imported.len(), report.kept.as_slice()),
        (0, &["greet".to_owned()][..])
    );
    let read = send(
        server.addr,
        "GET",
        "/api/workflows/greet",
        Some(OPERATOR),
        None,
    )
    .await;
    assert_eq!(read.body, edited);
    let actions = audit_actions(&server).await;
    assert_eq!(actions.len(), 2, "{actions:?}");
}

#[tokio::test]
async fn the_example_workflow_the_readme_validates_is_valid() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/my-flow.yaml"),
    )
    .expect("examples/my-flow.yaml is shipped");
    let answer = send(
        server.addr,
        "POST",
        "/api/workflows/validate",
        Some(OPERATOR),
        Some(&example),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["valid"], true, "{}", answer.body);
}
