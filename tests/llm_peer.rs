//! A stand-in OpenAI-compatible server: real HTTP/1.1 on 127.0.0.1, speaking `POST /v1/chat/completions`
//! (a JSON completion, or server-sent events when the request says `stream: true`) and `GET /v1/models`.
//!
//! Tests script it: each chat request takes the next [`Reply`] from a queue, or the default reply when the
//! queue is empty. It records every request (method, path, headers, JSON body), so a test can assert what
//! reached the "model" (the bearer key, the prompt, how many tries). Everything is bounded: request bodies
//! are read up to [`MAX_REQUEST_BYTES`], a slow reply sleeps only as long as the test said, and the server
//! stops accepting when dropped.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body, Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// Request bodies beyond this size are answered 413 and recorded with a `null` body.
pub const MAX_REQUEST_BYTES: usize = 1 << 20;
/// Pause between streamed events, so a client really receives them in separate reads.
const STREAM_PAUSE: Duration = Duration::from_millis(2);

/// How the stand-in answers one chat request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A well-formed completion with this text (streamed as several deltas when asked to stream).
    Content(String),
    /// This raw body, sent as is with status 200 (as the event stream when asked to stream).
    Malformed(String),
    /// This status and raw body.
    Status(u16, String),
    /// Waits this long, then answers like `Content`.
    Slow(Duration, String),
}

impl Reply {
    /// `Content` from anything string-like.
    pub fn content(text: impl Into<String>) -> Self {
        Self::Content(text.into())
    }
}

/// One request as the stand-in received it.
#[derive(Debug, Clone)]
pub struct LlmRequest {
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Header (name, value) pairs, names lowercase.
    pub headers: Vec<(String, String)>,
    /// The body as JSON; `null` when empty, not JSON or too large.
    pub body: Value,
}

impl LlmRequest {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The `content` of every message of a chat request, in order.
    pub fn message_texts(&self) -> Vec<String> {
        self.body["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["content"].as_str().map(str::to_owned))
            .collect()
    }
}

#[derive(Debug)]
struct Script {
    queue: VecDeque<Reply>,
    default: Reply,
    models: Vec<String>,
    received: Vec<LlmRequest>,
}

/// A running stand-in; stops accepting connections when dropped.
pub struct LlmPeer {
    pub addr: SocketAddr,
    script: Arc<Mutex<Script>>,
    task: tokio::task::JoinHandle<()>,
}

impl LlmPeer {
    /// Starts a stand-in on an ephemeral loopback port. Its default reply is a short fixed completion; it
    /// serves the models `stand-in-small` and `stand-in-large`.
    pub async fn start() -> LlmPeer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding a loopback port");
        let addr = listener.local_addr().expect("local address");
        let script = Arc::new(Mutex::new(Script {
            queue: VecDeque::new(),
            default: Reply::content("Hello from the stand-in model."),
            models: vec!["stand-in-small".into(), "stand-in-large".into()],
            received: Vec::new(),
        }));
        let shared = script.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(req, shared.clone()));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        LlmPeer { addr, script, task }
    }

    /// `http://127.0.0.1:<port>/v1`: the base URL a provider is configured with.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Queues replies for the next chat requests, in order.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.lock().queue.extend(replies);
    }

    /// The reply given once the queue is empty.
    pub fn set_default(&self, reply: Reply) {
        self.lock().default = reply;
    }

    /// The models `GET /v1/models` lists.
    pub fn set_models(&self, models: &[&str]) {
        self.lock().models = models.iter().map(|m| (*m).to_owned()).collect();
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<LlmRequest> {
        self.lock().received.clone()
    }

    /// How many requests reached the stand-in.
    pub fn count(&self) -> usize {
        self.lock().received.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script.lock().expect("the script lock is not poisoned")
    }
}

impl Drop for LlmPeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type PeerBody = http_body_util::combinators::BoxBody<Bytes, Infallible>;

