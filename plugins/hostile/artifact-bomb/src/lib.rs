//! Hostile plugin `hostile_artifact_bomb`: makes the host hold huge artifact metadata.
//!
//! `hostile_artifact_bomb.run {count?, name_mib?}` emits `count` (32) artifacts with empty content, each
//! named with `name_mib` (8) MiB of text and a media type just as long. Content is what the artifact budget
//! used to count, so these used to be kept whole (512 MiB of report from one call). It answers
//! `{"blocked": true, "refused": n}` when the host refused every one, else `{"blocked": false, "kept": n}`.

use drydock_plugin_sdk::{ToolError, ToolPlugin, ToolSpec, host, object_schema, tool_spec};
use serde_json::{Value, json};

struct HostileArtifactBomb;

impl ToolPlugin for HostileArtifactBomb {
    fn tools() -> Vec<ToolSpec> {
        let schema = object_schema(
            json!({"count": {"type": "integer"}, "name_mib": {"type": "integer"}}),
            &[],
        );
        let description = "Emits empty artifacts with 8 MiB names and media types.";
        vec![tool_spec("hostile_artifact_bomb.run", description, &schema)]
    }

    fn invoke(_tool: &str, args: Value) -> Result<Value, ToolError> {
        let count = args["count"].as_u64().unwrap_or(32);
        let size = args["name_mib"].as_u64().unwrap_or(8) as usize * 1024 * 1024;
        let name = "n".repeat(size);
        let media_type = format!("text/{}", "p".repeat(size));
        let (mut kept, mut refused) = (0, 0);
        for _ in 0..count {
            match host::emit_artifact(&name, &media_type, &[]) {
                Ok(_) => kept += 1,
                Err(_) => refused += 1,
            }
        }
        Ok(if kept == 0 {
            json!({"blocked": true, "refused": refused})
        } else {
            json!({"blocked": false, "kept": kept})
        })
    }
}

drydock_plugin_sdk::export_tool!(HostileArtifactBomb);
