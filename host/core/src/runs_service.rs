//! Workflow runs on [`Core`]: start a run of a stored workflow, answer its questions, validate or reject
//! its steps, cancel it, read it and its events. Tool nodes run tools in the same sandbox as everything
//! else — dry-run, under the same policy, each invocation and effect audited with the run's id as the
//! correlation id; llm nodes use the language model configured in the settings.
//!
//! Each request drives the run until it waits for a person or ends, storing the run whole and every event
//! as it goes (streams see events while the request still works). A run is updated only at the version it
//! was read at, so two answers racing for the same question cannot both apply: the loser gets a conflict.

use async_trait::async_trait;
use drydock_llm::{ChatRequest, Message};
use drydock_policy::{Mode, PlanApproval};
use drydock_runtime::InvokeRequest;
use drydock_workflow::{
    Effect, Event, Limits, LlmRequest, Run, RunError, ToolRequest, WorkflowHost,
};
use serde_json::{Map, Value, json};

use crate::actor::Actor;
use crate::core_error::CoreError;
use crate::runs::{RunEventRow, RunRow};
use crate::service::Core;
use crate::store::{AuditEntry, Role};

/// Whether driving a run performs a tool node's call at once, or stops before it so a person can approve it
/// first (Astonish's studio asks before each tool call). A held run stays `running` with the call pending;
/// [`Core::perform_held_tool`] makes the call, [`Core::cancel_run`] declines it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ToolCalls {
    /// Call tools as the run reaches them (every native route, FastAgency, MCP).
    #[default]
    Perform,
    /// Stop before each tool call.
    Hold,
}

/// How [`Core::advance`] treats tool calls: all made, each held, or one approved and the rest held.
enum Held {
    Never,
    Each,
    Approved(String),
}

impl From<ToolCalls> for Held {
    fn from(tools: ToolCalls) -> Self {
        match tools {
            ToolCalls::Perform => Held::Never,
            ToolCalls::Hold => Held::Each,
        }
    }
}

/// What a workflow run looks like to a client.
#[derive(Debug, Clone)]
pub struct RunView {
    /// The stored row.
    pub row: RunRow,
    /// The engine's run.
    pub run: Run,
}

impl RunView {
    /// `{runId, workflow, status, startedBy, question?, steps, state, result?, failure?, createdAt,
    /// updatedAt}`.
    pub fn to_json(&self) -> Value {
        json!({
            "runId": self.row.id,
            "workflow": self.row.workflow,
            "status": self.run.status(),
            "startedBy": self.row.started_by,
            "question": self.run.question(),
            "currentStep": self.run.current_step(),
            "steps": self.run.history(),
            "state": self.run.state(),
            "result": self.run.result(),
            "failure": self.run.failure(),
            "createdAt": self.row.created_at,
            "updatedAt": self.row.updated_at,
        })
    }
}

impl Core {
    /// Starts a run of workflow `name` with `inputs` and drives it until it pauses or ends. `run_id` lets
    /// a caller choose the id (FastAgency's `workflow_uuid`); otherwise a UUID is made.
    pub async fn start_run(
        &self,
        actor: &Actor,
        name: &str,
        inputs: Value,
        run_id: Option<String>,
    ) -> Result<RunView, CoreError> {
        self.start_run_with(actor, name, inputs, run_id, ToolCalls::Perform)
            .await
    }

    /// [`Core::start_run`], holding tool calls or not.
    pub async fn start_run_with(
        &self,
        actor: &Actor,
        name: &str,
        inputs: Value,
        run_id: Option<String>,
        tools: ToolCalls,
    ) -> Result<RunView, CoreError> {
        let row = self.workflow(actor, name).await?;
        let flow = drydock_workflow::load_flow(
            &row.yaml,
            &self
                .shared
                .runtime
                .tools()
                .into_iter()
                .map(|t| t.name)
                .collect(),
            &Limits::default(),
        )
        .map_err(|errors| CoreError::InvalidWorkflow(errors.0))?;
        let Value::Object(inputs) = inputs else {
            return Err(CoreError::Invalid(
                "inputs must be an object {name: value}".into(),
            ));
        };
        let id = run_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let (run, events) = Run::start_with_id(id.clone(), flow, inputs, &Limits::default())
            .map_err(|err| CoreError::Invalid(format!("inputs: {err}")))?;
        let stored = RunRow {
            id: id.clone(),
            workflow: name.to_owned(),
            owner: actor.user_id.clone(),
            started_by: actor.name.clone(),
            status: status_name(&run),
            run: serde_json::to_value(&run).map_err(internal)?,
            version: 1,
            created_at: crate::stamp::now(),
            updated_at: crate::stamp::now(),
        };
        let (audit_name, workflow, events_json) =
            (actor.name.clone(), name.to_owned(), to_json(&events));
        let insert = stored.clone();
        self.store(move |s| {
            s.insert_run(&insert, &events_json)?;
            s.audit_append(&AuditEntry {
                actor: audit_name,
                action: "workflow.run.start".into(),
                target: Some(workflow),
                correlation_id: Some(insert.id.clone()),
                detail: json!({ "inputs": insert.run["state"].as_object().map(|m| m.keys().cloned().collect::<Vec<_>>()) }),
            })?;
            Ok(())
        })
        .await?;
        self.shared.events_tx.send_modify(|_| {});
        self.advance(actor, stored, run, tools, |_| Ok(Vec::new()))
            .await
    }

