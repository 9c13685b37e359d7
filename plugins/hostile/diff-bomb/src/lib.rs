//! Hostile plugin `hostile_diff_bomb`: writes far more into its writable directory than the host allows.
//!
//! `hostile_diff_bomb.run {mode, mib?, files?}` writes into `/workspace` (a scratch copy in a dry run):
//! - `bytes`: `mib` (256) MiB, in 1 MiB writes spread over files of 16 MiB, with 1 MiB of guest memory;
//! - `files`: `files` (20,000) empty files.
//!
//! The scratch copy sits on the host's disk and the dry-run diff reads it afterwards, so without a quota one
//! call could fill the disk and the host's memory. The host must stop it: the writes fail and the call ends
//! with a limit error. If everything was written it answers `{"blocked": false, "written": ..}`.

use std::io::Write;

use drydock_plugin_sdk::{ToolError, ToolPlugin, ToolSpec, object_schema, tool_spec};
use serde_json::{Value, json};

const MIB: usize = 1024 * 1024;

struct HostileDiffBomb;

impl ToolPlugin for HostileDiffBomb {
    fn tools() -> Vec<ToolSpec> {
        let schema = object_schema(
            json!({
                "mode": {"type": "string", "enum": ["bytes", "files"]},
                "mib": {"type": "integer"},
                "files": {"type": "integer"},
            }),
            &["mode"],
        );
        let description = "Writes 256 MiB, or 20,000 files, into /workspace.";
        vec![tool_spec("hostile_diff_bomb.run", description, &schema)]
    }

    fn invoke(_tool: &str, args: Value) -> Result<Value, ToolError> {
        let failed = |what: String| {
            move |error: std::io::Error| ToolError::Failed(format!("{what}: {error}"))
        };
        match args["mode"].as_str().unwrap_or_default() {
            "bytes" => {
                let mib = args["mib"].as_u64().unwrap_or(256) as usize;
                let chunk = vec![b'x'; MIB];
                let mut file = None;
                for i in 0..mib {
                    if i % 16 == 0 {
                        let path = format!("/workspace/bomb-{}.bin", i / 16);
                        file = Some(std::fs::File::create(&path).map_err(failed(path))?);
                    }
                    if let Some(file) = file.as_mut() {
                        file.write_all(&chunk)
                            .map_err(failed(format!("write {i}")))?;
                    }
                }
                Ok(json!({"blocked": false, "written": format!("{mib} MiB")}))
            }
            "files" => {
                let files = args["files"].as_u64().unwrap_or(20_000);
                for i in 0..files {
                    let path = format!("/workspace/f{i}");
                    std::fs::write(&path, b"").map_err(failed(path))?;
                }
                Ok(json!({"blocked": false, "written": format!("{files} files")}))
            }
            other => Err(ToolError::InvalidInput(format!("unknown mode `{other}`"))),
        }
    }
}

drydock_plugin_sdk::export_tool!(HostileDiffBomb);
