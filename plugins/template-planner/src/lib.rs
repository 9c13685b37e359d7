//! The `template_planner` plugin: turns a work item (or a free-text request with stated requirements) into
//! the same shape of plan every time: `analyze` → one node per requirement → `implement` → `report`, with
//! steps that use only the tools it is given.
//!
//! # Layout
//! - this file: the export and reading the request into a [`WorkItem`].
//! - `plan`: the nodes and their steps, and the check that a step's arguments fit its tool's schema.
//! - `names`: branch names, slugs, safe file names and search keywords derived from the item.
//!
//! Determinism: nothing here reads a clock, randomness or the environment, and `serde_json` maps keep their
//! keys sorted, so the same request and tools give byte-identical plans.

mod names;
mod plan;

use drydock_plugin_sdk::{PlannerPlugin, ToolSpec};
use serde_json::Value;

/// The id given to a work item made from a free-text request.
const REQUEST_ID: &str = "REQ";
/// A request's title is its first line, cut to this many words.
const REQUEST_TITLE_WORDS: usize = 12;

/// The work item a plan is made for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct WorkItem {
    id: String,
    title: String,
    description: String,
    kind: Option<String>,
    labels: Vec<String>,
    /// Requirements stated after the request (chat), in order; each becomes a plan node.
    requirements: Vec<String>,
}

/// At most this many requirements are planned; more is refused rather than silently cut.
const MAX_REQUIREMENTS: usize = 50;

struct TemplatePlanner;

impl PlannerPlugin for TemplatePlanner {
    fn generate(request: Value, tools: &[ToolSpec]) -> Result<Value, String> {
        let item = WorkItem::from_request(&request)?;
        plan::plan(&item, tools)
    }
}

impl WorkItem {
    /// Reads `{id, title, description?, type?, labels?}` or `{request, requirements?}`.
    fn from_request(request: &Value) -> Result<Self, String> {
        let Some(fields) = request.as_object() else {
            return Err("the request must be a JSON object: a work item {id, title, description, type?, labels?} \
                        or {request: string}"
                .to_owned());
        };
        if let Some(text) = fields.get("request") {
            let mut item = Self::from_text(text)?;
            item.requirements = requirements(request.get("requirements"))?;
            return Ok(item);
        }
        let id = required_text(request, "id")?;
        let title = required_text(request, "title")?;
        let description = optional_text(request, "description")?.unwrap_or_default();
        let kind = optional_text(request, "type")?
            .map(|kind| kind.trim().to_lowercase())
            .filter(|kind| !kind.is_empty());
        let labels = match request.get("labels") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(labels)) => labels
                .iter()
                .map(|label| label.as_str().map(|label| label.trim().to_owned()))
                .collect::<Option<Vec<_>>>()
                .ok_or("labels: must be an array of strings")?,
            Some(_) => return Err("labels: must be an array of strings".to_owned()),
        };
        Ok(Self {
            id,
            title,
            description,
            kind,
            labels,
            requirements: Vec::new(),
        })
    }

    /// A free-text request becomes the work item `REQ`, titled by its first line.
    fn from_text(text: &Value) -> Result<Self, String> {
        let text = text.as_str().map(str::trim).unwrap_or_default();
        if text.is_empty() {
            return Err("request: must be a non-empty string saying what to do".to_owned());
        }
        let first_line = text.lines().next().unwrap_or_default();
        let title = first_line
            .split_whitespace()
            .take(REQUEST_TITLE_WORDS)
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Self {
            id: REQUEST_ID.to_owned(),
            title,
            description: text.to_owned(),
            kind: None,
            labels: Vec::new(),
            requirements: Vec::new(),
        })
    }
}

/// `requirements`: absent, or an array of non-empty strings.
fn requirements(value: Option<&Value>) -> Result<Vec<String>, String> {
    let invalid = || "requirements: must be an array of non-empty strings".to_owned();
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) if items.len() <= MAX_REQUIREMENTS => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::trim)
                    .filter(|text| !text.is_empty())
                    .map(str::to_owned)
                    .ok_or_else(invalid)
            })
            .collect(),
        Some(Value::Array(_)) => Err(format!(
            "requirements: at most {MAX_REQUIREMENTS} requirements can be planned at once"
        )),
        Some(_) => Err(invalid()),
    }
}

fn required_text(request: &Value, field: &str) -> Result<String, String> {
    optional_text(request, field)?
        .filter(|text| !text.is_empty())
        .ok_or_else(|| format!("{field}: a work item needs a non-empty string `{field}`"))
}

fn optional_text(request: &Value, field: &str) -> Result<Option<String>, String> {
    match request.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.trim().to_owned())),
        Some(_) => Err(format!("{field}: must be a string")),
    }
}

drydock_plugin_sdk::export_planner!(TemplatePlanner);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_work_item() {
        let item = WorkItem::from_request(&json!({
            "id": "ABC-123", "title": " Fix login ", "description": "It fails.", "type": "Bug", "labels": ["auth"]
        }))
        .unwrap();
        assert_eq!(item.id, "ABC-123");
        assert_eq!(item.title, "Fix login");
        assert_eq!(item.kind.as_deref(), Some("bug"));
        assert_eq!(item.labels, ["auth"]);
    }

    #[test]
    fn a_request_becomes_work_item_req() {
        let item = WorkItem::from_request(&json!({"request": "Add a health check\nwith details"}))
            .unwrap();
        assert_eq!(item.id, "REQ");
        assert_eq!(item.title, "Add a health check");
        assert_eq!(item.description, "Add a health check\nwith details");
    }

    #[test]
    fn a_request_carries_its_requirements() {
        let item = WorkItem::from_request(
            &json!({"request": "Deploy the app", "requirements": [" in us-west-2 "]}),
        )
        .unwrap();
        assert_eq!(item.requirements, ["in us-west-2"]);
    }

    #[test]
    fn empty_or_invalid_requests_are_errors() {
        for request in [
            json!(null),
            json!("text"),
            json!({}),
            json!({"request": "  "}),
            json!({"id": "A-1"}),
            json!({"id": "", "title": "x"}),
            json!({"id": "A-1", "title": "x", "labels": "bug"}),
            json!({"id": 7, "title": "x"}),
            json!({"request": "x y", "requirements": "z"}),
            json!({"request": "x y", "requirements": [""]}),
            json!({"request": "x y", "requirements": [1]}),
        ] {
            assert!(WorkItem::from_request(&request).is_err(), "{request}");
        }
    }
}
