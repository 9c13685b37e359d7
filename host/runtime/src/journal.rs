//! The record of one invocation: effects, artifacts and log lines, and the host memory they take.
//!
//! The journal is shared by the pieces of an invocation that run at different times (the wasi-http hook
//! runs on a spawned task, the fs diff runs after the guest returns), so it lives behind a mutex and every
//! writer redacts before it records. Entries are numbered in the order they were recorded; the number is what
//! a simulated HTTP response names so a plugin (and a person) can find the entry.
//!
//! Everything a plugin can make the host keep is bounded, because one plugin must not be able to take the
//! server down through its record:
//! - **effects**: each field is cut (redacted first), and the first [`RecordBudget::effects`] entries, up to
//!   [`RecordBudget::effect_bytes`] bytes, are kept. Past that, effects are counted in
//!   [`Record::omitted_effects`], and an effect that has not happened yet is **refused** ([`Journal::admit`]):
//!   nothing leaves the sandbox that the journal does not show.
//! - **artifacts**: a bounded count and size; names and media types are checked and bounded too.
//! - **log lines**: a bounded count, each cut; the rest is counted.
//! - **host memory**: all of the above, plus the diff and the result, are charged to the invocation's host
//!   memory budget ([`crate::Limits::host_memory_bytes`]). Going past it ends the invocation with a
//!   `host_memory_limit` error ([`Journal::host_breach`]).
//!
//! Every secret of every plugin that took part in the invocation is redacted once more when the record is
//! taken out ([`Journal::snapshot`]), so a secret that moved between plugins of a call-tool chain (through
//! an argument, a shared directory or a granted server) is not in the record under any of their names.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use drydock_policy::{Capability, Outcome};
use serde::{Deserialize, Serialize};

use crate::error::LimitBreach;
use crate::redact::Redactor;

mod artifact;
mod record;

pub use artifact::{Artifact, MEDIA_TYPE_MAX_BYTES};
use artifact::{check_artifact_name, check_media_type};
pub use record::Record;
use record::{Keep, redact_record};

/// One capability use that left (or tried to leave) the sandbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Effect {
    /// Position in the journal of the top-level invocation, from 1.
    pub seq: u32,
    /// The plugin that caused it.
    pub plugin: String,
    /// The tool that was running.
    pub tool: String,
    /// call-tool nesting depth: 0 for the invoked tool, 1 for a tool it called, and so on.
    pub depth: u32,
    /// Which capability.
    pub capability: Capability,
    /// What was attempted, e.g. `POST https://jira.example.com/rest/api/2/issue/X/comment`,
    /// `write notes/ABC-1.md`, `secret JIRA_TOKEN`. Redacted and bounded.
    pub action: String,
    /// What the host did.
    pub outcome: Outcome,
    /// Why, in words a person can act on. Redacted and bounded.
    pub reason: String,
    /// Capability-specific facts (status code, byte counts, diff summary). Redacted and bounded.
    pub detail: serde_json::Value,
    /// Milliseconds since the top-level invocation started.
    #[serde(alias = "at_ms")]
    pub at_ms: u64,
}

/// Effects the journal did not keep because its budget was spent, counted by capability and outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OmittedEffects {
    /// Which capability.
    pub capability: Capability,
    /// What happened: `denied` for effects refused because they could not be journaled; `simulated` or
    /// `live` for file changes that happened (they are in the diff artifact).
    pub outcome: Outcome,
    /// How many.
    pub count: u64,
}

/// A line the plugin logged (through `host.log`, `host.progress`, or its stdout/stderr).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// The plugin.
    pub plugin: String,
    /// `trace`, `debug`, `info`, `warn`, `error`, `progress`, `stdout` or `stderr`.
    pub level: String,
    /// The text, redacted and cut to [`RecordBudget::log_line_bytes`].
    pub message: String,
}

/// Budgets for what one invocation may record, so a hostile plugin cannot exhaust host memory through them.
#[derive(Debug, Clone, Copy)]
pub struct RecordBudget {
    /// Log lines kept; later ones are counted in `dropped_log_lines`.
    pub log_lines: usize,
    /// Bytes of one log line kept (longer lines are cut).
    pub log_line_bytes: usize,
    /// Artifacts a plugin may emit.
    pub artifacts: usize,
    /// Total artifact bytes (content, name and media type) an invocation may keep.
    pub artifact_bytes: usize,
    /// Longest artifact name, in bytes.
    pub artifact_name_bytes: usize,
    /// Effects kept in full; later ones are counted in [`Record::omitted_effects`].
    pub effects: usize,
    /// Total bytes of kept effects.
    pub effect_bytes: usize,
    /// Longest `action` or `reason` of one effect, in bytes (longer ones are cut).
    pub effect_text_bytes: usize,
    /// Largest `detail` of one effect, as JSON text (a larger one is replaced by a note).
    pub effect_detail_bytes: usize,
}

