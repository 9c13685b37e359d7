//! The rehearsal view: what a dry run of a plan node did, for a person deciding whether to approve.
//!
//! `GET /plans/{id}/executions/{correlation}` shows one execution: its steps, every effect grouped by
//! capability with its outcome in words and as a badge (`read / simulated / denied / live`) and the
//! runtime's reason, request excerpts (method and URL, the header names, a bounded body excerpt: all as
//! the runtime journaled them, so already redacted), the file-system diff rendered as a diff per file, and
//! the artifacts with download links (`/api/artifacts/{id}`, which answers them as attachments and accepts
//! the console's cookie). `GET /plans/{id}/rehearsal` shows the core's rehearsal report of the current plan
//! version ("what will change", with the hash an approval binds) and then the rehearsal of every node (its
//! newest completed dry run) the same way, node by node. A `needs_review` live run shows the write it holds
//! ([`super::review`]).

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use drydock_core::{ArtifactRow, ExecutionRow};
use maud::{Markup, html};
use serde_json::Value;

use super::page::{self, ConsoleError, Notice, Section, Shell};
use super::rehearsal_report::what_will_change;
use super::review;
use super::session::Visitor;
use crate::api::AppState;

/// A diff larger than this is linked, not shown.
const MAX_SHOWN_DIFF_BYTES: u64 = 512 * 1024;
/// The most characters of a request body excerpt shown.
const MAX_EXCERPT_CHARS: usize = 2_000;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/plans/{id}/executions/{correlation}", get(execution_page))
        .route("/plans/{id}/rehearsal", get(rehearsal_page))
}

#[derive(serde::Deserialize)]
struct Done {
    done: Option<String>,
}

async fn execution_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, correlation)): Path<(String, String)>,
    Query(done): Query<Done>,
) -> Result<Response, ConsoleError> {
    // Fixed confirmations only: the query never puts its own text on the page.
    let notice = match done.done.as_deref() {
        Some("allowed") => Some(Notice::done(
            "Allowed once: the held write was performed, and the run goes on.",
        )),
        Some("stopped") => Some(Notice::done(
            "Stopped: the held write was not performed, and the run stops.",
        )),
        _ => None,
    };
    render_execution(&state, &visitor, &id, &correlation, notice, StatusCode::OK).await
}

/// The page of one execution of session `id`, with `notice` above it (answered with `status`).
pub(super) async fn render_execution(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    correlation: &str,
    notice: Option<Notice>,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let session = state.core.session_for(&visitor.actor, id).await?;
    // Events first, then the execution: an event stored after this read reaches the page through the live
    // stream. Read the other way round, an execution that finishes between the two reads is drawn running
    // under a stream that starts after its last event, and the page never updates.
    let after = state.core.last_event_seq(&visitor.actor, id).await?;
    let view = state
        .core
        .execution_view(&visitor.actor, correlation)
        .await?;
    if view.execution.session_id != session.id {
        return Err(ConsoleError::new(
            StatusCode::NOT_FOUND,
            format!(
                "session `{id}` has no execution `{correlation}`; open it from the session's page"
            ),
        ));
    }
    let run = view.execution;
    let held = review::held_section(state, visitor, id, &run).await?;
    let section = execution_section(state, visitor, &run, &view.artifacts).await?;
    let body = html! {
        p { a href=(format!("/plans/{id}")) { "← Back to the plan" } }
        (page::notice(notice.as_ref()))
        div data-live-events=[(!run.status.is_terminal()).then(|| format!("/api/sessions/{id}/events?after={after}"))] {
            p #live-status.hint aria-live="polite" {}
            div #review data-live-region { (held) }
            div #execution data-live-region { (section) }
        }
    };
    let node = run.node_id.as_deref().unwrap_or("?");
    let title = if run.mode == "live" {
        format!("Live run of node {node}")
    } else {
        format!("Rehearsal of node {node}")
    };
    let mut response = Shell::new(visitor, Section::Plans, title).render(state, body);
    *response.status_mut() = status;
    Ok(response)
}

