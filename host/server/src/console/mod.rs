//! The web console at `/`: what operators and users do in a browser instead of with curl.
//!
//! Pages are rendered on the server from the core's own answers ([maud] templates, escaped by
//! construction), so a page's first render needs no data round trip beyond its HTML and every page works
//! without JavaScript. The one script, `console.js`, adds live updates (it listens to the API's SSE streams
//! and re-reads the page's live regions) and confirmation prompts. Assets are embedded in the binary; the
//! page asks nothing of any other host, under a strict Content-Security-Policy.
//!
//! | module      | pages |
//! |-------------|-------|
//! | `session`   | the session cookie, [`session::Visitor`] (who is signed in), CSRF tokens, [`session::Posted`] forms |
//! | `page`      | the page shell: header, navigation, master-switch banner, notices, security headers |
//! | `assets`    | `GET /assets/{file}`: the stylesheet and the script, embedded |
//! | `sign_in`   | `GET/POST /sign-in`, `POST /sign-out` |
//! | `overview`  | `GET /`: the master switch, plugins, your sessions, where to go |
//! | `plugins`   | operators: `GET /operators/plugins` (grants, LivePolicy toggles), `POST /operators/plugins/{name}/live` |
//! | `audit`     | operators: `GET /operators/audit` (filters, pages, `?verify=1` checks the chain) |
//! | `users`     | operators: `GET/POST /operators/users`, `POST /operators/tokens`, `POST /operators/tokens/{id}/revoke` |
//! | `plans`     | `GET/POST /plans`, `GET /plans/{id}`, `POST /plans/{id}/{generate,approve,execute}`: seed 001's plan face |
//! | `plan_page` | the sections of a session's page: nodes and their run buttons, approval, runs |
//! | `rehearsal_report` | the core's "what will change" report (shown before the Approve button) and the rehearsal an approval froze |
//! | `review`    | a live run's write its rehearsal did not show: the held write, `POST /plans/{id}/executions/{correlation}/review` (operators) |
//! | `plan_dag`  | the plan as an SVG picture (layers by dependency depth) and each node's status |
//! | `rehearsal` | `GET /plans/{id}/executions/{correlation}`, `GET /plans/{id}/rehearsal`: effects by capability, diffs, artifacts |
//! | `workflows` | `GET /workflows` (catalog, start a run), `GET/POST /workflows/{name}` (YAML, operators edit and validate), `POST /workflows/{name}/runs`, `POST /workflows/{name}/delete` |
//! | `runs`      | `GET /runs` (your recent runs), `GET /runs/{id}` (live), `POST /runs/{id}/answer`, `/validation`, `/cancel` |
//! | `chat`      | `GET/POST /chat`, `GET/POST /chat/{conversation}` (messages beside the task), `POST …/approve`, `…/modify`, `…/cancel` |
//!
//! Every state-changing form carries the session's CSRF token and is a `POST`; the handler answers with a
//! redirect (post/redirect/get), or re-renders the page with the error beside the form that caused it.

mod assets;
mod audit;
mod chat;
mod overview;
pub mod page;
mod plan_dag;
mod plan_page;
mod plans;
mod plugins;
mod rehearsal;
mod rehearsal_report;
mod review;
mod runs;
pub mod session;
mod sign_in;
mod users;
mod workflows;

use axum::Router;

use crate::api::AppState;

/// The console's routes; the security headers of [`page::security_headers`] go on every answer.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(assets::router())
        .merge(sign_in::router())
        .merge(overview::router())
        .merge(plugins::router())
        .merge(audit::router())
        .merge(users::router())
        .merge(plans::router())
        .merge(rehearsal::router())
        .merge(review::router())
        .merge(workflows::router())
        .merge(runs::router())
        .merge(chat::router())
        .layer(axum::middleware::from_fn(page::security_headers))
}
