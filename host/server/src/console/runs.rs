//! `GET /runs`: the visitor's recent workflow runs; `GET /runs/{id}`: one run — its status, its steps,
//! its events, followed live through `/api/runs/{id}/events` — and what it waits for: a question to answer,
//! or a step to validate (Mojodex's flow: accept and the run goes on; reject with feedback and the step is
//! redone with it; reject without feedback and the run ends). Cancel is there while the run is open.
//!
//! Every answer goes through the core as the visitor (the run's owner or an operator); a refused answer (a
//! value that is not one of the options, a question already answered in another tab) comes back beside
//! the form that sent it, with what the person typed kept.

use std::collections::VecDeque;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use drydock_core::CoreError;
use drydock_core::runs::{RunEventRow, RunRow};
use drydock_core::runs_service::RunView;
use drydock_workflow::{QuestionKind, RunStatus, StepRecord};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::page::{self, ConsoleError, Notice, Section, Shell};
use super::session::{NoFields, Posted, Visitor};
use super::workflows::{display, snake};
use crate::api::AppState;

/// How many runs `/runs` lists.
const RECENT_RUNS: usize = 50;
/// How many of a run's newest events its page shows.
const EVENTS_SHOWN: usize = 100;
/// Events read per store call, and the most calls one page makes (a run's events are bounded by its
/// iteration cap, so this is never reached in practice; it bounds the work of one page regardless).
const EVENT_PAGE: usize = 500;
const EVENT_PAGES: usize = 40;
/// The longest output a step's row shows before it is cut.
const OUTPUT_CHARS: usize = 2_000;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/runs", get(list))
        .route("/runs/{id}", get(show))
        .route("/runs/{id}/answer", post(answer))
        .route("/runs/{id}/validation", post(validation))
        .route("/runs/{id}/cancel", post(cancel))
}

/// The form an error belongs beside, and what the person had typed there.
struct Failed {
    notice: Notice,
    typed: String,
}

async fn list(State(state): State<AppState>, visitor: Visitor) -> Result<Response, ConsoleError> {
    let runs = state
        .core
        .recent_runs(&visitor.actor, None, RECENT_RUNS)
        .await?;
    let body = html! {
        p { "The runs you started, newest first. Start one from " a href="/workflows" { "a workflow" } "." }
        @if runs.is_empty() { p.muted { "None yet." } } @else { (runs_table(&runs)) }
    };
    Ok(Shell::new(&visitor, Section::Workflows, "Your runs").render(&state, body))
}

/// A table of runs: which workflow, its status in words, when.
pub(super) fn runs_table(runs: &[RunRow]) -> Markup {
    html! {
        div.table-wrap { table {
            thead { tr {
                th scope="col" { "Run" } th scope="col" { "Status" } th scope="col" { "Started" } th scope="col" { "Updated" }
            } }
            tbody { @for run in runs { tr {
                td { a href=(format!("/runs/{}", run.id)) { (run.workflow) " · " code { (short(&run.id)) } } }
                td { (status_badge(&run.status)) }
                td { (run.created_at) }
                td { (run.updated_at) }
            } } }
        } }
    }
}

/// A run status as a badge that says it in words.
fn status_badge(status: &str) -> Markup {
    let (class, words) = match status {
        "running" => ("s-running", "running"),
        "waiting_input" => ("s-waiting", "waiting for an answer"),
        "waiting_validation" => ("s-waiting", "waiting for validation"),
        "completed" => ("s-completed", "completed"),
        "failed" => ("s-failed", "failed"),
        "rejected" => ("s-rejected", "rejected"),
        "cancelled" => ("s-cancelled", "cancelled"),
        _ => ("s-idle", status),
    };
    html! { span class=(format!("badge {class}")) { (words) } }
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    render_run(&state, &visitor, &id, None, StatusCode::OK).await
}

