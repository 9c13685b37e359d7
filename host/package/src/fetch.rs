//! Fetching a package's bytes from a [`Source`]: a file, an http(s) URL or an OCI registry (the OCI half
//! lives in [`crate::oci`]). Every path ends the same way: at most `max_bytes` read (never buffered beyond
//! the limit), the component check, the SHA-256 digest. The whole fetch, not each read, runs under one
//! timeout, so a server trickling one byte a second cannot hold an install open.
//!
//! Nothing here trusts the bytes: the digest says *what* was fetched, not whether to run it. Verifying the
//! manifest and signature is the caller's next step.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncReadExt as _;

use crate::digest::sha256_hex;
use crate::fetch_error::{FetchError, auth_hint};
use crate::source::{Source, is_loopback_url};
use crate::wasm_magic::check_component;

/// The default size limit: far above any component we ship (the biggest, Python ones, are ~40 MiB).
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;
/// The default timeout for a whole fetch.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// How to fetch. `Default`: 64 MiB limit, 60 s timeout, no credentials.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// The most bytes accepted; a larger package is refused and reading stops at the limit.
    pub max_bytes: u64,
    /// The longest the whole fetch may take, connection to last byte.
    pub timeout: Duration,
    /// Basic credentials for the registry or the download server.
    pub credentials: Option<Credentials>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            max_bytes: DEFAULT_MAX_BYTES,
            timeout: DEFAULT_TIMEOUT,
            credentials: None,
        }
    }
}

/// A username and a password (or token). `Debug` never shows the password; nothing in this crate writes it
/// anywhere but the `Authorization` header.
#[derive(Clone)]
pub struct Credentials {
    /// The username.
    pub username: String,
    password: String,
}

impl Credentials {
    /// Credentials from a username and a password or token (from the host's secrets).
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The password, for the HTTP client only.
    pub(crate) fn password(&self) -> &str {
        &self.password
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A fetched package: the bytes, checked to be a component and no larger than the limit.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The component's bytes.
    pub bytes: Vec<u8>,
    /// Their SHA-256, 64 lower-case hex (the policy's `component_sha256` form).
    pub digest: String,
    /// Where they came from, for the audit log: the path, the URL, or the OCI reference pinned to the
    /// manifest digest (`oci://host/repo@sha256:…`) so the same bytes can be fetched again.
    pub origin: String,
}

/// Fetches the package at `source`, within the limits of `options`.
pub async fn fetch(source: &Source, options: &FetchOptions) -> Result<Fetched, FetchError> {
    let origin = source_origin(source);
    let fetching = async {
        match source {
            Source::File(path) => fetch_file(path, &origin, options).await,
            Source::Http(url) => fetch_http(url, &origin, options).await,
            Source::Oci(reference) => crate::oci::pull(reference, &origin, options).await,
        }
    };
    let (bytes, origin) = tokio::time::timeout(options.timeout, fetching)
        .await
        .map_err(|_| FetchError::TimedOut {
            origin: origin.clone(),
            after: options.timeout,
        })??;
    check_component(&bytes).map_err(|problem| FetchError::NotAComponent {
        origin: origin.clone(),
        problem,
    })?;
    Ok(Fetched {
        digest: sha256_hex(&bytes),
        bytes,
        origin,
    })
}

/// How `source` is named in messages: a URL loses any `user:password@` part.
fn source_origin(source: &Source) -> String {
    match source {
        Source::Http(url) => {
            let mut shown = url.clone();
            let _ = shown.set_password(None);
            let _ = shown.set_username("");
            shown.to_string()
        }
        other => other.to_string(),
    }
}

async fn fetch_file(
    path: &std::path::Path,
    origin: &str,
    options: &FetchOptions,
) -> Result<(Vec<u8>, String), FetchError> {
    let unreadable = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::NotFound {
            FetchError::NotFound {
                origin: origin.to_owned(),
                what: "no such file".into(),
            }
        } else {
            FetchError::FileUnreadable {
                origin: origin.to_owned(),
                reason: e.to_string(),
            }
        }
    };
    let file = tokio::fs::File::open(path).await.map_err(unreadable)?;
    let declared = file.metadata().await.map_err(unreadable)?.len();
    if declared > options.max_bytes {
        return Err(too_large(origin, options.max_bytes, declared));
    }
    // The size was checked above, but the file may grow while being read: `take` holds the limit anyway.
    let mut bytes = Vec::with_capacity(declared as usize);
    file.take(options.max_bytes + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(unreadable)?;
    if bytes.len() as u64 > options.max_bytes {
        return Err(too_large_streamed(origin, options.max_bytes));
    }
    Ok((bytes, origin.to_owned()))
}

async fn fetch_http(
    url: &url::Url,
    origin: &str,
    options: &FetchOptions,
) -> Result<(Vec<u8>, String), FetchError> {
    crate::tls::install_ring_provider();
    let client = reqwest::Client::builder()
        .connect_timeout(options.timeout)
        .redirect(redirect_policy())
        .build()
        .map_err(|e| FetchError::Unreachable {
            origin: origin.to_owned(),
            reason: format!("cannot set up the HTTP client: {}", e.without_url()),
        })?;
    let mut request = client.get(url.clone());
    if let Some(credentials) = &options.credentials {
        request = request.basic_auth(&credentials.username, Some(credentials.password()));
    }
    let response = request
        .send()
        .await
        .map_err(|e| transport_error(origin, e))?;
    if let Some(error) = status_error(origin, response.status().as_u16(), options) {
        return Err(error);
    }
    let declared = response.content_length();
    if let Some(declared) = declared.filter(|&n| n > options.max_bytes) {
        return Err(too_large(origin, options.max_bytes, declared));
    }
    let bytes = read_limited(
        response.bytes_stream(),
        origin,
        options.max_bytes,
        declared,
        |_| None,
    )
    .await?;
    Ok((bytes, origin.to_owned()))
}

/// What an unsuccessful status means; `None` for a success.
fn status_error(origin: &str, status: u16, options: &FetchOptions) -> Option<FetchError> {
    let origin = origin.to_owned();
    Some(match status {
        200..=299 => return None,
        404 | 410 => FetchError::NotFound {
            origin,
            what: format!("HTTP {status}"),
        },
        401 | 403 => FetchError::AuthRefused {
            origin,
            status,
            hint: auth_hint(options.credentials.is_some()),
        },
        500..=599 => FetchError::ServerFailed { origin, status },
        _ => FetchError::UnexpectedStatus { origin, status },
    })
}

/// Follows up to five redirects, never from https down to plain http on another machine: the same rule as
/// [`Source::parse`], applied to where the server sends us.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= 5 {
            attempt.error("more than 5 redirects")
        } else if attempt.url().scheme() == "https"
            || (attempt.url().scheme() == "http" && is_loopback_url(attempt.url()))
        {
            attempt.follow()
        } else {
            attempt.error("redirected to a plain-http or non-http URL on another host")
        }
    })
}

