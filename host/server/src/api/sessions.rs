//! The plan API of seed 001: sessions from work items, plan generate / inspect / approve, execute a node,
//! follow events (SSE with `Last-Event-ID` replay), list artifacts. Route and field names are the seed's.

use std::convert::Infallible;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::response::sse::{Event, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use drydock_core::execute::approval_of;
use drydock_core::sessions_service::plan_summary;
use drydock_core::{PlanRow, SessionRow};
use drydock_policy::{Mode, PlanApproval};
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
        .route("/api/sessions", post(create).get(list))
        .route("/api/sessions/{id}", get(show))
        .route("/api/sessions/{id}/plan", get(plan))
        .route("/api/sessions/{id}/plan/generate", post(generate))
        .route("/api/sessions/{id}/plan/approve", post(approve))
        .route("/api/sessions/{id}/plan/execute-node", post(execute_node))
        .route("/api/sessions/{id}/events", get(events))
        .route("/api/sessions/{id}/artifacts", get(artifacts))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateSession {
    work_item: Value,
}

fn session_json(session: &SessionRow) -> Value {
    json!({
        "sessionId": session.id,
        "workItem": session.work_item,
        "currentPlanId": session.current_plan,
        "createdAt": session.created_at,
        "updatedAt": session.updated_at,
    })
}

async fn create(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: JsonBody<CreateSession>,
) -> Result<impl IntoResponse, ApiError> {
    let Json(body) = body?;
    let session = state.core.create_session(&actor, body.work_item).await?;
    Ok((StatusCode::CREATED, Json(session_json(&session))))
}

async fn list(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Value>, ApiError> {
    let sessions = state.core.sessions(&actor).await?;
    Ok(Json(
        json!({ "sessions": sessions.iter().map(session_json).collect::<Vec<_>>() }),
    ))
}

async fn show(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(session_json(
        &state.core.session_for(&actor, &id).await?,
    )))
}

/// The plan as seed 001 shows it: the PlanUpdated summary plus status, version, approval and each node's steps.
fn plan_json(plan: &PlanRow) -> Value {
    let mut summary = plan_summary(plan);
    if let (Some(nodes), Some(full)) = (
        summary["nodes"].as_array_mut(),
        plan.content["nodes"].as_array(),
    ) {
        for (node, source) in nodes.iter_mut().zip(full) {
            node["steps"] = source.get("steps").cloned().unwrap_or(json!([]));
        }
    }
    let (approved, stale) = match approval_of(plan) {
        PlanApproval::Approved => (true, false),
        PlanApproval::NotApproved { .. } => (false, plan.approved_hash.is_some()),
        PlanApproval::NotAPlan => (false, false),
    };
    summary["status"] = json!(plan.status);
    summary["version"] = json!(plan.version);
    summary["contentHash"] = json!(plan.content_hash);
    summary["approval"] = json!({
        "approved": approved,
        "stale": stale,
        "approvedBy": plan.approved_by,
        "approvedAt": plan.approved_at,
        "approvedHash": plan.approved_hash,
        "approvedRehearsalHash": plan.approved_rehearsal_hash,
    });
    summary
}

async fn plan(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    match state.core.current_plan(&actor, &id).await? {
        Some(plan) => Ok(Json(plan_json(&plan))),
        None => Err(ApiError::NotFound(format!(
            "session `{id}` has no plan yet; POST /api/sessions/{id}/plan/generate"
        ))),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Generate {
    work_item_id: Option<String>,
    #[serde(default)]
    force: bool,
}

async fn generate(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    body: Result<Option<Json<Generate>>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let body = body?.map(|Json(b)| b).unwrap_or_default();
    let plan = state
        .core
        .generate_plan(&actor, &id, body.work_item_id.as_deref(), body.force)
        .await?;
    Ok(Json(plan_summary(&plan)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ApproveQuery {
    /// The hash of the rehearsal report the approver read (`GET .../plan/rehearsal`): approve only if the
    /// rehearsal is still that one.
    rehearsal_hash: Option<String>,
}

async fn approve(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    query: Result<Query<ApproveQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|err| ApiError::invalid(err.body_text()))?;
    let seen = query.rehearsal_hash.as_deref();
    Ok(Json(plan_json(
        &state
            .core
            .approve_plan_seen_rehearsal(&actor, &id, None, seen)
            .await?,
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ExecuteNode {
    node_id: String,
    #[serde(default)]
    mode: Mode,
}

async fn execute_node(
    State(state): State<AppState>,
    Caller(actor): Caller,
    spender: Spender,
    Path(id): Path<String>,
    body: JsonBody<ExecuteNode>,
) -> Result<impl IntoResponse, ApiError> {
    budgets::spend(&state, &spender, ExpensiveRoute::PlanNode)?;
    let Json(body) = body?;
    let correlation_id = state
        .core
        .execute_node(&actor, &id, &body.node_id, body.mode)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "accepted": true, "correlationId": correlation_id })),
    ))
}

async fn artifacts(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let rows = state.core.artifacts(&actor, &id).await?;
    Ok(Json(json!({ "artifacts": rows })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    /// Replay events after this sequence number (same as the `Last-Event-ID` header).
    after: Option<i64>,
}

/// SSE: replays stored events after `Last-Event-ID` (or `?after=`), then streams new ones as they are
/// stored. Each event's `id` is its sequence number, its `event` is its kind.
async fn events(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Query(query) = query.map_err(|err| ApiError::invalid(err.body_text()))?;
    let after = replay::start_after(&headers, query.after)?;
    // Fail before the stream starts when the session is not visible.
    state.core.session_for(&actor, &id).await?;
    let core = state.core.clone();
    let signal = core.event_signal();
    Ok(replay::replay(
        signal,
        after,
        format!("session {id}"),
        move |after, limit| {
            let (core, actor, id) = (core.clone(), actor.clone(), id.clone());
            async move {
                let rows = core.events(&actor, &id, after, limit).await?;
                Ok(rows
                    .into_iter()
                    .map(|row| replay::Stored {
                        seq: row.seq,
                        data: json!({
                            "seq": row.seq,
                            "kind": row.kind,
                            "correlationId": row.correlation_id,
                            "payload": row.payload,
                            "createdAt": row.created_at,
                        }),
                        kind: row.kind,
                    })
                    .collect())
            }
        },
    ))
}