/// The newest events of a run (at most [`EVENTS_SHOWN`]) and the sequence number of the last one, where
/// the live stream starts.
async fn newest_events(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
) -> Result<(Vec<RunEventRow>, i64), CoreError> {
    let (mut after, mut kept) = (0, VecDeque::new());
    for _ in 0..EVENT_PAGES {
        let page = state
            .core
            .run_events(&visitor.actor, id, after, EVENT_PAGE)
            .await?;
        if page.is_empty() {
            break;
        }
        for row in page {
            after = row.seq;
            kept.push_back(row);
            if kept.len() > EVENTS_SHOWN {
                kept.pop_front();
            }
        }
    }
    Ok((kept.into(), after))
}

async fn render_run(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    failed: Option<Failed>,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    // Events first: anything stored after this read reaches the page through the live stream.
    let (events, last_seq) = newest_events(state, visitor, id).await?;
    let view = state.core.run_view(&visitor.actor, id).await?;
    let run = &view.run;
    let run_status = run.status();
    let body = html! {
        div data-live-events=(format!("/api/runs/{}/events?after={last_seq}", view.row.id)) {
            p #live-status.hint aria-live="polite" {}
        }
        section #run-status data-live-region aria-labelledby="run-status-h" {
            h2 #run-status-h { "Status: " (status_badge(run_status.as_str())) }
            p { "Workflow " a href=(format!("/workflows/{}", view.row.workflow)) { (view.row.workflow) }
                ", started by " (view.row.started_by) " at " (view.row.created_at)
                "; last change " (view.row.updated_at) "." }
            @if let Some(step) = run.current_step() { p { "Current step: " code { (step) } } }
            @if let Some(failure) = run.failure() {
                p.notice.error role="alert" { strong { (failure.short) } " — " (failure.long) }
            }
            @if let Some(result) = run.result() {
                details { summary { "The final state" } pre { (pretty(result)) } }
            }
            @if !run_status.is_finished() {
                form.inline method="post" action=(format!("/runs/{}/cancel", view.row.id))
                    data-confirm="Cancel this run? It stops where it is and cannot be resumed." {
                    (page::csrf_field(visitor))
                    button.danger type="submit" { "Cancel the run" }
                }
            }
        }
        (waiting(visitor, &view, failed.as_ref()))
        section #run-steps data-live-region aria-labelledby="run-steps-h" {
            h2 #run-steps-h { "Steps" }
            @if run.history().is_empty() { p.muted { "No step has started yet." } } @else {
                div.table-wrap { table {
                    thead { tr {
                        th scope="col" { "#" } th scope="col" { "Step" } th scope="col" { "Type" }
                        th scope="col" { "Status" } th scope="col" { "What it did" }
                    } }
                    tbody { @for (index, record) in run.history().iter().enumerate() { (step_row(index + 1, record)) } }
                } }
            }
        }
        section #run-events data-live-region aria-labelledby="run-events-h" {
            h2 #run-events-h { "Events" }
            p.hint { "The newest " (EVENTS_SHOWN) " at most; the API streams all of them: "
                code { "GET /api/runs/" (view.row.id) "/events" } "." }
            ol.events {
                @for event in &events { li { span.muted { (event.created_at) } " " (event_summary(&event.event)) } }
            }
        }
    };
    let title = format!("Run of {}", view.row.workflow);
    let mut response = Shell::new(visitor, Section::Workflows, title).render(state, body);
    *response.status_mut() = status;
    Ok(response)
}

