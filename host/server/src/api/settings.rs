//! Operator settings: the language-model providers (`GET/PUT /api/settings`, keys shown masked) and a
//! provider's models (`GET /api/providers/{id}/models`, asked of the provider itself). Astonish's studio
//! calls the models route too, without a token: a request that says it is the studio
//! (`X-Requested-With: XMLHttpRequest`) is answered by the studio layer
//! ([`super::astonish::provider_models`]), never with a 401; any other request keeps the native behaviour.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use super::astonish::NativeOrStudioCallerOrAnonymous;
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
    caller: NativeOrStudioCallerOrAnonymous,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    match caller {
        NativeOrStudioCallerOrAnonymous::Studio(studio) => {
            Ok(super::astonish::provider_models(&state, &studio, &id).await)
        }
        NativeOrStudioCallerOrAnonymous::Native(actor) => {
            Ok(Json(state.core.provider_models(&actor, &id).await?).into_response())
        }
    }
}
