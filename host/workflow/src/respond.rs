//! The engine's inputs from outside: an effect's outcome ([`Run::complete_effect`]), a person's
//! answer ([`Run::answer`]), a step validation ([`Run::validate`]) and [`Run::cancel`]. Each checks
//! that the run waits for exactly that (else a [`RunError`], and the run is unchanged), applies it,
//! runs on as far as it can, and returns the events.
//!
//! Validation semantics (Mojodex's `user_validation_required`): accepting applies the step's held
//! state changes and follows its edges; rejecting with feedback stores the text in `feedback` and
//! `<step>_feedback` and runs the step again (a new history record, the iteration cap applies);
//! rejecting without feedback ends the run as `rejected`.

use serde_json::{Map, Value, json};
use thiserror::Error;

use crate::event::Event;
use crate::flow::{NodeKind, feedback_keys};
use crate::run::{Effect, Pending, Run, RunStatus, StepStatus};
use crate::values::{output_updates, render_message};

/// Why a call on a run was refused; the run is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RunError {
    /// The run already finished.
    #[error("the run is already {status}")]
    Finished {
        /// Its final status.
        status: RunStatus,
    },
    /// No pending question has this id.
    #[error("the run is not waiting for an answer to question {question_uuid}")]
    NoSuchQuestion {
        /// The id given.
        question_uuid: String,
    },
    /// The step is not waiting for validation.
    #[error("step `{step}` is not waiting for validation")]
    NotAwaitingValidation {
        /// The step given.
        step: String,
    },
    /// No pending effect has this call id.
    #[error("the run is not waiting for the outcome of call {call_id}")]
    NoSuchCall {
        /// The id given.
        call_id: String,
    },
    /// The answer does not fit the question; it is still pending.
    #[error("invalid answer: {reason}")]
    InvalidAnswer {
        /// What is wrong.
        reason: String,
    },
}

impl Run {
    fn ensure_open(&self) -> Result<(), RunError> {
        if self.status.is_finished() {
            Err(RunError::Finished {
                status: self.status,
            })
        } else {
            Ok(())
        }
    }

    /// Keeps what the pending tool call `call_id` did outside the sandbox on its step's record (before
    /// its outcome is reported). Ignored for any other call.
    pub fn note_effects(&mut self, call_id: &str, effects: Vec<Value>) {
        let pending_tool = matches!(&self.pending, Some(Pending::Effect(Effect::Tool(call))) if call.call_id == call_id);
        if pending_tool && let Some(record) = self.history.last_mut() {
            record.effects = effects;
        }
    }

    /// Reports the outcome of the pending effect `call_id` (`Err` = the call failed: the run fails
    /// naming the step; for an llm node with no LLM configured, the host's error says so).
    pub fn complete_effect(
        &mut self,
        call_id: &str,
        outcome: Result<Value, String>,
    ) -> Result<Vec<Event>, RunError> {
        self.ensure_open()?;
        let Some(Pending::Effect(effect)) = &self.pending else {
            return Err(RunError::NoSuchCall {
                call_id: call_id.to_owned(),
            });
        };
        if effect.call_id() != call_id {
            return Err(RunError::NoSuchCall {
                call_id: call_id.to_owned(),
            });
        }
        let effect = effect.clone();
        self.pending = None;
        let mut events = Vec::new();
        let step = effect.step().to_owned();
        if let Effect::Tool(call) = &effect {
            events.push(Event::ToolResult {
                step: step.clone(),
                function_name: call.function_name.clone(),
                call_id: call.call_id.clone(),
                retval: match &outcome {
                    Ok(value) => value.clone(),
                    Err(message) => json!({ "error": message }),
                },
                ok: outcome.is_ok(),
            });
        }
        let result = match outcome {
            Ok(result) => result,
            Err(message) => {
                let short = match &effect {
                    Effect::Tool(call) => {
                        format!("tool `{}` failed in step `{step}`", call.function_name)
                    }
                    Effect::Llm(_) => format!("llm step `{step}` failed"),
                };
                self.fail(Some(&step), None, short, message, &mut events);
                return Ok(events);
            }
        };
        match self.effect_changes(&step, &result) {
            Ok((updates, message)) => {
                self.finish_step(&step, result, updates, message, &mut events);
                self.advance(&mut events);
            }
            Err(err) => {
                let short = format!("step `{step}` returned an unusable result");
                self.fail(Some(&step), None, short, err, &mut events);
            }
        }
        Ok(events)
    }

