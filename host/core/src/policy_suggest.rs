//! Least-privilege suggestions (operators): the smallest grants that cover what one execution, the current
//! plan of a session, or a workflow run really used, as an edit of the policy file the server runs on.
//!
//! The trace is the audit log: every journaled effect is an audit row (`effect`, actor `plugin:<name>`,
//! target the action, detail the capability and outcome) under the correlation id of its execution or run,
//! so a suggestion reads exactly what an operator could read in `GET /api/audit`. The narrowing itself is
//! pure and lives in `drydock_policy::suggest`.

use std::path::{Path, PathBuf};

use drydock_policy::{Capability, Outcome, Suggestion, UsedEffect};
use serde::Serialize;

use crate::actor::Actor;
use crate::audit::AuditFilter;
use crate::core_error::CoreError;
use crate::service::Core;

/// At most this many pages of effect rows are read per correlation id (the runtime journals fewer).
const MAX_PAGES: usize = 50;

/// What the suggestion is computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceOf {
    /// One plan node execution (its correlation id).
    Execution(String),
    /// Every execution of the session's current plan version (its rehearsal, and live runs if any).
    Session(String),
    /// One workflow run (its tool steps).
    Run(String),
}

/// A suggestion, with where it came from.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicySuggestion {
    /// The policy file the suggestion edits.
    pub policy_file: String,
    /// The correlation ids whose effects were read.
    pub traced: Vec<String>,
    /// How many effects the trace holds.
    pub effects: usize,
    /// The suggested file, the diff and what happened to each grant.
    #[serde(flatten)]
    pub suggestion: Suggestion,
}

impl Core {
    /// Tells the core which policy file the runtime's grants came from (`None`: the server runs without
    /// one, and suggestions are refused saying so).
    pub fn set_policy_file(&self, path: Option<PathBuf>) {
        *self
            .shared
            .policy_file
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = path;
    }

    /// The smallest grants covering what `of` used (operators only).
    pub async fn suggest_policy(
        &self,
        actor: &Actor,
        of: TraceOf,
    ) -> Result<PolicySuggestion, CoreError> {
        actor.require_operator("suggesting a policy")?;
        let traced = self.traced_correlations(actor, &of).await?;
        let path = self
            .shared
            .policy_file
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
            .ok_or_else(|| CoreError::Conflict {
                code: "no_policy_file",
                message: "this server runs without a policy file (no --config and no ./drydock.toml), so \
                          nothing is granted and nothing can narrow; start it with --config FILE"
                    .into(),
            })?;
        let ids = traced.clone();
        let (trace, omitted) = self
            .store(move |s| {
                let mut trace = Vec::new();
                let mut omitted = 0u64;
                for id in &ids {
                    for row in effect_rows(s, id)? {
                        if row.action == "effects_omitted" {
                            omitted += row.detail["count"].as_u64().unwrap_or(0);
                        } else if let Some(effect) = used_effect(&row) {
                            trace.push(effect);
                        }
                    }
                }
                Ok((trace, omitted))
            })
            .await?;
        let read_path = path.clone();
        let text = tokio::task::spawn_blocking(move || std::fs::read_to_string(&read_path))
            .await
            .map_err(|err| CoreError::Internal(format!("reading the policy file failed: {err}")))?
            .map_err(|err| CoreError::Conflict {
                code: "policy_file_unreadable",
                message: format!(
                    "cannot read the policy file `{}`: {err}; a suggestion edits the file the server runs on",
                    path.display()
                ),
            })?;
        let origin = path.display().to_string();
        let base_dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let mut suggestion = drydock_policy::suggest(&text, &origin, base_dir, &trace).map_err(
            |err| CoreError::Conflict {
                code: "policy_file_invalid",
                message: format!(
                    "the policy file changed since the server started and is no longer valid: {err}"
                ),
            },
        )?;
        if omitted > 0 {
            suggestion.notes.push(format!(
                "{omitted} effects were past the journal's budget and not kept: the trace is incomplete, and \
                 the suggestion may be too narrow for them"
            ));
        }
        Ok(PolicySuggestion {
            policy_file: origin,
            traced,
            effects: trace.len(),
            suggestion,
        })
    }

    /// The correlation ids behind `of`, checked to exist and be visible (not found otherwise).
    async fn traced_correlations(
        &self,
        actor: &Actor,
        of: &TraceOf,
    ) -> Result<Vec<String>, CoreError> {
        match of {
            TraceOf::Execution(id) => {
                let execution = self.execution(actor, id).await?;
                Ok(vec![execution.correlation_id])
            }
            TraceOf::Session(id) => {
                let (plan, executions) = self.plan_executions(actor, id).await?;
                if plan.is_none() || executions.is_empty() {
                    return Err(CoreError::Conflict {
                        code: "nothing_traced",
                        message: format!(
                            "session {id} has no execution of its current plan yet: rehearse a node \
                             (POST /api/sessions/{id}/plan/execute-node) first"
                        ),
                    });
                }
                Ok(executions.into_iter().map(|e| e.correlation_id).collect())
            }
            TraceOf::Run(id) => {
                let run = self.run_view(actor, id).await?;
                Ok(vec![run.row.id])
            }
        }
    }
}

/// The `effect` and `effects_omitted` rows of one correlation id, in chain order.
fn effect_rows(
    store: &crate::Store,
    correlation_id: &str,
) -> Result<Vec<crate::audit::AuditRow>, crate::StoreError> {
    let mut rows = Vec::new();
    let mut since = None;
    for _ in 0..MAX_PAGES {
        let filter = AuditFilter {
            correlation_id: Some(correlation_id.to_owned()),
            since,
            ..AuditFilter::default()
        };
        let page = store.audit_search(&filter, crate::MAX_PAGE)?;
        let full = page.len() == crate::MAX_PAGE;
        since = page.last().map(|row| row.seq);
        rows.extend(
            page.into_iter()
                .filter(|row| row.action == "effect" || row.action == "effects_omitted"),
        );
        if !full {
            break;
        }
    }
    Ok(rows)
}

/// An `effect` audit row as the policy's suggestion reads it.
fn used_effect(row: &crate::audit::AuditRow) -> Option<UsedEffect> {
    Some(UsedEffect {
        plugin: row.actor.strip_prefix("plugin:")?.to_owned(),
        capability: row.detail["capability"]
            .as_str()?
            .parse::<Capability>()
            .ok()?,
        action: row.target.clone()?,
        outcome: serde_json::from_value::<Outcome>(row.detail["outcome"].clone()).ok()?,
    })
}
