//! The agent behind one chat message: recognise, act, answer, record.
//!
//! Each intent maps to core operations the plan API uses too (generate and store a plan version, approve,
//! run, cancel), so a task made in chat is an ordinary session plan that `/api/sessions/{id}/...` can
//! inspect. The user's message and the answer are stored together at the end, so a refused request
//! (a stale approval, a live run without the operator role) leaves no half-recorded exchange.

use drydock_policy::Mode;
use serde_json::{Value, json};

use crate::actor::Actor;
use crate::chat::answer;
use crate::chat::intent::{Intent, TaskStage, recognise};
use crate::chat::requirements::{self, Change};
use crate::chat::{ChatProgress, ChatReply, ChatRequest, ProgressSink, TaskView};
use crate::core_error::CoreError;
use crate::plan_check::check_plan;
use crate::service::Core;
use crate::sessions_service::{DEFAULT_PLANNER, plan_summary};
use crate::store::{AuditEntry, PlanRow, PlanStatus};

/// The planner plugin that plans through the configured language model.
pub const LLM_PLANNER: &str = "llm_planner";

/// One message's worth of agent.
pub struct Agent<'a> {
    core: &'a Core,
    actor: &'a Actor,
    conversation_id: &'a str,
    progress: ProgressSink,
}

/// What handling a message produced.
struct Outcome {
    answer: String,
    task_id: Option<String>,
    /// Whether the answer's tokens were already streamed as they were made (by the language model).
    streamed: bool,
}

impl<'a> Agent<'a> {
    /// The agent for one message of conversation `conversation_id`.
    pub fn new(
        core: &'a Core,
        actor: &'a Actor,
        conversation_id: &'a str,
        progress: ProgressSink,
    ) -> Self {
        Self {
            core,
            actor,
            conversation_id,
            progress,
        }
    }

    /// Recognises what `request.message` asks, does it, stores the exchange, and answers.
    pub async fn handle(self, request: &ChatRequest) -> Result<ChatReply, CoreError> {
        let task = self.latest_task().await?;
        let stage = stage_of(task.as_ref());
        let mut model_note = None;
        let intent = match self.core.shared.llm.get() {
            Some(model) => {
                self.report("asking the language model what the message means")
                    .await;
                match crate::chat::llm::intent(&model, &request.message, stage, task.as_ref()).await
                {
                    Ok(intent) => intent,
                    Err(err) => {
                        tracing::warn!(error = %err, "the language model could not classify a chat message; using the built-in recogniser");
                        model_note = Some(format!(
                            "(The language model could not read this message — {err} — so I used the built-in recogniser.)"
                        ));
                        recognise(&request.message, stage)
                    }
                }
            }
            None => recognise(&request.message, stage),
        };
        self.report(&format!("understood as: {}", intent.as_str()))
            .await;
        let outcome = match (intent, task) {
            (Intent::NewRequest, _) => self.new_task(&request.message).await?,
            (Intent::Requirements | Intent::Modify, Some(task)) => {
                self.change_task(task, &request.message, intent).await?
            }
            (Intent::Approve, Some(task)) => self.approve(task, request).await?,
            (Intent::Cancel, Some(task)) => self.cancel(task).await?,
            (Intent::Status, Some(task)) => {
                // What will change: the plan's rehearsal report, whose hash an approval binds.
                let report = self.core.rehearsal_of(task.plan.clone()).await?;
                Outcome {
                    answer: format!("{}\n{}", answer::status(&task), report.summary_text()),
                    task_id: Some(task.task.id.clone()),
                    streamed: false,
                }
            }
            (Intent::Question, task) => self.question(task, &request.message).await?,
            (intent, task) => Outcome {
                answer: answer::unclear(stage, intent),
                task_id: task.map(|t| t.task.id),
                streamed: false,
            },
        };
        let mut outcome = outcome;
        if let Some(note) = model_note {
            outcome.answer = format!("{note}\n\n{}", outcome.answer);
        }
        if !outcome.streamed {
            self.stream_tokens(&outcome.answer).await;
        }
        self.record(request, intent, outcome).await
    }

    async fn latest_task(&self) -> Result<Option<TaskView>, CoreError> {
        let sid = self.conversation_id.to_owned();
        match self.core.store(move |s| s.latest_task(&sid)).await? {
            Some(task) => Ok(Some(self.core.task_view(task).await?)),
            None => Ok(None),
        }
    }

