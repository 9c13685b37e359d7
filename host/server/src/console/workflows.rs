//! `GET /workflows`: the catalog, each workflow with a form that starts a run from its declared inputs;
//! `GET /workflows/{name}`: one workflow, its steps, its YAML, the visitor's runs of it, and for operators
//! an edit form that saves through the core's validator (or only validates) and a delete button.
//!
//! An invalid YAML is never stored: the page comes back with the person's text kept, the validator's
//! diagnostics listed as `line N, column M: message` (each linked to its line) and the offending lines
//! marked in a numbered listing of the text, so the fix is one look away.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use drydock_core::CoreError;
use drydock_core::workflows_service::WorkflowSummary;
use drydock_workflow::{Diagnostic, InputSpec};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::page::{self, ConsoleError, Notice, Section, Shell};
use super::runs::runs_table;
use super::session::{NoFields, Posted, Visitor};
use crate::api::AppState;
use crate::api::budgets::ExpensiveRoute;

/// How many of the visitor's runs the workflow page lists.
const RECENT_RUNS: usize = 10;
/// The prefix of a start form's input fields (`input.NAME`), so they never collide with `_csrf` or `from`.
const INPUT_PREFIX: &str = "input.";

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/workflows", get(catalog))
        .route("/workflows/{name}", get(show).post(edit))
        .route("/workflows/{name}/runs", post(start))
        .route("/workflows/{name}/delete", post(delete))
}

/// `?done=...`: the confirmation of the last post/redirect/get, from a fixed list (never echoed text).
#[derive(Deserialize, Default)]
pub(super) struct Done {
    #[serde(default)]
    done: Option<String>,
}

impl Done {
    fn notice(query: Result<Query<Done>, QueryRejection>) -> Option<Notice> {
        let Ok(Query(Done { done: Some(done) })) = query else {
            return None;
        };
        let text = match done.as_str() {
            "saved" => "Saved. The workflow was valid and is stored; new runs use it.",
            "deleted" => "Deleted. Runs already started keep their copy of the workflow.",
            _ => return None,
        };
        Some(Notice::done(text))
    }
}

/// A start form that failed: which workflow, what the person typed, and why.
struct StartFailure {
    workflow: String,
    values: Vec<(String, String)>,
    notice: Notice,
}

/// The edit form after a save or a validation: the text as sent, and what the validator said.
struct Edited {
    yaml: String,
    diagnostics: Vec<Diagnostic>,
    notice: Notice,
}

async fn catalog(
    State(state): State<AppState>,
    visitor: Visitor,
    query: Result<Query<Done>, QueryRejection>,
) -> Result<Response, ConsoleError> {
    render_catalog(&state, &visitor, Done::notice(query), None, StatusCode::OK).await
}

async fn render_catalog(
    state: &AppState,
    visitor: &Visitor,
    done: Option<Notice>,
    failed: Option<StartFailure>,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let workflows = state.core.workflows(&visitor.actor).await?;
    let body = html! {
        (page::notice(done.as_ref()))
        p { "Each workflow runs its tool steps in the sandbox as dry runs, asks you what it needs, and waits for \
             you where a step must be validated. " a href="/runs" { "Your recent runs" } "." }
        @if workflows.is_empty() {
            p.muted { "No workflows are stored. An operator adds them with " code { "PUT /api/workflows/NAME" }
                " or by starting the server with " code { "--workflows DIR" } "." }
        }
        div.grid {
            @for summary in &workflows {
                @let heading = format!("wf-{}", summary.name);
                section.card aria-labelledby=(heading) {
                    h2 id=(heading) { a href=(format!("/workflows/{}", summary.name)) { (summary.name) } }
                    p { (summary.description) }
                    p.hint { (summary.steps.len()) " steps"
                        @if summary.steps.iter().any(|s| s.user_validation_required) { ", some validated by you" }
                        @if summary.public { " · " span.badge.s-read { "public" } } }
                    (start_form(visitor, summary, failed.as_ref().filter(|f| f.workflow == summary.name), "catalog"))
                }
            }
        }
    };
    let mut response = Shell::new(visitor, Section::Workflows, "Workflows").render(state, body);
    *response.status_mut() = status;
    Ok(response)
}

