//! `host.llm-complete`: the language model the operator configured, for plugins granted `llm = true`.
//!
//! The runtime only defines the seam: a provider is plugged in by the server once LLM settings exist. Until
//! then a granted plugin gets a clear "no language model is configured" error, never a fake answer.

use std::future::Future;
use std::pin::Pin;

use drydock_policy::{Capability, Outcome, decide_llm};
use serde_json::json;

use crate::context::CallContext;
use crate::journal::NewEffect;

/// The future a completion returns: the answer's text, or what failed.
pub type Completion<'a> = Pin<Box<dyn Future<Output = Result<String, String>> + Send + 'a>>;

/// A chat-completions provider.
pub trait LlmProvider: Send + Sync {
    /// Completes the conversation in `request` (`{"messages": [...], "temperature"?}`).
    fn complete(&self, request: serde_json::Value) -> Completion<'_>;
}

/// `host.llm-complete(request)`: checks the grant, journals, and asks the provider.
pub async fn complete(ctx: &CallContext, request: &str) -> Result<String, String> {
    let decision = decide_llm(ctx.plugin(), &ctx.grants);
    let effect = |outcome: Outcome, reason: String| NewEffect {
        capability: Capability::Llm,
        action: "llm completion".into(),
        outcome,
        reason,
        detail: json!({ "request_bytes": request.len() }),
    };
    let record = |outcome: Outcome, reason: String| {
        ctx.journal
            .record(&ctx.source, &ctx.redactor, effect(outcome, reason));
    };
    if decision.outcome == Outcome::Denied {
        record(Outcome::Denied, decision.reason.clone());
        return Err(decision.reason);
    }
    let request: serde_json::Value = serde_json::from_str(request)
        .map_err(|err| format!("the completion request is not JSON: {err}"))?;
    if !request
        .get("messages")
        .is_some_and(serde_json::Value::is_array)
    {
        return Err(
            r#"the completion request needs "messages": [{"role", "content"}, ...]"#.into(),
        );
    }
    let Some(provider) = ctx.llm.clone() else {
        let reason = "no language model is configured on this Drydock host".to_owned();
        record(Outcome::Denied, reason.clone());
        return Err(reason);
    };
    // A completion the journal cannot keep does not happen.
    if ctx
        .journal
        .admit(
            &ctx.source,
            &ctx.redactor,
            effect(Outcome::Read, decision.reason),
        )
        .is_none()
    {
        return Err(
            "the completion was not asked for: the journal of this invocation is full".to_owned(),
        );
    }
    let content = provider.complete(request).await?;
    Ok(json!({ "content": content }).to_string())
}
