//! Hostile plugin `hostile_call_tool_recursion`: its tool calls itself through the host's `call-tool`
//! without end; the host's depth limit must refuse a call at some level.
//!
//! `hostile_call_tool_recursion.run {}`: the innermost invocation, whose call is refused with `denied`,
//! answers `{"blocked": true, "error": "<the host's text>", "levels": 0}`; every invocation above passes its
//! callee's result up, adding one to `levels`, so the outermost result says how many nested invocations ran.
//! Any other error from `call-tool` is passed up as that error.

use drydock_plugin_sdk::{ToolError, ToolPlugin, ToolSpec, call_tool, object_schema, tool_spec};
use serde_json::{Value, json};

const TOOL: &str = "hostile_call_tool_recursion.run";

struct HostileCallToolRecursion;

impl ToolPlugin for HostileCallToolRecursion {
    fn tools() -> Vec<ToolSpec> {
        let description = "Calls itself through the host until the host refuses.";
        vec![tool_spec(TOOL, description, &object_schema(json!({}), &[]))]
    }

    fn invoke(_tool: &str, _args: Value) -> Result<Value, ToolError> {
        match call_tool(TOOL, &json!({})) {
            Ok(mut nested) => {
                let levels = nested["levels"].as_u64().unwrap_or(0) + 1;
                if let Some(fields) = nested.as_object_mut() {
                    fields.insert("levels".to_owned(), json!(levels));
                }
                Ok(nested)
            }
            Err(ToolError::Denied(error)) => {
                Ok(json!({"blocked": true, "error": error, "levels": 0}))
            }
            Err(error) => Err(error),
        }
    }
}

drydock_plugin_sdk::export_tool!(HostileCallToolRecursion);
