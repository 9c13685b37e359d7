//! The chat API of seed 000: `POST /api/v1/chat`, its streaming variant `POST /api/v1/chat/stream` (SSE:
//! `progress`, `token`, then `done` with the same body as the plain route, or `error`; a request that
//! cannot start is a plain JSON 400 or 404 before any stream), `GET /api/v1/tasks`
//! and `GET /api/v1/tasks/{id}`, and the conversation's messages. Field names are the seed's (snake_case).

use std::convert::Infallible;

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use drydock_core::chat::{ChatProgress, ChatRequest};
use futures_util::Stream;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::auth::Caller;
use super::{ApiError, AppState};

type JsonBody<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

/// How many progress items a streaming chat buffers for a slow client before the agent waits for it.
const STREAM_BUFFER: usize = 64;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/chat", post(chat))
        .route("/api/v1/chat/stream", post(chat_stream))
        .route("/api/v1/tasks", get(tasks))
        .route("/api/v1/tasks/{id}", get(task))
        .route("/api/v1/conversations/{id}/messages", get(messages))
}

async fn chat(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: JsonBody<ChatRequest>,
) -> Result<Json<Value>, ApiError> {
    let Json(request) = body?;
    let reply = state.core.chat(&actor, request, None).await?;
    Ok(Json(reply.to_json()))
}

async fn chat_stream(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: JsonBody<ChatRequest>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Json(request) = body?;
    // A request that cannot start (an invalid field, a conversation that is not the caller's) is answered
    // as a plain JSON error before any stream begins.
    state.core.check_chat(&actor, &request).await?;
    let (tx, rx) = mpsc::channel(STREAM_BUFFER);
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let core = state.core.clone();
    // The agent runs to the end even if the client leaves: its effects and records must be complete.
    tokio::spawn(async move {
        let result = core.chat(&actor, request, Some(tx)).await;
        let _ = done_tx.send(result);
    });
    let progress = futures_util::stream::unfold(rx, |mut rx| async move {
        let item = rx.recv().await?;
        let event = match item {
            ChatProgress::Progress(message) => Event::default()
                .event("progress")
                .json_data(json!({ "message": message })),
            ChatProgress::Token(text) => Event::default()
                .event("token")
                .json_data(json!({ "text": text })),
        };
        Some((Ok(event.unwrap_or_default()), rx))
    });
    let end = futures_util::stream::once(async move {
        let event = match done_rx.await {
            Ok(Ok(reply)) => Event::default().event("done").json_data(reply.to_json()),
            Ok(Err(err)) => {
                let (code, message) = ApiError::from(err).code_and_message();
                Event::default()
                    .event("error")
                    .json_data(json!({ "error": { "code": code, "message": message } }))
            }
            Err(_) => Event::default().event("error").json_data(
                json!({ "error": { "code": "internal", "message": "the chat stopped unexpectedly; the cause is in the server log" } }),
            ),
        };
        Ok(event.unwrap_or_default())
    });
    Ok(Sse::new(futures_util::StreamExt::chain(progress, end)).keep_alive(KeepAlive::default()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TasksQuery {
    /// Only the tasks of this client user.
    user_id: Option<String>,
}

async fn tasks(
    State(state): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<TasksQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|err| ApiError::invalid(err.body_text()))?;
    let tasks = state.core.tasks(&actor, query.user_id).await?;
    Ok(Json(Value::Array(
        tasks.iter().map(|t| t.to_json()).collect(),
    )))
}

async fn task(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.core.task(&actor, &id).await?.to_json()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessagesQuery {
    /// At most this many (the newest); default 100.
    limit: Option<usize>,
}

async fn messages(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    query: Result<Query<MessagesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|err| ApiError::invalid(err.body_text()))?;
    let messages = state
        .core
        .messages(&actor, &id, query.limit.unwrap_or(100))
        .await?;
    Ok(Json(json!({
        "conversation_id": id,
        "messages": messages.iter().map(|m| json!({
            "role": m.role,
            "content": m.content,
            "timestamp": m.timestamp,
            "intent": m.intent,
            "task_id": m.task_id,
        })).collect::<Vec<_>>(),
    })))
}
