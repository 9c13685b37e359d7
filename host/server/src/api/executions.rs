//! `GET /api/executions/{correlationId}` and `GET /api/artifacts/{id}` (the content, with its media type).

use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::auth::Caller;
use super::{ApiError, AppState};

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/executions/{id}", get(execution))
        .route("/api/artifacts/{id}", get(artifact))
}

async fn execution(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let view = state.core.execution_view(&actor, &id).await?;
    let row = view.execution;
    Ok(Json(json!({
        "correlationId": row.correlation_id,
        "sessionId": row.session_id,
        "planId": row.plan_id,
        "nodeId": row.node_id,
        "mode": row.mode,
        "status": row.status,
        "requestedBy": row.requested_by,
        "startedAt": row.started_at,
        "finishedAt": row.finished_at,
        "steps": row.detail["steps"],
        "effects": view.effects,
        "artifacts": view.artifacts,
    })))
}

async fn artifact(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let (row, content) = state.core.artifact(&actor, &id).await?;
    // Served as an attachment and never sniffed: an artifact is plugin output, not a page of ours.
    let disposition = format!(
        "attachment; filename=\"{}\"",
        row.name.replace(['"', '\\', '\r', '\n'], "_")
    );
    Ok((
        [
            (CONTENT_TYPE, row.media_type.clone()),
            (CONTENT_DISPOSITION, disposition),
            (X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        content,
    ))
}
