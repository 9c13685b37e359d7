//! A plan as a picture: its nodes laid out by dependency depth as an inline SVG, and what each node's
//! status is (from the executions of the plan version), in words and as a class.
//!
//! The layout is computed here rather than by a script: layer = the longest chain of dependencies above a
//! node, one column per layer, nodes of a layer stacked in plan order. Each node is a `g.n-<status>` (the
//! stylesheet colours it) holding its id, its tools and its status in words, so the picture never relies on
//! colour alone. The `<svg>` is `role="img"` with a `<title>` and a `<desc>` that read the graph out layer
//! by layer; the page puts the same nodes in a table below it.

use std::collections::HashMap;

use drydock_core::{ExecutionRow, ExecutionStatus, PlanRow};
use maud::{Markup, html};
use serde_json::Value;

/// Node box width and height, gaps between columns and rows, and the margin, in SVG units.
const W: usize = 200;
const H: usize = 66;
const HGAP: usize = 56;
const VGAP: usize = 18;
const PAD: usize = 8;
/// The longest text a node box shows on one line (the full text is in its tooltip and in the table).
const LINE_CHARS: usize = 26;

/// One node of the plan with what the page shows of it.
pub struct NodeView {
    /// `nodeId`.
    pub id: String,
    /// `title`.
    pub title: String,
    /// `dependsOn`.
    pub depends_on: Vec<String>,
    /// The steps as stored: `{tool, args, description?}`.
    pub steps: Vec<Value>,
    /// The status as a class suffix: `pending`, `running`, `completed`, `failed`, `live`.
    pub class: &'static str,
    /// The status in words.
    pub words: String,
    /// Its newest execution of this plan version, if it ran.
    pub latest: Option<ExecutionRow>,
    /// Whether every node it depends on completed (it may run).
    pub ready: bool,
}

impl NodeView {
    /// The tools its steps call, in order, without repeats.
    pub fn tools(&self) -> Vec<String> {
        let mut tools: Vec<String> = Vec::new();
        for step in &self.steps {
            let tool = step["tool"].as_str().unwrap_or("?").to_owned();
            if !tools.contains(&tool) {
                tools.push(tool);
            }
        }
        tools
    }
}

