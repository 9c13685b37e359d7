//! Versioned schema migrations, tracked in SQLite's `PRAGMA user_version`.
//!
//! Migration N brings the schema from version N-1 to N. Each runs in its own IMMEDIATE transaction together
//! with the `user_version` bump, so a crash mid-migration leaves the previous version intact, and two
//! processes opening the same file cannot both apply it. A file whose version is newer than this build
//! knows is refused untouched: an older Drydock must not guess at a schema it has never seen.

use rusqlite::{Connection, TransactionBehavior};

use crate::StoreError;

/// One step of the schema's history.
struct Migration {
    /// The version the schema has after this migration.
    version: u32,
    /// What it adds, for the log.
    description: &'static str,
    /// The SQL, run as one batch.
    sql: &'static str,
}

/// The whole history, in order; `MIGRATIONS[i].version == i + 1`.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "users and tokens, sessions, plans, executions, events, artifacts, audit",
        sql: include_str!("schema_v1.sql"),
    },
    Migration {
        version: 2,
        description: "chat conversations, messages and tasks; settings",
        sql: include_str!("schema_v2.sql"),
    },
    Migration {
        version: 3,
        description: "workflows",
        sql: include_str!("schema_v3.sql"),
    },
    Migration {
        version: 4,
        description: "workflow runs and their events",
        sql: include_str!("schema_v4.sql"),
    },
    Migration {
        version: 5,
        description: "installed plugin packages",
        sql: include_str!("schema_v5.sql"),
    },
    Migration {
        version: 6,
        description: "tokens that expire (console sessions)",
        sql: include_str!("schema_v6.sql"),
    },
    Migration {
        version: 7,
        description: "Mojodex integer keys and executions",
        sql: include_str!("schema_v7.sql"),
    },
    Migration {
        version: 8,
        description: "rehearsal-bound approvals; executions waiting for review",
        sql: include_str!("schema_v8.sql"),
    },
    Migration {
        version: 9,
        description: "workflow runs: held tool calls, a chosen language model, a client's key",
        sql: include_str!("schema_v9.sql"),
    },
];

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The file's schema version (`PRAGMA user_version`; 0 for a new, empty file).
pub(crate) fn version_of(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Refuses a schema newer than this build's; `origin` names the file in the message.
pub(crate) fn refuse_newer(version: u32, origin: &str) -> Result<(), StoreError> {
    if version > SCHEMA_VERSION {
        return Err(StoreError::Migration(format!(
            "{origin} has schema version {version}, but this Drydock understands versions up to \
             {SCHEMA_VERSION}; it was written by a newer Drydock (upgrade Drydock, or use a \
             backup made by this version)"
        )));
    }
    Ok(())
}

/// Applies every migration the file lacks. Returns the resulting version ([`SCHEMA_VERSION`]).
pub(crate) fn migrate(conn: &mut Connection, origin: &str) -> Result<u32, StoreError> {
    refuse_newer(version_of(conn)?, origin)?;
    for migration in MIGRATIONS {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Read again under the write lock: another process may have migrated since the check above.
        let current = version_of(&tx)?;
        refuse_newer(current, origin)?;
        if current >= migration.version {
            continue;
        }
        let failed = |e: rusqlite::Error| {
            StoreError::Migration(format!(
                "migration {} ({}) failed on {origin}: {e}",
                migration.version, migration.description
            ))
        };
        tx.execute_batch(migration.sql).map_err(failed)?;
        tx.pragma_update(None, "user_version", migration.version)
            .map_err(failed)?;
        tx.commit().map_err(failed)?;
        tracing::info!(
            version = migration.version,
            description = migration.description,
            "schema migrated"
        );
    }
    Ok(SCHEMA_VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_versions_are_contiguous_from_one() {
        for (i, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version as usize, i + 1);
        }
    }
}
