//! Searching the audit log the way a person reviewing it asks: by who (actor), by what (action, or a family
//! of actions such as `auth` for `auth.login` and `auth.login.failed`), by execution (correlation id), newest
//! first or in chain order, a page at a time.
//!
//! The log has no index on actor or action: a search scans it, newest rows first, and stops at the page's
//! end. That is fine for the logs one server writes; a log of many millions of rows wants an index, which a
//! later migration can add without changing this interface.

use rusqlite::types::Value as SqlValue;
use serde::Deserialize;

use super::{AuditRow, COLUMNS, audit_from_row};
use crate::store::rows::{page_limit, query_all};
use crate::{Store, StoreError};

/// Which rows a search returns. Every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditFilter {
    /// Only rows of this execution.
    pub correlation_id: Option<String>,
    /// Only rows of this actor (a username, `anonymous`, `system`, `plugin:<name>`).
    pub actor: Option<String>,
    /// Only this action, or the actions under it: `auth.login` matches `auth.login` and `auth.login.failed`.
    pub action: Option<String>,
    /// Only rows with a larger sequence number.
    pub since: Option<i64>,
    /// Only rows with a smaller sequence number (the next page when reading newest first).
    pub before: Option<i64>,
    /// Newest first instead of chain order.
    #[serde(default)]
    pub newest_first: bool,
}

impl Store {
    /// Up to `limit` (at most [`crate::MAX_PAGE`]) rows that match `filter`.
    pub fn audit_search(
        &self,
        filter: &AuditFilter,
        limit: usize,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let mut conditions = vec!["seq > ?".to_owned()];
        let mut values = vec![SqlValue::Integer(filter.since.unwrap_or(0))];
        if let Some(before) = filter.before {
            conditions.push("seq < ?".into());
            values.push(SqlValue::Integer(before));
        }
        if let Some(correlation) = &filter.correlation_id {
            conditions.push("correlation_id = ?".into());
            values.push(SqlValue::Text(correlation.clone()));
        }
        if let Some(actor) = &filter.actor {
            conditions.push("actor = ?".into());
            values.push(SqlValue::Text(actor.clone()));
        }
        if let Some(action) = &filter.action {
            // A prefix match without LIKE, so `%` and `_` in the filter mean themselves.
            conditions.push("(action = ? OR substr(action, 1, length(?) + 1) = ? || '.')".into());
            values.extend([
                SqlValue::Text(action.clone()),
                SqlValue::Text(action.clone()),
                SqlValue::Text(action.clone()),
            ]);
        }
        values.push(SqlValue::Integer(page_limit(limit)));
        let order = if filter.newest_first { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE {} ORDER BY seq {order} LIMIT ?",
            conditions.join(" AND ")
        );
        self.read(|conn| {
            query_all(
                conn,
                &sql,
                rusqlite::params_from_iter(values.iter()),
                audit_from_row,
            )
        })
    }
}
