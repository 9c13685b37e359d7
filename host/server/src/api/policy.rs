//! `GET /api/policy` (grants, LivePolicy, master switch), `PUT /api/policy/plugins/{plugin}/live`
//! (operators) and `GET /api/policy/suggest?execution=|session=|run=` (operators: the smallest grants that
//! cover what a traced run used). The master switch is read-only here: only the process environment sets it.

use std::collections::BTreeSet;

use axum::extract::{Path, Query, State};
use axum::routing::{get, put};
use axum::{Json, Router};
use drydock_core::live_policy::{LiveEntry, LiveSource};
use drydock_core::policy_suggest::TraceOf;
use drydock_policy::Capability;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Caller;
use super::{ApiError, AppState};

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/policy", get(show))
        .route("/api/policy/plugins/{plugin}/live", put(set_live))
        .route("/api/policy/suggest", get(suggest))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuggestQuery {
    execution: Option<String>,
    session: Option<String>,
    run: Option<String>,
}

/// The suggested policy file, its diff against the running one, and what happened to every grant of the
/// plugins in the trace (`unusedGrants` lists the ones the trace never used).
async fn suggest(
    State(state): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<SuggestQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|err| ApiError::invalid(err.body_text()))?;
    let of = match (query.execution, query.session, query.run) {
        (Some(id), None, None) => TraceOf::Execution(id),
        (None, Some(id), None) => TraceOf::Session(id),
        (None, None, Some(id)) => TraceOf::Run(id),
        _ => {
            return Err(ApiError::invalid(
                "name exactly one trace: `?execution=<correlation id>`, `?session=<session id>` (its current \
                 plan's executions) or `?run=<workflow run id>`",
            ));
        }
    };
    let suggestion = state.core.suggest_policy(&actor, of).await?;
    let unused: Vec<String> = suggestion
        .suggestion
        .unused()
        .map(|change| format!("{}: {}", change.plugin, change.grant))
        .collect();
    let mut body = serde_json::to_value(&suggestion).map_err(ApiError::internal)?;
    body["unusedGrants"] = json!(unused);
    Ok(Json(body))
}

async fn show(State(state): State<AppState>, Caller(_): Caller) -> Json<Value> {
    let runtime = state.core.runtime();
    let policy = runtime.policy();
    let plugins: serde_json::Map<String, Value> = policy
        .plugins()
        .map(|(name, grants)| (name.to_owned(), grants_json(grants, HostPaths::Shown)))
        .collect();
    let live: Vec<Value> = state.core.live_entries().iter().map(live_json).collect();
    Json(json!({
        "plugins": plugins,
        "livePolicy": *runtime.live_policy(),
        "live": live,
        "masterSwitch": runtime.master_switch(),
    }))
}

/// One plugin's live list in force and where it comes from: `file`, or `operator <name> at <time>` (an
/// operator's toggle replaces the file's list for that plugin, also after a restart).
fn live_json(entry: &LiveEntry) -> Value {
    let mut shown = json!({
        "plugin": entry.plugin,
        "capabilities": entry.capabilities,
        "source": entry.source.to_string(),
    });
    if let LiveSource::Operator { name, at } = &entry.source {
        shown["setBy"] = json!(name);
        shown["setAt"] = json!(at);
    }
    shown
}

/// Whether the host directories behind fs grants are shown (the policy view) or only where the plugin sees
/// them (the tool list).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostPaths {
    Shown,
    Hidden,
}

/// One plugin's grants as the API shows them.
pub(crate) fn grants_json(grants: &drydock_policy::PluginGrants, paths: HostPaths) -> Value {
    let fs: Vec<Value> = grants
        .fs
        .iter()
        .map(|g| {
            let mut grant = json!({ "mount": g.mount, "access": g.access.to_string() });
            if paths == HostPaths::Shown {
                grant["path"] = json!(g.dir);
            }
            grant
        })
        .collect();
    // `methods` is a list, as in the policy file.
    let http: Vec<Value> = grants
        .http
        .iter()
        .map(|g| {
            let methods: Vec<&str> = g.methods.iter().map(|m| m.as_str()).collect();
            json!({ "url": g.prefix.to_string(), "methods": methods })
        })
        .collect();
    json!({
        "http": http,
        "fs": fs,
        "secrets": grants.secrets,
        "env": grants.env,
        "llm": grants.llm,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LiveToggle {
    capabilities: BTreeSet<Capability>,
}

async fn set_live(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(plugin): Path<String>,
    body: Result<Json<LiveToggle>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(toggle) = body?;
    state
        .core
        .set_live(&actor, &plugin, toggle.capabilities)
        .await?;
    let live = state.core.runtime().live_policy();
    Ok(Json(
        json!({ "plugin": plugin, "capabilities": live.allowed(&plugin) }),
    ))
}
