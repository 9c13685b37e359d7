//! Hostile plugin `hostile_panic`: `hostile_panic.run {}` panics with "hostile plugin panicked on purpose".
//! Plugins are built with panic=abort semantics, so the panic message goes to stderr and the guest traps.

use drydock_plugin_sdk::{ToolError, ToolPlugin, ToolSpec, object_schema, tool_spec};
use serde_json::{Value, json};

struct HostilePanic;

impl ToolPlugin for HostilePanic {
    fn tools() -> Vec<ToolSpec> {
        let description = "Panics.";
        vec![tool_spec(
            "hostile_panic.run",
            description,
            &object_schema(json!({}), &[]),
        )]
    }

    fn invoke(_tool: &str, _args: Value) -> Result<Value, ToolError> {
        panic!("hostile plugin panicked on purpose")
    }
}

drydock_plugin_sdk::export_tool!(HostilePanic);
