//! Rehearsal-bound live runs: a live write may happen only if the approved rehearsal showed it.
//!
//! The core hands a live execution of an approved plan node a [`RehearsalBinding`]: the multiset of writes
//! its rehearsal showed ([`RehearsedEffects`]) and a [`ReviewDesk`] to ask a person. The http and fs gates
//! call [`check_live_write`] once a write was decided `live`; a rehearsed write consumes one match and goes
//! ahead. Anything else is **not performed**: it is journaled `denied` with reason `not rehearsed`, and the
//! gate waits for the desk's answer (the execution is `needs_review` meanwhile). *Allow once* performs
//! exactly that write, journaled again as `live` with who allowed it; *stop* leaves it denied.
//!
//! Why the gate waits (instead of ending the invocation and having the host replay the request later):
//! the plugin gets the real answer of the real request, nothing that was denied is kept outside the
//! journal (a request may carry secrets), and the write happens in the same order as in the plugin. The
//! wait does not count against the invocation's deadline: the binding's clock adds every pause to it
//! ([`RehearsalBinding::paused_total`], read by [`crate::CallContext::effective_deadline`]), and the desk
//! bounds the wait itself.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use drydock_policy::{
    Capability, Decision, EffectFingerprint, HttpRequest, Outcome, RehearsedEffects,
};
use serde::Serialize;
use serde_json::Value;

use crate::context::CallContext;
use crate::journal::NewEffect;

/// A write a live run was about to perform that the rehearsal did not show, as a person reviews it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldEffect {
    /// The journal entry that records it as denied (absent when the journal was full).
    pub seq: Option<u32>,
    /// The plugin that asked for it.
    pub plugin: String,
    /// The tool that was running.
    pub tool: String,
    /// `http` or `fs`.
    pub capability: Capability,
    /// What it is, e.g. `POST http://…/x` (redacted).
    pub action: String,
    /// What was compared with the rehearsal.
    pub fingerprint: EffectFingerprint,
    /// Facts for the reviewer (header names, body size and excerpt; redacted like the journal's).
    pub detail: Value,
}

/// What a person decided about a held write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewDecision {
    /// Perform this one write.
    AllowOnce {
        /// Who allowed it.
        by: String,
    },
    /// Do not perform it; the execution stops.
    Stop {
        /// Why, in words (who stopped it, or that nobody answered in time).
        reason: String,
    },
}

/// Where held writes wait for a person. The core's implementation marks the execution `needs_review`,
/// records an event and an audit row, and answers when an operator decides (or its wait runs out).
pub trait ReviewDesk: Send + Sync {
    /// Holds `held` until someone decides; must resolve within a bounded time.
    fn hold(&self, held: HeldEffect) -> Pin<Box<dyn Future<Output = ReviewDecision> + Send>>;
}

/// The writes one live execution of a plan node may perform, and where the others go.
pub struct RehearsalBinding {
    rehearsed: Mutex<RehearsedEffects>,
    desk: Arc<dyn ReviewDesk>,
    clock: Mutex<PauseClock>,
}

/// Time spent waiting for reviews; several holds may overlap (concurrent requests of one plugin).
#[derive(Default)]
struct PauseClock {
    total: Duration,
    waiting: u32,
    since: Option<Instant>,
}

impl RehearsalBinding {
    /// A binding to `rehearsed`, asking `desk` about anything else.
    pub fn new(rehearsed: RehearsedEffects, desk: Arc<dyn ReviewDesk>) -> Arc<Self> {
        Arc::new(Self {
            rehearsed: Mutex::new(rehearsed),
            desk,
            clock: Mutex::new(PauseClock::default()),
        })
    }

    /// How much time was spent waiting for reviews so far, including a wait under way.
    pub fn paused_total(&self) -> Duration {
        let clock = lock(&self.clock);
        clock.total + clock.since.map_or(Duration::ZERO, |since| since.elapsed())
    }

    /// Whether a review is under way.
    pub fn is_paused(&self) -> bool {
        lock(&self.clock).waiting > 0
    }

    /// How many rehearsed writes are still unused.
    pub fn remaining(&self) -> usize {
        lock(&self.rehearsed).len()
    }

    fn take(&self, fingerprint: &EffectFingerprint) -> bool {
        lock(&self.rehearsed).take(fingerprint)
    }

    async fn review(&self, held: HeldEffect) -> ReviewDecision {
        let _pause = Pause::begin(&self.clock);
        self.desk.hold(held).await
    }
}

/// One wait for a review; ends when dropped (also when the waiting future is dropped: a stopped call).
struct Pause<'a>(&'a Mutex<PauseClock>);

