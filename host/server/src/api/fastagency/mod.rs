//! FastAgency wire compatibility (seed 004): the three routes of FastAgency's `FastAPIAdapter`, so that a
//! client written for it runs a Drydock workflow unchanged.
//!
//! - `GET /fastagency/discovery` → `[{name, description}]`
//! - `POST /fastagency/initiate_workflow {workflow_name, workflow_uuid, user_id, params}` →
//!   `{user_id, workflow_uuid, name, params}` (fresh ids, as FastAgency makes them; nothing starts yet)
//! - `WS /fastagency/ws` ([`socket`]): the first frame is that answer; the run starts (or resumes) and
//!   its events arrive as IOMessages ([`message`]).
//!
//! FastAgency's own clients send no credentials. These routes take a bearer token when one is given (a
//! wrong one is a 401, as everywhere); without one the caller is anonymous and sees, starts and resumes
//! only workflows whose YAML says `public: true`. Every run is a Drydock run whatever the route: tool
//! nodes dry-run in the sandbox under the same policy, and the audit log names the caller (`anonymous`
//! for those without a token). Starting is budgeted (`initiate_workflow` and the socket each cost one
//! request of the caller's budget: the token's, or the client address's without one).

mod message;
mod socket;

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::auth::CallerOrAnonymous;
use super::budgets::{self, ExpensiveRoute, Spender};
use super::{ApiError, AppState};

/// The largest frame a client may send on the websocket (an answer), in bytes.
const MAX_FRAME: usize = 64 << 10;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/fastagency/discovery", get(discovery))
        // FastAgency's Python `FastAPIProvider` joins its base URL and the path with a second slash.
        .route("//fastagency/discovery", get(discovery))
        .route("/fastagency/initiate_workflow", post(initiate))
        .route("/fastagency/ws", get(websocket))
}

async fn discovery(
    State(state): State<AppState>,
    CallerOrAnonymous(actor): CallerOrAnonymous,
) -> Result<Json<Value>, ApiError> {
    let workflows = state.core.workflows(&actor).await?;
    Ok(Json(Value::Array(
        workflows
            .into_iter()
            .map(|w| json!({ "name": w.name, "description": w.description }))
            .collect(),
    )))
}

/// FastAgency's `InititateChatModel`. Its client always sends all four fields; only the name matters
/// here (FastAgency itself ignores the client's ids too and makes fresh ones).
#[derive(Deserialize)]
struct Initiate {
    workflow_name: String,
    #[serde(default)]
    #[allow(dead_code)]
    workflow_uuid: Option<Value>,
    #[serde(default)]
    #[allow(dead_code)]
    user_id: Option<Value>,
    #[serde(default)]
    params: Option<Value>,
}

async fn initiate(
    State(state): State<AppState>,
    CallerOrAnonymous(actor): CallerOrAnonymous,
    spender: Spender,
    body: Result<Json<Initiate>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    budgets::spend(&state, &spender, ExpensiveRoute::FastAgencyInitiate)?;
    let Json(body) = body?;
    let params = match body.params {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(params @ Value::Object(_)) => params,
        Some(_) => {
            return Err(ApiError::invalid(
                "`params` must be an object of workflow inputs",
            ));
        }
    };
    // Refuse a workflow the caller cannot see now, not after the websocket is open.
    state.core.workflow(&actor, &body.workflow_name).await?;
    let user_id = if actor.is_anonymous() {
        uuid::Uuid::new_v4().to_string()
    } else {
        actor.user_id.clone()
    };
    Ok(Json(json!({
        "user_id": user_id,
        "workflow_uuid": uuid::Uuid::new_v4().to_string(),
        "name": body.workflow_name,
        "params": params,
    })))
}

/// Charged to the budget as well as `initiate_workflow`: a client may open the socket without initiating
/// first, and the socket is what starts the run.
async fn websocket(
    State(state): State<AppState>,
    CallerOrAnonymous(actor): CallerOrAnonymous,
    spender: Spender,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Err(refused) = budgets::spend(&state, &spender, ExpensiveRoute::FastAgencySocket) {
        return refused.into_response();
    }
    upgrade
        .max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .on_upgrade(move |socket| socket::serve(state.core.clone(), actor, socket))
}
