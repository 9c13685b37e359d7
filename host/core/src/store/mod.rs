//! [`Store`]: the one SQLite file that holds everything Drydock must remember across a restart.
//!
//! One connection behind a `std::sync::Mutex`. The methods are synchronous and short; the server calls them
//! from `tokio::task::spawn_blocking`. Every write is one IMMEDIATE transaction (the write lock is taken at
//! `BEGIN`, so a read-then-write such as "next plan version" or "next audit seq" cannot interleave with
//! another process's write). Slow work that needs no database (argon2 hashing) happens outside the lock.
//! The one exception to "called from the blocking pool" is the audit log's group commit
//! ([`Store::audit_append_async`]): its group commits run on the async workers when this connection's lock
//! and SQLite's write lock are free at once, and otherwise on the blocking pool; either way they take the
//! same lock and serialize with every other write exactly as a blocking-pool caller would.
//!
//! The table-specific methods live beside their row types ([`crate::users`], [`crate::plans`], ...); this
//! module only opens the file, runs migrations and hands out the connection.

mod checkpoint;
mod migrations;
pub(crate) mod rows;
#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

pub use migrations::SCHEMA_VERSION;

use crate::audit::AuditWriter;
use crate::users::TokenCache;
use checkpoint::Checkpointer;

// Everything the store reads and writes, importable beside it (`use drydock_core::store::{Store, Role}`).
pub use crate::{
    ArtifactRow, AuditEntry, AuditRow, EventRow, ExecutionRow, ExecutionStatus, PlanRow,
    PlanStatus, Role, SessionRow, StoreError, User, Verification,
};

/// The database file's name inside the data directory.
pub const DB_FILE_NAME: &str = "drydock.sqlite3";

/// The most rows one page of a listing returns (events, audit rows), whatever `limit` asks for.
pub const MAX_PAGE: usize = 1000;

/// How long a statement waits for another process's lock before failing with "database is locked".
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The durable store. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct Store {
    /// Shared with the audit group commit, which takes the same lock for each group.
    conn: Arc<Mutex<Connection>>,
    /// The database file, or `None` in memory.
    path: Option<PathBuf>,
    /// The audit group commit's queue, made by the first [`Store::audit_append_async`]. Dropping the store
    /// commits everything still queued.
    audit_writer: OnceLock<AuditWriter>,
    /// The tokens let in lately (see [`TokenCache`]); emptied by every write to the accounts.
    token_cache: TokenCache,
    /// Runs the WAL checkpoints of an on-disk store (see [`checkpoint`]); `None` in memory, or if its
    /// connection could not be opened (SQLite's auto-checkpoint then stays on).
    _checkpointer: Option<Checkpointer>,
}