async fn handle(
    req: Request<Incoming>,
    script: Arc<Mutex<Script>>,
) -> Result<Response<PeerBody>, Infallible> {
    let method = req.method().as_str().to_owned();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let body = Limited::new(req.into_body(), MAX_REQUEST_BYTES)
        .collect()
        .await
        .map(|b| b.to_bytes());
    let too_large = body.is_err();
    let body: Value = body
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let stream = body["stream"] == json!(true);
    let model = body["model"].as_str().unwrap_or("stand-in").to_owned();
    let (reply, models) = {
        let mut script = script.lock().expect("the script lock is not poisoned");
        script.received.push(LlmRequest {
            method: method.clone(),
            path: path.clone(),
            headers,
            body,
        });
        let is_chat = method == "POST" && path == "/v1/chat/completions";
        let reply = is_chat.then(|| {
            let default = script.default.clone();
            script.queue.pop_front().unwrap_or(default)
        });
        (reply, script.models.clone())
    };
    if too_large {
        return Ok(json_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"error": {"message": "request too large"}}).to_string(),
        ));
    }
    Ok(match (method.as_str(), path.as_str(), reply) {
        (_, _, Some(reply)) => chat_answer(reply, stream, &model).await,
        ("GET", "/v1/models", None) => {
            let data: Vec<Value> = models
                .iter()
                .map(|id| json!({"id": id, "object": "model", "owned_by": "drydock-tests"}))
                .collect();
            json_response(
                StatusCode::OK,
                json!({"object": "list", "data": data}).to_string(),
            )
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            json!({"error": {"message": format!("no route {method} {path}")}}).to_string(),
        ),
    })
}

async fn chat_answer(reply: Reply, stream: bool, model: &str) -> Response<PeerBody> {
    let text = match reply {
        Reply::Status(code, body) => {
            let status = StatusCode::from_u16(code).expect("the test scripted a valid status");
            return json_response(status, body);
        }
        Reply::Malformed(raw) if stream => return event_stream(vec![raw]),
        Reply::Malformed(raw) => return json_response(StatusCode::OK, raw),
        Reply::Slow(pause, text) => {
            tokio::time::sleep(pause).await;
            text
        }
        Reply::Content(text) => text,
    };
    if !stream {
        let completion = json!({
            "id": "chatcmpl-stand-in",
            "object": "chat.completion",
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        });
        return json_response(StatusCode::OK, completion.to_string());
    }
    let chunk = |delta: Value, finish: Value| {
        let event = json!({
            "id": "chatcmpl-stand-in",
            "object": "chat.completion.chunk",
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        });
        format!("data: {event}\n\n")
    };
    let mut events = vec![chunk(json!({"role": "assistant"}), Value::Null)];
    events.extend(
        deltas(&text)
            .into_iter()
            .map(|piece| chunk(json!({ "content": piece }), Value::Null)),
    );
    events.push(chunk(json!({}), json!("stop")));
    events.push("data: [DONE]\n\n".to_owned());
    event_stream(events)
}

/// `text` cut before each whitespace run, so that the deltas joined give `text` back.
pub fn deltas(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if c.is_whitespace() && !current.is_empty() && !current.ends_with(char::is_whitespace) {
            pieces.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

fn json_response(status: StatusCode, body: String) -> Response<PeerBody> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)).boxed())
        .expect("a valid response")
}

/// A `text/event-stream` response that sends `events` one at a time, with a short pause between them.
fn event_stream(events: Vec<String>) -> Response<PeerBody> {
    let (sender, receiver) = mpsc::channel(1);
    tokio::spawn(async move {
        for event in events {
            if sender.send(Bytes::from(event)).await.is_err() {
                return;
            }
            tokio::time::sleep(STREAM_PAUSE).await;
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(ChannelBody(receiver).boxed())
        .expect("a valid response")
}

/// A body whose frames come from a channel: ends when the sender is dropped.
struct ChannelBody(mpsc::Receiver<Bytes>);

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|data| Ok(Frame::data(data))))
    }
}