    /// A new task: plan the request, store the plan as version 1 of a new task, present it.
    async fn new_task(&self, message: &str) -> Result<Outcome, CoreError> {
        let description = message.trim().to_owned();
        let (plan, note) = match self.plan(&description, &[]).await {
            Ok(planned) => planned,
            Err(reason) => {
                return Ok(Outcome {
                    answer: answer::planning_failed(&reason),
                    task_id: None,
                    streamed: false,
                });
            }
        };
        let (sid, name, desc) = (
            self.conversation_id.to_owned(),
            self.actor.name.clone(),
            description.clone(),
        );
        let (row, task) = self
            .core
            .store(move |s| {
                let row = s.insert_plan(&sid, &plan, PlanStatus::PendingApproval)?;
                let task = s.insert_task(&sid, &row.id, &desc, &[])?;
                s.audit_append(&AuditEntry {
                    actor: name,
                    action: "task.create".into(),
                    target: Some(task.id.clone()),
                    correlation_id: None,
                    detail: json!({ "planId": row.id, "version": row.version, "hash": row.content_hash }),
                })?;
                Ok((row, task))
            })
            .await?;
        self.plan_stored(&row, &task.id).await?;
        let view = self.core.task_view(task).await?;
        Ok(Outcome {
            answer: answer::plan_presented(&view, &self.core.tools(), note.as_deref()),
            task_id: Some(view.task.id),
            streamed: false,
        })
    }

    /// More requirements or a change: a new plan version of the same task, approval needed again.
    async fn change_task(
        &self,
        task: TaskView,
        message: &str,
        intent: Intent,
    ) -> Result<Outcome, CoreError> {
        let task_id = Some(task.task.id.clone());
        let changes = requirements::changes(message);
        if changes.is_empty() {
            return Ok(Outcome {
                answer: answer::nothing_to_change(intent),
                task_id,
                streamed: false,
            });
        }
        let (requirements, removed) = match requirements::apply(&task.task.requirements, &changes) {
            Ok(applied) => applied,
            Err(reason) => {
                return Ok(Outcome {
                    answer: format!("I did not change the plan: {reason}."),
                    task_id,
                    streamed: false,
                });
            }
        };
        let (plan, note) = match self.plan(&task.task.description, &requirements).await {
            Ok(planned) => planned,
            Err(reason) => {
                return Ok(Outcome {
                    answer: answer::planning_failed(&reason),
                    task_id,
                    streamed: false,
                });
            }
        };
        if crate::content_hash(&plan) == task.plan.content_hash {
            return Ok(Outcome {
                answer: "That does not change the plan; it is still the same version. Say \"approve\" to run it, or tell me what to change.".into(),
                task_id,
                streamed: false,
            });
        }
        let (sid, name, tid, reqs) = (
            self.conversation_id.to_owned(),
            self.actor.name.clone(),
            task.task.id.clone(),
            requirements.clone(),
        );
        let previous_version = task.plan.version;
        let row = self
            .core
            .store(move |s| {
                let row = s.insert_plan(&sid, &plan, PlanStatus::PendingApproval)?;
                s.update_task(&tid, &row.id, &reqs)?;
                s.audit_append(&AuditEntry {
                    actor: name,
                    action: "task.modify".into(),
                    target: Some(tid),
                    correlation_id: None,
                    detail: json!({
                        "planId": row.id,
                        "version": row.version,
                        "previousVersion": previous_version,
                        "hash": row.content_hash,
                    }),
                })?;
                Ok(row)
            })
            .await?;
        self.plan_stored(&row, &task.task.id).await?;
        let key = task.task.id.clone();
        let updated = self
            .core
            .store(move |s| s.task(&key))
            .await?
            .ok_or_else(|| CoreError::Internal("the task vanished while it was updated".into()))?;
        let updated = self.core.task_view(updated).await?;
        let added: Vec<String> = changes
            .iter()
            .filter_map(|c| match c {
                Change::Add(text) if !task.task.requirements.contains(text) => Some(text.clone()),
                _ => None,
            })
            .collect();
        Ok(Outcome {
            answer: answer::plan_changed(
                &task,
                &updated,
                &added,
                &removed,
                &self.core.tools(),
                note.as_deref(),
            ),
            task_id,
            streamed: false,
        })
    }

