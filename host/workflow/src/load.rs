//! The entry points from YAML text: [`load_flow`] (text → validated [`Flow`] or every error) and
//! [`validate_flow`] (every error, for a validation route), plus [`Limits`]. Loading is three stages:
//! size and YAML syntax (`yaml`), shape (`raw`), rules (`validate`); then `build` (here) turns the
//! error-free raw document into a [`Flow`].

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::condition::ConditionBudget;
use crate::diagnostic::{Diagnostic, DiagnosticCode, ValidationErrors};
use crate::flow::{
    Edge, Flow, InputNode, InputSpec, LlmNode, MessagePart, Node, NodeKind, NodeType, OutputField,
    OutputNode, ToolNode, UpdateAction, UpdateSource, UpdateStateNode, VarType,
};
use crate::raw::{self, RawField, RawFlow, RawNode, Sp};
use crate::validate::{self, Context, declared_variables};
use crate::yaml::{self, Pos};

/// Limits on documents and runs; [`Limits::default`] gives the values below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest YAML document accepted, in bytes (default 256 KiB).
    pub max_document_bytes: usize,
    /// How many times one node may run in one run, when the flow sets no `max_iterations`
    /// (default 100). Passing it ends the run with an error naming the node.
    pub default_max_iterations: u32,
    /// The largest `max_iterations` a flow may set (default 10 000).
    pub max_iterations_ceiling: u32,
    /// What one condition evaluation may spend.
    pub condition_budget: ConditionBudget,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_document_bytes: 256 * 1024,
            default_max_iterations: 100,
            max_iterations_ceiling: 10_000,
            condition_budget: ConditionBudget::default(),
        }
    }
}

/// Parses and validates a workflow. `known_tools` holds the qualified names (`plugin.tool`) that
/// tool nodes and `tools_selection` may use. On failure, every problem found, in document order.
pub fn load_flow(
    yaml_text: &str,
    known_tools: &BTreeSet<String>,
    limits: &Limits,
) -> Result<Flow, ValidationErrors> {
    if yaml_text.len() > limits.max_document_bytes {
        return Err(ValidationErrors(vec![Diagnostic::new(
            DiagnosticCode::DocumentTooLarge,
            Pos { line: 1, column: 1 },
            "the document",
            format!(
                "the document is {} bytes; the limit is {}",
                yaml_text.len(),
                limits.max_document_bytes
            ),
            "split the workflow, or shorten its prompts",
        )]));
    }
    let doc = yaml::parse(yaml_text).map_err(|err| {
        ValidationErrors(vec![Diagnostic::new(
            DiagnosticCode::YamlSyntax,
            err.pos,
            "the document",
            format!("invalid YAML: {}", err.message),
            "check the indentation and quoting around this line",
        )])
    })?;
    let mut diags = Vec::new();
    let raw = raw::read(&doc, &mut diags);
    let cx = Context {
        known_tools,
        limits,
    };
    validate::validate(&raw, &cx, &mut diags);
    if diags.is_empty() {
        Ok(build(&raw))
    } else {
        diags.sort_by_key(|d| (d.line, d.column));
        Err(ValidationErrors(diags))
    }
}

/// Every problem in a workflow document (empty when it is valid).
pub fn validate_flow(
    yaml_text: &str,
    known_tools: &BTreeSet<String>,
    limits: &Limits,
) -> Vec<Diagnostic> {
    load_flow(yaml_text, known_tools, limits).map_or_else(|e| e.0, |_| Vec::new())
}

