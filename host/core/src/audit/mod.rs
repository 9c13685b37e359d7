//! The audit log: append-only and hash-chained, so that any change to past rows is detectable.
//!
//! One row per remote-control operation (who did what to which target, under which correlation id) and
//! per effect. Each row stores the hash of the row before it:
//!
//! ```text
//! hash = hex(sha256(prev_hash ‖ canonical JSON of {action, actor, at, correlation_id, detail, seq, target}))
//! ```
//!
//! `prev_hash` is the previous row's hash as 64 hex digits ([`GENESIS_HASH`] for seq 1). The canonical
//! JSON (written out in `audit/chain.rs`) has sorted keys, no whitespace, `null` for a missing target or
//! correlation id, and `detail` byte for byte as stored, so an external tool can recompute every hash.
//!
//! Appends run under the store's lock in an IMMEDIATE transaction, so two appends can never pick the
//! same `prev_hash` and fork the chain. Async callers (every tool invocation) go through
//! [`Store::audit_append_async`] instead: one commit at a time takes whatever has queued up, in one
//! transaction (group commit, `audit/writer.rs`), and answers each caller once its rows are committed.
//!
//! SQLite triggers refuse `UPDATE` and `DELETE` on the table; they are defense in depth, not the
//! guarantee: someone with the file can drop them. What they cannot do is change, delete, insert or
//! reorder a row without [`Store::audit_verify`] naming the first row that no longer fits. Deleting rows
//! from the end is caught through SQLite's record of the highest seq ever written (`sqlite_sequence`).
//! The chain has no secret key, so someone who rewrites *every* hash from the changed row to the end
//! (and that record) is caught only by comparing the head hash with a copy kept elsewhere:
//! [`Verification::Intact`] reports the head for exactly that purpose.

mod chain;
mod search;
#[cfg(test)]
mod tests;
mod writer;

use std::future::Future;
use std::path::Path;

use rusqlite::{Connection, Row, Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::canonical::canonical_json;
use crate::stamp::now;
use crate::store::rows::json_column;
use crate::store::{DB_FILE_NAME, open_read_only};
use crate::{Store, StoreError};

pub use search::AuditFilter;
pub(crate) use writer::AuditWriter;

/// The `prev_hash` of the first row: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What the caller wants recorded. The store adds `seq`, `at` and the hashes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Who: a username, `anonymous`, `system`, or `plugin:<name>`.
    pub actor: String,
    /// What, e.g. `session.create`, `plan.approve`, `policy.live.set`, `effect`.
    pub action: String,
    /// Which object it acted on (a session id, a plugin name, a URL), if any.
    pub target: Option<String>,
    /// The execution it belongs to, if any.
    pub correlation_id: Option<String>,
    /// Anything else worth keeping. The caller redacts secrets before it gets here.
    pub detail: Value,
}

/// A stored audit row, as the API shows it (camelCase; the hash input of `audit/chain.rs` keeps its own
/// fixed key names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRow {
    /// Position in the chain: 1, 2, 3, ... without gaps.
    pub seq: i64,
    /// When it was appended, RFC 3339 UTC.
    pub at: String,
    /// See [`AuditEntry::actor`].
    pub actor: String,
    /// See [`AuditEntry::action`].
    pub action: String,
    /// See [`AuditEntry::target`].
    pub target: Option<String>,
    /// See [`AuditEntry::correlation_id`].
    pub correlation_id: Option<String>,
    /// See [`AuditEntry::detail`].
    pub detail: Value,
    /// The previous row's `hash` ([`GENESIS_HASH`] for seq 1).
    pub prev_hash: String,
    /// This row's hash (see the module documentation for the formula).
    pub hash: String,
}

/// The result of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Verification {
    /// Every row fits. Keep `head` somewhere else to detect a future rewrite of the whole tail.
    Intact {
        /// How many rows were checked.
        rows: u64,
        /// The last row's hash ([`GENESIS_HASH`] for an empty log).
        head: String,
    },
    /// The first row that does not fit, and why. Rows before it are intact.
    Broken {
        /// The seq of the first broken row (for rows deleted from the end: the first missing seq).
        seq: i64,
        /// What is wrong, e.g. "hash mismatch: ...", "prev_hash does not match row 4 ...",
        /// "sequence gap after 4 ...".
        reason: String,
    },
}

impl Store {
    /// Appends one row to the chain and returns it as stored.
    pub fn audit_append(&self, entry: &AuditEntry) -> Result<AuditRow, StoreError> {
        self.write(|tx| append_checked(tx, entry))
    }

    /// Appends several rows in one transaction (e.g. the effects of one invocation): all or none.
    pub fn audit_append_many(&self, entries: &[AuditEntry]) -> Result<Vec<AuditRow>, StoreError> {
        entries.iter().try_for_each(validate)?;
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        self.write(|tx| append_all(tx, entries))
    }

