//! Users, passwords and API tokens.
//!
//! Passwords are hashed with argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes, 1 lane, the OWASP
//! recommendation) into a PHC string. API tokens are `dd_` + 64 hex digits (32 bytes from the OS RNG); only
//! their SHA-256 is stored, so a copy of the database does not let anyone call the API. A token is already
//! high-entropy, so a fast hash is enough (unlike a password, it cannot be guessed offline).

mod token_cache;
mod tokens;

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rusqlite::{Row, params};
use serde::{Deserialize, Serialize};

pub(crate) use token_cache::TokenCache;
pub use tokens::TokenRow;

use crate::canonical::sha256_hex;
use crate::stamp::{new_id, now};
use crate::store::rows::{parsed_column, query_all, query_one};
use crate::text_enum::named_enum;
use crate::{Store, StoreError};

/// The prefix of every API token, so a leaked one is recognisable (and greppable by secret scanners).
pub const TOKEN_PREFIX: &str = "dd_";

/// The longest password accepted, in bytes: argon2 is fed the whole password, so a bound keeps one
/// request from costing more than another.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Names that the audit log uses for non-users; no account may take them.
const RESERVED_USERNAMES: &[&str] = &["anonymous", "system", "bootstrap"];

/// The longest token label, in characters.
pub const MAX_TOKEN_LABEL_CHARS: usize = 100;

named_enum! {
    /// What a user may do. Operators may also change the LivePolicy and request live executions.
    pub enum Role ("role") {
        /// Works with sessions, plans and dry runs.
        User => "user",
        /// Everything a user may do, plus operator routes (LivePolicy, live executions).
        Operator => "operator",
    }
}

/// An account. The password hash never leaves this module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// UUID v4.
    pub id: String,
    /// Unique login name, `^[a-z0-9_.-]{1,64}$`.
    pub username: String,
    /// What the user may do.
    pub role: Role,
    /// RFC 3339 UTC.
    pub created_at: String,
}

impl Store {
    /// Creates a user with an argon2id password hash.
    ///
    /// Refused with `Invalid` when the username is not `^[a-z0-9_.-]{1,64}$` or is reserved
    /// (`anonymous`, `system`, `bootstrap`: names the audit log uses for non-users), or the password is
    /// empty or longer than [`MAX_PASSWORD_BYTES`]; with `Conflict` when the name is taken.
    pub fn add_user(&self, username: &str, password: &str, role: Role) -> Result<User, StoreError> {
        validate_username(username)?;
        if password.is_empty() || password.len() > MAX_PASSWORD_BYTES {
            return Err(StoreError::Invalid(format!(
                "password must be 1 to {MAX_PASSWORD_BYTES} bytes long"
            )));
        }
        // Hash before taking the database lock: it is the slow part.
        let password_hash = hash_password(password)?;
        let user = User {
            id: new_id(),
            username: username.to_owned(),
            role,
            created_at: now(),
        };
        self.write_accounts(|tx| {
            tx.execute(
                "INSERT INTO users (id, username, password_hash, role, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    user.id,
                    user.username,
                    password_hash,
                    role.as_str(),
                    user.created_at
                ],
            )
            .map_err(|e| {
                StoreError::conflict_on_unique(e, || format!("user `{username}` already exists"))
            })?;
            Ok(())
        })?;
        Ok(user)
    }

    /// The user when `password` is theirs; `None` for a wrong password *and* for an unknown user.
    ///
    /// An unknown user still costs one argon2 verification (against a fixed dummy hash), so the response
    /// time does not reveal which names exist. (The dummy hash is made on first use; that one call is slower.)
    pub fn verify_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<User>, StoreError> {
        let found = self.read(|conn| {
            query_one(
                conn,
                "SELECT id, username, role, created_at, password_hash \
                 FROM users WHERE username = ?1",
                [username],
                |row| Ok((user_from_row(row)?, row.get::<_, String>(4)?)),
            )
        })?;
        let Some((user, stored)) = found else {
            let _ = password_matches(password, dummy_hash());
            return Ok(None);
        };
        let parsed = PasswordHash::new(&stored).map_err(|_| {
            StoreError::Corrupt(format!(
                "the stored password hash of user `{}` is unreadable",
                user.username
            ))
        })?;
        Ok(password_matches(password, &parsed).then_some(user))
    }

    /// Issues a new API token for `user_id` that never expires and returns it; it cannot be shown again
    /// (only its SHA-256 is kept). `label` (at most 100 characters, no control characters) says what it is
    /// for. [`Store::issue_token_expiring`] issues one with an end.
    pub fn issue_token(&self, user_id: &str, label: &str) -> Result<String, StoreError> {
        Ok(self.issue_token_expiring(user_id, label, None)?.0)
    }

    /// The user a token belongs to; `None` for an unknown, malformed or expired token. A token this
    /// process let in lately is answered from its token cache (`users/token_cache.rs` says why that is never
    /// stale here).
    pub fn user_for_token(&self, token: &str) -> Result<Option<User>, StoreError> {
        let Some(digest) = token_digest(token) else {
            return Ok(None);
        };
        if let Some(user) = self.token_cache().get(&digest, now) {
            return Ok(Some(user));
        }
        let generation = self.token_cache().generation();
        let found = self.read(|conn| {
            query_one(
                conn,
                "SELECT u.id, u.username, u.role, u.created_at, t.expires_at \
                 FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.token_sha256 = ?1 AND (t.expires_at IS NULL OR t.expires_at > ?2)",
                [&digest, &now()],
                |row| Ok((user_from_row(row)?, row.get::<_, Option<String>>(4)?)),
            )
        })?;
        Ok(found.map(|(user, expires_at)| {
            self.token_cache()
                .put(generation, digest, user.clone(), expires_at);
            user
        }))
    }

    /// [`Store::user_for_token`] for a token this process let in lately, without the database (so without
    /// its lock: an async caller need not move to the blocking pool). `None` means "look it up", not
    /// "refused".
    pub fn cached_user_for_token(&self, token: &str) -> Option<User> {
        self.token_cache().get(&token_digest(token)?, now)
    }

    /// [`Store::write`] for the users and tokens tables: once it is over (committed or rolled back), the
    /// [`TokenCache`] is emptied, so no request is let in on a row it changed.
    pub(crate) fn write_accounts<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let written = self.write(f);
        self.token_cache().forget_all();
        written
    }

    /// How many users exist (0 means the first-run bootstrap has not happened).
    pub fn user_count(&self) -> Result<u64, StoreError> {
        self.read(|conn| Ok(conn.query_row("SELECT count(*) FROM users", [], |row| row.get(0))?))
    }

    /// The oldest operator account, if there is one.
    pub fn first_operator(&self) -> Result<Option<User>, StoreError> {
        self.read(|conn| {
            query_one(
                conn,
                "SELECT id, username, role, created_at FROM users WHERE role = 'operator' \
                 ORDER BY created_at, rowid LIMIT 1",
                [],
                user_from_row,
            )
        })
    }

    /// Every user, oldest first.
    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        self.read(|conn| {
            query_all(
                conn,
                "SELECT id, username, role, created_at FROM users ORDER BY created_at, rowid",
                [],
                user_from_row,
            )
        })
    }

    /// The user with this name, if any.
    pub fn user_by_name(&self, username: &str) -> Result<Option<User>, StoreError> {
        self.read(|conn| {
            query_one(
                conn,
                "SELECT id, username, role, created_at FROM users WHERE username = ?1",
                [username],
                user_from_row,
            )
        })
    }
}

