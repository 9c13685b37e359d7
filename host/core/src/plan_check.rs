//! Checking a proposed plan before anyone sees it: the shape of seed 001's plan, a DAG, and steps that name
//! loaded tools with arguments their schemas accept. A planner's output is untrusted input.

use std::collections::{BTreeMap, BTreeSet};

use drydock_runtime::ToolInfo;
use serde_json::Value;

/// At most this many nodes and steps per node: a plan is for people to read.
const MAX_NODES: usize = 64;
const MAX_STEPS: usize = 32;

/// Checks `plan` (`{"nodes": [...]}`); returns every problem found, each naming the node and field.
pub fn check_plan(plan: &Value, tools: &[ToolInfo]) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    let Some(nodes) = plan.get("nodes").and_then(Value::as_array) else {
        return Err(vec!["the plan has no `nodes` array".into()]);
    };
    if nodes.is_empty() || nodes.len() > MAX_NODES {
        problems.push(format!(
            "a plan has 1 to {MAX_NODES} nodes, this one has {}",
            nodes.len()
        ));
    }
    let tools: BTreeMap<&str, &ToolInfo> = tools.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut ids = BTreeSet::new();
    let mut edges: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, node) in nodes.iter().enumerate() {
        let id = node
            .get("nodeId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let at = if id.is_empty() {
            format!("node #{i}")
        } else {
            format!("node `{id}`")
        };
        if id.is_empty() || id.len() > 64 {
            problems.push(format!(
                "{at}: `nodeId` must be a non-empty string of at most 64 characters"
            ));
        } else if !ids.insert(id.to_owned()) {
            problems.push(format!("{at}: `nodeId` is used twice"));
        }
        if node
            .get("title")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            problems.push(format!("{at}: `title` must be a non-empty string"));
        }
        if node.get("suggestedBranch").is_some_and(|b| !b.is_string()) {
            problems.push(format!("{at}: `suggestedBranch` must be a string"));
        }
        if node
            .get("tags")
            .is_some_and(|t| !t.as_array().is_some_and(|a| a.iter().all(Value::is_string)))
        {
            problems.push(format!("{at}: `tags` must be an array of strings"));
        }
        let deps: Vec<String> = match node.get("dependsOn") {
            None => Vec::new(),
            Some(Value::Array(deps)) if deps.iter().all(Value::is_string) => deps
                .iter()
                .filter_map(|d| d.as_str().map(str::to_owned))
                .collect(),
            Some(_) => {
                problems.push(format!("{at}: `dependsOn` must be an array of node ids"));
                Vec::new()
            }
        };
        edges.insert(id.to_owned(), deps);
        let steps = node.get("steps").and_then(Value::as_array);
        match steps {
            None => problems.push(format!("{at}: `steps` must be an array")),
            Some(steps) if steps.len() > MAX_STEPS => {
                problems.push(format!("{at}: at most {MAX_STEPS} steps per node"))
            }
            Some(steps) => {
                for (j, step) in steps.iter().enumerate() {
                    check_step(&format!("{at} step {}", j + 1), step, &tools, &mut problems);
                }
            }
        }
    }
    for (id, deps) in &edges {
        for dep in deps {
            if !ids.contains(dep) {
                problems.push(format!("node `{id}`: depends on unknown node `{dep}`"));
            }
        }
    }
    if let Some(cycle_at) = find_cycle(&edges) {
        problems.push(format!(
            "node `{cycle_at}` is part of a dependency cycle; a plan must be a DAG"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn check_step(
    at: &str,
    step: &Value,
    tools: &BTreeMap<&str, &ToolInfo>,
    problems: &mut Vec<String>,
) {
    let Some(name) = step.get("tool").and_then(Value::as_str) else {
        problems.push(format!("{at}: `tool` must name a tool"));
        return;
    };
    let Some(tool) = tools.get(name) else {
        problems.push(format!("{at}: no loaded tool is named `{name}`"));
        return;
    };
    let args = step
        .get("args")
        .cloned()
        .unwrap_or(Value::Object(Default::default()));
    match jsonschema::validator_for(&tool.input_schema) {
        Ok(validator) => {
            for err in validator.iter_errors(&args).take(3) {
                let path = err.instance_path().to_string();
                problems.push(format!(
                    "{at} (`{name}`): argument {}: {}",
                    if path.is_empty() { "/" } else { &path },
                    err.masked()
                ));
            }
        }
        Err(err) => problems.push(format!(
            "{at}: the schema of `{name}` does not compile: {err}"
        )),
    }
}

/// A node on a cycle, if the dependency graph has one.
fn find_cycle(edges: &BTreeMap<String, Vec<String>>) -> Option<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit<'a>(
        node: &'a str,
        edges: &'a BTreeMap<String, Vec<String>>,
        marks: &mut BTreeMap<&'a str, Mark>,
    ) -> Option<String> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Visiting) => return Some(node.to_owned()),
            None => {}
        }
        marks.insert(node, Mark::Visiting);
        for dep in edges.get(node).into_iter().flatten() {
            if edges.contains_key(dep.as_str())
                && let Some(found) = visit(dep, edges, marks)
            {
                return Some(found);
            }
        }
        marks.insert(node, Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    edges.keys().find_map(|node| visit(node, edges, &mut marks))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tools() -> Vec<ToolInfo> {
        vec![ToolInfo {
            name: "echo.echo".into(),
            description: String::new(),
            input_schema: json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"], "additionalProperties": false}),
            plugin: "echo".into(),
        }]
    }

    fn node(id: &str, deps: &[&str]) -> Value {
        json!({"nodeId": id, "title": id, "dependsOn": deps, "suggestedBranch": "feature/x", "tags": [], "steps": [{"tool": "echo.echo", "args": {"text": "hi"}}]})
    }

    #[test]
    fn accepts_a_valid_dag() {
        let plan = json!({"nodes": [node("a", &[]), node("b", &["a"])]});
        assert!(check_plan(&plan, &tools()).is_ok());
    }

    #[test]
    fn refuses_cycles_unknown_dependencies_and_duplicate_ids() {
        let cyclic = json!({"nodes": [node("a", &["b"]), node("b", &["a"])]});
        assert!(
            check_plan(&cyclic, &tools())
                .unwrap_err()
                .iter()
                .any(|p| p.contains("cycle"))
        );
        let unknown = json!({"nodes": [node("a", &["zz"])]});
        assert!(check_plan(&unknown, &tools()).unwrap_err()[0].contains("unknown node `zz`"));
        let twice = json!({"nodes": [node("a", &[]), node("a", &[])]});
        assert!(check_plan(&twice, &tools()).unwrap_err()[0].contains("used twice"));
    }

    #[test]
    fn refuses_unknown_tools_and_bad_arguments() {
        let plan = json!({"nodes": [{"nodeId": "a", "title": "A", "steps": [
            {"tool": "nope.x", "args": {}},
            {"tool": "echo.echo", "args": {"text": 3}}
        ]}]});
        let problems = check_plan(&plan, &tools()).unwrap_err();
        assert!(
            problems[0].contains("no loaded tool is named `nope.x`"),
            "{problems:?}"
        );
        assert!(problems[1].contains("/text"), "{problems:?}");
    }

    #[test]
    fn refuses_a_plan_without_nodes() {
        assert!(check_plan(&json!({}), &tools()).is_err());
        assert!(check_plan(&json!({"nodes": []}), &tools()).is_err());
    }
}
