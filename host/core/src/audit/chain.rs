//! The hash chain: how a row's hash is computed, and the verifier that walks the chain.
//!
//! The verifier streams rows in seq order (constant memory, whatever the log's size) and stops at the first
//! row that does not fit. Checks per row, in this order, so the reason names the most specific cause:
//! 1. its seq follows the previous one (a gap means rows were deleted);
//! 2. its `prev_hash` equals the previous row's hash (else a row was inserted, reordered or re-hashed);
//! 3. its `hash` equals the hash recomputed from its content (else the content or the hash was edited).
//!
//! A value of the wrong type (possible only if the table was rebuilt outside Drydock) breaks the row too.
//! After the last row, SQLite's record of the highest seq ever written catches rows deleted from the end.

use rusqlite::{Connection, OptionalExtension, Row};
use sha2::{Digest, Sha256};

use super::{GENESIS_HASH, Verification};
use crate::StoreError;
use crate::canonical::json_string;

/// The hashed fields of one row, as stored.
pub(super) struct Fields<'a> {
    /// Position in the chain.
    pub seq: i64,
    /// RFC 3339 UTC.
    pub at: &'a str,
    /// Who.
    pub actor: &'a str,
    /// What.
    pub action: &'a str,
    /// On what, if anything.
    pub target: Option<&'a str>,
    /// Which execution, if any.
    pub correlation_id: Option<&'a str>,
    /// The stored canonical JSON text of the detail, hashed byte for byte.
    pub detail: &'a str,
}

/// The canonical JSON object that is hashed: keys sorted, no whitespace, `null` for missing values. The
/// detail is embedded as stored, so any byte changed in it changes the hash. Written out by hand (not with a
/// map) so that the format is fixed here, whatever serde_json's features.
///
/// Held in three pieces around the two fields that only the chain decides, `at` and `seq` (the keys sort so
/// that they fall in the middle). Group commits append rows strictly one after another; writing the
/// pieces before a row is queued keeps that serial stretch down to filling in two values, one SHA-256 and
/// the insert.
pub(super) struct Preimage {
    /// `{"action":…,"actor":…,"at":`
    before_at: String,
    /// `,"correlation_id":…,"detail":…,"seq":`
    before_seq: String,
    /// `,"target":…}`
    tail: String,
}

