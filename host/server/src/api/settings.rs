//! Operator settings: the language-model providers (`GET/PUT /api/settings`, keys shown masked) and a
//! provider's models (`GET /api/providers/{id}/models`, asked of the provider itself).

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use super::auth::Caller;
use super::{ApiError, AppState};

type JsonBody<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/settings", get(show).put(update))
        .route("/api/providers/{id}/models", get(models))
}

async fn show(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.core.settings(&actor).await?))
}

async fn update(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    Ok(Json(state.core.put_settings(&actor, body).await?))
}

async fn models(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.core.provider_models(&actor, &id).await?))
}
