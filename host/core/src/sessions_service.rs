//! Sessions and their plans (seed 001): create a session from a work item, generate a plan with the planner
//! plugin, approve it (freezing its content hash), and follow its events.
//!
//! Every state change is an event (stored with a sequence number, then announced on a watch channel so
//! event streams wake up) and an audit row.

use serde_json::{Value, json};

use crate::actor::Actor;
use crate::core_error::CoreError;
use crate::plan_check::check_plan;
use crate::service::Core;
use crate::store::{AuditEntry, EventRow, PlanRow, PlanStatus, Role, SessionRow};

/// The planner plugin used for work items.
pub const DEFAULT_PLANNER: &str = "template_planner";

impl Core {
    /// Creates a session from a work item `{id, title, description, type?, labels?}`.
    pub async fn create_session(
        &self,
        actor: &Actor,
        work_item: Value,
    ) -> Result<SessionRow, CoreError> {
        check_work_item(&work_item)?;
        let (owner, name) = (actor.user_id.clone(), actor.name.clone());
        let session = self
            .store(move |s| {
                let session = s.create_session(&owner, &work_item)?;
                s.audit_append(&AuditEntry {
                    actor: name,
                    action: "session.create".into(),
                    target: Some(session.id.clone()),
                    correlation_id: None,
                    detail: json!({ "workItemId": work_item["id"] }),
                })?;
                Ok(session)
            })
            .await?;
        self.emit(
            &session.id,
            "session_created",
            None,
            json!({ "sessionId": session.id }),
        )
        .await?;
        Ok(session)
    }

    /// A session the actor may see (its owner, or an operator); otherwise not found.
    pub async fn session_for(&self, actor: &Actor, id: &str) -> Result<SessionRow, CoreError> {
        let id_owned = id.to_owned();
        let session = self.store(move |s| s.session(&id_owned)).await?;
        match session {
            Some(session) if session.owner == actor.user_id || actor.role == Role::Operator => {
                Ok(session)
            }
            _ => Err(CoreError::NotFound(format!(
                "no session `{id}` (or it is not yours)"
            ))),
        }
    }

    /// The sessions the actor owns.
    pub async fn sessions(&self, actor: &Actor) -> Result<Vec<SessionRow>, CoreError> {
        let owner = actor.user_id.clone();
        self.store(move |s| s.sessions_of(&owner)).await
    }

    /// The current plan of a session, if it has one.
    pub async fn current_plan(
        &self,
        actor: &Actor,
        session_id: &str,
    ) -> Result<Option<PlanRow>, CoreError> {
        let session = self.session_for(actor, session_id).await?;
        self.store(move |s| s.current_plan(&session.id)).await
    }

    /// Generates a plan for the session's work item. An existing plan is returned unchanged unless `force`.
    /// The planner's output is checked (DAG, known tools, valid arguments) before it is stored.
    pub async fn generate_plan(
        &self,
        actor: &Actor,
        session_id: &str,
        work_item_id: Option<&str>,
        force: bool,
    ) -> Result<PlanRow, CoreError> {
        let session = self.session_for(actor, session_id).await?;
        if let Some(wanted) = work_item_id
            && session.work_item["id"].as_str() != Some(wanted)
        {
            return Err(CoreError::Invalid(format!(
                "workItemId `{wanted}` is not this session's work item (`{}`)",
                session.work_item["id"].as_str().unwrap_or_default()
            )));
        }
        if !force
            && let Some(plan) = self
                .store({
                    let id = session.id.clone();
                    move |s| s.current_plan(&id)
                })
                .await?
        {
            return Ok(plan);
        }
        let correlation_id = drydock_runtime::new_correlation_id();
        let report = self
            .shared
            .runtime
            .generate_plan(DEFAULT_PLANNER, &session.work_item, &correlation_id)
            .await;
        let plan = report.outcome.map_err(|err| CoreError::Conflict {
            code: "planner_failed",
            message: format!("the planner could not plan this work item: {err}"),
        })?;
        check_plan(&plan, &self.shared.runtime.tools()).map_err(|problems| {
            CoreError::Conflict {
                code: "plan_invalid",
                message: format!(
                    "the planner proposed an invalid plan: {}",
                    problems.join("; ")
                ),
            }
        })?;
        self.add_plan_version(
            &actor.name,
            &session.id,
            plan,
            "plan.generate",
            Some(correlation_id),
            None,
        )
        .await
    }

