//! Executions: one run of a node, a plan or a workflow step, keyed by its correlation id.
//!
//! An execution is `accepted` when the request is taken, `running` while it works, and ends `completed`,
//! `failed` or `interrupted`. A terminal execution is never changed again; at startup every execution
//! left `accepted` or `running` by the previous process becomes `interrupted` ([`Store::mark_interrupted`]),
//! so a restart never loses one silently.

use rusqlite::{Row, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::canonical::canonical_json;
use crate::stamp::now;
use crate::store::rows::{json_column, parsed_column, query_all, query_one, require};
use crate::text_enum::named_enum;
use crate::{Store, StoreError};

named_enum! {
    /// Where an execution is.
    pub enum ExecutionStatus ("execution status") {
        /// Taken, not yet started.
        Accepted => "accepted",
        /// Working.
        Running => "running",
        /// A live run holds a write its approved rehearsal did not show, until an operator allows it once
        /// or stops the run.
        NeedsReview => "needs_review",
        /// Finished successfully.
        Completed => "completed",
        /// Finished with an error.
        Failed => "failed",
        /// The host stopped (crash or restart) while it was accepted or running.
        Interrupted => "interrupted",
    }
}

impl ExecutionStatus {
    /// Whether the execution is over (it has a `finished_at` and will not change again).
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Interrupted)
    }
}

/// One execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionRow {
    /// The correlation id carried by everything the execution causes.
    pub correlation_id: String,
    /// The session it belongs to.
    pub session_id: String,
    /// The plan version it runs, if any.
    pub plan_id: Option<String>,
    /// The plan node it runs, if any.
    pub node_id: Option<String>,
    /// `dry-run` or `live`, as requested.
    pub mode: String,
    /// Where it is.
    pub status: ExecutionStatus,
    /// Who asked for it (username).
    pub requested_by: String,
    /// RFC 3339 UTC.
    pub started_at: String,
    /// RFC 3339 UTC, set when it reaches a terminal status.
    pub finished_at: Option<String>,
    /// Steps, results and an effects summary, as the caller records them.
    pub detail: Value,
}

/// Every column, in [`ExecutionRow`] order.
const COLUMNS: &str = "correlation_id, session_id, plan_id, node_id, mode, status, requested_by, \
                       started_at, finished_at, detail";