impl Default for RecordBudget {
    fn default() -> Self {
        Self {
            log_lines: 1000,
            log_line_bytes: 4096,
            artifacts: 32,
            artifact_bytes: 8 << 20,
            artifact_name_bytes: 256,
            effects: 1000,
            effect_bytes: 4 << 20,
            effect_text_bytes: 2048,
            effect_detail_bytes: 8192,
        }
    }
}

/// What one kept effect costs beyond its text, in bytes (ids, numbers, the struct itself).
const EFFECT_OVERHEAD_BYTES: usize = 160;

/// The shared, append-only record of one top-level invocation (nested call-tool invocations append to their
/// caller's journal).
#[derive(Clone)]
pub struct Journal {
    inner: Arc<Mutex<JournalInner>>,
    started: Instant,
    budget: RecordBudget,
}

struct JournalInner {
    effects: Vec<Effect>,
    effect_bytes: usize,
    omitted: BTreeMap<(Capability, Outcome), u64>,
    artifacts: Vec<Artifact>,
    /// Artifacts and bytes of them that plugins emitted (host-made ones are not counted here).
    plugin_artifacts: usize,
    artifact_bytes: usize,
    logs: Vec<LogLine>,
    dropped_log_lines: u64,
    host: HostMemory,
    /// Every secret of every plugin that took part, for the last redaction pass.
    chain: Redactor,
}

/// The host memory one invocation's record may take, and the first time it was exceeded.
struct HostMemory {
    limit: u64,
    used: u64,
    breach: Option<LimitBreach>,
}

/// Where an effect came from; fixed for one (possibly nested) invocation.
#[derive(Debug, Clone)]
pub struct EffectSource {
    /// The plugin.
    pub plugin: String,
    /// The tool.
    pub tool: String,
    /// call-tool depth.
    pub depth: u32,
}

/// A new effect, before the journal numbers it.
#[derive(Debug, Clone)]
pub struct NewEffect {
    /// Which capability.
    pub capability: Capability,
    /// What was attempted.
    pub action: String,
    /// What the host did.
    pub outcome: Outcome,
    /// Why.
    pub reason: String,
    /// Capability-specific facts.
    pub detail: serde_json::Value,
}

