//! The validated flow: what a workflow *is* once [`crate::load_flow`] accepted its YAML. These types
//! hold no positions or optional-because-unchecked fields; every name an edge uses exists, every tool
//! is known, every template parses. They serialize (as JSON) so a [`crate::Run`] can carry the flow it
//! runs and resume after a restart even if the YAML was edited meanwhile.
//!
//! `Deserialize` exists for that persistence only: untrusted input goes through [`crate::load_flow`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The virtual node every flow starts from.
pub const START: &str = "START";
/// The virtual node every flow ends at.
pub const END: &str = "END";

/// The state key that holds the reviewer's feedback on the validated step being (re-)run.
pub const FEEDBACK: &str = "feedback";

/// The feedback keys of a validated step: [`FEEDBACK`] and `<step>_feedback`. The engine sets both to
/// `""` before the step first runs and to the reviewer's text when it re-runs the step after a
/// rejection with feedback; `<step>_feedback` keeps each step's own after later steps ran.
pub fn feedback_keys(step: &str) -> [String; 2] {
    [FEEDBACK.to_owned(), format!("{step}_feedback")]
}

/// A validated workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) model: Option<String>,
    pub(crate) public: bool,
    pub(crate) max_iterations: Option<u32>,
    pub(crate) inputs: Vec<InputSpec>,
    pub(crate) nodes: Vec<Node>,
    /// Outgoing edges per source node (`START` included), in the order they are tried.
    pub(crate) edges: BTreeMap<String, Vec<Edge>>,
}

impl Flow {
    /// The workflow's name (unique in a catalog; used in URLs).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// One line for humans (discovery lists it).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The `model` the flow asks for, passed to the host with every llm request.
    pub fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }

    /// `public: true`: may be discovered and run without credentials (still sandboxed, dry-run only).
    pub fn is_public(&self) -> bool {
        self.public
    }

    /// The flow's own iteration cap per node, if it sets one (see [`crate::Limits`]).
    pub fn max_iterations(&self) -> Option<u32> {
        self.max_iterations
    }

    /// The run inputs the flow declares (what `start` takes; what a client asks before a run).
    pub fn inputs(&self) -> &[InputSpec] {
        &self.inputs
    }

    /// The nodes (steps), in document order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The node called `name`.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// The edges leaving `from` (a node name or [`START`]), in the order they are tried.
    pub fn edges_from(&self, from: &str) -> &[Edge] {
        self.edges.get(from).map_or(&[], Vec::as_slice)
    }

    /// The names of every tool the flow can call (tool nodes and llm `tools_selection`).
    pub fn tools(&self) -> Vec<&str> {
        let mut tools: Vec<&str> = self
            .nodes
            .iter()
            .flat_map(|n| match &n.kind {
                NodeKind::Tool(t) => vec![t.tool.as_str()],
                NodeKind::Llm(l) => l.tools.iter().map(String::as_str).collect(),
                _ => Vec::new(),
            })
            .collect();
        tools.sort_unstable();
        tools.dedup();
        tools
    }
}

/// One declared run input (our addition to seed 002: `inputs: [{name, description, type, default}]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    /// The state variable it sets.
    pub name: String,
    /// What to ask for (a CLI shows it when asking the inputs one by one).
    pub description: String,
    /// Its type; answers given as text are converted to it.
    #[serde(rename = "type")]
    pub var_type: VarType,
    /// The value used when the run is started without it; `None` makes the input required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
}

/// One node (a step of the run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Unique name; also the step name in events, answers and validation routes.
    pub name: String,
    /// Optional text for humans.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Mojodex's flag: the step's output waits for a person to validate it before the run goes on.
    pub user_validation_required: bool,
    /// Line of the node in the YAML source, for run errors.
    pub line: usize,
    /// What the node does.
    pub kind: NodeKind,
}

impl Node {
    /// The node's type.
    pub fn node_type(&self) -> NodeType {
        match self.kind {
            NodeKind::Input(_) => NodeType::Input,
            NodeKind::Llm(_) => NodeType::Llm,
            NodeKind::Tool(_) => NodeType::Tool,
            NodeKind::Output(_) => NodeType::Output,
            NodeKind::UpdateState(_) => NodeType::UpdateState,
        }
    }
}

/// The five node types of seed 002.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeType {
    /// Asks a person for a value.
    Input,
    /// Asks the LLM.
    Llm,
    /// Calls one tool directly.
    Tool,
    /// Shows a message.
    Output,
    /// Changes one state variable.
    UpdateState,
}

impl NodeType {
    /// All types, for hints.
    pub const ALL: [NodeType; 5] = [
        NodeType::Input,
        NodeType::Llm,
        NodeType::Tool,
        NodeType::Output,
        NodeType::UpdateState,
    ];

