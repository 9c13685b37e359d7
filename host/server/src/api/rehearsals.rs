//! The rehearsal contract's routes: `GET /api/sessions/{id}/plan/rehearsal` (the "what will change" report
//! an approval binds) and `POST /api/executions/{id}/review` (an operator's answer to a live write the
//! rehearsal did not show: `{"decision": "allowOnce" | "stop"}`).

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use drydock_core::rehearsals::ReviewChoice;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Caller;
use super::{ApiError, AppState};

type JsonBody<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sessions/{id}/plan/rehearsal", get(rehearsal))
        .route("/api/executions/{id}/review", post(review))
}

async fn rehearsal(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let report = state.core.plan_rehearsal(&actor, &id).await?;
    Ok(Json(report.to_json()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum Decision {
    AllowOnce,
    Stop,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Review {
    decision: Decision,
}

async fn review(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    body: JsonBody<Review>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    let choice = match body.decision {
        Decision::AllowOnce => ReviewChoice::AllowOnce,
        Decision::Stop => ReviewChoice::Stop,
    };
    let held = state.core.review_execution(&actor, &id, choice).await?;
    Ok(Json(json!({
        "correlationId": id,
        "decision": choice.as_str(),
        "effect": held,
    })))
}