impl Journal {
    /// An empty journal with the given budgets and a host memory limit of `host_memory_bytes`.
    pub fn new(budget: RecordBudget, host_memory_bytes: u64) -> Self {
        Self {
            inner: Arc::new(Mutex::new(JournalInner {
                effects: Vec::new(),
                effect_bytes: 0,
                omitted: BTreeMap::new(),
                artifacts: Vec::new(),
                plugin_artifacts: 0,
                artifact_bytes: 0,
                logs: Vec::new(),
                dropped_log_lines: 0,
                host: HostMemory {
                    limit: host_memory_bytes,
                    used: 0,
                    breach: None,
                },
                chain: Redactor::default(),
            })),
            started: Instant::now(),
            budget,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, JournalInner> {
        // A poisoned journal still holds valid entries (every change is a push or a counter).
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sets the host memory limit (the top-level plugin's, from the policy) before anything is recorded.
    pub fn set_host_memory_limit(&self, bytes: u64) {
        self.lock().host.limit = bytes;
    }

    /// Registers the secrets of a plugin taking part in the invocation, for the final redaction pass.
    pub fn involve(&self, redactor: &Redactor) {
        if redactor.is_empty() {
            return;
        }
        let mut inner = self.lock();
        inner.chain = inner.chain.merged(redactor);
    }

    /// Every secret of every plugin that took part so far.
    pub fn chain_redactor(&self) -> Redactor {
        self.lock().chain.clone()
    }

    /// Records an effect that happened or was denied (redacting and bounding it) and returns its sequence
    /// number, or `None` when the journal's budget is spent (then it is counted under its outcome).
    pub fn record(
        &self,
        source: &EffectSource,
        redactor: &Redactor,
        effect: NewEffect,
    ) -> Option<u32> {
        let outcome = effect.outcome;
        self.keep(source, redactor, effect, outcome)
    }

    /// Records an effect that is *about to happen*. `None` means it could not be journaled and must not
    /// happen: the caller refuses it, and it is counted as denied.
    pub fn admit(
        &self,
        source: &EffectSource,
        redactor: &Redactor,
        effect: NewEffect,
    ) -> Option<u32> {
        self.keep(source, redactor, effect, Outcome::Denied)
    }

    fn keep(
        &self,
        source: &EffectSource,
        redactor: &Redactor,
        effect: NewEffect,
        outcome_if_omitted: Outcome,
    ) -> Option<u32> {
        let at_ms = self.started.elapsed().as_millis() as u64;
        let max_text = self.budget.effect_text_bytes;
        let action = redactor.text_then_cut(&effect.action, max_text);
        let reason = redactor.text_then_cut(&effect.reason, max_text);
        let (detail, detail_bytes) = bounded_detail(
            redactor.json(effect.detail),
            self.budget.effect_detail_bytes,
        );
        let size = EFFECT_OVERHEAD_BYTES
            + action.len()
            + reason.len()
            + detail_bytes
            + source.plugin.len()
            + source.tool.len();
        let mut inner = self.lock();
        // Once one effect was left out, every later one is too: the kept effects are always the first ones,
        // so a small effect cannot slip in (and happen) after a large one was refused.
        let full = !inner.omitted.is_empty()
            || inner.effects.len() >= self.budget.effects
            || inner.effect_bytes + size > self.budget.effect_bytes;
        if full || !inner.charge(size as u64, "the effect journal") {
            *inner
                .omitted
                .entry((effect.capability, outcome_if_omitted))
                .or_default() += 1;
            return None;
        }
        let seq = inner.effects.len() as u32 + 1;
        inner.effect_bytes += size;
        inner.effects.push(Effect {
            seq,
            plugin: source.plugin.clone(),
            tool: source.tool.clone(),
            depth: source.depth,
            capability: effect.capability,
            action,
            outcome: effect.outcome,
            reason,
            detail,
            at_ms,
        });
        Some(seq)
    }

    /// Adds facts to an effect already recorded (e.g. the status of a response that arrived later).
    pub fn amend(&self, seq: u32, redactor: &Redactor, key: &str, value: serde_json::Value) {
        let (value, value_bytes) =
            bounded_detail(redactor.json(value), self.budget.effect_text_bytes);
        let size = key.len() + value_bytes;
        let mut inner = self.lock();
        if !inner.charge(size as u64, "the effect journal") {
            return;
        }
        inner.effect_bytes += size;
        if let Some(effect) = inner.effects.get_mut(seq.saturating_sub(1) as usize)
            && let serde_json::Value::Object(map) = &mut effect.detail
        {
            map.insert(key.to_owned(), value);
        }
    }

    /// Keeps an artifact a plugin emitted, if its name and media type are acceptable and the budgets allow;
    /// returns its id or why not. A refusal because the host memory budget is spent is also a
    /// [`Journal::host_breach`].
    pub fn add_artifact(
        &self,
        redactor: &Redactor,
        name: &str,
        media_type: &str,
        produced_by: &str,
        content: Vec<u8>,
    ) -> Result<String, String> {
        self.keep_artifact(redactor, name, media_type, produced_by, content, true)
    }

    /// Keeps an artifact the host made (the fs diff): not counted against the plugin's artifact budget, so
    /// a plugin cannot crowd it out, but charged to the host memory budget like everything else.
    pub fn add_host_artifact(
        &self,
        redactor: &Redactor,
        name: &str,
        media_type: &str,
        content: Vec<u8>,
    ) -> Result<String, String> {
        self.keep_artifact(redactor, name, media_type, "host", content, false)
    }

    fn keep_artifact(
        &self,
        redactor: &Redactor,
        name: &str,
        media_type: &str,
        produced_by: &str,
        content: Vec<u8>,
        plugin_budget: bool,
    ) -> Result<String, String> {
        check_artifact_name(name, self.budget.artifact_name_bytes)?;
        check_media_type(media_type)?;
        let size = content.len() + name.len() + media_type.len();
        if plugin_budget {
            self.lock().check_artifact_budget(&self.budget, size)?;
        }
        // Redaction works on a copy; do it outside the lock.
        let artifact = Artifact {
            id: uuid::Uuid::new_v4().to_string(),
            name: redactor.text(name),
            media_type: redactor.text(media_type),
            produced_by: produced_by.to_owned(),
            content: redactor.bytes(content),
        };
        let mut inner = self.lock();
        if plugin_budget {
            inner.check_artifact_budget(&self.budget, size)?;
        }
        if !inner.charge(size as u64, "artifacts") {
            return Err(inner.breach_text());
        }
        let id = artifact.id.clone();
        if plugin_budget {
            inner.artifact_bytes += size;
            inner.plugin_artifacts += 1;
        }
        inner.artifacts.push(artifact);
        Ok(id)
    }

    /// Keeps a log line if the budget allows, redacted then cut to the per-line budget.
    pub fn log(&self, redactor: &Redactor, plugin: &str, level: &str, message: &str) {
        {
            let mut inner = self.lock();
            if inner.logs.len() >= self.budget.log_lines {
                inner.dropped_log_lines += 1;
                return;
            }
        }
        let message = redactor.text_then_cut(message, self.budget.log_line_bytes);
        let mut inner = self.lock();
        let size = message.len() + plugin.len() + level.len();
        if inner.logs.len() >= self.budget.log_lines || !inner.charge(size as u64, "log lines") {
            inner.dropped_log_lines += 1;
            return;
        }
        inner.logs.push(LogLine {
            plugin: plugin.to_owned(),
            level: level.to_owned(),
            message,
        });
    }

    /// Charges `bytes` held by the host for this invocation outside the record (the tool's result, a
    /// diff being built); `false` when that goes past the host memory budget (a breach is remembered).
    pub fn charge(&self, bytes: u64, what: &str) -> bool {
        self.lock().charge(bytes, what)
    }

    /// Charges the tool's result (`bytes`, 0 when there is none to keep) in the same look that tells whether
    /// the budget was spent during the call: the breach, if there is one.
    pub fn charge_result(&self, bytes: u64) -> Result<(), LimitBreach> {
        let mut inner = self.lock();
        if let Some(breach) = &inner.host.breach {
            return Err(breach.clone());
        }
        if bytes > 0 && !inner.charge(bytes, "the result") {
            return Err(inner
                .host
                .breach
                .clone()
                .expect("a refused charge records its breach"));
        }
        Ok(())
    }

    /// Gives back bytes charged with [`Journal::charge`] that the host no longer holds.
    pub fn release(&self, bytes: u64) {
        let mut inner = self.lock();
        inner.host.used = inner.host.used.saturating_sub(bytes);
    }

    /// The host memory limit, if the invocation went past it.
    pub fn host_breach(&self) -> Option<LimitBreach> {
        self.lock().host.breach.clone()
    }

    /// Milliseconds since the journal was created.
    pub fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// A copy of everything recorded so far, redacted once more with every secret of every plugin that took
    /// part in the invocation.
    pub fn snapshot(&self) -> Record {
        self.read_out(Keep::Copy).0
    }

    /// Ends the journal: what it recorded, redacted as by [`Journal::snapshot`], and every secret of the
    /// call chain (to redact the outcome with). The entries are moved out, not copied, so a later snapshot
    /// finds them gone; the invocation calls this once, when everything it started has ended.
    pub fn finish(&self) -> (Record, Redactor) {
        self.read_out(Keep::Take)
    }

    fn read_out(&self, keep: Keep) -> (Record, Redactor) {
        let mut inner = self.lock();
        let record = inner.record(keep);
        let chain = inner.chain.clone();
        drop(inner);
        (redact_record(&chain, record), chain)
    }
}

impl JournalInner {
    /// Charges `bytes` to the host memory budget; `false` (and a remembered breach) when it would go past.
    fn charge(&mut self, bytes: u64, what: &str) -> bool {
        let host = &mut self.host;
        if host.breach.is_some() {
            return false;
        }
        if host.used + bytes > host.limit {
            host.breach = Some(LimitBreach::HostMemory {
                limit_bytes: host.limit,
                needed_bytes: host.used + bytes,
                by: what.to_owned(),
            });
            return false;
        }
        host.used += bytes;
        true
    }

    fn check_artifact_budget(&self, budget: &RecordBudget, size: usize) -> Result<(), String> {
        if self.plugin_artifacts >= budget.artifacts {
            return Err(format!(
                "artifact budget spent: at most {} artifacts per invocation",
                budget.artifacts
            ));
        }
        if self.artifact_bytes + size > budget.artifact_bytes {
            return Err(format!(
                "artifact budget spent: at most {} bytes of artifacts (content, names and media types) per \
                 invocation; {} are used and this one needs {size}",
                budget.artifact_bytes, self.artifact_bytes
            ));
        }
        Ok(())
    }

    fn breach_text(&self) -> String {
        self.host.breach.as_ref().map_or_else(
            || "host memory budget spent".to_owned(),
            |b| format!("it {b}"),
        )
    }
}

/// `detail`, or a note saying how large it was when its JSON text is over `max` bytes.
/// Also answers the size of the JSON text of what it returns, so callers do not serialise it again.
fn bounded_detail(detail: serde_json::Value, max: usize) -> (serde_json::Value, usize) {
    let size = detail.to_string().len();
    if size <= max {
        return (detail, size);
    }
    let note = serde_json::json!({
        "omitted": format!("{size} bytes of detail, over the {max}-byte limit per effect")
    });
    let note_size = note.to_string().len();
    (note, note_size)
}

#[cfg(test)]
mod tests;
