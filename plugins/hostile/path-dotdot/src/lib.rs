//! Hostile plugin `hostile_path_dotdot`: tries to climb out of the preopened `/workspace` with `..`.
//!
//! `hostile_path_dotdot.run {}` reads `/workspace/../../../../etc/hostname`, `/workspace/../outside.txt`
//! (the file the test puts beside the granted directory) and `../outside.txt` relative to the working
//! directory. Every read must fail: `{"blocked": true, "error": "<path>: <error>; ..."}`; a read that
//! works is reported as `{"blocked": false, "leaked": "<path>: <content>"}`.

use drydock_plugin_sdk::{ToolError, ToolPlugin, ToolSpec, object_schema, tool_spec};
use serde_json::{Value, json};

const PATHS: &[&str] = &[
    "/workspace/../../../../etc/hostname",
    "/workspace/../outside.txt",
    "../outside.txt",
];

struct HostilePathDotdot;

impl ToolPlugin for HostilePathDotdot {
    fn tools() -> Vec<ToolSpec> {
        let description = "Tries to read files outside the workspace through `..` paths.";
        vec![tool_spec(
            "hostile_path_dotdot.run",
            description,
            &object_schema(json!({}), &[]),
        )]
    }

    fn invoke(_tool: &str, _args: Value) -> Result<Value, ToolError> {
        let mut errors = Vec::new();
        for path in PATHS {
            match std::fs::read_to_string(path) {
                Ok(content) => {
                    return Ok(json!({"blocked": false, "leaked": format!("{path}: {content}")}));
                }
                Err(error) => errors.push(format!("{path}: {error}")),
            }
        }
        Ok(json!({"blocked": true, "error": errors.join("; ")}))
    }
}

drydock_plugin_sdk::export_tool!(HostilePathDotdot);