    /// The state changes and message of a tool or llm result.
    fn effect_changes(
        &self,
        step: &str,
        result: &Value,
    ) -> Result<(Map<String, Value>, Option<String>), String> {
        let node = self
            .flow
            .node(step)
            .ok_or_else(|| format!("unknown step `{step}`"))?;
        let (model, message) = match &node.kind {
            NodeKind::Tool(tool) => (&tool.output_model, &tool.user_message),
            NodeKind::Llm(llm) => (&llm.output_model, &llm.user_message),
            _ => return Err(format!("step `{step}` makes no calls")),
        };
        let updates = output_updates(node.node_type(), model, result)?;
        let mut view = self.state.clone();
        view.extend(updates.clone());
        let message = render_message(message, &view).map_err(|e| e.to_string())?;
        Ok((updates, message))
    }

    /// Answers the pending question `question_uuid`.
    ///
    /// For an input node the value is converted to the `output_model` type and, with `options`,
    /// must be one of them. For a validation question the answer is text: `yes`/`y`/`ok`/`true` or
    /// empty accepts, `no`/`n`/`false` rejects, anything else rejects with that text as feedback
    /// (so a FastAgency client, which only sends text, can do all three).
    pub fn answer(&mut self, question_uuid: &str, value: Value) -> Result<Vec<Event>, RunError> {
        self.ensure_open()?;
        let no_such = || RunError::NoSuchQuestion {
            question_uuid: question_uuid.to_owned(),
        };
        let question = self.question().ok_or_else(no_such)?.clone();
        if question.question_uuid != question_uuid {
            return Err(no_such());
        }
        if let Some(Pending::Validation { .. }) = &self.pending {
            let text = match &value {
                Value::String(text) => text.trim().to_owned(),
                Value::Bool(true) => "yes".into(),
                Value::Bool(false) => "no".into(),
                other => other.to_string(),
            };
            return match text.to_ascii_lowercase().as_str() {
                "" | "yes" | "y" | "ok" | "true" => self.validate(&question.step, true, None),
                "no" | "n" | "false" => self.validate(&question.step, false, None),
                _ => self.validate(&question.step, false, Some(&text)),
            };
        }
        let Some(NodeKind::Input(input)) = self.flow.node(&question.step).map(|n| &n.kind) else {
            return Err(no_such());
        };
        let value = input
            .output
            .var_type
            .coerce(value)
            .map_err(|reason| RunError::InvalidAnswer { reason })?;
        if !question.choices.is_empty() {
            let text = crate::template::display_value(&value);
            if !question.choices.contains(&text) {
                return Err(RunError::InvalidAnswer {
                    reason: format!(
                        "`{text}` is not one of the options: {}",
                        question.choices.join(", ")
                    ),
                });
            }
        }
        let updates = Map::from_iter([(input.output.name.clone(), value.clone())]);
        self.pending = None;
        self.status = RunStatus::Running;
        let mut events = Vec::new();
        self.finish_step(&question.step, value, updates, None, &mut events);
        self.advance(&mut events);
        Ok(events)
    }

    /// Validates (`validated`) or rejects the step waiting for validation. Blank feedback counts as
    /// none.
    pub fn validate(
        &mut self,
        step: &str,
        validated: bool,
        feedback: Option<&str>,
    ) -> Result<Vec<Event>, RunError> {
        self.ensure_open()?;
        let waiting = matches!(&self.pending, Some(Pending::Validation { question, .. }) if question.step == step);
        let Some(Pending::Validation { updates, .. }) =
            waiting.then(|| self.pending.take()).flatten()
        else {
            return Err(RunError::NotAwaitingValidation {
                step: step.to_owned(),
            });
        };
        let feedback = feedback
            .map(str::trim)
            .filter(|f| !f.is_empty() && !validated)
            .map(str::to_owned);
        self.status = RunStatus::Running;
        let mut events = vec![Event::StepValidated {
            step: step.to_owned(),
            validated,
            feedback: feedback.clone(),
        }];
        if let Some(record) = self.history.last_mut() {
            record.status = if validated {
                StepStatus::Completed
            } else {
                StepStatus::Rejected
            };
            if !validated {
                record.feedback = feedback.clone();
            }
        }
        match (validated, feedback) {
            (true, _) => {
                self.state.extend(updates);
                self.take_edge(step, &mut events);
            }
            (false, Some(feedback)) => {
                for key in feedback_keys(step) {
                    self.state.insert(key, json!(feedback));
                }
                self.rerun_with_feedback = Some(step.to_owned());
            }
            (false, None) => {
                self.status = RunStatus::Rejected;
                self.current = None;
                events.push(Event::Rejected {
                    step: step.to_owned(),
                });
            }
        }
        self.advance(&mut events);
        Ok(events)
    }

    /// Cancels the run wherever it is.
    pub fn cancel(&mut self) -> Result<Vec<Event>, RunError> {
        self.ensure_open()?;
        if let Some(record) = self.history.last_mut()
            && matches!(record.status, StepStatus::Running | StepStatus::Waiting)
        {
            record.status = StepStatus::Cancelled;
        }
        self.status = RunStatus::Cancelled;
        self.pending = None;
        self.current = None;
        Ok(vec![Event::Cancelled])
    }
}
