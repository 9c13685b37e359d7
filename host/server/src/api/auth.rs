//! `POST /api/auth/login` and [`Caller`], the extractor that turns `Authorization: Bearer <token>` into an
//! actor (401 when missing or unknown); on reads, the console's session cookie does too.

use axum::extract::{FromRequestParts, State};
use axum::http::Method;
use axum::http::request::Parts;
use axum::routing::post;
use axum::{Json, Router};
use drydock_core::Actor;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, AppState};

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/auth/login", post(login))
}

/// The authenticated caller of a route.
pub struct Caller(pub Actor);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match bearer_actor(parts, state).await? {
            Some(actor) => Ok(Caller(actor)),
            None => Err(ApiError::Unauthorized(
                "send `Authorization: Bearer <token>` (POST /api/auth/login gives one)".into(),
            )),
        }
    }
}

/// The caller of a route that is also open to callers without a token (FastAgency's): the token's actor
/// when one is sent (a wrong one is still a 401, never a silent downgrade), else [`Actor::anonymous`].
pub struct CallerOrAnonymous(pub Actor);

impl FromRequestParts<AppState> for CallerOrAnonymous {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let actor = bearer_actor(parts, state).await?;
        Ok(CallerOrAnonymous(actor.unwrap_or_else(Actor::anonymous)))
    }
}

/// The actor of the request's bearer token; `None` without an Authorization header.
///
/// A `GET` or `HEAD` without one may instead carry the web console's session cookie: that is how the
/// console's pages follow the API's event streams and download artifacts. Only reads: a request that can
/// change something must carry the token in the header, which no other site's page can make a browser send.
async fn bearer_actor(parts: &Parts, state: &AppState) -> Result<Option<Actor>, ApiError> {
    let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
        let reads = matches!(parts.method, Method::GET | Method::HEAD);
        return match crate::console::session::cookie_value(
            &parts.headers,
            crate::console::session::SESSION_COOKIE,
        ) {
            Some(token) if reads => match state.core.authenticate(&token).await? {
                Some(actor) => Ok(Some(actor)),
                None => Err(ApiError::Unauthorized(
                    "the console session has ended; sign in again at /sign-in".into(),
                )),
            },
            _ => Ok(None),
        };
    };
    let token = header
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
        })?;
    match state.core.authenticate(token).await? {
        Some(actor) => Ok(Some(actor)),
        None => Err(ApiError::Unauthorized(
            "unknown or revoked token; log in again".into(),
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    username: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    body: Result<Json<Login>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(login) = body?;
    let (token, actor) = state.core.login(&login.username, &login.password).await?;
    Ok(Json(
        json!({ "token": token, "name": actor.name, "role": actor.role }),
    ))
}
