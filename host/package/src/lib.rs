//! Plugin packages: what a third party ships and what an operator installs. A package is one component
//! file carrying its manifest (name, version, contract version, the grants it *requests*, each with a
//! reason) and optionally a signature, as custom sections. Nothing a package requests is granted by
//! itself: installing it (in drydock-core) turns the requests an operator accepts into grants. This crate
//! knows nothing of wasmtime, HTTP routes or the store; it reads, checks and signs packages.
//!
//! # Layout
//! - [`digest`]: the SHA-256 digest that names a component's bytes (`sha256:<hex>`).
//! - [`sections`]: the `drydock-package` and `drydock-signature` custom sections: read, embed, strip.
//! - [`manifest`]: [`Manifest`], the validated TOML manifest.
//! - [`requests`]: [`Requests`], the grants a manifest asks for, each with a reason.
//! - [`accept`]: accepted requests → the policy's `PluginGrants`; comparing two versions' requests.
//! - [`contract`]: the WIT contract version a plugin was built against, and [`HOST_CONTRACT`].
//! - [`keys`]: [`SecretKey`] files; public keys are the policy's `Ed25519PublicKey`.
//! - [`signature`]: [`sign`] and [`verify`].
//! - [`package`]: [`Package`], a component with its manifest (embedded, or beside the file).
//! - [`source`]: where a package comes from ([`Source::parse`]: a path, an `https://` URL, an `oci://`
//!   reference), refused before any I/O when malformed or plain-http to another machine.
//! - [`fetch`](mod@fetch): [`fetch()`](fn@fetch) a package's bytes from a source within a size limit and a
//!   timeout, checked to be a component and digested; [`FetchOptions`], [`Credentials`], [`Fetched`].
//! - [`oci`]: the OCI registry half, pull and [`push()`](fn@push), in the wasm-oci-artifact layout.
//! - [`fetch_error`]: [`FetchError`] and [`PushError`], one variant per cause an operator can act on.
//! - [`wasm_magic`]: is it a component (and not a core module, an HTML page…)?
//! - [`tls`]: rustls with the ring provider for the HTTP clients.

pub mod accept;
pub mod contract;
pub mod digest;
pub mod fetch;
pub mod fetch_error;
pub mod keys;
pub mod manifest;
pub mod oci;
pub mod package;
pub mod requests;
pub mod sections;
pub mod signature;
pub mod source;
#[cfg(test)]
mod test_fixture;
pub mod tls;
pub mod wasm_magic;

pub use accept::{AcceptError, Acceptance, RequestDiff, RequestedGrant, compare};
pub use contract::{Contract, ContractError, HOST_CONTRACT};
pub use fetch::{Credentials, FetchOptions, Fetched, fetch};
pub use fetch_error::{FetchError, PushError};
pub use keys::{KeyError, SecretKey};
pub use manifest::{Manifest, ManifestError};
pub use oci::{Pushed, push};
pub use package::{ManifestSource, Package, PackageError};
pub use requests::{FsRequest, HttpRequest, NamedRequest, RequestEntry, RequestId, Requests};
pub use sections::{SectionError, embed, read_sections, strip};
pub use signature::{SignError, Verified, VerifyError, sign, verify};
pub use source::{OciReference, OciVersion, Source, SourceError};
