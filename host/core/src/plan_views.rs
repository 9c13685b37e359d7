//! Read-only views of a session's plan for the web console: the executions of its current plan version
//! (to colour the DAG by node status), the full journal entries of one execution (its rehearsal), and where
//! a session's event stream stands (so a page follows only what happens after it was rendered).
//!
//! Everything checks visibility the same way as the plan API ([`Core::session_for`]): the owner or an
//! operator, otherwise not found. The effects come from the session's `effect` events, which hold the
//! runtime's journal entries as recorded (already redacted and bounded by the runtime), including the
//! capability-specific facts (a request's headers and body excerpt) the audit rows leave out.

use rusqlite::params;
use serde_json::Value;

use crate::actor::Actor;
use crate::core_error::CoreError;
use crate::service::Core;
use crate::store::rows::{json_column, query_all};
use crate::store::{ExecutionRow, PlanRow};

/// At most this many effects of one execution are read back (the runtime's journal keeps fewer).
const MAX_EFFECTS: i64 = 5_000;

/// One execution's journal: its effects in order, and what the journal left out past its budget.
#[derive(Debug, Clone)]
pub struct ExecutionJournal {
    /// Each effect as the runtime recorded it: `{seq, plugin, tool, depth, capability, action, outcome,
    /// reason, detail, at_ms}`.
    pub effects: Vec<Value>,
    /// Effects counted but not kept: `{capability, outcome, count, reason}` each.
    pub omitted: Vec<Value>,
}

impl Core {
    /// The session's current plan (if any) and the executions of that version, oldest first.
    pub async fn plan_executions(
        &self,
        actor: &Actor,
        session_id: &str,
    ) -> Result<(Option<PlanRow>, Vec<ExecutionRow>), CoreError> {
        let session = self.session_for(actor, session_id).await?;
        self.store(move |s| {
            let Some(plan) = s.current_plan(&session.id)? else {
                return Ok((None, Vec::new()));
            };
            let executions = s.executions_of_plan(&plan.id)?;
            Ok((Some(plan), executions))
        })
        .await
    }

    /// The journal of an execution the actor may see (not found otherwise).
    pub async fn execution_journal(
        &self,
        actor: &Actor,
        correlation_id: &str,
    ) -> Result<ExecutionJournal, CoreError> {
        let execution = self.execution(actor, correlation_id).await?;
        let corr = execution.correlation_id.clone();
        self.store(move |s| {
            let effects = s.read(|conn| {
                query_all(
                    conn,
                    "SELECT payload FROM events WHERE session_id = ?1 AND correlation_id = ?2 \
                     AND kind = 'effect' ORDER BY seq LIMIT ?3",
                    params![execution.session_id, corr, MAX_EFFECTS],
                    |row| json_column(row, 0, "events.payload"),
                )
            })?;
            let omitted = s
                .audit_query(Some(&corr), None, crate::MAX_PAGE)?
                .into_iter()
                .filter(|row| row.action == "effects_omitted")
                .map(|row| row.detail)
                .collect();
            Ok(ExecutionJournal { effects, omitted })
        })
        .await
    }

    /// The newest event sequence number of a session the actor may see (0 when it has none): a page
    /// rendered now follows the session's events after it.
    pub async fn last_event_seq(&self, actor: &Actor, session_id: &str) -> Result<i64, CoreError> {
        let session = self.session_for(actor, session_id).await?;
        self.store(move |s| {
            s.read(|conn| {
                Ok(conn.query_row(
                    "SELECT coalesce(max(seq), 0) FROM events WHERE session_id = ?1",
                    [&session.id],
                    |row| row.get(0),
                )?)
            })
        })
        .await
    }
}
