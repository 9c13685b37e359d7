//! Plans: versioned, immutable content with a lifecycle status and an approval that freezes the content hash.
//!
//! A plan's content never changes once stored; a modified plan is a new version (previous max + 1) and
//! becomes the session's current plan. Approval records `approved_hash = content_hash`, like a saved
//! Terraform plan: only the current version can be approved, and what was approved is exactly what runs.

use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::canonical::{canonical_json, content_hash};
use crate::stamp::{new_id, now};
use crate::store::rows::{json_column, parsed_column, query_all, query_one, require};
use crate::text_enum::named_enum;
use crate::{Store, StoreError};

named_enum! {
    /// Where a plan is in its lifecycle: `draft → pending_approval → approved → executing → completed |
    /// failed | cancelled`.
    pub enum PlanStatus ("plan status") {
        /// Being written or edited; not yet submitted.
        Draft => "draft",
        /// Waiting for a person to approve it.
        PendingApproval => "pending_approval",
        /// Approved; its content hash is frozen in `approved_hash`.
        Approved => "approved",
        /// Nodes are running.
        Executing => "executing",
        /// Every node finished.
        Completed => "completed",
        /// A node failed.
        Failed => "failed",
        /// Abandoned.
        Cancelled => "cancelled",
    }
}

/// One version of a session's plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRow {
    /// UUID v4 (each version has its own id).
    pub id: String,
    /// The session it belongs to.
    pub session_id: String,
    /// 1 for the first plan of a session, then previous max + 1.
    pub version: u32,
    /// Lifecycle status.
    pub status: PlanStatus,
    /// The plan document (nodes, steps), as stored.
    pub content: Value,
    /// SHA-256 hex of the canonical JSON of `content` ([`crate::content_hash`]).
    pub content_hash: String,
    /// The `content_hash` at approval; `None` until approved.
    pub approved_hash: Option<String>,
    /// Who approved (as the caller named them, normally the username).
    pub approved_by: Option<String>,
    /// When it was approved, RFC 3339 UTC.
    pub approved_at: Option<String>,
    /// The hash of the rehearsal report the approval bound ([`crate::rehearsals`]); `None` until approved.
    pub approved_rehearsal_hash: Option<String>,
    /// What the approval froze of the rehearsal: per node, the fingerprints of the writes it showed.
    pub approved_rehearsal: Option<Value>,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// RFC 3339 UTC; bumped on every status change.
    pub updated_at: String,
}

/// Every column, in [`PlanRow`] order.
const COLUMNS: &str = "id, session_id, version, status, content, content_hash, approved_hash, \
                       approved_by, approved_at, created_at, updated_at, approved_rehearsal_hash, \
                       approved_rehearsal";

