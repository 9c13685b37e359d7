//! Astonish wire compatibility (seed 002): the routes Astonish's web studio calls, so the studio pointed
//! at Drydock edits and runs Drydock workflows unchanged. A translation layer over the one workflow engine
//! and catalog: a workflow is an Astonish "agent", a studio session is a Drydock run, and every answer is
//! shaped the way Astonish's `pkg/api` shapes it (snake_case and camelCase as Astonish writes them,
//! errors as `{error: "..."}`).
//!
//! | module | routes |
//! |---|---|
//! | [`agents`] | `GET /api/agents`, `GET/PUT/DELETE /api/agents/{name}` (the studio's `layout:` kept beside the YAML) |
//! | [`chat`] | `POST /api/chat` (SSE), `POST /api/session/{id}/stop`, `POST /api/session/{id}/keepalive` |
//! | [`events`] | a run's stored events as the studio's SSE messages |
//! | [`settings`] | `GET/PUT /api/settings/config`, `GET /api/settings/status`, `GET/PUT /api/settings/mcp`, `GET /api/version`, `GET /api/sandbox/status` |
//! | [`assistant`] | `POST /api/ai/chat`: the flow assistant, through the configured language model |
//! | [`extras`] | `GET /api/settings/providers/effective`, `/api/user-settings/default-model`, `/api/studio/sessions`, `/api/tools/web-capable`, `/api/standard-servers`: what the studio asks on load and in its settings, in its shapes |
//!
//! `GET /api/tools` stays the native route; the studio's shape comes from it too (see `api::tools`).
//! `GET /api/auth/setup-status` is deliberately not a route: its 404 tells the studio there is no
//! Astonish platform login to show.
//!
//! Who calls: the studio sends no bearer token. A request is the console visitor's when it carries the
//! console's session cookie (a read, or a write sent with `X-Requested-With: XMLHttpRequest`, a header no
//! other site's page can make a browser send without a CORS grant, which Drydock never gives; the
//! `Origin` check of `host_guard` applies as everywhere). A bearer token works as on every route (a wrong
//! one is a 401). Otherwise the caller is anonymous: it sees and runs only `public: true` workflows, its
//! runs are dry runs audited as `anonymous`, and its studio sessions are bound to its client address.

mod agents;
mod assistant;
mod chat;
mod events;
mod extras;
mod sessions;
mod settings;

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use drydock_core::{Actor, CoreError};
use serde_json::json;

use super::auth::bearer_token;
use super::budgets::Spender;
use super::client::client_ip;
use super::error::retry_after_value;
use super::{ApiError, AppState};

pub use sessions::Sessions;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/agents", get(agents::list))
        .route(
            "/api/agents/{name}",
            get(agents::show).put(agents::save).delete(agents::remove),
        )
        .route("/api/chat", post(chat::chat))
        .route("/api/session/{id}/stop", post(chat::stop))
        .route("/api/session/{id}/keepalive", post(chat::keepalive))
        .route(
            "/api/settings/config",
            get(settings::config).put(settings::put_config),
        )
        .route("/api/settings/status", get(settings::status))
        .route(
            "/api/settings/mcp",
            get(settings::mcp).put(settings::put_mcp),
        )
        .route("/api/version", get(settings::version))
        .route("/api/sandbox/status", get(settings::sandbox))
        .route("/api/ai/chat", post(assistant::chat))
        .route(
            "/api/settings/providers/effective",
            get(extras::effective_providers),
        )
        .route(
            "/api/user-settings/default-model",
            get(extras::default_model).patch(extras::set_default_model),
        )
        .route("/api/studio/sessions", get(extras::chat_sessions))
        .route("/api/tools/web-capable", get(extras::web_capable_tools))
        .route("/api/standard-servers", get(extras::standard_servers))
}

/// The tools as the studio lists them, `{tools: [{name, description, source}]}` (`source`: the plugin).
pub fn studio_tools(state: &AppState) -> serde_json::Value {
    let tools: Vec<serde_json::Value> = state
        .core
        .runtime()
        .tools()
        .into_iter()
        .map(|t| json!({ "name": t.name, "description": t.description, "source": t.plugin }))
        .collect();
    json!({ "tools": tools })
}

