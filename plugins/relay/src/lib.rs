//! The `relay` plugin: `relay.call {tool, args}` calls another tool through the host and returns its result
//! unchanged (errors too). The callee runs in its own sandbox with its own grants, in the caller's mode,
//! one call-tool level deeper. `relay.complete {messages}` asks the host's language model (the `llm`
//! capability) and returns its answer, or the host's refusal as `denied`.

use drydock_plugin_sdk::{
    ToolError, ToolPlugin, ToolSpec, call_tool, host, object_schema, parse_args, tool_spec,
};
use serde::Deserialize;
use serde_json::{Value, json};

const CALL_TOOL: &str = "relay.call";
const COMPLETE: &str = "relay.complete";

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
        let complete_schema = object_schema(
            json!({
                "messages": {
                    "type": "array",
                    "items": {"type": "object"},
                    "description": "Chat messages `{role, content}` for the host's language model.",
                },
            }),
            &["messages"],
        );
        vec![
            tool_spec(
                CALL_TOOL,
                "Calls another tool through the host and returns its result.",
                &schema,
            ),
            tool_spec(
                COMPLETE,
                "Asks the host's language model (needs the llm grant) and returns its answer.",
                &complete_schema,
            ),
        ]
    }

    fn invoke(tool: &str, args: Value) -> Result<Value, ToolError> {
        match tool {
            CALL_TOOL => {
                let call: CallArgs = parse_args(args)?;
                call_tool(&call.tool, &call.args)
            }
            COMPLETE => {
                let answer = host::llm_complete(&args.to_string()).map_err(ToolError::Denied)?;
                serde_json::from_str(&answer).map_err(|err| {
                    ToolError::Failed(format!("the host's answer is not JSON: {err}"))
                })
            }
            _ => Err(ToolError::InvalidInput(format!("unknown tool `{tool}`"))),
        }
    }
}

drydock_plugin_sdk::export_tool!(Relay);
