//! Why a fetch or a push failed, one variant per cause an operator can act on. Every message names the input
//! (file, URL or OCI reference) and says what to do. None of them ever holds a password or token: the
//! credentials are only handed to the HTTP client, and the causes kept here are status codes, sizes, digests
//! and our own words, never the registry's free text about the request.

use std::time::Duration;

use crate::wasm_magic::NotAComponent;

/// Why a package could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The file, URL, repository or tag does not exist (404, unknown manifest, unknown repository).
    #[error("{origin}: not found ({what}); check the path, URL, repository and tag")]
    NotFound {
        /// The input as given.
        origin: String,
        /// What the server said was missing.
        what: String,
    },
    /// The file could not be read for another reason than not existing.
    #[error("{origin}: cannot read the file: {reason}")]
    FileUnreadable {
        /// The path as given.
        origin: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The server refused the credentials, or asked for some and none were given (401/403).
    #[error("{origin}: the server refused access (HTTP {status}); {hint}")]
    AuthRefused {
        /// The input as given.
        origin: String,
        /// 401 or 403.
        status: u16,
        /// Whether credentials were sent, and so what to check.
        hint: &'static str,
    },
    /// The server answered with a 5xx status.
    #[error("{origin}: the server failed with HTTP {status}; try again later or ask its operator")]
    ServerFailed {
        /// The input as given.
        origin: String,
        /// The status code.
        status: u16,
    },
    /// Any other unsuccessful status.
    #[error("{origin}: unexpected answer HTTP {status}")]
    UnexpectedStatus {
        /// The input as given.
        origin: String,
        /// The status code.
        status: u16,
    },
    /// No connection could be made (DNS, refused, TLS).
    #[error(
        "{origin}: cannot connect: {reason}; check the host name, port and that the server is up"
    )]
    Unreachable {
        /// The input as given.
        origin: String,
        /// The transport's reason.
        reason: String,
    },
    /// The whole fetch took longer than the configured timeout.
    #[error(
        "{origin}: no complete answer within {after:?}; the server is slow or hanging (raise the timeout if it is just slow)"
    )]
    TimedOut {
        /// The input as given.
        origin: String,
        /// The configured timeout.
        after: Duration,
    },
    /// The package is larger than the configured limit; reading stopped at the limit.
    #[error(
        "{origin}: the package is larger than the limit of {limit} bytes ({seen}); raise the limit if this package is expected to be that big"
    )]
    TooLarge {
        /// The input as given.
        origin: String,
        /// The configured limit in bytes.
        limit: u64,
        /// What showed it: the declared size, or that more bytes kept coming.
        seen: String,
    },
    /// The download ended before all the announced bytes arrived.
    #[error("{origin}: the download was cut short after {received} bytes{expected}; try again")]
    Truncated {
        /// The input as given.
        origin: String,
        /// Bytes received before the end.
        received: u64,
        /// `" of N announced"` when the size was announced.
        expected: String,
    },
    /// The bytes do not hash to the digest the reference or the registry's manifest names.
    #[error(
        "{origin}: digest mismatch: expected {expected}, the bytes hash to {actual}; the registry content is corrupt or was tampered with"
    )]
    DigestMismatch {
        /// The input as given.
        origin: String,
        /// The digest that was claimed.
        expected: String,
        /// The digest of the bytes received.
        actual: String,
    },
    /// The OCI artifact has no `application/wasm` layer.
    #[error(
        "{origin}: not a wasm component artifact: its layers are [{layers}], expected one application/wasm layer"
    )]
    NotAWasmArtifact {
        /// The input as given.
        origin: String,
        /// The media types of the layers found.
        layers: String,
    },
    /// The bytes are not a component.
    #[error("{origin}: not a wasm component: {problem}")]
    NotAComponent {
        /// The input as given.
        origin: String,
        /// What the bytes are instead.
        problem: NotAComponent,
    },
    /// The registry broke the protocol or answered something unexpected.
    #[error("{origin}: the registry answered something unexpected: {reason}")]
    Protocol {
        /// The input as given.
        origin: String,
        /// What was unexpected.
        reason: String,
    },
}

/// Why a component could not be pushed to a registry.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The bytes to push are not a component; nothing was sent.
    #[error("refusing to push to {reference}: not a wasm component: {problem}")]
    NotAComponent {
        /// The target reference.
        reference: String,
        /// What the bytes are instead.
        problem: NotAComponent,
    },
    /// The reference names a digest; pushes need a tag to name the new manifest.
    #[error(
        "cannot push to {reference}: a push needs a tag (oci://registry/repository:tag), not a digest"
    )]
    DigestReference {
        /// The target reference.
        reference: String,
    },
    /// The registry refused the credentials (401/403).
    #[error("{reference}: the registry refused the push (HTTP {status}); {hint}")]
    AuthRefused {
        /// The target reference.
        reference: String,
        /// 401 or 403.
        status: u16,
        /// Whether credentials were sent, and so what to check.
        hint: &'static str,
    },
    /// The registry answered with a 5xx status.
    #[error("{reference}: the registry failed with HTTP {status}; try again later")]
    ServerFailed {
        /// The target reference.
        reference: String,
        /// The status code.
        status: u16,
    },
    /// No connection could be made.
    #[error("{reference}: cannot connect to the registry: {reason}")]
    Unreachable {
        /// The target reference.
        reference: String,
        /// The transport's reason.
        reason: String,
    },
    /// The push took longer than the timeout.
    #[error("{reference}: the push did not finish within {after:?}")]
    TimedOut {
        /// The target reference.
        reference: String,
        /// The timeout.
        after: Duration,
    },
    /// The registry refused the upload for another reason.
    #[error("{reference}: the registry refused the push: {reason}")]
    Refused {
        /// The target reference.
        reference: String,
        /// The registry's error codes or status.
        reason: String,
    },
}

/// The hint for a 401/403, depending on whether credentials were sent.
pub(crate) fn auth_hint(sent_credentials: bool) -> &'static str {
    if sent_credentials {
        "check the username and password (or token) and that they may access this repository"
    } else {
        "this source needs credentials; provide a username and password (or token)"
    }
}