/// `GET /api/providers/{id}/models` for the studio (the native route hands a studio request here):
/// `{provider, models}` as Astonish answers it. An operator gets what the provider itself lists; when the
/// provider cannot be asked (not configured, unreachable), the models the settings name for it and a
/// `warning` saying why, so the studio's settings page never sees a 404 or 5xx. Anyone else gets the models
/// they may choose for that provider ([`drydock_core::Core::choosable_models`]; an empty list when nothing
/// is configured). A wrong bearer token is the one 401, as on every studio route.
pub async fn provider_models(state: &AppState, studio: &Studio, id: &str) -> Response {
    let actor = &studio.actor;
    let warning = if actor.role == drydock_core::Role::Operator {
        match state.core.provider_models(actor, id).await {
            Ok(models) => return Json(models).into_response(),
            Err(err) => Some(StudioError::from(err).message),
        }
    } else {
        None
    };
    match state.core.choosable_models(actor, id).await {
        Ok(models) => {
            let mut body = json!({ "provider": id, "models": models });
            if let Some(warning) = warning {
                body["warning"] = json!(warning);
            }
            Json(body).into_response()
        }
        Err(err) => StudioError::from(err).into_response(),
    }
}

/// Whether a request says it comes from a script of the page (`X-Requested-With: XMLHttpRequest`).
pub fn from_page_script(headers: &HeaderMap) -> bool {
    headers
        .get("x-requested-with")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("XMLHttpRequest"))
}

/// An error as Astonish answers them: `{error: "..."}` with the status.
#[derive(Debug)]
pub struct StudioError {
    status: StatusCode,
    message: String,
    retry_after: Option<Duration>,
}

impl StudioError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
}

impl From<ApiError> for StudioError {
    fn from(err: ApiError) -> Self {
        let retry_after = match &err {
            ApiError::TooManyRequests { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        let (status, message) = err.status_and_message();
        Self {
            status,
            message,
            retry_after,
        }
    }
}

impl From<CoreError> for StudioError {
    fn from(err: CoreError) -> Self {
        ApiError::from(err).into()
    }
}

impl From<axum::extract::rejection::JsonRejection> for StudioError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        ApiError::from(rejection).into()
    }
}

impl IntoResponse for StudioError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "error": self.message }))).into_response();
        if let Some(wait) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after_value(wait));
        }
        response
    }
}

/// The caller of a studio route and what it is charged and known by.
pub struct Studio {
    /// Who acts (anonymous without a token or console session).
    pub actor: Actor,
    /// Whose request budget a run start spends.
    pub spender: Spender,
    /// What the caller's studio sessions are filed under: the user id, or the client address for an
    /// anonymous caller (session ids are the studio's own, guessable, so never shared between callers).
    pub owner: String,
}

/// The extractor of every studio route: the bearer token's actor (a wrong token is a 401), else the
/// console visitor's (see the module doc), else anonymous.
pub struct StudioCallerOrAnonymous(pub Studio);

impl FromRequestParts<AppState> for StudioCallerOrAnonymous {
    type Rejection = StudioError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(token) = bearer_token(parts)? {
            let Some(actor) = state.core.authenticate(token).await? else {
                return Err(StudioError::new(
                    StatusCode::UNAUTHORIZED,
                    "unknown or revoked token; log in again",
                ));
            };
            return Ok(Self::known(actor, token));
        }
        let read = matches!(parts.method, Method::GET | Method::HEAD);
        if read || from_page_script(&parts.headers) {
            use crate::console::session::{SESSION_COOKIE, cookie_value};
            if let Some(token) = cookie_value(&parts.headers, SESSION_COOKIE)
                // An ended console session makes the visitor anonymous here: a 401 would send the
                // studio into its own sign-in loop, which Drydock does not serve.
                && let Some(actor) = state.core.authenticate(&token).await?
            {
                return Ok(Self::known(actor, &token));
            }
        }
        let client = client_ip(&parts.extensions);
        Ok(StudioCallerOrAnonymous(Studio {
            actor: Actor::anonymous(),
            spender: Spender::anonymous(client),
            owner: format!(
                "anonymous@{}",
                client.map_or_else(|| "local".to_owned(), |ip| ip.to_string())
            ),
        }))
    }
}

/// The caller of a native route the studio calls too: a request that says it is the studio
/// ([`from_page_script`]) is resolved as on every studio route ([`StudioCallerOrAnonymous`], never a 401
/// without a token); any other as the native route's [`super::auth::Caller`] (a 401 without a token).
pub enum NativeOrStudioCallerOrAnonymous {
    /// A studio request.
    Studio(Studio),
    /// Any other, with its token's actor.
    Native(Actor),
}

impl FromRequestParts<AppState> for NativeOrStudioCallerOrAnonymous {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if from_page_script(&parts.headers) {
            let StudioCallerOrAnonymous(studio) =
                StudioCallerOrAnonymous::from_request_parts(parts, state)
                    .await
                    .map_err(IntoResponse::into_response)?;
            return Ok(Self::Studio(studio));
        }
        let super::auth::Caller(actor) = super::auth::Caller::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self::Native(actor))
    }
}

impl StudioCallerOrAnonymous {
    fn known(actor: Actor, token: &str) -> Self {
        StudioCallerOrAnonymous(Studio {
            owner: actor.user_id.clone(),
            spender: Spender::credential(token),
            actor,
        })
    }
}
