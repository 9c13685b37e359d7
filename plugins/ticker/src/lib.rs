//! The `ticker` plugin: `ticker.count {to, pause_ms?}` counts from 1 to `to`, reporting each number through
//! `host.progress` and pausing `pause_ms` between them. It has no effects; the host's tests use it for
//! progress notifications and for cancelling a call that is waiting.

use std::time::Duration;

use drydock_plugin_sdk::{ToolError, ToolPlugin, ToolSpec, host, object_schema, tool_spec};
use serde_json::{Value, json};

struct Ticker;

impl ToolPlugin for Ticker {
    fn tools() -> Vec<ToolSpec> {
        let schema = object_schema(
            json!({
                "to": {"type": "integer", "minimum": 1, "maximum": 10000},
                "pause_ms": {"type": "integer", "minimum": 0, "maximum": 60000},
            }),
            &["to"],
        );
        vec![tool_spec(
            "ticker.count",
            "Counts to `to`, reporting progress at each step and pausing `pause_ms` between steps.",
            &schema,
        )]
    }

    fn invoke(_tool: &str, args: Value) -> Result<Value, ToolError> {
        let to = args["to"].as_u64().unwrap_or(1);
        let pause = Duration::from_millis(args["pause_ms"].as_u64().unwrap_or(0));
        for i in 1..=to {
            host::progress(&format!("step {i} of {to}"));
            if !pause.is_zero() {
                std::thread::sleep(pause);
            }
        }
        Ok(json!({ "counted": to }))
    }
}

drydock_plugin_sdk::export_tool!(Ticker);
