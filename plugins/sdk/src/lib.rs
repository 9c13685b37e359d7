//! # Drydock plugin SDK
//!
//! Everything a plugin author needs to write a Drydock plugin in Rust: the bindings of the
//! `drydock:plugin@0.1.0` WIT contract (worlds `tool-plugin` and `planner-plugin`), two traits to implement
//! with `serde_json` values instead of JSON text, the macros that export them, and small helpers for the
//! things every plugin does (declare a tool, parse its arguments, call the host, make HTTP requests).
//!
//! ```ignore
//! use drydock_plugin_sdk::{ToolError, ToolPlugin, ToolSpec, object_schema, parse_args, tool_spec};
//! use serde_json::{Value, json};
//!
//! struct Greeter;
//!
//! impl ToolPlugin for Greeter {
//!     fn tools() -> Vec<ToolSpec> {
//!         let schema = object_schema(json!({"name": {"type": "string"}}), &["name"]);
//!         vec![tool_spec("greeter.greet", "Greets someone by name.", &schema)]
//!     }
//!     fn invoke(_tool: &str, args: Value) -> Result<Value, ToolError> {
//!         #[derive(serde::Deserialize)]
//!         struct Args { name: String }
//!         let args: Args = parse_args(args)?;
//!         Ok(json!({"greeting": format!("Hello, {}!", args.name)}))
//!     }
//! }
//!
//! drydock_plugin_sdk::export_tool!(Greeter);
//! ```
//!
//! # Layout
//! - this file: the generated bindings (`tool_world`, `planner_world`) and the re-exports plugin code uses.
//! - `plugin`: the `ToolPlugin` and `PlannerPlugin` traits and the `export_tool!` / `export_planner!` macros.
//! - `json`: tool specs and schemas, argument parsing, `call_tool`.
//! - `http`: outgoing HTTP through `wasi:http` (via `wstd`), with the host's denials mapped to `ToolError`.

mod json;
mod plugin;

#[doc(hidden)]
pub use plugin::__private;

pub mod http;

pub use json::{call_tool, object_schema, parse_args, to_json, tool_spec};
pub use plugin::{PlannerPlugin, ToolPlugin};

/// The host interface: `log`, `progress`, `emit_artifact`, `secret`, `call_tool` (raw JSON text),
/// `current_mode` and `llm_complete`, exactly as the WIT contract declares them.
pub use tool_world::drydock::plugin::host;
/// The contract's shared types.
pub use tool_world::drydock::plugin::types::{Json, LogLevel, Mode, ToolError, ToolSpec};

/// Generated bindings of the `tool-plugin` world. Plugin code uses the re-exports at the crate root and
/// `export_tool!`; this module is public because the export macro expands in the plugin's crate.
// The generated items carry the WIT doc comments where the contract has them; the rest is glue.
#[allow(missing_docs)]
pub mod tool_world {
    wit_bindgen::generate!({
        world: "tool-plugin",
        path: "../../wit",
        pub_export_macro: true,
        export_macro_name: "export_tool_world",
        default_bindings_module: "drydock_plugin_sdk::tool_world",
    });
}

/// Generated bindings of the `planner-plugin` world. It shares the `types` and `host` interfaces with
/// [`tool_world`], so a `ToolSpec` is one type whichever world a plugin targets.
#[allow(missing_docs)]
pub mod planner_world {
    wit_bindgen::generate!({
        world: "planner-plugin",
        path: "../../wit",
        pub_export_macro: true,
        export_macro_name: "export_planner_world",
        default_bindings_module: "drydock_plugin_sdk::planner_world",
        with: {
            "drydock:plugin/types@0.1.0": crate::tool_world::drydock::plugin::types,
            "drydock:plugin/host@0.1.0": crate::tool_world::drydock::plugin::host,
        },
    });
}
