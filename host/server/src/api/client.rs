//! [`ClientAddr`]: the address of the TCP peer that sent a request, as `api::serve` records it.
//!
//! It is what sign-in throttling and the anonymous request budgets count per. `X-Forwarded-For` and its
//! kin are never read: any client can write them, so trusting them would let an attacker pick the address
//! it is counted under. Behind a reverse proxy every client therefore shares the proxy's address (see
//! docs/security.md). A router called directly (tests calling `app()` without a socket) has no address.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::Extensions;
use axum::http::request::Parts;

/// The client's IP address, or `None` when the request did not come through [`super::serve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(ClientAddr(client_ip(&parts.extensions)))
    }
}

/// The client IP recorded in a request's extensions (the TCP peer), if any.
pub fn client_ip(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip())
}
