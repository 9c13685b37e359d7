//! What the studio asks on load and on its settings page about parts of Astonish Drydock has nothing
//! behind, answered in Astonish's shapes with what is true here, so the studio shows empty lists rather
//! than errors (and never a 404 for a page it opens by itself):
//!
//! - `GET /api/settings/providers/effective` → `{providers: {id: {type, model}}, default_provider,
//!   default_model}`: the providers the caller may use (names and models only, never a URL or key).
//! - `GET /api/user-settings/default-model` → `{defaultProvider, defaultModel}`: the server's model in use
//!   (Drydock has one default for everyone, set by operators; no per-user default). `PATCH` with the model
//!   in use (or nothing) is accepted as is; any other model is refused (422) with the reason and what to do
//!   instead, so the studio's settings page says why rather than failing on a missing method.
//! - `GET /api/studio/sessions` → `[]`: Astonish's own chat agent ("Chat") has no Drydock counterpart, so
//!   there are no conversations of it; Drydock's chat is its console and `/api/v1/chat`.
//! - `GET /api/tools/web-capable` → `{webSearch: [], webExtract: []}` and `GET /api/standard-servers` →
//!   `{servers: []}`: Astonish's web tools are native MCP servers, which Drydock does not run.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::{StudioCallerOrAnonymous, StudioError};
use crate::api::AppState;

/// `GET /api/settings/providers/effective`.
pub async fn effective_providers(
    State(state): State<AppState>,
    StudioCallerOrAnonymous(studio): StudioCallerOrAnonymous,
) -> Result<Json<Value>, StudioError> {
    let mut providers = Map::new();
    for (id, models) in state.core.choosable_providers(&studio.actor).await? {
        let model = models.first().cloned().unwrap_or_default();
        providers.insert(id, json!({ "type": "openai_compat", "model": model }));
    }
    let (provider, model) = state.core.llm_in_use().unwrap_or_default();
    Ok(Json(json!({
        "providers": providers,
        "default_provider": provider,
        "default_model": model,
    })))
}

/// `GET /api/user-settings/default-model`.
pub async fn default_model(
    State(state): State<AppState>,
    StudioCallerOrAnonymous(_studio): StudioCallerOrAnonymous,
) -> Json<Value> {
    let (provider, model) = state.core.llm_in_use().unwrap_or_default();
    Json(json!({ "defaultProvider": provider, "defaultModel": model }))
}

/// `PATCH /api/user-settings/default-model` `{defaultProvider?, defaultModel?}`: Drydock keeps no per-user
/// default, so only the model already in use (or an empty field: unchanged) is accepted.
pub async fn set_default_model(
    State(state): State<AppState>,
    StudioCallerOrAnonymous(_studio): StudioCallerOrAnonymous,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, StudioError> {
    let Json(body) = body?;
    let field = |key: &str| -> Result<Option<String>, StudioError> {
        match body.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.trim().to_owned()).filter(|t| !t.is_empty())),
            Some(_) => Err(StudioError::bad_request(format!(
                "`{key}` must be a string; the body is {{defaultProvider, defaultModel}}"
            ))),
        }
    };
    if !body.is_object() {
        return Err(StudioError::bad_request(
            "the body must be an object {defaultProvider, defaultModel}",
        ));
    }
    let (asked_provider, asked_model) = (field("defaultProvider")?, field("defaultModel")?);
    let (provider, model) = state.core.llm_in_use().unwrap_or_default();
    let unchanged = asked_provider.as_deref().is_none_or(|p| p == provider)
        && asked_model.as_deref().is_none_or(|m| m == model);
    if unchanged {
        return Ok(Json(
            json!({ "defaultProvider": provider, "defaultModel": model }),
        ));
    }
    Err(StudioError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!(
            "Drydock keeps one default model for everyone (now `{provider}` / `{model}`), set by an operator \
             in the settings (PUT /api/settings/config); there is no per-user default. To use `{}` / `{}` \
             for a run, pick it in the chat's model picker: it is sent with each run.",
            asked_provider.as_deref().unwrap_or(&provider),
            asked_model.as_deref().unwrap_or(&model),
        ),
    ))
}

/// `GET /api/studio/sessions`.
pub async fn chat_sessions(
    StudioCallerOrAnonymous(_studio): StudioCallerOrAnonymous,
) -> Json<Value> {
    Json(json!([]))
}

/// `GET /api/tools/web-capable`.
pub async fn web_capable_tools(
    StudioCallerOrAnonymous(_studio): StudioCallerOrAnonymous,
) -> Json<Value> {
    Json(json!({ "webSearch": [], "webExtract": [] }))
}

/// `GET /api/standard-servers`.
pub async fn standard_servers(
    StudioCallerOrAnonymous(_studio): StudioCallerOrAnonymous,
) -> Json<Value> {
    Json(json!({ "servers": [] }))
}
