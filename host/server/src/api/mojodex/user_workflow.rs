//! `GET /user_workflow?datetime=…&platform=…&version=…`: the caller's workflows, `{user_workflows:
//! [{user_workflow_pk, workflow_pk, name, icon, description, inputs_spec: [{input_name, …}], steps:
//! [{workflow_step_pk, step_name}]}]}`, by name. With `user_workflow_pk` it answers that one workflow
//! (404 when it is not the caller's), as Mojodex does; `n_user_workflows` (at most 50) and `offset` page.
//!
//! Every Drydock workflow the caller may see is one of the caller's workflows. The integers are stable:
//! made on first use and stored. `inputs_spec` lists the flow's declared inputs, then the variable of each
//! input node (a Mojodex client gives those at start too; see [`super::user_workflow_execution`]), with
//! Drydock's `description`, `type` and `default` beside Mojodex's `input_name`. Drydock workflows have
//! no icon: every one shows the same.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use drydock_core::mojodex::MojodexWorkflow;
use drydock_workflow::NodeKind;
use serde_json::{Value, json};

use super::{MojodexCaller, MojodexError, pk_param, require_datetime_param};
use crate::api::AppState;

/// The icon of every workflow (Drydock's YAML has none).
pub const ICON: &str = "⚙️";
/// The most workflows one page lists (Mojodex's cap).
const MAX_PAGE: usize = 50;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/user_workflow", get(list))
}

async fn list(
    State(state): State<AppState>,
    caller: MojodexCaller,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, MojodexError> {
    let Query(query) = query?;
    require_datetime_param(&query)?;
    if query.contains_key("user_workflow_pk") {
        let pk = pk_param(&query, "user_workflow_pk")?;
        let workflow = state.core.mojodex_workflow(&caller.actor, pk).await?;
        return Ok(Json(workflow_json(&workflow)));
    }
    let limit = count_param(&query, "n_user_workflows")?
        .unwrap_or(MAX_PAGE)
        .min(MAX_PAGE);
    let offset = count_param(&query, "offset")?.unwrap_or(0);
    let workflows = state.core.mojodex_workflows(&caller.actor).await?;
    Ok(Json(json!({
        "user_workflows": workflows
            .iter()
            .skip(offset)
            .take(limit)
            .map(workflow_json)
            .collect::<Vec<_>>(),
    })))
}

/// An optional query parameter that must be a count.
fn count_param(query: &HashMap<String, String>, name: &str) -> Result<Option<usize>, MojodexError> {
    query
        .get(name)
        .map(|text| {
            text.trim().parse::<usize>().map_err(|_| {
                MojodexError::bad_request(format!("`{name}` must be a non-negative integer"))
            })
        })
        .transpose()
}

/// One workflow as Mojodex lists it.
pub fn workflow_json(workflow: &MojodexWorkflow) -> Value {
    json!({
        "user_workflow_pk": workflow.user_workflow_pk,
        "workflow_pk": workflow.workflow_pk,
        "name": workflow.flow.name(),
        "icon": ICON,
        "description": workflow.flow.description(),
        "inputs_spec": inputs_spec(workflow),
        "steps": steps_json(workflow),
    })
}

/// `[{workflow_step_pk, step_name}]`, every node in document order.
pub fn steps_json(workflow: &MojodexWorkflow) -> Vec<Value> {
    workflow
        .steps
        .iter()
        .map(|(pk, name)| json!({ "workflow_step_pk": pk, "step_name": name }))
        .collect()
}

/// `[{input_name, description, type, default?}]`: declared inputs, then input nodes' variables.
fn inputs_spec(workflow: &MojodexWorkflow) -> Vec<Value> {
    let flow = &workflow.flow;
    workflow
        .inputs
        .iter()
        .map(|name| {
            if let Some(input) = flow.inputs().iter().find(|i| &i.name == name) {
                let mut spec = json!({
                    "input_name": name,
                    "description": input.description,
                    "type": input.var_type,
                });
                if let Some(default) = &input.default {
                    spec["default_value"] = default.clone();
                }
                return spec;
            }
            let asked_by = flow.nodes().iter().find_map(|node| match &node.kind {
                NodeKind::Input(input) if &input.output.name == name => Some((node, input)),
                _ => None,
            });
            match asked_by {
                Some((node, input)) => json!({
                    "input_name": name,
                    "description": input.prompt,
                    "type": input.output.var_type,
                    "options": input.options,
                    "asked_by_step": node.name,
                }),
                None => json!({ "input_name": name }),
            }
        })
        .collect()
}
