//! The HTTP API: one module per resource, each exposing `router()`; [`app`] assembles them, with the web
//! console's pages ([`crate::console`]) at `/`.
//!
//! | module    | routes |
//! |-----------|--------|
//! | `host_guard` | every route: a foreign `Host` gets 421, a cross-origin request that can change something 403 |
//! | `health`  | `GET /healthz` |
//! | `metrics` | `GET /metrics` |
//! | `auth`    | `POST /api/auth/login` (throttled), `POST /api/auth/logout`; the bearer-token extractor every other `/api` route uses |
//! | `client`  | the client address (the TCP peer, never a forwarded header) |
//! | `budgets` | request budgets of the routes that run things: 429 + `Retry-After` past the policy's `[budgets]` |
//! | `accounts` | `GET/POST /api/users`, `GET/POST /api/tokens`, `DELETE /api/tokens/{id}` |
//! | `tools`   | `GET /api/tools`, `POST /api/tools/{name}/invoke` |
//! | `policy`  | `GET /api/policy`, `PUT /api/policy/plugins/{plugin}/live` |
//! | `audit`   | `GET /api/audit`, `GET /api/audit/verify` |
//! | `sessions` | seed 001's plan API: `/api/sessions...` (create, plan generate/inspect/approve, execute-node, events SSE, artifacts) |
//! | `executions` | `GET /api/executions/{id}` (a correlation id), `GET /api/artifacts/{id}` |
//! | `chat`    | seed 000's chat API: `POST /api/v1/chat` (+ `/stream`, SSE), `GET /api/v1/tasks[/{id}]`, conversation messages |
//! | `settings` | `GET/PUT /api/settings` (LLM providers, keys masked), `GET /api/providers/{id}/models` |
//! | `workflows` | `GET /api/workflows`, `GET/PUT/DELETE /api/workflows/{name}` (YAML; read as JSON on request), `POST /api/workflows/validate` |
//! | `runs`    | workflow runs: `POST /api/workflows/{name}/runs`, `GET /api/runs/{id}` (+ `/events` SSE), answers, step validation, cancel |
//! | `astonish` | Astonish's studio API (seed 002): `/api/agents[/{name}]`, `POST /api/chat` (SSE), `/api/session/{id}/stop|keepalive`, `/api/settings/config|status|mcp`, `/api/version`, `/api/sandbox/status`, `POST /api/ai/chat` (no token needed: the console's cookie, or anonymous on public workflows) |
//! | `fastagency` | FastAgency's FastAPIAdapter routes: `GET /fastagency/discovery`, `POST /fastagency/initiate_workflow`, `WS /fastagency/ws` (token optional: public workflows without one) |
//! | `mojodex` | Mojodex's backend routes (seed 003): `POST /user`, `GET /user_workflow`, `GET/POST/PUT /user_workflow_execution`, `POST /user_workflow_step_execution`, and its Socket.IO on `/socket.io/` (raw token in `Authorization`, 403 without) |
//! | `openapi` | `GET /api/openapi.json`: the OpenAPI 3.1 document, rendered from one table of every route |
//! | `mcp`     | the Model Context Protocol at `/mcp` (streamable HTTP, bearer token) and `/.well-known/oauth-protected-resource` |

mod accounts;
mod astonish;
mod audit;
pub mod auth;
pub mod budgets;
mod chat;
pub mod client;
pub mod error;
mod executions;
mod fastagency;
mod health;
pub mod host_guard;
pub mod mcp;
pub mod metrics;
mod mojodex;
mod openapi;
mod plugins;
mod policy;
mod rehearsals;
mod replay;
mod runs;
mod sessions;
mod settings;
mod tools;
mod workflows;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use drydock_core::Core;

pub use error::ApiError;
pub use host_guard::AllowedHosts;
pub use metrics::Metrics;

/// The largest request body the API accepts, in bytes.
pub const BODY_LIMIT: usize = 1 << 20;

/// What every handler can reach: one allocation, shared. axum clones the state for every request, once per
/// middleware layer and once per handler; with the parts behind one `Arc` a clone is a single reference
/// count instead of a copy of each part (the MCP transport's configuration and the Socket.IO layer among
/// them), which cost about 3% of the server's CPU per request under load.
#[derive(Clone)]
pub struct AppState(Arc<StateParts>);

