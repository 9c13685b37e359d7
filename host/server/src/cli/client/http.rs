//! A small HTTP/1.1 client for the CLI: one request per connection to the Drydock server, JSON in and out,
//! the bearer token when there is one, and errors that say what to do.
//!
//! Plain `http://` only: the CLI talks to a Drydock server on the machine or the local network; put a
//! TLS-terminating proxy in front of it for anything else (an `https://` URL is refused with that advice).

use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one request (not an event stream) may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// A Drydock server.
#[derive(Debug, Clone)]
pub struct Server {
    /// `host:port`.
    authority: String,
    /// The URL as the user gave it, for messages.
    url: String,
    /// The bearer token, once logged in.
    token: Option<String>,
}

/// An answer: status and JSON body (`null` when the body is not JSON).
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body as JSON.
    pub body: Value,
}

impl Answer {
    /// The server's `{error: {message}}`, or the status.
    pub fn error_message(&self) -> String {
        self.body["error"]["message"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("the server answered {}", self.status))
    }
}

impl Server {
    /// A server at `url` (`http://host:port`).
    pub fn new(url: &str, token: Option<String>) -> anyhow::Result<Self> {
        let trimmed = url.trim_end_matches('/');
        if trimmed.starts_with("https://") {
            bail!(
                "`{url}`: the CLI speaks plain HTTP; reach an https server through a local TLS proxy, or use its http:// address"
            );
        }
        let authority = trimmed.strip_prefix("http://").with_context(|| {
            format!("`{url}` is not an http:// URL (e.g. http://127.0.0.1:8080)")
        })?;
        if authority.is_empty() || authority.contains('/') {
            bail!("`{url}` must be just scheme, host and port, e.g. http://127.0.0.1:8080");
        }
        Ok(Self {
            authority: authority.to_owned(),
            url: trimmed.to_owned(),
            token,
        })
    }

    /// The URL, for messages.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> anyhow::Result<Answer> {
        self.request("GET", path, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Answer> {
        self.request("POST", path, Some(body)).await
    }

    /// One JSON request; the answer's body is read in full.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Answer> {
        let response = tokio::time::timeout(
            REQUEST_TIMEOUT,
            self.send(method, path, body, "application/json"),
        )
        .await
        .with_context(|| {
            format!(
                "{method} {path}: no answer from {} within {REQUEST_TIMEOUT:?}",
                self.url
            )
        })??;
        let status = response.status().as_u16();
        let bytes = tokio::time::timeout(REQUEST_TIMEOUT, response.into_body().collect())
            .await
            .with_context(|| {
                format!("{method} {path}: the answer did not finish within {REQUEST_TIMEOUT:?}")
            })?
            .with_context(|| format!("{method} {path}: reading the answer"))?
            .to_bytes();
        Ok(Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        })
    }

    /// Sends a request and returns the response with its body unread (for event streams).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        accept: &str,
    ) -> anyhow::Result<hyper::Response<Incoming>> {
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&self.authority))
            .await
            .with_context(|| format!("connecting to {} timed out", self.url))?
            .with_context(|| {
                format!(
                    "cannot reach the Drydock server at {} (is `drydock serve` running? set --server or DRYDOCK_SERVER)",
                    self.url
                )
            })?;
        let (mut sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .with_context(|| format!("talking HTTP to {}", self.url))?;
        tokio::spawn(connection);
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", &self.authority)
            .header("accept", accept);
        if let Some(token) = &self.token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let payload = match body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                Bytes::from(body.to_string())
            }
            None => Bytes::new(),
        };
        let request = request
            .body(Full::new(payload))
            .context("building the request")?;
        sender
            .send_request(request)
            .await
            .with_context(|| format!("{method} {path} to {}", self.url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_urls_with_host_and_port_are_accepted() {
        assert!(Server::new("http://127.0.0.1:8080/", None).is_ok());
        let https = Server::new("https://drydock.example", None).unwrap_err();
        assert!(https.to_string().contains("plain HTTP"), "{https}");
        assert!(Server::new("127.0.0.1:8080", None).is_err());
        assert!(Server::new("http://host:1/api", None).is_err());
    }
}
