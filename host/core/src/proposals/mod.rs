//! Plans an agent proposes from the tool calls it rehearsed (the MCP face's `drydock_propose_plan`), their
//! status, and running them once a person approved them.
//!
//! A proposal becomes an ordinary session (work item type `mcp`) with a plan `pending_approval`: one node
//! per proposed step, each depending on the one before, so the plan and chat APIs show it like any other.
//! It is rehearsed at once: every node runs dry as an execution of that plan version, so the effects a
//! person approves are on record beside it. Approval happens through the plan API or the CLI, never here:
//! nothing in this module approves anything. Running an approved plan asks for live only when the caller is
//! an operator; each effect then still needs the master switch, the LivePolicy and the unchanged approved
//! hash, and is simulated otherwise.

use drydock_policy::Mode;
use drydock_runtime::Effect;
use serde_json::{Value, json};

use crate::actor::Actor;
use crate::chat::RunEnd;
use crate::core_error::CoreError;
use crate::execute::approval_of;
use crate::plan_check::check_plan;
use crate::service::{Channel, Core};
use crate::store::{PlanRow, PlanStatus, Role, SessionRow};

/// The chat API's `user_id` of the conversations that proposals become.
pub const PROPOSALS_USER_ID: &str = "mcp";

/// Most steps one proposal may have.
pub const MAX_PROPOSED_STEPS: usize = 32;

/// One tool call of a proposal.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposedStep {
    /// `<plugin>.<tool>`.
    pub tool: String,
    /// Its arguments (checked against the tool's schema).
    pub args: Value,
    /// What it is for, shown as the node's title.
    pub description: Option<String>,
}

/// A stored, rehearsed proposal.
#[derive(Debug, Clone)]
pub struct Proposal {
    /// The session it became.
    pub session: SessionRow,
    /// Its plan, `pending_approval`.
    pub plan: PlanRow,
    /// The chat task it is shown as (conversation = the session, `user_id` [`PROPOSALS_USER_ID`]).
    pub task_id: String,
    /// What the rehearsal did, node by node.
    pub rehearsal: Vec<NodeRun>,
}

/// One node run (of a rehearsal or a live run).
#[derive(Debug, Clone)]
pub struct NodeRun {
    /// The node.
    pub node_id: String,
    /// Its execution.
    pub correlation_id: String,
    /// The effects of its steps.
    pub effects: Vec<Effect>,
}

/// How running a plan went.
#[derive(Debug, Clone)]
pub struct PlanRun {
    /// The plan after the run.
    pub plan: PlanRow,
    /// The mode asked for (live only for operators).
    pub mode: Mode,
    /// `completed`, `failed` or `cancelled`.
    pub end: RunEnd,
    /// Each node's execution.
    pub correlation_ids: Vec<String>,
}