async fn rehearsal_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let (plan, executions) = state.core.plan_executions(&visitor.actor, &id).await?;
    let Some(plan) = plan else {
        return Err(ConsoleError::new(
            StatusCode::NOT_FOUND,
            "this session has no plan yet, so nothing was rehearsed; generate the plan on its page",
        ));
    };
    // The core's report picks each node's rehearsal (its newest completed dry run), as the API and the
    // approval do; this page adds every effect of those runs, reads included.
    let report = state.core.plan_rehearsal(&visitor.actor, &id).await?;
    let artifacts = state.core.artifacts(&visitor.actor, &id).await?;
    let mut sections = Vec::new();
    for node in &report.nodes {
        let shown = node
            .execution
            .as_ref()
            .and_then(|e| e["correlationId"].as_str())
            .and_then(|corr| executions.iter().find(|e| e.correlation_id == corr));
        let section = match shown {
            Some(run) => Some(execution_section(&state, &visitor, run, &artifacts).await?),
            None => None,
        };
        sections.push((node, section));
    }
    let body = html! {
        p { a href=(format!("/plans/{id}")) { "← Back to the plan" } }
        p { "The newest completed dry run of each node of plan version " (plan.version) " (hash " code { (plan.content_hash) } "). "
            "Reads happened; every write was recorded and simulated, so nothing outside the sandbox changed." }
        (what_will_change(&id, &report))
        @for (node, section) in &sections {
            section.card aria-labelledby=(format!("r-{}", node.node_id)) {
                h2 id=(format!("r-{}", node.node_id)) { "Node " code { (node.node_id) } " " span.muted { (node.title) } }
                @match section {
                    Some(section) => { (section) }
                    None => { p.muted { "Not rehearsed yet: run it as a dry run from the plan page (a failed dry run \
                                        does not count)." } }
                }
            }
        }
    };
    Ok(Shell::new(&visitor, Section::Plans, "Rehearsal of the plan").render(&state, body))
}

/// One execution: summary, steps, effects by capability, diffs, artifacts.
async fn execution_section(
    state: &AppState,
    visitor: &Visitor,
    run: &ExecutionRow,
    artifacts: &[ArtifactRow],
) -> Result<Markup, ConsoleError> {
    let journal = state
        .core
        .execution_journal(&visitor.actor, &run.correlation_id)
        .await?;
    let mine: Vec<&ArtifactRow> = artifacts
        .iter()
        .filter(|a| a.correlation_id.as_deref() == Some(run.correlation_id.as_str()))
        .collect();
    let mut diffs = Vec::new();
    for artifact in &mine {
        if is_diff(artifact) && artifact.size <= MAX_SHOWN_DIFF_BYTES {
            let (_, content) = state.core.artifact(&visitor.actor, &artifact.id).await?;
            diffs.push((
                artifact.name.clone(),
                String::from_utf8_lossy(&content).into_owned(),
            ));
        }
    }
    let mut by_capability: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for effect in &journal.effects {
        let capability = effect["capability"].as_str().unwrap_or("other").to_owned();
        by_capability.entry(capability).or_default().push(effect);
    }
    let mode_class = if run.mode == "live" {
        "live"
    } else {
        "simulated"
    };
    Ok(html! {
        p {
            span class=(format!("badge s-{mode_class}")) { (if run.mode == "live" { "live run" } else { "dry run" }) } " "
            span class=(format!("badge s-{}", run.status)) { (run.status) }
            " requested by " strong { (run.requested_by) } " at " (run.started_at)
            @if let Some(end) = &run.finished_at { ", finished " (end) }
            ". Correlation id " code { (run.correlation_id) } "."
        }
        @if !run.status.is_terminal() { p.hint { "Still running: this page updates as it goes." } }
        (steps(run))
        h3 { "Effects (" (journal.effects.len()) ")" }
        @if journal.effects.is_empty() {
            p.muted { "No effect left the sandbox" @if !run.status.is_terminal() { " yet" } "." }
        }
        @for (capability, effects) in &by_capability {
            (capability_group(capability, effects))
        }
        @for omitted in &journal.omitted {
            p.notice.error {
                (omitted["count"]) " more " (omitted["capability"].as_str().unwrap_or("?")) " effects ("
                (omitted["outcome"].as_str().unwrap_or("?")) ") were not kept: "
                (omitted["reason"].as_str().unwrap_or_default()) "."
            }
        }
        @if !diffs.is_empty() {
            h3 { "Changes to files" }
            @for (name, text) in &diffs { (render_diff(name, text)) }
        }
        h3 { "Artifacts (" (mine.len()) ")" }
        @if mine.is_empty() {
            p.muted { "None." }
        } @else {
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { "Name" } th scope="col" { "Type" } th scope="col" { "Size" }
                    th scope="col" { "Made by" } th scope="col" { "SHA-256" }
                } }
                tbody { @for artifact in &mine { tr {
                    td { a href=(format!("/api/artifacts/{}", artifact.id)) download=(artifact.name) {
                        "Download " (artifact.name) } }
                    td { code { (artifact.media_type) } }
                    td { (artifact.size) " bytes" }
                    td { (artifact.produced_by) }
                    td { code { (&artifact.sha256[..16.min(artifact.sha256.len())]) "…" } }
                } } }
            } }
        }
    })
}

