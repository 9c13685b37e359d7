//! The demo workflows in `workflows/` at the repository root: every file parses and validates
//! against the demo plugins' tool names, none needs an LLM, and `echo_loop` runs end to end (input,
//! tool call, rejection with feedback, validation, counter, branch, loop) through a fake host.

use std::collections::BTreeSet;
use std::path::PathBuf;

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use crate::{Event, Limits, NodeKind, Run, RunStatus, ToolRequest, WorkflowHost, drive, load_flow};

/// The tools of the demo plugins (`plugins/echo`, `plugins/workspace`).
fn demo_tools() -> BTreeSet<String> {
    [
        "echo.echo",
        "workspace.read_file",
        "workspace.write_file",
        "workspace.list_files",
        "workspace.search",
    ]
    .map(String::from)
    .into()
}

fn workflow_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    files
}

fn load(name: &str) -> crate::Flow {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../workflows/{name}.yaml"));
    let text = std::fs::read_to_string(path).unwrap();
    load_flow(&text, &demo_tools(), &Limits::default()).unwrap()
}

#[test]
fn every_demo_workflow_validates_against_the_demo_tools_and_needs_no_llm() {
    let files = workflow_files();
    assert!(
        files.len() >= 2,
        "expected the demo workflows, found {files:?}"
    );
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let flow = load_flow(&text, &demo_tools(), &Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            path.file_stem().unwrap().to_str(),
            Some(flow.name()),
            "file name = workflow name"
        );
        assert!(
            flow.is_public(),
            "{}: the demo workflows are public",
            flow.name()
        );
        assert!(
            flow.nodes()
                .iter()
                .all(|n| !matches!(n.kind, NodeKind::Llm(_))),
            "{}: the demo runs with no LLM",
            flow.name()
        );
    }
}

/// Echoes like the echo plugin; has no LLM.
struct EchoHost;

#[async_trait]
impl WorkflowHost for EchoHost {
    async fn call_tool(&self, request: &ToolRequest) -> Result<Value, String> {
        assert_eq!(request.function_name, "echo.echo");
        Ok(json!({"text": request.arguments["text"]}))
    }
}

async fn reply(run: &mut Run, answer: &str, events: &mut Vec<Event>) {
    let uuid = run.question().unwrap().question_uuid.clone();
    events.extend(run.answer(&uuid, json!(answer)).unwrap());
    drive(run, &EchoHost, |e| events.push(e)).await.unwrap();
}

#[tokio::test]
async fn echo_loop_runs_without_an_llm() {
    let (mut run, mut events) =
        Run::start(load("echo_loop"), Map::new(), &Limits::default()).unwrap();
    for answer in ["hi", "!", "yes", "yes", "again", "yes", "no"] {
        reply(&mut run, answer, &mut events).await;
    }
    assert_eq!(run.status(), RunStatus::Completed);
    let result = run.result().unwrap();
    assert_eq!(result["transcript"], json!(["Echo: hi!", "Echo: again"]));
    assert_eq!(result["echo_count"], 2);
    let rejected = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::StepValidated {
                    validated: false,
                    ..
                }
            )
        })
        .count();
    assert_eq!(rejected, 1);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Message { body, .. }
        if body == "Echoed 2 time(s):\n[\"Echo: hi!\",\"Echo: again\"]"))
    );
}