    /// Approves exactly the plan version the task shows (refusing a stale one) and starts running it.
    async fn approve(&self, task: TaskView, request: &ChatRequest) -> Result<Outcome, CoreError> {
        if let Some(seen) = request.plan_version
            && seen != task.plan.version
        {
            return Err(CoreError::Conflict {
                code: "plan_stale",
                message: format!(
                    "you approved plan version {seen}, but the task's plan is now version {}; \
                     read it again (GET /api/v1/tasks/{}) and approve that version",
                    task.plan.version, task.task.id
                ),
            });
        }
        let mode = match request.mode.as_deref() {
            Some("live") => {
                self.actor.require_operator("running a plan live")?;
                Mode::Live
            }
            _ => Mode::DryRun,
        };
        if mode == Mode::Live {
            // A live run may only do what the approved rehearsal showed: without one, approve nothing.
            self.core.require_rehearsed(&task.plan).await?;
        }
        let (plan_id, name, tid) = (
            task.plan.id.clone(),
            self.actor.name.clone(),
            task.task.id.clone(),
        );
        let approved = self
            .core
            .store(move |s| {
                let row = s.approve_plan(&plan_id, &name)?;
                s.audit_append(&AuditEntry {
                    actor: name,
                    action: "task.approve".into(),
                    target: Some(tid),
                    correlation_id: None,
                    detail: json!({ "planId": row.id, "version": row.version, "hash": row.content_hash, "rehearsalHash": row.approved_rehearsal_hash, "mode": mode }),
                })?;
                Ok(row)
            })
            .await
            .map_err(|err| match err {
                CoreError::Conflict { message, .. } => CoreError::Conflict {
                    code: "plan_stale",
                    message,
                },
                other => other,
            })?;
        self.core
            .emit(
                self.conversation_id,
                "plan_approved",
                None,
                json!({ "planId": approved.id, "version": approved.version, "hash": approved.content_hash, "approvedBy": self.actor.name, "taskId": task.task.id }),
            )
            .await?;
        self.report("approved; starting the run").await;
        let core = self.core.clone();
        let by = self.actor.name.clone();
        let plan = approved.clone();
        tokio::spawn(async move {
            let session = plan.session_id.clone();
            if let Err(err) = core.run_plan(&by, plan, mode).await {
                tracing::error!(session, error = %err, "a plan run failed to record its outcome");
            }
        });
        let mut answer = answer::approved(&task, &approved, mode);
        if mode == Mode::Live {
            // The rehearsal this approval bound: what the live run may do.
            let report = self.core.rehearsal_of(approved.clone()).await?;
            answer = format!("{answer}\n{}", report.summary_text());
        }
        Ok(Outcome {
            answer,
            task_id: Some(task.task.id),
            streamed: false,
        })
    }

    async fn cancel(&self, task: TaskView) -> Result<Outcome, CoreError> {
        let was = task.plan.status;
        if matches!(
            was,
            PlanStatus::Completed | PlanStatus::Failed | PlanStatus::Cancelled
        ) {
            return Ok(Outcome {
                answer: format!("The task is already {was}; there is nothing to cancel."),
                task_id: Some(task.task.id),
                streamed: false,
            });
        }
        if matches!(was, PlanStatus::Approved | PlanStatus::Executing) {
            self.core
                .shared
                .cancellations
                .cancel(self.conversation_id, &self.actor.name);
        }
        self.core
            .set_plan_status_recorded(
                &self.actor.name,
                &task.plan,
                PlanStatus::Cancelled,
                json!({ "cancelledBy": self.actor.name, "was": was.as_str() }),
            )
            .await?;
        Ok(Outcome {
            answer: answer::cancelled(&task, was),
            task_id: Some(task.task.id),
            streamed: false,
        })
    }

    async fn question(&self, task: Option<TaskView>, message: &str) -> Result<Outcome, CoreError> {
        let Some(task) = task else {
            return Ok(Outcome {
                answer: answer::unclear(TaskStage::None, Intent::Question),
                task_id: None,
                streamed: false,
            });
        };
        let results = self.results(&task).await?;
        let (answer, streamed) = match self.core.shared.llm.get() {
            Some(model) => {
                self.report("asking the language model").await;
                match crate::chat::llm::discuss(&model, message, &task, &results, &self.progress)
                    .await
                {
                    Ok(text) => (text, true),
                    Err(err) => (
                        format!(
                            "{}\n\n(The language model could not answer: {err}.)",
                            answer::question(&task, &results, message)
                        ),
                        false,
                    ),
                }
            }
            None => (answer::question(&task, &results, message), false),
        };
        Ok(Outcome {
            answer,
            task_id: Some(task.task.id),
            streamed,
        })
    }

    /// What the task's executions did: artifacts and effect outcomes, per correlation id.
    async fn results(&self, task: &TaskView) -> Result<answer::Results, CoreError> {
        let sid = task.task.session_id.clone();
        let correlations: Vec<String> = task
            .executions
            .iter()
            .map(|e| e.correlation_id.clone())
            .collect();
        self.core
            .store(move |s| {
                let artifacts = s
                    .artifacts_of_session(&sid)?
                    .into_iter()
                    .filter(|a| {
                        a.correlation_id
                            .as_ref()
                            .is_some_and(|c| correlations.contains(c))
                    })
                    .collect();
                let mut effects = Vec::new();
                for corr in &correlations {
                    effects.extend(
                        s.audit_query(Some(corr), None, crate::MAX_PAGE)?
                            .into_iter()
                            .filter(|r| r.action == "effect"),
                    );
                }
                Ok(answer::Results { artifacts, effects })
            })
            .await
    }

