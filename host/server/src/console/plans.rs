//! `/plans`: seed 001's plan face in the browser. A person turns a work item into a session, generates its
//! plan, looks at it as a picture and as a table, rehearses nodes in dry runs, and approves the exact
//! content hash they reviewed.
//!
//! Every action is a form that calls the same core method as the plan API (`create_session`,
//! `generate_plan`, `approve_plan`, `execute_node`) as the visitor, so the core's checks (who may see a
//! session, who may run live, dependency order, stale approvals) hold here unchanged. The live button is only
//! offered to operators and says what else live needs; a forged live request from a user is refused by the
//! core and the refusal is shown beside the node table.
//!
//! The approve form carries the hash the page showed and the hash of the rehearsal report shown above it
//! ("what will change"): if the plan changed since (regenerated in another tab) or a newer dry run changed
//! the rehearsal, the approval is refused and the page shows the new state, so a person approves what they
//! saw.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use drydock_core::{CoreError, PlanStatus};
use drydock_policy::Mode;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

use super::overview::work_item_title;
use super::page::{self, ConsoleError, Notice, Section, Shell, csrf_field};
use super::plan_dag;
use super::plan_page::{approval, generate_form, live_state, node_table, runs};
use super::rehearsal_report::what_will_change;
use super::session::{Posted, Visitor};
use crate::api::AppState;
use crate::api::budgets::ExpensiveRoute;

/// Bounds of the new-session form, checked before the core sees it (the core bounds key and title too).
const MAX_DESCRIPTION_CHARS: usize = 20_000;
const MAX_LABELS: usize = 20;
const MAX_LABEL_CHARS: usize = 64;
const MAX_TYPE_CHARS: usize = 64;
/// How many sessions `/plans` lists.
const LISTED_SESSIONS: usize = 200;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/plans", get(list_page).post(create))
        .route("/plans/{id}", get(session_page))
        .route("/plans/{id}/generate", post(generate))
        .route("/plans/{id}/approve", post(approve))
        .route("/plans/{id}/execute", post(execute))
}

/// A core error as a notice beside a form, with the status the API would answer.
pub fn core_notice(err: CoreError) -> (StatusCode, Notice) {
    let (status, message) = crate::api::ApiError::from(err).status_and_message();
    (status, Notice::error(message))
}

/// A plan status as a badge: words, and a class the stylesheet colours.
pub fn plan_badge(status: PlanStatus) -> Markup {
    let class = match status {
        PlanStatus::PendingApproval => "pending",
        PlanStatus::Executing => "running",
        other => other.as_str(),
    };
    html! { span class=(format!("badge s-{class}")) { (status.as_str().replace('_', " ")) } }
}

/// The new-session form's fields, kept to re-show them with an error.
#[derive(Deserialize, Default, Clone)]
struct NewSession {
    #[serde(default)]
    key: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    labels: String,
}

