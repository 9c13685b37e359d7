//! What a run reports as it goes: every transition returns the [`Event`]s it caused, in order, for
//! the caller to store and stream. They are shaped so the server maps each onto one FastAgency
//! IOMessage without extra state:
//!
//! | event | FastAgency message |
//! |---|---|
//! | `workflow_started` | `workflow_started{name, description, params}` |
//! | `step_started`, `step_ended`, `step_validated` | (native events; `text_message` if shown) |
//! | `message` | `text_message{body}` |
//! | `question` (`input` / `choice` / `validation`) | `text_input{prompt, suggestions}` / `multiple_choice{prompt, choices}` |
//! | `tool_call` | `suggested_function_call{function_name, call_id, arguments}` |
//! | `tool_result` | `function_call_execution{function_name, call_id, retval}` |
//! | `error` | `error{short, long}` |
//! | `completed`, `rejected`, `cancelled` | `workflow_completed{result}` |

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::flow::NodeType;
use crate::run::Question;

/// One thing that happened in a run. The `type` is snake_case, the fields camelCase (`nodeType`,
/// `functionName`, `callId`); events stored by earlier versions with snake_case fields are still read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum Event {
    /// The run started.
    WorkflowStarted {
        /// The flow's name.
        name: String,
        /// The flow's description.
        description: String,
        /// The run inputs, defaults included.
        params: Map<String, Value>,
    },
    /// A step started.
    StepStarted {
        /// The node's name.
        step: String,
        /// The node's type.
        #[serde(alias = "node_type")]
        node_type: NodeType,
        /// Which start of this node (1 for the first).
        iteration: u32,
    },
    /// A tool node asks for a tool call.
    ToolCall {
        /// The step calling.
        step: String,
        /// The tool's qualified name.
        #[serde(alias = "function_name")]
        function_name: String,
        /// Pairs the call with its result.
        #[serde(alias = "call_id")]
        call_id: String,
        /// The rendered arguments.
        arguments: Value,
    },
    /// A tool call's outcome.
    ToolResult {
        /// The step calling.
        step: String,
        /// The tool's qualified name.
        #[serde(alias = "function_name")]
        function_name: String,
        /// Pairs the result with its call.
        #[serde(alias = "call_id")]
        call_id: String,
        /// The result, or `{"error": message}` when the call failed.
        retval: Value,
        /// False when the call failed.
        ok: bool,
    },
    /// Text for the person (an output node, or a `user_message` of an llm or tool node).
    Message {
        /// The step showing it.
        step: String,
        /// The text, lines joined with `\n`.
        body: String,
    },
    /// A step produced its output (for a validated step, before the validation).
    StepEnded {
        /// The node's name.
        step: String,
        /// What it produced.
        output: Value,
    },
    /// The run waits for a person.
    Question(Question),
    /// A person validated or rejected a step.
    StepValidated {
        /// The step.
        step: String,
        /// True when accepted.
        validated: bool,
        /// The feedback given with a rejection (the step runs again with it).
        #[serde(skip_serializing_if = "Option::is_none")]
        feedback: Option<String>,
    },
    /// The run failed.
    Error {
        /// The step at fault, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        /// One line.
        short: String,
        /// The details.
        long: String,
    },
    /// The run reached END.
    Completed {
        /// The final state.
        result: Value,
    },
    /// A person rejected a step without feedback; the run ended.
    Rejected {
        /// The rejected step.
        step: String,
    },
    /// The caller cancelled the run.
    Cancelled,
}
