//! The tokens this process has let in lately, so that a request whose token is known is authenticated
//! without a trip to the database.
//!
//! Why: every authenticated request looked its token up in SQLite on the blocking pool, which costs a thread
//! wake-up each way and a turn at the connection's lock, shared with the audit log's commits. In the http
//! bench, with a user's token instead of the bootstrap token, that was about 35 µs of CPU per request, a
//! quarter of what a sandboxed, audited call costs in all.
//!
//! It never lets in what this process has revoked:
//! - every write to the users or tokens tables goes through [`Store::write_accounts`], which empties the
//!   cache once the write is over;
//! - a lookup that read the database before such a write cannot put its answer in afterwards: the answer
//!   carries the [`Generation`] it was read under, and emptying moves to the next one;
//! - a token with an end is refused from that moment on: each hit compares the end with the time, as the
//!   query does.
//!
//! Rows changed by another process are seen at most [`RECHECK`] later. Only `drydock user add` does that,
//! and it only adds: nothing else writes the file while a server holds the data directory.
//!
//! Only tokens that were let in are kept, so a flood of bad tokens cannot fill the cache. Entries are keyed
//! by the token's SHA-256, as the table is, never by the token itself. There are at most [`CAPACITY`]
//! entries.
//!
//! [`Store::write_accounts`]: crate::Store::write_accounts

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::User;

/// How long a token is trusted without a look at the database.
pub(crate) const RECHECK: Duration = Duration::from_secs(1);

/// The most tokens kept; the cache is emptied when a new one would pass it.
pub(crate) const CAPACITY: usize = 4096;

/// Tokens let in lately, by SHA-256.
pub(crate) struct TokenCache {
    inner: Mutex<Inner>,
    recheck: Duration,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    entries: HashMap<String, Entry>,
}

struct Entry {
    user: User,
    /// The token's end (RFC 3339 UTC, as stored), if it has one.
    expires_at: Option<String>,
    /// When the database last said this token is good.
    checked: Instant,
}

/// The cache's state when a lookup began; an answer read under an older one is not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Generation(u64);

impl TokenCache {
    /// An empty cache that trusts an entry for [`RECHECK`].
    pub(crate) fn new() -> Self {
        Self::trusting_for(RECHECK)
    }

    fn trusting_for(recheck: Duration) -> Self {
        Self {
            inner: Mutex::default(),
            recheck,
        }
    }

    /// The user of the token whose SHA-256 is `digest`, if the database said it was good less than
    /// [`RECHECK`] ago and nothing has changed the accounts since, and it has not ended by `now()` (a
    /// [`crate::stamp::now`] string, asked for only when the token has an end). `None` means "look it up",
    /// never "refused".
    pub(crate) fn get(&self, digest: &str, now: impl FnOnce() -> String) -> Option<User> {
        let inner = self.lock();
        let entry = inner.entries.get(digest)?;
        if entry.checked.elapsed() >= self.recheck {
            return None;
        }
        if let Some(end) = &entry.expires_at
            && end.as_str() <= now().as_str()
        {
            return None;
        }
        Some(entry.user.clone())
    }

    /// Taken before reading the database, for [`TokenCache::put`].
    pub(crate) fn generation(&self) -> Generation {
        Generation(self.lock().generation)
    }

    /// Keeps what the database said about a good token, unless the accounts changed after `read_under`
    /// was taken.
    pub(crate) fn put(
        &self,
        read_under: Generation,
        digest: String,
        user: User,
        expires_at: Option<String>,
    ) {
        let mut inner = self.lock();
        if inner.generation != read_under.0 {
            return;
        }
        if inner.entries.len() >= CAPACITY && !inner.entries.contains_key(&digest) {
            inner.entries.clear();
        }
        inner.entries.insert(
            digest,
            Entry {
                user,
                expires_at,
                checked: Instant::now(),
            },
        );
    }

    /// Forgets every token and moves to the next generation: the accounts have changed.
    pub(crate) fn forget_all(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every critical section leaves `Inner` whole (an insert, a clear, a counter).
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

    fn alice() -> User {
        User {
            id: "u-1".into(),
            username: "alice".into(),
            role: Role::User,
            created_at: "2026-01-01T00:00:00.000000Z".into(),
        }
    }

    const NOON: &str = "2026-06-01T12:00:00.000000Z";

    #[test]
    fn a_kept_token_is_answered_until_the_accounts_change() {
        let cache = TokenCache::new();
        let generation = cache.generation();
        cache.put(generation, "d1".into(), alice(), None);
        assert_eq!(cache.get("d1", || NOON.into()), Some(alice()));
        assert_eq!(cache.get("d2", || NOON.into()), None);
        cache.forget_all();
        assert_eq!(cache.get("d1", || NOON.into()), None);
    }

    #[test]
    fn an_answer_read_before_a_change_is_not_kept_after_it() {
        let cache = TokenCache::new();
        let before = cache.generation();
        // The revocation commits and empties the cache while the lookup is reading the old row.
        cache.forget_all();
        cache.put(before, "d1".into(), alice(), None);
        assert_eq!(cache.get("d1", || NOON.into()), None);
        let after = cache.generation();
        cache.put(after, "d1".into(), alice(), None);
        assert_eq!(cache.get("d1", || NOON.into()), Some(alice()));
    }

    #[test]
    fn a_token_is_refused_from_its_end_on() {
        let cache = TokenCache::new();
        let ends = "2026-06-01T12:00:00.000000Z".to_owned();
        cache.put(cache.generation(), "d1".into(), alice(), Some(ends.clone()));
        assert_eq!(
            cache.get("d1", || "2026-06-01T11:59:59.999999Z".into()),
            Some(alice())
        );
        assert_eq!(cache.get("d1", || ends.clone()), None);
        assert_eq!(
            cache.get("d1", || "2026-06-02T00:00:00.000000Z".into()),
            None
        );
    }

    #[test]
    fn an_entry_older_than_the_recheck_is_looked_up_again() {
        let cache = TokenCache::trusting_for(Duration::ZERO);
        cache.put(cache.generation(), "d1".into(), alice(), None);
        assert_eq!(cache.get("d1", || NOON.into()), None);
    }

    #[test]
    fn a_full_cache_starts_over_instead_of_growing() {
        let cache = TokenCache::new();
        let generation = cache.generation();
        for n in 0..CAPACITY {
            cache.put(generation, format!("d{n}"), alice(), None);
        }
        assert_eq!(cache.lock().entries.len(), CAPACITY);
        // A token already kept is refreshed in place.
        cache.put(generation, "d0".into(), alice(), None);
        assert_eq!(cache.lock().entries.len(), CAPACITY);
        cache.put(generation, "new".into(), alice(), None);
        assert_eq!(cache.lock().entries.len(), 1);
        assert_eq!(cache.get("new", || NOON.into()), Some(alice()));
    }
}
