//! The `http` plugin: `http.request` sends one HTTP request through `wasi:http` and returns the status,
//! headers and (at most 64 KiB of) the body as text. The host's URL grants decide what may go out; a refusal
//! comes back as `denied` naming the URL.

use std::collections::BTreeMap;

use drydock_plugin_sdk::http::Request;
use drydock_plugin_sdk::{ToolError, ToolPlugin, ToolSpec, object_schema, parse_args, tool_spec};
use serde::Deserialize;
use serde_json::{Value, json};

/// Response bodies are cut after this many bytes, and `truncated` is set.
const MAX_BODY: usize = 64 * 1024;

const REQUEST_TOOL: &str = "http.request";

struct Http;

/// Arguments of `http.request`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestArgs {
    url: String,
    #[serde(default = "default_method")]
    method: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<String>,
}

fn default_method() -> String {
    "GET".to_owned()
}

impl ToolPlugin for Http {
    fn tools() -> Vec<ToolSpec> {
        let schema = object_schema(
            json!({
                "url": {"type": "string", "description": "Absolute http:// or https:// URL."},
                "method": {"type": "string", "enum": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"], "default": "GET"},
                "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                "body": {"type": "string"},
            }),
            &["url"],
        );
        vec![tool_spec(
            REQUEST_TOOL,
            "Sends one HTTP request and returns its status, headers and body (text, at most 64 KiB).",
            &schema,
        )]
    }

    fn invoke(tool: &str, args: Value) -> Result<Value, ToolError> {
        if tool != REQUEST_TOOL {
            return Err(ToolError::InvalidInput(format!("unknown tool `{tool}`")));
        }
        request(parse_args(args)?)
    }
}

fn request(args: RequestArgs) -> Result<Value, ToolError> {
    let mut request = Request::new(&args.method, &args.url).max_body(MAX_BODY);
    for (name, value) in &args.headers {
        request = request.header(name, value);
    }
    if let Some(body) = args.body {
        request = request.body(body);
    }
    let response = request.send()?;
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &response.headers {
        headers
            .entry(name.clone())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(value);
            })
            .or_insert_with(|| value.clone());
    }
    Ok(json!({
        "status": response.status,
        "headers": headers,
        "body": response.text(),
        "truncated": response.truncated,
    }))
}

drydock_plugin_sdk::export_tool!(Http);
