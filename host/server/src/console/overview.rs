//! `GET /`: the console's front page. Signed out, it sends the person to sign in; signed in, it shows what
//! this server runs, whether anything can go live, their latest plans, and where each task lives.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use maud::html;

use super::page::{ConsoleError, Section, Shell};
use super::session::Visitor;
use crate::api::AppState;

/// How many sessions the overview lists.
const RECENT_SESSIONS: usize = 5;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/", get(overview))
}

async fn overview(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, ConsoleError> {
    let runtime = state.core.runtime();
    let mut sessions = state.core.sessions(&visitor.actor).await?;
    sessions.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
    let workflows = state.core.workflows(&visitor.actor).await?;
    let body = html! {
        div.grid {
            section.card aria-labelledby="o-plugins" {
                h2 #o-plugins { "Plugins" }
                p { (runtime.plugin_count()) " plugins loaded, " (runtime.tools().len()) " tools." }
                @if visitor.is_operator() {
                    p { a href="/operators/plugins" { "Grants and live toggles" } }
                }
            }
            section.card aria-labelledby="o-live" {
                h2 #o-live { "Live or dry" }
                @if runtime.master_switch() {
                    p { "The master switch is " strong { "on" } ": a write goes live only where an operator turned its \
                        capability live for that plugin, and only in a run a person approved." }
                } @else {
                    p { "The master switch is " strong { "off" } ": every write is a dry run. Start the server with "
                        code { "DRYDOCK_LIVE=1" } " to let approved, operator-enabled writes go live." }
                }
            }
            section.card aria-labelledby="o-work" {
                h2 #o-work { "Work" }
                ul {
                    li { a href="/plans" { "Plans" } ": turn a work item into a plan, rehearse it, approve it." }
                    li { a href="/chat" { "Chat" } ": ask the agent; approve the task it proposes." }
                    li { a href="/workflows" { "Workflows" } " (" (workflows.len()) "): start a run, answer its questions, validate its steps." }
                }
            }
        }
        section aria-labelledby="o-sessions" {
            h2 #o-sessions { "Your latest plans" }
            @if sessions.is_empty() {
                p.muted { "None yet. " a href="/plans" { "Start one from a work item." } }
            } @else {
                div.table-wrap {
                    table {
                        thead { tr { th scope="col" { "Work item" } th scope="col" { "Updated" } } }
                        tbody {
                            @for session in sessions.iter().take(RECENT_SESSIONS) {
                                tr {
                                    td { a href=(format!("/plans/{}", session.id)) { (work_item_title(&session.work_item)) } }
                                    td { (session.updated_at) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(Shell::new(&visitor, Section::Overview, "Overview").render(&state, body))
}

/// A work item's title for lists: its `title`, else its `summary`, else its `key`, else its start.
pub fn work_item_title(item: &serde_json::Value) -> String {
    for key in ["title", "summary", "key", "id"] {
        if let Some(text) = item.get(key).and_then(|v| v.as_str()) {
            return text.chars().take(120).collect();
        }
    }
    item.to_string().chars().take(80).collect()
}
