//! Rehearsals: the contract between what a person approved and what a live run may do.
//!
//! The rehearsal of a plan version is the newest completed dry run of each of its nodes ([`report`]). Its
//! report ("what will change": every simulated write grouped by node, capability and target, with the file
//! diffs) has a hash, and approving a plan binds that hash and the fingerprints of the writes it showed
//! ([`crate::Store::approve_plan_bound`]). A live run then needs both to hold:
//! - every node it runs had a rehearsal when the plan was approved (`409 rehearsal_missing`, naming them);
//! - the rehearsal is still the approved one: a dry run after approval that shows other writes makes the
//!   approval stale for live (`409 rehearsal_changed`), like a changed plan.
//!
//! During the run each node gets the writes frozen for it; the runtime performs a live write only if it
//! matches one of them (each match used once), and holds any other for an operator ([`review`]).

use std::collections::BTreeMap;

use drydock_policy::RehearsedEffects;

use crate::actor::Actor;
use crate::core_error::CoreError;
use crate::service::Core;
use crate::store::PlanRow;

pub mod report;
pub mod review;

pub(crate) use report::report_of;
pub use report::{NodeRehearsal, RehearsalReport};
pub use review::{ReviewChoice, Reviews};

impl Core {
    /// The "what will change" report of the session's current plan (owner or operator; not found otherwise).
    pub async fn plan_rehearsal(
        &self,
        actor: &Actor,
        session_id: &str,
    ) -> Result<RehearsalReport, CoreError> {
        let (_, plan) = self.session_and_plan(actor, session_id).await?;
        self.rehearsal_of(plan).await
    }

    /// The rehearsal report of one plan version.
    pub(crate) async fn rehearsal_of(&self, plan: PlanRow) -> Result<RehearsalReport, CoreError> {
        self.store(move |s| s.read(|conn| report_of(conn, &plan)))
            .await
    }

    /// For a live run of `node_ids` of the approved `plan`: the writes its approval froze for each node, or
    /// `409 rehearsal_missing` / `409 rehearsal_changed`.
    pub(crate) async fn rehearsed_writes(
        &self,
        plan: &PlanRow,
        node_ids: &[String],
    ) -> Result<BTreeMap<String, RehearsedEffects>, CoreError> {
        let bound = plan.approved_rehearsal.clone().unwrap_or_default();
        let mut frozen = BTreeMap::new();
        let mut missing = Vec::new();
        for node_id in node_ids {
            match report::frozen_for(&bound, node_id) {
                Some(fingerprints) => {
                    frozen.insert(node_id.clone(), RehearsedEffects::new(fingerprints));
                }
                None => missing.push(node_id.clone()),
            }
        }
        if !missing.is_empty() {
            return Err(rehearsal_missing(&missing));
        }
        let current = self.rehearsal_of(plan.clone()).await?;
        if plan.approved_rehearsal_hash.as_deref() != Some(current.hash.as_str()) {
            return Err(CoreError::Conflict {
                code: "rehearsal_changed",
                message: format!(
                    "the rehearsal changed since the plan was approved (approved rehearsal {}, now {}): a dry run \
                     after approval showed other writes; review GET .../plan/rehearsal and approve the plan again",
                    short(plan.approved_rehearsal_hash.as_deref().unwrap_or("none")),
                    short(&current.hash)
                ),
            });
        }
        Ok(frozen)
    }

    /// Before approving `plan` for a live run (the chat face approves and runs in one step): every node
    /// must have a rehearsal, or nothing is approved (`409 rehearsal_missing`).
    pub(crate) async fn require_rehearsed(&self, plan: &PlanRow) -> Result<(), CoreError> {
        let report = self.rehearsal_of(plan.clone()).await?;
        if report.missing.is_empty() {
            Ok(())
        } else {
            Err(rehearsal_missing(&report.missing))
        }
    }
}

fn rehearsal_missing(nodes: &[String]) -> CoreError {
    CoreError::Conflict {
        code: "rehearsal_missing",
        message: format!(
            "a live run may only do what its approved rehearsal showed, and the approval holds no rehearsal of \
             node(s) {}: run them as a dry run (execute-node with mode dry-run), check GET .../plan/rehearsal, \
             then approve the plan again",
            nodes.join(", ")
        ),
    }
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}
