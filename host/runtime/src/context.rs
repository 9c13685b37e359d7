//! What the host knows about one running invocation, shared by every capability it touches.
//!
//! One [`CallContext`] is built per invocation (nested call-tool invocations get their own, pointing at the
//! same journal). Capabilities read grants and decision inputs from it and write effects into its journal;
//! none of them can change it, and nothing in it is reachable from the guest.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use drydock_policy::{LiveContext, LivePolicy, Mode, PluginGrants};

use crate::capability::call_tool::ToolCaller;
use crate::capability::guard::Guards;
use crate::capability::llm::LlmProvider;
use crate::journal::{EffectSource, Journal};
use crate::limits::Limits;
use crate::redact::Redactor;
use crate::rehearsal::RehearsalBinding;

/// The decision inputs and record of one invocation.
pub struct CallContext {
    /// Plugin, tool and depth, stamped on every effect.
    pub source: EffectSource,
    /// The correlation id of the top-level execution.
    pub correlation_id: String,
    /// The plugin's grants (a snapshot taken when the invocation started).
    pub grants: Arc<PluginGrants>,
    /// The LivePolicy (a snapshot taken when the top-level invocation started).
    pub live_policy: Arc<LivePolicy>,
    /// Master switch, requested mode and plan approval.
    pub live_context: LiveContext,
    /// Values of the secrets granted to this plugin, by name. Never logged.
    pub secrets: BTreeMap<String, String>,
    /// The granted environment variables the guest sees.
    pub env: Vec<(String, String)>,
    /// Replaces those values in everything recorded.
    pub redactor: Redactor,
    /// Argument rules, request counters and the secret-flow scanner ([`crate::capability::guard`]).
    pub guards: Guards,
    /// Where effects, artifacts and logs go.
    pub journal: Journal,
    /// The limits of this invocation.
    pub limits: Limits,
    /// When the invocation must be over (nested calls inherit what is left).
    pub deadline: Instant,
    /// The way back into the runtime for call-tool.
    pub caller: Arc<dyn ToolCaller>,
    /// The language model, when one is configured.
    pub llm: Option<Arc<dyn LlmProvider>>,
    /// Where `host.progress` lines also go as they happen.
    pub progress: Option<crate::invoke::ProgressSink>,
    /// Cancelled when whoever asked for the invocation no longer wants it.
    pub cancel: Option<tokio_util::sync::CancellationToken>,
    /// For a live run of an approved plan node: the writes its rehearsal showed and where others wait.
    pub binding: Option<Arc<RehearsalBinding>>,
    /// The binding's paused time when this context was made (waits before it do not extend `deadline`).
    pub pause_base: Duration,
}

impl CallContext {
    /// The plugin's name.
    pub fn plugin(&self) -> &str {
        &self.source.plugin
    }

    /// When the invocation must be over: `deadline`, moved later by every wait for a review since this
    /// context was made (a person deciding is not the plugin's time).
    pub fn effective_deadline(&self) -> Instant {
        match &self.binding {
            Some(binding) => self.deadline + binding.paused_total().saturating_sub(self.pause_base),
            None => self.deadline,
        }
    }

    /// The mode reported to the guest: live only when the master switch is on and an operator asked for it.
    /// Each effect is still decided on its own.
    pub fn reported_mode(&self) -> Mode {
        if self.live_context.master_switch && self.live_context.requested == Mode::Live {
            Mode::Live
        } else {
            Mode::DryRun
        }
    }
}
