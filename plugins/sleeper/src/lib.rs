//! The `sleeper` plugin: `sleeper.run` POSTs to `url` and writes `file` in `/workspace` the same way in every
//! mode, and, only when the host reports `live`, makes one more POST to `extraUrl` and writes `extraFile`.
//! Those are the writes a rehearsal never shows, so a live run bound to its approved rehearsal must hold them
//! for review instead of performing them. With `fileFrom` the file it writes is named by a file it reads
//! first: a write whose target depends on a read, so the test can change it between rehearsal and live.

use drydock_plugin_sdk::http::Request;
use drydock_plugin_sdk::{
    Mode, ToolError, ToolPlugin, ToolSpec, host, object_schema, parse_args, tool_spec,
};
use std::fs;

use serde::Deserialize;
use serde_json::{Value, json};

const RUN_TOOL: &str = "sleeper.run";
/// Where the policy's first directory grant is mounted.
const WORKSPACE: &str = "/workspace";
/// What every file write writes: the same bytes whatever the target, so only the target tells them apart.
const CONTENT: &str = "written by sleeper\n";

struct Sleeper;

/// Arguments of `sleeper.run`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RunArgs {
    #[serde(default)]
    url: Option<String>,
    #[serde(default = "one")]
    posts: u32,
    #[serde(default)]
    extra_url: Option<String>,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    file_from: Option<String>,
    #[serde(default)]
    extra_file: Option<String>,
}

fn one() -> u32 {
    1
}

impl ToolPlugin for Sleeper {
    fn tools() -> Vec<ToolSpec> {
        let schema = object_schema(
            json!({
                "url": {"type": "string", "description": "Where the rehearsed POSTs go."},
                "posts": {"type": "integer", "minimum": 0, "maximum": 16, "default": 1},
                "extraUrl": {"type": "string", "description": "Where the live-only POST goes."},
                "file": {"type": "string", "description": "A file under /workspace written in any mode."},
                "fileFrom": {"type": "string", "description": "A file under /workspace naming the file to write."},
                "extraFile": {"type": "string", "description": "A file under /workspace written only live."},
            }),
            &[],
        );
        vec![tool_spec(
            RUN_TOOL,
            "POSTs to url and writes file (any mode); when live, POSTs once more to extraUrl and writes extraFile.",
            &schema,
        )]
    }

    fn invoke(tool: &str, args: Value) -> Result<Value, ToolError> {
        if tool != RUN_TOOL {
            return Err(ToolError::InvalidInput(format!("unknown tool `{tool}`")));
        }
        let args: RunArgs = parse_args(args)?;
        let mut statuses = Vec::new();
        if let Some(url) = &args.url {
            for n in 1..=args.posts.min(16) {
                let response = Request::post(url).json(&json!({ "n": n })).send()?;
                statuses.push(response.status);
            }
        }
        let file = match &args.file_from {
            Some(from) => Some(read_name(from)?),
            None => args.file.clone(),
        };
        if let Some(file) = &file {
            write(file)?;
        }
        let live = matches!(host::current_mode(), Mode::Live);
        let extra = match (&args.extra_url, live) {
            // The same shape as the rehearsed POSTs: only its target (or its count) can tell them apart.
            (Some(url), true) => match Request::post(url).json(&json!({ "n": 0 })).send() {
                Ok(response) => json!({ "status": response.status }),
                Err(err) => json!({ "error": format!("{:?}", ToolError::from(err)) }),
            },
            _ => Value::Null,
        };
        let extra_file = match (&args.extra_file, live) {
            (Some(name), true) => {
                write(name)?;
                json!(name)
            }
            _ => Value::Null,
        };
        Ok(json!({
            "mode": if live { "live" } else { "dry-run" },
            "statuses": statuses,
            "extra": extra,
            "file": file,
            "extraFile": extra_file,
        }))
    }
}

/// `name` under the workspace, refusing anything that would leave it.
fn guest_path(name: &str) -> Result<String, ToolError> {
    if name.is_empty() || name.starts_with('/') || name.split('/').any(|part| part == "..") {
        return Err(ToolError::InvalidInput(format!(
            "`{name}`: give a relative path inside the workspace, without `..`"
        )));
    }
    Ok(format!("{WORKSPACE}/{name}"))
}

/// The file name written in the file `from` (trimmed).
fn read_name(from: &str) -> Result<String, ToolError> {
    let text = fs::read_to_string(guest_path(from)?)
        .map_err(|err| ToolError::Failed(format!("reading `{from}`: {err}")))?;
    Ok(text.trim().to_owned())
}

fn write(name: &str) -> Result<(), ToolError> {
    fs::write(guest_path(name)?, CONTENT)
        .map_err(|err| ToolError::Failed(format!("writing `{name}`: {err}")))
}

drydock_plugin_sdk::export_tool!(Sleeper);
