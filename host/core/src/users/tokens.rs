//! API tokens as rows: issuing one (with or without an end), listing them, revoking one by id or by its
//! secret, and sweeping expired ones.
//!
//! A listed token ([`TokenRow`]) carries its id, owner, label and dates, never the token or its hash: the
//! secret is shown once, when it is issued, and a listing is what an operator's page shows. Expired tokens
//! are left out of listings and refused by [`Store::user_for_token`] at once; they are deleted later, by
//! [`Store::delete_expired_tokens`], so expiry never waits for a sweep.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use rusqlite::{Row, params};
use serde::{Deserialize, Serialize};

use super::{MAX_TOKEN_LABEL_CHARS, TOKEN_PREFIX};
use crate::canonical::sha256_hex;
use crate::stamp::{new_id, now};
use crate::store::rows::{query_all, query_one, require};
use crate::{Store, StoreError};

/// One API token as a listing shows it: never the token, never its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRow {
    /// UUID v4; what revoking names.
    pub id: String,
    /// The owner's user id.
    pub user_id: String,
    /// The owner's username.
    pub owner: String,
    /// What the token is for (`login`, `console session`, or the issuer's words).
    pub label: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// RFC 3339 UTC; `None` for a token that never expires (every API token; console sessions end).
    pub expires_at: Option<String>,
}

/// The columns [`token_from_row`] reads, from `api_tokens t JOIN users u`.
const TOKEN_COLUMNS: &str = "t.id, t.user_id, u.username, t.label, t.created_at, t.expires_at";

impl Store {
    /// Issues a new token for `user_id`, ending at `expires_at` (RFC 3339 UTC) when given, and returns it
    /// with its row; the token cannot be shown again (only its SHA-256 is kept). `label` is at most 100
    /// characters, without control characters (`Invalid` otherwise); an unknown user is `NotFound`.
    pub fn issue_token_expiring(
        &self,
        user_id: &str,
        label: &str,
        expires_at: Option<&str>,
    ) -> Result<(String, TokenRow), StoreError> {
        check_label(label)?;
        let mut secret = [0u8; 32];
        OsRng.fill_bytes(&mut secret);
        let token = format!("{TOKEN_PREFIX}{}", hex::encode(secret));
        let id = new_id();
        let row = self.write_accounts(|tx| {
            require(tx, "SELECT 1 FROM users WHERE id = ?1", user_id, || {
                format!("user {user_id}")
            })?;
            tx.execute(
                "INSERT INTO api_tokens (id, user_id, label, token_sha256, created_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    id,
                    user_id,
                    label,
                    sha256_hex(token.as_bytes()),
                    now(),
                    expires_at
                ],
            )?;
            token_by_id(tx, &id)?.ok_or_else(|| StoreError::NotFound(format!("token {id}")))
        })?;
        Ok((token, row))
    }

    /// The tokens in force (not expired), oldest first: every user's when `owner` (a user id) is `None`.
    pub fn tokens(&self, owner: Option<&str>) -> Result<Vec<TokenRow>, StoreError> {
        self.read(|conn| {
            query_all(
                conn,
                &format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
                     WHERE (?1 IS NULL OR t.user_id = ?1) AND (t.expires_at IS NULL OR t.expires_at > ?2) \
                     ORDER BY t.created_at, t.rowid"
                ),
                params![owner, now()],
                token_from_row,
            )
        })
    }

    /// Deletes the token `id` and returns what it was; `None` when there is no such token, or (with
    /// `owner`, a user id) when it is someone else's, so a user cannot learn which ids exist.
    pub fn revoke_token(
        &self,
        id: &str,
        owner: Option<&str>,
    ) -> Result<Option<TokenRow>, StoreError> {
        self.write_accounts(|tx| {
            let found = token_by_id(tx, id)?.filter(|row| owner.is_none_or(|o| row.user_id == o));
            if found.is_some() {
                tx.execute("DELETE FROM api_tokens WHERE id = ?1", [id])?;
            }
            Ok(found)
        })
    }

    /// Deletes the token whose secret is `token` (signing out) and returns what it was; `None` when it is
    /// unknown (already revoked, or never issued here).
    pub fn revoke_token_secret(&self, token: &str) -> Result<Option<TokenRow>, StoreError> {
        let digest = sha256_hex(token.as_bytes());
        self.write_accounts(|tx| {
            let found = query_one(
                tx,
                &format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
                     WHERE t.token_sha256 = ?1"
                ),
                [&digest],
                token_from_row,
            )?;
            if found.is_some() {
                tx.execute("DELETE FROM api_tokens WHERE token_sha256 = ?1", [&digest])?;
            }
            Ok(found)
        })
    }

    /// Deletes every expired token (they are already refused); returns how many.
    pub fn delete_expired_tokens(&self) -> Result<usize, StoreError> {
        self.write_accounts(|tx| {
            Ok(tx.execute(
                "DELETE FROM api_tokens WHERE expires_at IS NOT NULL AND expires_at <= ?1",
                [now()],
            )?)
        })
    }
}

/// A label is short and printable: it is shown on operators' pages and in the audit log.
fn check_label(label: &str) -> Result<(), StoreError> {
    if label.chars().count() > MAX_TOKEN_LABEL_CHARS || label.chars().any(char::is_control) {
        return Err(StoreError::Invalid(format!(
            "token label must be at most {MAX_TOKEN_LABEL_CHARS} characters, without control characters"
        )));
    }
    Ok(())
}

fn token_by_id(conn: &rusqlite::Connection, id: &str) -> Result<Option<TokenRow>, StoreError> {
    query_one(
        conn,
        &format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?1"
        ),
        [id],
        token_from_row,
    )
}

/// Columns [`TOKEN_COLUMNS`].
fn token_from_row(row: &Row<'_>) -> Result<TokenRow, StoreError> {
    Ok(TokenRow {
        id: row.get(0)?,
        user_id: row.get(1)?,
        owner: row.get(2)?,
        label: row.get(3)?,
        created_at: row.get(4)?,
        expires_at: row.get(5)?,
    })
}
