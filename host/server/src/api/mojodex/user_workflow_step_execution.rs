//! `POST /user_workflow_step_execution {datetime, user_workflow_step_execution_pk, validated, platform}`:
//! validates or rejects a step that waits for a person (a node with `user_validation_required`).
//!
//! - `validated: true` accepts the step: the run goes on (its next input nodes answered from the inputs
//!   given at start) until it waits for a person again or ends. Accepting a step that needed no validation
//!   and has completed, or accepting twice, is harmless: 200, nothing changes.
//! - `validated: false` rejects it. Mojodex then asks the user, in its chat, what to change; Drydock has no
//!   such chat, so a rejection without feedback ends the run as `rejected` (the engine's rule). Drydock
//!   reads an optional `feedback` string beside Mojodex's fields: with it, the step runs again with the
//!   feedback in the state (`feedback`, `<step>_feedback`). Either way the room gets
//!   `workflow_step_execution_invalidated`.
//!
//! A step execution that is not waiting (an earlier start of a re-run step, a step still running, a run that
//! ended) is a 409. The answer comes once the run has gone as far as it can: `{message, status}`.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use drydock_core::CoreError;
use drydock_workflow::{RunStatus, StepStatus};
use serde_json::{Value, json};

use super::drive::{answer_inputs, answers_of};
use super::{MojodexCaller, MojodexError, field, pk_field};
use crate::api::AppState;

/// The longest feedback accepted, in bytes.
const MAX_FEEDBACK: usize = 16 << 10;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/user_workflow_step_execution", post(validate))
}

async fn validate(
    State(state): State<AppState>,
    caller: MojodexCaller,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, MojodexError> {
    let Json(body) = body?;
    let body = body
        .as_object()
        .ok_or_else(|| MojodexError::bad_request("the body must be a JSON object"))?;
    field(body, "datetime")?;
    let pk = pk_field(body, "user_workflow_step_execution_pk")?;
    let validated = field(body, "validated")?
        .as_bool()
        .ok_or_else(|| MojodexError::bad_request("`validated` must be true or false"))?;
    let feedback = match body.get("feedback") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.len() <= MAX_FEEDBACK => {
            Some(text.trim().to_owned()).filter(|t| !t.is_empty())
        }
        Some(Value::String(_)) => {
            return Err(MojodexError::bad_request(format!(
                "`feedback` is longer than {MAX_FEEDBACK} bytes"
            )));
        }
        Some(_) => return Err(MojodexError::bad_request("`feedback` must be a string")),
    };
    let core = &state.core;
    let actor = &caller.actor;
    let (execution, step, iteration) = core.mojodex_step_execution(actor, pk).await?;
    let view = core.run_view(actor, &execution.run_id).await?;
    let history = view.run.history();
    let Some(record) = history
        .iter()
        .find(|r| r.step == step && r.iteration == iteration)
    else {
        return Err(MojodexError::not_found(format!(
            "no workflow step execution {pk} for this user"
        )));
    };
    let latest = history.iter().rev().find(|r| r.step == step);
    let waiting = view.run.status() == RunStatus::WaitingValidation
        && view.run.question().is_some_and(|q| q.step == step)
        && latest.is_some_and(|r| r.iteration == iteration);
    if !waiting {
        if validated && record.status == StepStatus::Completed {
            return Ok(Json(
                json!({ "message": "Step validated", "status": view.run.status() }),
            ));
        }
        return Err(MojodexError::conflict(
            "step_not_waiting",
            format!(
                "step execution {pk} (step `{step}`) is not waiting for validation: the step is {} and \
                 the run {}",
                serde_json::to_value(record.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                view.run.status()
            ),
        ));
    }
    let (task_core, task_actor, run_id) = (core.clone(), actor.clone(), execution.run_id.clone());
    let answers = answers_of(execution.inputs.as_ref());
    let outcome = tokio::spawn(async move {
        let view = task_core
            .validate_run_step(&task_actor, &run_id, &step, validated, feedback)
            .await?;
        let problem = answer_inputs(&task_core, &task_actor, &run_id, &answers).await?;
        Ok::<_, CoreError>((view.run.status(), problem))
    })
    .await
    .map_err(|err| CoreError::Internal(format!("a Mojodex validation failed: {err}")))??;
    let (mut status, problem) = outcome;
    if let Some(message) = problem {
        state.mojodex.error(&execution.session_id, &message).await;
    }
    if let Ok(view) = core.run_view(actor, &execution.run_id).await {
        status = view.run.status();
    }
    let message = if validated {
        "Step validated"
    } else {
        "Step rejected"
    };
    Ok(Json(json!({ "message": message, "status": status })))
}