impl<'a> Pause<'a> {
    fn begin(clock: &'a Mutex<PauseClock>) -> Self {
        let mut state = lock(clock);
        if state.waiting == 0 {
            state.since = Some(Instant::now());
        }
        state.waiting += 1;
        Pause(clock)
    }
}

impl Drop for Pause<'_> {
    fn drop(&mut self) {
        let mut state = lock(self.0);
        state.waiting -= 1;
        if state.waiting == 0
            && let Some(since) = state.since.take()
        {
            state.total += since.elapsed();
        }
    }
}

impl std::fmt::Debug for RehearsalBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RehearsalBinding")
            .field("remaining", &self.remaining())
            .field("paused", &self.is_paused())
            .finish()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the gate does with a write decided `live`.
pub(crate) enum LiveCheck {
    /// Go ahead; the journal's reason gets this appended.
    Perform(String),
    /// Not performed: already journaled `denied`.
    Refused,
}

/// The one hook of the gates: `fingerprint` was decided live. Without a binding (not a plan node) nothing
/// changes. A rehearsed write consumes a match; any other is journaled `denied` (`not rehearsed`) and held
/// for review.
pub(crate) async fn check_live_write(
    ctx: &CallContext,
    capability: Capability,
    action: &str,
    fingerprint: Option<&EffectFingerprint>,
    detail: &Value,
) -> LiveCheck {
    let Some(binding) = &ctx.binding else {
        return LiveCheck::Perform(String::new());
    };
    let Some(fingerprint) = fingerprint else {
        // Without a fingerprint nothing can match; refusing is the safe side.
        deny(
            ctx,
            capability,
            action,
            detail,
            "not rehearsed: the write has no fingerprint to compare",
        );
        return LiveCheck::Refused;
    };
    if binding.take(fingerprint) {
        return LiveCheck::Perform(
            "; rehearsed: it matches a write of the approved rehearsal".into(),
        );
    }
    let reason = format!(
        "not rehearsed: the approved rehearsal did not show {fingerprint} (or not this many times); \
         not performed, held for an operator's review"
    );
    let seq = deny(ctx, capability, action, detail, &reason);
    let held = HeldEffect {
        seq,
        plugin: ctx.plugin().to_owned(),
        tool: ctx.source.tool.clone(),
        capability,
        action: ctx.redactor.text(action),
        fingerprint: fingerprint.clone(),
        detail: ctx.redactor.json(detail.clone()),
    };
    match binding.review(held).await {
        ReviewDecision::AllowOnce { by } => {
            let entry = seq.map_or_else(String::new, |seq| format!(" (effect #{seq})"));
            LiveCheck::Perform(format!(
                "; not rehearsed{entry}, allowed once by operator `{by}` after review"
            ))
        }
        ReviewDecision::Stop { reason } => {
            ctx.journal.log(
                &ctx.redactor,
                ctx.plugin(),
                "warn",
                &format!("a write that was not rehearsed stays unperformed: {reason}"),
            );
            LiveCheck::Refused
        }
    }
}

fn deny(
    ctx: &CallContext,
    capability: Capability,
    action: &str,
    detail: &Value,
    reason: &str,
) -> Option<u32> {
    ctx.journal.record(
        &ctx.source,
        &ctx.redactor,
        NewEffect {
            capability,
            action: action.to_owned(),
            outcome: Outcome::Denied,
            reason: reason.to_owned(),
            detail: detail.clone(),
        },
    )
}

/// `fingerprint` as the journal keeps it: its target redacted, so a secret in a URL is never recorded and
/// a dry run and a live run (both redacting the same way) still compare equal.
pub(crate) fn redacted(ctx: &CallContext, mut fingerprint: EffectFingerprint) -> EffectFingerprint {
    fingerprint.target = ctx.redactor.text(&fingerprint.target);
    fingerprint
}

/// The fingerprint of an HTTP request decided as a write (`None` for reads and denials: they are not bound).
pub(crate) fn http_fingerprint(
    ctx: &CallContext,
    decision: &Decision,
    request: &HttpRequest,
) -> Option<EffectFingerprint> {
    if !matches!(decision.outcome, Outcome::Simulated | Outcome::Live) {
        return None;
    }
    EffectFingerprint::of_http(ctx.plugin(), request).map(|fp| redacted(ctx, fp))
}

/// Adds `fingerprint` to a journal entry's detail (as `fingerprint`), where a rehearsal is read from.
pub(crate) fn note_fingerprint(detail: &mut Value, fingerprint: Option<&EffectFingerprint>) {
    if let (Some(fingerprint), Value::Object(map)) = (fingerprint, detail) {
        map.insert(
            "fingerprint".to_owned(),
            serde_json::to_value(fingerprint).unwrap_or_default(),
        );
    }
}
