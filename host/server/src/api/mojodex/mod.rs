//! Mojodex wire compatibility (seed 003): the backend routes Mojodex's CLI calls and its Socket.IO events,
//! as a translation layer over the workflow runs of the core. There is no second engine: an execution is
//! a workflow run; this face keeps only Mojodex's integers and rooms (`drydock_core::mojodex`).
//!
//! | route | module |
//! |---|---|
//! | `POST /user` (log in) | [`user`] |
//! | `GET /user_workflow` | [`user_workflow`] |
//! | `POST` (create), `PUT` (start), `GET` (status) `/user_workflow_execution` | [`user_workflow_execution`] |
//! | `POST /user_workflow_step_execution` (validate or reject a step) | [`user_workflow_step_execution`] |
//! | Socket.IO on `/socket.io/` (default namespace, `start_session`, the step events) | [`socket`], [`events`] |
//!
//! Mojodex's conventions, kept here and nowhere else: the token travels raw in `Authorization` (a
//! `Bearer ` prefix is accepted too); a missing or unknown token is a 403; every error body is
//! `{"error": message}`; every request carries a `datetime` (required, not interpreted). The token is a
//! real Drydock API token (label `login`), so `DELETE /api/tokens/{id}` or `POST /api/auth/logout`
//! revokes it, and every run it starts is an ordinary run: dry-run tool calls under the same policy,
//! audited with the caller's name. Creating and starting executions costs the caller's request budget.

mod drive;
mod error;
mod events;
mod socket;
mod user;
mod user_workflow;
mod user_workflow_execution;
mod user_workflow_step_execution;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use drydock_core::Actor;
use serde_json::{Map, Value};

pub use error::MojodexError;
pub use socket::MojodexSocket;

use super::AppState;
use super::budgets::{self, ExpensiveRoute, Spender};

/// The routes of this module (the Socket.IO layer is [`MojodexSocket::layer`], added by `api::app`).
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(user::router())
        .merge(user_workflow::router())
        .merge(user_workflow_execution::router())
        .merge(user_workflow_step_execution::router())
}

/// The caller of a Mojodex route: the actor of the raw token in `Authorization`, and who pays for it.
pub struct MojodexCaller {
    /// Who asks.
    pub actor: Actor,
    /// The token's budget.
    pub spender: Spender,
}

impl FromRequestParts<AppState> for MojodexCaller {
    type Rejection = MojodexError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(raw_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                MojodexError::forbidden(
                    "Authorization key required: send the token POST /user gave as `Authorization: <token>`",
                )
            })?;
        match state.core.authenticate(token).await? {
            Some(actor) => Ok(MojodexCaller {
                actor,
                spender: Spender::credential(token),
            }),
            None => Err(MojodexError::forbidden(
                "Invalid token: unknown or revoked; log in again with POST /user",
            )),
        }
    }
}

/// Charges one execution (created or started) to the caller's request budget.
fn budgets_for_executions(state: &AppState, caller: &MojodexCaller) -> Result<(), MojodexError> {
    budgets::spend(state, &caller.spender, ExpensiveRoute::MojodexExecution)?;
    Ok(())
}

/// The token in an `Authorization` value: Mojodex sends it raw; `Bearer <token>` is read too.
pub fn raw_token(value: &str) -> &str {
    let value = value.trim();
    value.strip_prefix("Bearer ").unwrap_or(value).trim()
}

/// Field `name` of a JSON body; `Missing parameter` when absent (Mojodex's wording).
fn field<'a>(body: &'a Map<String, Value>, name: &str) -> Result<&'a Value, MojodexError> {
    body.get(name)
        .ok_or_else(|| MojodexError::bad_request(format!("Missing parameter : '{name}'")))
}

/// Field `name` as a positive integer (a pk).
fn pk_field(body: &Map<String, Value>, name: &str) -> Result<i64, MojodexError> {
    field(body, name)?
        .as_i64()
        .filter(|pk| *pk > 0)
        .ok_or_else(|| MojodexError::bad_request(format!("`{name}` must be a positive integer")))
}

/// Field `name` as a string.
fn string_field<'a>(body: &'a Map<String, Value>, name: &str) -> Result<&'a str, MojodexError> {
    field(body, name)?
        .as_str()
        .ok_or_else(|| MojodexError::bad_request(format!("`{name}` must be a string")))
}

/// A query parameter that must be a positive integer (a pk).
fn pk_param(
    query: &std::collections::HashMap<String, String>,
    name: &str,
) -> Result<i64, MojodexError> {
    let text = query
        .get(name)
        .ok_or_else(|| MojodexError::bad_request(format!("Missing parameter : '{name}'")))?;
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|pk| *pk > 0)
        .ok_or_else(|| MojodexError::bad_request(format!("`{name}` must be a positive integer")))
}

/// Mojodex's `datetime`, required on every request and otherwise ignored.
fn require_datetime_param(
    query: &std::collections::HashMap<String, String>,
) -> Result<(), MojodexError> {
    if query.contains_key("datetime") {
        Ok(())
    } else {
        Err(MojodexError::bad_request("Missing parameter : 'datetime'"))
    }
}
