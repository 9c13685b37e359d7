//! A run as Mojodex sees it: its step records as step executions, and its stored events as Socket.IO
//! events in the execution's room (`session_id`).
//!
//! | run event | Socket.IO event (to the room only) |
//! |---|---|
//! | `step_started` | `workflow_step_execution_started` |
//! | `step_ended` | `workflow_step_execution_ended` (`validated` false while the step waits for a person) |
//! | `step_validated` with `validated: false` | `workflow_step_execution_invalidated` |
//! | `error` (the run failed) | `error {error, session_id}`, then `workflow_execution_ended` |
//! | `completed`, `rejected`, `cancelled` | `workflow_execution_ended {user_workflow_execution_pk, status, session_id}` (Drydock's; Mojodex has no such event) |
//!
//! A step execution is one start of a node (`{user_workflow_step_execution_pk, workflow_step_pk,
//! step_name, validated, parameter, result, session_id}`): `parameter` is what the step was given (the
//! rendered prompt or tool arguments), `result` a list as in Mojodex (the step's output, in a list unless
//! it is one). Messages, tool calls and questions have no Mojodex event; their content is in the results.
//!
//! One [`pump`] per run follows its stored events (woken by the core's event signal) and emits them in
//! order; it ends when the run has finished and everything is sent.

use std::collections::HashMap;

use drydock_core::mojodex::{ExecutionRow, MojodexWorkflow};
use drydock_core::runs_service::RunView;
use drydock_core::{Actor, Core, CoreError};
use drydock_workflow::{StepRecord, StepStatus};
use serde_json::{Value, json};
use socketioxide::SocketIo;

/// Stored events read per query.
const PAGE: usize = 200;

/// `result` as Mojodex has it: a list (the output itself when it is one, else in a list); null before the
/// step produced anything.
pub fn result_list(output: Option<&Value>) -> Value {
    match output {
        None | Some(Value::Null) => Value::Null,
        Some(list @ Value::Array(_)) => list.clone(),
        Some(other) => json!([other]),
    }
}

/// One step execution: `record` (a start of a node) with its integer.
pub fn step_execution_json(
    pk: i64,
    workflow: &MojodexWorkflow,
    record: &StepRecord,
    session_id: &str,
) -> Value {
    json!({
        "user_workflow_step_execution_pk": pk,
        "workflow_step_pk": workflow.step_pk(&record.step),
        "step_name": record.step,
        "validated": record.status == StepStatus::Completed,
        "parameter": record.input.clone().unwrap_or_else(|| json!({})),
        "result": result_list(record.output.as_ref()),
        "session_id": session_id,
    })
}

/// Every step record of the run with its `user_workflow_step_execution_pk`, in order.
pub async fn numbered_steps<'a>(
    core: &Core,
    view: &'a RunView,
) -> Result<Vec<(i64, &'a StepRecord)>, CoreError> {
    let history = view.run.history();
    let starts: Vec<(String, u32)> = history
        .iter()
        .map(|r| (r.step.clone(), r.iteration))
        .collect();
    let pks = core
        .mojodex_step_execution_pks(&view.row.id, &starts)
        .await?;
    Ok(pks.into_iter().zip(history.iter()).collect())
}

/// The step execution waiting for validation, if the run waits for one.
pub async fn pending_validation(
    core: &Core,
    view: &RunView,
    workflow: &MojodexWorkflow,
    session_id: &str,
) -> Result<Option<Value>, CoreError> {
    let steps = numbered_steps(core, view).await?;
    Ok(steps
        .iter()
        .rev()
        .find(|(_, r)| r.status == StepStatus::Waiting && r.output.is_some())
        .filter(|_| view.run.status() == drydock_workflow::RunStatus::WaitingValidation)
        .map(|(pk, r)| step_execution_json(*pk, workflow, r, session_id)))
}

/// Follows run `execution.run_id` and emits its events to the execution's room until it has finished.
/// With `replay` false, the events stored before the pump started are read but not sent.
pub async fn pump(core: Core, io: SocketIo, actor: Actor, execution: ExecutionRow, replay: bool) {
    let mut signal = core.event_signal();
    let mut follower = Follower {
        after: 0,
        iterations: HashMap::new(),
        workflow: None,
        execution,
    };
    let mut silent = !replay;
    loop {
        match follower.catch_up(&core, &io, &actor, silent).await {
            Ok(Progress::Finished) => return,
            Ok(Progress::Going) => silent = false,
            Err(err) => {
                tracing::warn!(run = %follower.execution.run_id, error = %err, "a Mojodex event pump stopped");
                return;
            }
        }
        if signal.changed().await.is_err() {
            return;
        }
    }
}

enum Progress {
    Going,
    Finished,
}

/// What a pump knows between wake-ups.
struct Follower {
    /// The last event read.
    after: i64,
    /// The iteration of each node's latest start (a `step_ended` names the node, not the start).
    iterations: HashMap<String, u32>,
    /// The run's flow with its integers, once the run exists.
    workflow: Option<MojodexWorkflow>,
    execution: ExecutionRow,
}

