//! `/user_workflow_execution`: create an execution, start it with its inputs, read it.
//!
//! - `POST {datetime, user_workflow_pk, platform}` creates one (nothing runs yet) → the execution
//!   (below), with a fresh `session_id` (its Socket.IO room) and every input `null`.
//! - `PUT ?user_workflow_execution_pk=N` with the inputs list `[{input_name, value}]` (the seed's CLI)
//!   starts it. Mojodex's own bodies are read too: `PUT {datetime, user_workflow_pk, platform}` creates (its
//!   backend creates with PUT), and `{user_workflow_execution_pk, datetime, platform, json_inputs}` starts,
//!   with `PUT` or `POST` (its backend starts with POST). The answer comes once the run waits for a person
//!   or has ended (Mojodex answers at once and runs in the background; here the events stream over
//!   Socket.IO meanwhile, and errors in the inputs are a 400 instead of a lost background failure).
//! - `GET ?user_workflow_execution_pk=N&datetime=…` → the execution.
//!
//! The execution: Mojodex's `{workflow_name, user_workflow_execution_pk, user_workflow_fk, steps,
//! validated_steps_executions, session_id, inputs}`, and what the seed's CLI reads after each ended step:
//! `status` (`created`, then the run's status), `current_step_execution` (the latest step execution with
//! its results), `question` (what the run waits for), `result` (the final state) and `failure`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use drydock_core::mojodex::ExecutionRow;
use drydock_core::{Actor, Core, CoreError};
use serde_json::{Map, Value, json};

use super::budgets_for_executions as spend;
use super::drive::{Inputs, answer_inputs, answers_of, listed, parse_inputs};
use super::events::{numbered_steps, step_execution_json};
use super::user_workflow::steps_json;
use super::{MojodexCaller, MojodexError, field, pk_field, pk_param, require_datetime_param};
use crate::api::AppState;

type JsonBody = Result<Json<Value>, axum::extract::rejection::JsonRejection>;
type QueryMap = Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/user_workflow_execution",
        get(show).post(post_body).put(put_body),
    )
}

async fn show(
    State(state): State<AppState>,
    caller: MojodexCaller,
    query: QueryMap,
) -> Result<Json<Value>, MojodexError> {
    let Query(query) = query?;
    require_datetime_param(&query)?;
    let pk = pk_param(&query, "user_workflow_execution_pk")?;
    let execution = state.core.mojodex_execution(&caller.actor, pk).await?;
    Ok(Json(
        execution_json(&state.core, &caller.actor, &execution).await?,
    ))
}

/// `POST`: the seed's create, or Mojodex's own start (`json_inputs`).
async fn post_body(
    State(state): State<AppState>,
    caller: MojodexCaller,
    body: JsonBody,
) -> Result<Json<Value>, MojodexError> {
    let Json(body) = body?;
    let body = object(&body)?;
    if body.contains_key("json_inputs") {
        return start_from_object(&state, &caller, body).await;
    }
    create(&state, &caller, body).await
}

/// `PUT`: the seed's start (a bare list, the pk in the query), or Mojodex's own bodies.
async fn put_body(
    State(state): State<AppState>,
    caller: MojodexCaller,
    query: QueryMap,
    body: JsonBody,
) -> Result<Json<Value>, MojodexError> {
    let Query(query) = query?;
    let Json(body) = body?;
    match &body {
        Value::Array(_) => {
            let pk = pk_param(&query, "user_workflow_execution_pk")?;
            start(&state, &caller, pk, &body).await
        }
        Value::Object(fields) if fields.contains_key("json_inputs") => {
            start_from_object(&state, &caller, fields).await
        }
        Value::Object(fields) if fields.contains_key("user_workflow_pk") => {
            create(&state, &caller, fields).await
        }
        Value::Object(_) => Err(MojodexError::bad_request(
            "send the inputs list [{input_name, value}] with ?user_workflow_execution_pk=N, or \
             {user_workflow_execution_pk, datetime, json_inputs}",
        )),
        _ => Err(MojodexError::bad_request(
            "the body must be the inputs list [{input_name, value}] or a JSON object",
        )),
    }
}

fn object(body: &Value) -> Result<&Map<String, Value>, MojodexError> {
    body.as_object()
        .ok_or_else(|| MojodexError::bad_request("the body must be a JSON object"))
}

async fn create(
    state: &AppState,
    caller: &MojodexCaller,
    body: &Map<String, Value>,
) -> Result<Json<Value>, MojodexError> {
    field(body, "datetime")?;
    let user_workflow_pk = pk_field(body, "user_workflow_pk")?;
    spend(state, caller)?;
    let (execution, _) = state
        .core
        .mojodex_create_execution(&caller.actor, user_workflow_pk)
        .await?;
    Ok(Json(
        execution_json(&state.core, &caller.actor, &execution).await?,
    ))
}

