//! The async side: [`WorkflowHost`], what the caller provides (tool calls through the sandbox, the
//! LLM), and [`drive`], which performs a run's pending effects through it until the run waits for a
//! person or finishes. The machine itself stays synchronous and I/O-free; this is the only place
//! that awaits.
//!
//! An effect is performed *at least once*: if the process stops during a call, the stored run still
//! holds the effect and the next `drive` performs it again (harmless under dry-run; a host that
//! goes live can use the `call_id` to deduplicate).

use async_trait::async_trait;
use serde_json::Value;

use crate::event::Event;
use crate::respond::RunError;
use crate::run::{Effect, LlmRequest, Run, ToolRequest};

/// What a run needs from the outside world.
#[async_trait]
pub trait WorkflowHost: Send + Sync {
    /// Calls a tool (sandboxed, under the caller's policy); `Err` is the message the run fails with.
    async fn call_tool(&self, request: &ToolRequest) -> Result<Value, String>;

    /// What the tool call `call_id` did outside the sandbox (each effect: capability, action, outcome,
    /// reason), taken once after the call to be kept on its step record, so that a client shows whether
    /// a write was simulated, live or denied. The default: nothing to report.
    fn take_effects(&self, _call_id: &str) -> Vec<Value> {
        Vec::new()
    }

    /// Asks the LLM. The default answers that no LLM is configured, so a host without one still
    /// runs flows that have no llm nodes, and fails the others with an error naming the step.
    async fn llm(&self, request: &LlmRequest) -> Result<Value, String> {
        Err(format!(
            "no LLM is configured on this host; step `{}` is an llm node and needs one",
            request.step
        ))
    }
}

/// Performs the run's pending effects through `host`, passing every event to `on_event` as it
/// happens, until the run waits for a person or finishes.
pub async fn drive<H, F>(run: &mut Run, host: &H, mut on_event: F) -> Result<(), RunError>
where
    H: WorkflowHost + ?Sized,
    F: FnMut(Event) + Send,
{
    while let Some(effect) = run.pending_effect().cloned() {
        let outcome = match &effect {
            Effect::Tool(request) => {
                let outcome = host.call_tool(request).await;
                run.note_effects(&request.call_id, host.take_effects(&request.call_id));
                outcome
            }
            Effect::Llm(request) => host.llm(request).await,
        };
        for event in run.complete_effect(effect.call_id(), outcome)? {
            on_event(event);
        }
    }
    Ok(())
}
