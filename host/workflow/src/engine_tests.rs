//! The engine's own tests, driven through a fake [`WorkflowHost`]: conditions, loops and the cap,
//! templating at run time, update_state, input pauses, validation with and without feedback, LLM
//! and tool failures, cancel, and a paused run that survives a JSON round trip.

use std::collections::BTreeSet;
use std::sync::Mutex;

use async_trait::async_trait;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

mod validation;

use crate::{
    Event, Flow, Limits, LlmRequest, QuestionKind, Run, RunError, RunStatus, StepStatus,
    ToolRequest, WorkflowHost, drive, load_flow,
};

/// Echoes `{text}` back as `{"text": ...}`; `fail.tool` always fails; answers llm requests with
/// `llm_reply` when set, else says no LLM is configured (the trait's default).
#[derive(Default)]
struct FakeHost {
    calls: Mutex<Vec<ToolRequest>>,
    llm_reply: Option<Value>,
}

#[async_trait]
impl WorkflowHost for FakeHost {
    async fn call_tool(&self, request: &ToolRequest) -> Result<Value, String> {
        self.calls.lock().unwrap().push(request.clone());
        match request.function_name.as_str() {
            "fail.tool" => Err("the tool broke".into()),
            _ => Ok(json!({"text": request.arguments["text"]})),
        }
    }

    async fn llm(&self, request: &LlmRequest) -> Result<Value, String> {
        match &self.llm_reply {
            Some(reply) => Ok(reply.clone()),
            None => Err(format!("no LLM is configured (step `{}`)", request.step)),
        }
    }
}

