//! Workflow runs on [`Core`]: start a run of a stored workflow, answer its questions, validate or reject
//! its steps, cancel it, read it and its events. Tool nodes run tools in the same sandbox as everything
//! else — dry-run, under the same policy, each invocation and effect audited with the run's id as the
//! correlation id (`run_host.rs`); llm nodes use the language model configured in the settings, or
//! the one the run's client chose ([`crate::llm_choice`]).
//!
//! What a client chose when it started a run is stored with it: whether tool calls wait for a person's
//! approval (a held call is never made by a restart), the language model, and the client's own name for
//! the run, so a client's next request finds the run again after a restart.
//!
//! Each request drives the run until it waits for a person or ends, storing the run whole and every event
//! as it goes (streams see events while the request still works). A run is updated only at the version it
//! was read at, so two answers racing for the same question cannot both apply: the loser gets a conflict.

use drydock_workflow::{Effect, Event, Limits, Run, RunError, WorkflowHost};
use serde_json::{Value, json};

use crate::actor::Actor;
use crate::core_error::CoreError;
use crate::llm_choice::LlmChoice;
use crate::run_host::CoreHost;
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

/// What a client chooses when it starts a run, stored with it.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Whether tool calls wait for a person's approval.
    pub tools: ToolCalls,
    /// The language model of its llm nodes ([`Core::choose_llm`]); `None`: the server's default.
    pub llm: Option<LlmChoice>,
    /// The client's own name for the run ([`Core::run_for_client`] finds it again).
    pub client_key: Option<String>,
}

/// How [`Core::advance`] treats tool calls: all made, each held, or one approved and the rest held.
enum Held {
    Never,
    Each,
    Approved(String),
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
        self.start_run_with(actor, name, inputs, run_id, RunOptions::default())
            .await
    }

    /// [`Core::start_run`] with what the client chose, stored with the run.
    pub async fn start_run_with(
        &self,
        actor: &Actor,
        name: &str,
        inputs: Value,
        run_id: Option<String>,
        options: RunOptions,
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
            hold_tools: options.tools == ToolCalls::Hold,
            llm: options
                .llm
                .as_ref()
                .map(|choice| serde_json::to_value(choice).map_err(internal))
                .transpose()?,
            client_key: options.client_key,
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
        self.advance(actor, stored, run, Held::Never, |_| Ok(Vec::new()))
            .await
    }

    /// The newest run filed under the client's `key` ([`RunOptions::client_key`]) that the actor may see,
    /// with the seq of its last event.
    pub async fn run_for_client(
        &self,
        actor: &Actor,
        key: &str,
    ) -> Result<Option<(RunView, i64)>, CoreError> {
        let key = key.to_owned();
        let Some(row) = self.store(move |s| s.run_by_client_key(&key)).await? else {
            return Ok(None);
        };
        if row.owner != actor.user_id && actor.role != Role::Operator {
            return Ok(None);
        }
        let id = row.id.clone();
        let last = self.store(move |s| s.last_run_event_seq(&id)).await?;
        Ok(Some((self.run_view(actor, &row.id).await?, last)))
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
        let view = self.run_view(actor, id).await?;
        let question = question_uuid.to_owned();
        self.advance(actor, view.row, view.run, Held::Never, move |run| {
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
        self.advance(actor, view.row, view.run, Held::Never, move |run| {
            run.validate(&step, validated, feedback.as_deref())
        })
        .await
    }

    /// Cancels the run.
    pub async fn cancel_run(&self, actor: &Actor, id: &str) -> Result<RunView, CoreError> {
        let view = self.run_view(actor, id).await?;
        self.advance(actor, view.row, view.run, Held::Never, |run| run.cancel())
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
    /// run's tool calls are dry runs, and the call's earlier attempt never reached the run's state. A run
    /// that holds tool calls for approval and waits on one is left waiting: its call is made only when a
    /// person approves it ([`Core::perform_held_tool`]), restart or not. Returns how many were picked up.
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
            match run.pending_effect() {
                None => continue,
                Some(Effect::Tool(_)) if row.hold_tools => continue,
                Some(_) => {}
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
                    .advance(&actor, row, run, Held::Never, |_| Ok(Vec::new()))
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
    /// reaches a tool call), storing the run and its events after each transition. A run stored as
    /// holding tool calls holds them whatever `tools` says, but for the one call approved.
    async fn advance(
        &self,
        actor: &Actor,
        mut row: RunRow,
        mut run: Run,
        tools: Held,
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
        let llm = match &row.llm {
            None => None,
            Some(value) => Some(serde_json::from_value::<LlmChoice>(value.clone()).map_err(
                |err| {
                    CoreError::Internal(format!(
                        "run {}: the stored model choice is unreadable: {err}",
                        row.id
                    ))
                },
            )?),
        };
        let host = CoreHost {
            core: self.clone(),
            actor: actor.clone(),
            run_id: row.id.clone(),
            llm,
        };
        // The crate's `drive` loop, with the run saved after each effect so a restart loses none.
        let mut tools = match tools {
            Held::Never if row.hold_tools => Held::Each,
            other => other,
        };
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