/// The SHA-256 (hex) of `token`, which is what the tokens table keeps; `None` when it is not shaped like
/// one of our tokens (`dd_` and 64 lowercase hex digits), so it is not looked up at all.
fn token_digest(token: &str) -> Option<String> {
    let well_formed = token.strip_prefix(TOKEN_PREFIX).is_some_and(|rest| {
        rest.len() == 64
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    well_formed.then(|| sha256_hex(token.as_bytes()))
}

/// Columns `id, username, role, created_at`.
fn user_from_row(row: &Row<'_>) -> Result<User, StoreError> {
    Ok(User {
        id: row.get(0)?,
        username: row.get(1)?,
        role: parsed_column(row, 2, "users.role")?,
        created_at: row.get(3)?,
    })
}

fn validate_username(username: &str) -> Result<(), StoreError> {
    let allowed =
        |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-');
    if username.is_empty() || username.len() > 64 || !username.bytes().all(allowed) {
        return Err(StoreError::Invalid(format!(
            "username `{}` must be 1 to 64 characters from a-z, 0-9, `_`, `.`, `-`",
            username.escape_debug()
        )));
    }
    if RESERVED_USERNAMES.contains(&username) {
        return Err(StoreError::Invalid(format!(
            "username `{username}` is reserved for the audit log"
        )));
    }
    Ok(())
}

fn hash_password(password: &str) -> Result<String, StoreError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| StoreError::Invalid(format!("password cannot be hashed: {e}")))
}

fn password_matches(password: &str, hash: &PasswordHash<'_>) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A hash of a random password with the same parameters as real ones, for unknown users.
fn dummy_hash() -> &'static PasswordHash<'static> {
    static PHC: OnceLock<String> = OnceLock::new();
    static PARSED: OnceLock<PasswordHash<'static>> = OnceLock::new();
    PARSED.get_or_init(|| {
        let phc = PHC.get_or_init(|| {
            let mut random = [0u8; 16];
            OsRng.fill_bytes(&mut random);
            hash_password(&hex::encode(random))
                .expect("default argon2 parameters hash a 32-byte password")
        });
        PasswordHash::new(phc).expect("a PHC string argon2 just produced parses")
    })
}

#[cfg(test)]
mod tests;
