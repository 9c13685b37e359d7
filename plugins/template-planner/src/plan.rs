//! The plan: `analyze` → one `req-N` node per stated requirement → `implement` → `report`, each node's
//! steps chosen from the tools the host offers.
//!
//! The nodes form layers: every node depends on every node of the layer before it, so the requirement
//! nodes may run in any order once `analyze` is done, and `implement` waits for all of them. A step is
//! planned only when its tool is in the list and the arguments fit that tool's input schema
//! ([`fits_schema`]); a node left without steps is dropped and the next layer depends on the one before.
//! A requirement node writes the requirement down in the workspace: this planner has no tool that could
//! carry out an arbitrary requirement, and it does not pretend to.

use drydock_plugin_sdk::ToolSpec;
use serde_json::{Map, Value, json};

use crate::WorkItem;
use crate::names;

/// How many title keywords `analyze` searches for.
const SEARCH_KEYWORDS: usize = 2;
/// The tools this planner knows how to use, named in the error when none is offered.
const KNOWN_TOOLS: &str = "workspace.list_files, workspace.search, workspace.write_file, jira.get_issue, jira.add_comment";

/// One node before the dependencies are wired.
struct Node {
    node_id: String,
    title: String,
    role: &'static str,
    steps: Vec<Value>,
}

/// The plan `{"nodes": [..]}` for `item`, using only `tools`.
pub fn plan(item: &WorkItem, tools: &[ToolSpec]) -> Result<Value, String> {
    let planner = Planner {
        item,
        tools,
        notes_path: format!("notes/{}.md", names::safe_id(&item.id)),
    };
    let layers = [
        vec![planner.analyze()],
        planner.requirements(),
        vec![planner.implement()],
        vec![planner.report()],
    ];
    let branch = names::branch(item);
    let tags = item_tags(item);
    let mut planned: Vec<Value> = Vec::new();
    let mut previous: Vec<String> = Vec::new();
    for layer in layers {
        let layer: Vec<Node> = layer
            .into_iter()
            .filter(|node| !node.steps.is_empty())
            .collect();
        if layer.is_empty() {
            continue;
        }
        for node in &layer {
            let mut node_tags = tags.clone();
            node_tags.push(node.role.to_owned());
            planned.push(json!({
                "nodeId": node.node_id,
                "title": node.title,
                "dependsOn": previous,
                "suggestedBranch": branch,
                "tags": node_tags,
                "steps": node.steps,
            }));
        }
        previous = layer.into_iter().map(|node| node.node_id).collect();
    }
    if planned.is_empty() {
        return Err(format!(
            "none of the tools this planner plans with is available (it uses {KNOWN_TOOLS})"
        ));
    }
    Ok(json!({ "nodes": planned }))
}

struct Planner<'a> {
    item: &'a WorkItem,
    tools: &'a [ToolSpec],
    notes_path: String,
}