    /// Stores `plan` as the session's next version, `pending_approval`, with its audit row (`action`) and a
    /// `plan_updated` event; `channel` names the face in the audit row when it is not the plan API's own.
    pub(crate) async fn add_plan_version(
        &self,
        actor_name: &str,
        session_id: &str,
        plan: Value,
        action: &'static str,
        correlation_id: Option<String>,
        channel: Option<crate::service::Channel>,
    ) -> Result<PlanRow, CoreError> {
        let (sid, name) = (session_id.to_owned(), actor_name.to_owned());
        let row = self
            .store(move |s| {
                let row = s.insert_plan(&sid, &plan, PlanStatus::PendingApproval)?;
                s.audit_append(&AuditEntry {
                    actor: name,
                    action: action.into(),
                    target: Some(row.id.clone()),
                    correlation_id,
                    detail: {
                        let mut detail =
                            json!({ "version": row.version, "hash": row.content_hash });
                        if let Some(channel) = channel {
                            detail["channel"] = json!(channel.as_str());
                        }
                        detail
                    },
                })?;
                Ok(row)
            })
            .await?;
        self.emit(session_id, "plan_updated", None, plan_summary(&row))
            .await?;
        Ok(row)
    }

    /// Approves the session's current plan, freezing its content hash.
    pub async fn approve_plan(
        &self,
        actor: &Actor,
        session_id: &str,
    ) -> Result<PlanRow, CoreError> {
        self.approve_plan_seen(actor, session_id, None).await
    }

    /// [`Core::approve_plan`], only if the current plan still has the content hash the person saw (`seen`):
    /// checked in the same transaction that approves, so a plan regenerated in between is never approved
    /// unseen (the console sends the hash its page showed). A different hash is a `Conflict`.
    pub async fn approve_plan_seen(
        &self,
        actor: &Actor,
        session_id: &str,
        seen: Option<&str>,
    ) -> Result<PlanRow, CoreError> {
        self.approve_plan_seen_rehearsal(actor, session_id, seen, None)
            .await
    }

    /// [`Core::approve_plan_seen`], and only if the rehearsal report still has the hash the person saw
    /// (`seen_rehearsal`, when given): the approval binds the plan's current rehearsal either way
    /// ([`crate::rehearsals`]). A different hash is `409 rehearsal_changed`.
    pub async fn approve_plan_seen_rehearsal(
        &self,
        actor: &Actor,
        session_id: &str,
        seen: Option<&str>,
        seen_rehearsal: Option<&str>,
    ) -> Result<PlanRow, CoreError> {
        let session = self.session_for(actor, session_id).await?;
        let (sid, name) = (session.id.clone(), actor.name.clone());
        let seen = seen.map(str::to_owned);
        let seen_rehearsal = seen_rehearsal.map(str::to_owned);
        let row = self
            .store(move |s| {
                let Some(plan) = s.current_plan(&sid)? else {
                    return Err(crate::StoreError::Conflict(
                        "the session has no plan yet; POST .../plan/generate first".into(),
                    ));
                };
                if let Some(seen) = &seen
                    && *seen != plan.content_hash
                {
                    return Err(crate::StoreError::Conflict(format!(
                        "the plan changed since it was shown (now version {}); nothing was approved: review \
                         it and approve again",
                        plan.version
                    )));
                }
                let row = s.approve_plan_bound(&plan.id, &name, seen_rehearsal.as_deref())?;
                s.audit_append(&AuditEntry {
                    actor: name,
                    action: "plan.approve".into(),
                    target: Some(row.id.clone()),
                    correlation_id: None,
                    detail: json!({ "version": row.version, "hash": row.content_hash, "rehearsalHash": row.approved_rehearsal_hash }),
                })?;
                Ok(row)
            })
            .await
            .map_err(|err| match err {
                CoreError::Conflict { message, .. } if message.starts_with("the rehearsal changed") => {
                    CoreError::Conflict {
                        code: "rehearsal_changed",
                        message,
                    }
                }
                other => other,
            })?;
        self.emit(
            &session.id,
            "plan_approved",
            None,
            json!({ "planId": row.id, "version": row.version, "hash": row.content_hash, "rehearsalHash": row.approved_rehearsal_hash, "approvedBy": actor.name }),
        )
        .await?;
        Ok(row)
    }

