//! Checking a plan a model proposed, and writing it back in the normal shape. The host checks every plan
//! again (with full JSON Schema); this check exists so that the model can be told precisely what to fix
//! while there is still a retry left, and so that this planner never hands over a plan it knows is wrong.
//!
//! Structure: 1 to [`MAX_NODES`] nodes; each with a unique `nodeId`, a `title`, `dependsOn` naming other
//! nodes of the plan (no cycles), string `tags`, and 1 to [`MAX_STEPS`] steps. Steps: `tool` is one of the
//! given tools; `args` is an object with the schema's required properties, no property a closed schema
//! does not list, and values of the declared `type` and `enum`.

use std::collections::{BTreeMap, BTreeSet};

use drydock_plugin_sdk::ToolSpec;
use serde_json::{Map, Value, json};

/// The host's bounds on a plan.
const MAX_NODES: usize = 64;
const MAX_STEPS: usize = 32;
const MAX_ID_CHARS: usize = 64;
/// At most this many problems are reported; the rest are counted.
const MAX_PROBLEMS: usize = 8;

/// The plan `{"nodes": [...]}` with only the known fields, or every problem found, `; `-joined.
pub fn plan(plan: &Value, tools: &[ToolSpec]) -> Result<Value, String> {
    let mut problems = Vec::new();
    let Some(nodes) = plan.get("nodes").and_then(Value::as_array) else {
        return Err("the JSON object has no `nodes` array".to_owned());
    };
    if nodes.is_empty() || nodes.len() > MAX_NODES {
        problems.push(format!(
            "a plan has 1 to {MAX_NODES} nodes, not {}",
            nodes.len()
        ));
    }
    let tools: BTreeMap<&str, &ToolSpec> = tools.iter().map(|t| (t.name.as_str(), t)).collect();
    let ids: BTreeSet<&str> = nodes
        .iter()
        .filter_map(|node| node.get("nodeId").and_then(Value::as_str))
        .collect();
    let mut seen = BTreeSet::new();
    let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut normal = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let id = node
            .get("nodeId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let at = if id.is_empty() {
            format!("node #{}", i + 1)
        } else {
            format!("node `{id}`")
        };
        if !node.is_object() {
            problems.push(format!("{at}: must be an object"));
            continue;
        }
        if id.trim().is_empty() || id.chars().count() > MAX_ID_CHARS {
            problems.push(format!(
                "{at}: `nodeId` must be a non-empty string of at most {MAX_ID_CHARS} characters"
            ));
        } else if !seen.insert(id) {
            problems.push(format!("{at}: the `nodeId` `{id}` is used twice"));
        }
        let title = node
            .get("title")
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or_default();
        if title.is_empty() {
            problems.push(format!("{at}: `title` must be a non-empty string"));
        }
        let depends_on = strings(node, "dependsOn", &at, &mut problems);
        for dep in &depends_on {
            if *dep == id {
                problems.push(format!("{at}: depends on itself"));
            } else if !ids.contains(dep) {
                problems.push(format!(
                    "{at}: depends on `{dep}`, which is not a node of this plan"
                ));
            }
        }
        edges.insert(id, depends_on.clone());
        let tags = strings(node, "tags", &at, &mut problems);
        let branch = match node.get("suggestedBranch") {
            None | Some(Value::Null) => None,
            Some(Value::String(branch)) => Some(branch.trim()),
            Some(_) => {
                problems.push(format!("{at}: `suggestedBranch` must be a string"));
                None
            }
        };
        let steps = steps(node, &at, &tools, &mut problems);
        let mut out = json!({"nodeId": id, "title": title, "dependsOn": depends_on, "tags": tags, "steps": steps});
        if let Some(branch) = branch.filter(|b| !b.is_empty()) {
            out["suggestedBranch"] = json!(branch);
        }
        normal.push(out);
    }
    if let Some(node) = cycle(&edges) {
        problems.push(format!(
            "node `{node}` is on a dependency cycle; `dependsOn` must form a DAG"
        ));
    }
    if problems.is_empty() {
        return Ok(json!({ "nodes": normal }));
    }
    let more = problems.len().saturating_sub(MAX_PROBLEMS);
    problems.truncate(MAX_PROBLEMS);
    let mut text = problems.join("; ");
    if more > 0 {
        text.push_str(&format!("; and {more} more"));
    }
    Err(text)
}

