//! The MCP face: every sandboxed tool as an MCP tool, through the official Rust SDK (`rmcp`).
//!
//! - [`handler`]: [`DrydockMcp`], the one server implementation (tools, dry-run calls, list_changed);
//! - [`plan_tools`]: `drydock_propose_plan`, `drydock_plan_status`, `drydock_execute_plan`;
//! - [`tools`]: Drydock tools → MCP tools, annotations computed from the grants;
//! - [`names`]: the names hosts accept (`echo_echo` for `echo.echo`), both ways;
//! - [`results`]: an invocation → an MCP result with its effect journal;
//! - [`resources`]: artifacts as `drydock://artifacts/{id}` resources;
//! - [`prompts`]: `rehearse {goal}`, the way of working an agent is asked to follow;
//! - this file: the streamable HTTP transport at `/mcp` (rmcp's tower service nested in the router) behind
//!   the REST API's bearer tokens, and the RFC 9728 protected-resource metadata that a `401` points to.
//!
//! `drydock mcp` (stdio) serves the same [`DrydockMcp`]; see `cli/mcp.rs`. Both protocol revisions are
//! served: 2025-11-25 and earlier with `initialize` and a session, 2026-07-28 statelessly (rmcp negotiates).
//! Host and Origin are checked for the whole server by `host_guard`, `/mcp` included. Each `tools/call` in a
//! POST costs one request of the token's budget (`api::budgets`); the body is already read for the JSON-RPC
//! check, so counting them is a look at the parsed message, and rmcp stays in charge of the protocol.

pub mod handler;
pub mod names;
pub mod plan_tools;
pub mod prompts;
pub mod resources;
pub mod results;
pub mod tools;

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use drydock_core::{Actor, Core};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use tower::ServiceExt as _;

pub use handler::{Caller, DrydockMcp};

use super::budgets::{self, ExpensiveRoute, Spender};
use super::error::retry_after_value;
use super::{ApiError, AppState, BODY_LIMIT};

/// Where the protected-resource metadata is served (RFC 9728 §3).
pub const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// rmcp's streamable HTTP transport serving [`DrydockMcp`], kept in the router's state.
pub type McpHttp = StreamableHttpService<DrydockMcp, LocalSessionManager>;

/// The transport for a server on `core`: one [`DrydockMcp`] shared by every session.
pub fn http_service(core: Core) -> McpHttp {
    let server = DrydockMcp::new(core, Caller::PerRequest);
    // Host and Origin are the host guard's, for every route alike: rmcp's own host list would refuse the
    // names an operator adds with --allowed-host.
    let config = StreamableHttpServerConfig::default()
        .disable_allowed_hosts()
        .with_max_request_body_bytes(BODY_LIMIT);
    StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    )
}

/// `/mcp` (bearer token required) and the protected-resource metadata (public).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/mcp", post(transport).get(transport).delete(transport))
        .route("/.well-known/oauth-protected-resource", get(metadata))
        .route("/.well-known/oauth-protected-resource/mcp", get(metadata))
}

/// Hands an authenticated request to rmcp; the caller travels with it in the request's extensions. A POST
/// body is read first (at most [`BODY_LIMIT`]) and must be JSON-RPC: what is not gets the JSON-RPC error the
/// specification names (`-32700` parse error, `-32600` invalid request) rather than a bare HTTP status.
async fn transport(
    State(state): State<AppState>,
    McpCaller(actor): McpCaller,
    spender: Spender,
    request: Request,
) -> Response {
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(actor);
    let body = if parts.method == axum::http::Method::POST {
        let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
            Ok(bytes) => bytes,
            Err(_) => {
                return jsonrpc_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    -32600,
                    &format!("the message is larger than {BODY_LIMIT} bytes"),
                );
            }
        };
        let message = match check_jsonrpc(&bytes) {
            Ok(message) => message,
            Err(problem) => return problem,
        };
        if let Err(refused) = spend_on_tool_calls(&state, &spender, &message) {
            return refused;
        }
        axum::body::Body::from(bytes)
    } else {
        body
    };
    let request = Request::from_parts(parts, body);
    match state.mcp.clone().oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    }
}

