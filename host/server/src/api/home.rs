//! `GET /`: what this server is, and where to go from here, for a person who opens it in a browser. A plain
//! page, not the console (which replaces it): the API's entry points, the MCP endpoint, and the guides.

use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;

use super::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

async fn home(State(state): State<AppState>) -> Html<String> {
    let runtime = state.core.runtime();
    let master = if runtime.master_switch() {
        "on: writes an operator allowed can go live"
    } else {
        "off: every write is a dry run"
    };
    Html(format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Drydock</title>
<style>body{{font-family:system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;line-height:1.5}}code{{background:#f3f3f3;padding:0 .2rem}}</style>
</head>
<body>
<h1>Drydock {version}</h1>
<p>A WebAssembly sandbox for the tools of AI agents: every plugin runs with only the grants an operator gave
it, every run is a dry run unless an operator turned a capability live and a person approved the plan, and
every action is in a hash-chained audit log.</p>
<p>This server runs {plugins} plugins; the master switch <code>DRYDOCK_LIVE</code> is {master}.</p>
<h2>Where to go</h2>
<ul>
<li><a href="/api/openapi.json"><code>/api/openapi.json</code></a>: every route of the API (plan, chat, workflow,
tools, policy, audit). Send <code>Authorization: Bearer &lt;token&gt;</code>; <code>POST /api/auth/login</code>
gives one.</li>
<li><code>/mcp</code>: the Model Context Protocol endpoint for MCP hosts (bearer token); its metadata is at
<a href="/.well-known/oauth-protected-resource"><code>/.well-known/oauth-protected-resource</code></a>.</li>
<li><a href="/healthz"><code>/healthz</code></a> and <a href="/metrics"><code>/metrics</code></a>: liveness and
Prometheus counters, no token needed.</li>
<li>The guides are in the <code>docs/</code> folder of Drydock's repository: <code>docs/plan-api.md</code>,
<code>docs/chat-api.md</code> and <code>docs/workflows.md</code> (the API faces, with curl),
<code>docs/mcp.md</code> (MCP hosts), <code>docs/plugins.md</code> (plugin authors),
<code>docs/operators.md</code> (policy, users, live mode, audit), <code>docs/security.md</code> (the threat
model and limits).</li>
</ul>
<p>A web console will live here; until then, the API and the <code>drydock</code> command line are the way in.</p>
</body>
</html>
"#,
        version = env!("CARGO_PKG_VERSION"),
        plugins = runtime.plugin_count(),
    ))
}
