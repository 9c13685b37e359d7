//! The state of one run: [`Run`] and what it is made of (status, pending question or effect, step
//! history). A `Run` is plain data that serializes to JSON: the caller stores it after every call and
//! loads it back after a restart or a reconnect, then goes on where it stopped. It carries the
//! [`Flow`] it runs, so editing the YAML never changes a run already under way.
//!
//! The transitions live in `machine` (running nodes, following edges) and `respond` (answers,
//! validations, effect results, cancel).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::condition::ConditionBudget;
use crate::flow::{Flow, NodeType, OutputField};

/// One run of a workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub(crate) id: String,
    pub(crate) flow: Flow,
    pub(crate) status: RunStatus,
    pub(crate) state: Map<String, Value>,
    /// The step running or waiting (`None` once the run finished).
    pub(crate) current: Option<String>,
    pub(crate) pending: Option<Pending>,
    pub(crate) history: Vec<StepRecord>,
    /// How many times each node started.
    pub(crate) visits: BTreeMap<String, u32>,
    pub(crate) max_iterations: u32,
    pub(crate) condition_budget: ConditionBudget,
    /// Set when the next start of this step re-runs it after a rejection with feedback.
    pub(crate) rerun_with_feedback: Option<String>,
    pub(crate) result: Option<Value>,
    pub(crate) failure: Option<RunFailure>,
}

impl Run {
    /// The run's id (a UUID unless the caller chose one).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The flow this run executes (a copy taken at start).
    pub fn flow(&self) -> &Flow {
        &self.flow
    }

    /// Where the run is.
    pub fn status(&self) -> RunStatus {
        self.status
    }

    /// The state: run inputs plus everything the steps set.
    pub fn state(&self) -> &Map<String, Value> {
        &self.state
    }

    /// The step running or waiting, `None` once finished.
    pub fn current_step(&self) -> Option<&str> {
        self.current.as_deref()
    }

    /// The question a person must answer, while the run waits for input or validation.
    pub fn question(&self) -> Option<&Question> {
        match &self.pending {
            Some(Pending::Input { question } | Pending::Validation { question, .. }) => {
                Some(question)
            }
            _ => None,
        }
    }

    /// The tool or LLM call the caller must perform (see [`crate::drive`]), if one is due.
    pub fn pending_effect(&self) -> Option<&Effect> {
        match &self.pending {
            Some(Pending::Effect(effect)) => Some(effect),
            _ => None,
        }
    }

    /// Every step started so far, in order (a re-run step appears once per run of it).
    pub fn history(&self) -> &[StepRecord] {
        &self.history
    }

    /// How many times each node has started.
    pub fn visits(&self) -> &BTreeMap<String, u32> {
        &self.visits
    }

    /// The cap on starts per node for this run.
    pub fn max_iterations(&self) -> u32 {
        self.max_iterations
    }

    /// The result of a completed run: the final state.
    pub fn result(&self) -> Option<&Value> {
        self.result.as_ref()
    }

    /// Why a failed run failed.
    pub fn failure(&self) -> Option<&RunFailure> {
        self.failure.as_ref()
    }

    /// True once the run completed, failed, was rejected or cancelled.
    pub fn is_finished(&self) -> bool {
        self.status.is_finished()
    }
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Moving on, or waiting for the caller to perform a tool or LLM call.
    Running,
    /// Waiting for a person to answer an input node's question.
    WaitingInput,
    /// Waiting for a person to validate a step's output.
    WaitingValidation,
    /// Reached END.
    Completed,
    /// Stopped on an error (see [`Run::failure`]).
    Failed,
    /// A person rejected a step without feedback.
    Rejected,
    /// Cancelled by the caller.
    Cancelled,
}

impl RunStatus {
    /// True for the four final statuses.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Failed | Self::Rejected | Self::Cancelled
        )
    }

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::WaitingInput => "waiting_input",
            Self::WaitingValidation => "waiting_validation",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a run failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFailure {
    /// The step at fault, if any.
    pub step: Option<String>,
    /// The edge at fault (`from -> to`), for condition errors.
    pub edge: Option<String>,
    /// One line.
    pub short: String,
    /// The details.
    pub long: String,
}

