//! The built-in MCP tools, prefixed `drydock_`: how an agent gets from a rehearsal to something real
//! without ever approving anything itself.
//!
//! - `drydock_propose_plan {title, description?, steps: [{tool, args, description?}]}`: the calls it
//!   rehearsed become a session and a plan `pending_approval` (visible in the plan and chat APIs), rehearsed
//!   at once; the answer shows every effect of the rehearsal and where a person approves it.
//! - `drydock_plan_status {sessionId}`: the plan's status, version, hash and approval, and the summary of its
//!   rehearsal report ("what will change", with the hash an approval binds); `drydock_propose_plan` answers
//!   it too (`rehearsalReport`).
//! - `drydock_execute_plan {sessionId}`: runs the approved plan; live only when the caller is an operator
//!   and every other key turns (master switch, LivePolicy, unchanged approved hash), dry otherwise.
//!
//! There is no tool that approves, grants or toggles: approval is a person's act through the plan API.

use std::sync::Arc;

use drydock_core::proposals::{NodeRun, ProposedStep};
use drydock_core::{Actor, Core, CoreError, PlanRow};
use rmcp::model::{CallToolResult, ContentBlock, MetaObject, Tool, ToolAnnotations};
use serde_json::{Value, json};

use super::names;
use super::tools::object;

/// The prefix of every built-in tool.
pub const PREFIX: &str = "drydock_";

const EXECUTE_PLAN: &str = "drydock_execute_plan";
const PLAN_STATUS: &str = "drydock_plan_status";
const PROPOSE_PLAN: &str = "drydock_propose_plan";

/// The built-in tools' names: a plugin's tool is never listed under one of them ([`super::names`]).
pub const NAMES: [&str; 3] = [EXECUTE_PLAN, PLAN_STATUS, PROPOSE_PLAN];

/// The built-in tools, sorted by name.
pub fn list() -> Vec<Tool> {
    let propose = json!({
        "type": "object",
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": 512, "description": "What the plan does."},
            "description": {"type": "string", "maxLength": 4096},
            "steps": {
                "type": "array", "minItems": 1, "maxItems": drydock_core::proposals::MAX_PROPOSED_STEPS,
                "description": "The tool calls to make, in order (the ones you rehearsed with tools/call).",
                "items": {
                    "type": "object",
                    "properties": {
                        "tool": {"type": "string", "description": "The tool's name from tools/list."},
                        "args": {"type": "object"},
                        "description": {"type": "string", "maxLength": 512},
                    },
                    "required": ["tool", "args"],
                    "additionalProperties": false,
                },
            },
        },
        "required": ["title", "steps"],
        "additionalProperties": false,
    });
    let session = json!({
        "type": "object",
        "properties": {"sessionId": {"type": "string", "description": "From drydock_propose_plan."}},
        "required": ["sessionId"],
        "additionalProperties": false,
    });
    vec![
        Tool::new(
            EXECUTE_PLAN,
            "Runs a plan a person approved: live only when you act as an operator and the operator allowed \
             its writes (master switch, LivePolicy, unchanged approved hash); dry otherwise. Refused until \
             the plan is approved. Live, only the writes its approved rehearsal showed are performed; any other \
             waits for an operator's review.",
            Arc::new(object(session.clone())),
        )
        .with_annotations(
            ToolAnnotations::new()
                .read_only(false)
                .destructive(true)
                .open_world(true)
                .idempotent(false),
        ),
        Tool::new(
            PLAN_STATUS,
            "The status of a proposed plan: pending_approval until a person approves it, then approved, \
             executing, completed or failed; and what will change (its rehearsal's writes and the hash an \
             approval binds).",
            Arc::new(object(session)),
        )
        .with_annotations(
            ToolAnnotations::new()
                .read_only(true)
                .destructive(false)
                .open_world(false)
                .idempotent(true),
        ),
        Tool::new(
            PROPOSE_PLAN,
            "Proposes the tool calls you rehearsed as a plan for a person to approve. It is rehearsed at once \
             (a dry run) and waits for approval through Drydock's plan API; you cannot approve it.",
            Arc::new(object(propose)),
        )
        .with_annotations(
            ToolAnnotations::new()
                .read_only(false)
                .destructive(false)
                .open_world(false)
                .idempotent(false),
        ),
    ]
}

/// Runs built-in tool `name`; a refusal or bad arguments are `isError` results with the reason.
pub async fn call(core: &Core, actor: &Actor, name: &str, args: &Value) -> Option<CallToolResult> {
    let outcome = match name {
        PROPOSE_PLAN => propose(core, actor, args).await,
        PLAN_STATUS => status(core, actor, args).await,
        EXECUTE_PLAN => execute(core, actor, args).await,
        _ => return None,
    };
    Some(outcome.unwrap_or_else(|message| CallToolResult::error(vec![ContentBlock::text(message)])))
}

