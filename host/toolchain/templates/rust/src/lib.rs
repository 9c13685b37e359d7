//! The `{{name}}` plugin: `read` reads a note from the directory the operator granted (it appears at
//! `/workspace`), `post` sends a note to a URL as JSON. Nothing is granted by default: `drydock.toml` is the
//! policy you develop with, and in a dry run the host answers the POST itself and sends nothing.

use drydock_plugin_sdk::http::Request;
use drydock_plugin_sdk::{ToolError, ToolPlugin, ToolSpec, object_schema, tool_spec};
use serde_json::{Value, json};

struct Plugin;

impl ToolPlugin for Plugin {
    fn tools() -> Vec<ToolSpec> {
        let path = json!({"type": "string", "description": "A note's path inside the workspace."});
        let url = json!({"type": "string", "description": "Where to post the note."});
        vec![
            tool_spec(
                "{{name}}.read",
                "Reads a note (a UTF-8 file) from the workspace.",
                &object_schema(json!({"path": path}), &["path"]),
            ),
            tool_spec(
                "{{name}}.post",
                "Posts a note from the workspace to a URL as JSON; in a dry run the host answers instead.",
                &object_schema(json!({"path": path, "url": url}), &["path", "url"]),
            ),
        ]
    }

    fn invoke(tool: &str, args: Value) -> Result<Value, ToolError> {
        let path = args["path"].as_str().unwrap_or_default();
        match tool {
            "{{name}}.read" => Ok(json!({"path": path, "content": read_note(path)?})),
            "{{name}}.post" => {
                let note = json!({"path": path, "content": read_note(path)?});
                let url = args["url"].as_str().unwrap_or_default();
                // An ungranted URL comes back as `Denied` before anything leaves the machine.
                let response = Request::post(url).json(&note).send()?;
                Ok(json!({"status": response.status, "simulated": response.is_simulated()}))
            }
            other => Err(ToolError::InvalidInput(format!("no tool `{other}` here"))),
        }
    }
}

/// A note under /workspace; `..` and absolute paths are refused here (the host would refuse them too).
fn read_note(relative: &str) -> Result<String, ToolError> {
    let parts: Vec<&str> = relative.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    if relative.starts_with('/') || parts.is_empty() || parts.contains(&"..") {
        return Err(ToolError::InvalidInput(format!(
            "`path` must be a relative path inside the workspace, not {relative:?}"
        )));
    }
    std::fs::read_to_string(format!("/workspace/{}", parts.join("/")))
        .map_err(|err| ToolError::Failed(format!("cannot read the note `{relative}`: {err}")))
}

drydock_plugin_sdk::export_tool!(Plugin);