fn is_diff(artifact: &ArtifactRow) -> bool {
    artifact.media_type == "text/x-diff" || artifact.name.ends_with(".diff")
}

fn steps(run: &ExecutionRow) -> Markup {
    let steps = run.detail["steps"].as_array().cloned().unwrap_or_default();
    html! {
        @if !steps.is_empty() {
            h3 { "Steps" }
            ol {
                @for step in &steps {
                    li {
                        code { (step["tool"].as_str().unwrap_or("?")) } " "
                        @match step["outcome"]["status"].as_str() {
                            Some("completed") => { span.badge.s-completed { "completed" } }
                            Some(other) => {
                                span.badge.s-failed { (other) } " "
                                (step["outcome"]["error"]["message"].as_str().unwrap_or_default())
                            }
                            None => { span.badge.s-running { "running" } }
                        }
                        " · " (step["effects"].as_u64().unwrap_or(0)) " effects"
                    }
                }
            }
        }
    }
}

/// What an outcome means, for the badge's words.
fn outcome_words(outcome: &str) -> &'static str {
    match outcome {
        "read" => "read: allowed read, performed",
        "simulated" => "simulated: write recorded, not performed",
        "denied" => "denied: refused by the host",
        "live" => "live: write performed",
        _ => "unknown outcome",
    }
}

fn capability_group(capability: &str, effects: &[&Value]) -> Markup {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for effect in effects {
        *counts
            .entry(effect["outcome"].as_str().unwrap_or("?"))
            .or_default() += 1;
    }
    let summary = counts
        .iter()
        .map(|(o, n)| format!("{n} {o}"))
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        section.effects data-capability=(capability) {
            h4 { code { (capability) } " — " (effects.len()) " (" (summary) ")" }
            div.table-wrap { table.effects {
                thead { tr {
                    th scope="col" { "What" } th scope="col" { "Outcome" } th scope="col" { "Why" } th scope="col" { "By" }
                } }
                tbody { @for effect in effects {
                    @let outcome = effect["outcome"].as_str().unwrap_or("?");
                    tr {
                        td { code { (effect["action"].as_str().unwrap_or_default()) } (effect_detail(effect)) }
                        td { span class=(format!("badge s-{outcome}")) title=(outcome_words(outcome)) { (outcome) }
                             br; span.hint { (outcome_words(outcome)) } }
                        td { (effect["reason"].as_str().unwrap_or_default()) }
                        td { code { (effect["tool"].as_str().or(effect["plugin"].as_str()).unwrap_or("?")) } }
                    }
                } }
            } }
        }
    }
}

