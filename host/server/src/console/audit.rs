//! `GET /operators/audit`: the audit log, newest first, filtered by actor, action (a family such as `auth`
//! or one action such as `plan.approve`) and correlation id, a page at a time; and **verify**
//! (`?verify=1`), which checks the whole hash chain and shows either the head hash to keep elsewhere or the
//! first row that no longer fits and why.
//!
//! Verifying only reads, so it is a link (a `GET`), not a form.

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use drydock_core::Verification;
use drydock_core::audit::AuditFilter;
use maud::{Markup, html};
use serde::Deserialize;

use super::page::{ConsoleError, Section, Shell};
use super::plugins::require_operator;
use super::session::Visitor;
use crate::api::AppState;

/// Rows per page.
const PAGE_ROWS: usize = 50;
/// The longest detail shown in the table; the rest is one click away in the API.
const DETAIL_CHARS: usize = 300;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/operators/audit", get(audit_page))
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    correlation: String,
    before: Option<i64>,
    verify: Option<String>,
}

impl AuditQuery {
    fn filter(&self) -> AuditFilter {
        let given = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        AuditFilter {
            actor: given(&self.actor),
            action: given(&self.action),
            correlation_id: given(&self.correlation),
            before: self.before,
            newest_first: true,
            ..AuditFilter::default()
        }
    }

    /// This query's link with another `before`.
    fn page_link(&self, before: i64) -> String {
        let query = serde_urlencoded::to_string([
            ("actor", self.actor.as_str()),
            ("action", self.action.as_str()),
            ("correlation", self.correlation.as_str()),
            ("before", &before.to_string()),
        ])
        .unwrap_or_default();
        format!("/operators/audit?{query}")
    }
}

async fn audit_page(
    State(state): State<AppState>,
    visitor: Visitor,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ConsoleError> {
    require_operator(&visitor)?;
    let Query(query) = query.map_err(|err| {
        ConsoleError::new(
            axum::http::StatusCode::BAD_REQUEST,
            format!(
                "the filter is malformed ({}); clear it and try again",
                err.body_text()
            ),
        )
    })?;
    let verification = match query.verify {
        Some(_) => Some(state.core.audit_verify(&visitor.actor).await?),
        None => None,
    };
    let rows = state
        .core
        .audit(&visitor.actor, query.filter(), PAGE_ROWS)
        .await?;
    let body = html! {
        section aria-labelledby="verify-h" {
            h2 #verify-h { "Chain" }
            @match &verification {
                None => p {
                    "Every row holds the hash of the row before it, so a changed, removed or inserted row breaks \
                     the chain. "
                    a.button.secondary href="/operators/audit?verify=1" { "Verify the chain" }
                },
                Some(Verification::Intact { rows, head }) => div #verification.notice.done role="status" {
                    p { strong { "Intact. " } "All " (rows) " rows fit the chain." }
                    p { "Head hash (keep a copy elsewhere: a rewrite of the whole tail shows as a different head): "
                        code { (head) } }
                },
                Some(Verification::Broken { seq, reason }) => div #verification.notice.error role="alert" {
                    p { strong { "Broken at row " (seq) ". " } (reason) }
                    p { "Rows before " (seq) " are intact. Keep the database file as it is for investigation, and \
                         compare it with a backup; see docs/operators.md, “The audit log”." }
                },
            }
        }
        section aria-labelledby="rows-h" {
            h2 #rows-h { "Rows, newest first" }
            form.inline method="get" action="/operators/audit" role="search" {
                label for="f-actor" { "Actor" }
                input #f-actor type="text" name="actor" value=(query.actor) placeholder="admin";
                label for="f-action" { "Action" }
                input #f-action type="text" name="action" value=(query.action) placeholder="auth";
                label for="f-corr" { "Correlation id" }
                input #f-corr type="text" name="correlation" value=(query.correlation);
                button type="submit" { "Filter" }
                a href="/operators/audit" { "Clear" }
            }
            p.hint { "Action matches one action or a family: " code { "auth" } " finds " code { "auth.login" }
                " and " code { "auth.login.failed" } "." }
            (rows_table(&rows))
            @if rows.len() == PAGE_ROWS && let Some(last) = rows.last() {
                p { a href=(query.page_link(last.seq)) { "Older rows" } }
            }
        }
    };
    Ok(Shell::new(&visitor, Section::Audit, "Audit log").render(&state, body))
}

fn rows_table(rows: &[drydock_core::AuditRow]) -> Markup {
    html! {
        @if rows.is_empty() {
            p.muted { "No rows match." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr {
                        th scope="col" { "Seq" } th scope="col" { "At" } th scope="col" { "Actor" }
                        th scope="col" { "Action" } th scope="col" { "Target" } th scope="col" { "Correlation" }
                        th scope="col" { "Detail" }
                    } }
                    tbody {
                        @for row in rows {
                            tr {
                                td { (row.seq) }
                                td { (row.at) }
                                td { (row.actor) }
                                td { code { (row.action) } }
                                td { (row.target.as_deref().unwrap_or("")) }
                                td {
                                    @if let Some(corr) = &row.correlation_id {
                                        a href=(format!("/operators/audit?{}", serde_urlencoded::to_string([("correlation", corr)]).unwrap_or_default())) { code { (corr.chars().take(8).collect::<String>()) "…" } }
                                    }
                                }
                                td { code { (excerpt(&row.detail)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn excerpt(detail: &serde_json::Value) -> String {
    let text = detail.to_string();
    if text.chars().count() > DETAIL_CHARS {
        format!("{}…", text.chars().take(DETAIL_CHARS).collect::<String>())
    } else {
        text
    }
}
