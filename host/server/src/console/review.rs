//! A live run's write that its approved rehearsal did not show, as the console shows it: the run is
//! `needs_review`, the write is not performed, and an operator decides. The execution page shows the held
//! write (what, where, by which plugin, its payload shape and the journal's redacted facts) with two forms,
//! *Allow once* (performs exactly that write) and *Stop* (leaves it unperformed and stops the run):
//! `POST /plans/{id}/executions/{correlation}/review` with `decision=allowOnce|stop`, operators only (a user
//! sees the held write and that an operator decides). Decisions are audited by the core.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use drydock_core::rehearsals::ReviewChoice;
use drydock_core::{ExecutionRow, ExecutionStatus};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::json;

use super::page::{ConsoleError, Notice, csrf_field};
use super::plans::core_notice;
use super::rehearsal::{effect_detail, render_execution};
use super::session::{Posted, Visitor};
use crate::api::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/plans/{id}/executions/{correlation}/review", post(review))
}

/// The held write of a `needs_review` run, with the decision forms for an operator; empty otherwise.
pub(super) async fn held_section(
    state: &AppState,
    visitor: &Visitor,
    session_id: &str,
    run: &ExecutionRow,
) -> Result<Markup, ConsoleError> {
    if run.status != ExecutionStatus::NeedsReview {
        return Ok(html! {});
    }
    let held = state
        .core
        .held_for_review(&visitor.actor, &run.correlation_id)
        .await?;
    let action = format!(
        "/plans/{session_id}/executions/{}/review",
        run.correlation_id
    );
    Ok(html! {
        section.card #held aria-labelledby="s-held" {
            h2 #s-held { span.badge.s-needs_review { "needs review" } " A write the rehearsal did not show" }
            @match &held {
                None => {
                    p { "The run waits for a decision on a held write that is being recorded; this page updates when it is." }
                }
                Some(held) => {
                    p { "The live run asked for this write, which its approved rehearsal did not show (or not this many \
                         times). It was " strong { "not performed" } "; the run waits until an operator decides." }
                    dl {
                        dt { "What" } dd { code { (held.action) } }
                        dt { "Target" } dd { code { (held.fingerprint.target) } }
                        dt { "Capability" } dd { code { (held.capability) } }
                        dt { "Plugin and tool" } dd { code { (held.plugin) } " · " code { (held.tool) } }
                        dt { "Payload" } dd { (held.fingerprint.shape.size_words())
                            @if let Some(keys) = &held.fingerprint.shape.json_keys { ", JSON keys: " (keys.join(", ")) } }
                    }
                    (effect_detail(&json!({ "detail": held.detail })))
                    @if visitor.is_operator() {
                        div.inline {
                            form.inline method="post" action=(action)
                                data-confirm=(format!("Perform {} once?", held.action)) {
                                (csrf_field(visitor))
                                input type="hidden" name="decision" value="allowOnce";
                                button.danger type="submit" { "Allow once" }
                            }
                            form.inline method="post" action=(action) {
                                (csrf_field(visitor))
                                input type="hidden" name="decision" value="stop";
                                button.secondary type="submit" { "Stop" }
                            }
                        }
                        p.hint { "Allow once performs exactly this write and the run goes on; Stop leaves it unperformed \
                                  and the node fails. Both are audited." }
                    } @else {
                        p.hint { "Only an operator can allow it once or stop the run." }
                    }
                }
            }
        }
    })
}

#[derive(Deserialize)]
struct ReviewForm {
    #[serde(default)]
    decision: String,
}

async fn review(
    State(state): State<AppState>,
    Path((id, correlation)): Path<(String, String)>,
    Posted { visitor, form }: Posted<ReviewForm>,
) -> Result<Response, ConsoleError> {
    let choice = match form.decision.as_str() {
        "allowOnce" => ReviewChoice::AllowOnce,
        "stop" => ReviewChoice::Stop,
        _ => {
            let notice = Notice::error(
                "the decision must be allowOnce or stop; reload the page and use its buttons",
            );
            return render_execution(
                &state,
                &visitor,
                &id,
                &correlation,
                Some(notice),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    // The execution must belong to the session of this page (rendering checks it and answers 404).
    let run = state.core.execution(&visitor.actor, &correlation).await?;
    let session = state.core.session_for(&visitor.actor, &id).await?;
    if run.session_id != session.id {
        return Err(ConsoleError::new(
            StatusCode::NOT_FOUND,
            format!(
                "session `{id}` has no execution `{correlation}`; open it from the session's page"
            ),
        ));
    }
    match state
        .core
        .review_execution(&visitor.actor, &correlation, choice)
        .await
    {
        Ok(_) => {
            let done = match choice {
                ReviewChoice::AllowOnce => "allowed",
                ReviewChoice::Stop => "stopped",
            };
            Ok(
                Redirect::to(&format!("/plans/{id}/executions/{correlation}?done={done}"))
                    .into_response(),
            )
        }
        Err(err) => {
            let (status, notice) = core_notice(err);
            let notice = Notice::error(format!("nothing was decided: {}", notice.text));
            render_execution(&state, &visitor, &id, &correlation, Some(notice), status).await
        }
    }
}
