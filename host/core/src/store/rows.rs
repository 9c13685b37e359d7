//! Small helpers shared by the table modules: running a query into typed rows, reading JSON and enum
//! columns (an unreadable value is [`StoreError::Corrupt`], naming the column), checking that a referenced
//! row exists.

use std::fmt::Display;
use std::str::FromStr;

use rusqlite::{Connection, OptionalExtension, Params, Row};
use serde_json::Value;

use crate::StoreError;

/// Runs `sql` and converts every row with `convert`.
pub(crate) fn query_all<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    mut convert: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(convert(row)?);
    }
    Ok(out)
}

/// Runs `sql` and converts its first row, if any.
pub(crate) fn query_one<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    convert: impl FnOnce(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    rows.next()?.map(convert).transpose()
}

/// Column `idx` (named `column` in errors) parsed as JSON.
pub(crate) fn json_column(row: &Row<'_>, idx: usize, column: &str) -> Result<Value, StoreError> {
    let text: String = row.get(idx)?;
    serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("{column} is not valid JSON: {e}")))
}

/// Column `idx` (named `column` in errors) parsed with `FromStr`, e.g. a status.
pub(crate) fn parsed_column<T>(row: &Row<'_>, idx: usize, column: &str) -> Result<T, StoreError>
where
    T: FromStr,
    T::Err: Display,
{
    let text: String = row.get(idx)?;
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

/// `Ok(())` when `sql` (a `SELECT 1 ... WHERE id = ?1`) finds a row, else `NotFound(what)`.
pub(crate) fn require(
    conn: &Connection,
    sql: &str,
    id: &str,
    what: impl FnOnce() -> String,
) -> Result<(), StoreError> {
    conn.prepare_cached(sql)?
        .query_row([id], |_| Ok(()))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(what()))
}

/// `limit` capped at [`super::MAX_PAGE`], as SQLite's LIMIT wants it.
pub(crate) fn page_limit(limit: usize) -> i64 {
    limit.min(super::MAX_PAGE) as i64
}
