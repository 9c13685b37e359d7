//! Running one plan node: checks, a 202 with a correlation id, then the node's steps as sandboxed tool
//! invocations in the background, each effect and artifact an event.
//!
//! A node may run when every node it depends on has a completed execution. Live mode needs an operator and
//! an approved plan whose content hash is unchanged since approval, and a rehearsal bound by that approval
//! (see [`crate::rehearsals`]); each effect still passes the LivePolicy and the master switch in the
//! runtime, and a live write the rehearsal did not show waits for an operator. A restart marks executions that were under way `interrupted`.

use std::sync::Arc;

use drydock_policy::{Mode, PlanApproval, RehearsedEffects};
use drydock_runtime::{InvokeRequest, RehearsalBinding};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::actor::Actor;
use crate::core_error::CoreError;
use crate::rehearsals::review::CoreDesk;
use crate::service::Core;
use crate::store::{ArtifactRow, AuditEntry, ExecutionRow, ExecutionStatus, PlanRow, Role};

impl Core {
    /// Starts node `node_id` of the session's current plan; returns its correlation id at once.
    pub async fn execute_node(
        &self,
        actor: &Actor,
        session_id: &str,
        node_id: &str,
        mode: Mode,
    ) -> Result<String, CoreError> {
        let (session, plan) = self.session_and_plan(actor, session_id).await?;
        let node = plan.content["nodes"]
            .as_array()
            .and_then(|nodes| nodes.iter().find(|n| n["nodeId"] == node_id))
            .cloned()
            .ok_or_else(|| {
                CoreError::NotFound(format!("the current plan has no node `{node_id}`"))
            })?;
        let approval = approval_of(&plan);
        let mut rehearsed = None;
        if mode == Mode::Live {
            actor.require_operator("running a node live")?;
            if let PlanApproval::NotApproved { reason } = &approval {
                return Err(CoreError::Conflict {
                    code: "plan_not_approved",
                    message: format!("live execution needs an approved, unchanged plan: {reason}"),
                });
            }
            let mut frozen = self.rehearsed_writes(&plan, &[node_id.to_owned()]).await?;
            rehearsed = frozen.remove(node_id);
        }
        self.check_dependencies(&session.id, &node).await?;
        let correlation_id = self
            .start_execution(&actor.name, &plan, node_id, mode)
            .await?;
        let core = self.clone();
        let (sid, corr) = (session.id.clone(), correlation_id.clone());
        tokio::spawn(async move {
            let run = core.run_node(&sid, &corr, node, mode, approval, rehearsed);
            if let Err(err) = run.await {
                tracing::error!(correlation_id = corr, error = %err, "a node execution failed to record its outcome");
            }
        });
        Ok(correlation_id)
    }

    /// A session the actor may see and its current plan; `409 no_plan` when it has none yet.
    pub(crate) async fn session_and_plan(
        &self,
        actor: &Actor,
        session_id: &str,
    ) -> Result<(crate::SessionRow, PlanRow), CoreError> {
        let session = self.session_for(actor, session_id).await?;
        let sid = session.id.clone();
        let plan = self
            .store(move |s| s.current_plan(&sid))
            .await?
            .ok_or_else(|| CoreError::Conflict {
                code: "no_plan",
                message: "the session has no plan yet; POST .../plan/generate first".into(),
            })?;
        Ok((session, plan))
    }

