//! Hostile plugin `hostile_memory_bomb`: `hostile_memory_bomb.run {}` allocates 1 MiB blocks, writes to
//! every page of each and keeps them all, until memory runs out. It never returns normally: the host's
//! memory limit makes `memory.grow` fail, the allocator aborts, and the guest traps.

use std::hint::black_box;

use drydock_plugin_sdk::{ToolError, ToolPlugin, ToolSpec, object_schema, tool_spec};
use serde_json::{Value, json};

const BLOCK: usize = 1024 * 1024;
const PAGE: usize = 64 * 1024;

struct HostileMemoryBomb;

impl ToolPlugin for HostileMemoryBomb {
    fn tools() -> Vec<ToolSpec> {
        let description = "Allocates memory until it runs out.";
        vec![tool_spec(
            "hostile_memory_bomb.run",
            description,
            &object_schema(json!({}), &[]),
        )]
    }

    fn invoke(_tool: &str, _args: Value) -> Result<Value, ToolError> {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            let mut block = vec![0u8; BLOCK];
            for offset in (0..BLOCK).step_by(PAGE) {
                block[offset] = 1;
            }
            hoard.push(black_box(block));
            black_box(&hoard);
        }
    }
}

drydock_plugin_sdk::export_tool!(HostileMemoryBomb);
