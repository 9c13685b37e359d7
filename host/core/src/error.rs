//! [`StoreError`], the one error type of the store.
//!
//! The variants are chosen so the server can map them to a status without looking inside: `Invalid` → 400,
//! `NotFound` → 404, `Conflict` → 409, everything else → 500 with a generic body and the cause logged.
//! No variant ever carries a password, a token or a secret: messages name users, ids and columns only.

use std::path::PathBuf;

/// Why a store operation failed. A failed operation leaves no partial state: every write runs in one
/// transaction that is rolled back on error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (I/O, a lock held too long, a constraint we did not expect). The cause is kept for logs;
    /// rusqlite's messages hold SQL and SQLite's words, never bound values.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database file could not be opened or is not a database.
    #[error("cannot open the database {}: {source}", path.display())]
    Open {
        /// The database file.
        path: PathBuf,
        /// SQLite's reason.
        #[source]
        source: rusqlite::Error,
    },
    /// The caller's input was refused; the message names the field and the rule.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The write conflicts with the current state (duplicate name, plan no longer current, ...).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The named row does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The schema could not be brought to this build's version (or is newer than it).
    #[error("schema migration: {0}")]
    Migration(String),
    /// A file or directory could not be created or read.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A stored value is unreadable (bad JSON, unknown status): the file was changed outside Drydock.
    #[error("corrupt data: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Maps a UNIQUE/PRIMARY KEY violation to [`StoreError::Conflict`] with `message`; other errors pass.
    pub(crate) fn conflict_on_unique(
        error: rusqlite::Error,
        message: impl FnOnce() -> String,
    ) -> StoreError {
        match error.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ConstraintViolation)
                if matches!(
                    error.sqlite_error().map(|e| e.extended_code),
                    Some(
                        rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                            | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                    )
                ) =>
            {
                StoreError::Conflict(message())
            }
            _ => StoreError::Sqlite(error),
        }
    }
}
