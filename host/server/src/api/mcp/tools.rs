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
//! `_meta` carries `dev.drydock/grants` (the grants, host paths hidden), `dev.drydock/plugin` and
//! `dev.drydock/mode` (`dry-run`: what a call does). The list is sorted by name, so it is the same on every
//! call for the same plugins.

use std::sync::Arc;

use drydock_policy::{Capability, FsAccess, PluginGrants};
use drydock_runtime::Runtime;
use rmcp::model::{JsonObject, MetaObject, Tool, ToolAnnotations};
use serde_json::{Value, json};

use crate::api::policy::{HostPaths, grants_json};

/// The `_meta` key of a tool's grants summary.
pub const GRANTS_META: &str = "dev.drydock/grants";

/// Every loaded tool as an MCP tool, sorted by name.
pub fn sandboxed(runtime: &Runtime) -> Vec<Tool> {
    let policy = runtime.policy();
    let live = runtime.live_policy();
    let master_switch = runtime.master_switch();
    let mut tools = runtime.tools();
    tools.sort_by(|a, b| a.name.cmp(&b.name));
    tools
        .into_iter()
        .map(|tool| {
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
                GRANTS_META: grants_json(grants, HostPaths::Hidden),
                "dev.drydock/plugin": tool.plugin,
                "dev.drydock/mode": "dry-run",
            });
            Tool::new(
                tool.name,
                tool.description,
                Arc::new(object(tool.input_schema)),
            )
            .with_annotations(annotations)
            .with_meta(MetaObject(object(meta)))
        })
        .collect()
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
