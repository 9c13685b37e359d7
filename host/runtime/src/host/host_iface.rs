//! `drydock:plugin/host`: what every plugin may call, implemented over the invocation's [`CallContext`].
//!
//! Each function is a thin translation; the decisions live in the capability modules. Nothing here traps on
//! a policy denial: denials are `Err` values the guest can handle.

use crate::capability::call_tool::{NestedCall, check_depth};
use crate::capability::{llm, secrets};
use crate::error::ToolError;
use crate::host::tool_world::drydock::plugin::host::Host;
use crate::host::wit_types::{self, LogLevel, Mode};
use crate::state::InvocationState;

impl wit_types::Host for InvocationState {}

impl Host for InvocationState {
    fn log(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        let level = match level {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        };
        let ctx = &self.ctx;
        let message = refused_line(ctx, "a log line", message);
        ctx.journal
            .log(&ctx.redactor, ctx.plugin(), level, &message);
        stop_past_host_budget(ctx)
    }

    fn progress(&mut self, message: String) -> wasmtime::Result<()> {
        let ctx = &self.ctx;
        let message = refused_line(ctx, "a progress message", message);
        ctx.journal
            .log(&ctx.redactor, ctx.plugin(), "progress", &message);
        if let Some(sink) = &ctx.progress {
            // Redacted and cut like the journal's copy: whoever follows the call sees no more than it.
            (sink.0)(ctx.redactor.text_then_cut(&message, PROGRESS_MESSAGE_BYTES));
        }
        stop_past_host_budget(ctx)
    }

    fn emit_artifact(
        &mut self,
        name: String,
        media_type: String,
        content: Vec<u8>,
    ) -> wasmtime::Result<Result<String, String>> {
        let ctx = &self.ctx;
        for (what, bytes) in [
            ("an artifact's name", name.as_bytes()),
            ("an artifact's media type", media_type.as_bytes()),
            ("an artifact", content.as_slice()),
        ] {
            if let Some(reason) = ctx.guards.refuse_in_sink(ctx, what, bytes) {
                return Ok(Err(reason));
            }
        }
        let kept =
            ctx.journal
                .add_artifact(&ctx.redactor, &name, &media_type, ctx.plugin(), content);
        stop_past_host_budget(ctx)?;
        Ok(kept)
    }

    fn secret(&mut self, name: String) -> wasmtime::Result<Result<String, String>> {
        Ok(secrets::read(&self.ctx, &name))
    }

    async fn call_tool(
        &mut self,
        name: String,
        args: String,
    ) -> wasmtime::Result<Result<String, wit_types::ToolError>> {
        let parent = self.ctx.clone();
        if let Err(err) = check_depth(&parent, &name) {
            return Ok(Err(to_wit(err)));
        }
        let args = match serde_json::from_str(&args) {
            Ok(args) => args,
            Err(err) => {
                return Ok(Err(wit_types::ToolError::InvalidInput(format!(
                    "call-tool arguments for `{name}` are not JSON: {err}"
                ))));
            }
        };
        let caller = parent.caller.clone();
        let result = caller
            .call(NestedCall {
                tool: name,
                args,
                parent,
            })
            .await;
        Ok(result.map(|value| value.to_string()).map_err(to_wit))
    }

    fn current_mode(&mut self) -> wasmtime::Result<Mode> {
        Ok(match self.ctx.reported_mode() {
            drydock_policy::Mode::Live => Mode::Live,
            drydock_policy::Mode::DryRun => Mode::DryRun,
        })
    }

    async fn llm_complete(&mut self, request: String) -> wasmtime::Result<Result<String, String>> {
        let ctx = self.ctx.clone();
        Ok(llm::complete(&ctx, &request).await)
    }
}

/// `message`, or a line saying why it was refused when it carries a secret granted for destinations.
fn refused_line(ctx: &crate::context::CallContext, what: &str, message: String) -> String {
    match ctx.guards.refuse_in_sink(ctx, what, message.as_bytes()) {
        Some(reason) => format!("[refused: {reason}]"),
        None => message,
    }
}

/// Longest progress message passed on as it happens.
const PROGRESS_MESSAGE_BYTES: usize = 1024;

/// Ends the guest (a trap the sandbox reports as `host_memory_limit`) once the invocation went past its
/// host memory budget: a plugin that keeps asking the host to hold more is not answered again.
fn stop_past_host_budget(ctx: &crate::context::CallContext) -> wasmtime::Result<()> {
    match ctx.journal.host_breach() {
        Some(breach) => Err(wasmtime::format_err!("{breach}")),
        None => Ok(()),
    }
}

fn to_wit(err: ToolError) -> wit_types::ToolError {
    match err {
        ToolError::InvalidInput(m) => wit_types::ToolError::InvalidInput(m),
        ToolError::Denied(m) => wit_types::ToolError::Denied(m),
        ToolError::Failed(m) => wit_types::ToolError::Failed(m),
    }
}

/// A guest's tool error as the runtime's type.
pub fn from_wit(err: wit_types::ToolError) -> ToolError {
    match err {
        wit_types::ToolError::InvalidInput(m) => ToolError::InvalidInput(m),
        wit_types::ToolError::Denied(m) => ToolError::Denied(m),
        wit_types::ToolError::Failed(m) => ToolError::Failed(m),
    }
}
