//! `host.call-tool`: a plugin calling another tool through the host.
//!
//! The capability does not import the invocation module: it reaches the runtime through a [`ToolCaller`]
//! handle placed in the call context, so the call graph has no loop. The callee runs in its own sandbox with
//! its own grants, in the caller's mode, one level deeper, within what is left of the caller's time.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;

use crate::context::CallContext;
use crate::error::ToolError;

/// A nested tool call requested by a running plugin.
pub struct NestedCall {
    /// The tool to call.
    pub tool: String,
    /// Its arguments.
    pub args: Value,
    /// The caller's context (mode, journal, depth and deadline are inherited from it).
    pub parent: Arc<CallContext>,
}

/// The future a nested call returns.
pub type NestedResult<'a> = Pin<Box<dyn Future<Output = Result<Value, ToolError>> + Send + 'a>>;

/// Runs a tool on behalf of another; implemented by the runtime.
pub trait ToolCaller: Send + Sync {
    /// Runs `call` and answers what the calling guest will see.
    fn call(&self, call: NestedCall) -> NestedResult<'_>;
}

/// Refuses a call that would go deeper than the caller's limit; the text names the chain so far.
pub fn check_depth(parent: &CallContext, tool: &str) -> Result<u32, ToolError> {
    let depth = parent.source.depth + 1;
    if depth > parent.limits.max_call_depth {
        return Err(ToolError::Denied(format!(
            "call-tool depth limit of {} reached: `{}` (depth {}) may not call `{tool}`",
            parent.limits.max_call_depth, parent.source.tool, parent.source.depth
        )));
    }
    Ok(depth)
}
