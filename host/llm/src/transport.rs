//! One HTTP/1.1 exchange with a provider: connect (TCP, then TLS for https with the webpki roots), send one
//! request, hand back the status, the content type and the body, read under a size bound.
//!
//! One connection per request, like wasmtime-wasi-http's `default_send_request`: a completion takes seconds,
//! so a connection pool would save nothing worth its state, and a fresh connection can never carry a
//! previous request's half-read answer. (hyper-util's pooled client would also need hyper-rustls, which is
//! not in the lock file; tokio-rustls and webpki-roots already are.)

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST, USER_AGENT};
use http::{HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

use crate::config::Endpoint;
use crate::error::TimeoutPhase;
use crate::{ApiKey, LlmError};

/// A stream a connection can run over: plain TCP or TLS over TCP.
trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// What a provider is reached with: where, how, and the bounds.
#[derive(Clone)]
pub struct Transport {
    /// Where the provider is.
    pub endpoint: Endpoint,
    /// The key, kept for redacting the provider's answers.
    pub key: Option<ApiKey>,
    /// `Bearer <key>`, marked sensitive so hyper never prints it.
    authorization: Option<HeaderValue>,
    /// Present for https.
    tls: Option<TlsConnector>,
    /// Bound on TCP + TLS + HTTP handshake (each).
    pub connect_timeout: Duration,
    /// Bound on a response body.
    pub max_response_bytes: usize,
}

/// A response whose body is still to be read.
pub struct Answer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The `content-type` header, lowercase, or empty.
    pub content_type: String,
    /// The body, unread.
    pub body: Incoming,
}

impl Transport {
    /// Prepares the TLS configuration (for https) and the authorization header.
    pub fn new(
        endpoint: Endpoint,
        key: Option<ApiKey>,
        connect_timeout: Duration,
        max_response_bytes: usize,
    ) -> Result<Self, LlmError> {
        let authorization = match &key {
            None => None,
            Some(key) if key.expose_secret().is_empty() => None,
            Some(key) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose_secret()))
                    .map_err(|_| LlmError::InvalidConfig {
                    reason: format!(
                        "the API key {} holds characters an HTTP header cannot carry",
                        key.masked()
                    ),
                })?;
                value.set_sensitive(true);
                Some(value)
            }
        };
        let tls = endpoint.tls.then(tls_connector).transpose()?;
        Ok(Self {
            endpoint,
            key,
            authorization,
            tls,
            connect_timeout,
            max_response_bytes,
        })
    }

    /// Sends `method route` with an optional JSON body; returns once the status and headers arrived.
    pub async fn send(
        &self,
        method: Method,
        route: &str,
        json: Option<&serde_json::Value>,
        accept: &'static str,
    ) -> Result<Answer, LlmError> {
        let url = self.endpoint.url(route);
        let io = tokio::time::timeout(self.connect_timeout, self.connect(&url))
            .await
            .map_err(|_| self.connect_timed_out(&url))??;
        let (mut sender, connection) = tokio::time::timeout(
            self.connect_timeout,
            hyper::client::conn::http1::handshake(TokioIo::new(io)),
        )
        .await
        .map_err(|_| self.connect_timed_out(&url))?
        .map_err(|err| unreachable(&url, &err))?;
        // The connection task ends when the response is read or dropped (the sender goes with it).
        tokio::spawn(connection);

        let body = json.map(|j| Bytes::from(j.to_string())).unwrap_or_default();
        let mut request = Request::builder()
            .method(method)
            .uri(self.endpoint.path(route))
            .header(HOST, &self.endpoint.authority)
            .header(
                USER_AGENT,
                concat!("drydock-llm/", env!("CARGO_PKG_VERSION")),
            )
            .header(ACCEPT, accept);
        if json.is_some() {
            request = request.header(CONTENT_TYPE, "application/json");
        }
        if let Some(authorization) = &self.authorization {
            request = request.header(AUTHORIZATION, authorization.clone());
        }
        let request = request
            .body(Full::new(body))
            .map_err(|err| LlmError::InvalidConfig {
                reason: format!("cannot build a request to {url}: {err}"),
            })?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|err| LlmError::Connection {
                url: url.clone(),
                reason: describe(&err),
            })?;
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        Ok(Answer {
            status: response.status(),
            content_type,
            body: response.into_body(),
        })
    }

    async fn connect(&self, url: &str) -> Result<Box<dyn Io>, LlmError> {
        let endpoint = &self.endpoint;
        let tcp = TcpStream::connect(format!("{}:{}", endpoint.host, endpoint.port))
            .await
            .map_err(|err| unreachable(url, &err))?;
        let _ = tcp.set_nodelay(true);
        let Some(tls) = &self.tls else {
            return Ok(Box::new(tcp));
        };
        let name = endpoint.host.trim_start_matches('[').trim_end_matches(']');
        let name =
            ServerName::try_from(name.to_owned()).map_err(|err| LlmError::InvalidConfig {
                reason: format!("`{}` is not a valid TLS server name: {err}", endpoint.host),
            })?;
        let stream = tls
            .connect(name, tcp)
            .await
            .map_err(|err| LlmError::Unreachable {
                url: url.to_owned(),
                reason: format!("TLS handshake failed: {err}"),
            })?;
        Ok(Box::new(stream))
    }

    fn connect_timed_out(&self, url: &str) -> LlmError {
        LlmError::Timeout {
            url: url.to_owned(),
            phase: TimeoutPhase::Connect,
            after: self.connect_timeout,
        }
    }
}

/// Reads a whole body, refusing to hold more than `limit` bytes.
pub async fn read_bounded(body: &mut Incoming, limit: usize, url: &str) -> Result<Bytes, LlmError> {
    let mut collected = BytesMut::new();
    while let Some(chunk) = next_data(body, url).await? {
        if collected.len() + chunk.len() > limit {
            return Err(LlmError::TooLarge {
                url: url.to_owned(),
                limit,
            });
        }
        collected.extend_from_slice(&chunk);
    }
    Ok(collected.freeze())
}

/// The next data frame of `body` (trailers are skipped), or `None` at its end.
pub async fn next_data(body: &mut Incoming, url: &str) -> Result<Option<Bytes>, LlmError> {
    loop {
        match body.frame().await {
            None => return Ok(None),
            Some(Err(err)) => {
                return Err(LlmError::Connection {
                    url: url.to_owned(),
                    reason: describe(&err),
                });
            }
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    return Ok(Some(data));
                }
            }
        }
    }
}

fn tls_connector() -> Result<TlsConnector, LlmError> {
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.into(),
    };
    // The provider is named, not taken from a process-wide default, so another crate's choice of default
    // cannot change (or break) ours.
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|err| LlmError::InvalidConfig {
                reason: format!("TLS setup failed: {err}"),
            })?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

fn unreachable(url: &str, err: &dyn std::error::Error) -> LlmError {
    LlmError::Unreachable {
        url: url.to_owned(),
        reason: describe(err),
    }
}

/// An error and its causes, `: `-joined (hyper's own message is often just "connection error").
fn describe(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
}