    /// Appends `entries` as one unit (all or none, contiguous in the chain) without blocking the caller's
    /// task: they join the next group commit. The future resolves once the rows are committed, so an
    /// answer sent after it is as durable as one sent after [`Store::audit_append_many`].
    ///
    /// Rows are in commit order: groups commit one at a time, each in the order its requests were queued.
    /// Validation and the per-row preparation happen here, before anything is queued. Inside a tokio
    /// runtime the commit runs on it (never waiting for a lock there: see `audit/writer.rs`); outside one,
    /// it happens before this returns.
    ///
    /// The answer is where each row landed; every row of one call carries the same `at`, the time its group
    /// was committed.
    pub fn audit_append_async(
        &self,
        entries: Vec<AuditEntry>,
    ) -> impl Future<Output = Result<Vec<ChainLink>, StoreError>> + Send + 'static {
        let queued = match entries.iter().try_for_each(validate) {
            Err(error) => Err(error),
            Ok(()) if entries.is_empty() => Ok(None),
            Ok(()) => Ok(Some(
                self.audit_writer()
                    .submit(entries.iter().map(Prepared::new).collect()),
            )),
        };
        async move {
            match queued? {
                Some(committed) => committed.await,
                None => Ok(Vec::new()),
            }
        }
    }

    /// Up to `limit` (at most [`crate::MAX_PAGE`]) rows with `seq > since_seq` (all rows when `None`), in
    /// chain order, optionally only those of one correlation id ([`Store::audit_search`] for more filters).
    pub fn audit_query(
        &self,
        correlation_id: Option<&str>,
        since_seq: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let filter = AuditFilter {
            correlation_id: correlation_id.map(str::to_owned),
            since: since_seq,
            ..AuditFilter::default()
        };
        self.audit_search(&filter, limit)
    }

    /// Checks the whole chain in seq order and names the first broken row.
    ///
    /// On a file-backed store this reads through a separate read-only connection (a consistent WAL
    /// snapshot), so appends continue while a large log is verified.
    pub fn audit_verify(&self) -> Result<Verification, StoreError> {
        match self.path() {
            Some(path) => chain::verify(&mut open_read_only(path)?),
            None => self.read(chain::verify_snapshot),
        }
    }
}

/// Verifies the audit chain of the store in `data_dir` without opening it for writing: no migrations, no
/// journal-mode change, no writes (for `drydock audit verify --data-dir DIR`, also while a server runs).
/// A missing database is a [`StoreError::Io`] naming the path.
pub fn verify_offline(data_dir: &Path) -> Result<Verification, StoreError> {
    chain::verify(&mut open_read_only(&data_dir.join(DB_FILE_NAME))?)
}

/// The columns of `audit_log`, in the order [`audit_from_row`] reads them. A macro so the append statement
/// below can be one literal: it runs for every audited row, and building its text each time showed up.
macro_rules! audit_columns {
    () => {
        "seq, at, actor, action, target, correlation_id, detail, prev_hash, hash"
    };
}
const COLUMNS: &str = audit_columns!();
const INSERT_ROW: &str = concat!(
    "INSERT INTO audit_log (",
    audit_columns!(),
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
);

fn validate(entry: &AuditEntry) -> Result<(), StoreError> {
    if entry.actor.trim().is_empty() || entry.action.trim().is_empty() {
        return Err(StoreError::Invalid(
            "an audit entry needs an actor and an action".into(),
        ));
    }
    Ok(())
}

/// The end of the chain that the next row attaches to.
#[derive(Debug, Clone)]
pub(crate) struct ChainHead {
    /// The seq of the last row ever written (deleted rows included); the next row gets `seq + 1`.
    seq: i64,
    /// The hash of the last row still present ([`GENESIS_HASH`] when there is none).
    hash: String,
}

impl ChainHead {
    /// Reads the head as stored; call it inside the write transaction that appends after it.
    pub(crate) fn read(conn: &Connection) -> Result<ChainHead, StoreError> {
        // One statement (cached on the connection) for the last row and the high-water mark: every tool
        // call appends, and each statement run has a fixed cost of its own.
        let (last, high_water): (Option<(i64, String)>, i64) =
            conn.prepare_cached(READ_HEAD)?.query_row([], |row| {
                let last = match row.get::<_, Option<i64>>(0)? {
                    Some(seq) => Some((seq, row.get(1)?)),
                    None => None,
                };
                Ok((last, row.get(2)?))
            })?;
        // Never reuse a seq, even one whose row was deleted behind our back: a reused seq would paper over
        // the deletion, a skipped one leaves a gap that verification reports.
        Ok(match last {
            Some((seq, hash)) => ChainHead {
                seq: seq.max(high_water),
                hash,
            },
            None => ChainHead {
                seq: high_water,
                hash: GENESIS_HASH.to_owned(),
            },
        })
    }
}

