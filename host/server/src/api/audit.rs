//! `GET /api/audit?correlationId=&actor=&action=&since=&before=&order=&limit=` and `GET /api/audit/verify`
//! (operators).

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Caller;
use super::{ApiError, AppState};

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/audit", get(list))
        .route("/api/audit/verify", get(verify))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AuditQuery {
    correlation_id: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    since: Option<i64>,
    before: Option<i64>,
    order: Option<Order>,
    limit: Option<usize>,
}

/// `asc` (chain order, the default) or `desc` (newest first).
#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Order {
    Asc,
    Desc,
}

async fn list(
    State(state): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|err| ApiError::invalid(err.body_text()))?;
    let limit = query.limit.unwrap_or(100).min(drydock_core::MAX_PAGE);
    let filter = drydock_core::audit::AuditFilter {
        correlation_id: query.correlation_id,
        actor: query.actor,
        action: query.action,
        since: query.since,
        before: query.before,
        newest_first: query.order == Some(Order::Desc),
    };
    let rows = state.core.audit(&actor, filter, limit).await?;
    Ok(Json(json!({ "entries": rows })))
}

async fn verify(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Value>, ApiError> {
    let verification = state.core.audit_verify(&actor).await?;
    Ok(Json(
        serde_json::to_value(verification).map_err(ApiError::internal)?,
    ))
}
