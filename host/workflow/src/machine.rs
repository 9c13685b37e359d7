//! The engine's forward motion: starting a run, running nodes, following edges. The machine is
//! sans-IO: it never calls a tool or an LLM itself. A tool or llm node leaves an [`Effect`] pending
//! and returns; an input node or a validated step leaves a [`Question`] pending and returns; the
//! caller fulfils them through `respond` (or [`crate::drive`]). Between two calls the [`Run`] is
//! complete data, so it can be stored and resumed at any of those points.
//!
//! Loop control: each node may start at most `max_iterations` times per run (the flow's own value,
//! else [`Limits::default_max_iterations`]); the start past the cap fails the run naming the node.
//! Edges: the first edge whose condition holds wins; an unconditional edge always holds; a
//! condition that errs or returns a non-bool fails the run naming the edge; no edge holding fails
//! the run naming the node.

use serde_json::{Map, Value, json};
use thiserror::Error;
use uuid::Uuid;

use crate::condition;
use crate::event::Event;
use crate::flow::{END, Flow, NodeKind, START, feedback_keys};
use crate::load::Limits;
use crate::run::{
    Effect, LlmRequest, Pending, Question, QuestionKind, Run, RunFailure, RunStatus, StepRecord,
    StepStatus, ToolRequest,
};
use crate::template::{Template, render_json};
use crate::values::{apply_update, render_message};

/// Why a run could not start: the inputs do not match the flow's `inputs`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InputError {
    /// An input the flow does not declare.
    #[error("unknown input `{name}`; this workflow takes: {declared}")]
    Unknown {
        /// The input given.
        name: String,
        /// The declared inputs, comma-separated.
        declared: String,
    },
    /// A declared input without default was not given.
    #[error("missing input `{name}`")]
    Missing {
        /// The input.
        name: String,
    },
    /// An input of the wrong type.
    #[error("input `{name}`: {reason}")]
    Invalid {
        /// The input.
        name: String,
        /// What is wrong.
        reason: String,
    },
}

impl Run {
    /// Starts a run of `flow` with `inputs` (checked against the flow's `inputs`, defaults
    /// applied) and runs it as far as it goes without help. Returns the run and its first events.
    pub fn start(
        flow: Flow,
        inputs: Map<String, Value>,
        limits: &Limits,
    ) -> Result<(Run, Vec<Event>), InputError> {
        Self::start_with_id(Uuid::new_v4().to_string(), flow, inputs, limits)
    }

    /// [`Run::start`] with an id chosen by the caller (e.g. FastAgency's `workflow_uuid`).
    pub fn start_with_id(
        id: String,
        flow: Flow,
        inputs: Map<String, Value>,
        limits: &Limits,
    ) -> Result<(Run, Vec<Event>), InputError> {
        let state = check_inputs(&flow, inputs)?;
        let mut run = Run {
            id,
            max_iterations: flow
                .max_iterations()
                .unwrap_or(limits.default_max_iterations),
            condition_budget: limits.condition_budget,
            status: RunStatus::Running,
            state: state.clone(),
            current: None,
            pending: None,
            history: Vec::new(),
            visits: Default::default(),
            rerun_with_feedback: None,
            result: None,
            failure: None,
            flow,
        };
        let mut events = vec![Event::WorkflowStarted {
            name: run.flow.name().to_owned(),
            description: run.flow.description().to_owned(),
            params: state,
        }];
        run.take_edge(START, &mut events);
        run.advance(&mut events);
        Ok((run, events))
    }

    /// Runs nodes until the run waits (effect, question) or finishes.
    pub(crate) fn advance(&mut self, events: &mut Vec<Event>) {
        while self.status == RunStatus::Running && self.pending.is_none() {
            let Some(step) = self.current.clone() else {
                break;
            };
            self.run_node(&step, events);
        }
    }