    /// Records an `accepted` execution of node `node_id` of `plan` (and its audit row); returns its
    /// correlation id.
    pub(crate) async fn start_execution(
        &self,
        requested_by: &str,
        plan: &PlanRow,
        node_id: &str,
        mode: Mode,
    ) -> Result<String, CoreError> {
        let correlation_id = drydock_runtime::new_correlation_id();
        let row = ExecutionRow {
            correlation_id: correlation_id.clone(),
            session_id: plan.session_id.clone(),
            plan_id: Some(plan.id.clone()),
            node_id: Some(node_id.to_owned()),
            mode: mode.to_string(),
            status: ExecutionStatus::Accepted,
            requested_by: requested_by.to_owned(),
            started_at: crate::stamp::now(),
            finished_at: None,
            detail: json!({ "steps": [] }),
        };
        let name = requested_by.to_owned();
        let audit_target = format!("{}#{node_id}", plan.id);
        let corr = correlation_id.clone();
        self.store(move |s| {
            s.insert_execution(&row)?;
            s.audit_append(&AuditEntry {
                actor: name,
                action: "plan.execute_node".into(),
                target: Some(audit_target),
                correlation_id: Some(corr),
                detail: json!({ "mode": row.mode }),
            })?;
            Ok(())
        })
        .await?;
        Ok(correlation_id)
    }

    async fn check_dependencies(&self, session_id: &str, node: &Value) -> Result<(), CoreError> {
        let deps: Vec<String> = node["dependsOn"]
            .as_array()
            .map(|d| {
                d.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let mut incomplete = Vec::new();
        for dep in deps {
            let (sid, d) = (session_id.to_owned(), dep.clone());
            let runs = self.store(move |s| s.executions_of_node(&sid, &d)).await?;
            if !runs.iter().any(|r| r.status == ExecutionStatus::Completed) {
                incomplete.push(dep);
            }
        }
        if incomplete.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Conflict {
                code: "dependencies_incomplete",
                message: format!(
                    "node `{}` depends on nodes that have not completed: {}",
                    node["nodeId"].as_str().unwrap_or_default(),
                    incomplete.join(", ")
                ),
            })
        }
    }

