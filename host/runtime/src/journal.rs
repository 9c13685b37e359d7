//! The record of one invocation: effects, artifacts and log lines.
//!
//! The journal is shared by the pieces of an invocation that run at different times (the wasi-http hook
//! runs on a spawned task, the fs diff runs after the guest returns), so it lives behind a mutex and every
//! writer redacts before it records. Entries are numbered in the order they were recorded; the number is what
//! a simulated HTTP response names so a plugin (and a person) can find the entry.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use drydock_policy::{Capability, Outcome};
use serde::{Deserialize, Serialize};

use crate::redact::Redactor;

/// One capability use that left (or tried to leave) the sandbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// `write notes/ABC-1.md`, `secret JIRA_TOKEN`. Redacted.
    pub action: String,
    /// What the host did.
    pub outcome: Outcome,
    /// Why, in words a person can act on. Redacted.
    pub reason: String,
    /// Capability-specific facts (status code, byte counts, diff summary). Redacted.
    pub detail: serde_json::Value,
    /// Milliseconds since the top-level invocation started.
    pub at_ms: u64,
}

/// An output kept by the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    /// Unique id (a UUID).
    pub id: String,
    /// Name given by the plugin or host, e.g. `workspace.diff`.
    pub name: String,
    /// Media type, e.g. `text/x-diff`.
    pub media_type: String,
    /// Who produced it: a plugin name, or `host` for host-made artifacts such as the dry-run diff.
    pub produced_by: String,
    /// The content, redacted.
    #[serde(with = "content_as_text_or_base64")]
    pub content: Vec<u8>,
}

/// A line the plugin logged (through `host.log`, `host.progress`, or its stdout/stderr).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// The plugin.
    pub plugin: String,
    /// `trace`, `debug`, `info`, `warn`, `error`, `progress`, `stdout` or `stderr`.
    pub level: String,
    /// The text, redacted.
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
    /// Total artifact bytes a plugin may emit.
    pub artifact_bytes: usize,
}

impl Default for RecordBudget {
    fn default() -> Self {
        Self {
            log_lines: 1000,
            log_line_bytes: 4096,
            artifacts: 32,
            artifact_bytes: 8 << 20,
        }
    }
}

/// The shared, append-only record of one top-level invocation (nested call-tool invocations append to their
/// caller's journal).
#[derive(Clone)]
pub struct Journal {
    inner: Arc<Mutex<JournalInner>>,
    started: Instant,
    budget: RecordBudget,
}

#[derive(Default)]
struct JournalInner {
    effects: Vec<Effect>,
    artifacts: Vec<Artifact>,
    artifact_bytes: usize,
    logs: Vec<LogLine>,
    dropped_log_lines: u64,
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

/// Everything a journal holds, taken out at the end of an invocation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Record {
    /// Effects in order.
    pub effects: Vec<Effect>,
    /// Artifacts in order.
    pub artifacts: Vec<Artifact>,
    /// Log lines in order.
    pub logs: Vec<LogLine>,
    /// Log lines dropped because the budget was spent.
    pub dropped_log_lines: u64,
}

impl Journal {
    /// An empty journal with the given budgets.
    pub fn new(budget: RecordBudget) -> Self {
        Self {
            inner: Arc::new(Mutex::new(JournalInner::default())),
            started: Instant::now(),
            budget,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, JournalInner> {
        // A poisoned journal still holds valid entries (every push is a single Vec::push).
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records an effect (redacting it) and returns its sequence number.
    pub fn record(&self, source: &EffectSource, redactor: &Redactor, effect: NewEffect) -> u32 {
        let at_ms = self.started.elapsed().as_millis() as u64;
        let mut inner = self.lock();
        let seq = inner.effects.len() as u32 + 1;
        inner.effects.push(Effect {
            seq,
            plugin: source.plugin.clone(),
            tool: source.tool.clone(),
            depth: source.depth,
            capability: effect.capability,
            action: redactor.text(&effect.action),
            outcome: effect.outcome,
            reason: redactor.text(&effect.reason),
            detail: redactor.json(effect.detail),
            at_ms,
        });
        seq
    }

    /// Adds facts to an effect already recorded (e.g. the status of a response that arrived later).
    pub fn amend(&self, seq: u32, redactor: &Redactor, key: &str, value: serde_json::Value) {
        let mut inner = self.lock();
        if let Some(effect) = inner.effects.get_mut(seq.saturating_sub(1) as usize)
            && let serde_json::Value::Object(map) = &mut effect.detail
        {
            map.insert(key.to_owned(), redactor.json(value));
        }
    }

    /// Keeps an artifact if the budget allows; returns its id or why not.
    pub fn add_artifact(
        &self,
        redactor: &Redactor,
        name: &str,
        media_type: &str,
        produced_by: &str,
        content: Vec<u8>,
    ) -> Result<String, String> {
        if name.trim().is_empty() {
            return Err("artifact name is empty".into());
        }
        let mut inner = self.lock();
        if inner.artifacts.len() >= self.budget.artifacts {
            return Err(format!(
                "artifact budget spent: at most {} artifacts per invocation",
                self.budget.artifacts
            ));
        }
        if inner.artifact_bytes + content.len() > self.budget.artifact_bytes {
            return Err(format!(
                "artifact budget spent: at most {} bytes of artifacts per invocation",
                self.budget.artifact_bytes
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        inner.artifact_bytes += content.len();
        inner.artifacts.push(Artifact {
            id: id.clone(),
            name: redactor.text(name),
            media_type: media_type.to_owned(),
            produced_by: produced_by.to_owned(),
            content: redactor.bytes(content),
        });
        Ok(id)
    }

    /// Keeps a log line if the budget allows, cut to the per-line budget.
    pub fn log(&self, redactor: &Redactor, plugin: &str, level: &str, message: &str) {
        let mut inner = self.lock();
        if inner.logs.len() >= self.budget.log_lines {
            inner.dropped_log_lines += 1;
            return;
        }
        let mut message = redactor.text(message);
        truncate_at_char_boundary(&mut message, self.budget.log_line_bytes);
        inner.logs.push(LogLine {
            plugin: plugin.to_owned(),
            level: level.to_owned(),
            message,
        });
    }

    /// Milliseconds since the journal was created.
    pub fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// A copy of everything recorded so far.
    pub fn snapshot(&self) -> Record {
        let inner = self.lock();
        Record {
            effects: inner.effects.clone(),
            artifacts: inner.artifacts.clone(),
            logs: inner.logs.clone(),
            dropped_log_lines: inner.dropped_log_lines,
        }
    }
}

/// Cuts `text` to at most `max` bytes without splitting a character, marking the cut.
pub fn truncate_at_char_boundary(text: &mut String, max: usize) {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("…[truncated]");
    }
}

/// Artifacts serialize as `{"text": ...}` when their content is UTF-8 and `{"base64": ...}` otherwise, so
/// the JSON a person reads shows a diff as a diff.
mod content_as_text_or_base64 {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Content {
        Text(String),
        Base64(String),
    }

    pub fn serialize<S: Serializer>(content: &[u8], s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(content) {
            Ok(text) => Content::Text(text.to_owned()).serialize(s),
            Err(_) => Content::Base64(base64_encode(content)).serialize(s),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        match Content::deserialize(d)? {
            Content::Text(text) => Ok(text.into_bytes()),
            Content::Base64(b64) => base64_decode(&b64).map_err(serde::de::Error::custom),
        }
    }

    fn base64_encode(bytes: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn base64_decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.decode(text)
    }
}
