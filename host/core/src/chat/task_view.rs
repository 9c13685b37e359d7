//! A task as `GET /api/v1/tasks/{id}` shows it: seed 000's `{id, status, description, steps:[{tool_name,
//! description, input, parameters}], created_at, updated_at}`, plus what Drydock adds (the conversation,
//! the plan version and its approval, the requirements, and each step's outcome once it ran).

use serde_json::{Value, json};

use crate::chat::store::TaskRow;
use crate::core_error::CoreError;
use crate::service::Core;
use crate::store::{ExecutionRow, PlanRow};

/// A task with its current plan and the executions of that plan.
#[derive(Debug, Clone)]
pub struct TaskView {
    /// The task.
    pub task: TaskRow,
    /// Its current plan version.
    pub plan: PlanRow,
    /// Executions of that plan version, oldest first.
    pub executions: Vec<ExecutionRow>,
}

impl Core {
    pub(crate) async fn task_view(&self, task: TaskRow) -> Result<TaskView, CoreError> {
        let plan_id = task.plan_id.clone();
        let (plan, executions) = self
            .store(move |s| {
                let plan = s.plan(&plan_id)?.ok_or_else(|| {
                    crate::StoreError::Corrupt(format!("task points at missing plan {plan_id}"))
                })?;
                Ok((plan, s.executions_of_plan(&plan_id)?))
            })
            .await?;
        Ok(TaskView {
            task,
            plan,
            executions,
        })
    }
}

impl TaskView {
    /// The newest execution of node `node_id`, if it ran.
    pub fn execution_of(&self, node_id: &str) -> Option<&ExecutionRow> {
        self.executions
            .iter()
            .rev()
            .find(|e| e.node_id.as_deref() == Some(node_id))
    }

    /// The plan's nodes, as stored.
    pub fn nodes(&self) -> Vec<Value> {
        self.plan.content["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Every step of every node, in plan order: `{tool_name, description, input, parameters, node_id,
    /// status, result?}`. `input` is the text the tool receives (its arguments as JSON), `parameters` the
    /// same arguments as an object; `status` is `pending` until the node runs.
    pub fn steps(&self) -> Vec<Value> {
        let mut steps = Vec::new();
        for node in self.nodes() {
            let node_id = node["nodeId"].as_str().unwrap_or_default();
            let execution = self.execution_of(node_id);
            for (index, step) in node["steps"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                let args = step.get("args").cloned().unwrap_or(json!({}));
                let outcome = execution.and_then(|e| {
                    e.detail["steps"]
                        .as_array()
                        .and_then(|s| s.iter().find(|s| s["step"] == index))
                        .map(|s| s["outcome"].clone())
                });
                let status = match (&outcome, execution) {
                    (Some(outcome), _) => {
                        outcome["status"].as_str().unwrap_or("unknown").to_owned()
                    }
                    (None, Some(e)) if e.status.is_terminal() => "skipped".to_owned(),
                    (None, Some(_)) => "running".to_owned(),
                    (None, None) => "pending".to_owned(),
                };
                let mut entry = json!({
                    "tool_name": step["tool"],
                    "description": step.get("description").cloned().unwrap_or_else(|| node["title"].clone()),
                    "input": args.to_string(),
                    "parameters": args,
                    "node_id": node_id,
                    "status": status,
                });
                if let Some(outcome) = outcome {
                    entry["outcome"] = outcome;
                }
                steps.push(entry);
            }
        }
        steps
    }

    /// The seed-000 JSON, with Drydock's additions.
    pub fn to_json(&self) -> Value {
        let plan = &self.plan;
        json!({
            "id": self.task.id,
            "status": plan.status.as_str(),
            "description": self.task.description,
            "steps": self.steps(),
            "created_at": self.task.created_at,
            "updated_at": plan.updated_at.clone().max(self.task.updated_at.clone()),
            "conversation_id": self.task.session_id,
            "requirements": self.task.requirements,
            "plan": {
                "planId": plan.id,
                "version": plan.version,
                "hash": plan.content_hash,
                "approved": crate::execute::approval_of(plan) == drydock_policy::PlanApproval::Approved,
                "approvedBy": plan.approved_by,
                "approvedAt": plan.approved_at,
            },
            "executions": self.executions.iter().map(|e| json!({
                "correlationId": e.correlation_id,
                "nodeId": e.node_id,
                "mode": e.mode,
                "status": e.status.as_str(),
                "startedAt": e.started_at,
                "finishedAt": e.finished_at,
            })).collect::<Vec<_>>(),
        })
    }
}
