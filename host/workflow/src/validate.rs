//! Stage two of loading: the rules, checked on the [`RawFlow`] read in stage one. Seed 002's rules
//! (START to END, unique names, no edge to START, what each node type needs, known tools) and ours
//! (reachability, dead ends, templates, undefined variables, conditions that parse). Each rule adds
//! a [`Diagnostic`] and validation goes on, so one pass reports everything.
//!
//! - this file: the top-level fields, node names, and what each node type needs;
//! - [`graph`]: edges, START/END, reachability, conditions;
//! - [`vars`]: which variables are defined where (templates, `source_variable`, `user_message`).

mod graph;
mod vars;

use std::collections::{BTreeMap, BTreeSet};

pub(crate) use graph::Graph;
pub(crate) use vars::{declared_variables, message_variable};

use crate::Limits;
use crate::diagnostic::{Diagnostic, DiagnosticCode as Code, did_you_mean};
use crate::flow::{END, NodeType, START, UpdateAction};
use crate::raw::{RawFlow, RawNode, Sp};
use crate::template::{Template, VarPath, is_identifier};
use crate::yaml::Pos;

/// What the rules need from the outside world.
pub(crate) struct Context<'a> {
    /// Qualified names of the tools that exist (`plugin.tool`).
    pub known_tools: &'a BTreeSet<String>,
    /// Limits (the iteration ceiling).
    pub limits: &'a Limits,
}

/// Checks every rule, appending diagnostics to `diags`.
pub(crate) fn validate(raw: &RawFlow, cx: &Context<'_>, diags: &mut Vec<Diagnostic>) {
    top_level(raw, cx, diags);
    let nodes = raw.nodes.as_ref().map_or(&[][..], |n| n.value.as_slice());
    let index = node_index(nodes, diags);
    for node in nodes {
        NodeRules { node, cx, diags }.check();
    }
    let graph = graph::check(raw, nodes, &index, diags);
    vars::check(raw, nodes, &graph, diags);
}

fn missing(pos: Pos, path: &str, message: &str, hint: &str) -> Diagnostic {
    Diagnostic::new(Code::MissingField, pos, path, message, hint)
}

fn invalid(pos: Pos, path: &str, message: String, hint: &str) -> Diagnostic {
    Diagnostic::new(Code::InvalidValue, pos, path, message, hint)
}

fn top_level(raw: &RawFlow, cx: &Context<'_>, diags: &mut Vec<Diagnostic>) {
    let written = |key: &str| raw.written.iter().any(|k| k == key);
    match &raw.name {
        None if written("name") => {}
        None => diags.push(missing(
            raw.pos,
            "name",
            "the workflow has no `name`",
            "add `name: my_workflow` at the top",
        )),
        Some(name) if !is_workflow_name(&name.value) => diags.push(invalid(
            name.pos,
            &name.path,
            format!("`{}` is not a valid workflow name", name.value),
            "use letters, digits, `_`, `-` or `.` (it appears in URLs), at most 100 characters",
        )),
        // `POST /api/workflows/validate` is a route of its own, so a workflow of that name could not be
        // reached at `/api/workflows/{name}`.
        Some(name) if name.value == "validate" => diags.push(invalid(
            name.pos,
            &name.path,
            "`validate` is reserved (POST /api/workflows/validate checks documents)".to_owned(),
            "choose another name, e.g. `validate_input`",
        )),
        Some(_) => {}
    }
    if let Some(cap) = &raw.max_iterations {
        let ceiling = cx.limits.max_iterations_ceiling;
        if cap.value < 1 || cap.value > i64::from(ceiling) {
            diags.push(invalid(
                cap.pos,
                &cap.path,
                format!("max_iterations is {}", cap.value),
                &format!("use a number from 1 to {ceiling}"),
            ));
        }
    }
    let mut seen: BTreeMap<&str, Pos> = BTreeMap::new();
    for input in &raw.inputs {
        let Some(name) = &input.name else {
            diags.push(missing(
                input.pos,
                &input.path,
                "an input has no `name`",
                "add `name: variable_name`",
            ));
            continue;
        };
        if !is_identifier(&name.value) {
            diags.push(invalid(
                name.pos,
                &name.path,
                format!("input name `{}` is not a variable name", name.value),
                "use letters, digits and `_`, not starting with a digit",
            ));
        } else if let Some(first) = seen.insert(&name.value, name.pos) {
            diags.push(invalid(
                name.pos,
                &name.path,
                format!("input `{}` is declared twice", name.value),
                &format!("the first is at line {}; remove one", first.line),
            ));
        }
    }
    match &raw.nodes {
        None if written("nodes") => {}
        None => diags.push(missing(
            raw.pos,
            "nodes",
            "the workflow has no `nodes`",
            "add `nodes:` with at least one node",
        )),
        Some(nodes) if nodes.value.is_empty() => diags.push(missing(
            nodes.pos,
            "nodes",
            "`nodes` is empty",
            "add at least one node",
        )),
        Some(_) => {}
    }
    if raw.flow.is_none() && !written("flow") {
        diags.push(missing(
            raw.pos,
            "flow",
            "the workflow has no `flow`",
            "add `flow:` with edges from START to END",
        ));
    }
}