impl Store {
    /// Opens (creating if needed) `<data_dir>/drydock.sqlite3` and brings its schema up to date.
    ///
    /// Settings, and why:
    /// - `journal_mode=WAL`: readers never block the writer, and a reader (the audit verifier, `drydock
    ///   audit verify` in another process) sees a consistent snapshot.
    /// - `synchronous=NORMAL`: in WAL mode a commit is appended to the WAL without an fsync; the WAL is
    ///   fsynced at each checkpoint. A committed transaction survives a crash of Drydock itself; a power
    ///   loss or kernel crash may lose the last few commits but never corrupts the file. `FULL` would fsync
    ///   every commit (every event and audit row) for protection against that rarer case only.
    /// - `foreign_keys=ON`: SQLite leaves it off by default; rows must not point at missing sessions.
    /// - `busy_timeout=5000`: wait up to 5 s for another process's lock instead of failing at once.
    ///
    /// A file written by a newer Drydock (higher schema version) is refused before anything is written.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::Io {
            path: data_dir.to_owned(),
            source,
        })?;
        let path = data_dir.join(DB_FILE_NAME);
        let open_error = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        let mut conn = Connection::open(&path).map_err(open_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        let origin = path.display().to_string();
        // Reading the header is also the first moment SQLite notices a file that is not a database.
        let version = migrations::version_of(&conn).map_err(open_error)?;
        migrations::refuse_newer(version, &origin)?;
        configure(&conn, true).map_err(open_error)?;
        migrations::migrate(&mut conn, &origin)?;
        let checkpointer = match Checkpointer::start(&path) {
            Ok(checkpointer) => {
                conn.pragma_update(None, "wal_autocheckpoint", 0)
                    .map_err(open_error)?;
                Some(checkpointer)
            }
            Err(error) => {
                tracing::warn!(path = %origin, %error, "no checkpoint thread; commits will checkpoint the WAL themselves");
                None
            }
        };
        tracing::debug!(path = %origin, "store opened");
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
            path: Some(path),
            audit_writer: OnceLock::new(),
            token_cache: TokenCache::new(),
            _checkpointer: checkpointer,
        })
    }

    /// A private in-memory store with the full schema; nothing survives drop. Meant for tests.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let mut conn = Connection::open_in_memory()?;
        configure(&conn, false)?;
        migrations::migrate(&mut conn, "the in-memory database")?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
            path: None,
            audit_writer: OnceLock::new(),
            token_cache: TokenCache::new(),
            _checkpointer: None,
        })
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version of the open file (equal to [`SCHEMA_VERSION`] once opened).
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        self.read(|conn| Ok(migrations::version_of(conn)?))
    }

    /// Runs `f` with the connection locked, for reads (and single-statement writes).
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        f(&self.lock())
    }

    /// Runs `f` inside one IMMEDIATE transaction, committed if `f` succeeds and rolled back otherwise.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        in_immediate_transaction(&mut self.lock(), f)
    }

    /// The audit writer, started on first use with a handle on this store's connection.
    pub(crate) fn audit_writer(&self) -> &AuditWriter {
        self.audit_writer.get_or_init(|| {
            let origin = self
                .path
                .clone()
                .unwrap_or_else(|| PathBuf::from(":memory:"));
            AuditWriter::new(Arc::clone(&self.conn), origin)
        })
    }

    /// The tokens let in lately.
    pub(crate) fn token_cache(&self) -> &TokenCache {
        &self.token_cache
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        lock_connection(&self.conn)
    }
}

/// Locks the store's connection.
pub(crate) fn lock_connection(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A holder that panicked dropped its `Transaction`, which rolled back: the connection is still
    // consistent, so poisoning carries no information here.
    conn.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `f` inside one IMMEDIATE transaction on `conn`, committed if `f` succeeds and rolled back otherwise.
pub(crate) fn in_immediate_transaction<T>(
    conn: &mut Connection,
    f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let value = f(&tx)?;
    tx.commit()?;
    Ok(value)
}

/// [`in_immediate_transaction`] for the audit log's group commit, which runs one per tool call: `BEGIN
/// IMMEDIATE` and `COMMIT` come from the connection's statement cache instead of being parsed again each
/// time (rusqlite's `Transaction` runs them as SQL text, which the commit path's profile showed). Same
/// semantics: committed if `f` succeeds; rolled back if `f` fails, if `COMMIT` fails, or if `f` panics
/// (the guard's drop), so the connection is never left inside a transaction.
pub(crate) fn in_cached_immediate_transaction<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
    let _rollback = RollbackUnlessCommitted(conn);
    let value = f(conn)?;
    conn.prepare_cached("COMMIT")?.execute([])?;
    Ok(value)
}

/// Rolls back the connection's open transaction when dropped, if it is still open.
struct RollbackUnlessCommitted<'c>(&'c Connection);

impl Drop for RollbackUnlessCommitted<'_> {
    fn drop(&mut self) {
        if !self.0.is_autocommit() {
            let _ = self.0.execute_batch("ROLLBACK");
        }
    }
}

/// Sets the per-connection pragmas described on [`Store::open`].
fn configure(conn: &Connection, on_disk: bool) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    if on_disk {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(%mode, "SQLite refused WAL mode; readers will block the writer");
        }
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Opens an existing database file read-only: no migrations, no writes, not even to the journal mode.
/// Used by the audit verifier so that a long verification never holds the writer's lock.
pub(crate) fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    std::fs::metadata(path).map_err(|source| StoreError::Io {
        path: path.to_owned(),
        source,
    })?;
    let open_error = |source| StoreError::Open {
        path: path.to_owned(),
        source,
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(open_error)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
    let origin = path.display().to_string();
    match migrations::version_of(&conn).map_err(open_error)? {
        0 => Err(StoreError::Migration(format!(
            "{origin} has no Drydock schema (user_version 0); is this the right data directory?"
        ))),
        version => {
            migrations::refuse_newer(version, &origin)?;
            Ok(conn)
        }
    }
}