impl Follower {
    async fn catch_up(
        &mut self,
        core: &Core,
        io: &SocketIo,
        actor: &Actor,
        silent: bool,
    ) -> Result<Progress, CoreError> {
        let run_id = self.execution.run_id.clone();
        // The run is read before its events, so once it has finished, every event up to the end is
        // among those read below.
        let before = match core.run_view(actor, &run_id).await {
            Ok(view) => view,
            Err(CoreError::NotFound(_)) => return Ok(Progress::Going),
            Err(err) => return Err(err),
        };
        if self.workflow.is_none() {
            self.workflow = Some(
                core.mojodex_describe(actor, before.run.flow().clone())
                    .await?,
            );
        }
        loop {
            let rows = core.run_events(actor, &run_id, self.after, PAGE).await?;
            let Some(last) = rows.last() else { break };
            self.after = last.seq;
            // Read again after the events: every step they name is in this view's history.
            let view = core.run_view(actor, &run_id).await?;
            for row in rows {
                for (name, payload) in self.map(core, &view, &row.event).await? {
                    if !silent {
                        let room = self.execution.session_id.clone();
                        if let Err(err) = io.to(room).emit(name, &payload).await {
                            tracing::debug!(error = %err, "a Mojodex event reached no one");
                        }
                    }
                }
            }
        }
        Ok(if before.run.is_finished() {
            Progress::Finished
        } else {
            Progress::Going
        })
    }

    /// The Socket.IO events of one run event.
    async fn map(
        &mut self,
        core: &Core,
        view: &RunView,
        event: &Value,
    ) -> Result<Vec<(&'static str, Value)>, CoreError> {
        let session_id = self.execution.session_id.clone();
        let step = event["step"].as_str().unwrap_or_default().to_owned();
        let out = match event["type"].as_str().unwrap_or_default() {
            "step_started" => {
                let iteration = event["iteration"].as_u64().unwrap_or(1) as u32;
                self.iterations.insert(step.clone(), iteration);
                let mut payload = self.step_payload(core, view, &step, iteration).await?;
                payload["validated"] = json!(false);
                payload["result"] = Value::Null;
                vec![("workflow_step_execution_started", payload)]
            }
            "step_ended" => {
                let iteration = self.iteration_of(view, &step);
                let mut payload = self.step_payload(core, view, &step, iteration).await?;
                let needs_validation = view
                    .run
                    .flow()
                    .node(&step)
                    .is_some_and(|n| n.user_validation_required);
                payload["validated"] = json!(!needs_validation);
                payload["result"] = result_list(Some(&event["output"]));
                vec![("workflow_step_execution_ended", payload)]
            }
            "step_validated" if event["validated"] == json!(false) => {
                let iteration = self.iteration_of(view, &step);
                let mut payload = self.step_payload(core, view, &step, iteration).await?;
                payload["validated"] = json!(false);
                if let Some(feedback) = event["feedback"].as_str() {
                    payload["feedback"] = json!(feedback);
                }
                vec![("workflow_step_execution_invalidated", payload)]
            }
            "error" => {
                let short = event["short"].as_str().unwrap_or("the workflow failed");
                let long = event["long"].as_str().unwrap_or_default();
                vec![
                    (
                        "error",
                        json!({ "error": format!("{short}: {long}"), "session_id": session_id }),
                    ),
                    self.ended("failed"),
                ]
            }
            kind @ ("completed" | "rejected" | "cancelled") => vec![self.ended(kind)],
            _ => Vec::new(),
        };
        Ok(out)
    }

    fn ended(&self, status: &str) -> (&'static str, Value) {
        (
            "workflow_execution_ended",
            json!({
                "user_workflow_execution_pk": self.execution.pk,
                "status": status,
                "session_id": self.execution.session_id,
            }),
        )
    }

    /// The iteration of `step`'s latest start: as this pump saw it, else as the run's history has it.
    fn iteration_of(&self, view: &RunView, step: &str) -> u32 {
        self.iterations.get(step).copied().unwrap_or_else(|| {
            view.run
                .history()
                .iter()
                .rev()
                .find(|r| r.step == step)
                .map_or(1, |r| r.iteration)
        })
    }

    async fn step_payload(
        &self,
        core: &Core,
        view: &RunView,
        step: &str,
        iteration: u32,
    ) -> Result<Value, CoreError> {
        let pk = core
            .mojodex_step_execution_pks(&view.row.id, &[(step.to_owned(), iteration)])
            .await?[0];
        let workflow = self
            .workflow
            .as_ref()
            .ok_or_else(|| CoreError::Internal("the pump has no workflow".into()))?;
        let record = view
            .run
            .history()
            .iter()
            .find(|r| r.step == step && r.iteration == iteration);
        Ok(match record {
            Some(record) => step_execution_json(pk, workflow, record, &self.execution.session_id),
            None => json!({
                "user_workflow_step_execution_pk": pk,
                "workflow_step_pk": workflow.step_pk(step),
                "step_name": step,
                "validated": false,
                "parameter": {},
                "result": null,
                "session_id": self.execution.session_id,
            }),
        })
    }
}