    /// A run the actor may see (its owner, an operator; anonymous runs by their id).
    pub async fn run_view(&self, actor: &Actor, id: &str) -> Result<RunView, CoreError> {
        let row = self.run_row(actor, id).await?;
        let run = serde_json::from_value(row.run.clone())
            .map_err(|err| CoreError::Internal(format!("stored run {id} is unreadable: {err}")))?;
        Ok(RunView { row, run })
    }

    /// The actor's own newest runs (optionally of one workflow), newest first, at most `limit`.
    pub async fn recent_runs(
        &self,
        actor: &Actor,
        workflow: Option<&str>,
        limit: usize,
    ) -> Result<Vec<RunRow>, CoreError> {
        let (owner, workflow) = (actor.user_id.clone(), workflow.map(str::to_owned));
        self.store(move |s| s.recent_runs_of(&owner, workflow.as_deref(), limit))
            .await
    }

    /// Answers the run's pending question and drives it on.
    pub async fn answer_run(
        &self,
        actor: &Actor,
        id: &str,
        question_uuid: &str,
        value: Value,
    ) -> Result<RunView, CoreError> {
        self.answer_run_with(actor, id, question_uuid, value, ToolCalls::Perform)
            .await
    }

    /// [`Core::answer_run`], holding tool calls or not.
    pub async fn answer_run_with(
        &self,
        actor: &Actor,
        id: &str,
        question_uuid: &str,
        value: Value,
        tools: ToolCalls,
    ) -> Result<RunView, CoreError> {
        let view = self.run_view(actor, id).await?;
        let question = question_uuid.to_owned();
        self.advance(actor, view.row, view.run, tools, move |run| {
            run.answer(&question, value)
        })
        .await
    }

    /// Makes the tool call a run held for approval (`call_id` must be the one pending), then drives the
    /// run on, holding later tool calls again.
    pub async fn perform_held_tool(
        &self,
        actor: &Actor,
        id: &str,
        call_id: &str,
    ) -> Result<RunView, CoreError> {
        let view = self.run_view(actor, id).await?;
        match view.run.pending_effect() {
            Some(Effect::Tool(request)) if request.call_id == call_id => {}
            _ => {
                return Err(CoreError::Conflict {
                    code: "run_not_waiting",
                    message: format!("run {id} holds no tool call `{call_id}`"),
                });
            }
        }
        let approved = Held::Approved(call_id.to_owned());
        self.advance(actor, view.row, view.run, approved, |_| Ok(Vec::new()))
            .await
    }

    /// Validates or rejects step `step` (a rejection with feedback re-runs it) and drives the run on.
    pub async fn validate_run_step(
        &self,
        actor: &Actor,
        id: &str,
        step: &str,
        validated: bool,
        feedback: Option<String>,
    ) -> Result<RunView, CoreError> {
        let view = self.run_view(actor, id).await?;
        let step = step.to_owned();
        self.advance(actor, view.row, view.run, ToolCalls::Perform, move |run| {
            run.validate(&step, validated, feedback.as_deref())
        })
        .await
    }

    /// Cancels the run.
    pub async fn cancel_run(&self, actor: &Actor, id: &str) -> Result<RunView, CoreError> {
        let view = self.run_view(actor, id).await?;
        self.advance(actor, view.row, view.run, ToolCalls::Perform, |run| {
            run.cancel()
        })
        .await
    }

