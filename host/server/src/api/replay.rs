//! Replayable SSE streams, shared by session events and run events: the starting point from
//! `Last-Event-ID` (or `?after=`), then stored events after it, then new ones as the core announces them.
//! Each event's `id` is its sequence number, so a reconnecting client resumes without gaps or repeats.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use drydock_core::CoreError;
use futures_util::Stream;
use serde_json::Value;
use tokio::sync::watch;

use super::ApiError;

/// How many stored events one read fetches.
const PAGE: usize = 200;

/// One stored event: its sequence number, its SSE event name, its data.
pub struct Stored {
    /// The sequence number (the SSE `id`).
    pub seq: i64,
    /// The SSE `event` name.
    pub kind: String,
    /// The SSE `data` (JSON).
    pub data: Value,
}

/// Where a stream starts: `Last-Event-ID` if sent (it must be a sequence number), else `after`, else 0.
pub fn start_after(headers: &HeaderMap, after: Option<i64>) -> Result<i64, ApiError> {
    let last_event_id = match headers.get("last-event-id") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .ok_or_else(|| {
                    ApiError::invalid("Last-Event-ID must be an event sequence number")
                })?,
        ),
    };
    Ok(last_event_id.or(after).unwrap_or(0))
}

/// The SSE response: events `fetch(after, PAGE)` returns, oldest first, waking on `signal` when it has
/// none. `what` names the stream in the log if a read fails (the stream then ends).
pub fn replay<F, Fut>(
    signal: watch::Receiver<i64>,
    after: i64,
    what: String,
    fetch: F,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>>
where
    F: FnMut(i64, usize) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Vec<Stored>, CoreError>> + Send + 'static,
{
    let stream = futures_util::stream::unfold(
        (fetch, after, signal, Vec::<Event>::new(), what),
        |(mut fetch, mut after, mut signal, mut pending, what)| async move {
            loop {
                if let Some(event) = pending.pop() {
                    return Some((Ok(event), (fetch, after, signal, pending, what)));
                }
                signal.borrow_and_update();
                match fetch(after, PAGE).await {
                    Ok(rows) if !rows.is_empty() => {
                        after = rows.last().map(|r| r.seq).unwrap_or(after);
                        pending = rows
                            .into_iter()
                            .rev()
                            .map(|row| {
                                Event::default()
                                    .id(row.seq.to_string())
                                    .event(row.kind)
                                    .json_data(row.data)
                                    .unwrap_or_default()
                            })
                            .collect();
                    }
                    Ok(_) => {
                        if signal.changed().await.is_err() {
                            return None;
                        }
                    }
                    Err(err) => {
                        tracing::warn!(stream = what, error = %err, "an event stream stopped");
                        return None;
                    }
                }
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
