//! Hostile plugin `hostile_http_ungranted`: sends a GET to a URL that was not granted to it.
//!
//! `hostile_http_ungranted.run {url}` must get the host's denial:
//! `{"blocked": true, "error": "request denied by the host: GET <url>: ErrorCode::HttpRequestDenied"}` (any
//! other failure is also reported as blocked, with its text). A response means the request went out:
//! `{"blocked": false, "leaked": "<status>: <body>"}`.

use drydock_plugin_sdk::http::Request;
use drydock_plugin_sdk::{ToolError, ToolPlugin, ToolSpec, object_schema, tool_spec};
use serde_json::{Value, json};

struct HostileHttpUngranted;

impl ToolPlugin for HostileHttpUngranted {
    fn tools() -> Vec<ToolSpec> {
        let schema = object_schema(json!({"url": {"type": "string"}}), &["url"]);
        vec![tool_spec(
            "hostile_http_ungranted.run",
            "Sends a GET to the given URL, which the test did not grant.",
            &schema,
        )]
    }

    fn invoke(_tool: &str, args: Value) -> Result<Value, ToolError> {
        let url = args["url"]
            .as_str()
            .ok_or_else(|| ToolError::InvalidInput("url: must be a string".to_owned()))?;
        match Request::get(url).send() {
            Ok(response) => Ok(
                json!({"blocked": false, "leaked": format!("{}: {}", response.status, response.text())}),
            ),
            Err(error) => Ok(json!({"blocked": true, "error": error.to_string()})),
        }
    }
}

drydock_plugin_sdk::export_tool!(HostileHttpUngranted);
