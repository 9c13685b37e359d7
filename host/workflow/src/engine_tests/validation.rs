//! Step validation (Mojodex's `user_validation_required`): the run pauses with the step's output,
//! a rejection with feedback re-runs the step with it, a rejection without feedback ends the run,
//! text answers do all three, and a paused run survives a JSON round trip.

use serde_json::json;

use super::{FakeHost, TOOL_FLOW, answer, flow, inputs, messages, start};
use crate::{Event, Limits, QuestionKind, Run, RunError, RunStatus, StepStatus, drive};

const VALIDATED: &str = r#"
name: validated
inputs: [{name: topic, type: str}]
nodes:
  - name: draft
    type: tool
    tools_selection: [echo.echo]
    args: {text: "draft on {topic} {draft_feedback}"}
    output_model: {draft: dict}
    user_validation_required: true
  - {name: publish, type: output, user_message: ["published: {draft.text}"]}
flow:
  - {from: START, to: draft}
  - {from: draft, to: publish}
  - {from: publish, to: END}
"#;

#[tokio::test]
async fn rejection_with_feedback_reruns_the_step_with_it() {
    let host = FakeHost::default();
    let (mut run, events) = start(VALIDATED, json!({"topic": "ships"}), &host).await;
    assert_eq!(run.status(), RunStatus::WaitingValidation);
    let question = run.question().unwrap();
    assert_eq!(question.kind, QuestionKind::Validation);
    assert_eq!(question.output.as_ref().unwrap()["text"], "draft on ships ");
    assert!(matches!(&events[events.len() - 2], Event::StepEnded { step, .. } if step == "draft"));
    assert!(!run.state().contains_key("draft"), "held until validated");

    let mut events = run.validate("draft", false, Some("shorter")).unwrap();
    drive(&mut run, &host, |e| events.push(e)).await.unwrap();
    assert_eq!(run.state()["feedback"], "shorter");
    assert_eq!(run.state()["draft_feedback"], "shorter");
    assert_eq!(
        host.calls.lock().unwrap()[1].arguments["text"],
        "draft on ships shorter"
    );
    assert_eq!(run.status(), RunStatus::WaitingValidation);
    let history = run.history();
    assert_eq!(
        (history[0].status, history[0].feedback.as_deref()),
        (StepStatus::Rejected, Some("shorter"))
    );
    assert_eq!(
        (history[1].iteration, history[1].feedback.as_deref()),
        (2, Some("shorter"))
    );

    let mut events = run.validate("draft", true, None).unwrap();
    drive(&mut run, &host, |e| events.push(e)).await.unwrap();
    assert_eq!(messages(&events), ["published: draft on ships shorter"]);
    assert_eq!(run.status(), RunStatus::Completed);
}

#[tokio::test]
async fn rejection_without_feedback_ends_the_run_rejected() {
    let host = FakeHost::default();
    let (mut run, _) = start(VALIDATED, json!({"topic": "ships"}), &host).await;
    assert_eq!(
        run.validate("publish", false, None).unwrap_err(),
        RunError::NotAwaitingValidation {
            step: "publish".into()
        }
    );
    let events = run.validate("draft", false, Some("  ")).unwrap();
    assert_eq!(run.status(), RunStatus::Rejected);
    assert!(matches!(events.last(), Some(Event::Rejected { step }) if step == "draft"));
    assert!(matches!(
        run.cancel(),
        Err(RunError::Finished {
            status: RunStatus::Rejected
        })
    ));
}

#[tokio::test]
async fn validation_questions_take_text_answers() {
    let host = FakeHost::default();
    let (mut run, _) = start(VALIDATED, json!({"topic": "ships"}), &host).await;
    answer(&mut run, json!("make it longer"), &host).await;
    assert_eq!(run.state()["feedback"], "make it longer");
    answer(&mut run, json!("Yes"), &host).await;
    assert_eq!(run.status(), RunStatus::Completed);
    let (mut run, _) = start(VALIDATED, json!({"topic": "ships"}), &host).await;
    answer(&mut run, json!("no"), &host).await;
    assert_eq!(run.status(), RunStatus::Rejected);
}

#[tokio::test]
async fn a_paused_run_survives_a_json_round_trip() {
    let host = FakeHost::default();
    let (run, _) = start(VALIDATED, json!({"topic": "ships"}), &host).await;
    let stored = serde_json::to_string(&run).unwrap();
    let mut restored: Run = serde_json::from_str(&stored).unwrap();
    assert_eq!(restored, run);
    let mut events = restored.validate("draft", true, None).unwrap();
    drive(&mut restored, &host, |e| events.push(e))
        .await
        .unwrap();
    assert_eq!(restored.status(), RunStatus::Completed);

    let (mut mid_call, _) = Run::start(
        flow(TOOL_FLOW),
        inputs(json!({"text": "a"})),
        &Limits::default(),
    )
    .unwrap();
    let mut restored: Run =
        serde_json::from_str(&serde_json::to_string(&mid_call).unwrap()).unwrap();
    let call_id = restored.pending_effect().unwrap().call_id().to_owned();
    assert_eq!(
        mid_call
            .complete_effect("other", Ok(json!({})))
            .unwrap_err(),
        RunError::NoSuchCall {
            call_id: "other".into()
        }
    );
    restored
        .complete_effect(&call_id, Ok(json!({"text": "a"})))
        .unwrap();
    assert_eq!(restored.status(), RunStatus::Completed);
}