impl Store {
    /// Records a new execution. `Invalid` for a mode other than `dry-run`/`live`; `NotFound` for an unknown
    /// session or plan; `Conflict` if the correlation id is taken.
    pub fn insert_execution(&self, row: &ExecutionRow) -> Result<(), StoreError> {
        row.mode
            .parse::<drydock_policy::Mode>()
            .map_err(|e| StoreError::Invalid(format!("execution mode: {e}")))?;
        self.write(|tx| {
            let session = &row.session_id;
            require(tx, "SELECT 1 FROM sessions WHERE id = ?1", session, || {
                format!("session {session}")
            })?;
            if let Some(plan) = &row.plan_id {
                require(tx, "SELECT 1 FROM plans WHERE id = ?1", plan, || {
                    format!("plan {plan}")
                })?;
            }
            tx.execute(
                &format!(
                    "INSERT INTO executions ({COLUMNS}) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                ),
                params![
                    row.correlation_id,
                    row.session_id,
                    row.plan_id,
                    row.node_id,
                    row.mode,
                    row.status.as_str(),
                    row.requested_by,
                    row.started_at,
                    row.finished_at,
                    canonical_json(&row.detail)
                ],
            )
            .map_err(|e| {
                let id = &row.correlation_id;
                StoreError::conflict_on_unique(e, || format!("execution {id} already exists"))
            })?;
            Ok(())
        })
    }

    /// Sets an execution's status and detail; a terminal status also sets `finished_at`. `NotFound` for an
    /// unknown id; `Conflict` if it is already terminal (e.g. a late result after it was marked interrupted).
    pub fn update_execution(
        &self,
        correlation_id: &str,
        status: ExecutionStatus,
        detail: &Value,
    ) -> Result<(), StoreError> {
        let finished_at = status.is_terminal().then(now);
        self.write(|tx| {
            let current = query_one(
                tx,
                "SELECT status FROM executions WHERE correlation_id = ?1",
                [correlation_id],
                |row| parsed_column::<ExecutionStatus>(row, 0, "executions.status"),
            )?
            .ok_or_else(|| StoreError::NotFound(format!("execution {correlation_id}")))?;
            if current.is_terminal() {
                return Err(StoreError::Conflict(format!(
                    "execution {correlation_id} is already {current} and cannot change"
                )));
            }
            tx.execute(
                "UPDATE executions SET status = ?1, detail = ?2, finished_at = ?3 \
                 WHERE correlation_id = ?4",
                params![
                    status.as_str(),
                    canonical_json(detail),
                    finished_at,
                    correlation_id
                ],
            )?;
            Ok(())
        })
    }

    /// Moves an unfinished execution between `running` and `needs_review`, keeping its detail. `Conflict`
    /// when it is already terminal; `NotFound` for an unknown id.
    pub fn set_execution_waiting(
        &self,
        correlation_id: &str,
        status: ExecutionStatus,
    ) -> Result<(), StoreError> {
        if status.is_terminal() {
            return Err(StoreError::Invalid(format!(
                "{status} is terminal; use update_execution"
            )));
        }
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE executions SET status = ?1 WHERE correlation_id = ?2 \
                 AND status IN ('accepted', 'running', 'needs_review')",
                params![status.as_str(), correlation_id],
            )?;
            if changed == 0 {
                return Err(StoreError::Conflict(format!(
                    "execution {correlation_id} is unknown or already over"
                )));
            }
            Ok(())
        })
    }

    /// The execution with this correlation id, if any.
    pub fn execution(&self, correlation_id: &str) -> Result<Option<ExecutionRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM executions WHERE correlation_id = ?1");
        self.read(|conn| query_one(conn, &sql, [correlation_id], execution_from_row))
    }

    /// Every execution of one plan node of a session, oldest first.
    pub fn executions_of_node(
        &self,
        session_id: &str,
        node_id: &str,
    ) -> Result<Vec<ExecutionRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM executions WHERE session_id = ?1 AND node_id = ?2 \
             ORDER BY started_at, rowid"
        );
        self.read(|conn| query_all(conn, &sql, params![session_id, node_id], execution_from_row))
    }

    /// Every execution of one plan version, oldest first.
    pub fn executions_of_plan(&self, plan_id: &str) -> Result<Vec<ExecutionRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM executions WHERE plan_id = ?1 ORDER BY started_at, rowid"
        );
        self.read(|conn| query_all(conn, &sql, [plan_id], execution_from_row))
    }

    /// At startup: turns every `accepted` or `running` execution into `interrupted` (with `finished_at`),
    /// in one transaction, and returns them as they are now so the caller can emit events and audit rows.
    pub fn mark_interrupted(&self) -> Result<Vec<ExecutionRow>, StoreError> {
        let sql = format!(
            "UPDATE executions SET status = ?1, finished_at = ?2 WHERE status IN (?3, ?4, ?5) \
             RETURNING {COLUMNS}"
        );
        let interrupted = self.write(|tx| {
            query_all(
                tx,
                &sql,
                params![
                    ExecutionStatus::Interrupted.as_str(),
                    now(),
                    ExecutionStatus::Accepted.as_str(),
                    ExecutionStatus::Running.as_str(),
                    ExecutionStatus::NeedsReview.as_str()
                ],
                execution_from_row,
            )
        })?;
        if !interrupted.is_empty() {
            tracing::warn!(
                count = interrupted.len(),
                "executions interrupted by the previous shutdown"
            );
        }
        Ok(interrupted)
    }
}

fn execution_from_row(row: &Row<'_>) -> Result<ExecutionRow, StoreError> {
    Ok(ExecutionRow {
        correlation_id: row.get(0)?,
        session_id: row.get(1)?,
        plan_id: row.get(2)?,
        node_id: row.get(3)?,
        mode: row.get(4)?,
        status: parsed_column(row, 5, "executions.status")?,
        requested_by: row.get(6)?,
        started_at: row.get(7)?,
        finished_at: row.get(8)?,
        detail: json_column(row, 9, "executions.detail")?,
    })
}

#[cfg(test)]
mod tests;
