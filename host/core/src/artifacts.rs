//! Artifacts: outputs kept by the host (a diff, a report, a file), with their content as a BLOB.
//!
//! Listings return metadata only; the content is fetched one artifact at a time.

use rusqlite::{Row, params};
use serde::{Deserialize, Serialize};

use crate::canonical::sha256_hex;
use crate::stamp::{new_id, now};
use crate::store::rows::{query_all, query_one, require};
use crate::{Store, StoreError};

/// An artifact's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactRow {
    /// UUID v4.
    pub id: String,
    /// The session it belongs to, if any.
    pub session_id: Option<String>,
    /// The execution that produced it, if any.
    pub correlation_id: Option<String>,
    /// File-like name, e.g. `workspace.diff`.
    pub name: String,
    /// e.g. `text/x-diff`.
    pub media_type: String,
    /// `host` or the producing plugin's name.
    pub produced_by: String,
    /// Content length in bytes.
    pub size: u64,
    /// SHA-256 hex of the content.
    pub sha256: String,
    /// RFC 3339 UTC.
    pub created_at: String,
}

/// The metadata columns, in [`ArtifactRow`] order; `content` is selected after them where wanted.
const COLUMNS: &str =
    "id, session_id, correlation_id, name, media_type, produced_by, size, sha256, created_at";

impl Store {
    /// Stores an artifact. `Invalid` for an empty name or media type; `NotFound` for an unknown session.
    pub fn insert_artifact(
        &self,
        session_id: Option<&str>,
        correlation_id: Option<&str>,
        name: &str,
        media_type: &str,
        produced_by: &str,
        content: &[u8],
    ) -> Result<ArtifactRow, StoreError> {
        if name.trim().is_empty() || media_type.trim().is_empty() {
            return Err(StoreError::Invalid(
                "artifact name and media type must not be empty".into(),
            ));
        }
        let artifact = ArtifactRow {
            id: new_id(),
            session_id: session_id.map(str::to_owned),
            correlation_id: correlation_id.map(str::to_owned),
            name: name.to_owned(),
            media_type: media_type.to_owned(),
            produced_by: produced_by.to_owned(),
            size: content.len() as u64,
            sha256: sha256_hex(content),
            created_at: now(),
        };
        self.write(|tx| {
            if let Some(session) = session_id {
                require(tx, "SELECT 1 FROM sessions WHERE id = ?1", session, || {
                    format!("session {session}")
                })?;
            }
            tx.execute(
                &format!(
                    "INSERT INTO artifacts ({COLUMNS}, content) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                ),
                params![
                    artifact.id,
                    artifact.session_id,
                    artifact.correlation_id,
                    artifact.name,
                    artifact.media_type,
                    artifact.produced_by,
                    artifact.size,
                    artifact.sha256,
                    artifact.created_at,
                    content
                ],
            )?;
            Ok(())
        })?;
        Ok(artifact)
    }

    /// The session's artifacts (metadata only), oldest first.
    pub fn artifacts_of_session(&self, session_id: &str) -> Result<Vec<ArtifactRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM artifacts WHERE session_id = ?1 ORDER BY created_at, rowid"
        );
        self.read(|conn| query_all(conn, &sql, [session_id], artifact_from_row))
    }

    /// The newest `limit` artifacts (metadata only): of sessions `owner` owns, or every one when `owner` is
    /// `None`.
    pub fn recent_artifacts(
        &self,
        owner: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ArtifactRow>, StoreError> {
        let columns = COLUMNS
            .split(", ")
            .map(|c| format!("a.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let limit = limit as i64;
        self.read(|conn| match owner {
            Some(owner) => query_all(
                conn,
                &format!(
                    "SELECT {columns} FROM artifacts a JOIN sessions s ON s.id = a.session_id \
                     WHERE s.owner = ?1 ORDER BY a.created_at DESC, a.rowid DESC LIMIT ?2"
                ),
                rusqlite::params![owner, limit],
                artifact_from_row,
            ),
            None => query_all(
                conn,
                &format!(
                    "SELECT {columns} FROM artifacts a ORDER BY a.created_at DESC, a.rowid DESC LIMIT ?1"
                ),
                [limit],
                artifact_from_row,
            ),
        })
    }

    /// One artifact with its content, if it exists.
    pub fn artifact(&self, id: &str) -> Result<Option<(ArtifactRow, Vec<u8>)>, StoreError> {
        let sql = format!("SELECT {COLUMNS}, content FROM artifacts WHERE id = ?1");
        self.read(|conn| {
            query_one(conn, &sql, [id], |row| {
                Ok((artifact_from_row(row)?, row.get(9)?))
            })
        })
    }
}

fn artifact_from_row(row: &Row<'_>) -> Result<ArtifactRow, StoreError> {
    Ok(ArtifactRow {
        id: row.get(0)?,
        session_id: row.get(1)?,
        correlation_id: row.get(2)?,
        name: row.get(3)?,
        media_type: row.get(4)?,
        produced_by: row.get(5)?,
        size: row.get(6)?,
        sha256: row.get(7)?,
        created_at: row.get(8)?,
    })
}

#[cfg(test)]
mod tests {
    use crate::store::test_support::{session_of_new_user, temp_store};

    #[test]
    fn artifact_content_round_trips_and_listing_has_metadata() {
        let (_dir, store) = temp_store();
        let session = session_of_new_user(&store, "alice");
        let stored = store
            .insert_artifact(
                Some(&session.id),
                Some("corr-1"),
                "w.diff",
                "text/x-diff",
                "host",
                b"+line\n",
            )
            .unwrap();
        assert_eq!(stored.size, 6);
        assert_eq!(
            store.artifacts_of_session(&session.id).unwrap(),
            vec![stored.clone()]
        );
        let (row, content) = store.artifact(&stored.id).unwrap().unwrap();
        assert_eq!((row, content), (stored, b"+line\n".to_vec()));
        assert!(store.artifact("missing").unwrap().is_none());
    }
}