impl Preimage {
    /// The pieces for a row with these values; `detail` is the stored canonical JSON text.
    pub(super) fn new(
        action: &str,
        actor: &str,
        correlation_id: Option<&str>,
        detail: &str,
        target: Option<&str>,
    ) -> Preimage {
        let optional = |value: Option<&str>| value.map_or_else(|| "null".to_owned(), json_string);
        Preimage {
            before_at: format!(
                r#"{{"action":{},"actor":{},"at":"#,
                json_string(action),
                json_string(actor)
            ),
            before_seq: format!(
                r#","correlation_id":{},"detail":{detail},"seq":"#,
                optional(correlation_id)
            ),
            tail: format!(r#","target":{}}}"#, optional(target)),
        }
    }

    /// `hex(sha256(prev_hash ‖ preimage))` for the row at `seq`, appended at `at`.
    pub(super) fn hash(&self, prev_hash: &str, at: &str, seq: i64) -> String {
        let mut hasher = Sha256::new();
        hasher.update(prev_hash.as_bytes());
        hasher.update(self.before_at.as_bytes());
        hasher.update(json_string(at).as_bytes());
        hasher.update(self.before_seq.as_bytes());
        hasher.update(seq.to_string().as_bytes());
        hasher.update(self.tail.as_bytes());
        hex::encode(hasher.finalize())
    }
}

/// `hex(sha256(prev_hash ‖ canonical JSON of fields))`, for a row read back (the verifier, tests).
pub(super) fn row_hash(prev_hash: &str, fields: &Fields<'_>) -> String {
    Preimage::new(
        fields.action,
        fields.actor,
        fields.correlation_id,
        fields.detail,
        fields.target,
    )
    .hash(prev_hash, fields.at, fields.seq)
}

/// The highest audit seq ever inserted (SQLite's `sqlite_sequence`, kept because of AUTOINCREMENT); 0 if none.
pub(super) fn high_water(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'")?
        .query_row([], |row| row.get(0))
        .optional()
        .map(Option::unwrap_or_default)
}

/// Verifies the chain inside one read transaction, so concurrent appends do not move the rows under it.
pub(super) fn verify(conn: &mut Connection) -> Result<Verification, StoreError> {
    let snapshot = conn.transaction()?;
    verify_snapshot(&snapshot)
}

/// Verifies the chain as `conn` currently sees it.
pub(super) fn verify_snapshot(conn: &Connection) -> Result<Verification, StoreError> {
    let high_water = high_water(conn)?;
    let mut stmt = conn.prepare(
        "SELECT seq, at, actor, action, target, correlation_id, detail, prev_hash, hash \
         FROM audit_log ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let (mut count, mut last_seq, mut last_hash) = (0u64, 0i64, GENESIS_HASH.to_owned());
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let stored = match Stored::read(row) {
            Ok(stored) => stored,
            Err(rusqlite::Error::InvalidColumnType(_, column, kind)) => {
                return Ok(broken(
                    seq,
                    format!("column {column} holds {kind}: the row was changed outside Drydock"),
                ));
            }
            Err(rusqlite::Error::FromSqlConversionFailure(index, _, _)) => {
                return Ok(broken(
                    seq,
                    format!("column {index} is unreadable: the row was changed outside Drydock"),
                ));
            }
            Err(other) => return Err(other.into()),
        };
        if let Some(reason) = misfit(seq, &stored, last_seq, &last_hash) {
            return Ok(broken(seq, reason));
        }
        (count, last_seq, last_hash) = (count + 1, seq, stored.hash);
    }
    if high_water > last_seq {
        let reason =
            format!("rows after seq {last_seq} are missing: the log once reached seq {high_water}");
        return Ok(broken(last_seq + 1, reason));
    }
    Ok(Verification::Intact {
        rows: count,
        head: last_hash,
    })
}

/// One row's stored values, read without trusting their types.
struct Stored {
    at: String,
    actor: String,
    action: String,
    target: Option<String>,
    correlation_id: Option<String>,
    detail: String,
    prev_hash: String,
    hash: String,
}

impl Stored {
    fn read(row: &Row<'_>) -> rusqlite::Result<Stored> {
        Ok(Stored {
            at: row.get(1)?,
            actor: row.get(2)?,
            action: row.get(3)?,
            target: row.get(4)?,
            correlation_id: row.get(5)?,
            detail: row.get(6)?,
            prev_hash: row.get(7)?,
            hash: row.get(8)?,
        })
    }
}

/// Why the row at `seq` does not follow the row `(last_seq, last_hash)`, or `None` if it does.
fn misfit(seq: i64, row: &Stored, last_seq: i64, last_hash: &str) -> Option<String> {
    if seq != last_seq + 1 {
        let missing = if seq == last_seq + 2 {
            format!("row {} is missing", last_seq + 1)
        } else {
            format!("rows {} to {} are missing", last_seq + 1, seq - 1)
        };
        return Some(if last_seq == 0 {
            format!("the log does not start at seq 1: {missing}")
        } else {
            format!("sequence gap after {last_seq}: {missing}")
        });
    }
    if row.prev_hash != last_hash {
        return Some(if last_seq == 0 {
            "prev_hash of the first row is not the genesis hash: rows were inserted before it"
                .to_owned()
        } else {
            format!(
                "prev_hash does not match row {last_seq}: \
                 a row was inserted, reordered or re-hashed"
            )
        });
    }
    let fields = Fields {
        seq,
        at: &row.at,
        actor: &row.actor,
        action: &row.action,
        target: row.target.as_deref(),
        correlation_id: row.correlation_id.as_deref(),
        detail: &row.detail,
    };
    if row_hash(&row.prev_hash, &fields) != row.hash {
        return Some("hash mismatch: the row's content or its stored hash was changed".to_owned());
    }
    None
}

fn broken(seq: i64, reason: String) -> Verification {
    tracing::warn!(seq, %reason, "audit chain broken");
    Verification::Broken { seq, reason }
}