    /// Runs the steps of `node` under `correlation_id`, recording everything; answers with the effects of
    /// its steps (what a rehearsal shows). A live run of an approved plan gets `rehearsed`, the writes its
    /// approval froze for this node: any other live write waits for an operator ([`crate::rehearsals`]).
    pub(crate) async fn run_node(
        &self,
        session_id: &str,
        correlation_id: &str,
        node: Value,
        mode: Mode,
        approval: PlanApproval,
        rehearsed: Option<RehearsedEffects>,
    ) -> Result<Vec<drydock_runtime::Effect>, CoreError> {
        let node_id = node["nodeId"].as_str().unwrap_or_default().to_owned();
        let stop = CancellationToken::new();
        let binding = rehearsed.map(|writes| {
            let desk = CoreDesk {
                core: self.clone(),
                session_id: session_id.to_owned(),
                node_id: node_id.clone(),
                correlation_id: correlation_id.to_owned(),
                cancel: stop.clone(),
                turn: Arc::default(),
            };
            RehearsalBinding::new(writes, Arc::new(desk))
        });
        let corr = Some(correlation_id);
        let started = self.set_execution(
            correlation_id,
            ExecutionStatus::Running,
            json!({ "steps": [] }),
        );
        started.await?;
        self.emit(
            session_id,
            "node_started",
            corr,
            json!({ "nodeId": node_id, "mode": mode }),
        )
        .await?;
        let mut steps = Vec::new();
        let mut effects = Vec::new();
        let mut failed = None;
        for (index, step) in node["steps"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let tool = step["tool"].as_str().unwrap_or_default().to_owned();
            if let Some(by) = self.shared.cancellations.cancelled_by(session_id) {
                failed = Some(format!(
                    "cancelled by {by} before step {} (`{tool}`)",
                    index + 1
                ));
                break;
            }
            self.emit(
                session_id,
                "step_started",
                corr,
                json!({ "nodeId": node_id, "step": index, "tool": tool }),
            )
            .await?;
            let request = InvokeRequest {
                tool: tool.clone(),
                args: step.get("args").cloned().unwrap_or(json!({})),
                mode,
                correlation_id: correlation_id.to_owned(),
                plan_approval: approval.clone(),
                progress: None,
                cancel: binding.as_ref().map(|_| stop.clone()),
                binding: binding.clone(),
            };
            let report = self.shared.runtime.invoke(request).await;
            for effect in &report.record.effects {
                self.emit(
                    session_id,
                    "effect",
                    corr,
                    serde_json::to_value(effect).unwrap_or_default(),
                )
                .await?;
            }
            let artifacts = self
                .keep_artifacts(session_id, correlation_id, &report)
                .await?;
            for artifact in &artifacts {
                self.emit(
                    session_id,
                    "artifact_created",
                    corr,
                    serde_json::to_value(artifact).unwrap_or_default(),
                )
                .await?;
            }
            self.record_effects(correlation_id, &report).await?;
            effects.extend(report.record.effects.iter().cloned());
            let outcome = match &report.outcome {
                Ok(result) => json!({ "status": "completed", "result": result }),
                Err(err) => {
                    json!({ "status": "failed", "error": { "code": err.code(), "message": err.to_string() } })
                }
            };
            steps.push(json!({ "step": index, "tool": tool, "outcome": outcome, "effects": report.record.effects.len(), "artifacts": artifacts.iter().map(|a| &a.id).collect::<Vec<_>>() }));
            self.emit(
                session_id,
                "step_completed",
                corr,
                json!({ "nodeId": node_id, "step": index, "tool": tool, "outcome": outcome }),
            )
            .await?;
            if let Err(err) = report.outcome {
                failed = Some(format!("step {} (`{tool}`) failed: {err}", index + 1));
                break;
            }
            // *Stop* at a review ends the run even when the step got to its end (a held file write is
            // decided after the plugin returned): the node does not count as done.
            if stop.is_cancelled() {
                failed = Some(format!(
                    "stopped at review during step {} (`{tool}`): a write its rehearsal did not show was not \
                     performed",
                    index + 1
                ));
                break;
            }
        }
        let detail = json!({ "steps": steps });
        match failed {
            None => {
                self.set_execution(correlation_id, ExecutionStatus::Completed, detail)
                    .await?;
                self.emit(
                    session_id,
                    "node_completed",
                    corr,
                    json!({ "nodeId": node_id }),
                )
                .await?;
            }
            Some(reason) => {
                self.set_execution(correlation_id, ExecutionStatus::Failed, detail)
                    .await?;
                self.emit(
                    session_id,
                    "node_failed",
                    corr,
                    json!({ "nodeId": node_id, "reason": reason }),
                )
                .await?;
            }
        }
        Ok(effects)
    }

    async fn set_execution(
        &self,
        correlation_id: &str,
        status: ExecutionStatus,
        detail: Value,
    ) -> Result<(), CoreError> {
        let corr = correlation_id.to_owned();
        self.store(move |s| s.update_execution(&corr, status, &detail))
            .await
    }

    async fn keep_artifacts(
        &self,
        session_id: &str,
        correlation_id: &str,
        report: &drydock_runtime::InvocationReport,
    ) -> Result<Vec<ArtifactRow>, CoreError> {
        let artifacts = report.record.artifacts.clone();
        let (sid, corr) = (session_id.to_owned(), correlation_id.to_owned());
        self.store(move |s| {
            artifacts
                .iter()
                .map(|a| {
                    s.insert_artifact(
                        Some(&sid),
                        Some(&corr),
                        &a.name,
                        &a.media_type,
                        &a.produced_by,
                        &a.content,
                    )
                })
                .collect()
        })
        .await
    }

    /// An execution the actor may see.
    pub async fn execution(
        &self,
        actor: &Actor,
        correlation_id: &str,
    ) -> Result<ExecutionRow, CoreError> {
        let corr = correlation_id.to_owned();
        let row = self.store(move |s| s.execution(&corr)).await?;
        let not_found = || {
            CoreError::NotFound(format!(
                "no execution `{correlation_id}` (or it is not yours)"
            ))
        };
        let row = row.ok_or_else(not_found)?;
        self.session_for(actor, &row.session_id)
            .await
            .map_err(|_| not_found())?;
        Ok(row)
    }

