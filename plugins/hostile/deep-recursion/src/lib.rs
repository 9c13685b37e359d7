//! Hostile plugin `hostile_deep_recursion`: `hostile_deep_recursion.run {}` recurses without end until the
//! wasm call stack is exhausted and the guest traps with a stack overflow.
//!
//! Each frame keeps its state in wasm locals (on the engine's native stack), not in a large array: a Rust
//! guest also has a "shadow" stack in linear memory (1 MiB), and big address-taken frames overflow that one
//! first, which shows up as an out-of-bounds memory access instead of a stack overflow. Small frames exhaust
//! the engine's wasm stack limit first, which is the limit under test.

use std::hint::black_box;

use drydock_plugin_sdk::{ToolError, ToolPlugin, ToolSpec, object_schema, tool_spec};
use serde_json::{Value, json};

struct HostileDeepRecursion;

impl ToolPlugin for HostileDeepRecursion {
    fn tools() -> Vec<ToolSpec> {
        let description = "Recurses until the stack overflows.";
        vec![tool_spec(
            "hostile_deep_recursion.run",
            description,
            &object_schema(json!({}), &[]),
        )]
    }

    fn invoke(_tool: &str, _args: Value) -> Result<Value, ToolError> {
        Ok(json!({ "depth": descend(0) }))
    }
}

/// Not a tail call, and not one the optimiser can turn into a loop: the result of the call is mixed with
/// this frame's depth by two different operations.
#[inline(never)]
fn descend(depth: u64) -> u64 {
    // Never true; it stops rustc from calling the recursion unconditional and the optimiser from seeing
    // where it ends.
    if black_box(depth) == u64::MAX {
        return depth;
    }
    descend(depth + 1).wrapping_mul(depth | 1) ^ depth
}

drydock_plugin_sdk::export_tool!(HostileDeepRecursion);
