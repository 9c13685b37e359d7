//! Running a whole approved plan (the chat face's "approve and execute"): its nodes one after another in
//! dependency order, each node an execution with its own correlation id, the plan's status following
//! along (`executing → completed | failed | cancelled`), and cancellation between steps.
//!
//! Why one node at a time: a node's steps may depend on what an earlier node wrote (in dry-run, the scratch
//! copy), and a person following the run reads it top to bottom. Parallel layers can come later without
//! changing the API.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use drydock_policy::Mode;
use serde_json::{Value, json};

use crate::core_error::CoreError;
use crate::execute::approval_of;
use crate::service::Core;
use crate::store::{AuditEntry, ExecutionStatus, PlanRow, PlanStatus};

/// Sessions whose running plan was cancelled, and by whom. A run checks it before each step.
#[derive(Debug, Default)]
pub struct Cancellations {
    by_session: Mutex<HashMap<String, String>>,
}

impl Cancellations {
    /// Asks the run of `session_id` to stop before its next step.
    pub fn cancel(&self, session_id: &str, by: &str) {
        self.lock().insert(session_id.to_owned(), by.to_owned());
    }

    /// Who cancelled the run of `session_id`, if anyone did.
    pub fn cancelled_by(&self, session_id: &str) -> Option<String> {
        self.lock().get(session_id).cloned()
    }

