//! The edge rules: every entry has a known `from` and targets, nothing points to START or leaves END,
//! each node's edges are listed once and no edge hides behind an unconditional one, conditions are
//! valid Starlark lambdas, START exists, END is reachable, and every node is reachable and can reach
//! END. Builds the [`Graph`] the variable analysis walks.

use std::collections::{BTreeMap, VecDeque};

use crate::condition;
use crate::diagnostic::{Diagnostic, DiagnosticCode as Code, did_you_mean};
use crate::flow::{END, START};
use crate::raw::{RawFlow, RawNode, Sp};
use crate::yaml::Pos;

/// Node indices `0..n` are the nodes; `n` is START and `n + 1` is END.
pub(crate) struct Graph {
    /// Successors of each index (START included).
    pub succ: Vec<Vec<usize>>,
    /// Whether each index is reachable from START.
    pub reachable: Vec<bool>,
}

impl Graph {
    fn new(node_count: usize) -> Self {
        Self {
            succ: vec![Vec::new(); node_count + 2],
            reachable: vec![false; node_count + 2],
        }
    }

    fn start(&self) -> usize {
        self.succ.len() - 2
    }

    fn end(&self) -> usize {
        self.succ.len() - 1
    }
}

/// Checks the edge rules and returns the graph.
pub(crate) fn check(
    raw: &RawFlow,
    nodes: &[RawNode],
    index: &BTreeMap<&str, usize>,
    diags: &mut Vec<Diagnostic>,
) -> Graph {
    let mut graph = Graph::new(nodes.len());
    let entries = raw.flow.as_ref().map_or(&[][..], |f| f.value.as_slice());
    let resolve = |name: &str| match name {
        START => Some(graph.start()),
        END => Some(graph.end()),
        _ => index.get(name).copied(),
    };
    let mut has_out: BTreeMap<usize, Pos> = BTreeMap::new();
    let mut dangling = false;
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for entry in entries {
        let Some(from) = &entry.from else {
            diags.push(Diagnostic::new(
                Code::MissingField,
                entry.pos,
                &entry.path,
                "a flow entry has no `from`",
                "add `from: node_name` (or `from: START`)",
            ));
            continue;
        };
        let source = if from.value == END {
            diags.push(
                Diagnostic::new(
                    Code::EdgeFromEnd,
                    from.pos,
                    &from.path,
                    "an edge leaves END",
                    "END is where the run stops; remove this entry",
                )
                .at_node(Some(END)),
            );
            None
        } else {
            let source = resolve(&from.value);
            if source.is_none() {
                diags.push(unknown_node(from, index));
            }
            source
        };
        if let Some(source) = source
            && let Some(first) = has_out.insert(source, from.pos)
        {
            diags.push(
                Diagnostic::new(
                    Code::AmbiguousEdges,
                    from.pos,
                    &from.path,
                    format!("the edges from `{}` are listed twice", from.value),
                    format!(
                        "the first entry is at line {}; list every edge of a node under one \
                         `edges:` in the order they are tried",
                        first.line
                    ),
                )
                .at_node(Some(&from.value)),
            );
        }
        let targets = targets(entry, &from.value, diags);
        for target in targets {
            let to = target.value.as_str();
            let resolved = if to == START {
                diags.push(
                    Diagnostic::new(
                        Code::EdgeToStart,
                        target.pos,
                        &target.path,
                        "an edge points to START",
                        "START is virtual and only begins the flow; loop back to a real node",
                    )
                    .at_edge(&from.value, to),
                );
                None
            } else {
                let resolved = resolve(to);
                if resolved.is_none() {
                    diags.push(unknown_node(target, index).at_edge(&from.value, to));
                    dangling = true;
                }
                resolved
            };
            if let (Some(s), Some(t)) = (source, resolved) {
                edges.push((s, t));
            }
        }
    }
    for (s, t) in edges {
        graph.succ[s].push(t);
    }
    reachability(raw, nodes, &mut graph, &has_out, dangling, diags);
    graph
}

