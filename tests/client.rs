//! A minimal HTTP/1.1 client over a real TCP connection, one connection per request, so tests exercise the
//! server exactly as a remote client would (headers, status codes, bodies).

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// A response as the test sees it.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    /// The body parsed as JSON (panics with the body when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {}", self.body))
    }

    /// Every value of a header that may repeat (`set-cookie`).
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A fresh HTTP/1.1 connection to `addr`, driven on its own task.
async fn connect(addr: SocketAddr) -> http1::SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(addr)
        .await
        .expect("connecting to the server");
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .expect("HTTP handshake");
    tokio::spawn(connection);
    sender
}

/// Sends one request; `token` adds `Authorization: Bearer`.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Answer {
    send_with(addr, method, path, token, body, &[]).await
}

/// Posts an HTML form (`application/x-www-form-urlencoded`) with extra headers (cookies), as a browser does.
pub async fn send_form(
    addr: SocketAddr,
    path: &str,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Answer {
    let body = serde_urlencoded::to_string(form).expect("a form encodes");
    let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    send_raw(addr, "POST", path, None, &body, &all).await
}

/// Sends one request with extra headers.
pub async fn send_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut all = Vec::with_capacity(headers.len() + 1);
    if body.is_some() {
        all.push(("content-type", "application/json"));
    }
    all.extend_from_slice(headers);
    send_raw(addr, method, path, token, body.unwrap_or_default(), &all).await
}

/// Sends one request with exactly these headers (plus `Host`, and `Authorization` for `token`).
async fn send_raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
    headers: &[(&str, &str)],
) -> Answer {
    let mut sender = connect(addr).await;
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string());
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("a valid request");
    let response = sender.send_request(request).await.expect("a response");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("the body")
        .to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// One server-sent event.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
}

/// Opens an SSE stream and reads events until `count` have arrived or `within` passes (bounded: never
/// waits forever).
pub async fn sse(
    addr: SocketAddr,
    path: &str,
    token: &str,
    last_event_id: Option<&str>,
    count: usize,
    within: std::time::Duration,
) -> (u16, Vec<SseEvent>) {
    let mut sender = connect(addr).await;
    let mut request = Request::builder()
        .method("GET")
        .uri(path)
        .header("host", addr.to_string())
        .header("accept", "text/event-stream")
        .header("authorization", format!("Bearer {token}"));
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = sender
        .send_request(
            request
                .body(Full::new(Bytes::new()))
                .expect("a valid request"),
        )
        .await
        .expect("a response");
    read_events(
        response,
        within,
        |events| events.len() >= count,
        |e| e.id.is_some(),
    )
    .await
}

/// POSTs `body` and reads the answer as SSE until an event named `last` arrives or `within` passes. A
/// non-SSE answer (an error before the stream starts) gives its status and no events.
pub async fn sse_post(
    addr: SocketAddr,
    path: &str,
    token: &str,
    body: &str,
    last: &str,
    within: std::time::Duration,
) -> (u16, Vec<SseEvent>) {
    let mut sender = connect(addr).await;
    let request = Request::builder()
        .method("POST")
        .uri(path)
        .header("host", addr.to_string())
        .header("accept", "text/event-stream")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("a valid request");
    let response = sender.send_request(request).await.expect("a response");
    read_events(
        response,
        within,
        |events| {
            events
                .last()
                .is_some_and(|e| e.event.as_deref() == Some(last))
        },
        |e| e.event.is_some(),
    )
    .await
}

/// Reads SSE blocks from `response`, keeping those `keep` accepts, until `done` or the deadline.
async fn read_events(
    response: hyper::Response<hyper::body::Incoming>,
    within: std::time::Duration,
    done: impl Fn(&[SseEvent]) -> bool,
    keep: impl Fn(&SseEvent) -> bool,
) -> (u16, Vec<SseEvent>) {
    let status = response.status().as_u16();
    let mut body = response.into_body();
    let mut text = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    while !done(&events) {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(Some(Ok(frame))) => frame,
            _ => break,
        };
        if let Ok(data) = frame.into_data() {
            text.push_str(&String::from_utf8_lossy(&data));
        }
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let mut event = SseEvent {
                id: None,
                event: None,
                data: String::new(),
            };
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    event.id = Some(v.trim().to_owned());
                } else if let Some(v) = line.strip_prefix("event:") {
                    event.event = Some(v.trim().to_owned());
                } else if let Some(v) = line.strip_prefix("data:") {
                    event.data.push_str(v.trim_start());
                }
            }
            if keep(&event) {
                events.push(event);
            }
        }
    }
    (status, events)
}