/// The node's `field` as strings (absent is empty); anything else is a problem.
fn strings<'a>(node: &'a Value, field: &str, at: &str, problems: &mut Vec<String>) -> Vec<&'a str> {
    match node.get(field) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).collect()
        }
        Some(_) => {
            problems.push(format!("{at}: `{field}` must be an array of strings"));
            Vec::new()
        }
    }
}

/// The node's steps as `{tool, args, description?}`, with each problem noted.
fn steps(
    node: &Value,
    at: &str,
    tools: &BTreeMap<&str, &ToolSpec>,
    problems: &mut Vec<String>,
) -> Vec<Value> {
    let Some(steps) = node.get("steps").and_then(Value::as_array) else {
        problems.push(format!("{at}: `steps` must be an array"));
        return Vec::new();
    };
    if steps.is_empty() || steps.len() > MAX_STEPS {
        problems.push(format!(
            "{at}: a node has 1 to {MAX_STEPS} steps, not {}",
            steps.len()
        ));
    }
    let mut out = Vec::new();
    for (j, step) in steps.iter().enumerate() {
        let at = format!("{at} step {}", j + 1);
        let Some(name) = step.get("tool").and_then(Value::as_str) else {
            problems.push(format!("{at}: `tool` must name one of the listed tools"));
            continue;
        };
        let Some(tool) = tools.get(name) else {
            problems.push(format!(
                "{at}: there is no tool `{name}`; use only the listed tools"
            ));
            continue;
        };
        let args = match step.get("args") {
            None | Some(Value::Null) => json!({}),
            Some(args) => args.clone(),
        };
        for problem in args_problems(&tool.input_schema, &args) {
            problems.push(format!("{at} (`{name}`): {problem}"));
        }
        let mut normal = json!({"tool": name, "args": args});
        if let Some(description) = step.get("description").and_then(Value::as_str) {
            normal["description"] = json!(description);
        }
        out.push(normal);
    }
    out
}

