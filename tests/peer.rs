//! A stand-in for the outside world: an HTTP/1.1 server on 127.0.0.1 that records every request that
//! reached it and answers the Jira REST v2 routes the `jira` plugin uses.
//!
//! Tests assert on what reached it (`count`, `requests`), which is the only honest way to show that a
//! dry-run write was not sent and that a live one was sent exactly once.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;

/// One request as the peer received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Header (name, value) pairs, names lowercase.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// A running stand-in server; stops when dropped.
pub struct Peer {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Peer {
    /// Starts a peer on an ephemeral loopback port.
    pub async fn start() -> Peer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding a loopback port");
        let addr = listener.local_addr().expect("local address");
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let log = received.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let log = log.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(req, log.clone()));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Peer {
            addr,
            received,
            task,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://localhost:<port>`: the same server under a host name.
    pub fn localhost_url(&self) -> String {
        format!("http://localhost:{}", self.addr.port())
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// How many requests reached the peer.
    pub fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(
    req: Request<Incoming>,
    log: Arc<Mutex<Vec<Received>>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
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
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body = String::from_utf8_lossy(&body).into_owned();
    log.lock().unwrap().push(Received {
        method: method.clone(),
        path: path.clone(),
        headers,
        body: body.clone(),
    });
    Ok(jira_answer(&method, &path, &body))
}

/// Jira REST v2 answers for the routes the jira plugin calls; anything else gets `200 {"ok": true}`.
fn jira_answer(method: &str, path: &str, body: &str) -> Response<Full<Bytes>> {
    let segments: Vec<&str> = path.split('?').next().unwrap_or("").split('/').collect();
    // ["", "rest", "api", "2", "issue", KEY, ...]
    let is_issue = segments.len() >= 6 && segments[1..5] == ["rest", "api", "2", "issue"];
    let (status, value) = match (method, is_issue, segments.get(6).copied()) {
        ("GET", true, None) if segments[5] == "NOPE-404" => (
            StatusCode::NOT_FOUND,
            json!({"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}}),
        ),
        ("GET", true, None) => (
            StatusCode::OK,
            json!({
                "id": "10001",
                "key": segments[5],
                "fields": {
                    "summary": "Stand-in issue",
                    "description": "Served by the test peer",
                    "status": {"name": "To Do"}
                }
            }),
        ),
        ("POST", true, Some("comment")) => {
            let comment: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
            (
                StatusCode::CREATED,
                json!({"id": "20001", "body": comment["body"]}),
            )
        }
        ("POST", true, Some("transitions")) => {
            return Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(Full::new(Bytes::new()))
                .expect("a valid response");
        }
        _ => (
            StatusCode::OK,
            json!({"ok": true, "method": method, "path": path}),
        ),
    };
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(value.to_string())))
        .expect("a valid response")
}
