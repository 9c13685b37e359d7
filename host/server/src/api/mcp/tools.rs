//! Drydock's tools as MCP tools: name, description, input schema, and annotations the **host** computes from
//! the plugin's grants (never the author's word).
//!
//! - `readOnlyHint`: true only when the plugin has no write-capable grant (no http grant with a write
//!   method, no `rw` directory);
//! - `openWorldHint`: true when it has any http grant;
//! - `destructiveHint`: true when one of its writes can go live today (the LivePolicy lists the capability
//!   and the master switch is on); a `tools/call` is still a dry run, this says what an approved plan could do;
//! - `idempotentHint`: false (Drydock cannot know).
//!
//! A tool is listed under a name every MCP host accepts (`echo_echo` for `echo.echo`, see [`super::names`]).
//! `_meta` carries `dev.drydock/tool` (the Drydock name, as the other faces and the audit log show it),
//! `dev.drydock/grants` (the grants, host paths hidden), `dev.drydock/plugin` and `dev.drydock/mode`
//! (`dry-run`: what a call does). The list is sorted by listed name, so it is the same on every call for the
//! same plugins.

use std::sync::Arc;

use drydock_policy::{Capability, FsAccess, PluginGrants};
use drydock_runtime::Runtime;
use rmcp::model::{JsonObject, MetaObject, Tool, ToolAnnotations};
use serde_json::{Value, json};

use super::names::McpNames;
use crate::api::policy::{HostPaths, grants_json};

/// The `_meta` key of a tool's grants summary.
pub const GRANTS_META: &str = "dev.drydock/grants";
/// The `_meta` key of a tool's Drydock name (`<plugin>.<tool>`).
pub const TOOL_META: &str = "dev.drydock/tool";

/// Every loaded tool as an MCP tool, sorted by listed name.
pub fn sandboxed(runtime: &Runtime) -> Vec<Tool> {
    let policy = runtime.policy();
    let live = runtime.live_policy();
    let master_switch = runtime.master_switch();
    let tools = runtime.tools();
    let names = McpNames::new(tools.iter().map(|tool| tool.name.as_str()));
    let mut listed: Vec<Tool> = tools
        .into_iter()
        .filter_map(|tool| {
            let listed = names.listed(&tool.name)?.to_owned();
            let grants = policy.grants(&tool.plugin);
            let goes_live = master_switch
                && live
                    .allowed(&tool.plugin)
                    .iter()
                    .any(|cap| can_write(grants, *cap));
            let annotations = ToolAnnotations::new()
                .read_only(!has_write_grant(grants))
                .open_world(!grants.http.is_empty())
                .destructive(goes_live)
                .idempotent(false);
            let meta = json!({
                TOOL_META: tool.name,
                GRANTS_META: grants_json(grants, HostPaths::Hidden),
                "dev.drydock/plugin": tool.plugin,
                "dev.drydock/mode": "dry-run",
            });
            let tool = Tool::new(
                listed,
                tool.description,
                Arc::new(object(tool.input_schema)),
            )
            .with_annotations(annotations)
            .with_meta(MetaObject(object(meta)));
            Some(tool)
        })
        .collect();
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    listed
}

/// Whether any grant of the plugin allows a write.
pub fn has_write_grant(grants: &PluginGrants) -> bool {
    can_write(grants, Capability::Http) || can_write(grants, Capability::Fs)
}

fn can_write(grants: &PluginGrants, capability: Capability) -> bool {
    match capability {
        Capability::Http => grants
            .http
            .iter()
            .any(|g| g.methods.iter().any(|m| m.is_write())),
        Capability::Fs => grants.fs.iter().any(|g| g.access == FsAccess::ReadWrite),
        _ => false,
    }
}

/// A JSON object (anything else becomes an empty one: schemas were checked at load).
pub fn object(value: Value) -> JsonObject {
    match value {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    }
}