/// Turns an error-free raw document into a [`Flow`]; every `expect` below holds because validation
/// reported the missing piece otherwise.
fn build(raw: &RawFlow) -> Flow {
    let declared = declared_variables(raw);
    let text = |s: &Option<Sp<String>>| s.as_ref().map(|s| s.value.clone());
    let nodes = raw.nodes.as_ref().map_or(&[][..], |n| n.value.as_slice());
    let mut edges: BTreeMap<String, Vec<Edge>> = BTreeMap::new();
    for entry in raw.flow.iter().flat_map(|f| &f.value) {
        let from = entry.from.as_ref().expect("validated: from").value.clone();
        let list = edges.entry(from.clone()).or_default();
        let edge = |to: &Sp<String>, condition: Option<String>, pos: Pos| Edge {
            from: from.clone(),
            to: to.value.clone(),
            condition,
            line: pos.line,
        };
        match (&entry.to, &entry.edges) {
            (Some(to), _) => list.push(edge(to, None, entry.pos)),
            (None, Some(items)) => list.extend(items.iter().map(|e| {
                edge(
                    e.to.as_ref().expect("validated: to"),
                    text(&e.condition),
                    e.pos,
                )
            })),
            (None, None) => {}
        }
    }
    Flow {
        name: text(&raw.name).expect("validated: name"),
        description: text(&raw.description).unwrap_or_default(),
        model: text(&raw.model),
        public: raw.public.as_ref().is_some_and(|p| p.value),
        max_iterations: raw
            .max_iterations
            .as_ref()
            .and_then(|m| u32::try_from(m.value).ok()),
        inputs: raw
            .inputs
            .iter()
            .map(|i| InputSpec {
                name: i
                    .name
                    .as_ref()
                    .expect("validated: input name")
                    .value
                    .clone(),
                description: i.description.clone().unwrap_or_default(),
                var_type: i.var_type.unwrap_or(VarType::Str),
                default: i.default.clone(),
            })
            .collect(),
        nodes: nodes.iter().map(|n| build_node(n, &declared)).collect(),
        edges,
    }
}

fn fields(model: &Option<Sp<Vec<RawField>>>) -> Vec<OutputField> {
    model
        .iter()
        .flat_map(|m| &m.value)
        .map(|f| OutputField {
            name: f.name.value.clone(),
            var_type: f.var_type.unwrap_or(VarType::Any),
        })
        .collect()
}

fn texts(list: &Option<Sp<Vec<Sp<String>>>>) -> Vec<String> {
    list.iter()
        .flat_map(|l| &l.value)
        .map(|s| s.value.clone())
        .collect()
}

fn build_node(node: &RawNode, declared: &BTreeSet<String>) -> Node {
    let message = || -> Vec<MessagePart> {
        texts(&node.user_message)
            .into_iter()
            .map(|line| {
                if crate::validate::message_variable(&line, declared).is_some() {
                    MessagePart::Variable(line)
                } else {
                    MessagePart::Text(line)
                }
            })
            .collect()
    };
    let one_field = || {
        fields(&node.output_model)
            .into_iter()
            .next()
            .expect("validated: one output_model field")
    };
    let kind = match node.node_type.expect("validated: type") {
        NodeType::Input => NodeKind::Input(InputNode {
            prompt: node
                .prompt
                .as_ref()
                .map_or_else(|| format!("{}?", one_field().name), |p| p.value.clone()),
            output: one_field(),
            options: texts(&node.options),
        }),
        NodeType::Llm => NodeKind::Llm(LlmNode {
            system: node.system.as_ref().map(|s| s.value.clone()),
            prompt: node
                .prompt
                .as_ref()
                .expect("validated: prompt")
                .value
                .clone(),
            output_model: fields(&node.output_model),
            user_message: message(),
            tools: texts(&node.tools_selection),
        }),
        NodeType::Tool => NodeKind::Tool(ToolNode {
            tool: texts(&node.tools_selection).remove(0),
            args: node
                .args
                .as_ref()
                .map_or_else(|| serde_json::json!({}), |a| a.value.clone()),
            output_model: fields(&node.output_model),
            user_message: message(),
        }),
        NodeType::Output => NodeKind::Output(OutputNode {
            user_message: message(),
        }),
        NodeType::UpdateState => NodeKind::UpdateState(UpdateStateNode {
            source: match (&node.source_variable, &node.value) {
                (Some(source), _) => UpdateSource::Variable(source.value.clone()),
                (None, Some(value)) => UpdateSource::Value(value.value.clone()),
                (None, None) => UpdateSource::Value(serde_json::json!(1)),
            },
            action: node
                .action
                .as_ref()
                .map_or(UpdateAction::Overwrite, |a| a.value),
            target: one_field(),
        }),
    };
    Node {
        name: node.name().expect("validated: name").to_owned(),
        description: node.description.clone(),
        user_validation_required: node.user_validation_required,
        line: node.pos.line,
        kind,
    }
}
