//! Host side of the WIT contract: bindings generated from `wit/` and one file per interface.
//!
//! Both worlds share the `types` and `host` interfaces, so the planner bindings reuse the tool bindings'
//! generated modules (`with`) and there is a single `Host` implementation for both.

pub mod host_iface;

/// Bindings of the `tool-plugin` world (generated; documented in `wit/drydock.wit`).
#[allow(missing_docs)]
pub mod tool_world {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "tool-plugin",
        imports: {
            "drydock:plugin/host.call-tool": async | trappable,
            "drydock:plugin/host.llm-complete": async | trappable,
            default: trappable,
        },
        exports: { default: async },
    });
}

/// Bindings of the `planner-plugin` world (generated; documented in `wit/drydock.wit`).
#[allow(missing_docs)]
pub mod planner_world {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "planner-plugin",
        exports: { default: async },
        with: {
            "drydock:plugin/types": super::tool_world::drydock::plugin::types,
            "drydock:plugin/host": super::tool_world::drydock::plugin::host,
        },
    });
}

pub use tool_world::drydock::plugin::types as wit_types;

/// The export names a Drydock component must have, by world.
pub mod export_names {
    /// The `tool` interface export of a tool plugin.
    pub const TOOL: &str = "drydock:plugin/tool@0.1.0";
    /// The `planner` interface export of a planner plugin.
    pub const PLANNER: &str = "drydock:plugin/planner@0.1.0";
    /// The contract package, for messages.
    pub const PACKAGE: &str = "drydock:plugin@0.1.0";
}