/// What the run waits for, with the form that gives it: an answer, or a validation.
fn waiting(visitor: &Visitor, view: &RunView, failed: Option<&Failed>) -> Markup {
    let run = &view.run;
    let id = &view.row.id;
    let typed = failed.map(|f| f.typed.as_str()).unwrap_or("");
    html! {
        section #run-question data-live-region aria-labelledby="run-question-h" {
            @match (run.status(), run.question()) {
                (RunStatus::WaitingInput, Some(q)) => {
                    h2 #run-question-h { "Your answer is needed" }
                    @if let Some(f) = failed { (f.notice.render()) }
                    form.stack method="post" action=(format!("/runs/{id}/answer")) {
                        (page::csrf_field(visitor))
                        input type="hidden" name="question" value=(q.question_uuid);
                        @if q.kind == QuestionKind::Choice {
                            p #answer-prompt { (q.prompt) span.hint { " (step " (q.step) ")" } }
                            div.inline role="group" aria-labelledby="answer-prompt" {
                                @for choice in &q.choices {
                                    button type="submit" name="value" value=(choice) { (choice) }
                                }
                            }
                        } @else {
                            label for="answer" { (q.prompt) span.hint { "Step " (q.step)
                                @if !q.suggestions.is_empty() { "; for example: " (q.suggestions.join(", ")) } } }
                            input #answer type="text" name="value" value=(typed) autofocus;
                            div { button type="submit" { "Answer" } }
                        }
                    }
                }
                (RunStatus::WaitingValidation, Some(q)) => {
                    h2 #run-question-h { "Validate step " code { (q.step) } }
                    p { (q.prompt) }
                    @if let Some(output) = &q.output {
                        p { strong { "Its output:" } }
                        pre.output { (pretty(output)) }
                    }
                    @if let Some(f) = failed { (f.notice.render()) }
                    div.grid.top {
                        form.stack method="post" action=(format!("/runs/{id}/validation")) {
                            (page::csrf_field(visitor))
                            input type="hidden" name="step" value=(q.step);
                            input type="hidden" name="decision" value="accept";
                            p.hint { "The output is right: the run goes on." }
                            button type="submit" { "Accept" }
                        }
                        form.stack method="post" action=(format!("/runs/{id}/validation")) {
                            (page::csrf_field(visitor))
                            input type="hidden" name="step" value=(q.step);
                            input type="hidden" name="decision" value="reject";
                            label for="feedback" { "Feedback" span.hint { "What should change; the step is redone with it." } }
                            textarea #feedback name="feedback" rows="3" { (typed) }
                            button.secondary type="submit" { "Reject and redo with this feedback" }
                        }
                    }
                    form.inline method="post" action=(format!("/runs/{id}/validation"))
                        data-confirm="Reject this step without feedback? The run ends as rejected." {
                        (page::csrf_field(visitor))
                        input type="hidden" name="step" value=(q.step);
                        input type="hidden" name="decision" value="end";
                        button.danger type="submit" { "Reject and end the run" }
                    }
                }
                (status, _) => {
                    h2 #run-question-h.muted { "Nothing is asked of you" }
                    @if let Some(f) = failed { (f.notice.render()) }
                    @if status.is_finished() { p.muted { "The run is over." } }
                    @else { p.muted { "The run is working; this page follows it." } }
                }
            }
        }
    }
}

fn step_row(number: usize, record: &StepRecord) -> Markup {
    let status = snake(&record.status);
    let class = match status.as_str() {
        "waiting" => "s-waiting",
        "completed" => "s-completed",
        "failed" => "s-failed",
        "rejected" => "s-rejected",
        "cancelled" => "s-cancelled",
        _ => "s-running",
    };
    html! {
        tr {
            td { (number) }
            td { code { (record.step) } @if record.iteration > 1 { " (time " (record.iteration) ")" } }
            td { (snake(&record.node_type)) }
            td { span class=(format!("badge {class}")) { (status) } }
            td {
                @if let Some(message) = &record.message { p { (message) } }
                @else if let Some(output) = &record.output { code { (cut(&display(output))) } }
                @if let Some(feedback) = &record.feedback {
                    @if status == "rejected" { p { strong { "Rejected with feedback: " } (feedback) } }
                    @else { p { strong { "Redone with feedback: " } (feedback) } }
                }
                @if let Some(error) = &record.error { p.notice.error { (error) } }
                @if !record.effects.is_empty() {
                    ul { @for effect in &record.effects { li {
                        (display(&effect["capability"])) " " (display(&effect["action"])) ": "
                        strong { (display(&effect["outcome"])) }
                    } } }
                }
            }
        }
    }
}

