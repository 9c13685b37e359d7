//! What the model is told: the plan's shape and rules with the tools it may use (the system message), the
//! work item or request (the user message), and, on a retry, what was wrong with its last answer.
//!
//! Everything taken from the request or the tools is cut to a bound, so a huge description or schema cannot
//! make a prompt the provider refuses.

use drydock_plugin_sdk::ToolSpec;
use serde_json::Value;

/// A schema is shown up to this many characters.
const SCHEMA_CHARS: usize = 1_500;
/// A description (of the request or a tool) is shown up to this many characters.
const TEXT_CHARS: usize = 4_000;
/// At most this many requirements are accepted.
const MAX_REQUIREMENTS: usize = 50;

/// What to plan for, read from the planner's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Brief {
    /// A work item `{id, title, description?, type?, labels?}`.
    WorkItem {
        id: String,
        title: String,
        description: String,
        kind: Option<String>,
        labels: Vec<String>,
    },
    /// A chat request `{request, requirements?}`.
    Request {
        text: String,
        requirements: Vec<String>,
    },
}

impl Brief {
    /// Reads the request the host passed to `generate`.
    pub fn from_request(request: &Value) -> Result<Self, String> {
        if !request.is_object() {
            return Err(
                "the request must be a JSON object: a work item {id, title, description?, type?, \
                        labels?} or a request {request, requirements?}"
                    .to_owned(),
            );
        }
        if request.get("request").is_some() {
            let text = text(request, "request")?.unwrap_or_default();
            if text.is_empty() {
                return Err("request: must be a non-empty string saying what to do".to_owned());
            }
            let requirements = strings(request, "requirements")?;
            if requirements.len() > MAX_REQUIREMENTS {
                return Err(format!(
                    "requirements: at most {MAX_REQUIREMENTS}, this request has {}",
                    requirements.len()
                ));
            }
            return Ok(Self::Request { text, requirements });
        }
        let required = |field: &str| {
            text(request, field)?
                .filter(|value| !value.is_empty())
                .ok_or_else(|| format!("{field}: a work item needs a non-empty string `{field}`"))
        };
        Ok(Self::WorkItem {
            id: required("id")?,
            title: required("title")?,
            description: text(request, "description")?.unwrap_or_default(),
            kind: text(request, "type")?.filter(|kind| !kind.is_empty()),
            labels: strings(request, "labels")?,
        })
    }

    /// The user message: the item or request in plain words.
    pub fn describe(&self) -> String {
        match self {
            Self::WorkItem {
                id,
                title,
                description,
                kind,
                labels,
            } => {
                let mut text = format!("Plan the work for work item {id}: {title}\n");
                if let Some(kind) = kind {
                    text.push_str(&format!("Type: {kind}\n"));
                }
                if !labels.is_empty() {
                    text.push_str(&format!("Labels: {}\n", labels.join(", ")));
                }
                if !description.is_empty() {
                    text.push_str(&format!(
                        "\nDescription:\n{}\n",
                        cut(description, TEXT_CHARS)
                    ));
                }
                text
            }
            Self::Request { text, requirements } => {
                let mut out = format!(
                    "Plan the work for this request:\n{}\n",
                    cut(text, TEXT_CHARS)
                );
                if !requirements.is_empty() {
                    out.push_str("\nRequirements (the plan must cover every one):\n");
                    for (i, requirement) in requirements.iter().enumerate() {
                        out.push_str(&format!("{}. {}\n", i + 1, cut(requirement, TEXT_CHARS)));
                    }
                }
                out
            }
        }
    }
}