fn flow(yaml: &str) -> Flow {
    let tools: BTreeSet<String> = ["echo.echo", "fail.tool"].map(String::from).into();
    load_flow(yaml, &tools, &Limits::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn inputs(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// Starts a run and drives its effects; returns the run and all events so far.
async fn start(yaml: &str, params: Value, host: &FakeHost) -> (Run, Vec<Event>) {
    let (mut run, mut events) = Run::start(flow(yaml), inputs(params), &Limits::default()).unwrap();
    drive(&mut run, host, |e| events.push(e)).await.unwrap();
    (run, events)
}

/// Answers the pending question and drives on; returns the new events.
async fn answer(run: &mut Run, value: Value, host: &FakeHost) -> Vec<Event> {
    let uuid = run.question().expect("a question").question_uuid.clone();
    let mut events = run.answer(&uuid, value).unwrap();
    drive(run, host, |e| events.push(e)).await.unwrap();
    events
}

fn messages(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message { body, .. } => Some(body.clone()),
            _ => None,
        })
        .collect()
}

const BRANCH: &str = r#"
name: branch
nodes:
  - {name: ask, type: input, prompt: "Which way?", options: [left, right, up], output_model: {way: str}}
  - {name: went_left, type: output, user_message: ["left"]}
  - {name: went_right, type: output, user_message: ["right"]}
flow:
  - {from: START, to: ask}
  - from: ask
    edges:
      - {to: went_left, condition: "lambda x: x['way'] == 'left'"}
      - {to: went_right, condition: "lambda x: x['way'] in ('left', 'right')"}
  - {from: went_left, to: END}
  - {from: went_right, to: END}
"#;

#[tokio::test]
async fn conditions_pick_the_first_edge_that_holds() {
    let host = FakeHost::default();
    for (way, shown) in [("left", "left"), ("right", "right")] {
        let (mut run, _) = start(BRANCH, json!({}), &host).await;
        assert_eq!(run.status(), RunStatus::WaitingInput);
        let question = run.question().unwrap();
        assert_eq!(question.kind, QuestionKind::Choice);
        assert_eq!(question.choices, ["left", "right", "up"]);
        let events = answer(&mut run, json!(way), &host).await;
        assert_eq!(
            messages(&events),
            [shown],
            "both conditions hold for left: first wins"
        );
        assert_eq!(run.status(), RunStatus::Completed);
    }
}

#[tokio::test]
async fn no_edge_holding_fails_naming_the_node() {
    let host = FakeHost::default();
    let (mut run, _) = start(BRANCH, json!({}), &host).await;
    let events = answer(&mut run, json!("up"), &host).await;
    assert_eq!(run.status(), RunStatus::Failed);
    assert_eq!(run.failure().unwrap().step.as_deref(), Some("ask"));
    assert!(matches!(events.last(), Some(Event::Error { short, .. }) if short.contains("`ask`")));
}

#[tokio::test]
async fn a_condition_error_fails_the_run_naming_the_edge() {
    let host = FakeHost::default();
    let broken = BRANCH.replace("x['way'] == 'left'", "x['wey'] == 'left'");
    let (mut run, _) = start(&broken, json!({}), &host).await;
    answer(&mut run, json!("left"), &host).await;
    let failure = run.failure().unwrap();
    assert_eq!(run.status(), RunStatus::Failed);
    assert_eq!(failure.edge.as_deref(), Some("ask -> went_left"));
    assert!(
        failure.short.contains("edge `ask -> went_left`"),
        "{failure:?}"
    );
    assert!(failure.long.contains("wey"), "{failure:?}");
}

#[tokio::test]
async fn a_non_bool_condition_fails_the_run() {
    let host = FakeHost::default();
    let non_bool = BRANCH.replace("x['way'] == 'left'", "x['way']");
    let (mut run, _) = start(&non_bool, json!({}), &host).await;
    answer(&mut run, json!("left"), &host).await;
    assert_eq!(run.status(), RunStatus::Failed);
    assert!(run.failure().unwrap().long.contains("not a bool"));
}

const COUNTER: &str = r#"
name: counter
max_iterations: 10
inputs: [{name: limit, type: int}]
nodes:
  - {name: count, type: update_state, action: increment, output_model: {n: int}}
  - {name: remember, type: update_state, source_variable: n, action: append, output_model: {seen: list}}
  - {name: done, type: output, user_message: ["counted to {n}: {seen}"]}
flow:
  - {from: START, to: count}
  - {from: count, to: remember}
  - from: remember
    edges:
      - {to: count, condition: "lambda x: x['n'] < x['limit']"}
      - {to: done}
  - {from: done, to: END}
"#;

#[tokio::test]
async fn loops_run_until_their_condition_fails() {
    let host = FakeHost::default();
    let (run, events) = start(COUNTER, json!({"limit": "3"}), &host).await;
    assert_eq!(run.status(), RunStatus::Completed);
    assert_eq!(messages(&events), ["counted to 3: [1,2,3]"]);
    assert_eq!(run.visits()["count"], 3);
    assert_eq!(run.result().unwrap()["seen"], json!([1, 2, 3]));
}

#[tokio::test]
async fn the_iteration_cap_ends_the_run_with_a_clear_error() {
    let host = FakeHost::default();
    let (run, events) = start(COUNTER, json!({"limit": 50}), &host).await;
    assert_eq!(run.status(), RunStatus::Failed);
    let failure = run.failure().unwrap();
    assert_eq!(failure.step.as_deref(), Some("count"));
    assert!(failure.short.contains("iteration cap"), "{failure:?}");
    assert!(failure.long.contains("at most 10 times"), "{failure:?}");
    assert!(matches!(events.last(), Some(Event::Error { .. })));
}

proptest! {
    #[test]
    fn loops_complete_exactly_when_within_the_cap(limit in 1i64..30, cap in 1u32..30) {
        let yaml = COUNTER.replace("max_iterations: 10", &format!("max_iterations: {cap}"));
        let (run, _) = Run::start(flow(&yaml), inputs(json!({"limit": limit})), &Limits::default()).unwrap();
        let completes = limit <= i64::from(cap);
        prop_assert_eq!(run.status() == RunStatus::Completed, completes);
        if completes {
            prop_assert_eq!(&run.state()["n"], &json!(limit));
        }
    }
}

const TOOL_FLOW: &str = r#"
name: tool_flow
inputs: [{name: text, type: str}]
nodes:
  - name: call
    type: tool
    tools_selection: [echo.echo]
    args: {text: "{text}!"}
    output_model: {echoed: dict}
    user_message: ["echo said {echoed.text}"]
flow:
  - {from: START, to: call}
  - {from: call, to: END}
"#;

#[tokio::test]
async fn tool_calls_emit_call_and_result_and_template_nested_keys() {
    let host = FakeHost::default();
    let (run, events) = start(TOOL_FLOW, json!({"text": "hi"}), &host).await;
    assert_eq!(run.status(), RunStatus::Completed);
    let call_id = host.calls.lock().unwrap()[0].call_id.clone();
    let call = events.iter().position(|e| matches!(e, Event::ToolCall { call_id: c, arguments, .. } if *c == call_id && arguments["text"] == "hi!"));
    let result = events
        .iter()
        .position(|e| matches!(e, Event::ToolResult { call_id: c, ok: true, .. } if *c == call_id));
    assert!(call.unwrap() < result.unwrap());
    assert_eq!(messages(&events), ["echo said hi!"]);
    assert!(
        matches!(events.last(), Some(Event::Completed { result }) if result["echoed"]["text"] == "hi!")
    );
}

#[tokio::test]
async fn a_failing_tool_fails_the_run_naming_tool_and_step() {
    let host = FakeHost::default();
    let (run, events) = start(
        &TOOL_FLOW.replace("echo.echo", "fail.tool"),
        json!({"text": "x"}),
        &host,
    )
    .await;
    assert_eq!(run.status(), RunStatus::Failed);
    assert!(events.iter().any(|e| matches!(e, Event::ToolResult { ok: false, retval, .. } if retval["error"] == "the tool broke")));
    let failure = run.failure().unwrap();
    assert_eq!(failure.short, "tool `fail.tool` failed in step `call`");
    assert_eq!(run.history()[0].status, StepStatus::Failed);
}

#[tokio::test]
async fn a_variable_missing_at_run_time_fails_naming_it() {
    let yaml = r#"
name: maybe
nodes:
  - {name: ask, type: input, options: ["set", "skip"], output_model: {choice: str}}
  - {name: set, type: update_state, value: "v", output_model: {thing: str}}
  - {name: show, type: output, user_message: ["thing is {thing}"]}
flow:
  - {from: START, to: ask}
  - from: ask
    edges:
      - {to: set, condition: "lambda x: x['choice'] == 'set'"}
      - {to: show}
  - {from: set, to: show}
  - {from: show, to: END}
"#;
    let host = FakeHost::default();
    let (mut run, _) = start(yaml, json!({}), &host).await;
    answer(&mut run, json!("skip"), &host).await;
    assert_eq!(run.status(), RunStatus::Failed);
    assert!(
        run.failure()
            .unwrap()
            .long
            .contains("undefined variable `thing`")
    );
}

const LLM_FLOW: &str = r#"
name: llm_flow
nodes:
  - {name: think, type: llm, system: "Be brief", prompt: "6 x 7?", output_model: {answer: str}, user_message: [answer]}
flow:
  - {from: START, to: think}
  - {from: think, to: END}
"#;

#[tokio::test]
async fn an_llm_node_without_an_llm_fails_naming_the_step() {
    struct ToolsOnly;
    #[async_trait]
    impl WorkflowHost for ToolsOnly {
        async fn call_tool(&self, _: &ToolRequest) -> Result<Value, String> {
            Ok(Value::Null)
        }
    }
    let (mut run, mut events) = Run::start(flow(LLM_FLOW), Map::new(), &Limits::default()).unwrap();
    drive(&mut run, &ToolsOnly, |e| events.push(e))
        .await
        .unwrap();
    assert_eq!(run.status(), RunStatus::Failed);
    let failure = run.failure().unwrap();
    assert_eq!(failure.short, "llm step `think` failed");
    assert!(failure.long.contains("no LLM is configured") && failure.long.contains("`think`"));
}

#[tokio::test]
async fn an_llm_answer_fills_the_output_model() {
    let host = FakeHost {
        llm_reply: Some(json!({"answer": "42"})),
        ..FakeHost::default()
    };
    let (run, events) = start(LLM_FLOW, json!({}), &host).await;
    assert_eq!(run.state()["answer"], "42");
    assert_eq!(messages(&events), ["42"]);
    assert_eq!(
        run.history()[0].input,
        Some(json!({"system": "Be brief", "prompt": "6 x 7?"}))
    );
}

#[tokio::test]
async fn input_questions_pause_until_answered() {
    let host = FakeHost::default();
    let yaml = "name: ask\nnodes:\n  - {name: ask, type: input, prompt: 'How many?', output_model: {n: int}}\n\
                flow:\n  - {from: START, to: ask}\n  - {from: ask, to: END}\n";
    let (mut run, events) = start(yaml, json!({}), &host).await;
    assert_eq!(run.status(), RunStatus::WaitingInput);
    let question = run.question().unwrap().clone();
    assert_eq!(
        (question.kind, question.prompt.as_str()),
        (QuestionKind::Input, "How many?")
    );
    assert!(matches!(events.last(), Some(Event::Question(q)) if *q == question));
    assert_eq!(
        run.answer("not-the-uuid", json!("3")).unwrap_err(),
        RunError::NoSuchQuestion {
            question_uuid: "not-the-uuid".into()
        }
    );
    let err = run
        .answer(&question.question_uuid, json!("three"))
        .unwrap_err();
    assert!(matches!(err, RunError::InvalidAnswer { .. }), "{err}");
    assert_eq!(run.status(), RunStatus::WaitingInput);
    answer(&mut run, json!("3"), &host).await;
    assert_eq!(run.status(), RunStatus::Completed);
    assert_eq!(run.state()["n"], 3);
}

#[tokio::test]
async fn cancel_stops_a_waiting_run() {
    let host = FakeHost::default();
    let (mut run, _) = start(BRANCH, json!({}), &host).await;
    assert_eq!(run.cancel().unwrap(), vec![Event::Cancelled]);
    assert_eq!(run.status(), RunStatus::Cancelled);
    assert_eq!(run.history()[0].status, StepStatus::Cancelled);
    assert!(run.question().is_none());
}

#[test]
fn start_checks_the_inputs() {
    let start =
        |params: Value| Run::start(flow(COUNTER), inputs(params), &Limits::default()).map(|_| ());
    assert_eq!(
        start(json!({})).unwrap_err().to_string(),
        "missing input `limit`"
    );
    assert!(
        start(json!({"limit": 1, "x": 2}))
            .unwrap_err()
            .to_string()
            .contains("unknown input `x`")
    );
    assert!(
        start(json!({"limit": "many"}))
            .unwrap_err()
            .to_string()
            .contains("expected an integer")
    );
}
