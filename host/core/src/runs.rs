//! The `workflow_runs` and `run_events` tables: a run stored whole after each transition (with a version
//! for optimistic concurrency), and every event it produced, in order, for streams to replay.

use rusqlite::{Row, params};
use serde_json::Value;

use crate::canonical::canonical_json;
use crate::stamp::now;
use crate::store::rows::{json_column, page_limit, query_all, query_one};
use crate::{Store, StoreError};

/// One stored run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    /// The run id (also the FastAgency `workflow_uuid`).
    pub id: String,
    /// The workflow's name.
    pub workflow: String,
    /// The owning user id; empty for an anonymous run of a public workflow.
    pub owner: String,
    /// Who started it (username, or `anonymous`).
    pub started_by: String,
    /// The engine's status name.
    pub status: String,
    /// The engine's run, as JSON.
    pub run: Value,
    /// Bumped by every update.
    pub version: i64,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// RFC 3339 UTC.
    pub updated_at: String,
    /// Whether it stops before each tool call until a person approves it (stored, so a restart never
    /// makes a held call).
    pub hold_tools: bool,
    /// The language model its llm nodes use when its client chose one (`{provider, model}`); `None`: the
    /// server's default.
    pub llm: Option<Value>,
    /// The client's own name for the run (Astonish's studio session, under its caller), if any.
    pub client_key: Option<String>,
}

/// One stored run event.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEventRow {
    /// Global, strictly increasing.
    pub seq: i64,
    /// The run.
    pub run_id: String,
    /// The event (`type` names it).
    pub event: Value,
    /// RFC 3339 UTC.
    pub created_at: String,
}

const COLUMNS: &str = "id, workflow, owner, started_by, status, run, version, created_at, updated_at, \
                       hold_tools, llm, client_key";

impl Store {
    /// Stores a new run (version 1) and its first events, in one transaction.
    pub fn insert_run(&self, row: &RunRow, events: &[Value]) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO workflow_runs (id, workflow, owner, started_by, status, run, version, created_at, updated_at, \
                 hold_tools, llm, client_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?7, ?8, ?9, ?10)",
                params![row.id, row.workflow, row.owner, row.started_by, row.status, canonical_json(&row.run), row.created_at,
                        row.hold_tools, row.llm.as_ref().map(canonical_json), row.client_key],
            )
            .map_err(|err| match err {
                rusqlite::Error::SqliteFailure(e, _) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
                    StoreError::Conflict(format!("a run with id {} exists already", row.id))
                }
                other => other.into(),
            })?;
            append_events(tx, &row.id, events)
        })
    }

    /// Every run whose status is `status`, oldest first.
    pub fn runs_with_status(&self, status: &str) -> Result<Vec<RunRow>, StoreError> {
        self.read(|conn| {
            query_all(
                conn,
                &format!(
                    "SELECT {COLUMNS} FROM workflow_runs WHERE status = ?1 ORDER BY created_at, id"
                ),
                params![status],
                run_from_row,
            )
        })
    }

    /// The newest runs of user `owner` (optionally of one workflow), newest first, at most `limit`. Reads
    /// through the `(owner, created_at)` index, so it never scans other users' runs.
    pub fn recent_runs_of(
        &self,
        owner: &str,
        workflow: Option<&str>,
        limit: usize,
    ) -> Result<Vec<RunRow>, StoreError> {
        self.read(|conn| {
            query_all(
                conn,
                &format!(
                    "SELECT {COLUMNS} FROM workflow_runs WHERE owner = ?1 AND (?2 IS NULL OR workflow = ?2) \
                     ORDER BY created_at DESC, id DESC LIMIT ?3"
                ),
                params![owner, workflow, page_limit(limit)],
                run_from_row,
            )
        })
    }

    /// Replaces the run if it is still at `version` (else `Conflict`), appending `events`; returns the new
    /// version.
    pub fn update_run(
        &self,
        id: &str,
        version: i64,
        status: &str,
        run: &Value,
        events: &[Value],
    ) -> Result<i64, StoreError> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE workflow_runs SET status = ?1, run = ?2, version = version + 1, updated_at = ?3 \
                 WHERE id = ?4 AND version = ?5",
                params![status, canonical_json(run), now(), id, version],
            )?;
            if changed == 0 {
                return Err(StoreError::Conflict(format!(
                    "run {id} changed while this request was handled; read it again and retry"
                )));
            }
            append_events(tx, id, events)?;
            Ok(version + 1)
        })
    }

    /// Appends one event that is not a transition (e.g. the effects of a tool call).
    pub fn append_run_event(&self, run_id: &str, event: &Value) -> Result<(), StoreError> {
        self.write(|tx| append_events(tx, run_id, std::slice::from_ref(event)))
    }

    /// The run with this id, if any.
    pub fn run(&self, id: &str) -> Result<Option<RunRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM workflow_runs WHERE id = ?1");
        self.read(|conn| query_one(conn, &sql, [id], run_from_row))
    }

    /// The newest run filed under a client's `key`, if any.
    pub fn run_by_client_key(&self, key: &str) -> Result<Option<RunRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM workflow_runs WHERE client_key = ?1 ORDER BY created_at DESC, id DESC LIMIT 1"
        );
        self.read(|conn| query_one(conn, &sql, [key], run_from_row))
    }

    /// The seq of the run's last event (0 when it has none).
    pub fn last_run_event_seq(&self, run_id: &str) -> Result<i64, StoreError> {
        self.read(|conn| {
            Ok(conn.query_row(
                "SELECT COALESCE(MAX(seq), 0) FROM run_events WHERE run_id = ?1",
                [run_id],
                |row| row.get(0),
            )?)
        })
    }

    /// Events of a run after `after` (at most `limit`).
    pub fn run_events_after(
        &self,
        run_id: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<RunEventRow>, StoreError> {
        self.read(|conn| {
            query_all(
                conn,
                "SELECT seq, run_id, event, created_at FROM run_events \
                 WHERE run_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
                params![run_id, after, page_limit(limit)],
                |row| {
                    Ok(RunEventRow {
                        seq: row.get(0)?,
                        run_id: row.get(1)?,
                        event: json_column(row, 2, "run_events.event")?,
                        created_at: row.get(3)?,
                    })
                },
            )
        })
    }
}

fn append_events(
    tx: &rusqlite::Transaction<'_>,
    run_id: &str,
    events: &[Value],
) -> Result<(), StoreError> {
    let stamp = now();
    for event in events {
        tx.execute(
            "INSERT INTO run_events (run_id, event, created_at) VALUES (?1, ?2, ?3)",
            params![run_id, canonical_json(event), stamp],
        )?;
    }
    Ok(())
}

fn run_from_row(row: &Row<'_>) -> Result<RunRow, StoreError> {
    Ok(RunRow {
        id: row.get(0)?,
        workflow: row.get(1)?,
        owner: row.get(2)?,
        started_by: row.get(3)?,
        status: row.get(4)?,
        run: json_column(row, 5, "workflow_runs.run")?,
        version: row.get(6)?,
        created_at: row.get(7)?,
        updated_at: row.get(8)?,
        hold_tools: row.get(9)?,
        llm: match row.get::<_, Option<String>>(10)? {
            None => None,
            Some(_) => Some(json_column(row, 10, "workflow_runs.llm")?),
        },
        client_key: row.get(11)?,
    })
}