/// The form that starts a run: one labelled field per declared input (required ones marked), the error of
/// a failed start beside it, the person's values kept.
fn start_form(
    visitor: &Visitor,
    summary: &WorkflowSummary,
    failed: Option<&StartFailure>,
    from: &str,
) -> Markup {
    let kept = |name: &str| {
        failed.and_then(|f| {
            f.values
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    };
    html! {
        form.stack method="post" action=(format!("/workflows/{}/runs", summary.name)) {
            (page::csrf_field(visitor))
            input type="hidden" name="from" value=(from);
            @if let Some(failed) = failed { (failed.notice.render()) }
            @for input in &summary.inputs {
                @let id = format!("in-{}-{}", summary.name, input.name);
                label for=(id) {
                    (input.name)
                    span.hint { (input_hint(input)) }
                }
                input type="text" id=(id) name=(format!("{INPUT_PREFIX}{}", input.name))
                    value=(kept(&input.name).unwrap_or_default())
                    placeholder=[input.default.as_ref().map(display)]
                    required[input.default.is_none()];
            }
            @if summary.inputs.is_empty() { p.hint { "This workflow takes no inputs." } }
            button type="submit" { "Start a run of " (summary.name) }
        }
    }
}

/// What an input wants: its description, type, and default or that it is required.
fn input_hint(input: &InputSpec) -> String {
    let mut hint = input.description.clone();
    if !hint.is_empty() {
        hint.push_str(" · ");
    }
    hint.push_str(&snake(&input.var_type));
    match &input.default {
        Some(default) => hint.push_str(&format!(", default {}", display(default))),
        None => hint.push_str(", required"),
    }
    hint
}

/// A JSON value as a person reads it: text as itself, anything else as JSON.
pub(super) fn display(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The snake_case name serde gives a unit enum (`str`, `waiting_input`, `update_state`).
pub(super) fn snake<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The start form's fields: `from` (which page to answer with on an error) and `input.NAME` per input.
type Fields = Vec<(String, String)>;

async fn start(
    State(state): State<AppState>,
    Path(name): Path<String>,
    posted: Posted<Fields>,
) -> Result<Response, ConsoleError> {
    let Posted { visitor, form } = posted;
    // The same budget `POST /api/workflows/{name}/runs` spends.
    visitor.spend(&state, ExpensiveRoute::WorkflowRun)?;
    let values: Vec<(String, String)> = form
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(INPUT_PREFIX)?.to_owned(), v.clone())))
        .collect();
    // A blank field means "not given": the input's default applies, or the core says it is missing.
    let inputs: Map<String, Value> = values
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    match state
        .core
        .start_run(&visitor.actor, &name, Value::Object(inputs), None)
        .await
    {
        Ok(view) => Ok(Redirect::to(&format!("/runs/{}", view.row.id)).into_response()),
        Err(err @ (CoreError::NotFound(_) | CoreError::Forbidden(_))) => Err(err.into()),
        Err(err) => {
            let (status, message) = crate::api::ApiError::from(err).status_and_message();
            let failed = StartFailure {
                workflow: name.clone(),
                values,
                notice: Notice::error(format!(
                    "the run did not start: {message}. Correct the inputs and start it again."
                )),
            };
            let from_catalog = form.iter().any(|(k, v)| k == "from" && v == "catalog");
            if from_catalog {
                render_catalog(&state, &visitor, None, Some(failed), status).await
            } else {
                render_workflow(&state, &visitor, &name, None, Some(failed), None, status).await
            }
        }
    }
}

async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(name): Path<String>,
    query: Result<Query<Done>, QueryRejection>,
) -> Result<Response, ConsoleError> {
    render_workflow(
        &state,
        &visitor,
        &name,
        Done::notice(query),
        None,
        None,
        StatusCode::OK,
    )
    .await
}

