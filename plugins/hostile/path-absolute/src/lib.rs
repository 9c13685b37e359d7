//! Hostile plugin `hostile_path_absolute`: tries absolute paths of the host, outside any preopen.
//!
//! `hostile_path_absolute.run {}` reads `/etc/passwd` and lists `/tmp`. Both must fail:
//! `{"blocked": true, "error": "/etc/passwd: <error>; /tmp: <error>"}`; one that works is reported as
//! `{"blocked": false, "leaked": "<path>: <content or entry names>"}`.

use drydock_plugin_sdk::{ToolError, ToolPlugin, ToolSpec, object_schema, tool_spec};
use serde_json::{Value, json};

struct HostilePathAbsolute;

impl ToolPlugin for HostilePathAbsolute {
    fn tools() -> Vec<ToolSpec> {
        let description = "Tries to read /etc/passwd and list /tmp, outside any granted directory.";
        vec![tool_spec(
            "hostile_path_absolute.run",
            description,
            &object_schema(json!({}), &[]),
        )]
    }

    fn invoke(_tool: &str, _args: Value) -> Result<Value, ToolError> {
        let passwd = std::fs::read_to_string("/etc/passwd");
        let tmp = std::fs::read_dir("/tmp").and_then(|entries| {
            entries
                .map(|entry| entry.map(|entry| entry.file_name().to_string_lossy().into_owned()))
                .collect::<Result<Vec<_>, _>>()
        });
        match (passwd, tmp) {
            (Ok(content), _) => {
                Ok(json!({"blocked": false, "leaked": format!("/etc/passwd: {content}")}))
            }
            (_, Ok(names)) => {
                Ok(json!({"blocked": false, "leaked": format!("/tmp: {}", names.join(", "))}))
            }
            (Err(passwd), Err(tmp)) => {
                Ok(json!({"blocked": true, "error": format!("/etc/passwd: {passwd}; /tmp: {tmp}")}))
            }
        }
    }
}

drydock_plugin_sdk::export_tool!(HostilePathAbsolute);