fn is_workflow_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Node names: present, variable-like, not START/END, unique. Returns name → first index.
fn node_index<'n>(nodes: &'n [RawNode], diags: &mut Vec<Diagnostic>) -> BTreeMap<&'n str, usize> {
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, node) in nodes.iter().enumerate() {
        let Some(name) = &node.name else {
            if node.written.iter().any(|k| k == "name") {
                continue;
            }
            diags.push(missing(
                node.pos,
                &node.path,
                "a node has no `name`",
                "add `name: step_name`",
            ));
            continue;
        };
        if name.value == START || name.value == END {
            diags.push(invalid(
                name.pos,
                &name.path,
                format!("`{}` is reserved for the virtual start and end", name.value),
                "pick another name",
            ));
        } else if !is_identifier(&name.value) {
            diags.push(invalid(
                name.pos,
                &name.path,
                format!("node name `{}` is not a plain name", name.value),
                "use letters, digits and `_`, not starting with a digit (step names become \
                 state keys such as `<step>_feedback`)",
            ));
        } else if let Some(&first) = index.get(name.value.as_str()) {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateNode,
                    name.pos,
                    &name.path,
                    format!("two nodes are called `{}`", name.value),
                    format!(
                        "the first is at line {}; node names must be unique",
                        nodes[first].pos.line
                    ),
                )
                .at_node(Some(&name.value)),
            );
        } else {
            index.insert(&name.value, i);
        }
    }
    index
}

/// What one node's type requires.
struct NodeRules<'a, 'c> {
    node: &'a RawNode,
    cx: &'a Context<'c>,
    diags: &'a mut Vec<Diagnostic>,
}

impl NodeRules<'_, '_> {
    fn push(&mut self, diagnostic: Diagnostic) {
        self.diags.push(diagnostic.at_node(self.node.name()));
    }

    fn check(mut self) {
        let node = self.node;
        let Some(node_type) = node.node_type else {
            if node.written.iter().any(|k| k == "type") {
                return;
            }
            let types = NodeType::ALL.map(NodeType::as_str).join(", ");
            return self.push(missing(
                node.pos,
                &node.path,
                "the node has no `type`",
                &format!("add `type:` with one of: {types}"),
            ));
        };
        let need = |field: &str, rule: &str| -> Diagnostic {
            missing(
                node.pos,
                &format!("{}.{field}", node.path),
                &format!("{node_type} nodes need `{field}`"),
                rule,
            )
        };
        match node_type {
            NodeType::Input => match &node.output_model {
                None => self.push(need(
                    "output_model",
                    "add `output_model:` with the one variable that stores the answer, e.g. `answer: str`",
                )),
                Some(model) => self.one_field(model, "input nodes store the answer in one variable"),
            },
            NodeType::Llm => {
                if node.prompt.is_none() {
                    self.push(need("prompt", "add `prompt: \"...\"`, the request to the LLM"));
                }
                if node.tools == Some(true) && node.tools_selection.is_none() {
                    self.push(need(
                        "tools_selection",
                        "with `tools: true`, list the tools the LLM may call (nothing is granted by default)",
                    ));
                }
            }
            NodeType::Tool => match &node.tools_selection {
                None => self.push(need("tools_selection", "add `tools_selection: [plugin.tool]`")),
                Some(list) if list.value.len() != 1 => self.push(invalid(
                    list.pos,
                    &list.path,
                    format!("a tool node calls one tool; {} are listed", list.value.len()),
                    "list exactly one tool; use one tool node per call",
                )),
                Some(_) => {}
            },
            NodeType::Output => {
                if node.user_message.as_ref().is_none_or(|m| m.value.is_empty()) {
                    self.push(need("user_message", "add `user_message:` with lines or variable names"));
                }
            }
            NodeType::UpdateState => self.update_state(),
        }
        self.common();
    }