/// The capability-specific facts worth reading: headers sent and a body excerpt (http), the change and
/// sizes (fs). Everything else of `detail` is left to the API.
pub(super) fn effect_detail(effect: &Value) -> Markup {
    let detail = &effect["detail"];
    let headers: Vec<&str> = detail["headers"]
        .as_array()
        .map(|h| h.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let excerpt = detail["body_excerpt"].as_str().map(|text| {
        let mut cut: String = text.chars().take(MAX_EXCERPT_CHARS).collect();
        if cut.len() < text.len() {
            cut.push('…');
        }
        cut
    });
    html! {
        @if !headers.is_empty() { br; span.hint { "Headers: " (headers.join(", ")) } }
        @if let Some(bytes) = detail["request_bytes"].as_u64() { br; span.hint { "Body: " (bytes) " bytes" } }
        @if let Some(excerpt) = excerpt { pre.excerpt { (excerpt) } }
        @if let Some(change) = detail["change"].as_str() {
            @let (before, after) = (detail["bytes_before"].as_u64(), detail["bytes_after"].as_u64());
            br; span.hint {
                @if before.is_none() && after.is_none() { (change) " a directory or link" }
                @else { (change) ": " (size(before)) " → " (size(after)) }
            }
        }
    }
}

/// A file's size in words: `none` when it does not exist (before a create, after a delete).
fn size(bytes: Option<u64>) -> String {
    bytes.map_or_else(|| "none".to_owned(), |b| format!("{b} bytes"))
}

/// A unified diff as `pre.diff`, one block per file (`diff --…` starts a file), each line classed.
pub fn render_diff(name: &str, text: &str) -> Markup {
    let mut files: Vec<(String, Vec<&str>)> = Vec::new();
    for line in text.lines() {
        if line.starts_with("diff --") || files.is_empty() {
            let path = line
                .strip_prefix("diff --")
                .and_then(|rest| rest.rsplit(" b/").next())
                .unwrap_or(name)
                .to_owned();
            files.push((path, Vec::new()));
            if line.starts_with("diff --") {
                continue;
            }
        }
        if let Some((_, lines)) = files.last_mut() {
            lines.push(line);
        }
    }
    html! {
        @for (path, lines) in &files {
            figure.diff-file {
                figcaption { code { (path) } span.hint { " (from " (name) ")" } }
                pre.diff {
                    @for line in lines {
                        @let class = if line.starts_with("+++") || line.starts_with("---") { "file" }
                            else if line.starts_with("@@") { "hunk" }
                            else if line.starts_with('+') { "add" }
                            else if line.starts_with('-') { "del" }
                            else { "ctx" };
                        span class=(class) { (if line.is_empty() { " " } else { line }) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diff_is_split_per_file_and_classed_per_line() {
        let text = "diff --drydock a/notes/A.md b/notes/A.md\n--- /dev/null\n+++ b/notes/A.md\n@@ -0,0 +1,2 @@\n+hello\n+<b>x</b>\n\
                    diff --drydock a/x.rs b/x.rs\n--- a/x.rs\n+++ b/x.rs\n@@ -1 +1 @@\n-old\n+new\n same\n";
        let html = render_diff("workspace.diff", text).into_string();
        assert_eq!(html.matches("<pre class=\"diff\">").count(), 2, "{html}");
        assert!(
            html.contains("<code>notes/A.md</code>") && html.contains("<code>x.rs</code>"),
            "{html}"
        );
        assert!(
            html.contains(r#"<span class="add">+hello</span>"#),
            "{html}"
        );
        assert!(html.contains("+&lt;b&gt;x&lt;/b&gt;"), "escaped: {html}");
        assert!(html.contains(r#"<span class="del">-old</span>"#));
        assert!(html.contains(r#"<span class="hunk">@@ -1 +1 @@</span>"#));
        assert!(html.contains(r#"<span class="ctx"> same</span>"#));
    }

    #[test]
    fn outcomes_are_named_in_words() {
        for outcome in ["read", "simulated", "denied", "live"] {
            assert!(outcome_words(outcome).starts_with(outcome));
        }
    }
}
