//! The `relay` plugin: `relay.call {tool, args}` calls another tool through the host and returns its result
//! unchanged (errors too). The callee runs in its own sandbox with its own grants, in the caller's mode,
//! one call-tool level deeper.

use drydock_plugin_sdk::{
    ToolError, ToolPlugin, ToolSpec, call_tool, object_schema, parse_args, tool_spec,
};
use serde::Deserialize;
use serde_json::{Value, json};

const CALL_TOOL: &str = "relay.call";

struct Relay;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallArgs {
    tool: String,
    args: Value,
}

impl ToolPlugin for Relay {
    fn tools() -> Vec<ToolSpec> {
        let schema = object_schema(
            json!({
                "tool": {"type": "string", "description": "The tool to call, e.g. `http.request`."},
                "args": {"type": "object", "description": "The callee's arguments."},
            }),
            &["tool", "args"],
        );
        vec![tool_spec(
            CALL_TOOL,
            "Calls another tool through the host and returns its result.",
            &schema,
        )]
    }

    fn invoke(tool: &str, args: Value) -> Result<Value, ToolError> {
        if tool != CALL_TOOL {
            return Err(ToolError::InvalidInput(format!("unknown tool `{tool}`")));
        }
        let call: CallArgs = parse_args(args)?;
        call_tool(&call.tool, &call.args)
    }
}

drydock_plugin_sdk::export_tool!(Relay);