async fn propose(core: &Core, actor: &Actor, args: &Value) -> Result<CallToolResult, String> {
    let title = args["title"]
        .as_str()
        .filter(|t| !t.trim().is_empty())
        .ok_or("`title` must be a non-empty string")?;
    let description = args["description"].as_str().unwrap_or_default();
    let steps = args["steps"]
        .as_array()
        .ok_or("`steps` must be an array of {tool, args, description?}")?
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let tool = step["tool"]
                .as_str()
                .ok_or(format!("steps[{i}].tool must be a string"))?;
            Ok(ProposedStep {
                // The plan keeps the Drydock name, as the plan API shows it; a name no tool goes by is kept
                // as sent, for the proposal's own error to name.
                tool: names::resolve(core.runtime(), tool).unwrap_or_else(|| tool.to_owned()),
                args: match &step["args"] {
                    Value::Object(_) => step["args"].clone(),
                    _ => return Err(format!("steps[{i}].args must be an object")),
                },
                description: step["description"].as_str().map(str::to_owned),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let proposal = core
        .propose_plan(actor, title, description, steps)
        .await
        .map_err(shown)?;
    let session_id = proposal.session.id.clone();
    let rehearsal: Vec<Value> = proposal.rehearsal.iter().map(node_run).collect();
    let mut text = format!(
        "Proposed plan {} (version {}, hash {}) for session {session_id}: pending approval. It was rehearsed \
         as a dry run:",
        proposal.plan.id, proposal.plan.version, proposal.plan.content_hash
    );
    for run in &proposal.rehearsal {
        text.push_str(&format!("\n{} ({}):", run.node_id, run.correlation_id));
        if run.effects.is_empty() {
            text.push_str(" no effects");
        }
        for effect in &run.effects {
            text.push_str(&format!(
                "\n- {} {} {}: {}",
                effect.outcome, effect.capability, effect.action, effect.reason
            ));
        }
    }
    let report = core
        .plan_rehearsal(actor, &session_id)
        .await
        .map_err(shown)?;
    text.push_str(&format!("\n{}", report.summary_text()));
    text.push_str(&format!(
        "\nA person approves it with POST /api/sessions/{session_id}/plan/approve (the chat API lists it as \
         task {}); then drydock_execute_plan runs it.",
        proposal.task_id
    ));
    let structured = json!({
        "sessionId": session_id,
        "taskId": proposal.task_id,
        "plan": plan_json(&proposal.plan),
        "rehearsal": rehearsal,
        "rehearsalReport": report.summary(&session_id),
        "approve": format!("POST /api/sessions/{session_id}/plan/approve"),
    });
    Ok(with_structure(text, structured))
}

async fn status(core: &Core, actor: &Actor, args: &Value) -> Result<CallToolResult, String> {
    let session_id = session_id(args)?;
    let plan = core
        .current_plan(actor, session_id)
        .await
        .map_err(shown)?
        .ok_or("the session has no plan")?;
    let report = core
        .plan_rehearsal(actor, session_id)
        .await
        .map_err(shown)?;
    let bound = match plan.approved_rehearsal_hash.as_deref() {
        Some(hash) if hash == report.hash => " The approval binds this rehearsal.",
        Some(_) => {
            " The rehearsal changed since approval: live runs are refused until a person approves it again."
        }
        None => "",
    };
    let text = format!(
        "Plan {} of session {session_id}: {} (version {}{}).\n{}{bound}",
        plan.id,
        plan.status,
        plan.version,
        plan.approved_by
            .as_deref()
            .map(|by| format!(", approved by {by}"))
            .unwrap_or_default(),
        report.summary_text()
    );
    Ok(with_structure(
        text,
        json!({
            "sessionId": session_id,
            "plan": plan_json(&plan),
            "rehearsalReport": report.summary(session_id),
        }),
    ))
}

async fn execute(core: &Core, actor: &Actor, args: &Value) -> Result<CallToolResult, String> {
    let session_id = session_id(args)?;
    let run = core
        .run_approved_plan(actor, session_id)
        .await
        .map_err(shown)?;
    let text = format!(
        "Plan {} ran {} and ended {:?} (executions: {}). {}",
        run.plan.id,
        run.mode,
        run.end,
        run.correlation_ids.join(", "),
        if run.mode.as_str() == "live" {
            "Each write went live only where the master switch and the LivePolicy allowed it; the others were \
             simulated. GET /api/executions/{id} shows every effect."
        } else {
            "Live runs need an operator; this one was a dry run."
        }
    );
    Ok(with_structure(
        text,
        json!({
            "sessionId": session_id,
            "plan": plan_json(&run.plan),
            "mode": run.mode,
            "executions": run.correlation_ids,
        }),
    ))
}

fn session_id(args: &Value) -> Result<&str, String> {
    args["sessionId"]
        .as_str()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| "`sessionId` must be a string (from drydock_propose_plan)".to_owned())
}

fn plan_json(plan: &PlanRow) -> Value {
    json!({
        "planId": plan.id,
        "version": plan.version,
        "status": plan.status,
        "hash": plan.content_hash,
        "approvedBy": plan.approved_by,
        "approvedRehearsalHash": plan.approved_rehearsal_hash,
        "nodes": plan.content["nodes"],
    })
}

fn node_run(run: &NodeRun) -> Value {
    json!({
        "nodeId": run.node_id,
        "correlationId": run.correlation_id,
        "effects": run.effects.iter().map(|e| json!({
            "capability": e.capability,
            "action": e.action,
            "outcome": e.outcome,
            "reason": e.reason,
        })).collect::<Vec<_>>(),
    })
}

fn with_structure(text: String, structured: Value) -> CallToolResult {
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(structured);
    result.meta = Some(MetaObject(object(json!({ "dev.drydock/channel": "mcp" }))));
    result
}

/// A core refusal as the agent reads it (internal causes go to the log).
fn shown(error: CoreError) -> String {
    match error {
        CoreError::Internal(cause) => {
            tracing::error!(cause, "a built-in MCP tool failed in the host");
            "the server failed to handle this; the cause is in its log".into()
        }
        CoreError::Conflict { message, .. } => message,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserved_names_are_the_built_in_tools() {
        let listed: Vec<String> = list().iter().map(|tool| tool.name.to_string()).collect();
        assert_eq!(listed, NAMES);
        assert!(NAMES.iter().all(|name| name.starts_with(PREFIX)));
    }
}
