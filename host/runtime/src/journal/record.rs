//! The record as it leaves the journal: copied for a snapshot, or moved out when the invocation ends, and
//! redacted once more with every secret of the call chain either way.

use serde::{Deserialize, Serialize};

use super::{Artifact, Effect, JournalInner, LogLine, OmittedEffects};
use crate::redact::Redactor;

/// Everything a journal holds, taken out at the end of an invocation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// Effects in order.
    pub effects: Vec<Effect>,
    /// Effects not kept because the journal's budget was spent (see [`OmittedEffects`]).
    #[serde(default, alias = "omitted_effects")]
    pub omitted_effects: Vec<OmittedEffects>,
    /// Artifacts in order.
    pub artifacts: Vec<Artifact>,
    /// Log lines in order.
    pub logs: Vec<LogLine>,
    /// Log lines dropped because the budget was spent.
    #[serde(alias = "dropped_log_lines")]
    pub dropped_log_lines: u64,
}

impl Record {
    /// How many effects were omitted in all.
    pub fn omitted_effect_count(&self) -> u64 {
        self.omitted_effects.iter().map(|o| o.count).sum()
    }
}

/// Whether reading the record leaves the entries in the journal.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Keep {
    Copy,
    Take,
}

impl JournalInner {
    /// The record as it stands, copied or taken out.
    pub(super) fn record(&mut self, keep: Keep) -> Record {
        fn out<T: Clone>(entries: &mut Vec<T>, keep: Keep) -> Vec<T> {
            match keep {
                Keep::Copy => entries.clone(),
                Keep::Take => std::mem::take(entries),
            }
        }
        Record {
            effects: out(&mut self.effects, keep),
            omitted_effects: self
                .omitted
                .iter()
                .map(|(&(capability, outcome), &count)| OmittedEffects {
                    capability,
                    outcome,
                    count,
                })
                .collect(),
            artifacts: out(&mut self.artifacts, keep),
            logs: out(&mut self.logs, keep),
            dropped_log_lines: self.dropped_log_lines,
        }
    }
}

/// Every text of `record` redacted with `redactor` (nothing to do when it is empty).
pub(super) fn redact_record(redactor: &Redactor, mut record: Record) -> Record {
    if redactor.is_empty() {
        return record;
    }
    for effect in &mut record.effects {
        effect.action = redactor.text(&effect.action);
        effect.reason = redactor.text(&effect.reason);
        effect.detail = redactor.json(std::mem::take(&mut effect.detail));
    }
    for artifact in &mut record.artifacts {
        artifact.name = redactor.text(&artifact.name);
        artifact.media_type = redactor.text(&artifact.media_type);
        artifact.content = redactor.bytes(std::mem::take(&mut artifact.content));
    }
    for line in &mut record.logs {
        line.message = redactor.text(&line.message);
    }
    record
}