    /// An execution with its artifacts and its effects (from the audit log), checking visibility once.
    pub async fn execution_view(
        &self,
        actor: &Actor,
        correlation_id: &str,
    ) -> Result<ExecutionView, CoreError> {
        let execution = self.execution(actor, correlation_id).await?;
        let (sid, corr) = (execution.session_id.clone(), correlation_id.to_owned());
        let (artifacts, audit) = self
            .store(move |s| {
                let artifacts = s.artifacts_of_session(&sid)?;
                Ok((
                    artifacts,
                    s.audit_query(Some(&corr), None, crate::MAX_PAGE)?,
                ))
            })
            .await?;
        let artifacts = artifacts
            .into_iter()
            .filter(|a| a.correlation_id.as_deref() == Some(correlation_id))
            .collect();
        let effects = audit
            .into_iter()
            .filter(|r| r.action == "effect")
            .map(|r| {
                json!({ "plugin": r.actor.trim_start_matches("plugin:"), "action": r.target, "detail": r.detail, "at": r.at })
            })
            .collect();
        Ok(ExecutionView {
            execution,
            artifacts,
            effects,
        })
    }

    /// Artifacts of a session the actor may see.
    pub async fn artifacts(
        &self,
        actor: &Actor,
        session_id: &str,
    ) -> Result<Vec<ArtifactRow>, CoreError> {
        let session = self.session_for(actor, session_id).await?;
        self.store(move |s| s.artifacts_of_session(&session.id))
            .await
    }

    /// The newest `limit` artifacts the actor may see: of their own sessions, or every one for operators.
    pub async fn visible_artifacts(
        &self,
        actor: &Actor,
        limit: usize,
    ) -> Result<Vec<ArtifactRow>, CoreError> {
        let owner = (actor.role != Role::Operator).then(|| actor.user_id.clone());
        self.store(move |s| s.recent_artifacts(owner.as_deref(), limit))
            .await
    }

    /// One artifact and its content, if the actor may see its session (operators see all).
    pub async fn artifact(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<(ArtifactRow, Vec<u8>), CoreError> {
        let key = id.to_owned();
        let found = self.store(move |s| s.artifact(&key)).await?;
        let not_found = || CoreError::NotFound(format!("no artifact `{id}` (or it is not yours)"));
        let (row, content) = found.ok_or_else(not_found)?;
        match &row.session_id {
            Some(session) => {
                self.session_for(actor, session)
                    .await
                    .map_err(|_| not_found())?;
            }
            None if actor.role == Role::Operator => {}
            None => return Err(not_found()),
        }
        Ok((row, content))
    }

    /// At start: executions left running by a previous process become `interrupted`, with an event each.
    pub async fn recover_interrupted(&self) -> Result<usize, CoreError> {
        let rows = self.store(|s| s.mark_interrupted()).await?;
        for row in &rows {
            self.emit(
                &row.session_id,
                "node_interrupted",
                Some(&row.correlation_id),
                json!({ "nodeId": row.node_id, "reason": "the server stopped while this execution was running" }),
            )
            .await?;
        }
        Ok(rows.len())
    }
}

/// What `GET /api/executions/{id}` shows.
pub struct ExecutionView {
    /// The execution.
    pub execution: ExecutionRow,
    /// The artifacts it produced.
    pub artifacts: Vec<ArtifactRow>,
    /// Its effects, as audited: `{plugin, action, detail, at}`.
    pub effects: Vec<Value>,
}

/// Whether a plan is approved and unchanged since approval.
pub fn approval_of(plan: &PlanRow) -> PlanApproval {
    match &plan.approved_hash {
        Some(hash) if *hash == plan.content_hash => PlanApproval::Approved,
        Some(_) => PlanApproval::NotApproved {
            reason: "the plan changed since it was approved; approve it again".into(),
        },
        None => PlanApproval::NotApproved {
            reason: format!("plan version {} is not approved", plan.version),
        },
    }
}