    fn run_node(&mut self, step: &str, events: &mut Vec<Event>) {
        let Some(node) = self.flow.node(step).cloned() else {
            let long = format!("the run is at step `{step}`, which its flow does not have");
            return self.fail(Some(step), None, "unknown step".into(), long, events);
        };
        let iteration = self.visits.get(step).copied().unwrap_or(0) + 1;
        if iteration > self.max_iterations {
            let short = format!("iteration cap reached at step `{step}`");
            let long = format!(
                "step `{step}` was about to start for time {iteration}; a step may start at most \
                 {} times per run (the flow's `max_iterations`, else the host's default)",
                self.max_iterations
            );
            return self.fail(Some(step), None, short, long, events);
        }
        self.visits.insert(step.to_owned(), iteration);
        let rerun = self.rerun_with_feedback.take().filter(|s| s == step);
        if node.user_validation_required && rerun.is_none() {
            for key in feedback_keys(step) {
                self.state.insert(key, json!(""));
            }
        }
        let [_, step_feedback] = feedback_keys(step);
        let feedback = rerun
            .and_then(|_| self.state.get(&step_feedback))
            .and_then(Value::as_str)
            .map(str::to_owned);
        self.history.push(StepRecord {
            step: step.to_owned(),
            node_type: node.node_type(),
            iteration,
            status: StepStatus::Running,
            input: None,
            output: None,
            feedback,
            error: None,
            message: None,
            effects: Vec::new(),
        });
        events.push(Event::StepStarted {
            step: step.to_owned(),
            node_type: node.node_type(),
            iteration,
        });
        if let Err(err) = self.start_node(step, &node.kind, events) {
            self.fail(
                Some(step),
                None,
                format!("step `{step}` failed"),
                err,
                events,
            );
        }
    }

    /// Does what the node does up to its first wait (or to its end, for output and update_state).
    fn start_node(
        &mut self,
        step: &str,
        kind: &NodeKind,
        events: &mut Vec<Event>,
    ) -> Result<(), String> {
        let render = |text: &str, state: &Map<String, Value>| {
            Template::parse(text)
                .and_then(|t| t.render(state))
                .map_err(|e| e.to_string())
        };
        match kind {
            NodeKind::Input(input) => {
                let prompt = render(&input.prompt, &self.state)?;
                let choices = input
                    .options
                    .iter()
                    .map(|o| render(o, &self.state))
                    .collect::<Result<Vec<_>, _>>()?;
                let question = Question {
                    question_uuid: Uuid::new_v4().to_string(),
                    kind: if choices.is_empty() {
                        QuestionKind::Input
                    } else {
                        QuestionKind::Choice
                    },
                    step: step.to_owned(),
                    prompt: prompt.clone(),
                    suggestions: Vec::new(),
                    choices,
                    output: None,
                };
                self.record_input(json!(prompt), StepStatus::Waiting);
                self.status = RunStatus::WaitingInput;
                events.push(Event::Question(question.clone()));
                self.pending = Some(Pending::Input { question });
            }
            NodeKind::Llm(llm) => {
                let system = llm
                    .system
                    .as_deref()
                    .map(|s| render(s, &self.state))
                    .transpose()?;
                let prompt = render(&llm.prompt, &self.state)?;
                self.record_input(
                    json!({"system": system, "prompt": prompt}),
                    StepStatus::Running,
                );
                self.pending = Some(Pending::Effect(Effect::Llm(LlmRequest {
                    call_id: Uuid::new_v4().to_string(),
                    step: step.to_owned(),
                    model: self.flow.model().map(str::to_owned),
                    system,
                    prompt,
                    output_model: llm.output_model.clone(),
                    tools: llm.tools.clone(),
                })));
            }
            NodeKind::Tool(tool) => {
                let arguments = render_json(&tool.args, &self.state).map_err(|e| e.to_string())?;
                let call_id = Uuid::new_v4().to_string();
                self.record_input(arguments.clone(), StepStatus::Running);
                events.push(Event::ToolCall {
                    step: step.to_owned(),
                    function_name: tool.tool.clone(),
                    call_id: call_id.clone(),
                    arguments: arguments.clone(),
                });
                self.pending = Some(Pending::Effect(Effect::Tool(ToolRequest {
                    call_id,
                    step: step.to_owned(),
                    function_name: tool.tool.clone(),
                    arguments,
                })));
            }
            NodeKind::Output(output) => {
                let body = render_message(&output.user_message, &self.state)
                    .map_err(|e| e.to_string())?
                    .unwrap_or_default();
                self.finish_step(step, json!(body), Map::new(), Some(body), events);
            }
            NodeKind::UpdateState(update) => {
                let value =
                    apply_update(&update.source, update.action, &update.target, &self.state)?;
                let updates = Map::from_iter([(update.target.name.clone(), value.clone())]);
                self.finish_step(step, value, updates, None, events);
            }
        }
        Ok(())
    }

    fn record_input(&mut self, input: Value, status: StepStatus) {
        if let Some(record) = self.history.last_mut() {
            record.input = Some(input);
            record.status = status;
        }
    }

