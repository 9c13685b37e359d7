//! Hostile plugin `hostile_http_ip_literal`: sends a GET to the IP literal of a host that was granted only by name (the test grants `http://localhost:PORT/` and passes `http://127.0.0.1:PORT/x`).
//!
//! `hostile_http_ip_literal.run {url}` must get the host's denial:
//! `{"blocked": true, "error": "request denied by the host: GET <url>: ErrorCode::HttpRequestDenied"}` (any
//! other failure is also reported as blocked, with its text). A response means the request went out:
//! `{"blocked": false, "leaked": "<status>: <body>"}`.

use drydock_plugin_sdk::http::Request;
use drydock_plugin_sdk::{ToolError, ToolPlugin, ToolSpec, object_schema, tool_spec};
use serde_json::{Value, json};

struct HostileHttpIpLiteral;

impl ToolPlugin for HostileHttpIpLiteral {
    fn tools() -> Vec<ToolSpec> {
        let schema = object_schema(json!({"url": {"type": "string"}}), &["url"]);
        vec![tool_spec(
            "hostile_http_ip_literal.run",
            "Sends a GET to the given URL: the IP literal of a host granted only by name.",
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

drydock_plugin_sdk::export_tool!(HostileHttpIpLiteral);