async fn list_page(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, ConsoleError> {
    render_list(&state, &visitor, &NewSession::default(), None).await
}

async fn render_list(
    state: &AppState,
    visitor: &Visitor,
    form: &NewSession,
    error: Option<(StatusCode, Notice)>,
) -> Result<Response, ConsoleError> {
    let mut sessions = state.core.sessions(&visitor.actor).await?;
    sessions.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
    sessions.truncate(LISTED_SESSIONS);
    let mut rows = Vec::with_capacity(sessions.len());
    for session in sessions {
        let plan = state.core.current_plan(&visitor.actor, &session.id).await?;
        rows.push((session, plan));
    }
    let status = error.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    let body = html! {
        div.columns {
            section aria-labelledby="p-sessions" {
                h2 #p-sessions { "Your sessions" }
                @if rows.is_empty() {
                    p.muted { "None yet: start one from a work item with the form." }
                } @else {
                    div.table-wrap {
                        table {
                            thead { tr {
                                th scope="col" { "Work item" }
                                th scope="col" { "Plan" }
                                th scope="col" { "Updated" }
                            } }
                            tbody {
                                @for (session, plan) in &rows {
                                    tr {
                                        td {
                                            a href=(format!("/plans/{}", session.id)) {
                                                @if let Some(key) = session.work_item["id"].as_str() {
                                                    code { (key) } " "
                                                }
                                                (work_item_title(&session.work_item))
                                            }
                                        }
                                        td {
                                            @match plan {
                                                Some(plan) => { (plan_badge(plan.status)) " v" (plan.version) }
                                                None => { span.badge.s-none { "no plan yet" } }
                                            }
                                        }
                                        td { (session.updated_at) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section.card aria-labelledby="p-new" {
                h2 #p-new { "New session from a work item" }
                (page::notice(error.as_ref().map(|(_, n)| n)))
                (new_session_form(visitor, form))
            }
        }
    };
    let mut response = Shell::new(visitor, Section::Plans, "Plans").render(state, body);
    *response.status_mut() = status;
    Ok(response)
}

fn new_session_form(visitor: &Visitor, form: &NewSession) -> Markup {
    html! {
        form.stack method="post" action="/plans" {
            (csrf_field(visitor))
            label for="wi-key" { "Key" span.hint { "The work item's id in your tracker, e.g. ABC-123." } }
            input #wi-key type="text" name="key" required maxlength="128" value=(form.key) autocomplete="off";
            label for="wi-title" { "Title" span.hint { "One line: what should be done." } }
            input #wi-title type="text" name="title" required maxlength="512" value=(form.title);
            label for="wi-description" { "Description" span.hint { "What the planner should know (optional)." } }
            textarea #wi-description name="description" maxlength=(MAX_DESCRIPTION_CHARS) { (form.description) }
            label for="wi-type" { "Type" span.hint { "Optional, e.g. feature, bug, chore." } }
            input #wi-type type="text" name="type" maxlength=(MAX_TYPE_CHARS) value=(form.kind) list="wi-types";
            datalist #wi-types { option value="feature" {} option value="bug" {} option value="chore" {} }
            label for="wi-labels" { "Labels" span.hint { "Optional, separated by commas, e.g. backend, uploads." } }
            input #wi-labels type="text" name="labels" value=(form.labels);
            div { button type="submit" { "Create session" } }
        }
    }
}

/// The work item JSON the core takes (`{id, title, description, type?, labels?}`), or what is wrong.
fn work_item(form: &NewSession) -> Result<Value, String> {
    let key = form.key.trim();
    let title = form.title.trim();
    if key.is_empty() {
        return Err("enter the work item's key (e.g. ABC-123)".into());
    }
    if title.is_empty() {
        return Err("enter a title: one line saying what should be done".into());
    }
    if form.description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(format!(
            "the description is longer than {MAX_DESCRIPTION_CHARS} characters; shorten it"
        ));
    }
    let kind = form.kind.trim();
    if kind.chars().count() > MAX_TYPE_CHARS {
        return Err(format!(
            "the type is longer than {MAX_TYPE_CHARS} characters"
        ));
    }
    let labels: Vec<&str> = form
        .labels
        .split(',')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if labels.len() > MAX_LABELS {
        return Err(format!("at most {MAX_LABELS} labels; remove some"));
    }
    if let Some(long) = labels.iter().find(|l| l.chars().count() > MAX_LABEL_CHARS) {
        return Err(format!(
            "the label `{}…` is longer than {MAX_LABEL_CHARS} characters",
            long.chars().take(20).collect::<String>()
        ));
    }
    let mut item = json!({ "id": key, "title": title, "description": form.description.trim() });
    if !kind.is_empty() {
        item["type"] = json!(kind);
    }
    if !labels.is_empty() {
        item["labels"] = json!(labels);
    }
    Ok(item)
}

async fn create(
    State(state): State<AppState>,
    Posted { visitor, form }: Posted<NewSession>,
) -> Result<Response, ConsoleError> {
    let item = match work_item(&form) {
        Ok(item) => item,
        Err(problem) => {
            let notice = Notice::error(problem);
            return render_list(
                &state,
                &visitor,
                &form,
                Some((StatusCode::BAD_REQUEST, notice)),
            )
            .await;
        }
    };
    match state.core.create_session(&visitor.actor, item).await {
        Ok(session) => {
            Ok(Redirect::to(&format!("/plans/{}?done=created", session.id)).into_response())
        }
        Err(err) => render_list(&state, &visitor, &form, Some(core_notice(err))).await,
    }
}

/// Which form of the session page a notice belongs beside.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Spot {
    Top,
    Generate,
    Approve,
    Execute,
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

async fn session_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, ConsoleError> {
    // Fixed confirmations only: the query never puts its own text on the page.
    let notice = match done.done.as_deref() {
        Some("created") => Some(Notice::done("Session created. Generate its plan below.")),
        Some("generated") => Some(Notice::done(
            "Plan generated. Review it, rehearse nodes, then approve.",
        )),
        Some("approved") => Some(Notice::done(
            "Plan approved: its content hash is frozen below.",
        )),
        _ => None,
    };
    render_session(
        &state,
        &visitor,
        &id,
        notice.map(|n| (StatusCode::OK, Spot::Top, n)),
    )
    .await
}

async fn render_session(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    notice: Option<(StatusCode, Spot, Notice)>,
) -> Result<Response, ConsoleError> {
    let session = state.core.session_for(&visitor.actor, id).await?;
    // Events first: anything stored after this read reaches the page through the live stream (see
    // `rehearsal::render_execution`).
    let after = state.core.last_event_seq(&visitor.actor, id).await?;
    let (plan, executions) = state.core.plan_executions(&visitor.actor, id).await?;
    let report = match &plan {
        Some(_) => Some(state.core.plan_rehearsal(&visitor.actor, id).await?),
        None => None,
    };
    let nodes = plan
        .as_ref()
        .map(|p| plan_dag::node_views(p, &executions))
        .unwrap_or_default();
    let (status, spot, notice) = match notice {
        Some((status, spot, notice)) => (status, Some(spot), Some(notice)),
        None => (StatusCode::OK, None, None),
    };
    let beside = |here: Spot| page::notice(notice.as_ref().filter(|_| spot == Some(here)));
    let item = &session.work_item;
    let body = html! {
        div data-live-events=(format!("/api/sessions/{}/events?after={after}", session.id)) {
            (beside(Spot::Top))
            p #live-status.hint aria-live="polite" {}
            section.card aria-labelledby="s-item" {
                h2 #s-item { "Work item " code { (item["id"].as_str().unwrap_or("?")) } }
                dl {
                    dt { "Title" } dd { (item["title"].as_str().unwrap_or_default()) }
                    @if let Some(kind) = item["type"].as_str() { dt { "Type" } dd { (kind) } }
                    @if let Some(labels) = item["labels"].as_array() {
                        dt { "Labels" }
                        dd { (labels.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")) }
                    }
                    dt { "Description" }
                    dd.pre-line { (item["description"].as_str().filter(|d| !d.is_empty()).unwrap_or("(none)")) }
                }
            }
            section #plan data-live-region aria-labelledby="s-plan" {
                h2 #s-plan {
                    "Plan"
                    @if let Some(plan) = &plan { " version " (plan.version) " " (plan_badge(plan.status)) }
                }
                (beside(Spot::Generate))
                (generate_form(visitor, &session.id, plan.as_ref()))
                @if let Some(plan) = &plan {
                    figure {
                        (plan_dag::svg(&nodes, plan.version))
                        figcaption.hint { "Nodes left to right by dependency depth; the table below lists the same nodes." }
                    }
                    (live_state(state, visitor, &nodes))
                    h3 #s-nodes { "Nodes" }
                    (beside(Spot::Execute))
                    (node_table(visitor, &session.id, plan, &nodes))
                }
            }
            @if let (Some(plan), Some(report)) = (&plan, &report) {
                section #approval data-live-region aria-labelledby="s-approval" {
                    h2 #s-approval { "Approval" }
                    (what_will_change(&session.id, report))
                    (beside(Spot::Approve))
                    (approval(visitor, &session.id, plan, report))
                }
                section #runs data-live-region aria-labelledby="s-runs" {
                    h2 #s-runs { "Runs of this version" }
                    (runs(&session.id, &executions))
                }
            }
        }
    };
    let title = format!("Plan: {}", work_item_title(item));
    let mut response = Shell::new(visitor, Section::Plans, title).render(state, body);
    *response.status_mut() = status;
    Ok(response)
}

#[derive(Deserialize)]
struct GenerateForm {
    #[serde(default)]
    force: String,
}

async fn generate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { visitor, form }: Posted<GenerateForm>,
) -> Result<Response, ConsoleError> {
    let force = !form.force.is_empty();
    match state
        .core
        .generate_plan(&visitor.actor, &id, None, force)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/plans/{id}?done=generated")).into_response()),
        Err(err) => {
            let (status, notice) = core_notice(err);
            render_session(
                &state,
                &visitor,
                &id,
                Some((status, Spot::Generate, notice)),
            )
            .await
        }
    }
}

#[derive(Deserialize)]
struct ApproveForm {
    #[serde(default)]
    hash: String,
    /// The hash of the rehearsal report the page showed.
    #[serde(default)]
    rehearsal: String,
}

async fn approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { visitor, form }: Posted<ApproveForm>,
) -> Result<Response, ConsoleError> {
    let refuse = |status, text: String| Some((status, Spot::Approve, Notice::error(text)));
    let current = state.core.current_plan(&visitor.actor, &id).await?;
    let error = match current {
        None => refuse(StatusCode::CONFLICT, "the session has no plan yet; generate it first".into()),
        Some(_) if form.rehearsal.is_empty() => refuse(
            StatusCode::CONFLICT,
            "the form lost the hash of the rehearsal it showed; nothing was approved. Review what will change \
             below and approve again"
                .into(),
        ),
        Some(plan) if plan.content_hash != form.hash => refuse(
            StatusCode::CONFLICT,
            "the plan changed since this page showed it (or the form lost its hash); nothing was approved. \
             Review the plan below and approve again"
                .into(),
        ),
        // The core checks the hash again in the approving transaction: a regeneration between this
        // read and the approval is refused, never approved unseen.
        Some(_) => match state
            .core
            .approve_plan_seen_rehearsal(
                &visitor.actor,
                &id,
                Some(&form.hash),
                Some(&form.rehearsal),
            )
            .await
        {
            Ok(_) => return Ok(Redirect::to(&format!("/plans/{id}?done=approved")).into_response()),
            Err(err) => {
                let (status, notice) = core_notice(err);
                Some((status, Spot::Approve, notice))
            }
        },
    };
    render_session(&state, &visitor, &id, error).await
}

#[derive(Deserialize)]
struct ExecuteForm {
    #[serde(default)]
    node_id: String,
    #[serde(default)]
    mode: String,
}

async fn execute(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { visitor, form }: Posted<ExecuteForm>,
) -> Result<Response, ConsoleError> {
    // The same budget `POST /api/sessions/{id}/plan/execute-node` spends.
    visitor.spend(&state, ExpensiveRoute::PlanNode)?;
    let node = form.node_id.trim();
    let mode = match form.mode.as_str() {
        "" | "dry-run" => Ok(Mode::DryRun),
        "live" => Ok(Mode::Live),
        _ => {
            Err("the mode must be dry-run or live; reload the page and use its buttons".to_owned())
        }
    };
    let result = match (node.is_empty(), mode) {
        (true, _) => Err((
            StatusCode::BAD_REQUEST,
            Notice::error("choose a node to run; reload the page"),
        )),
        (_, Err(text)) => Err((StatusCode::BAD_REQUEST, Notice::error(text))),
        (false, Ok(mode)) => state
            .core
            .execute_node(&visitor.actor, &id, node, mode)
            .await
            .map_err(core_notice),
    };
    match result {
        Ok(correlation) => {
            Ok(Redirect::to(&format!("/plans/{id}/executions/{correlation}")).into_response())
        }
        Err((status, notice)) => {
            let notice = Notice::error(format!("node `{node}` did not start: {}", notice.text));
            render_session(&state, &visitor, &id, Some((status, Spot::Execute, notice))).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(key: &str, title: &str, labels: &str) -> NewSession {
        NewSession {
            key: key.into(),
            title: title.into(),
            labels: labels.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_work_item_is_built_from_the_fields_a_person_fills_in() {
        let mut f = form(" ABC-1 ", "Retry uploads", "backend, , uploads");
        f.kind = "feature".into();
        let item = work_item(&f).unwrap();
        assert_eq!(
            item,
            json!({"id": "ABC-1", "title": "Retry uploads", "description": "", "type": "feature",
                   "labels": ["backend", "uploads"]})
        );
        assert!(
            work_item(&form("ABC-1", "T", ""))
                .unwrap()
                .get("labels")
                .is_none()
        );
    }

    #[test]
    fn missing_or_oversized_fields_say_what_to_fix() {
        assert!(work_item(&form("", "T", "")).unwrap_err().contains("key"));
        assert!(
            work_item(&form("K", "  ", ""))
                .unwrap_err()
                .contains("title")
        );
        let many = vec!["l"; MAX_LABELS + 1].join(",");
        assert!(
            work_item(&form("K", "T", &many))
                .unwrap_err()
                .contains("labels")
        );
        let mut long = form("K", "T", "");
        long.description = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
        assert!(work_item(&long).unwrap_err().contains("description"));
    }
}
