//! Sessions: one unit of work, created from a work item or a conversation, holding one current plan.

use rusqlite::{Row, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::canonical::canonical_json;
use crate::stamp::{new_id, now};
use crate::store::rows::{json_column, query_all, query_one, require};
use crate::{Store, StoreError};

/// One session row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRow {
    /// UUID v4.
    pub id: String,
    /// The owning user's id.
    pub owner: String,
    /// The work item (or first request) the session was created from, as the client sent it.
    pub work_item: Value,
    /// The id of the newest plan version, if a plan was generated.
    pub current_plan: Option<String>,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// RFC 3339 UTC; bumped when a plan version is added.
    pub updated_at: String,
}

const COLUMNS: &str = "id, owner, work_item, current_plan, created_at, updated_at";

impl Store {
    /// Creates a session owned by user `owner` (a user id; `NotFound` if there is no such user).
    pub fn create_session(&self, owner: &str, work_item: &Value) -> Result<SessionRow, StoreError> {
        let stamp = now();
        let session = SessionRow {
            id: new_id(),
            owner: owner.to_owned(),
            work_item: work_item.clone(),
            current_plan: None,
            created_at: stamp.clone(),
            updated_at: stamp,
        };
        self.write(|tx| {
            require(tx, "SELECT 1 FROM users WHERE id = ?1", owner, || {
                format!("user {owner}")
            })?;
            tx.execute(
                "INSERT INTO sessions (id, owner, work_item, current_plan, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, NULL, ?4, ?5)",
                params![
                    session.id,
                    session.owner,
                    canonical_json(work_item),
                    session.created_at,
                    session.updated_at
                ],
            )?;
            Ok(())
        })?;
        Ok(session)
    }

    /// The session with this id, if any.
    pub fn session(&self, id: &str) -> Result<Option<SessionRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM sessions WHERE id = ?1");
        self.read(|conn| query_one(conn, &sql, [id], session_from_row))
    }

    /// The sessions of user `owner`, oldest first.
    pub fn sessions_of(&self, owner: &str) -> Result<Vec<SessionRow>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM sessions WHERE owner = ?1 ORDER BY created_at, rowid");
        self.read(|conn| query_all(conn, &sql, [owner], session_from_row))
    }
}

fn session_from_row(row: &Row<'_>) -> Result<SessionRow, StoreError> {
    Ok(SessionRow {
        id: row.get(0)?,
        owner: row.get(1)?,
        work_item: json_column(row, 2, "sessions.work_item")?,
        current_plan: row.get(3)?,
        created_at: row.get(4)?,
        updated_at: row.get(5)?,
    })
}
