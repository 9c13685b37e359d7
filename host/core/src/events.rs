//! Events: the ordered stream a client follows (SSE with `Last-Event-ID` replay).
//!
//! `seq` is global and strictly increasing (SQLite AUTOINCREMENT never reuses a value), so "everything after
//! the last seq I saw" is a complete, gap-free replay for a session.

use rusqlite::{Row, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::canonical::canonical_json;
use crate::stamp::now;
use crate::store::rows::{json_column, page_limit, query_all, require};
use crate::{Store, StoreError};

/// One event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    /// Global sequence number, strictly increasing; the SSE event id.
    pub seq: i64,
    /// The session it belongs to.
    pub session_id: String,
    /// What happened, e.g. `plan.generated`, `execution.completed`.
    pub kind: String,
    /// The execution that caused it, if any.
    pub correlation_id: Option<String>,
    /// Kind-specific data (already redacted by the caller).
    pub payload: Value,
    /// RFC 3339 UTC.
    pub created_at: String,
}

impl Store {
    /// Appends an event to a session's stream. `NotFound` for an unknown session; `Invalid` for an empty kind.
    pub fn append_event(
        &self,
        session_id: &str,
        kind: &str,
        correlation_id: Option<&str>,
        payload: &Value,
    ) -> Result<EventRow, StoreError> {
        if kind.trim().is_empty() {
            return Err(StoreError::Invalid("event kind must not be empty".into()));
        }
        let created_at = now();
        let seq = self.write(|tx| {
            require(
                tx,
                "SELECT 1 FROM sessions WHERE id = ?1",
                session_id,
                || format!("session {session_id}"),
            )?;
            tx.execute(
                "INSERT INTO events (session_id, kind, correlation_id, payload, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    session_id,
                    kind,
                    correlation_id,
                    canonical_json(payload),
                    created_at
                ],
            )?;
            Ok(tx.last_insert_rowid())
        })?;
        Ok(EventRow {
            seq,
            session_id: session_id.to_owned(),
            kind: kind.to_owned(),
            correlation_id: correlation_id.map(str::to_owned),
            payload: payload.clone(),
            created_at,
        })
    }

    /// Up to `limit` (at most [`crate::MAX_PAGE`]) events of the session with `seq > after_seq`, in order.
    /// Start with `after_seq = 0`; continue from the last `seq` returned.
    pub fn events_after(
        &self,
        session_id: &str,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<EventRow>, StoreError> {
        self.read(|conn| {
            query_all(
                conn,
                "SELECT seq, session_id, kind, correlation_id, payload, created_at FROM events \
                 WHERE session_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
                params![session_id, after_seq, page_limit(limit)],
                event_from_row,
            )
        })
    }
}

fn event_from_row(row: &Row<'_>) -> Result<EventRow, StoreError> {
    Ok(EventRow {
        seq: row.get(0)?,
        session_id: row.get(1)?,
        kind: row.get(2)?,
        correlation_id: row.get(3)?,
        payload: json_column(row, 4, "events.payload")?,
        created_at: row.get(5)?,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::store::test_support::{session_of_new_user, temp_store};

    #[test]
    fn event_seq_increases_across_sessions() {
        let (_dir, store) = temp_store();
        let a = session_of_new_user(&store, "alice");
        let b = session_of_new_user(&store, "bob");
        let first = store.append_event(&a.id, "x", None, &json!({})).unwrap();
        let second = store.append_event(&b.id, "x", None, &json!({})).unwrap();
        let third = store
            .append_event(&a.id, "y", Some("corr-1"), &json!({"n": 3}))
            .unwrap();
        assert!(first.seq < second.seq && second.seq < third.seq);
    }

    #[test]
    fn events_after_pages_through_one_sessions_events_in_order() {
        let (_dir, store) = temp_store();
        let session = session_of_new_user(&store, "alice");
        let other = session_of_new_user(&store, "bob");
        for n in 0..5 {
            store
                .append_event(&session.id, "tick", None, &json!({"n": n}))
                .unwrap();
            store
                .append_event(&other.id, "noise", None, &json!({}))
                .unwrap();
        }
        let page1 = store.events_after(&session.id, 0, 2).unwrap();
        let page2 = store.events_after(&session.id, page1[1].seq, 2).unwrap();
        let page3 = store.events_after(&session.id, page2[1].seq, 2).unwrap();
        let ns: Vec<_> = [page1, page2, page3.clone()]
            .concat()
            .iter()
            .map(|e| e.payload["n"].clone())
            .collect();
        assert_eq!(ns, [0, 1, 2, 3, 4].map(|n| json!(n)));
        assert!(
            store
                .events_after(&session.id, page3[0].seq, 10)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn an_event_for_an_unknown_session_is_not_found() {
        let (_dir, store) = temp_store();
        let error = store
            .append_event("nope", "x", None, &json!({}))
            .unwrap_err();
        assert!(matches!(error, crate::StoreError::NotFound(_)), "{error}");
    }
}