/// What is wrong with `args` for a tool whose input schema is `schema` (JSON text).
fn args_problems(schema: &str, args: &Value) -> Vec<String> {
    let Some(args) = args.as_object() else {
        return vec!["`args` must be a JSON object".to_owned()];
    };
    // A schema this check cannot read is left to the host's full check.
    let Ok(Value::Object(schema)) = serde_json::from_str::<Value>(schema) else {
        return Vec::new();
    };
    let empty = Map::new();
    let properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut problems = Vec::new();
    for name in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(name) = name.as_str().filter(|name| !args.contains_key(*name)) {
            problems.push(format!("the required argument `{name}` is missing"));
        }
    }
    let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
    for (name, value) in args {
        match properties.get(name) {
            None if closed => problems.push(format!(
                "there is no argument `{name}` (allowed: {})",
                properties
                    .keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            None => {}
            Some(property) => problems.extend(value_problem(name, property, value)),
        }
    }
    problems
}

/// Whether `value` has the property's declared `type` (one or a list) and is one of its `enum`.
fn value_problem(name: &str, property: &Value, value: &Value) -> Option<String> {
    let fits = |kind: &str| match kind {
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "null" => value.is_null(),
        _ => true,
    };
    let kinds: Vec<&str> = match property.get("type") {
        Some(Value::String(kind)) => vec![kind.as_str()],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !kinds.is_empty() && !kinds.iter().any(|kind| fits(kind)) {
        return Some(format!(
            "the argument `{name}` must be of type {}",
            kinds.join(" or ")
        ));
    }
    let choices = property.get("enum").and_then(Value::as_array)?;
    (!choices.contains(value)).then(|| {
        format!(
            "the argument `{name}` must be one of {}",
            Value::Array(choices.clone())
        )
    })
}

/// A node on a dependency cycle, if there is one (only edges between existing nodes count).
fn cycle<'a>(edges: &BTreeMap<&'a str, Vec<&'a str>>) -> Option<&'a str> {
    #[derive(PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit<'a>(
        node: &'a str,
        edges: &BTreeMap<&'a str, Vec<&'a str>>,
        marks: &mut BTreeMap<&'a str, Mark>,
    ) -> Option<&'a str> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Visiting) => return Some(node),
            None => {}
        }
        marks.insert(node, Mark::Visiting);
        for dep in edges.get(node).into_iter().flatten() {
            if *dep != node
                && edges.contains_key(dep)
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
    use crate::tests::tools;

    fn node(id: &str, deps: &[&str], tool: &str, args: Value) -> Value {
        json!({"nodeId": id, "title": format!("Do {id}"), "dependsOn": deps, "steps": [{"tool": tool, "args": args}]})
    }

    fn search(id: &str, deps: &[&str]) -> Value {
        node(id, deps, "workspace.search", json!({"pattern": "x"}))
    }

    #[test]
    fn a_good_plan_is_normalised() {
        let mut first = search("a", &[]);
        first["chatter"] = json!("dropped");
        first["suggestedBranch"] = json!(" feature/x ");
        let out = plan(&json!({"nodes": [first, search("b", &["a"])]}), &tools()).unwrap();
        assert_eq!(
            out["nodes"][0],
            json!({"nodeId": "a", "title": "Do a", "dependsOn": [], "tags": [], "suggestedBranch": "feature/x",
                   "steps": [{"tool": "workspace.search", "args": {"pattern": "x"}}]})
        );
        assert_eq!(out["nodes"][1]["dependsOn"], json!(["a"]));
    }

    #[test]
    fn structural_problems_are_each_named() {
        let nodes =
            json!({"nodes": [search("a", &["ghost"]), search("a", &[]), search("c", &["c"])]});
        let err = plan(&nodes, &tools()).unwrap_err();
        assert!(
            err.contains("depends on `ghost`, which is not a node"),
            "{err}"
        );
        assert!(err.contains("`a` is used twice"), "{err}");
        assert!(err.contains("node `c`: depends on itself"), "{err}");
        assert!(
            plan(&json!({"nodes": []}), &tools())
                .unwrap_err()
                .contains("1 to 64 nodes")
        );
        assert!(
            plan(&json!({"plan": []}), &tools())
                .unwrap_err()
                .contains("no `nodes` array")
        );
    }

    #[test]
    fn a_cycle_is_refused() {
        let nodes = json!({"nodes": [search("a", &["b"]), search("b", &["a"])]});
        assert!(
            plan(&nodes, &tools())
                .unwrap_err()
                .contains("dependency cycle")
        );
    }

    #[test]
    fn steps_must_use_given_tools_with_fitting_args() {
        let nodes = json!({"nodes": [
            node("a", &[], "shell.exec", json!({})),
            node("b", &[], "workspace.write_file", json!({"path": 7, "mode": "x"})),
            node("c", &[], "workspace.search", json!("pattern")),
            {"nodeId": "d", "title": "Nothing", "steps": []},
        ]});
        let err = plan(&nodes, &tools()).unwrap_err();
        for expected in [
            "no tool `shell.exec`",
            "`content` is missing",
            "`path` must be of type string",
            "no argument `mode` (allowed: content, path)",
            "`args` must be a JSON object",
            "node `d`: a node has 1 to 32 steps, not 0",
        ] {
            assert!(err.contains(expected), "{expected}: {err}");
        }
    }

    #[test]
    fn many_problems_are_capped() {
        let nodes: Vec<Value> = (0..20)
            .map(|i| node(&format!("n{i}"), &[], "nope", json!({})))
            .collect();
        let err = plan(&json!({ "nodes": nodes }), &tools()).unwrap_err();
        assert!(err.ends_with("; and 12 more"), "{err}");
    }
}