/// The last row's seq and hash (both NULL for an empty log) and the highest seq ever inserted (SQLite's
/// `sqlite_sequence`, kept because of AUTOINCREMENT; 0 if none): what [`ChainHead::read`] needs, in one row.
/// Scalar subqueries, each a seek to the last row: an earlier form (a `LEFT JOIN` on a `LIMIT 1` subquery)
/// made SQLite materialize the subquery in a temporary b-tree on every call, about 40% slower, and this
/// runs once per audit commit.
const READ_HEAD: &str = "SELECT \
     (SELECT seq FROM audit_log ORDER BY seq DESC LIMIT 1), \
     (SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1), \
     COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'), 0)";

/// Appends one checked row inside the caller's transaction, so a change and its audit row commit
/// together or not at all.
pub(crate) fn append_checked(
    tx: &Transaction<'_>,
    entry: &AuditEntry,
) -> Result<AuditRow, StoreError> {
    validate(entry)?;
    append_after(tx, &mut ChainHead::read(tx)?, entry)
}

/// Appends `entries` after the stored head, inside the caller's (IMMEDIATE) transaction.
pub(crate) fn append_all(
    conn: &Connection,
    entries: &[AuditEntry],
) -> Result<Vec<AuditRow>, StoreError> {
    let mut head = ChainHead::read(conn)?;
    entries
        .iter()
        .map(|entry| append_after(conn, &mut head, entry))
        .collect()
}

/// Appends `entry` after `head` and moves `head` to it. `head` must be the true end of the chain inside the
/// caller's (IMMEDIATE) transaction: read by [`ChainHead::read`], or moved only by earlier appends in it.
pub(crate) fn append_after(
    conn: &Connection,
    head: &mut ChainHead,
    entry: &AuditEntry,
) -> Result<AuditRow, StoreError> {
    let prepared = Prepared::new(entry);
    let at = now();
    let link = append_prepared(conn, head, &prepared, &at)?;
    Ok(AuditRow {
        seq: link.seq,
        at,
        actor: prepared.actor,
        action: prepared.action,
        target: prepared.target,
        correlation_id: prepared.correlation_id,
        detail: entry.detail.clone(),
        prev_hash: link.prev_hash,
        hash: link.hash,
    })
}

/// An entry made ready to append: its detail in canonical form and the parts of its hash preimage that do
/// not depend on its place in the chain written out. The group-commit writer appends on one thread, so
/// this is done by each caller, in parallel, before it queues.
pub(crate) struct Prepared {
    actor: String,
    action: String,
    target: Option<String>,
    correlation_id: Option<String>,
    /// Canonical JSON, stored and hashed byte for byte.
    detail: String,
    preimage: chain::Preimage,
}

impl Prepared {
    /// `entry` ready to append; call [`validate`] first.
    pub(crate) fn new(entry: &AuditEntry) -> Prepared {
        let detail = canonical_json(&entry.detail);
        let preimage = chain::Preimage::new(
            &entry.action,
            &entry.actor,
            entry.correlation_id.as_deref(),
            &detail,
            entry.target.as_deref(),
        );
        Prepared {
            actor: entry.actor.clone(),
            action: entry.action.clone(),
            target: entry.target.clone(),
            correlation_id: entry.correlation_id.clone(),
            detail,
            preimage,
        }
    }
}

/// Where an appended row landed in the chain. An async append answers with these: the rest of each row is
/// what the caller sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLink {
    /// See [`AuditRow::seq`].
    pub seq: i64,
    /// See [`AuditRow::prev_hash`].
    pub prev_hash: String,
    /// See [`AuditRow::hash`].
    pub hash: String,
}

/// Appends `entry` at `at` after `head` and moves `head` to it (same contract as [`append_after`]).
pub(crate) fn append_prepared(
    conn: &Connection,
    head: &mut ChainHead,
    entry: &Prepared,
    at: &str,
) -> Result<ChainLink, StoreError> {
    let seq = head.seq + 1;
    let hash = entry.preimage.hash(&head.hash, at, seq);
    conn.prepare_cached(INSERT_ROW)?.execute(params![
        seq,
        at,
        entry.actor,
        entry.action,
        entry.target,
        entry.correlation_id,
        entry.detail,
        head.hash,
        hash
    ])?;
    let prev_hash = std::mem::replace(&mut head.hash, hash.clone());
    head.seq = seq;
    Ok(ChainLink {
        seq,
        prev_hash,
        hash,
    })
}

fn audit_from_row(row: &Row<'_>) -> Result<AuditRow, StoreError> {
    Ok(AuditRow {
        seq: row.get(0)?,
        at: row.get(1)?,
        actor: row.get(2)?,
        action: row.get(3)?,
        target: row.get(4)?,
        correlation_id: row.get(5)?,
        detail: json_column(row, 6, "audit_log.detail")?,
        prev_hash: row.get(7)?,
        hash: row.get(8)?,
    })
}