/// One line for an event: what happened, in words.
fn event_summary(event: &Value) -> String {
    let text = |key: &str| event[key].as_str().unwrap_or_default().to_owned();
    match event["type"].as_str().unwrap_or("event") {
        "workflow_started" => format!("the run started ({})", text("name")),
        "step_started" => format!("step {} started", text("step")),
        "tool_call" => format!("step {} called {}", text("step"), text("functionName")),
        "tool_result" if event["ok"] == Value::Bool(false) => {
            format!("the call of {} failed", text("functionName"))
        }
        "tool_result" => format!("{} answered", text("functionName")),
        "effects" => format!("step {}: effects recorded", text("step")),
        "message" => format!("message: {}", cut(&text("body"))),
        "step_ended" => format!("step {} produced its output", text("step")),
        "question" => format!("asks: {}", cut(&text("prompt"))),
        "step_validated" if event["validated"] == Value::Bool(true) => {
            format!("step {} accepted", text("step"))
        }
        "step_validated" => match event["feedback"].as_str() {
            Some(feedback) => format!(
                "step {} rejected with feedback: {}",
                text("step"),
                cut(feedback)
            ),
            None => format!("step {} rejected", text("step")),
        },
        "error" => format!("error: {}", text("short")),
        "completed" => "the run completed".into(),
        "rejected" => format!("the run ended: step {} was rejected", text("step")),
        "cancelled" => "the run was cancelled".into(),
        other => other.to_owned(),
    }
}

fn pretty(value: &Value) -> String {
    cut(&serde_json::to_string_pretty(value).unwrap_or_default())
}

fn cut(text: &str) -> String {
    if text.chars().count() <= OUTPUT_CHARS {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(OUTPUT_CHARS).collect();
    out.push_str(" …");
    out
}

/// Answers an action's failure: a run that is not visible is a page of its own; anything else (a refused
/// value, a question already answered) re-renders the run with the error beside the form.
async fn refused(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    err: CoreError,
    typed: String,
) -> Result<Response, ConsoleError> {
    if matches!(err, CoreError::NotFound(_) | CoreError::Forbidden(_)) {
        return Err(err.into());
    }
    let (status, message) = crate::api::ApiError::from(err).status_and_message();
    let notice = Notice::error(format!(
        "not done: {message}. The page now shows where the run is."
    ));
    render_run(state, visitor, id, Some(Failed { notice, typed }), status).await
}

#[derive(Deserialize)]
struct AnswerForm {
    #[serde(default)]
    question: String,
    #[serde(default)]
    value: String,
}

async fn answer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted<AnswerForm>,
) -> Result<Response, ConsoleError> {
    let Posted { visitor, form } = posted;
    let result = state
        .core
        .answer_run(
            &visitor.actor,
            &id,
            &form.question,
            Value::String(form.value.clone()),
        )
        .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/runs/{id}")).into_response()),
        Err(err) => refused(&state, &visitor, &id, err, form.value).await,
    }
}

#[derive(Deserialize)]
struct ValidationForm {
    #[serde(default)]
    step: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    feedback: String,
}

async fn validation(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted<ValidationForm>,
) -> Result<Response, ConsoleError> {
    let Posted { visitor, form } = posted;
    let feedback = form.feedback.trim().to_owned();
    let (validated, feedback) = match form.decision.as_str() {
        "accept" => (true, None),
        "end" => (false, None),
        "reject" if !feedback.is_empty() => (false, Some(feedback)),
        "reject" => {
            let notice = Notice::error(
                "write the feedback the step should be redone with, or use “Reject and end the run”",
            );
            let failed = Failed {
                notice,
                typed: form.feedback,
            };
            return render_run(&state, &visitor, &id, Some(failed), StatusCode::BAD_REQUEST).await;
        }
        _ => {
            return Err(ConsoleError::new(
                StatusCode::BAD_REQUEST,
                "the form said neither accept nor reject; reload the run's page and use its buttons",
            ));
        }
    };
    let result = state
        .core
        .validate_run_step(&visitor.actor, &id, &form.step, validated, feedback)
        .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/runs/{id}")).into_response()),
        Err(err) => refused(&state, &visitor, &id, err, form.feedback).await,
    }
}

async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted<NoFields>,
) -> Result<Response, ConsoleError> {
    let visitor = posted.visitor;
    match state.core.cancel_run(&visitor.actor, &id).await {
        Ok(_) => Ok(Redirect::to(&format!("/runs/{id}")).into_response()),
        Err(err) => refused(&state, &visitor, &id, err, String::new()).await,
    }
}
