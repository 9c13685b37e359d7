//! Undefined variables. A variable is *defined* at a node when some path from START to that node
//! passes a node that can set it: the run inputs, any node's `output_model` keys (input answers, llm
//! and tool results, update_state targets), and, for a node with `user_validation_required`, the
//! feedback keys `feedback` and `<step>_feedback`, which the engine sets (empty) before that step
//! first runs. This is a forward "may be defined" analysis (a union over predecessors, iterated to a
//! fixpoint, so loops are handled): it flags variables that can *never* be set, while a variable set
//! only on some paths is left to the run, which fails with an error naming it.
//!
//! A `user_message` line that is exactly a variable name the flow declares somewhere shows that
//! variable; any other line is a template ([`message_variable`]).

use std::collections::BTreeSet;

use crate::diagnostic::{Diagnostic, DiagnosticCode as Code, did_you_mean};
use crate::flow::{NodeType, feedback_keys};
use crate::raw::{RawFlow, RawNode, Sp};
use crate::template::{Template, VarPath};

use super::Graph;

/// Every variable the flow can ever set, wherever.
pub(crate) fn declared_variables(raw: &RawFlow) -> BTreeSet<String> {
    let nodes = raw.nodes.as_ref().map_or(&[][..], |n| n.value.as_slice());
    let inputs = raw
        .inputs
        .iter()
        .filter_map(|i| i.name.as_ref().map(|n| n.value.clone()));
    inputs
        .chain(
            nodes
                .iter()
                .flat_map(|n| pre_defs(n).into_iter().chain(defs(n))),
        )
        .collect()
}

/// The variable a `user_message` line shows, when the line is exactly a declared variable's name.
pub(crate) fn message_variable(line: &str, declared: &BTreeSet<String>) -> Option<VarPath> {
    VarPath::parse(line).filter(|path| declared.contains(path.root()))
}

/// What a node sets once it ran: its `output_model` keys.
fn defs(node: &RawNode) -> Vec<String> {
    node.output_model
        .iter()
        .flat_map(|m| &m.value)
        .map(|f| f.name.value.clone())
        .collect()
}

/// What the engine sets before a node runs: the feedback keys of a validated step.
fn pre_defs(node: &RawNode) -> Vec<String> {
    match node.name() {
        Some(name) if node.user_validation_required => feedback_keys(name).to_vec(),
        _ => Vec::new(),
    }
}

/// Reports every variable read where no path can have set it.
pub(crate) fn check(raw: &RawFlow, nodes: &[RawNode], graph: &Graph, diags: &mut Vec<Diagnostic>) {
    let count = nodes.len();
    let start = count;
    let inputs: BTreeSet<String> = raw
        .inputs
        .iter()
        .filter_map(|i| i.name.as_ref().map(|n| n.value.clone()))
        .collect();
    let mut pred = vec![Vec::new(); graph.succ.len()];
    for (s, targets) in graph.succ.iter().enumerate() {
        for &t in targets {
            pred[t].push(s);
        }
    }
    // `before[i]`: defined when node i starts; `after[i]`: once it ran.
    let mut before = vec![BTreeSet::new(); count];
    let mut after = vec![BTreeSet::new(); count + 2];
    after[start] = inputs;
    let mut changed = true;
    while changed {
        changed = false;
        for i in (0..count).filter(|&i| graph.reachable[i]) {
            let mut available: BTreeSet<String> =
                pred[i].iter().flat_map(|&p| after[p].clone()).collect();
            available.extend(pre_defs(&nodes[i]));
            let mut done = available.clone();
            done.extend(defs(&nodes[i]));
            if done != after[i] || available != before[i] {
                changed = true;
                before[i] = available;
                after[i] = done;
            }
        }
    }
    let declared = declared_variables(raw);
    for (i, node) in nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| graph.reachable[*i])
    {
        for (path, source) in uses(node, &declared) {
            let set = if path_after(node, source) {
                &after[i]
            } else {
                &before[i]
            };
            if !set.contains(path.root()) {
                diags.push(undefined(node, &path, source, &declared));
            }
        }
    }
}

/// `user_message` of llm and tool nodes is shown after the node ran, so it may use the node's output.
fn path_after(node: &RawNode, source: &Sp<String>) -> bool {
    matches!(node.node_type, Some(NodeType::Llm | NodeType::Tool))
        && node
            .user_message
            .as_ref()
            .is_some_and(|m| m.value.iter().any(|line| std::ptr::eq(line, source)))
}

/// Every variable the node reads, with the text it is read in.
fn uses<'n>(node: &'n RawNode, declared: &BTreeSet<String>) -> Vec<(VarPath, &'n Sp<String>)> {
    let mut out = Vec::new();
    let templates = [&node.prompt, &node.system]
        .into_iter()
        .flatten()
        .chain(node.options.iter().flat_map(|o| &o.value))
        .chain(&node.embedded_templates);
    for source in templates {
        if let Ok(template) = Template::parse(&source.value) {
            out.extend(template.variables().map(|v| (v.clone(), source)));
        }
    }
    for line in node.user_message.iter().flat_map(|m| &m.value) {
        if let Some(path) = message_variable(&line.value, declared) {
            out.push((path, line));
        } else if let Ok(template) = Template::parse(&line.value) {
            out.extend(template.variables().map(|v| (v.clone(), line)));
        }
    }
    if let Some(source) = &node.source_variable
        && let Some(path) = VarPath::parse(&source.value)
    {
        out.push((path, source));
    }
    out
}

fn undefined(
    node: &RawNode,
    path: &VarPath,
    source: &Sp<String>,
    declared: &BTreeSet<String>,
) -> Diagnostic {
    let name = node.name().unwrap_or("?");
    Diagnostic::new(
        Code::UndefinedVariable,
        source.pos,
        &source.path,
        format!(
            "variable `{}` is not set by any node before `{name}`, nor by the run inputs",
            path.root()
        ),
        format!(
            "set it with `output_model` in an earlier node or declare it under `inputs:`; \
             write `{{{{` and `}}}}` for literal braces.{}",
            did_you_mean(path.root(), declared.iter().map(String::as_str))
        ),
    )
    .at_node(node.name())
}
