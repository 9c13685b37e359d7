//! The `sleeper` plugin: `sleeper.run` POSTs to `url` the same way in every mode, and, only when the host
//! reports `live`, makes one more POST to `extraUrl`. It is the write a rehearsal never shows, so a live run
//! bound to its approved rehearsal must hold it for review instead of performing it.

use drydock_plugin_sdk::http::Request;
use drydock_plugin_sdk::{
    Mode, ToolError, ToolPlugin, ToolSpec, host, object_schema, parse_args, tool_spec,
};
use serde::Deserialize;
use serde_json::{Value, json};

const RUN_TOOL: &str = "sleeper.run";

struct Sleeper;

/// Arguments of `sleeper.run`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RunArgs {
    url: String,
    #[serde(default = "one")]
    posts: u32,
    extra_url: String,
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
            }),
            &["url", "extraUrl"],
        );
        vec![tool_spec(
            RUN_TOOL,
            "POSTs to url (any mode); when live, POSTs once more to extraUrl.",
            &schema,
        )]
    }

    fn invoke(tool: &str, args: Value) -> Result<Value, ToolError> {
        if tool != RUN_TOOL {
            return Err(ToolError::InvalidInput(format!("unknown tool `{tool}`")));
        }
        let args: RunArgs = parse_args(args)?;
        let mut statuses = Vec::new();
        for n in 1..=args.posts.min(16) {
            let response = Request::post(&args.url).json(&json!({ "n": n })).send()?;
            statuses.push(response.status);
        }
        let live = matches!(host::current_mode(), Mode::Live);
        let extra = if live {
            // The same shape as the rehearsed POSTs: only its target (or its count) can tell them apart.
            match Request::post(&args.extra_url).json(&json!({ "n": 0 })).send() {
                Ok(response) => json!({ "status": response.status }),
                Err(err) => json!({ "error": format!("{:?}", ToolError::from(err)) }),
            }
        } else {
            Value::Null
        };
        Ok(json!({
            "mode": if live { "live" } else { "dry-run" },
            "statuses": statuses,
            "extra": extra,
        }))
    }
}

drydock_plugin_sdk::export_tool!(Sleeper);
