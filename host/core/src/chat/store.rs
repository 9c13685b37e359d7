//! The chat tables: conversations (a session plus the client's `user_id`), their messages, and tasks (the
//! request and requirements a conversation's plan is made from, pointing at its current plan version).

use rusqlite::{Row, params};
use serde::Serialize;
use serde_json::Value;

use crate::canonical::canonical_json;
use crate::stamp::{new_id, now};
use crate::store::rows::{json_column, query_all, query_one};
use crate::{Store, StoreError};

/// One chat message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageRow {
    /// `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
    /// What the agent understood a user message as.
    pub intent: Option<String>,
    /// The task the message is about, if any.
    pub task_id: Option<String>,
    /// RFC 3339 UTC.
    pub timestamp: String,
}

/// One task: what the conversation asked for, and its current plan version.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRow {
    /// UUID v4.
    pub id: String,
    /// The conversation (session) it belongs to.
    pub session_id: String,
    /// The current plan version.
    pub plan_id: String,
    /// The request, as first stated.
    pub description: String,
    /// Requirements and changes, in the order they were stated.
    pub requirements: Vec<String>,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// RFC 3339 UTC.
    pub updated_at: String,
}

const TASK_COLUMNS: &str =
    "id, session_id, plan_id, description, requirements, created_at, updated_at";

impl Store {
    /// Records that session `session_id` is a conversation of the client's user `client_user_id`.
    pub fn insert_conversation(
        &self,
        session_id: &str,
        client_user_id: &str,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO chat_conversations (session_id, client_user_id, created_at) \
                 VALUES (?1, ?2, ?3)",
                params![session_id, client_user_id, now()],
            )?;
            Ok(())
        })
    }

    /// The client `user_id` of conversation `session_id`, if it is one.
    pub fn conversation_user(&self, session_id: &str) -> Result<Option<String>, StoreError> {
        self.read(|conn| {
            query_one(
                conn,
                "SELECT client_user_id FROM chat_conversations WHERE session_id = ?1",
                [session_id],
                |row| Ok(row.get(0)?),
            )
        })
    }

    /// Appends a message to a conversation.
    pub fn append_message(
        &self,
        session_id: &str,
        role: &str,
        content: &str,
        intent: Option<&str>,
        task_id: Option<&str>,
    ) -> Result<MessageRow, StoreError> {
        let row = MessageRow {
            role: role.to_owned(),
            content: content.to_owned(),
            intent: intent.map(str::to_owned),
            task_id: task_id.map(str::to_owned),
            timestamp: now(),
        };
        self.write(|tx| {
            tx.execute(
                "INSERT INTO chat_messages (session_id, role, content, intent, task_id, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    session_id,
                    row.role,
                    row.content,
                    row.intent,
                    row.task_id,
                    row.timestamp
                ],
            )?;
            Ok(())
        })?;
        Ok(row)
    }

    /// The newest `limit` messages of a conversation, oldest first.
    pub fn recent_messages(
        &self,
        session_id: &str,
        limit: usize,
    ) -> Result<Vec<MessageRow>, StoreError> {
        let mut rows = self.read(|conn| {
            query_all(
                conn,
                "SELECT role, content, intent, task_id, created_at FROM chat_messages \
                 WHERE session_id = ?1 ORDER BY id DESC LIMIT ?2",
                params![session_id, limit as i64],
                |row| {
                    Ok(MessageRow {
                        role: row.get(0)?,
                        content: row.get(1)?,
                        intent: row.get(2)?,
                        task_id: row.get(3)?,
                        timestamp: row.get(4)?,
                    })
                },
            )
        })?;
        rows.reverse();
        Ok(rows)
    }

    /// Creates a task for `session_id` whose first plan version is `plan_id`.
    pub fn insert_task(
        &self,
        session_id: &str,
        plan_id: &str,
        description: &str,
        requirements: &[String],
    ) -> Result<TaskRow, StoreError> {
        let stamp = now();
        let task = TaskRow {
            id: new_id(),
            session_id: session_id.to_owned(),
            plan_id: plan_id.to_owned(),
            description: description.to_owned(),
            requirements: requirements.to_vec(),
            created_at: stamp.clone(),
            updated_at: stamp,
        };
        self.write(|tx| {
            tx.execute(
                "INSERT INTO chat_tasks \
                 (id, session_id, plan_id, description, requirements, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![
                    task.id,
                    task.session_id,
                    task.plan_id,
                    task.description,
                    canonical_json(&Value::from(task.requirements.clone())),
                    task.created_at
                ],
            )?;
            Ok(())
        })?;
        Ok(task)
    }

    /// Moves a task to a new plan version with its new requirements.
    pub fn update_task(
        &self,
        task_id: &str,
        plan_id: &str,
        requirements: &[String],
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE chat_tasks SET plan_id = ?1, requirements = ?2, updated_at = ?3 WHERE id = ?4",
                params![
                    plan_id,
                    canonical_json(&Value::from(requirements.to_vec())),
                    now(),
                    task_id
                ],
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound(format!("task {task_id}")));
            }
            Ok(())
        })
    }

    /// The task with this id, if any.
    pub fn task(&self, id: &str) -> Result<Option<TaskRow>, StoreError> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM chat_tasks WHERE id = ?1");
        self.read(|conn| query_one(conn, &sql, [id], task_from_row))
    }

    /// The newest task of a conversation, if any.
    pub fn latest_task(&self, session_id: &str) -> Result<Option<TaskRow>, StoreError> {
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM chat_tasks WHERE session_id = ?1 \
             ORDER BY created_at DESC, rowid DESC LIMIT 1"
        );
        self.read(|conn| query_one(conn, &sql, [session_id], task_from_row))
    }

    /// The tasks of every conversation owned by user `owner` (optionally only those of one client
    /// `user_id`), newest first, at most `limit`.
    pub fn tasks_of(
        &self,
        owner: &str,
        client_user_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<TaskRow>, StoreError> {
        let sql = format!(
            "SELECT {} FROM chat_tasks t \
             JOIN sessions s ON s.id = t.session_id \
             JOIN chat_conversations c ON c.session_id = t.session_id \
             WHERE s.owner = ?1 AND (?2 IS NULL OR c.client_user_id = ?2) \
             ORDER BY t.created_at DESC, t.rowid DESC LIMIT ?3",
            TASK_COLUMNS
                .split(", ")
                .map(|c| format!("t.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        self.read(|conn| {
            query_all(
                conn,
                &sql,
                params![owner, client_user_id, limit as i64],
                task_from_row,
            )
        })
    }
}

fn task_from_row(row: &Row<'_>) -> Result<TaskRow, StoreError> {
    let requirements = json_column(row, 4, "chat_tasks.requirements")?;
    Ok(TaskRow {
        id: row.get(0)?,
        session_id: row.get(1)?,
        plan_id: row.get(2)?,
        description: row.get(3)?,
        requirements: serde_json::from_value(requirements).map_err(|e| {
            StoreError::Corrupt(format!(
                "chat_tasks.requirements is not a list of strings: {e}"
            ))
        })?,
        created_at: row.get(5)?,
        updated_at: row.get(6)?,
    })
}