/// The nodes of `plan`, each with the status of its newest execution among `executions` (of that plan).
pub fn node_views(plan: &PlanRow, executions: &[ExecutionRow]) -> Vec<NodeView> {
    let nodes = plan.content["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let completed = |id: &str| {
        executions
            .iter()
            .any(|e| e.node_id.as_deref() == Some(id) && e.status == ExecutionStatus::Completed)
    };
    nodes
        .iter()
        .map(|node| {
            let id = node["nodeId"].as_str().unwrap_or_default().to_owned();
            let depends_on: Vec<String> = node["dependsOn"]
                .as_array()
                .map(|d| {
                    d.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let ready = depends_on.iter().all(|d| completed(d));
            let latest = executions
                .iter()
                .rev()
                .find(|e| e.node_id.as_deref() == Some(id.as_str()))
                .cloned();
            let (class, words) = status_of(latest.as_ref(), ready);
            NodeView {
                title: node["title"].as_str().unwrap_or_default().to_owned(),
                steps: node["steps"].as_array().cloned().unwrap_or_default(),
                id,
                depends_on,
                class,
                words,
                latest,
                ready,
            }
        })
        .collect()
}

/// A node's status from its newest execution: class suffix and words.
fn status_of(latest: Option<&ExecutionRow>, ready: bool) -> (&'static str, String) {
    let Some(run) = latest else {
        return if ready {
            ("pending", "not run yet, ready".into())
        } else {
            (
                "pending",
                "not run yet, waiting for its dependencies".into(),
            )
        };
    };
    let mode = if run.mode == "live" {
        "live run"
    } else {
        "dry run"
    };
    match run.status {
        ExecutionStatus::Accepted | ExecutionStatus::Running => {
            ("running", format!("running ({mode})"))
        }
        ExecutionStatus::Completed if run.mode == "live" => ("live", "completed (live run)".into()),
        ExecutionStatus::Completed => ("completed", format!("completed ({mode})")),
        ExecutionStatus::Failed => ("failed", format!("failed ({mode})")),
        ExecutionStatus::Interrupted => ("failed", format!("interrupted ({mode})")),
        ExecutionStatus::NeedsReview => (
            "needs_review",
            "paused: an effect its rehearsal did not show waits for an operator's review".into(),
        ),
    }
}

/// Each node's layer: 0 without dependencies, else one more than its deepest dependency. Unknown
/// dependencies are ignored and a cycle (which the plan check refuses) cannot loop: at most `n` rounds.
pub fn layers(nodes: &[NodeView]) -> Vec<usize> {
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let mut depth = vec![0usize; nodes.len()];
    for _ in 0..nodes.len() {
        let mut changed = false;
        for (i, node) in nodes.iter().enumerate() {
            let want = node
                .depends_on
                .iter()
                .filter_map(|d| index.get(d.as_str()))
                .map(|&d| depth[d] + 1)
                .max()
                .unwrap_or(0)
                .min(nodes.len());
            if want != depth[i] {
                depth[i] = want;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    depth
}

fn cut(text: &str) -> String {
    if text.chars().count() <= LINE_CHARS {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(LINE_CHARS - 1).collect();
        short.push('…');
        short
    }
}

/// The SVG picture of `nodes` (plan version `version`), described for screen readers.
pub fn svg(nodes: &[NodeView], version: u32) -> Markup {
    let depth = layers(nodes);
    let layer_count = depth.iter().max().map_or(0, |d| d + 1);
    let mut rows = vec![0usize; layer_count];
    let mut at = Vec::with_capacity(nodes.len());
    for &d in &depth {
        at.push((PAD + d * (W + HGAP), PAD + rows[d] * (H + VGAP)));
        rows[d] += 1;
    }
    let tallest = rows.iter().copied().max().unwrap_or(0);
    let width = 2 * PAD + layer_count * W + layer_count.saturating_sub(1) * HGAP;
    let height = 2 * PAD + tallest * H + tallest.saturating_sub(1) * VGAP;
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let description = describe(nodes, &depth, layer_count);
    html! {
        svg.dag role="img" aria-labelledby="dag-title dag-desc" xmlns="http://www.w3.org/2000/svg"
            viewBox=(format!("0 0 {width} {height}")) width=(width) height=(height) {
            title #dag-title { "Plan version " (version) " as a graph" }
            desc #dag-desc { (description) }
            defs {
                marker #dag-arrow viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8"
                    orient="auto-start-reverse" {
                    path.arrow d="M0,0 L10,5 L0,10 z" {}
                }
            }
            @for (i, node) in nodes.iter().enumerate() {
                @for dep in &node.depends_on {
                    @if let Some(&from) = index.get(dep.as_str()) {
                        @let (x1, y1) = (at[from].0 + W, at[from].1 + H / 2);
                        @let (x2, y2) = (at[i].0, at[i].1 + H / 2);
                        @let mid = (x1 + x2) / 2;
                        path.edge marker-end="url(#dag-arrow)"
                            d=(format!("M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}")) {}
                    }
                }
            }
            @for (i, node) in nodes.iter().enumerate() {
                @let (x, y) = at[i];
                g class=(format!("n-{}", node.class)) data-node=(node.id) {
                    title { (node.id) ": " (node.title) " (" (node.words) ")" }
                    rect x=(x) y=(y) width=(W) height=(H) rx="6" {}
                    text.nid x=(x + 10) y=(y + 19) { (cut(&node.id)) }
                    text.tools x=(x + 10) y=(y + 37) { (cut(&node.tools().join(", "))) }
                    text.words x=(x + 10) y=(y + 55) { (cut(&node.words)) }
                }
            }
        }
    }
}

/// The graph in words: how many nodes and layers, then each layer's nodes with their status.
fn describe(nodes: &[NodeView], depth: &[usize], layer_count: usize) -> String {
    let mut text = format!(
        "{} nodes in {} layers; a node runs after the nodes of the layers before it.",
        nodes.len(),
        layer_count
    );
    for layer in 0..layer_count {
        let names: Vec<String> = nodes
            .iter()
            .zip(depth)
            .filter(|(_, d)| **d == layer)
            .map(|(n, _)| format!("{} ({})", n.id, n.words))
            .collect();
        text.push_str(&format!(" Layer {}: {}.", layer + 1, names.join(", ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, deps: &[&str]) -> NodeView {
        NodeView {
            id: id.into(),
            title: format!("Title of {id}"),
            depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
            steps: vec![serde_json::json!({"tool": "workspace.write_file", "args": {}})],
            class: "pending",
            words: "not run yet, ready".into(),
            latest: None,
            ready: deps.is_empty(),
        }
    }

    #[test]
    fn layers_follow_the_longest_chain_of_dependencies() {
        let nodes = vec![
            node("analyze", &[]),
            node("req-1", &["analyze"]),
            node("req-2", &["analyze"]),
            node("implement", &["req-1", "req-2", "analyze"]),
            node("report", &["implement", "missing"]),
        ];
        assert_eq!(layers(&nodes), vec![0, 1, 1, 2, 3]);
    }

    #[test]
    fn a_cycle_does_not_loop_forever() {
        let nodes = vec![node("a", &["b"]), node("b", &["a"])];
        assert!(layers(&nodes).iter().all(|d| *d <= 2));
    }

    #[test]
    fn the_picture_has_a_title_a_description_status_classes_and_edges() {
        let mut nodes = vec![node("analyze", &[]), node("implement", &["analyze"])];
        nodes[0].class = "completed";
        nodes[0].words = "completed (dry run)".into();
        let svg = svg(&nodes, 3).into_string();
        assert!(svg.contains(r#"role="img""#), "{svg}");
        assert!(svg.contains("Plan version 3 as a graph"), "{svg}");
        assert!(
            svg.contains("Layer 1: analyze (completed (dry run))"),
            "{svg}"
        );
        assert!(svg.contains(r#"class="n-completed""#) && svg.contains(r#"class="n-pending""#));
        assert_eq!(svg.matches(r#"class="edge""#).count(), 1, "{svg}");
        assert!(
            svg.contains("<rect") && svg.contains("</rect>"),
            "closed for the HTML parser: {svg}"
        );
    }

    #[test]
    fn long_labels_are_cut_with_an_ellipsis() {
        assert_eq!(cut("short"), "short");
        let long = cut("a-very-long-node-identifier-indeed");
        assert_eq!(long.chars().count(), LINE_CHARS);
        assert!(long.ends_with('…'));
    }
}
