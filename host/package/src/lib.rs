//! Plugin packages: what a third party ships and what an operator installs. A package is a component, a
//! manifest (name, version, contract version, the grants it *requests*, each with a reason) and optionally a
//! signature. Nothing a package requests is granted by itself: installing it (in drydock-core) turns the
//! requests an operator accepts into grants. This crate knows nothing of wasmtime, HTTP routes or the
//! store; it reads, verifies and fetches packages.
//!
//! # Layout
//! - [`digest`]: the SHA-256 digest that names a component's bytes (`sha256:<hex>`).
//! - [`source`]: where a package comes from ([`Source::parse`]: a path, an `https://` URL, an `oci://`
//!   reference), refused before any I/O when malformed or plain-http to another machine.
//! - [`fetch`](mod@fetch): [`fetch()`](fn@fetch) a package's bytes from a source within a size limit and a
//!   timeout, checked to be a component and digested; [`FetchOptions`], [`Credentials`], [`Fetched`].
//! - [`oci`]: the OCI registry half, pull and [`push()`](fn@push), in the wasm-oci-artifact layout.
//! - [`fetch_error`]: [`FetchError`] and [`PushError`], one variant per cause an operator can act on.
//! - [`wasm_magic`]: is it a component (and not a core module, an HTML page…)?
//! - `tls`: rustls with the ring provider for the HTTP clients.

pub mod digest;
pub mod fetch;
pub mod fetch_error;
pub mod oci;
pub mod source;
mod tls;
pub mod wasm_magic;

pub use fetch::{Credentials, FetchOptions, Fetched, fetch};
pub use fetch_error::{FetchError, PushError};
pub use oci::{Pushed, push};
pub use source::{OciReference, OciVersion, Source, SourceError};