impl Core {
    /// Stores `steps` as a new session's plan, `pending_approval`, and rehearses it (every node dry).
    pub async fn propose_plan(
        &self,
        actor: &Actor,
        title: &str,
        description: &str,
        steps: Vec<ProposedStep>,
    ) -> Result<Proposal, CoreError> {
        if steps.is_empty() || steps.len() > MAX_PROPOSED_STEPS {
            return Err(CoreError::Invalid(format!(
                "a proposal has 1 to {MAX_PROPOSED_STEPS} steps, not {}",
                steps.len()
            )));
        }
        let plan = plan_of(&steps);
        check_plan(&plan, &self.shared.runtime.tools()).map_err(|problems| {
            CoreError::Invalid(format!(
                "the proposed plan is invalid: {}",
                problems.join("; ")
            ))
        })?;
        let work_item = json!({
            "id": format!("mcp-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
            "title": title,
            "description": description,
            "type": "mcp",
        });
        let session = self.create_session(actor, work_item).await?;
        let row = self
            .add_plan_version(
                &actor.name,
                &session.id,
                plan,
                "plan.propose",
                None,
                Some(Channel::Mcp),
            )
            .await?;
        let task_id = self
            .show_in_chat(&session.id, &row, title, description)
            .await?;
        let rehearsal = self.rehearse(actor, &row).await?;
        tracing::info!(
            session = session.id,
            task = task_id,
            actor = actor.name,
            "an agent proposed a plan over MCP"
        );
        Ok(Proposal {
            session,
            plan: row,
            task_id,
            rehearsal,
        })
    }

    /// Makes the proposal a chat conversation (client user [`PROPOSALS_USER_ID`]) whose task is its plan, with
    /// a first message saying where it came from, so that the chat API lists it beside the tasks people
    /// asked for (`GET /api/v1/tasks?user_id=mcp`).
    async fn show_in_chat(
        &self,
        session_id: &str,
        plan: &PlanRow,
        title: &str,
        description: &str,
    ) -> Result<String, CoreError> {
        let (sid, plan_id) = (session_id.to_owned(), plan.id.clone());
        let summary = if description.trim().is_empty() {
            title.to_owned()
        } else {
            format!("{title}: {description}")
        };
        let steps = plan.content["nodes"].as_array().map_or(0, Vec::len);
        let message = format!(
            "An agent proposed this plan over MCP ({steps} step{}, rehearsed dry: each step's effects are on              record). Nothing runs for real until a person approves it.",
            if steps == 1 { "" } else { "s" }
        );
        let task = self
            .store(move |s| {
                s.insert_conversation(&sid, PROPOSALS_USER_ID)?;
                let task = s.insert_task(&sid, &plan_id, &summary, &[])?;
                s.append_message(&sid, "assistant", &message, None, Some(&task.id))?;
                Ok(task)
            })
            .await?;
        Ok(task.id)
    }

    /// Runs every node of `plan` dry, in order, as executions of that plan version.
    async fn rehearse(&self, actor: &Actor, plan: &PlanRow) -> Result<Vec<NodeRun>, CoreError> {
        let mut runs = Vec::new();
        for node in plan.content["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let node_id = node["nodeId"].as_str().unwrap_or_default().to_owned();
            let correlation_id = self
                .start_execution(&actor.name, plan, &node_id, Mode::DryRun)
                .await?;
            let effects = self
                .run_node(
                    &plan.session_id,
                    &correlation_id,
                    node,
                    Mode::DryRun,
                    approval_of(plan),
                    None,
                )
                .await?;
            runs.push(NodeRun {
                node_id,
                correlation_id,
                effects,
            });
        }
        Ok(runs)
    }

    /// Runs the session's current plan, which must be approved: live when the caller is an operator (each
    /// effect still decided by the master switch, the LivePolicy and the approved hash), dry otherwise.
    pub async fn run_approved_plan(
        &self,
        actor: &Actor,
        session_id: &str,
    ) -> Result<PlanRun, CoreError> {
        let (session, plan) = self.session_and_plan(actor, session_id).await?;
        if plan.status != PlanStatus::Approved {
            return Err(CoreError::Conflict {
                code: "plan_not_approved",
                message: format!(
                    "the plan is {}: a person approves it first (POST /api/sessions/{}/plan/approve); its \
                     rehearsal shows what it would do",
                    plan.status, session.id
                ),
            });
        }
        let mode = if actor.role == Role::Operator {
            Mode::Live
        } else {
            Mode::DryRun
        };
        let plan_id = plan.id.clone();
        let (end, correlation_ids) = self.run_plan(&actor.name, plan, mode).await?;
        let plan = self
            .store(move |s| s.plan(&plan_id))
            .await?
            .ok_or_else(|| CoreError::Internal("the plan vanished while it ran".into()))?;
        Ok(PlanRun {
            plan,
            mode,
            end,
            correlation_ids,
        })
    }
}

/// The plan document of a proposal: one node per step, each after the one before.
fn plan_of(steps: &[ProposedStep]) -> Value {
    let nodes: Vec<Value> = steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let depends_on: Vec<String> = if i == 0 {
                Vec::new()
            } else {
                vec![format!("step-{i}")]
            };
            let title = step
                .description
                .clone()
                .unwrap_or_else(|| format!("Call {}", step.tool));
            let mut call = json!({ "tool": step.tool, "args": step.args });
            if let Some(description) = &step.description {
                call["description"] = json!(description);
            }
            json!({
                "nodeId": format!("step-{}", i + 1),
                "title": title,
                "dependsOn": depends_on,
                "suggestedBranch": "",
                "tags": ["mcp"],
                "steps": [call],
            })
        })
        .collect();
    json!({ "nodes": nodes })
}