    /// The name as written in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeType::Input => "input",
            NodeType::Llm => "llm",
            NodeType::Tool => "tool",
            NodeType::Output => "output",
            NodeType::UpdateState => "update_state",
        }
    }

    /// The type called `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The fields a node of this type may have, besides `name`, `type`, `description` and
    /// `user_validation_required`.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            NodeType::Input => &["prompt", "output_model", "options"],
            NodeType::Llm => &[
                "system",
                "prompt",
                "output_model",
                "user_message",
                "tools",
                "tools_selection",
            ],
            NodeType::Tool => &["tools_selection", "args", "output_model", "user_message"],
            NodeType::Output => &["user_message"],
            NodeType::UpdateState => &["source_variable", "value", "action", "output_model"],
        }
    }
}

impl fmt::Display for NodeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a node does, by type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NodeKind {
    /// See [`InputNode`].
    Input(InputNode),
    /// See [`LlmNode`].
    Llm(LlmNode),
    /// See [`ToolNode`].
    Tool(ToolNode),
    /// See [`OutputNode`].
    Output(OutputNode),
    /// See [`UpdateStateNode`].
    UpdateState(UpdateStateNode),
}

/// Asks a person; the answer is stored in the one `output_model` variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputNode {
    /// The question (a template).
    pub prompt: String,
    /// Where the answer goes.
    pub output: OutputField,
    /// With options the person may only pick one of them (templates); without, free text.
    pub options: Vec<String>,
}

/// Asks the LLM through the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmNode {
    /// The system prompt (a template).
    pub system: Option<String>,
    /// The prompt (a template).
    pub prompt: String,
    /// The variables the answer must hold; they are copied into the state.
    pub output_model: Vec<OutputField>,
    /// What to show the person once the answer is in.
    pub user_message: Vec<MessagePart>,
    /// Tools the LLM may call (`tools: true` with `tools_selection`).
    pub tools: Vec<String>,
}

/// Calls one tool with templated arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolNode {
    /// The tool's qualified name (`plugin.tool`).
    pub tool: String,
    /// Arguments; every string inside is a template (see [`crate::template::render_json`]).
    pub args: Value,
    /// One variable: gets the whole result. Several: each gets the result's field of that name.
    pub output_model: Vec<OutputField>,
    /// What to show the person once the result is in.
    pub user_message: Vec<MessagePart>,
}

/// Shows a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputNode {
    /// The lines of the message.
    pub user_message: Vec<MessagePart>,
}

/// Changes one state variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateStateNode {
    /// Where the new value comes from.
    pub source: UpdateSource,
    /// How it is combined with the current value.
    pub action: UpdateAction,
    /// The variable changed (the one `output_model` key).
    pub target: OutputField,
}

/// The value an `update_state` node uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateSource {
    /// `source_variable: name` (a path: `a.b` works).
    Variable(String),
    /// `value: ...`; strings inside are templates.
    Value(Value),
}

/// How `update_state` combines (seed 002 names overwrite and append; increment is ours).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateAction {
    /// Replace the variable.
    Overwrite,
    /// Push onto the list (created empty when absent).
    Append,
    /// Add the number (default 1) to the variable (0 when absent).
    Increment,
}

impl UpdateAction {
    /// The action called `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "overwrite" => Some(Self::Overwrite),
            "append" => Some(Self::Append),
            "increment" => Some(Self::Increment),
            _ => None,
        }
    }
}

/// One `output_model` entry: a state variable and its type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputField {
    /// The variable.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub var_type: VarType,
}

/// The types `output_model` and `inputs` may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VarType {
    /// `str`, `string`, `text`.
    Str,
    /// `int`, `integer`.
    Int,
    /// `float`, `number`.
    Float,
    /// `bool`, `boolean`.
    Bool,
    /// `list`, `array`, `list[...]`.
    List,
    /// `dict`, `object`, `map`, `dict[...]`.
    Dict,
    /// `any`: no check.
    Any,
}

impl VarType {
    /// The spellings accepted, for hints.
    pub const SPELLINGS: &str = "str, int, float, bool, list, dict, any";

    /// The type spelled `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "str" | "string" | "text" => Self::Str,
            "int" | "integer" => Self::Int,
            "float" | "number" => Self::Float,
            "bool" | "boolean" => Self::Bool,
            "list" | "array" => Self::List,
            "dict" | "object" | "map" => Self::Dict,
            "any" => Self::Any,
            _ if name.starts_with("list[") && name.ends_with(']') => Self::List,
            _ if name.starts_with("dict[") && name.ends_with(']') => Self::Dict,
            _ => return None,
        })
    }
}

/// One line of a `user_message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessagePart {
    /// A bare variable name the flow declares somewhere: its value.
    Variable(String),
    /// Anything else: a template (`"Answer: {answer}"`, `"Done"`).
    Text(String),
}

/// One edge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    /// Source node or [`START`].
    pub from: String,
    /// Target node or [`END`].
    pub to: String,
    /// A Starlark lambda over the state; `None` always holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Line of the edge in the YAML source.
    pub line: usize,
}

impl Edge {
    /// `from -> to`, the way errors name an edge.
    pub fn label(&self) -> String {
        format!("{} -> {}", self.from, self.to)
    }
}