    /// Events of a session after `after_seq` (at most `limit`).
    pub async fn events(
        &self,
        actor: &Actor,
        session_id: &str,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<EventRow>, CoreError> {
        let session = self.session_for(actor, session_id).await?;
        self.store(move |s| s.events_after(&session.id, after_seq, limit))
            .await
    }

    /// A receiver that changes whenever any event is stored (the value is the newest sequence number).
    pub fn event_signal(&self) -> tokio::sync::watch::Receiver<i64> {
        self.shared.events_tx.subscribe()
    }

    /// Stores an event and wakes the streams.
    pub(crate) async fn emit(
        &self,
        session_id: &str,
        kind: &str,
        correlation_id: Option<&str>,
        payload: Value,
    ) -> Result<EventRow, CoreError> {
        let (sid, kind, corr) = (
            session_id.to_owned(),
            kind.to_owned(),
            correlation_id.map(str::to_owned),
        );
        let row = self
            .store(move |s| s.append_event(&sid, &kind, corr.as_deref(), &payload))
            .await?;
        self.shared.events_tx.send_replace(row.seq);
        Ok(row)
    }
}

/// The PlanUpdated summary of seed 001: `{planId, nodeCount, nodes: [{nodeId, title, dependsOn,
/// suggestedBranch, tags}]}`.
pub fn plan_summary(plan: &PlanRow) -> Value {
    let nodes: Vec<Value> = plan.content["nodes"]
        .as_array()
        .map(|nodes| {
            nodes
                .iter()
                .map(|n| {
                    json!({
                        "nodeId": n["nodeId"],
                        "title": n["title"],
                        "dependsOn": n.get("dependsOn").cloned().unwrap_or(json!([])),
                        "suggestedBranch": n.get("suggestedBranch").cloned().unwrap_or(Value::Null),
                        "tags": n.get("tags").cloned().unwrap_or(json!([])),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    json!({ "planId": plan.id, "nodeCount": nodes.len(), "nodes": nodes })
}

fn check_work_item(item: &Value) -> Result<(), CoreError> {
    let invalid = |m: &str| Err(CoreError::Invalid(format!("workItem: {m}")));
    let Some(object) = item.as_object() else {
        return invalid("must be an object {id, title, description, type?, labels?}");
    };
    for key in object.keys() {
        if !["id", "title", "description", "type", "labels"].contains(&key.as_str()) {
            return invalid(&format!("unknown field `{key}`"));
        }
    }
    match item.get("id").and_then(Value::as_str) {
        Some(id) if !id.trim().is_empty() && id.len() <= 128 => {}
        _ => return invalid("`id` must be a non-empty string of at most 128 characters"),
    }
    match item.get("title").and_then(Value::as_str) {
        Some(title) if !title.trim().is_empty() && title.len() <= 512 => {}
        _ => return invalid("`title` must be a non-empty string of at most 512 characters"),
    }
    if !item.get("description").is_some_and(Value::is_string) {
        return invalid("`description` must be a string");
    }
    if item.get("type").is_some_and(|t| !t.is_string()) {
        return invalid("`type` must be a string");
    }
    if item
        .get("labels")
        .is_some_and(|l| !l.as_array().is_some_and(|a| a.iter().all(Value::is_string)))
    {
        return invalid("`labels` must be an array of strings");
    }
    Ok(())
}