    /// A step produced `output` and wants `updates` in the state: apply them and move on, or, for
    /// a validated step, hold them and ask the person.
    pub(crate) fn finish_step(
        &mut self,
        step: &str,
        output: Value,
        updates: Map<String, Value>,
        message: Option<String>,
        events: &mut Vec<Event>,
    ) {
        let validated = self
            .flow
            .node(step)
            .is_some_and(|n| n.user_validation_required);
        if let Some(record) = self.history.last_mut() {
            record.output = Some(output.clone());
            record.message = message.clone();
            record.status = if validated {
                StepStatus::Waiting
            } else {
                StepStatus::Completed
            };
        }
        if let Some(body) = message {
            events.push(Event::Message {
                step: step.to_owned(),
                body,
            });
        }
        events.push(Event::StepEnded {
            step: step.to_owned(),
            output: output.clone(),
        });
        if validated {
            let question = Question {
                question_uuid: Uuid::new_v4().to_string(),
                kind: QuestionKind::Validation,
                step: step.to_owned(),
                prompt: format!(
                    "Validate the result of step `{step}`: yes to continue, no to stop, \
                     or write feedback to run the step again with it."
                ),
                suggestions: vec!["yes".into(), "no".into()],
                choices: vec!["yes".into(), "no".into()],
                output: Some(output),
            };
            self.status = RunStatus::WaitingValidation;
            events.push(Event::Question(question.clone()));
            self.pending = Some(Pending::Validation { question, updates });
        } else {
            self.state.extend(updates);
            self.take_edge(step, events);
        }
    }

    /// Follows the first edge out of `from` that holds.
    pub(crate) fn take_edge(&mut self, from: &str, events: &mut Vec<Event>) {
        let edges = self.flow.edges_from(from).to_vec();
        for edge in &edges {
            let holds = match &edge.condition {
                None => true,
                Some(source) => {
                    match condition::evaluate(source, &self.state, self.condition_budget) {
                        Ok(holds) => holds,
                        Err(err) => {
                            let short = format!("condition of edge `{}` failed", edge.label());
                            let long = format!(
                                "edge `{}` (line {}), condition {source:?}: {err}",
                                edge.label(),
                                edge.line
                            );
                            let step = (from != START).then_some(from);
                            return self.fail(step, Some(edge.label()), short, long, events);
                        }
                    }
                }
            };
            if holds {
                if edge.to == END {
                    self.complete(events);
                } else {
                    self.current = Some(edge.to.clone());
                }
                return;
            }
        }
        let short = format!("no edge out of `{from}` holds");
        let long = format!(
            "none of the {} edge(s) out of `{from}` holds for the current state; add an edge \
             without a condition as the last one to catch the rest",
            edges.len()
        );
        let step = (from != START).then_some(from);
        self.fail(step, None, short, long, events);
    }

    fn complete(&mut self, events: &mut Vec<Event>) {
        let result = Value::Object(self.state.clone());
        self.status = RunStatus::Completed;
        self.current = None;
        self.result = Some(result.clone());
        events.push(Event::Completed { result });
    }

    /// Ends the run as failed, marking the step's record.
    pub(crate) fn fail(
        &mut self,
        step: Option<&str>,
        edge: Option<String>,
        short: String,
        long: String,
        events: &mut Vec<Event>,
    ) {
        if let Some(record) = self.history.last_mut()
            && step == Some(record.step.as_str())
            && matches!(record.status, StepStatus::Running | StepStatus::Waiting)
        {
            record.status = StepStatus::Failed;
            record.error = Some(long.clone());
        }
        self.status = RunStatus::Failed;
        self.pending = None;
        self.current = None;
        self.failure = Some(RunFailure {
            step: step.map(str::to_owned),
            edge,
            short: short.clone(),
            long: long.clone(),
        });
        events.push(Event::Error {
            step: step.map(str::to_owned),
            short,
            long,
        });
    }
}

/// Checks run inputs against the declared ones and applies defaults.
fn check_inputs(
    flow: &Flow,
    mut inputs: Map<String, Value>,
) -> Result<Map<String, Value>, InputError> {
    let declared = flow.inputs();
    if let Some(name) = inputs
        .keys()
        .find(|k| !declared.iter().any(|d| &d.name == *k))
    {
        let names: Vec<&str> = declared.iter().map(|d| d.name.as_str()).collect();
        return Err(InputError::Unknown {
            name: name.clone(),
            declared: if names.is_empty() {
                "no inputs".into()
            } else {
                names.join(", ")
            },
        });
    }
    let mut state = Map::new();
    for spec in declared {
        let value = match (inputs.remove(&spec.name), &spec.default) {
            (Some(value), _) => value,
            (None, Some(default)) => default.clone(),
            (None, None) => {
                return Err(InputError::Missing {
                    name: spec.name.clone(),
                });
            }
        };
        let value = spec
            .var_type
            .coerce(value)
            .map_err(|reason| InputError::Invalid {
                name: spec.name.clone(),
                reason,
            })?;
        state.insert(spec.name.clone(), value);
    }
    Ok(state)
}