    /// Plans `description` with `requirements`: the LLM planner when a model is configured and the plugin
    /// is loaded (falling back to the template planner, with a note, if it fails), else the template one.
    /// The plan is checked against the tools before it is returned; an invalid plan is never stored.
    async fn plan(
        &self,
        description: &str,
        requirements: &[String],
    ) -> Result<(Value, Option<String>), String> {
        let request = json!({ "request": description, "requirements": requirements });
        let mut note = None;
        if self.core.shared.llm.get().is_some()
            && self
                .core
                .shared
                .runtime
                .plugins()
                .iter()
                .any(|p| p.name == LLM_PLANNER)
        {
            self.report("planning with the language model").await;
            match self.run_planner(LLM_PLANNER, &request).await {
                Ok(plan) => return Ok((plan, None)),
                Err(reason) => {
                    note = Some(format!(
                        "The language-model planner could not make a valid plan ({reason}); this plan comes from the built-in template planner."
                    ));
                }
            }
        }
        self.report("planning").await;
        let plan = self.run_planner(DEFAULT_PLANNER, &request).await?;
        Ok((plan, note))
    }

    async fn run_planner(&self, planner: &str, request: &Value) -> Result<Value, String> {
        let correlation_id = drydock_runtime::new_correlation_id();
        let report = self
            .core
            .shared
            .runtime
            .generate_plan(planner, request, &correlation_id)
            .await;
        let plan = report.outcome.map_err(|err| err.to_string())?;
        check_plan(&plan, &self.core.tools())
            .map_err(|problems| format!("the plan is invalid: {}", problems.join("; ")))?;
        Ok(plan)
    }

    async fn plan_stored(&self, row: &PlanRow, task_id: &str) -> Result<(), CoreError> {
        let mut summary = plan_summary(row);
        summary["taskId"] = json!(task_id);
        summary["version"] = json!(row.version);
        self.core
            .emit(self.conversation_id, "plan_updated", None, summary)
            .await?;
        self.report(&format!("plan version {} stored", row.version))
            .await;
        Ok(())
    }

    /// Stores the user's message and the answer, emits a `chat_message` event each, audits the exchange.
    async fn record(
        &self,
        request: &ChatRequest,
        intent: Intent,
        outcome: Outcome,
    ) -> Result<ChatReply, CoreError> {
        let (sid, name, message, answer, task_id) = (
            self.conversation_id.to_owned(),
            self.actor.name.clone(),
            request.message.clone(),
            outcome.answer,
            outcome.task_id,
        );
        let tid = task_id.clone();
        let reply = self
            .core
            .store(move |s| {
                s.append_message(&sid, "user", &message, Some(intent.as_str()), tid.as_deref())?;
                let reply = s.append_message(&sid, "assistant", &answer, None, tid.as_deref())?;
                s.audit_append(&AuditEntry {
                    actor: name,
                    action: "chat.message".into(),
                    target: Some(sid.clone()),
                    correlation_id: None,
                    detail: json!({ "intent": intent.as_str(), "taskId": tid, "bytes": message.len() }),
                })?;
                Ok(reply)
            })
            .await?;
        for (role, content, intent) in [
            ("user", request.message.as_str(), Some(intent.as_str())),
            ("assistant", reply.content.as_str(), None),
        ] {
            self.core
                .emit(
                    self.conversation_id,
                    "chat_message",
                    None,
                    json!({ "role": role, "content": content, "intent": intent, "taskId": task_id }),
                )
                .await?;
        }
        Ok(ChatReply {
            conversation_id: self.conversation_id.to_owned(),
            message: reply,
            task_id,
            intent,
        })
    }

    async fn report(&self, what: &str) {
        if let Some(sink) = &self.progress {
            // A client that went away only stops hearing about progress; the work goes on.
            let _ = sink.send(ChatProgress::Progress(what.to_owned())).await;
        }
    }

    /// Streams the answer word by word (the language model streams its own tokens as they come).
    async fn stream_tokens(&self, answer: &str) {
        if let Some(sink) = &self.progress {
            for piece in answer.split_inclusive(char::is_whitespace) {
                if sink
                    .send(ChatProgress::Token(piece.to_owned()))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        }
    }
}

/// Where the task is, for intent recognition.
pub fn stage_of(task: Option<&TaskView>) -> TaskStage {
    match task.map(|t| t.plan.status) {
        None | Some(PlanStatus::Cancelled) => TaskStage::None,
        Some(PlanStatus::Draft | PlanStatus::PendingApproval) => TaskStage::AwaitingApproval,
        Some(PlanStatus::Approved | PlanStatus::Executing) => TaskStage::Running,
        Some(PlanStatus::Completed | PlanStatus::Failed) => TaskStage::Finished,
    }
}