/// The system message: the role, the JSON shape, the rules, and every tool with its schema.
pub fn system(tools: &[ToolSpec]) -> String {
    let mut text = String::from(
        "You are the planner of Drydock, a sandbox that runs tools on behalf of AI agents. Turn the user's \
         work item or request into a plan: a small directed acyclic graph of nodes, each a unit of work a \
         person can review, whose steps call only the tools listed below.\n\n\
         Answer with one JSON object and nothing else, in exactly this shape:\n\
         {\"nodes\": [{\"nodeId\": \"analyze\", \"title\": \"Read the code that uploads files\", \
         \"dependsOn\": [], \"suggestedBranch\": \"feature/upload-retry\", \"tags\": [\"analysis\"], \
         \"steps\": [{\"tool\": \"<a tool name from the list>\", \"args\": {}, \
         \"description\": \"what this step does\"}]}]}\n\n\
         Rules:\n\
         - 1 to 12 nodes; `nodeId` is short, unique, lowercase letters, digits, `-` or `_`.\n\
         - `dependsOn` lists the nodeIds that must finish first; no cycles.\n\
         - Every node has 1 to 8 steps. A step's `tool` is exactly one of the tool names below and its \
         `args` is an object that fits that tool's input schema (required properties present, no others).\n\
         - Read and analyse before writing; put writes in later nodes.\n\
         - `suggestedBranch` is one git branch name for the whole plan, the same on every node.\n\
         - If the request cannot be done with these tools, plan what can be done and say what is missing \
         in a node's title; never invent a tool.\n\nTools:\n",
    );
    for tool in tools {
        text.push_str(&format!(
            "- `{}`: {}\n  input schema: {}\n",
            tool.name,
            cut(tool.description.trim(), TEXT_CHARS),
            cut(&compact(&tool.input_schema), SCHEMA_CHARS)
        ));
    }
    text
}

/// The user message of a retry: what was wrong, and what to send instead.
pub fn retry(problem: &str) -> String {
    format!(
        "That answer cannot be used: {problem}.\nAnswer again with the corrected plan: one JSON object in \
         the shape above, steps using only the listed tools, and nothing else."
    )
}

/// A schema on one line (as the tool gave it if it is not JSON).
fn compact(schema: &str) -> String {
    serde_json::from_str::<Value>(schema)
        .map(|value| value.to_string())
        .unwrap_or_else(|_| schema.to_owned())
}

/// `text` cut to `max` characters, marked with `…` when cut.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

fn text(request: &Value, field: &str) -> Result<Option<String>, String> {
    match request.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.trim().to_owned())),
        Some(_) => Err(format!("{field}: must be a string")),
    }
}

fn strings(request: &Value, field: &str) -> Result<Vec<String>, String> {
    match request.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item.as_str().map(str::trim) {
                Some(text) if !text.is_empty() => Ok(text.to_owned()),
                _ => Err(format!("{field}: must be an array of non-empty strings")),
            })
            .collect(),
        Some(_) => Err(format!("{field}: must be an array of non-empty strings")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_work_item_is_described_with_its_fields() {
        let brief = Brief::from_request(&json!({
            "id": "ABC-7", "title": " Retry uploads ", "description": "Flaky network.", "type": "bug",
            "labels": ["backend"]
        }))
        .unwrap();
        let text = brief.describe();
        assert!(
            text.starts_with("Plan the work for work item ABC-7: Retry uploads\n"),
            "{text}"
        );
        assert!(
            text.contains("Type: bug") && text.contains("Labels: backend"),
            "{text}"
        );
        assert!(text.contains("Flaky network."), "{text}");
    }

    #[test]
    fn a_request_lists_its_requirements_in_order() {
        let brief = Brief::from_request(
            &json!({"request": "Add a health check", "requirements": ["JSON body", "under 10ms"]}),
        )
        .unwrap();
        let text = brief.describe();
        assert!(text.contains("1. JSON body\n2. under 10ms"), "{text}");
    }

    #[test]
    fn bad_requests_name_the_field() {
        for (request, field) in [
            (json!("text"), "JSON object"),
            (json!({"request": ""}), "request"),
            (json!({"request": "x", "requirements": "y"}), "requirements"),
            (
                json!({"request": "x", "requirements": [""]}),
                "requirements",
            ),
            (json!({"id": "A-1"}), "title"),
            (json!({"id": "A-1", "title": "t", "labels": [1]}), "labels"),
        ] {
            let err = Brief::from_request(&request).unwrap_err();
            assert!(err.contains(field), "{request}: {err}");
        }
    }

    #[test]
    fn the_system_prompt_lists_every_tool_with_a_bounded_schema() {
        let huge = json!({"type": "object", "description": "x".repeat(10_000)}).to_string();
        let tools = vec![
            drydock_plugin_sdk::tool_spec("a.one", "First.", &json!({"type": "object"})),
            ToolSpec {
                name: "b.two".into(),
                description: "Second.".into(),
                input_schema: huge,
            },
        ];
        let text = system(&tools);
        assert!(
            text.contains("- `a.one`: First.\n  input schema: {\"type\":\"object\"}"),
            "{text}"
        );
        assert!(text.contains("- `b.two`: Second."), "{text}");
        assert!(text.len() < 6_000, "{}", text.len());
    }
}