/// What the run waits for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "waiting_for", rename_all = "snake_case")]
pub(crate) enum Pending {
    /// The caller must perform a call and report its outcome.
    Effect(Effect),
    /// A person must answer an input node.
    Input { question: Question },
    /// A person must validate a step; its state changes wait here until then.
    Validation {
        question: Question,
        updates: Map<String, Value>,
    },
}

/// A call the caller performs for the run, then reports with [`Run::complete_effect`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    /// Call a tool.
    Tool(ToolRequest),
    /// Ask the LLM.
    Llm(LlmRequest),
}

impl Effect {
    /// The id the outcome must be reported with.
    pub fn call_id(&self) -> &str {
        match self {
            Effect::Tool(r) => &r.call_id,
            Effect::Llm(r) => &r.call_id,
        }
    }

    /// The step that asked for it.
    pub fn step(&self) -> &str {
        match self {
            Effect::Tool(r) => &r.step,
            Effect::Llm(r) => &r.step,
        }
    }
}

/// One tool call of a tool node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolRequest {
    /// Unique per call; pairs the call with its result (FastAgency's `call_id`).
    pub call_id: String,
    /// The step calling.
    pub step: String,
    /// The tool's qualified name (`plugin.tool`).
    pub function_name: String,
    /// The rendered arguments.
    pub arguments: Value,
}

/// One request of an llm node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmRequest {
    /// Unique per call.
    pub call_id: String,
    /// The step asking.
    pub step: String,
    /// The flow's `model`, if it names one.
    pub model: Option<String>,
    /// The rendered system prompt.
    pub system: Option<String>,
    /// The rendered prompt.
    pub prompt: String,
    /// The variables the answer must hold: reply with an object holding them (or, for one
    /// variable, with its value).
    pub output_model: Vec<OutputField>,
    /// Tools the LLM may call (the host runs them).
    pub tools: Vec<String>,
}

/// A question for a person. Fields are camelCase (`questionUuid`); the snake_case name of stored runs
/// from earlier versions is still read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Question {
    /// Answer with this id ([`Run::answer`]).
    #[serde(alias = "question_uuid")]
    pub question_uuid: String,
    /// What kind of answer is expected.
    pub kind: QuestionKind,
    /// The step asking.
    pub step: String,
    /// The question text.
    pub prompt: String,
    /// Suggested answers (free text is still allowed), for `input` and `validation`.
    pub suggestions: Vec<String>,
    /// The only answers allowed, for `choice` (and the usual ones for `validation`).
    pub choices: Vec<String>,
    /// For `validation`: the output to validate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
}

/// The kinds of [`Question`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// Free text (FastAgency `text_input`).
    Input,
    /// One of `choices` (FastAgency `multiple_choice`).
    Choice,
    /// Validate a step: yes, no, or feedback text (see [`Run::answer`]).
    Validation,
}

/// One started step (camelCase; stored runs of earlier versions with `node_type` are still read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepRecord {
    /// The node's name.
    pub step: String,
    /// The node's type.
    #[serde(alias = "node_type")]
    pub node_type: NodeType,
    /// Which start of this node it was (1 for the first).
    pub iteration: u32,
    /// How it went.
    pub status: StepStatus,
    /// What it was given: the rendered prompt, question or tool arguments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    /// What it produced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// The feedback it ran with (a re-run), or was rejected with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feedback: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The node's rendered `user_message`, once it finished (tool, llm and output nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What a tool step did outside the sandbox, as the host reported it (each effect: capability,
    /// action, outcome `read|simulated|live|denied`, reason); empty for other steps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<Value>,
}

/// How one step went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Started, waiting for a tool or LLM call.
    Running,
    /// Waiting for a person (input or validation).
    Waiting,
    /// Done, its changes are in the state.
    Completed,
    /// Stopped the run with an error.
    Failed,
    /// Rejected by a person (with feedback the step runs again as a new record).
    Rejected,
    /// The run was cancelled while the step was under way.
    Cancelled,
}
