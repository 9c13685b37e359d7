//! `Host` and `Origin` checks on every route: the server answers only under its own names, and a browser
//! page from another origin cannot make it change anything.
//!
//! DNS rebinding is how a web page reaches a server on the victim's loopback: the attacker's name resolves
//! to `127.0.0.1`, and the browser sends the page's requests there with the attacker's name in `Host`. So:
//! - a request whose `Host` names a host that is not one of the server's own ([`AllowedHosts`]: loopback
//!   names by default, more with `--allowed-host`) is refused with `421 Misdirected Request`; the port is not
//!   compared (the attack cannot change it). A request without `Host` (HTTP/1.0 tools) is let through: a
//!   browser always sends one;
//! - a request carrying an `Origin` that is not `http(s)://<allowed host>[:port]` is refused with `403` when it
//!   can change something: any method but GET/HEAD/OPTIONS, a websocket upgrade, and everything under `/mcp`
//!   (the MCP specification asks servers to check `Origin` on every request). Requests without `Origin` are
//!   not from a browser page and pass.

use std::collections::BTreeSet;

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiError, AppState};

/// The host names and addresses the server answers under (lower case, IPv6 without brackets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHosts {
    names: BTreeSet<String>,
}

impl Default for AllowedHosts {
    fn default() -> Self {
        Self::loopback()
    }
}

impl AllowedHosts {
    /// `localhost`, `127.0.0.1` and `::1`.
    pub fn loopback() -> Self {
        Self {
            names: ["localhost", "127.0.0.1", "::1"]
                .into_iter()
                .map(str::to_owned)
                .collect(),
        }
    }

    /// The loopback names plus `extra` (host names or addresses, with or without a port).
    pub fn with(extra: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        let mut hosts = Self::loopback();
        for name in extra {
            let name = host_part(name.as_ref().trim());
            if !name.is_empty() {
                hosts.names.insert(name);
            }
        }
        hosts
    }

    /// Whether `host` (a `Host` header value or an authority, port optional) is one of ours.
    pub fn allows(&self, host: &str) -> bool {
        // Every request passes here: the name is compared in place, without the allocations of
        // `host_part` (the list holds a handful of lower-case names).
        let name = host_name(host);
        self.names
            .iter()
            .any(|ours| ours.eq_ignore_ascii_case(name))
    }

    /// Whether `origin` (`scheme://host[:port]`) is one of ours; `null` and other schemes never are.
    pub fn allows_origin(&self, origin: &str) -> bool {
        let Some((scheme, rest)) = origin.split_once("://") else {
            return false;
        };
        matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https")
            && !rest.contains('/')
            && self.allows(rest)
    }

    /// The allowed names, for messages.
    pub fn shown(&self) -> String {
        self.names.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// `Host: name[:port]` → `name` in lower case; `[::1]:8080` → `::1`.
fn host_part(host: &str) -> String {
    host_name(host).to_ascii_lowercase()
}

/// `Host: name[:port]` → `name` as written (any case, no trailing dot); `[::1]:8080` → `::1`.
fn host_name(host: &str) -> &str {
    let host = host.trim();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default();
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
    .trim_end_matches('.')
}

/// The middleware: refuses foreign `Host` (421) and, where it matters, foreign `Origin` (403).
pub async fn check(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let allowed = &state.allowed_hosts;
    if let Some(host) = request.headers().get(header::HOST) {
        let host = host.to_str().unwrap_or("<not text>");
        if !allowed.allows(host) {
            return ApiError::MisdirectedRequest(format!(
                "this server does not answer for host `{host}` (it answers for {}); an operator adds names \
                 with `drydock serve --allowed-host NAME`",
                allowed.shown()
            ))
            .into_response();
        }
    }
    if let Some(origin) = request.headers().get(header::ORIGIN)
        && can_change_something(&request)
    {
        let origin = origin.to_str().unwrap_or("<not text>");
        if !allowed.allows_origin(origin) {
            return ApiError::Forbidden(format!(
                "requests from origin `{origin}` may not change anything here (the server answers for {}); \
                 a page of another site cannot act on your behalf",
                allowed.shown()
            ))
            .into_response();
        }
    }
    next.run(request).await
}

fn can_change_something(request: &Request) -> bool {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    !safe
        || request.headers().contains_key(header::UPGRADE)
        || request.uri().path().starts_with("/mcp")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_are_allowed_with_any_port() {
        let hosts = AllowedHosts::loopback();
        for host in [
            "localhost",
            "LOCALHOST:8080",
            "127.0.0.1:1",
            "[::1]:8080",
            "[::1]",
            "localhost.",
        ] {
            assert!(hosts.allows(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:8080",
            "127.0.0.2",
            "localhost.evil.example",
            "[::2]",
        ] {
            assert!(!hosts.allows(host), "{host}");
        }
    }

    #[test]
    fn extra_names_are_added_without_their_port() {
        let hosts = AllowedHosts::with(["drydock.internal:8443", " 10.0.0.5 "]);
        assert!(hosts.allows("drydock.internal"));
        assert!(hosts.allows("10.0.0.5:8080"));
        assert!(hosts.allows("localhost"));
    }

    #[test]
    fn origins_must_be_http_or_https_on_an_allowed_host() {
        let hosts = AllowedHosts::loopback();
        assert!(hosts.allows_origin("http://localhost:8080"));
        assert!(hosts.allows_origin("https://127.0.0.1"));
        assert!(!hosts.allows_origin("null"));
        assert!(!hosts.allows_origin("http://evil.example"));
        assert!(!hosts.allows_origin("file://localhost"));
        assert!(!hosts.allows_origin("http://localhost/path"));
    }
}