impl Store {
    /// Stores `content` as the session's next plan version and makes it the current plan, in one
    /// transaction. A new version starts as `Draft` or `PendingApproval` (anything else is `Invalid`: an
    /// approval must go through [`Store::approve_plan`]). Older versions keep their status.
    pub fn insert_plan(
        &self,
        session_id: &str,
        content: &Value,
        status: PlanStatus,
    ) -> Result<PlanRow, StoreError> {
        if !matches!(status, PlanStatus::Draft | PlanStatus::PendingApproval) {
            return Err(StoreError::Invalid(format!(
                "a new plan version starts as draft or pending_approval, not {status}"
            )));
        }
        let stamp = now();
        self.write(|tx| {
            require(
                tx,
                "SELECT 1 FROM sessions WHERE id = ?1",
                session_id,
                || format!("session {session_id}"),
            )?;
            let previous: u32 = tx.query_row(
                "SELECT coalesce(max(version), 0) FROM plans WHERE session_id = ?1",
                [session_id],
                |row| row.get(0),
            )?;
            let plan = PlanRow {
                id: new_id(),
                session_id: session_id.to_owned(),
                version: previous + 1,
                status,
                content: content.clone(),
                content_hash: content_hash(content),
                approved_hash: None,
                approved_by: None,
                approved_at: None,
                approved_rehearsal_hash: None,
                approved_rehearsal: None,
                created_at: stamp.clone(),
                updated_at: stamp.clone(),
            };
            tx.execute(
                "INSERT INTO plans \
                 (id, session_id, version, status, content, content_hash, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                params![
                    plan.id,
                    plan.session_id,
                    plan.version,
                    status.as_str(),
                    canonical_json(content),
                    plan.content_hash,
                    stamp
                ],
            )?;
            tx.execute(
                "UPDATE sessions SET current_plan = ?1, updated_at = ?2 WHERE id = ?3",
                params![plan.id, stamp, session_id],
            )?;
            Ok(plan)
        })
    }

    /// The plan version with this id, if any.
    pub fn plan(&self, id: &str) -> Result<Option<PlanRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM plans WHERE id = ?1");
        self.read(|conn| query_one(conn, &sql, [id], plan_from_row))
    }

    /// The session's current plan (its newest version), if it has one.
    pub fn current_plan(&self, session_id: &str) -> Result<Option<PlanRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM plans \
             WHERE id = (SELECT current_plan FROM sessions WHERE id = ?1)"
        );
        self.read(|conn| query_one(conn, &sql, [session_id], plan_from_row))
    }

    /// Every plan version of the session, oldest first.
    pub fn plan_versions(&self, session_id: &str) -> Result<Vec<PlanRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM plans WHERE session_id = ?1 ORDER BY version");
        self.read(|conn| query_all(conn, &sql, [session_id], plan_from_row))
    }

    /// Every plan version with `status`, oldest first (at start-up: plans left `executing`).
    pub fn plans_with_status(&self, status: PlanStatus) -> Result<Vec<PlanRow>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM plans WHERE status = ?1 ORDER BY created_at, rowid");
        self.read(|conn| query_all(conn, &sql, [status.as_str()], plan_from_row))
    }

    /// Approves a plan: `approved_hash = content_hash`, `approved_by = by`, status `Approved`.
    ///
    /// `NotFound` for an unknown plan; `Conflict` when it is not its session's current version (a stale
    /// plan must not be approved) or is not `Draft`/`PendingApproval`.
    pub fn approve_plan(&self, plan_id: &str, by: &str) -> Result<PlanRow, StoreError> {
        self.approve_plan_bound(plan_id, by, None)
    }

    /// [`Store::approve_plan`], binding the plan's current rehearsal (its report's hash and the
    /// fingerprints of its writes, [`crate::rehearsals`]) in the same transaction. With `seen_rehearsal`,
    /// only if the rehearsal's hash is still the one the person saw (`Conflict` otherwise).
    pub fn approve_plan_bound(
        &self,
        plan_id: &str,
        by: &str,
        seen_rehearsal: Option<&str>,
    ) -> Result<PlanRow, StoreError> {
        let stamp = now();
        self.write(|tx| {
            let sql = format!("SELECT {COLUMNS} FROM plans WHERE id = ?1");
            let plan = query_one(tx, &sql, [plan_id], plan_from_row)?
                .ok_or_else(|| StoreError::NotFound(format!("plan {plan_id}")))?;
            let current: Option<String> = tx
                .query_row(
                    "SELECT current_plan FROM sessions WHERE id = ?1",
                    [&plan.session_id],
                    |row| row.get(0),
                )
                .optional()?
                .flatten();
            if current.as_deref() != Some(plan_id) {
                return Err(StoreError::Conflict(format!(
                    "plan {plan_id} (version {}) is not the current plan of session {}; \
                     approve the current one",
                    plan.version, plan.session_id
                )));
            }
            let rehearsal = crate::rehearsals::report_of(tx, &plan)?;
            // An approved plan whose rehearsal changed may be approved again: that binds the new rehearsal.
            let rebinding = plan.status == PlanStatus::Approved
                && plan.approved_rehearsal_hash.as_deref() != Some(rehearsal.hash.as_str());
            if !rebinding && !matches!(plan.status, PlanStatus::Draft | PlanStatus::PendingApproval) {
                return Err(StoreError::Conflict(format!(
                    "plan {plan_id} is {}; only a draft or pending_approval plan (or an approved one whose \
                     rehearsal changed) can be approved",
                    plan.status
                )));
            }
            if let Some(seen) = seen_rehearsal
                && seen != rehearsal.hash
            {
                return Err(StoreError::Conflict(format!(
                    "the rehearsal changed since it was shown (its hash is now {}); nothing was approved: \
                     review it again (GET .../plan/rehearsal) and approve",
                    rehearsal.hash
                )));
            }
            let bound = rehearsal.bound();
            tx.execute(
                "UPDATE plans SET status = ?1, approved_hash = content_hash, approved_by = ?2, \
                 approved_at = ?3, updated_at = ?3, approved_rehearsal_hash = ?5, \
                 approved_rehearsal = ?6 WHERE id = ?4",
                params![
                    PlanStatus::Approved.as_str(),
                    by,
                    stamp,
                    plan_id,
                    rehearsal.hash,
                    canonical_json(&bound)
                ],
            )?;
            Ok(PlanRow {
                status: PlanStatus::Approved,
                approved_hash: Some(plan.content_hash.clone()),
                approved_by: Some(by.to_owned()),
                approved_at: Some(stamp.clone()),
                approved_rehearsal_hash: Some(rehearsal.hash.clone()),
                approved_rehearsal: Some(bound),
                updated_at: stamp.clone(),
                ..plan
            })
        })
    }

    /// Moves a plan to `status`. `Approved` is refused (`Invalid`): only [`Store::approve_plan`] records
    /// an approval. Moving back to `Draft` or `PendingApproval` clears the approval. `NotFound` for an
    /// unknown plan.
    pub fn set_plan_status(&self, plan_id: &str, status: PlanStatus) -> Result<(), StoreError> {
        if status == PlanStatus::Approved {
            return Err(StoreError::Invalid(
                "a plan becomes approved only through approve_plan, \
                 which records who approved which hash"
                    .into(),
            ));
        }
        // Sending a plan back for editing or approval withdraws the old approval.
        let sql = if matches!(status, PlanStatus::Draft | PlanStatus::PendingApproval) {
            "UPDATE plans SET status = ?1, updated_at = ?2, approved_hash = NULL, approved_by = NULL, \
             approved_at = NULL, approved_rehearsal_hash = NULL, approved_rehearsal = NULL WHERE id = ?3"
        } else {
            "UPDATE plans SET status = ?1, updated_at = ?2 WHERE id = ?3"
        };
        self.write(|tx| {
            let changed = tx.execute(sql, params![status.as_str(), now(), plan_id])?;
            if changed == 0 {
                return Err(StoreError::NotFound(format!("plan {plan_id}")));
            }
            Ok(())
        })
    }
}

fn plan_from_row(row: &Row<'_>) -> Result<PlanRow, StoreError> {
    Ok(PlanRow {
        id: row.get(0)?,
        session_id: row.get(1)?,
        version: row.get(2)?,
        status: parsed_column(row, 3, "plans.status")?,
        content: json_column(row, 4, "plans.content")?,
        content_hash: row.get(5)?,
        approved_hash: row.get(6)?,
        approved_by: row.get(7)?,
        approved_at: row.get(8)?,
        created_at: row.get(9)?,
        updated_at: row.get(10)?,
        approved_rehearsal_hash: row.get(11)?,
        approved_rehearsal: match row.get::<_, Option<String>>(12)? {
            Some(_) => Some(json_column(row, 12, "plans.approved_rehearsal")?),
            None => None,
        },
    })
}

#[cfg(test)]
mod tests;
