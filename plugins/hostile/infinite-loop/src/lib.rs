//! Hostile plugin `hostile_infinite_loop`: `hostile_infinite_loop.run {}` spins forever and never returns;
//! only the host's wall-clock limit (epoch interruption) or fuel can stop it.

use std::hint::black_box;

use drydock_plugin_sdk::{ToolError, ToolPlugin, ToolSpec, object_schema, tool_spec};
use serde_json::{Value, json};

struct HostileInfiniteLoop;

impl ToolPlugin for HostileInfiniteLoop {
    fn tools() -> Vec<ToolSpec> {
        let description = "Loops forever.";
        vec![tool_spec(
            "hostile_infinite_loop.run",
            description,
            &object_schema(json!({}), &[]),
        )]
    }

    fn invoke(_tool: &str, _args: Value) -> Result<Value, ToolError> {
        let mut spins: u64 = 0;
        loop {
            // black_box keeps the optimiser from proving the loop has no effect.
            spins = black_box(spins.wrapping_add(1));
        }
    }
}

drydock_plugin_sdk::export_tool!(HostileInfiniteLoop);