async fn start_from_object(
    state: &AppState,
    caller: &MojodexCaller,
    body: &Map<String, Value>,
) -> Result<Json<Value>, MojodexError> {
    field(body, "datetime")?;
    let pk = pk_field(body, "user_workflow_execution_pk")?;
    start(state, caller, pk, field(body, "json_inputs")?).await
}

/// Starts execution `pk` with `inputs` and drives it until it waits for a person or ends.
async fn start(
    state: &AppState,
    caller: &MojodexCaller,
    pk: i64,
    inputs: &Value,
) -> Result<Json<Value>, MojodexError> {
    let core = &state.core;
    let actor = &caller.actor;
    let execution = core.mojodex_execution(actor, pk).await?;
    if execution.inputs.is_some() {
        return Err(started_already(pk));
    }
    let workflow = core
        .mojodex_workflow(actor, execution.user_workflow_pk)
        .await?;
    let Inputs {
        params,
        answers,
        listed,
    } = parse_inputs(inputs, &workflow)?;
    spend(state, caller)?;
    state
        .mojodex
        .follow(core.clone(), actor.clone(), execution.clone(), true);
    let (task_core, task_actor, run_id, name) = (
        core.clone(),
        actor.clone(),
        execution.run_id.clone(),
        execution.workflow.clone(),
    );
    let started = tokio::spawn(async move {
        task_core
            .start_run(
                &task_actor,
                &name,
                Value::Object(params),
                Some(run_id.clone()),
            )
            .await?;
        answer_inputs(&task_core, &task_actor, &run_id, &answers).await
    })
    .await
    .map_err(|err| CoreError::Internal(format!("a Mojodex start failed: {err}")))?;
    let problem = match started {
        Ok(problem) => problem,
        Err(err) => {
            if core.run_view(actor, &execution.run_id).await.is_err() {
                state.mojodex.stop(&execution.run_id);
            }
            return Err(match err {
                CoreError::Conflict { .. } => started_already(pk),
                other => MojodexError::from(other),
            });
        }
    };
    let execution = core.mojodex_mark_started(actor, pk, listed).await?;
    if let Some(message) = problem {
        state.mojodex.error(&execution.session_id, &message).await;
    }
    Ok(Json(execution_json(core, actor, &execution).await?))
}

fn started_already(pk: i64) -> MojodexError {
    MojodexError::conflict(
        "execution_started",
        format!(
            "execution {pk} has started already; create another with POST /user_workflow_execution"
        ),
    )
}

/// The execution as Mojodex's `to_json` has it, with Drydock's status, current step and question.
pub async fn execution_json(
    core: &Core,
    actor: &Actor,
    execution: &ExecutionRow,
) -> Result<Value, CoreError> {
    // The run, once it exists (it does before the inputs are recorded).
    let view = match core.run_view(actor, &execution.run_id).await {
        Ok(view) => Some(view),
        Err(CoreError::NotFound(_)) => None,
        Err(err) => return Err(err),
    };
    let workflow = match &view {
        Some(view) => {
            core.mojodex_describe(actor, view.run.flow().clone())
                .await?
        }
        None => {
            core.mojodex_workflow(actor, execution.user_workflow_pk)
                .await?
        }
    };
    let session = execution.session_id.as_str();
    let (validated, current, status, question, result, failure) = match &view {
        None => (
            Vec::new(),
            Value::Null,
            json!("created"),
            Value::Null,
            Value::Null,
            Value::Null,
        ),
        Some(view) => {
            let steps = numbered_steps(core, view).await?;
            let validated: Vec<Value> = steps
                .iter()
                .filter(|(_, r)| r.status == drydock_workflow::StepStatus::Completed)
                .map(|(pk, r)| step_execution_json(*pk, &workflow, r, session))
                .collect();
            let current = steps
                .last()
                .map(|(pk, r)| step_execution_json(*pk, &workflow, r, session))
                .unwrap_or(Value::Null);
            (
                validated,
                current,
                json!(view.run.status()),
                json!(view.run.question()),
                json!(view.run.result()),
                json!(view.run.failure()),
            )
        }
    };
    let inputs = match &execution.inputs {
        Some(stored) => listed(&workflow.inputs, &answers_of(Some(stored))),
        None => listed(&workflow.inputs, &Map::new()),
    };
    Ok(json!({
        "workflow_name": workflow.flow.name(),
        "user_workflow_execution_pk": execution.pk,
        "user_workflow_fk": execution.user_workflow_pk,
        "steps": steps_json(&workflow),
        "validated_steps_executions": validated,
        "session_id": session,
        "inputs": inputs,
        "status": status,
        "current_step_execution": current,
        "question": question,
        "result": result,
        "failure": failure,
    }))
}