async fn render_workflow(
    state: &AppState,
    visitor: &Visitor,
    name: &str,
    done: Option<Notice>,
    failed: Option<StartFailure>,
    edited: Option<Edited>,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let row = state.core.workflow(&visitor.actor, name).await?;
    let summary = state
        .core
        .workflows(&visitor.actor)
        .await?
        .into_iter()
        .find(|w| w.name == row.name);
    let runs = state
        .core
        .recent_runs(&visitor.actor, Some(&row.name), RECENT_RUNS)
        .await?;
    // A stored workflow that no longer loads (a tool it names is gone) shows why, so it can be mended.
    let broken = match &summary {
        None if edited.is_none() => state.core.validate_workflow(&row.yaml),
        _ => Vec::new(),
    };
    let (text, diagnostics) = match &edited {
        Some(edited) => (edited.yaml.as_str(), edited.diagnostics.as_slice()),
        None => (row.yaml.as_str(), broken.as_slice()),
    };
    let body = html! {
        (page::notice(done.as_ref()))
        p { a href="/workflows" { "All workflows" } }
        @match &summary {
            Some(summary) => {
                p { (summary.description) }
                div.columns {
                    section aria-labelledby="wf-steps" {
                        h2 #wf-steps { "Steps" }
                        div.table-wrap { table {
                            thead { tr { th scope="col" { "Step" } th scope="col" { "Type" } th scope="col" { "Validated by a person" } } }
                            tbody { @for step in &summary.steps { tr {
                                td { code { (step.name) } } td { (snake(&step.node_type)) }
                                td { @if step.user_validation_required { "yes" } @else { "no" } }
                            } } }
                        } }
                    }
                    section aria-labelledby="wf-start" {
                        h2 #wf-start { "Start a run" }
                        (start_form(visitor, summary, failed.as_ref(), "workflow"))
                    }
                }
            }
            None => {
                p.notice.error role="alert" { "This workflow no longer loads (a tool it names may be gone), so it cannot \
                    run. The problems are listed with its YAML below." }
            }
        }
        section aria-labelledby="wf-runs" {
            h2 #wf-runs { "Your recent runs of it" }
            @if runs.is_empty() { p.muted { "None yet." } } @else { (runs_table(&runs)) }
        }
        section aria-labelledby="wf-yaml" {
            h2 #wf-yaml { "YAML" }
            p.hint { "Last written by " (row.updated_by) " at " (row.updated_at) "." }
            @if let Some(edited) = &edited { (edited.notice.render()) }
            (diagnostics_list(diagnostics))
            @if visitor.is_operator() {
                form.stack method="post" action=(format!("/workflows/{}", row.name)) {
                    (page::csrf_field(visitor))
                    label for="yaml" { "The workflow's YAML"
                        span.hint { "Saving validates it against the tools loaded now; nothing invalid is stored." } }
                    // HTML drops a newline right after `<textarea>`: one is given, so the text's own first line survives.
                    textarea.code #yaml name="yaml" spellcheck="false" rows="24" { "\n" (text) }
                    div.inline {
                        button type="submit" name="action" value="save" { "Save" }
                        button.secondary type="submit" name="action" value="validate" { "Validate only" }
                    }
                }
                h3 { "Numbered listing" @if !diagnostics.is_empty() { " (problems marked)" } }
                (listing(text, diagnostics))
                form.inline method="post" action=(format!("/workflows/{}/delete", row.name))
                    data-confirm=(format!("Delete the workflow {}? Runs already started keep their copy.", row.name)) {
                    (page::csrf_field(visitor))
                    button.danger type="submit" { "Delete " (row.name) }
                }
            } @else {
                p.hint { "Read only: changing a workflow needs the operator role." }
                (listing(text, diagnostics))
            }
        }
    };
    let mut response = Shell::new(
        visitor,
        Section::Workflows,
        format!("Workflow {}", row.name),
    )
    .render(state, body);
    *response.status_mut() = status;
    Ok(response)
}

