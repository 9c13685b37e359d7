//! The `echo` plugin: one tool, `echo.echo`, that returns its `text` unchanged. It has no effects, so it
//! measures the host's per-call cost alone.

use drydock_plugin_sdk::{ToolError, ToolPlugin, ToolSpec, object_schema, tool_spec};
use serde_json::{Value, json};

struct Echo;

impl ToolPlugin for Echo {
    fn tools() -> Vec<ToolSpec> {
        let schema = object_schema(json!({"text": {"type": "string"}}), &["text"]);
        vec![tool_spec(
            "echo.echo",
            "Returns the given text unchanged.",
            &schema,
        )]
    }

    fn invoke(tool: &str, args: Value) -> Result<Value, ToolError> {
        match (tool, args.get("text")) {
            ("echo.echo", Some(Value::String(text))) => Ok(json!({ "text": text })),
            ("echo.echo", _) => Err(ToolError::InvalidInput(
                "`text` must be a string".to_owned(),
            )),
            _ => Err(ToolError::InvalidInput(format!("unknown tool `{tool}`"))),
        }
    }
}

drydock_plugin_sdk::export_tool!(Echo);
