//! Seed 000's streaming chat (`POST /api/v1/chat/stream`): progress, then tokens, then the reply as SSE; a
//! request that cannot start is a JSON error, never a stream.

use std::time::Duration;

use drydock_tests::client::{send, sse_post};
use serde_json::{Value, json};

use crate::chat::{OPERATOR, REQUEST, content, start};

#[tokio::test]
async fn streaming_chat_sends_progress_then_tokens_then_the_reply() {
    let (ws, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = start(ws.path(), data.path()).await;
    let (status, events) = sse_post(
        server.addr,
        "/api/v1/chat/stream",
        OPERATOR,
        &json!({"user_id": "u", "message": REQUEST}).to_string(),
        "done",
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = events.iter().filter_map(|e| e.event.as_deref()).collect();
    assert_eq!(kinds.first(), Some(&"progress"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"done"), "{kinds:?}");
    let tokens: String = events
        .iter()
        .filter(|e| e.event.as_deref() == Some("token"))
        .map(|e| {
            serde_json::from_str::<Value>(&e.data).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let done: Value = serde_json::from_str(&events.last().unwrap().data).unwrap();
    assert_eq!(tokens, content(&done), "the tokens make up the answer");
    assert!(done["task_id"].is_string());
}

#[tokio::test]
async fn a_chat_stream_that_cannot_start_is_a_json_error_not_a_stream() {
    let (ws, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = start(ws.path(), data.path()).await;
    let cases = [
        (
            json!({"user_id": "", "message": "hello"}),
            400,
            "invalid_field",
        ),
        (
            json!({"user_id": "u", "message": "   "}),
            400,
            "invalid_field",
        ),
        (
            json!({"user_id": "u", "message": "hello", "mode": "yolo"}),
            400,
            "invalid_field",
        ),
        (
            json!({"user_id": "u", "conversation_id": "no-such-conversation", "message": "hello"}),
            404,
            "not_found",
        ),
    ];
    for (body, status, code) in cases {
        let answer = send(
            server.addr,
            "POST",
            "/api/v1/chat/stream",
            Some(OPERATOR),
            Some(&body.to_string()),
        )
        .await;
        assert_eq!(answer.status, status, "{body}: {}", answer.body);
        assert!(
            answer
                .header("content-type")
                .unwrap_or_default()
                .starts_with("application/json"),
            "{body}: {:?}",
            answer.headers
        );
        assert_eq!(answer.json()["error"]["code"], code, "{body}");
    }
    // Nothing was started: no task for that user.
    let tasks = send(
        server.addr,
        "GET",
        "/api/v1/tasks?user_id=u",
        Some(OPERATOR),
        None,
    )
    .await;
    assert_eq!(tasks.json(), json!([]));
}