/// The validator's findings, one item each: `line N, column M: message`, the hint, a link to the line.
fn diagnostics_list(diagnostics: &[Diagnostic]) -> Markup {
    html! {
        @if !diagnostics.is_empty() {
            ol.diagnostics aria-label="Problems the validator found" {
                @for d in diagnostics {
                    li {
                        a href=(format!("#yaml-line-{}", d.line)) { "line " (d.line) ", column " (d.column) }
                        ": " (d.message)
                        @if let Some(node) = &d.node { " (node " code { (node) } ")" }
                        @if !d.hint.is_empty() { span.hint { " Hint: " (d.hint) } }
                    }
                }
            }
        }
    }
}

/// The text as a numbered list of lines; a line a diagnostic points at is marked, in words as well.
fn listing(text: &str, diagnostics: &[Diagnostic]) -> Markup {
    html! {
        ol.listing aria-label="The YAML, line by line" {
            @for (index, line) in text.lines().enumerate() {
                @let number = index + 1;
                @let problems: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.line == number).collect();
                @if problems.is_empty() {
                    li { code { (line) } }
                } @else {
                    li.bad id=(format!("yaml-line-{number}")) {
                        code { (line) }
                        @for d in problems { span.flag { " ← problem: " (d.message) } }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
struct EditForm {
    #[serde(default)]
    yaml: String,
    #[serde(default)]
    action: String,
}

async fn edit(
    State(state): State<AppState>,
    Path(name): Path<String>,
    posted: Posted<EditForm>,
) -> Result<Response, ConsoleError> {
    let Posted { visitor, form } = posted;
    if !visitor.is_operator() {
        return Err(ConsoleError::new(
            StatusCode::FORBIDDEN,
            "changing a workflow needs the operator role; ask an operator, or read the YAML on its page",
        ));
    }
    // The workflow must exist (and be visible) before anything is said about the text.
    state.core.workflow(&visitor.actor, &name).await?;
    let rerender = |edited: Edited, status| {
        let (state, visitor, name) = (state.clone(), visitor.clone(), name.clone());
        async move { render_workflow(&state, &visitor, &name, None, None, Some(edited), status).await }
    };
    if form.yaml.trim().is_empty() {
        let edited = Edited {
            yaml: form.yaml,
            diagnostics: Vec::new(),
            notice: Notice::error(
                "the YAML is empty; paste the workflow's YAML, or use Delete to remove it",
            ),
        };
        return rerender(edited, StatusCode::BAD_REQUEST).await;
    }
    if form.action == "validate" {
        let diagnostics = state.core.validate_workflow(&form.yaml);
        let notice = if diagnostics.is_empty() {
            Notice::done(
                "Valid for the tools loaded now. Nothing was saved: press Save to store it.",
            )
        } else {
            problems_notice(&diagnostics, "Nothing was saved")
        };
        let status = if diagnostics.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let edited = Edited {
            yaml: form.yaml,
            diagnostics,
            notice,
        };
        return rerender(edited, status).await;
    }
    if form.action != "save" {
        return Err(ConsoleError::new(
            StatusCode::BAD_REQUEST,
            "the form said neither save nor validate; reload the workflow's page and use its buttons",
        ));
    }
    match state
        .core
        .put_workflow(&visitor.actor, &name, form.yaml.clone())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/workflows/{name}?done=saved")).into_response()),
        Err(CoreError::InvalidWorkflow(diagnostics)) => {
            let notice = problems_notice(
                &diagnostics,
                "Nothing was saved; the stored version is unchanged",
            );
            let edited = Edited {
                yaml: form.yaml,
                diagnostics,
                notice,
            };
            rerender(edited, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(err) => Err(err.into()),
    }
}

fn problems_notice(diagnostics: &[Diagnostic], consequence: &str) -> Notice {
    let count = diagnostics.len();
    Notice::error(format!(
        "the validator found {count} problem{} (listed below, each with its line). {consequence}; fix the \
         text and try again.",
        if count == 1 { "" } else { "s" }
    ))
}

async fn delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
    posted: Posted<NoFields>,
) -> Result<Response, ConsoleError> {
    state
        .core
        .delete_workflow(&posted.visitor.actor, &name)
        .await?;
    Ok(Redirect::to("/workflows?done=deleted").into_response())
}
