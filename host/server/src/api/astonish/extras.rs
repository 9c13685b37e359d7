//! What the studio asks on load and on its settings page about parts of Astonish Drydock has nothing
//! behind, answered in Astonish's shapes with what is true here, so the studio shows empty lists rather
//! than errors (and never a 404 for a page it opens by itself):
//!
//! - `GET /api/settings/providers/effective` → `{providers: {id: {type, model}}, default_provider,
//!   default_model}`: the providers the caller may use (names and models only, never a URL or key).
//! - `GET /api/user-settings/default-model` → `{defaultProvider, defaultModel}`: the server's model in use
//!   (Drydock has one default for everyone, set by operators; no per-user default).
//! - `GET /api/studio/sessions` → `[]`: Astonish's own chat agent ("Chat") has no Drydock counterpart, so
//!   there are no conversations of it; Drydock's chat is its console and `/api/v1/chat`.
//! - `GET /api/tools/web-capable` → `{webSearch: [], webExtract: []}` and `GET /api/standard-servers` →
//!   `{servers: []}`: Astonish's web tools are native MCP servers, which Drydock does not run.

use axum::Json;
use axum::extract::State;
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
