//! The `jira` plugin: three tools over Jira's REST API v2 (`get_issue`, `add_comment`,
//! `transition_issue`). The base URL comes from the granted env var `JIRA_BASE_URL`, the token from the
//! granted secret `JIRA_TOKEN`; every request goes through `wasi:http`, so the host's URL grants and
//! dry-run apply. A write the host simulated is reported as `{"simulated": true, "journal": ..}`.

use drydock_plugin_sdk::http::{Request, Response};
use drydock_plugin_sdk::{
    ToolError, ToolPlugin, ToolSpec, host, object_schema, parse_args, tool_spec,
};
use serde::Deserialize;
use serde_json::{Value, json};

/// Jira answers are read up to this size; an issue is far smaller.
const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;
/// The env var holding Jira's base URL, e.g. `https://jira.example.com`.
const BASE_URL_VAR: &str = "JIRA_BASE_URL";
/// The secret holding the API token.
const TOKEN_SECRET: &str = "JIRA_TOKEN";
/// The shape of an issue key, as a schema pattern; [`is_issue_key`] checks the same.
const KEY_PATTERN: &str = "^[A-Z][A-Z0-9]+-[0-9]+$";

struct Jira;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueArgs {
    key: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentArgs {
    key: String,
    body: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TransitionArgs {
    key: String,
    transition_id: String,
}

impl ToolPlugin for Jira {
    fn tools() -> Vec<ToolSpec> {
        let key = json!({"type": "string", "pattern": KEY_PATTERN, "description": "Issue key, e.g. ABC-123."});
        vec![
            tool_spec(
                "jira.get_issue",
                "Reads a Jira issue: its key, summary, status name and description.",
                &object_schema(json!({"key": key}), &["key"]),
            ),
            tool_spec(
                "jira.add_comment",
                "Adds a comment to a Jira issue.",
                &object_schema(
                    json!({"key": key, "body": {"type": "string", "minLength": 1}}),
                    &["key", "body"],
                ),
            ),
            tool_spec(
                "jira.transition_issue",
                "Moves a Jira issue through a workflow transition, given the transition's id.",
                &object_schema(
                    json!({"key": key, "transitionId": {"type": "string", "pattern": "^[0-9]+$"}}),
                    &["key", "transitionId"],
                ),
            ),
        ]
    }

    fn invoke(tool: &str, args: Value) -> Result<Value, ToolError> {
        match tool {
            "jira.get_issue" => get_issue(parse_args(args)?),
            "jira.add_comment" => add_comment(parse_args(args)?),
            "jira.transition_issue" => transition_issue(parse_args(args)?),
            _ => Err(ToolError::InvalidInput(format!("unknown tool `{tool}`"))),
        }
    }
}

fn get_issue(args: IssueArgs) -> Result<Value, ToolError> {
    let url = issue_url(&args.key, "")?;
    let issue = json_body(&url, &send(Request::get(&url))?)?;
    let fields = &issue["fields"];
    Ok(json!({
        "key": issue.get("key").cloned().unwrap_or_else(|| json!(args.key)),
        "summary": fields["summary"],
        "status": fields["status"]["name"],
        "description": fields["description"],
    }))
}

fn add_comment(args: CommentArgs) -> Result<Value, ToolError> {
    let url = issue_url(&args.key, "/comment")?;
    let response = send(Request::post(&url).json(&json!({ "body": args.body })))?;
    written(&url, &response, || json_body(&url, &response))
}

fn transition_issue(args: TransitionArgs) -> Result<Value, ToolError> {
    let url = issue_url(&args.key, "/transitions")?;
    let request = Request::post(&url).json(&json!({"transition": {"id": args.transition_id}}));
    let response = send(request)?;
    written(&url, &response, || {
        Ok(json!({"key": args.key, "transitionId": args.transition_id, "transitioned": true}))
    })
}

/// The result of a write: the host's journal entry when it simulated the write (dry-run), else `live`.
fn written(
    url: &str,
    response: &Response,
    live: impl FnOnce() -> Result<Value, ToolError>,
) -> Result<Value, ToolError> {
    if response.is_simulated() {
        Ok(json!({"simulated": true, "journal": json_body(url, response)?}))
    } else {
        live()
    }
}

/// `{base}/rest/api/2/issue/{key}{rest}`, after checking the key.
fn issue_url(key: &str, rest: &str) -> Result<String, ToolError> {
    if !is_issue_key(key) {
        return Err(ToolError::InvalidInput(format!(
            "key: `{key}` is not an issue key like ABC-123"
        )));
    }
    let base = std::env::var(BASE_URL_VAR).map_err(|_| {
        ToolError::Denied(format!(
            "the env var {BASE_URL_VAR} is not granted to this plugin (or is empty)"
        ))
    })?;
    Ok(format!(
        "{}/rest/api/2/issue/{key}{rest}",
        base.trim_end_matches('/')
    ))
}

/// Whether `key` matches `^[A-Z][A-Z0-9]+-[0-9]+$`.
fn is_issue_key(key: &str) -> bool {
    let Some((project, number)) = key.split_once('-') else {
        return false;
    };
    let mut project_chars = project.chars();
    project_chars
        .next()
        .is_some_and(|first| first.is_ascii_uppercase())
        && project.len() >= 2
        && project_chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit())
}

/// Sends an authenticated request; a non-2xx answer becomes `failed` with Jira's own messages.
fn send(request: Request) -> Result<Response, ToolError> {
    let token = host::secret(TOKEN_SECRET).map_err(|error| {
        ToolError::Denied(format!(
            "the secret {TOKEN_SECRET} is not available: {error}"
        ))
    })?;
    let response = request
        .header("authorization", &format!("Bearer {token}"))
        .header("accept", "application/json")
        .max_body(MAX_RESPONSE_BYTES)
        .send()?;
    if response.is_success() {
        Ok(response)
    } else {
        Err(ToolError::Failed(jira_error(&response)))
    }
}

/// Describes a Jira error answer: `{"errorMessages": [..], "errors": {field: message}}`, or the raw text.
fn jira_error(response: &Response) -> String {
    let mut messages = Vec::new();
    if let Ok(body) = response.json() {
        if let Some(list) = body["errorMessages"].as_array() {
            messages.extend(list.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        if let Some(fields) = body["errors"].as_object() {
            messages.extend(
                fields
                    .iter()
                    .map(|(field, message)| match message.as_str() {
                        Some(text) => format!("{field}: {text}"),
                        None => format!("{field}: {message}"),
                    }),
            );
        }
    }
    if messages.is_empty() {
        let text = response.text();
        let text = text.trim();
        if !text.is_empty() {
            messages.push(text.chars().take(500).collect());
        }
    }
    format!("Jira answered {}: {}", response.status, messages.join("; "))
}

fn json_body(url: &str, response: &Response) -> Result<Value, ToolError> {
    response
        .json()
        .map_err(|error| ToolError::Failed(format!("{url}: the answer is not JSON: {error}")))
}

drydock_plugin_sdk::export_tool!(Jira);

#[cfg(test)]
mod tests {
    use super::is_issue_key;

    #[test]
    fn issue_keys_follow_jira_shape() {
        for key in ["ABC-123", "A1-1", "PROJ2-42"] {
            assert!(is_issue_key(key), "{key}");
        }
        for key in [
            "abc-1", "A-1", "ABC-", "ABC", "ABC-1a", "1BC-1", "AB_C-1", "ABC-1-2", "",
        ] {
            assert!(!is_issue_key(key), "{key}");
        }
    }
}
