//! Workflow runs (issue 5, native routes): start a run, read it, follow its events (SSE, replayable from
//! `Last-Event-ID`), answer its questions, validate or reject its steps, cancel it. Each POST answers once
//! the run has gone as far as it can without a person: waiting for an input, a validation, or finished.

use std::convert::Infallible;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::response::sse::{Event, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::Stream;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Caller;
use super::budgets::{self, ExpensiveRoute, Spender};
use super::replay;
use super::{ApiError, AppState};

type JsonBody<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/workflows/{name}/runs", post(start))
        .route("/api/runs/{id}", get(show))
        .route("/api/runs/{id}/events", get(events))
        .route("/api/runs/{id}/answers", post(answer))
        .route("/api/runs/{id}/steps/{step}/validation", post(validation))
        .route("/api/runs/{id}/cancel", post(cancel))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartRun {
    /// The workflow's inputs by name.
    #[serde(default)]
    inputs: Option<Value>,
}

async fn start(
    State(state): State<AppState>,
    Caller(actor): Caller,
    spender: Spender,
    Path(name): Path<String>,
    body: JsonBody<StartRun>,
) -> Result<impl IntoResponse, ApiError> {
    budgets::spend(&state, &spender, ExpensiveRoute::WorkflowRun)?;
    let Json(body) = body?;
    let view = state
        .core
        .start_run(&actor, &name, body.inputs.unwrap_or(json!({})), None)
        .await?;
    Ok((StatusCode::CREATED, Json(view.to_json())))
}

async fn show(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.core.run_view(&actor, &id).await?.to_json()))
}

/// `{questionUuid, value}`; `question_uuid`, the name of earlier versions, is still accepted.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Answer {
    #[serde(alias = "question_uuid")]
    question_uuid: String,
    value: Value,
}

async fn answer(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    body: JsonBody<Answer>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    let view = state
        .core
        .answer_run(&actor, &id, &body.question_uuid, body.value)
        .await?;
    Ok(Json(view.to_json()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Validation {
    validated: bool,
    #[serde(default)]
    feedback: Option<String>,
}

async fn validation(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((id, step)): Path<(String, String)>,
    body: JsonBody<Validation>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    let view = state
        .core
        .validate_run_step(&actor, &id, &step, body.validated, body.feedback)
        .await?;
    Ok(Json(view.to_json()))
}

async fn cancel(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.core.cancel_run(&actor, &id).await?.to_json()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    after: Option<i64>,
}

async fn events(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Query(query) = query.map_err(|err| ApiError::invalid(err.body_text()))?;
    let after = replay::start_after(&headers, query.after)?;
    // Fail before the stream starts when the run is not visible.
    state.core.run_view(&actor, &id).await?;
    let core = state.core.clone();
    let signal = core.event_signal();
    Ok(replay::replay(
        signal,
        after,
        format!("run {id}"),
        move |after, limit| {
            let (core, actor, id) = (core.clone(), actor.clone(), id.clone());
            async move {
                let rows = core.run_events(&actor, &id, after, limit).await?;
                Ok(rows
                    .into_iter()
                    .map(|row| replay::Stored {
                        seq: row.seq,
                        kind: row.event["type"].as_str().unwrap_or("event").to_owned(),
                        data: row.event,
                    })
                    .collect())
            }
        },
    ))
}
