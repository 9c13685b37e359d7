//! The inputs a Mojodex client gives at start, and answering a run's input nodes from them.
//!
//! Mojodex starts an execution with every input at once (`[{input_name, value}]`) and has no message for a
//! question in the middle of a run. So a Drydock workflow's declared inputs become the run's inputs, and
//! each input node is answered with the value given under its variable's name, every time the run reaches
//! it (a loop asks the same node again and gets the same value: give `again: "no"` to `echo_loop`). A
//! node whose value was not given, or whose value it refuses, leaves the run waiting for that answer: the
//! room gets an `error` naming the input, and the native API (`POST /api/runs/{id}/answers`) can still
//! answer it.
//!
//! Each drive runs in a task of its own, so a client that goes away mid-request does not stop a run
//! halfway through a tool call.

use std::collections::BTreeSet;

use drydock_core::mojodex::MojodexWorkflow;
use drydock_core::{Actor, Core, CoreError};
use drydock_workflow::{NodeKind, QuestionKind};
use serde_json::{Map, Value, json};

use super::MojodexError;

/// The most inputs one start may give.
const MAX_INPUTS: usize = 256;
/// The most input nodes one drive answers (the engine's iteration cap stops loops long before).
const MAX_ANSWERS: usize = 10_000;

/// The inputs of one start, sorted out.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The run's declared inputs (given, non-null values).
    pub params: Map<String, Value>,
    /// Every given, non-null value by name (what input nodes are answered with).
    pub answers: Map<String, Value>,
    /// `[{input_name, value}]` for every input the workflow takes, `null` where none was given.
    pub listed: Value,
}

/// Reads `[{input_name, value}]` against the inputs `workflow` takes.
pub fn parse_inputs(list: &Value, workflow: &MojodexWorkflow) -> Result<Inputs, MojodexError> {
    let items = list.as_array().ok_or_else(|| {
        MojodexError::bad_request("the inputs must be a list of {input_name, value}")
    })?;
    if items.len() > MAX_INPUTS {
        return Err(MojodexError::bad_request(format!(
            "{} inputs given; at most {MAX_INPUTS}",
            items.len()
        )));
    }
    let declared: BTreeSet<&str> = workflow
        .flow
        .inputs()
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    let mut inputs = Inputs::default();
    let mut seen = BTreeSet::new();
    for item in items {
        let name = item["input_name"].as_str().ok_or_else(|| {
            MojodexError::bad_request("each input must be an object with a string `input_name`")
        })?;
        let value = item.get("value").ok_or_else(|| {
            MojodexError::bad_request(format!(
                "input `{name}` has no `value` (null when not given)"
            ))
        })?;
        if !workflow.inputs.iter().any(|n| n == name) {
            return Err(MojodexError::bad_request(format!(
                "unknown input `{name}`; workflow `{}` takes: {}",
                workflow.flow.name(),
                workflow.inputs.join(", ")
            )));
        }
        if !seen.insert(name.to_owned()) {
            return Err(MojodexError::bad_request(format!(
                "input `{name}` is given twice"
            )));
        }
        if value.is_null() {
            continue;
        }
        if declared.contains(name) {
            inputs.params.insert(name.to_owned(), value.clone());
        }
        inputs.answers.insert(name.to_owned(), value.clone());
    }
    inputs.listed = listed(&workflow.inputs, &inputs.answers);
    Ok(inputs)
}

/// `[{input_name, value}]` for every name, `null` where `values` has none.
pub fn listed(names: &[String], values: &Map<String, Value>) -> Value {
    Value::Array(
        names
            .iter()
            .map(|name| json!({ "input_name": name, "value": values.get(name).cloned().unwrap_or(Value::Null) }))
            .collect(),
    )
}

/// The given values of a started execution's stored inputs.
pub fn answers_of(stored: Option<&Value>) -> Map<String, Value> {
    stored
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|item| {
            let name = item["input_name"].as_str()?;
            let value = item.get("value").filter(|v| !v.is_null())?;
            Some((name.to_owned(), value.clone()))
        })
        .collect()
}

/// Answers the run's input questions from `answers` until it waits for something else or ends. `Ok(Some)`
/// names a question it could not answer (the run waits for it).
pub async fn answer_inputs(
    core: &Core,
    actor: &Actor,
    run_id: &str,
    answers: &Map<String, Value>,
) -> Result<Option<String>, CoreError> {
    for _ in 0..MAX_ANSWERS {
        let view = core.run_view(actor, run_id).await?;
        let Some(question) = view.run.question() else {
            return Ok(None);
        };
        if question.kind == QuestionKind::Validation {
            return Ok(None);
        }
        let step = question.step.clone();
        let Some(NodeKind::Input(input)) = view.run.flow().node(&step).map(|n| &n.kind) else {
            return Ok(None);
        };
        let name = input.output.name.clone();
        let Some(value) = answers.get(&name) else {
            return Ok(Some(format!(
                "step `{step}` asks for `{name}`, which was not among the inputs given at start; a \
                 Mojodex client cannot answer a question in the middle of a run. Start another execution \
                 that gives `{name}`, or answer with POST /api/runs/{run_id}/answers"
            )));
        };
        match core
            .answer_run(actor, run_id, &question.question_uuid, value.clone())
            .await
        {
            Ok(_) => {}
            Err(CoreError::Invalid(reason)) => {
                return Ok(Some(format!(
                    "input `{name}` (asked by step `{step}`): {reason}; the run waits for a valid answer"
                )));
            }
            Err(err) => return Err(err),
        }
    }
    Ok(Some(format!(
        "the run asked for inputs more than {MAX_ANSWERS} times; it waits"
    )))
}