/// Maps a transport failure of the request itself (no status yet).
fn transport_error(origin: &str, error: reqwest::Error) -> FetchError {
    FetchError::Unreachable {
        origin: origin.to_owned(),
        reason: error_chain(&error.without_url()),
    }
}

/// An error and its causes on one line; hyper's "connection refused" is only in the source chain.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

/// Reads `body` to the end, but never more than `limit + 1` bytes: the extra byte is how "larger than the
/// limit" is told apart from "exactly the limit" without reading on. A stream error that `explain` does not
/// recognise, or fewer bytes than `declared`, is a truncated download.
pub(crate) async fn read_limited<E>(
    body: impl Stream<Item = Result<Bytes, E>>,
    origin: &str,
    limit: u64,
    declared: Option<u64>,
    explain: impl Fn(&E) -> Option<FetchError>,
) -> Result<Vec<u8>, FetchError> {
    let mut body = std::pin::pin!(body);
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0).min(limit) as usize);
    let truncated = |received: usize| FetchError::Truncated {
        origin: origin.to_owned(),
        received: received as u64,
        expected: declared.map_or_else(String::new, |n| format!(" of {n} announced")),
    };
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => return Err(explain(&e).unwrap_or_else(|| truncated(bytes.len()))),
        };
        let room = (limit + 1 - bytes.len() as u64) as usize;
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if bytes.len() as u64 > limit {
            return Err(too_large_streamed(origin, limit));
        }
    }
    if declared.is_some_and(|n| n != bytes.len() as u64) {
        return Err(truncated(bytes.len()));
    }
    Ok(bytes)
}

pub(crate) fn too_large(origin: &str, limit: u64, declared: u64) -> FetchError {
    FetchError::TooLarge {
        origin: origin.to_owned(),
        limit,
        seen: format!("it declares {declared} bytes"),
    }
}

fn too_large_streamed(origin: &str, limit: u64) -> FetchError {
    FetchError::TooLarge {
        origin: origin.to_owned(),
        limit,
        seen: "reading stopped at the limit".into(),
    }
}