/// The caller of `/mcp`: the REST API's bearer token. Without one (or with a wrong one): `401` with
/// `WWW-Authenticate` pointing at the protected-resource metadata, as MCP's authorization spec asks.
pub struct McpCaller(pub Actor);

impl FromRequestParts<AppState> for McpCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .map(str::to_owned);
        let actor = match token {
            Some(token) => state.core.authenticate(&token).await,
            None => Ok(None),
        };
        match actor {
            Ok(Some(actor)) => Ok(McpCaller(actor)),
            Ok(None) => Err(unauthorized(&parts.headers)),
            Err(err) => Err(ApiError::from(err).into_response()),
        }
    }
}

/// Charges one request of the budget per `tools/call` in `message` (one, or a batch); other methods
/// (`initialize`, `tools/list`, notifications) are free. Past the budget: `429` with `Retry-After` and a
/// JSON-RPC error answering the request's id.
#[allow(clippy::result_large_err)]
fn spend_on_tool_calls(
    state: &AppState,
    spender: &Spender,
    message: &serde_json::Value,
) -> Result<(), Response> {
    let is_call =
        |m: &serde_json::Value| m.get("method").and_then(|v| v.as_str()) == Some("tools/call");
    let calls = match message {
        serde_json::Value::Array(batch) => batch.iter().filter(|&m| is_call(m)).count(),
        single => usize::from(is_call(single)),
    };
    if calls == 0 {
        return Ok(());
    }
    let count = u32::try_from(calls).unwrap_or(u32::MAX);
    budgets::spend_many(state, spender, ExpensiveRoute::McpToolCall, count).map_err(|refused| {
        let (text, retry_after) = match refused {
            ApiError::TooManyRequests {
                message,
                retry_after,
            } => (message, retry_after),
            other => return other.into_response(),
        };
        let id = message
            .get("id")
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        let body =
            json!({ "jsonrpc": "2.0", "id": id, "error": { "code": -32000, "message": text } });
        let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, retry_after_value(retry_after));
        response
    })
}

/// A POST body must be a JSON object (or a batch of them) with `"jsonrpc": "2.0"`; returns it parsed.
#[allow(clippy::result_large_err)]
fn check_jsonrpc(bytes: &[u8]) -> Result<serde_json::Value, Response> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|err| {
        jsonrpc_error(
            StatusCode::BAD_REQUEST,
            -32700,
            &format!("parse error: {err}"),
        )
    })?;
    let is_message =
        |m: &serde_json::Value| m.get("jsonrpc").and_then(|v| v.as_str()) == Some("2.0");
    let valid = match &value {
        serde_json::Value::Object(_) => is_message(&value),
        serde_json::Value::Array(batch) => !batch.is_empty() && batch.iter().all(is_message),
        _ => false,
    };
    if !valid {
        return Err(jsonrpc_error(
            StatusCode::BAD_REQUEST,
            -32600,
            "invalid request: a JSON-RPC 2.0 message is an object with \"jsonrpc\": \"2.0\"",
        ));
    }
    Ok(value)
}

/// A JSON-RPC error answer with no id (the request's could not be read).
fn jsonrpc_error(status: StatusCode, code: i64, message: &str) -> Response {
    let body =
        json!({ "jsonrpc": "2.0", "id": null, "error": { "code": code, "message": message } });
    (status, Json(body)).into_response()
}

fn unauthorized(headers: &HeaderMap) -> Response {
    let metadata = format!("{}{METADATA_PATH}", base_url(headers));
    let challenge = format!("Bearer resource_metadata=\"{metadata}\"");
    let mut response = ApiError::Unauthorized(
        "send `Authorization: Bearer <token>`, a Drydock API token (POST /api/auth/login gives one)".into(),
    )
    .into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// RFC 9728 protected-resource metadata for `/mcp`: the resource, and that tokens go in the header.
/// Drydock is not an OAuth authorization server: tokens come from `POST /api/auth/login` (or an operator),
/// so no `authorization_servers` are listed.
async fn metadata(headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    let body = json!({
        "resource": format!("{base}/mcp"),
        "resource_name": "Drydock MCP",
        "bearer_methods_supported": ["header"],
        "resource_documentation": format!("{base}/api/openapi.json"),
    });
    (StatusCode::OK, Json(body)).into_response()
}

/// `http://<Host>`: the address the client used (the host guard already checked it is one of ours).
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}
