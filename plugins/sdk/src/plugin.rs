//! The two traits a plugin implements, and the macros that export an implementation as the component's
//! `drydock:plugin/tool` or `drydock:plugin/planner` interface.
//!
//! The traits speak `serde_json::Value` so that plugin code never parses or prints JSON text itself; the
//! adapters below do that once, with the error mapping the contract asks for.

use serde_json::Value;

use crate::{ToolError, ToolSpec};

/// A plugin that offers tools (world `tool-plugin`). Export it with [`export_tool!`](crate::export_tool).
pub trait ToolPlugin {
    /// The tools this plugin offers. Called once when the plugin is loaded; must not have effects. Every name
    /// is `<plugin>.<tool>`, where `<plugin>` is the component's file stem.
    fn tools() -> Vec<ToolSpec>;

    /// Runs the tool named `tool` with `args`, which the host already validated against the tool's schema.
    fn invoke(tool: &str, args: Value) -> Result<Value, ToolError>;
}

/// A plugin that turns a work item or a request into a plan (world `planner-plugin`). Export it with
/// [`export_planner!`](crate::export_planner).
pub trait PlannerPlugin {
    /// Proposes a plan `{"nodes": [..]}` for `request`, naming only tools listed in `tools`. The error is
    /// a sentence saying what is wrong with the request.
    fn generate(request: Value, tools: &[ToolSpec]) -> Result<Value, String>;
}

/// Exports `$plugin` (a type implementing [`ToolPlugin`]) as the component's `drydock:plugin/tool`
/// interface. Use it once per plugin crate, at the crate root.
#[macro_export]
macro_rules! export_tool {
    ($plugin:ty) => {
        const _: () = {
            struct DrydockToolExport;

            impl $crate::tool_world::exports::drydock::plugin::tool::Guest for DrydockToolExport {
                fn describe() -> ::std::vec::Vec<$crate::ToolSpec> {
                    <$plugin as $crate::ToolPlugin>::tools()
                }

                fn invoke(
                    name: ::std::string::String,
                    args: ::std::string::String,
                ) -> ::std::result::Result<::std::string::String, $crate::ToolError> {
                    $crate::__private::invoke_tool::<$plugin>(&name, &args)
                }
            }

            $crate::tool_world::export_tool_world!(DrydockToolExport with_types_in $crate::tool_world);
        };
    };
}

/// Exports `$plugin` (a type implementing [`PlannerPlugin`]) as the component's `drydock:plugin/planner`
/// interface. Use it once per plugin crate, at the crate root.
#[macro_export]
macro_rules! export_planner {
    ($plugin:ty) => {
        const _: () = {
            struct DrydockPlannerExport;

            impl $crate::planner_world::exports::drydock::plugin::planner::Guest
                for DrydockPlannerExport
            {
                fn generate(
                    request: ::std::string::String,
                    tools: ::std::vec::Vec<$crate::ToolSpec>,
                ) -> ::std::result::Result<::std::string::String, ::std::string::String> {
                    $crate::__private::generate_plan::<$plugin>(&request, &tools)
                }
            }

            $crate::planner_world::export_planner_world!(
                DrydockPlannerExport with_types_in $crate::planner_world
            );
        };
    };
}

/// Adapters used by the export macros; not part of the SDK's API.
#[doc(hidden)]
pub mod __private {
    use super::{PlannerPlugin, ToolError, ToolPlugin, ToolSpec};

    /// Parses the arguments, runs the tool and prints its result as JSON text.
    pub fn invoke_tool<P: ToolPlugin>(name: &str, args: &str) -> Result<String, ToolError> {
        let args = serde_json::from_str(args).map_err(|error| {
            ToolError::InvalidInput(format!("arguments are not valid JSON: {error}"))
        })?;
        P::invoke(name, args).map(|result| result.to_string())
    }

    /// Parses the request, runs the planner and prints its plan as JSON text.
    pub fn generate_plan<P: PlannerPlugin>(
        request: &str,
        tools: &[ToolSpec],
    ) -> Result<String, String> {
        let request = serde_json::from_str(request)
            .map_err(|error| format!("the request is not valid JSON: {error}"))?;
        P::generate(request, tools).map(|plan| plan.to_string())
    }
}