    /// Events of a run after `after` (at most `limit`).
    pub async fn run_events(
        &self,
        actor: &Actor,
        id: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<RunEventRow>, CoreError> {
        let row = self.run_row(actor, id).await?;
        self.store(move |s| s.run_events_after(&row.id, after, limit))
            .await
    }

    /// Picks up runs a previous process left in the middle of a tool or llm call (stored as `running`
    /// with the call pending): each is driven on in the background, the call made again. Safe because a
    /// run's tool calls are dry runs, and the call's earlier attempt never reached the run's state.
    /// Returns how many were picked up.
    pub(crate) async fn resume_runs(&self) -> Result<usize, CoreError> {
        let rows = self.store(|s| s.runs_with_status("running")).await?;
        let mut resumed = 0;
        for row in rows {
            let run: Run = match serde_json::from_value(row.run.clone()) {
                Ok(run) => run,
                Err(err) => {
                    tracing::error!(run = %row.id, error = %err, "a stored run is unreadable; left as it is");
                    continue;
                }
            };
            if run.pending_effect().is_none() {
                continue;
            }
            // The run's own caller, as far as the stored row knows it: runs act with no role of their own
            // (tool calls are dry runs whoever started them).
            let actor = Actor {
                user_id: row.owner.clone(),
                name: row.started_by.clone(),
                role: Role::User,
            };
            let core = self.clone();
            let id = row.id.clone();
            tokio::spawn(async move {
                if let Err(err) = core
                    .advance(&actor, row, run, ToolCalls::Perform, |_| Ok(Vec::new()))
                    .await
                {
                    tracing::warn!(run = %id, error = %err, "a resumed run could not go on");
                }
            });
            resumed += 1;
        }
        Ok(resumed)
    }

    async fn run_row(&self, actor: &Actor, id: &str) -> Result<RunRow, CoreError> {
        let key = id.to_owned();
        let not_found = || CoreError::NotFound(format!("no run `{id}` (or it is not yours)"));
        let row = self
            .store(move |s| s.run(&key))
            .await?
            .ok_or_else(not_found)?;
        let visible = row.owner == actor.user_id || actor.role == Role::Operator;
        if visible { Ok(row) } else { Err(not_found()) }
    }

    /// Applies `step` to the run, then performs its effects until it pauses or ends (or, holding tools,
    /// reaches a tool call), storing the run and its events after each transition.
    async fn advance(
        &self,
        actor: &Actor,
        mut row: RunRow,
        mut run: Run,
        tools: impl Into<Held>,
        step: impl FnOnce(&mut Run) -> Result<Vec<Event>, RunError>,
    ) -> Result<RunView, CoreError> {
        let events = step(&mut run).map_err(|err| match err {
            RunError::InvalidAnswer { .. } => CoreError::Invalid(err.to_string()),
            other => CoreError::Conflict {
                code: "run_not_waiting",
                message: other.to_string(),
            },
        })?;
        self.save_run(&mut row, &run, &events).await?;
        let host = CoreHost {
            core: self.clone(),
            actor: actor.clone(),
            run_id: row.id.clone(),
        };
        // The crate's `drive` loop, with the run saved after each effect so a restart loses none.
        let mut tools = tools.into();
        while let Some(effect) = run.pending_effect().cloned() {
            if matches!(effect, Effect::Tool(_)) {
                match tools {
                    Held::Never => {}
                    Held::Approved(ref call) if call == effect.call_id() => tools = Held::Each,
                    Held::Approved(_) | Held::Each => break,
                }
            }
            let outcome = match &effect {
                Effect::Tool(request) => {
                    let (outcome, effects) = host.call_tool_with_effects(request).await;
                    run.note_effects(&request.call_id, effects);
                    outcome
                }
                Effect::Llm(request) => host.llm(request).await,
            };
            let events = run
                .complete_effect(effect.call_id(), outcome)
                .map_err(internal)?;
            self.save_run(&mut row, &run, &events).await?;
        }
        Ok(RunView { row, run })
    }

    async fn save_run(
        &self,
        row: &mut RunRow,
        run: &Run,
        events: &[Event],
    ) -> Result<(), CoreError> {
        let (id, version, status, value, events) = (
            row.id.clone(),
            row.version,
            status_name(run),
            serde_json::to_value(run).map_err(internal)?,
            to_json(events),
        );
        let stored = value.clone();
        let new_version = self
            .store(move |s| s.update_run(&id, version, &status, &value, &events))
            .await?;
        row.version = new_version;
        row.status = status_name(run);
        row.run = stored;
        row.updated_at = crate::stamp::now();
        self.shared.events_tx.send_modify(|_| {});
        Ok(())
    }
}

/// The sandbox and the language model, as a run's tool and llm nodes see them.
struct CoreHost {
    core: Core,
    actor: Actor,
    run_id: String,
}

impl CoreHost {
    /// The tool call, and what it did outside the sandbox (kept on the step's record for clients).
    async fn call_tool_with_effects(
        &self,
        request: &ToolRequest,
    ) -> (Result<Value, String>, Vec<Value>) {
        let invoke = InvokeRequest {
            tool: request.function_name.clone(),
            args: request.arguments.clone(),
            mode: Mode::DryRun,
            correlation_id: self.run_id.clone(),
            plan_approval: PlanApproval::NotAPlan,
            progress: None,
            cancel: None,
            binding: None,
        };
        let report = self.core.shared.runtime.invoke(invoke).await;
        if let Err(err) = self
            .core
            .record_invocation(
                &self.actor,
                "workflow.tool",
                crate::service::Channel::Api,
                None,
                &report,
            )
            .await
        {
            return (
                Err(format!("the tool call could not be audited: {err}")),
                Vec::new(),
            );
        }
        let effects: Vec<Value> = report
            .record
            .effects
            .iter()
            .map(
                |e| json!({ "capability": e.capability, "action": e.action, "outcome": e.outcome }),
            )
            .collect();
        let kept: Vec<Value> = report
            .record
            .effects
            .iter()
            .map(|e| {
                json!({ "capability": e.capability, "action": e.action, "outcome": e.outcome, "reason": e.reason })
            })
            .collect();
        let note = json!({ "type": "effects", "step": request.step, "callId": request.call_id, "effects": effects });
        let id = self.run_id.clone();
        let _ = self
            .core
            .store(move |s| {
                s.append_run_event(&id, &note)?;
                Ok(())
            })
            .await;
        let outcome = report
            .outcome
            .map_err(|err| format!("{} ({})", err, err.code()));
        (outcome, kept)
    }
}

#[async_trait]
impl WorkflowHost for CoreHost {
    async fn call_tool(&self, request: &ToolRequest) -> Result<Value, String> {
        self.call_tool_with_effects(request).await.0
    }

