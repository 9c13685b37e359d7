//! The `mojodex_pks` and `mojodex_executions` tables: the integers a Mojodex client names things by, and
//! the executions it created (see `schema_v7.sql`).
//!
//! A key is a JSON array of the Drydock ids it stands for (`["echo_loop", "ask_text"]` for a workflow
//! step), so no separator can make two different ids collide.

use rusqlite::{OptionalExtension, Row, params};
use serde_json::Value;

use crate::canonical::canonical_json;
use crate::store::rows::{json_column, query_one};
use crate::{Store, StoreError};

/// What a Mojodex integer stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkKind {
    /// A workflow, by name: `workflow_pk`.
    Workflow,
    /// A user's workflow, by user id and workflow name: `user_workflow_pk`.
    UserWorkflow,
    /// A workflow's node, by workflow and node name: `workflow_step_pk`.
    WorkflowStep,
    /// One start of a node in a run, by run id, node name and iteration: `user_workflow_step_execution_pk`.
    StepExecution,
}

impl PkKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PkKind::Workflow => "workflow",
            PkKind::UserWorkflow => "user_workflow",
            PkKind::WorkflowStep => "workflow_step",
            PkKind::StepExecution => "step_execution",
        }
    }
}

/// One execution a Mojodex client created.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionRow {
    /// `user_workflow_execution_pk`.
    pub pk: i64,
    /// The id of its workflow run (the run exists once it started).
    pub run_id: String,
    /// The Socket.IO room of its events (32 hex digits).
    pub session_id: String,
    /// The workflow's name.
    pub workflow: String,
    /// The `user_workflow_pk` it was created from.
    pub user_workflow_pk: i64,
    /// The owning user id.
    pub owner: String,
    /// The inputs given at start (`[{input_name, value}]`); `None` until it started.
    pub inputs: Option<Value>,
    /// RFC 3339 UTC.
    pub created_at: String,
}

const COLUMNS: &str =
    "pk, run_id, session_id, workflow, user_workflow_pk, owner, inputs, created_at";

impl Store {
    /// The integers of `keys` (each a list of ids) under `kind`, made for those that have none yet, in
    /// one transaction.
    pub fn mojodex_pks(&self, kind: PkKind, keys: &[Vec<String>]) -> Result<Vec<i64>, StoreError> {
        self.write(|tx| {
            let mut pks = Vec::with_capacity(keys.len());
            for key in keys {
                let key = key_text(key);
                tx.execute(
                    "INSERT INTO mojodex_pks (kind, key) VALUES (?1, ?2) ON CONFLICT (kind, key) DO NOTHING",
                    params![kind.as_str(), key],
                )?;
                pks.push(tx.query_row(
                    "SELECT pk FROM mojodex_pks WHERE kind = ?1 AND key = ?2",
                    params![kind.as_str(), key],
                    |row| row.get(0),
                )?);
            }
            Ok(pks)
        })
    }

    /// The ids integer `pk` stands for, if it is one of `kind`.
    pub fn mojodex_key(&self, kind: PkKind, pk: i64) -> Result<Option<Vec<String>>, StoreError> {
        let text: Option<String> = self.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT key FROM mojodex_pks WHERE kind = ?1 AND pk = ?2")?
                .query_row(params![kind.as_str(), pk], |row| row.get(0))
                .optional()?)
        })?;
        text.map(|text| {
            serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("mojodex_pks.key is not a list: {e}")))
        })
        .transpose()
    }

    /// Stores a new, not yet started execution and returns it with its integer.
    pub fn insert_mojodex_execution(&self, row: &ExecutionRow) -> Result<ExecutionRow, StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO mojodex_executions (run_id, session_id, workflow, user_workflow_pk, owner, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![row.run_id, row.session_id, row.workflow, row.user_workflow_pk, row.owner, row.created_at],
            )?;
            Ok(ExecutionRow {
                pk: tx.last_insert_rowid(),
                inputs: None,
                ..row.clone()
            })
        })
    }

    /// The execution with integer `pk`, if any.
    pub fn mojodex_execution(&self, pk: i64) -> Result<Option<ExecutionRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM mojodex_executions WHERE pk = ?1");
        self.read(|conn| query_one(conn, &sql, [pk], execution_from_row))
    }

    /// The execution whose room is `session_id`, if any.
    pub fn mojodex_execution_by_session(
        &self,
        session_id: &str,
    ) -> Result<Option<ExecutionRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM mojodex_executions WHERE session_id = ?1");
        self.read(|conn| query_one(conn, &sql, [session_id], execution_from_row))
    }

    /// The execution of run `run_id`, if a Mojodex client created it.
    pub fn mojodex_execution_of_run(
        &self,
        run_id: &str,
    ) -> Result<Option<ExecutionRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM mojodex_executions WHERE run_id = ?1");
        self.read(|conn| query_one(conn, &sql, [run_id], execution_from_row))
    }

    /// Records the inputs of execution `pk` as it starts; `Conflict` if it started already.
    pub fn start_mojodex_execution(&self, pk: i64, inputs: &Value) -> Result<(), StoreError> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE mojodex_executions SET inputs = ?1 WHERE pk = ?2 AND inputs IS NULL",
                params![canonical_json(inputs), pk],
            )?;
            if changed == 0 {
                return Err(StoreError::Conflict(format!(
                    "execution {pk} has started already; create another with POST /user_workflow_execution"
                )));
            }
            Ok(())
        })
    }
}

fn key_text(key: &[String]) -> String {
    serde_json::to_string(key).unwrap_or_default()
}

fn execution_from_row(row: &Row<'_>) -> Result<ExecutionRow, StoreError> {
    let inputs: Option<String> = row.get(6)?;
    Ok(ExecutionRow {
        pk: row.get(0)?,
        run_id: row.get(1)?,
        session_id: row.get(2)?,
        workflow: row.get(3)?,
        user_workflow_pk: row.get(4)?,
        owner: row.get(5)?,
        inputs: match inputs {
            Some(_) => Some(json_column(row, 6, "mojodex_executions.inputs")?),
            None => None,
        },
        created_at: row.get(7)?,
    })
}
