//! `POST /api/auth/login`, `POST /api/auth/logout` and [`Caller`], the extractor that turns
//! `Authorization: Bearer <token>` into an actor (401 when missing or unknown); on reads, the console's
//! session cookie does too.
//!
//! Sign-ins are throttled per account and per client address by the core (`429` with `Retry-After` past
//! the limit, even for the right password); the client address is the TCP peer ([`super::client`]).

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use drydock_core::{Actor, SessionKind, SignIn};
use serde::Deserialize;
use serde_json::{Value, json};

use super::client::ClientAddr;
use super::{ApiError, AppState};

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/login", post(login))
        .route("/api/auth/logout", post(logout))
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

/// The request's bearer token; `None` without an Authorization header, 401 for a header of another form.
pub fn bearer_token(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    header
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(Some)
        .ok_or_else(|| {
            ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
        })
}

/// The actor of the request's bearer token; `None` without an Authorization header (and without a console
/// session on a read).
async fn bearer_actor(parts: &Parts, state: &AppState) -> Result<Option<Actor>, ApiError> {
    let Some(token) = bearer_token(parts)? else {
        return console_reader(parts, state).await;
    };
    match state.core.authenticate(token).await? {
        Some(actor) => Ok(Some(actor)),
        None => Err(ApiError::Unauthorized(
            "unknown or revoked token; log in again".into(),
        )),
    }
}

/// The console visitor behind a `GET` or `HEAD` that carries the console's session cookie and no
/// Authorization header: that is how the console's pages follow the API's event streams and download
/// artifacts. Only reads: a request that can change something must carry the token in the header, which no
/// other site's page can make a browser send.
async fn console_reader(parts: &Parts, state: &AppState) -> Result<Option<Actor>, ApiError> {
    use crate::console::session::{SESSION_COOKIE, cookie_value};
    if !matches!(parts.method, Method::GET | Method::HEAD) {
        return Ok(None);
    }
    let Some(token) = cookie_value(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    match state.core.authenticate(&token).await? {
        Some(actor) => Ok(Some(actor)),
        None => Err(ApiError::Unauthorized(
            "the console session has ended; sign in again at /sign-in".into(),
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
    ClientAddr(client): ClientAddr,
    body: Result<Json<Login>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(login) = body?;
    let signed_in = state
        .core
        .sign_in(SignIn {
            username: login.username,
            password: login.password,
            client,
            kind: SessionKind::ApiToken,
        })
        .await?;
    Ok(Json(json!({
        "token": signed_in.token,
        "name": signed_in.actor.name,
        "role": signed_in.actor.role,
    })))
}

/// The token this request carries; the [`Caller`] before it has checked that it is valid.
pub struct BearerToken(pub String);

impl FromRequestParts<AppState> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        match bearer_token(parts)? {
            Some(token) => Ok(BearerToken(token.to_owned())),
            None => Err(ApiError::Unauthorized(
                "send `Authorization: Bearer <token>`".into(),
            )),
        }
    }
}

/// Revokes the token the request carries (audited `auth.logout`); later requests with it get 401.
async fn logout(
    State(state): State<AppState>,
    Caller(_): Caller,
    BearerToken(token): BearerToken,
) -> Result<StatusCode, ApiError> {
    state.core.sign_out(&token).await?;
    Ok(StatusCode::NO_CONTENT)
}