impl Planner<'_> {
    fn analyze(&self) -> Node {
        let item = self.item;
        let mut steps = Vec::new();
        if names::is_jira_key(&item.id) {
            steps.extend(self.step(
                "jira.get_issue",
                json!({"key": item.id}),
                format!("Read {} in Jira.", item.id),
            ));
        }
        steps.extend(self.step(
            "workspace.list_files",
            json!({"path": ".", "recursive": true}),
            "List the workspace to see its layout.".to_owned(),
        ));
        let mut patterns = Vec::new();
        if item.id != crate::REQUEST_ID {
            patterns.push(item.id.clone());
        }
        patterns.extend(names::keywords(&item.title, SEARCH_KEYWORDS));
        for pattern in patterns {
            let description = format!("Find where `{pattern}` appears.");
            steps.extend(self.step(
                "workspace.search",
                json!({ "pattern": pattern }),
                description,
            ));
        }
        Node {
            node_id: "analyze".into(),
            title: format!("Analyze {}: {}", item.id, item.title),
            role: "analysis",
            steps,
        }
    }

    /// One node per requirement: write it down as `plans/<id>/requirement-NN.md`.
    fn requirements(&self) -> Vec<Node> {
        let item = self.item;
        let id = names::safe_id(&item.id);
        item.requirements
            .iter()
            .enumerate()
            .map(|(i, requirement)| {
                let number = i + 1;
                let path = format!("plans/{id}/requirement-{number:02}.md");
                let content = format!(
                    "# Requirement {number} of {}: {}\n\n{requirement}\n",
                    item.id, item.title
                );
                let steps = self
                    .step(
                        "workspace.write_file",
                        json!({"path": path, "content": content}),
                        format!("Record requirement {number} in {path}."),
                    )
                    .into_iter()
                    .collect();
                Node {
                    node_id: format!("req-{number}"),
                    title: format!("Requirement {number}: {requirement}"),
                    role: "requirement",
                    steps,
                }
            })
            .collect()
    }

    fn implement(&self) -> Node {
        let item = self.item;
        let steps = self
            .step(
                "workspace.write_file",
                json!({"path": self.notes_path, "content": self.notes()}),
                format!(
                    "Write the working notes for {} to {}.",
                    item.id, self.notes_path
                ),
            )
            .into_iter()
            .collect();
        Node {
            node_id: "implement".into(),
            title: format!("Implement {}: {}", item.id, item.title),
            role: "implementation",
            steps,
        }
    }

    fn report(&self) -> Node {
        let item = self.item;
        let summary = format!(
            "Drydock planned {} \"{}\" on branch {}: analysis, then notes in {}.",
            item.id,
            item.title,
            names::branch(item),
            self.notes_path
        );
        let comment = if names::is_jira_key(&item.id) {
            self.step(
                "jira.add_comment",
                json!({"key": item.id, "body": summary}),
                format!("Comment on {} with the outcome.", item.id),
            )
        } else {
            None
        };
        let steps = comment
            .or_else(|| {
                let path = format!("reports/{}.md", names::safe_id(&item.id));
                let description = format!("Write the report for {} to {path}.", item.id);
                let content = format!("# Report: {} {}\n\n{summary}\n", item.id, item.title);
                self.step(
                    "workspace.write_file",
                    json!({"path": path, "content": content}),
                    description,
                )
            })
            .into_iter()
            .collect();
        Node {
            node_id: "report".into(),
            title: format!("Report on {}", item.id),
            role: "report",
            steps,
        }
    }

    /// The step `{tool, args, description}`, if `tool` is offered and `args` fit its schema.
    fn step(&self, tool: &str, args: Value, description: String) -> Option<Value> {
        let spec = self.tools.iter().find(|spec| spec.name == tool)?;
        let schema: Value = serde_json::from_str(&spec.input_schema).ok()?;
        fits_schema(&schema, &args)
            .then(|| json!({"tool": tool, "args": args, "description": description}))
    }

    /// The Markdown notes `implement` writes: what the item is and the plan for it.
    fn notes(&self) -> String {
        let item = self.item;
        let mut notes = format!("# {}: {}\n\n", item.id, item.title);
        if let Some(kind) = &item.kind {
            notes.push_str(&format!("- Type: {kind}\n"));
        }
        if !item.labels.is_empty() {
            notes.push_str(&format!("- Labels: {}\n", item.labels.join(", ")));
        }
        notes.push_str(&format!("- Branch: {}\n\n", names::branch(item)));
        if !item.description.is_empty() {
            notes.push_str(&format!("## Description\n\n{}\n\n", item.description));
        }
        if !item.requirements.is_empty() {
            notes.push_str("## Requirements\n\n");
            for (i, requirement) in item.requirements.iter().enumerate() {
                notes.push_str(&format!("{}. {requirement}\n", i + 1));
            }
            notes.push('\n');
        }
        notes.push_str("## Plan\n\n");
        notes.push_str("1. Analyze: read the item and find the code it touches.\n");
        notes.push_str("2. Implement: make the change on the branch above.\n");
        notes.push_str("3. Report: tell the item's owner what changed.\n");
        notes
    }
}

/// The item's tags: its type, then its labels, without blanks or repeats.
fn item_tags(item: &WorkItem) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in item.kind.iter().chain(&item.labels) {
        if !tag.is_empty() && !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    tags
}

/// Whether `args` satisfy the parts of an object schema a plan depends on: required properties present, no
/// unlisted property when `additionalProperties` is false, and each value of the declared `type`, `enum`
/// and `minLength`. A schema this check cannot read counts as not fitting.
fn fits_schema(schema: &Value, args: &Value) -> bool {
    let (Some(schema), Some(args)) = (schema.as_object(), args.as_object()) else {
        return false;
    };
    let empty = Map::new();
    let properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let required = schema
        .get("required")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
    required
        .iter()
        .all(|name| name.as_str().is_some_and(|name| args.contains_key(name)))
        && args.iter().all(|(name, value)| match properties.get(name) {
            Some(property) => fits_property(property, value),
            None => !closed,
        })
}

fn fits_property(property: &Value, value: &Value) -> bool {
    let type_fits = match property.get("type").and_then(Value::as_str) {
        None => true,
        Some("string") => value.is_string(),
        Some("boolean") => value.is_boolean(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some(_) => false,
    };
    let enum_fits = property
        .get("enum")
        .and_then(Value::as_array)
        .is_none_or(|choices| choices.contains(value));
    let length_fits = match (
        property.get("minLength").and_then(Value::as_u64),
        value.as_str(),
    ) {
        (Some(min), Some(text)) => text.chars().count() as u64 >= min,
        _ => true,
    };
    type_fits && enum_fits && length_fits
}

#[cfg(test)]
mod tests;