    fn clear(&self, session_id: &str) {
        self.lock().remove(session_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.by_session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// How a plan run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    /// Every node completed.
    Completed,
    /// A node failed (or was interrupted).
    Failed,
    /// Someone cancelled it.
    Cancelled,
}

impl Core {
    /// Runs every node of the approved `plan` in dependency order. Marks the plan `executing` first and
    /// `completed`, `failed` or `cancelled` at the end, each with an event and an audit row. Answers how it
    /// ended and the correlation id of each node it ran.
    pub(crate) async fn run_plan(
        &self,
        requested_by: &str,
        plan: PlanRow,
        mode: Mode,
    ) -> Result<(RunEnd, Vec<String>), CoreError> {
        let session_id = plan.session_id.clone();
        let mut rehearsed = if mode == Mode::Live {
            let nodes: Vec<String> = in_dependency_order(&plan.content)
                .iter()
                .filter_map(|n| n["nodeId"].as_str().map(str::to_owned))
                .collect();
            Some(self.rehearsed_writes(&plan, &nodes).await?)
        } else {
            None
        };
        self.shared.cancellations.clear(&session_id);
        self.set_plan_status_recorded(
            requested_by,
            &plan,
            PlanStatus::Executing,
            json!({ "mode": mode }),
        )
        .await?;
        let approval = approval_of(&plan);
        let mut correlation_ids = Vec::new();
        let mut end = RunEnd::Completed;
        let mut outcome = json!({});
        for node in in_dependency_order(&plan.content) {
            let node_id = node["nodeId"].as_str().unwrap_or_default().to_owned();
            if self
                .shared
                .cancellations
                .cancelled_by(&session_id)
                .is_some()
            {
                end = RunEnd::Cancelled;
                break;
            }
            let correlation_id = self
                .start_execution(requested_by, &plan, &node_id, mode)
                .await?;
            let writes = rehearsed
                .as_mut()
                .map(|r| r.remove(&node_id).unwrap_or_default());
            self.run_node(
                &session_id,
                &correlation_id,
                node,
                mode,
                approval.clone(),
                writes,
            )
            .await?;
            correlation_ids.push(correlation_id.clone());
            let corr = correlation_id.clone();
            let status = self
                .store(move |s| s.execution(&corr))
                .await?
                .map(|row| row.status);
            if status != Some(ExecutionStatus::Completed) {
                end = if self
                    .shared
                    .cancellations
                    .cancelled_by(&session_id)
                    .is_some()
                {
                    RunEnd::Cancelled
                } else {
                    RunEnd::Failed
                };
                outcome = json!({ "nodeId": node_id, "correlationId": correlation_id });
                break;
            }
        }
        let status = match end {
            RunEnd::Completed => PlanStatus::Completed,
            RunEnd::Failed => PlanStatus::Failed,
            RunEnd::Cancelled => PlanStatus::Cancelled,
        };
        // A cancel request already marked the plan cancelled; do not record it twice.
        if !(end == RunEnd::Cancelled && self.plan_status(&plan.id).await? == Some(status)) {
            self.set_plan_status_recorded(requested_by, &plan, status, outcome)
                .await?;
        }
        self.shared.cancellations.clear(&session_id);
        Ok((end, correlation_ids))
    }

    /// Moves `plan` to `status`, with a `plan_status` event and a `plan.status` audit row.
    pub(crate) async fn set_plan_status_recorded(
        &self,
        actor_name: &str,
        plan: &PlanRow,
        status: PlanStatus,
        detail: Value,
    ) -> Result<(), CoreError> {
        let (plan_id, name) = (plan.id.clone(), actor_name.to_owned());
        let audit_detail =
            json!({ "status": status.as_str(), "version": plan.version, "detail": detail });
        self.store(move |s| {
            s.set_plan_status(&plan_id, status)?;
            s.audit_append(&AuditEntry {
                actor: name,
                action: "plan.status".into(),
                target: Some(plan_id),
                correlation_id: None,
                detail: audit_detail,
            })?;
            Ok(())
        })
        .await?;
        self.emit(
            &plan.session_id,
            "plan_status",
            None,
            json!({ "planId": plan.id, "version": plan.version, "status": status.as_str(), "detail": detail }),
        )
        .await?;
        Ok(())
    }

    async fn plan_status(&self, plan_id: &str) -> Result<Option<PlanStatus>, CoreError> {
        let id = plan_id.to_owned();
        Ok(self.store(move |s| s.plan(&id)).await?.map(|p| p.status))
    }

    /// At start: plans a previous process left `executing` become `failed`, with an event each (their node
    /// executions are marked `interrupted` by [`Core::recover_interrupted`]).
    pub(crate) async fn recover_interrupted_plans(&self) -> Result<usize, CoreError> {
        let plans = self
            .store(|s| s.plans_with_status(PlanStatus::Executing))
            .await?;
        for plan in &plans {
            self.set_plan_status_recorded(
                "drydock",
                plan,
                PlanStatus::Failed,
                json!({ "reason": "the server stopped while this plan was running; approve a new version to run it again" }),
            )
            .await?;
        }
        Ok(plans.len())
    }
}

/// The plan's nodes, each after every node it depends on (plans are checked to be DAGs before they are
/// stored; a node in a cycle would be left out rather than looped on).
pub(crate) fn in_dependency_order(plan: &Value) -> Vec<Value> {
    let nodes: Vec<Value> = plan["nodes"].as_array().cloned().unwrap_or_default();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut ordered = Vec::new();
    while ordered.len() < nodes.len() {
        let ready: Vec<&Value> = nodes
            .iter()
            .filter(|n| !done.contains(n["nodeId"].as_str().unwrap_or_default()))
            .filter(|n| {
                n["dependsOn"].as_array().is_none_or(|deps| {
                    deps.iter()
                        .all(|d| d.as_str().is_some_and(|d| done.contains(d)))
                })
            })
            .collect();
        if ready.is_empty() {
            break;
        }
        for node in ready {
            done.insert(node["nodeId"].as_str().unwrap_or_default().to_owned());
            ordered.push(node.clone());
        }
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_come_after_their_dependencies() {
        let plan = json!({"nodes": [
            {"nodeId": "c", "dependsOn": ["a", "b"]},
            {"nodeId": "b", "dependsOn": ["a"]},
            {"nodeId": "a", "dependsOn": []},
        ]});
        let order: Vec<String> = in_dependency_order(&plan)
            .iter()
            .map(|n| n["nodeId"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(order, ["a", "b", "c"]);
    }

    #[test]
    fn a_cycle_is_left_out_not_looped_on() {
        let plan = json!({"nodes": [
            {"nodeId": "a", "dependsOn": ["b"]},
            {"nodeId": "b", "dependsOn": ["a"]},
        ]});
        assert!(in_dependency_order(&plan).is_empty());
    }

    #[test]
    fn cancellation_is_per_session() {
        let c = Cancellations::default();
        c.cancel("s1", "alice");
        assert_eq!(c.cancelled_by("s1").as_deref(), Some("alice"));
        assert_eq!(c.cancelled_by("s2"), None);
        c.clear("s1");
        assert_eq!(c.cancelled_by("s1"), None);
    }
}