/// The targets of one entry, checking its shape and conditions on the way.
fn targets<'e>(
    entry: &'e crate::raw::RawEntry,
    from: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<&'e Sp<String>> {
    match (&entry.to, &entry.edges) {
        (Some(to), None) => vec![to],
        (Some(to), Some(_)) => {
            diags.push(Diagnostic::new(
                Code::InvalidValue,
                to.pos,
                &to.path,
                "a flow entry has both `to` and `edges`",
                "use `to` for one unconditional edge, or `edges` for a list",
            ));
            vec![to]
        }
        (None, None) => {
            diags.push(Diagnostic::new(
                Code::MissingField,
                entry.pos,
                &entry.path,
                "a flow entry has neither `to` nor `edges`",
                "add `to: node_name` or `edges: [{to: ..., condition: ...}]`",
            ));
            Vec::new()
        }
        (None, Some(edges)) => {
            if edges.is_empty() {
                diags.push(Diagnostic::new(
                    Code::MissingField,
                    entry.pos,
                    &entry.path,
                    "`edges` is empty",
                    "list at least one `- to: ...`",
                ));
            }
            let mut unconditional: Option<&str> = None;
            let mut targets = Vec::new();
            for edge in edges {
                let Some(to) = &edge.to else {
                    diags.push(Diagnostic::new(
                        Code::MissingField,
                        edge.pos,
                        &edge.path,
                        "an edge has no `to`",
                        "add `to: node_name` (or `to: END`)",
                    ));
                    continue;
                };
                if let Some(before) = unconditional {
                    diags.push(
                        Diagnostic::new(
                            Code::AmbiguousEdges,
                            edge.pos,
                            &edge.path,
                            "this edge is never tried: an edge without a condition comes before it",
                            format!(
                                "edges are tried in order and the first true one wins; move the \
                                 edge to `{before}` last"
                            ),
                        )
                        .at_edge(from, &to.value),
                    );
                }
                match &edge.condition {
                    None => unconditional = unconditional.or(Some(&to.value)),
                    Some(condition) => check_condition(condition, from, &to.value, diags),
                }
                targets.push(to);
            }
            targets
        }
    }
}

fn check_condition(condition: &Sp<String>, from: &str, to: &str, diags: &mut Vec<Diagnostic>) {
    if let Err(err) = condition::check(&condition.value) {
        diags.push(
            Diagnostic::new(
                Code::ConditionSyntax,
                condition.pos,
                &condition.path,
                format!("bad condition: {err}"),
                "write a Starlark lambda over the state, e.g. \"lambda x: x['choice'] == 'yes'\"",
            )
            .at_edge(from, to),
        );
    }
}

fn unknown_node(name: &Sp<String>, index: &BTreeMap<&str, usize>) -> Diagnostic {
    Diagnostic::new(
        Code::UnknownNode,
        name.pos,
        &name.path,
        format!("no node is called `{}`", name.value),
        format!(
            "use a node name, START or END.{}",
            did_you_mean(&name.value, index.keys().copied().chain([START, END]))
        ),
    )
}

/// START exists, END is reachable, every node is reachable, has an exit and can reach END.
fn reachability(
    raw: &RawFlow,
    nodes: &[RawNode],
    graph: &mut Graph,
    has_out: &BTreeMap<usize, Pos>,
    dangling: bool,
    diags: &mut Vec<Diagnostic>,
) {
    let (start, end) = (graph.start(), graph.end());
    if !has_out.contains_key(&start) {
        let pos = raw.flow.as_ref().map_or(raw.pos, |f| f.pos);
        diags.push(Diagnostic::new(
            Code::MissingStart,
            pos,
            "flow",
            "the flow does not start at START",
            "add `- from: START` with `to: first_node`",
        ));
        return;
    }
    graph.reachable = walk(&graph.succ, start);
    // An edge to a node that does not exist was already named (with a did-you-mean): the paths it breaks
    // are its consequence, not endless loops of their own.
    if !graph.reachable[end] && !dangling {
        let pos = raw.flow.as_ref().map_or(raw.pos, |f| f.pos);
        diags.push(Diagnostic::new(
            Code::EndUnreachable,
            pos,
            "flow",
            "no path from START reaches END",
            "add an edge `to: END` from the last node",
        ));
    }
    let mut pred = vec![Vec::new(); graph.succ.len()];
    for (s, targets) in graph.succ.iter().enumerate() {
        for &t in targets {
            pred[t].push(s);
        }
    }
    let reaches_end = walk(&pred, end);
    for (i, node) in nodes.iter().enumerate() {
        let Some(name) = node.name() else { continue };
        let (message, hint) = if !graph.reachable[i] {
            (
                format!("node `{name}` is never reached from START"),
                "add an edge to it, or remove it",
            )
        } else if !has_out.contains_key(&i) {
            (
                format!("node `{name}` has no outgoing edge"),
                "add `- from: <node>` with `to: END` or the next node",
            )
        } else if !reaches_end[i] && !dangling {
            (
                format!("no path from node `{name}` reaches END (an endless loop)"),
                "give the loop an exit edge that leads to END",
            )
        } else {
            continue;
        };
        let code = if graph.reachable[i] {
            Code::DeadEnd
        } else {
            Code::UnreachableNode
        };
        diags.push(Diagnostic::new(code, node.pos, &node.path, message, hint).at_node(Some(name)));
    }
}

/// Breadth-first reachability from `from` over `adjacency`.
fn walk(adjacency: &[Vec<usize>], from: usize) -> Vec<bool> {
    let mut seen = vec![false; adjacency.len()];
    seen[from] = true;
    let mut queue = VecDeque::from([from]);
    while let Some(i) = queue.pop_front() {
        for &j in &adjacency[i] {
            if !std::mem::replace(&mut seen[j], true) {
                queue.push_back(j);
            }
        }
    }
    seen
}
