//! Drydock workflows: the YAML flow format of seed 002 (Astonish) with Mojodex's per-step
//! validation, its validator, and a run engine driven step by step. Pure Rust: no wasmtime, no HTTP,
//! no database. The core stores [`Flow`]s and [`Run`]s (both serialize to JSON) and supplies tool and
//! LLM calls through [`WorkflowHost`]; the server maps [`Event`]s onto FastAgency IOMessages.
//!
//! # Layout
//! - `load.rs`: [`load_flow`] / [`validate_flow`] (YAML text → [`Flow`] or
//!   every [`Diagnostic`]) and [`Limits`]. Stages: `yaml` (positioned tree, size and syntax), `raw`
//!   (the document as written: unknown fields, types), `validate` (the rules; `validate/graph.rs`
//!   edges and reachability, `validate/vars.rs` undefined variables), then the typed build.
//! - [`flow`]: the validated model: [`Flow`], [`Node`], [`NodeKind`], [`Edge`], [`VarType`]...
//! - [`diagnostic`]: [`Diagnostic`] (line, column, path, node/edge, message, hint),
//!   [`ValidationErrors`].
//! - [`template`]: `{var}` / `{a.b.0}` templates, `{{`/`}}` for literal braces.
//! - [`condition`]: Starlark edge conditions with a budget.
//! - `run.rs`: [`Run`] (serializable state), [`RunStatus`], [`Question`], [`Effect`], [`StepRecord`].
//! - `machine.rs`: [`Run::start`], running nodes, following edges, the iteration cap.
//! - `respond.rs`: [`Run::complete_effect`], [`Run::answer`], [`Run::validate`], [`Run::cancel`].
//! - `values.rs`: type conversions, result → `output_model`, `update_state` actions, messages.
//! - `event.rs`: [`Event`], with its FastAgency mapping.
//! - `host.rs`: [`WorkflowHost`] and [`drive`].
//!
//! # The flow format
//! ```yaml
//! name: greet                # required; letters, digits, _ - . (used in URLs)
//! description: Says hello    # optional
//! public: true               # ours: may be discovered and run without credentials (default false)
//! max_iterations: 20         # ours: how often one node may start per run (default 100)
//! model: gpt-4o              # optional; passed to the host with llm requests
//! inputs:                    # ours: the run inputs, set in the state before the first node
//!   - {name: who, description: Who to greet, type: str, default: world}
//! nodes:
//!   - name: ask              # input: asks; output_model names the ONE variable for the answer
//!     type: input
//!     prompt: "Greet {who} again?"
//!     options: ["yes", "no"] # with options only these answers are accepted
//!     output_model: {again: str}
//!   - name: show             # output: user_message lines; a line that is exactly a declared
//!     type: output           # variable name shows it, any other line is a template
//!     user_message: ["Hello {who}!"]
//!     user_validation_required: true   # Mojodex: a person validates the step's output
//! flow:
//!   - {from: START, to: show}
//!   - {from: show, to: ask}
//!   - from: ask
//!     edges:                 # tried in order; the first that holds wins; no condition = always
//!       - {to: show, condition: "lambda x: x['again'] == 'yes'"}
//!       - {to: END}
//! ```
//! Node types and fields: `input` (prompt, options, output_model), `llm` (system, prompt,
//! output_model, user_message, tools, tools_selection), `tool` (tools_selection with one tool, args,
//! output_model, user_message), `output` (user_message), `update_state` (source_variable or value,
//! action `overwrite` | `append` | `increment`, output_model with one variable); every node also
//! takes `description` and `user_validation_required`. Unknown fields are errors. Templates appear
//! in prompt, system, options, user_message, args (a string that is exactly `{var}` passes the value
//! itself) and update_state `value`; see [`template`]. Anchors/aliases are refused.
//!
//! # Running
//! [`Run::start`] checks the inputs and runs until the run needs something: [`Run::pending_effect`]
//! (a tool or LLM call: [`drive`] performs it through the [`WorkflowHost`], or the caller does and
//! reports with [`Run::complete_effect`]) or [`Run::question`] (a person: [`Run::answer`] or
//! [`Run::validate`]). Every call returns the [`Event`]s it caused; store the run after each.
//! A validated step's feedback is in the state keys `feedback` and `<step>_feedback` (see
//! [`feedback_keys`]): `""` on the first run, the reviewer's text on a re-run after rejection.

pub mod condition;
pub mod diagnostic;
mod event;
pub mod flow;
mod host;
mod load;
mod machine;
mod raw;
mod respond;
mod run;
pub mod template;
mod validate;
mod values;
mod yaml;

pub use condition::{ConditionBudget, ConditionError};
pub use diagnostic::{Diagnostic, DiagnosticCode, EdgeRef, ValidationErrors};
pub use event::Event;
pub use flow::{
    END, Edge, FEEDBACK, Flow, InputNode, InputSpec, LlmNode, MessagePart, Node, NodeKind,
    NodeType, OutputField, OutputNode, START, ToolNode, UpdateAction, UpdateSource,
    UpdateStateNode, VarType, feedback_keys,
};
pub use host::{WorkflowHost, drive};
pub use load::{Limits, load_flow, validate_flow};
pub use machine::InputError;
pub use respond::RunError;
pub use run::{
    Effect, LlmRequest, Question, QuestionKind, Run, RunFailure, RunStatus, StepRecord, StepStatus,
    ToolRequest,
};
pub use template::TemplateError;
pub use yaml::{Pos, document_to_json};

#[cfg(test)]
mod demo_workflows;
#[cfg(test)]
mod engine_tests;
