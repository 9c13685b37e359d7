//! TLS for outgoing fetches: rustls with the ring backend, the one the rest of the workspace uses (through
//! wasmtime-wasi-http and drydock-llm). reqwest and oci-client are built without a provider of their own, so
//! aws-lc-rs (a C and cmake build) stays out of the tree; they take rustls' process-wide default, installed
//! here before any client is built.

/// Installs ring as rustls' process default unless a provider is already installed (by us or by the host).
///
/// Cargo unifies features: once this crate is in a build, every reqwest client of that build has no
/// provider of its own, so a process that builds one elsewhere (the MCP client of the tests, say) calls
/// this first. The `drydock` binary calls it at start.
pub fn install_ring_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // A concurrent caller may win the race; either way a ring provider is then installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
