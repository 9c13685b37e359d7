//! Outgoing HTTP through `wasi:http/outgoing-handler`, the only way out of the sandbox.
//!
//! The host checks every request against the plugin's URL grants: an ungranted request fails with the WASI
//! error `HttpRequestDenied`, which [`HttpError::Denied`] carries; in dry-run a write (POST, PUT, PATCH,
//! DELETE) is answered by the host itself with a simulated response ([`Response::is_simulated`]). Requests
//! are blocking calls; the async `wstd` runtime runs inside [`Request::send`].

use std::fmt;

use serde_json::Value;
use wstd::http::body::Bytes;
use wstd::http::body::util::{BodyExt as _, Empty};
use wstd::http::error::{ErrorCode, HeaderError};
use wstd::http::{Body, Client, HeaderValue, Method, Uri};

use crate::ToolError;

/// Response bodies longer than this are cut unless [`Request::max_body`] says otherwise.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

/// The header the host sets on a response it simulated in dry-run instead of sending the request.
pub const SIMULATED_HEADER: &str = "x-drydock-simulated";

/// An HTTP request under construction.
#[derive(Debug, Clone)]
pub struct Request {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    max_body: usize,
}

/// A response, with its body read up to the request's [`max_body`](Request::max_body).
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code, e.g. 200.
    pub status: u16,
    /// The headers in the order received, names in lowercase.
    pub headers: Vec<(String, String)>,
    /// The body, at most `max_body` bytes of it.
    pub body: Vec<u8>,
    /// Whether the body was longer than `max_body` and was cut.
    pub truncated: bool,
}

/// Why a request produced no response. Each message names the method and the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// The request could not be formed: a bad URL, method or header (including headers WASI forbids,
    /// such as `host`).
    Invalid(String),
    /// The host refused the request: the URL is not granted to this plugin for this method.
    Denied(String),
    /// The request was sent, or tried, and failed: connection, timeout, protocol or body errors.
    Failed(String),
}

impl Request {
    /// A request with `method` (`GET`, `POST`...) to the absolute `url` (`http://` or `https://`).
    pub fn new(method: &str, url: &str) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            url: url.to_owned(),
            headers: Vec::new(),
            body: None,
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// A `GET` request to `url`.
    pub fn get(url: &str) -> Self {
        Self::new("GET", url)
    }

    /// A `POST` request to `url`.
    pub fn post(url: &str) -> Self {
        Self::new("POST", url)
    }

    /// Adds a header (repeating a name adds another value).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Sets a JSON body and its `content-type`.
    pub fn json(self, body: &Value) -> Self {
        self.header("content-type", "application/json")
            .body(body.to_string())
    }

    /// Reads at most `bytes` of the response body; the rest is dropped and [`Response::truncated`] set.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Sends the request and reads the response. Blocks until done; must not be called from inside another
    /// `wstd` runtime.
    pub fn send(self) -> Result<Response, HttpError> {
        let what = format!("{} {}", self.method, self.url);
        let request = self
            .build()
            .map_err(|message| HttpError::Invalid(format!("{what}: {message}")))?;
        let max_body = self.max_body;
        wstd::runtime::block_on(async move {
            let response = Client::new()
                .send(request)
                .await
                .map_err(|error| classify(&what, &error))?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(name, value)| (name.as_str().to_owned(), header_text(value)))
                .collect();
            let (body, truncated) =
                read_bounded(response.into_body(), max_body)
                    .await
                    .map_err(|error| {
                        HttpError::Failed(format!("{what}: reading the response body: {error:#}"))
                    })?;
            Ok(Response {
                status,
                headers,
                body,
                truncated,
            })
        })
    }

    fn build(&self) -> Result<wstd::http::Request<Body>, String> {
        let method =
            Method::from_bytes(self.method.as_bytes()).map_err(|_| "invalid method".to_owned())?;
        let uri: Uri = self
            .url
            .parse()
            .map_err(|error| format!("invalid URL: {error}"))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.authority().is_none() {
            return Err("the URL must be absolute, starting with http:// or https://".to_owned());
        }
        let mut builder = wstd::http::Request::builder().method(method).uri(uri);
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let body = match &self.body {
            Some(bytes) => {
                builder = builder.header("content-length", bytes.len());
                Body::from(bytes.clone())
            }
            // A body with no frames, not `Body::empty()`: that one still writes a zero-length chunk, which
            // fails with "connection reset" when a quick peer has already answered and closed.
            None => Body::from_http_body(Empty::<Bytes>::new()),
        };
        builder
            .body(body)
            .map_err(|error| format!("invalid request: {error}"))
    }
}

impl Response {
    /// The first value of the header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Whether the host answered this request itself in dry-run instead of sending it.
    pub fn is_simulated(&self) -> bool {
        self.header(SIMULATED_HEADER)
            .is_some_and(|value| value.eq_ignore_ascii_case("true"))
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Invalid(message) => write!(f, "invalid request {message}"),
            HttpError::Denied(message) => write!(f, "request denied by the host: {message}"),
            HttpError::Failed(message) => write!(f, "request failed: {message}"),
        }
    }
}

impl std::error::Error for HttpError {}

impl From<HttpError> for ToolError {
    fn from(error: HttpError) -> Self {
        match &error {
            HttpError::Invalid(_) => ToolError::InvalidInput(error.to_string()),
            HttpError::Denied(_) => ToolError::Denied(error.to_string()),
            HttpError::Failed(_) => ToolError::Failed(error.to_string()),
        }
    }
}

/// Sorts a `wstd` error by what the guest can do about it: the host's denial, a request WASI refused to
/// form (a forbidden header), or a failure.
fn classify(what: &str, error: &wstd::http::Error) -> HttpError {
    let message = format!("{what}: {error:#}");
    let denied = error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<ErrorCode>(),
            Some(ErrorCode::HttpRequestDenied)
        )
    });
    let malformed = error
        .chain()
        .any(|cause| cause.downcast_ref::<HeaderError>().is_some());
    if denied {
        HttpError::Denied(message)
    } else if malformed {
        HttpError::Invalid(message)
    } else {
        HttpError::Failed(message)
    }
}

fn header_text(value: &HeaderValue) -> String {
    String::from_utf8_lossy(value.as_bytes()).into_owned()
}

/// Reads at most `limit` bytes of `body`; the flag says whether more was there.
async fn read_bounded(body: Body, limit: usize) -> Result<(Vec<u8>, bool), wstd::http::Error> {
    let mut body = body.into_boxed_body();
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        let room = limit - bytes.len();
        if data.len() > room {
            bytes.extend_from_slice(&data[..room]);
            return Ok((bytes, true));
        }
        bytes.extend_from_slice(&data);
    }
    Ok((bytes, false))
}
