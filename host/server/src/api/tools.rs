//! `GET /api/tools` and `POST /api/tools/{name}/invoke {args, mode?}` (dry-run unless asked and allowed).
//! Arguments that do not fit the tool's input schema are a 400 `invalid_field` naming the field; the plugin
//! does not run.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use drydock_policy::Mode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Caller, CallerOrAnonymous};
use super::budgets::{self, ExpensiveRoute, Spender};
use super::policy::{HostPaths, grants_json};
use super::{ApiError, AppState};

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tools", get(list))
        .route("/api/tools/{name}/invoke", post(invoke))
}

/// The native list for a caller with a token or console session. Without either, Astonish's studio (it
/// says so with `X-Requested-With: XMLHttpRequest`) gets its own shape, names and descriptions only; any
/// other caller without a token gets the 401 of every native route.
async fn list(
    State(state): State<AppState>,
    CallerOrAnonymous(actor): CallerOrAnonymous,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    if actor.is_anonymous() {
        if super::astonish::from_page_script(&headers) {
            return Ok(Json(super::astonish::studio_tools(&state)));
        }
        return Err(ApiError::Unauthorized(
            "send `Authorization: Bearer <token>` (POST /api/auth/login gives one)".into(),
        ));
    }
    let runtime = state.core.runtime();
    let policy = runtime.policy();
    let live = runtime.live_policy();
    let master_switch = runtime.master_switch();
    let tools: Vec<Value> = runtime
        .tools()
        .into_iter()
        .map(|tool| {
            let grants = policy.grants(&tool.plugin);
            let capabilities = live.allowed(&tool.plugin);
            let needs = live_needs(&tool.plugin, !capabilities.is_empty(), master_switch);
            json!({
                "name": tool.name,
                "description": tool.description,
                "inputSchema": tool.input_schema,
                "plugin": tool.plugin,
                "source": tool.plugin,
                "grants": grants_json(grants, HostPaths::Hidden),
                "liveCapable": needs.is_empty(),
                "liveCapabilities": capabilities,
                "liveNeeds": needs,
            })
        })
        .collect();
    Ok(Json(json!({ "tools": tools })))
}

/// What the server lacks for the plugin's writes to go live (empty when nothing is lacking; each call then
/// still needs an operator asking for live, and for plans an approved, unchanged plan).
fn live_needs(plugin: &str, listed: bool, master_switch: bool) -> Vec<String> {
    let mut needs = Vec::new();
    if !listed {
        needs.push(format!(
            "an operator turns a capability live for `{plugin}` (PUT /api/policy/plugins/{plugin}/live)"
        ));
    }
    if !master_switch {
        needs.push("the server runs with DRYDOCK_LIVE=1 (the master switch is off)".to_owned());
    }
    needs
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Invoke {
    #[serde(default = "empty_object")]
    args: Value,
    #[serde(default)]
    mode: Mode,
}

fn empty_object() -> Value {
    json!({})
}

async fn invoke(
    State(state): State<AppState>,
    Caller(actor): Caller,
    spender: Spender,
    Path(name): Path<String>,
    body: Result<Json<Invoke>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<drydock_runtime::InvocationReport>, ApiError> {
    budgets::spend(&state, &spender, ExpensiveRoute::ToolInvoke)?;
    let Json(request) = body?;
    if !request.args.is_object() {
        return Err(ApiError::invalid("`args` must be a JSON object"));
    }
    let report = state
        .core
        .invoke_tool(&actor, &name, request.args, request.mode)
        .await?;
    state.metrics.invocation(
        match &report.outcome {
            Ok(_) => "ok",
            Err(err) => err.code(),
        },
        std::time::Duration::from_millis(report.duration_ms),
        report
            .record
            .effects
            .iter()
            .map(|e| (e.capability.to_string(), e.outcome.to_string())),
    );
    // The tool did not run in either case, so there is no report to show: an error answers instead.
    match &report.outcome {
        Err(err @ drydock_runtime::InvokeError::UnknownTool { .. }) => {
            Err(ApiError::NotFound(err.to_string()))
        }
        Err(err @ drydock_runtime::InvokeError::InvalidArguments { .. }) => {
            Err(ApiError::invalid(err.to_string()))
        }
        _ => Ok(Json(report)),
    }
}