    /// Checks shared by every type: option lists, tool names, output_model names, templates.
    fn common(&mut self) {
        let node = self.node;
        if let Some(options) = &node.options
            && options.value.is_empty()
        {
            self.push(invalid(
                options.pos,
                &options.path,
                "`options` is empty".into(),
                "list the choices, or remove `options` for free text",
            ));
        }
        if let Some(model) = &node.output_model {
            for field in &model.value {
                if !is_identifier(&field.name.value) {
                    self.push(invalid(
                        field.name.pos,
                        &field.name.path,
                        format!("`{}` is not a variable name", field.name.value),
                        "use letters, digits and `_`, not starting with a digit",
                    ));
                }
            }
        }
        for tool in node.tools_selection.iter().flat_map(|l| &l.value) {
            if !self.cx.known_tools.contains(&tool.value) {
                self.push(self.unknown_tool(tool));
            }
        }
        let templates = [&node.prompt, &node.system]
            .into_iter()
            .flatten()
            .chain(node.options.iter().flat_map(|o| &o.value))
            .chain(node.user_message.iter().flat_map(|m| &m.value))
            .chain(&node.embedded_templates);
        let errors: Vec<Diagnostic> = templates.filter_map(template_error).collect();
        for error in errors {
            self.push(error);
        }
    }

    fn unknown_tool(&self, tool: &Sp<String>) -> Diagnostic {
        let known = self.cx.known_tools;
        let listed: Vec<&str> = known.iter().take(12).map(String::as_str).collect();
        let hint = if known.is_empty() {
            "no tools are available to this workflow".to_owned()
        } else {
            format!(
                "known tools: {}{}.{}",
                listed.join(", "),
                if known.len() > listed.len() {
                    ", ..."
                } else {
                    ""
                },
                did_you_mean(&tool.value, known.iter().map(String::as_str))
            )
        };
        Diagnostic::new(
            Code::UnknownTool,
            tool.pos,
            &tool.path,
            format!("unknown tool `{}`", tool.value),
            hint,
        )
    }

    fn one_field(&mut self, model: &Sp<Vec<crate::raw::RawField>>, why: &str) {
        if model.value.len() != 1 {
            self.push(invalid(
                model.pos,
                &model.path,
                format!("`output_model` has {} variables; {why}", model.value.len()),
                "write exactly one `name: type` line",
            ));
        }
    }

    fn update_state(&mut self) {
        let node = self.node;
        let increment = node
            .action
            .as_ref()
            .is_some_and(|a| a.value == UpdateAction::Increment);
        match (&node.source_variable, &node.value) {
            (None, None) if !increment => self.push(missing(
                node.pos,
                &node.path,
                "update_state nodes need `source_variable` or `value`",
                "add `value: ...` or `source_variable: name`",
            )),
            (Some(source), Some(_)) => self.push(invalid(
                source.pos,
                &source.path,
                "`source_variable` and `value` are both set".into(),
                "keep one of them",
            )),
            (Some(source), None) if VarPath::parse(&source.value).is_none() => {
                self.push(invalid(
                    source.pos,
                    &source.path,
                    format!("`{}` is not a variable path", source.value),
                    "write a variable name such as `answer` or `result.items`",
                ));
            }
            _ => {}
        }
        if let (Some(action), Some(value)) = (&node.action, &node.value)
            && action.value == UpdateAction::Increment
            && !value.value.is_number()
        {
            self.push(invalid(
                value.pos,
                &value.path,
                "`increment` adds a number".into(),
                "write a number such as `value: 1`, or leave `value` out and use `source_variable`",
            ));
        }
        match &node.output_model {
            None => self.push(missing(
                node.pos,
                &format!("{}.output_model", node.path),
                "update_state nodes need `output_model`",
                "add `output_model:` with the variable to change, e.g. `counter: int`",
            )),
            Some(model) => self.one_field(model, "update_state changes one variable"),
        }
    }
}

/// The diagnostic for a template that does not parse.
pub(crate) fn template_error(source: &Sp<String>) -> Option<Diagnostic> {
    let err = Template::parse(&source.value).err()?;
    Some(Diagnostic::new(
        Code::TemplateSyntax,
        source.pos,
        &source.path,
        format!("bad template: {err}"),
        "write `{name}` for a variable, `{{` and `}}` for literal braces",
    ))
}

#[cfg(test)]
mod tests;