    async fn llm(&self, request: &LlmRequest) -> Result<Value, String> {
        let Some(model) = self.core.shared.llm.get() else {
            return Err(format!(
                "no language model is configured on this host; step `{}` is an llm node and needs one (an operator sets one with PUT /api/settings)",
                request.step
            ));
        };
        let mut system = request.system.clone().unwrap_or_default();
        if !request.output_model.is_empty() {
            let fields: Vec<&str> = request
                .output_model
                .iter()
                .map(|f| f.name.as_str())
                .collect();
            system.push_str(&format!(
                "\nAnswer with one JSON object with the fields {fields:?} and nothing else."
            ));
        }
        let mut chat = ChatRequest::new(vec![
            Message::system(system),
            Message::user(request.prompt.clone()),
        ]);
        chat.response_format_json = !request.output_model.is_empty();
        let model = match &request.model {
            Some(name) => std::sync::Arc::new(model.with_model(name.clone())),
            None => model,
        };
        let answer = model
            .chat(&chat)
            .await
            .map_err(|err| format!("step `{}`: the language model failed: {err}", request.step))?;
        if request.output_model.is_empty() {
            return Ok(Value::String(answer.content));
        }
        let text = answer.content.trim();
        let start = text.find('{').unwrap_or(0);
        let end = text.rfind('}').map_or(text.len(), |e| e + 1);
        serde_json::from_str::<Map<String, Value>>(text.get(start..end).unwrap_or(text))
            .map(Value::Object)
            .map_err(|err| {
                format!(
                    "step `{}`: the language model's answer is not the JSON object asked for ({err})",
                    request.step
                )
            })
    }
}

fn status_name(run: &Run) -> String {
    serde_json::to_value(run.status())
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

fn to_json(events: &[Event]) -> Vec<Value> {
    events
        .iter()
        .filter_map(|e| serde_json::to_value(e).ok())
        .collect()
}

fn internal(err: impl std::fmt::Display) -> CoreError {
    CoreError::Internal(err.to_string())
}