/// The parts of [`AppState`]; reached through it (`state.core`, `state.metrics`, …).
pub struct StateParts {
    /// The domain.
    pub core: Core,
    /// Request, invocation and effect counters.
    pub metrics: Arc<Metrics>,
    /// When the server started.
    pub started: Instant,
    /// The names the server answers under (`Host` and `Origin` checks).
    pub allowed_hosts: Arc<AllowedHosts>,
    /// The MCP transport behind `/mcp`.
    pub mcp: mcp::McpHttp,
    /// Whether the console's cookies are `Secure` (the server is reached over HTTPS, through a TLS proxy).
    pub secure_cookies: bool,
    /// What each credential and anonymous address has left of its request budget.
    pub budgets: Arc<budgets::RequestBudgets>,
    /// The Astonish studio's sessions (each a run it drives).
    pub astonish: astonish::Sessions,
    /// Mojodex's Socket.IO server and the event pumps of its executions.
    pub mojodex: mojodex::MojodexSocket,
}

impl std::ops::Deref for AppState {
    type Target = StateParts;

    fn deref(&self) -> &StateParts {
        &self.0
    }
}

impl AppState {
    /// The state of a server on `core`, answering under the loopback names.
    pub fn new(core: Core) -> Self {
        Self::from(StateParts::new(core))
    }
}

impl From<StateParts> for AppState {
    fn from(parts: StateParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl StateParts {
    /// The parts of a server on `core`, answering under the loopback names; change what differs, then
    /// make an [`AppState`] of them.
    pub fn new(core: Core) -> Self {
        Self {
            mcp: mcp::http_service(core.clone()),
            mojodex: mojodex::MojodexSocket::new(core.clone()),
            core,
            metrics: Arc::new(Metrics::default()),
            started: Instant::now(),
            allowed_hosts: Arc::new(AllowedHosts::loopback()),
            secure_cookies: false,
            budgets: Arc::default(),
            astonish: astonish::Sessions::default(),
        }
    }
}

/// The whole API as a router, ready to serve (or to call directly in tests).
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(crate::console::router())
        .merge(health::router())
        .merge(metrics_router())
        .merge(auth::router())
        .merge(accounts::router())
        .merge(tools::router())
        .merge(policy::router())
        .merge(plugins::router(state.core.package_limit()))
        .merge(audit::router())
        .merge(sessions::router())
        .merge(executions::router())
        .merge(rehearsals::router())
        .merge(chat::router())
        .merge(settings::router())
        .merge(runs::router())
        .merge(fastagency::router())
        .merge(astonish::router())
        .merge(mojodex::router())
        .merge(workflows::router())
        .merge(openapi::router())
        .merge(mcp::router())
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(|| async {
            ApiError::NotFound("no such route; see GET /api/openapi.json".into())
        })
        // Mojodex's Socket.IO answers `/socket.io/` itself, inside the host guard and the metrics.
        .layer(state.mojodex.layer())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        // Outermost: a request for another host, or a cross-origin write, goes no further.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            host_guard::check,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// Serves the API on `listener` until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address is the client address that sign-in throttling and the anonymous budgets count
    // (`client::ClientAddr`); forwarded headers are never trusted for it.
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// A known path asked with a method it does not take: the API's error envelope instead of a bare 405.
async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed(
        "this route does not take that method; see GET /api/openapi.json".into(),
    )
}

fn metrics_router() -> Router<AppState> {
    Router::new().route("/metrics", axum::routing::get(metrics::metrics))
}

/// Maps a domain error to its HTTP answer.
impl From<drydock_core::CoreError> for ApiError {
    fn from(err: drydock_core::CoreError) -> Self {
        use drydock_core::CoreError;
        match err {
            CoreError::Invalid(m) => ApiError::invalid(m),
            CoreError::InvalidWorkflow(diagnostics) => ApiError::invalid_workflow(&diagnostics),
            CoreError::Unauthenticated(m) => ApiError::Unauthorized(m),
            CoreError::Forbidden(m) => ApiError::Forbidden(m),
            CoreError::NotFound(m) => ApiError::NotFound(m),
            CoreError::Conflict { code, message } => ApiError::Conflict { code, message },
            CoreError::RateLimited {
                message,
                retry_after,
            } => ApiError::TooManyRequests {
                message,
                retry_after,
            },
            CoreError::Upstream(m) => ApiError::BadGateway(m),
            CoreError::Internal(cause) => ApiError::internal(cause),
        }
    }
}
