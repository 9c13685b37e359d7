//! The `workflows` table: each workflow's YAML as written, who last changed it and when. The store only
//! keeps text; whether the text is a valid flow is decided by `drydock-workflow` in
//! [`crate::workflows_service`] before anything is written here. Writes take the audit row that records
//! them, so a change and its record commit together.

use rusqlite::{OptionalExtension, params};

use crate::audit::append_checked;
use crate::stamp::now;
use crate::store::AuditEntry;
use crate::store::rows::{query_all, query_one};
use crate::{Store, StoreError};

/// One stored workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowRow {
    /// The name its YAML declares (the primary key, used in URLs).
    pub name: String,
    /// The YAML exactly as it was put.
    pub yaml: String,
    /// Who last wrote it (a username, or `import:<file>` for a file loaded at start).
    pub updated_by: String,
    /// When, RFC 3339 UTC.
    pub updated_at: String,
}

impl WorkflowRow {
    /// The document as JSON (its YAML parsed), for clients that ask for JSON.
    pub fn document_json(&self) -> Result<serde_json::Value, crate::CoreError> {
        drydock_workflow::document_to_json(&self.yaml).map_err(|err| {
            crate::CoreError::Internal(format!(
                "stored workflow `{}` does not parse: {err}",
                self.name
            ))
        })
    }
}

impl Store {
    /// Every workflow, by name.
    pub fn workflows(&self) -> Result<Vec<WorkflowRow>, StoreError> {
        self.read(|conn| {
            query_all(
                conn,
                "SELECT name, yaml, updated_by, updated_at FROM workflows ORDER BY name",
                [],
                workflow_row,
            )
        })
    }

    /// The workflow called `name`, if any.
    pub fn workflow(&self, name: &str) -> Result<Option<WorkflowRow>, StoreError> {
        self.read(|conn| {
            query_one(
                conn,
                "SELECT name, yaml, updated_by, updated_at FROM workflows WHERE name = ?1",
                [name],
                workflow_row,
            )
        })
    }

    /// Creates or replaces `name` and appends `audit` in the same transaction. `only_if_absent` leaves an
    /// existing row untouched (and writes no audit row). Returns whether a row was written and whether it
    /// was new.
    pub fn put_workflow(
        &self,
        name: &str,
        yaml: &str,
        by: &str,
        only_if_absent: bool,
        audit: &AuditEntry,
    ) -> Result<WorkflowWrite, StoreError> {
        self.write(|tx| {
            let exists = tx
                .query_row("SELECT 1 FROM workflows WHERE name = ?1", [name], |_| Ok(()))
                .optional()?
                .is_some();
            if exists && only_if_absent {
                return Ok(WorkflowWrite::Kept);
            }
            tx.execute(
                "INSERT INTO workflows (name, yaml, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (name) DO UPDATE SET yaml = excluded.yaml, \
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                params![name, yaml, by, now()],
            )?;
            append_checked(tx, audit)?;
            Ok(if exists {
                WorkflowWrite::Replaced
            } else {
                WorkflowWrite::Created
            })
        })
    }

    /// Deletes `name` and appends `audit` in the same transaction; `NotFound` when there is no such row.
    pub fn delete_workflow(&self, name: &str, audit: &AuditEntry) -> Result<(), StoreError> {
        self.write(|tx| {
            if tx.execute("DELETE FROM workflows WHERE name = ?1", [name])? == 0 {
                return Err(StoreError::NotFound(format!("no workflow `{name}`")));
            }
            append_checked(tx, audit)?;
            Ok(())
        })
    }
}

/// What [`Store::put_workflow`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkflowWrite {
    /// A new row.
    Created,
    /// An existing row was replaced.
    Replaced,
    /// The row existed and `only_if_absent` kept it.
    Kept,
}

fn workflow_row(row: &rusqlite::Row<'_>) -> Result<WorkflowRow, StoreError> {
    Ok(WorkflowRow {
        name: row.get(0)?,
        yaml: row.get(1)?,
        updated_by: row.get(2)?,
        updated_at: row.get(3)?,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn entry(action: &str) -> AuditEntry {
        AuditEntry {
            actor: "op".into(),
            action: action.into(),
            target: Some("hello".into()),
            correlation_id: None,
            detail: json!({}),
        }
    }

    #[test]
    fn put_replaces_and_delete_removes_each_with_an_audit_row() {
        let store = Store::open_in_memory().unwrap();
        let put = |yaml: &str, only_if_absent| {
            store
                .put_workflow("hello", yaml, "op", only_if_absent, &entry("workflow.put"))
                .unwrap()
        };
        assert_eq!(put("a", false), WorkflowWrite::Created);
        assert_eq!(put("b", true), WorkflowWrite::Kept);
        assert_eq!(put("c", false), WorkflowWrite::Replaced);
        assert_eq!(store.workflow("hello").unwrap().unwrap().yaml, "c");
        store
            .delete_workflow("hello", &entry("workflow.delete"))
            .unwrap();
        assert!(store.workflows().unwrap().is_empty());
        assert!(matches!(
            store.delete_workflow("hello", &entry("workflow.delete")),
            Err(StoreError::NotFound(_))
        ));
        let actions: Vec<String> = store
            .audit_query(None, None, 100)
            .unwrap()
            .into_iter()
            .map(|row| row.action)
            .collect();
        assert_eq!(actions, ["workflow.put", "workflow.put", "workflow.delete"]);
    }
}
