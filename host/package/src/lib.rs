//! Plugin packages: what a third party ships and what an operator installs. A package is a component, a
//! manifest (name, version, contract version, the grants it *requests*, each with a reason) and optionally a
//! signature. Nothing a package requests is granted by itself: installing it (in drydock-core) turns the
//! requests an operator accepts into grants. This crate knows nothing of wasmtime, HTTP routes or the
//! store; it reads, verifies and fetches packages.
//!
//! # Layout
//! - [`digest`]: the SHA-256 digest that names a component's bytes (`sha256:<hex>`).

pub mod digest;
